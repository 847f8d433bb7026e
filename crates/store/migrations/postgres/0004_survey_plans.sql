-- A representative survey's plan: the areas drawn (balanced and/or spatially balanced), their
-- inclusion probabilities and the interviews and doors allotted to them, with the draw's
-- diagnostics. Once accepted, its areas are the survey's priorities.
CREATE TABLE survey_plans (
    campaign_id UUID NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    id          UUID NOT NULL,
    name        TEXT NOT NULL,
    level       TEXT NOT NULL,
    n           BIGINT NOT NULL,
    seed        BIGINT NOT NULL,
    options     JSONB NOT NULL,
    report      JSONB NOT NULL,
    accepted_at TIMESTAMPTZ,
    created_by  UUID,
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (campaign_id, id)
);

CREATE TABLE survey_plan_areas (
    campaign_id           UUID NOT NULL,
    plan_id               UUID NOT NULL,
    territory_id          UUID NOT NULL,
    inclusion_probability DOUBLE PRECISION NOT NULL,
    interviews            BIGINT,
    doors                 BIGINT,
    PRIMARY KEY (campaign_id, plan_id, territory_id),
    FOREIGN KEY (campaign_id, plan_id) REFERENCES survey_plans(campaign_id, id) ON DELETE CASCADE,
    FOREIGN KEY (campaign_id, territory_id) REFERENCES territories(campaign_id, id)
);
