-- Representativeness (issue 8): the campaign's quota options, and weighting runs with one
-- weight per response. Quota targets are not stored: they follow from the accepted survey
-- plan and the census each time they are read, so that they never disagree with either.

CREATE TABLE quota_settings (
    campaign_id     UUID PRIMARY KEY REFERENCES campaigns(id) ON DELETE CASCADE,
    -- Walkers' phones show the profiles still wanted in their area.
    show_to_walkers BOOLEAN NOT NULL DEFAULT FALSE,
    -- The field period that "expected by now" is measured against.
    field_starts_on DATE,
    field_ends_on   DATE,
    updated_at      TIMESTAMPTZ NOT NULL
);

-- A weighting: design weights from the accepted plan, calibrated to margins; its parameters
-- and what the weighting page shows (margins before and after, deff, ESS, warnings).
CREATE TABLE weighting_runs (
    campaign_id      UUID NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    id               UUID NOT NULL,
    questionnaire_id UUID NOT NULL,
    plan_id          UUID,
    params           JSONB NOT NULL,
    report           JSONB NOT NULL,
    created_by       UUID,
    created_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (campaign_id, id),
    FOREIGN KEY (campaign_id, questionnaire_id) REFERENCES questionnaires(campaign_id, id) ON DELETE CASCADE
);

CREATE INDEX weighting_runs_by_questionnaire ON weighting_runs (campaign_id, questionnaire_id, id);

-- One weight per response of a run (responses are referred to by their own random id only).
CREATE TABLE response_weights (
    campaign_id UUID NOT NULL,
    run_id      UUID NOT NULL,
    response_id UUID NOT NULL,
    weight      DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (campaign_id, run_id, response_id),
    FOREIGN KEY (campaign_id, run_id) REFERENCES weighting_runs(campaign_id, id) ON DELETE CASCADE,
    FOREIGN KEY (campaign_id, response_id) REFERENCES responses(campaign_id, id) ON DELETE CASCADE
);
