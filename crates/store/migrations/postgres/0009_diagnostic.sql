-- The diagnostic (issue 9): a codebook per open question, and the codes coders give to the
-- answers. A coding names its coder (agreement between two coders needs it) and the response's
-- own random id — never the walker, the address or the door (see the field module).

CREATE TABLE codebooks (
    campaign_id      UUID NOT NULL,
    questionnaire_id UUID NOT NULL,
    question         TEXT NOT NULL,
    codes            JSONB NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (campaign_id, questionnaire_id, question),
    FOREIGN KEY (campaign_id, questionnaire_id) REFERENCES questionnaires(campaign_id, id) ON DELETE CASCADE
);

CREATE TABLE codings (
    campaign_id  UUID NOT NULL,
    response_id  UUID NOT NULL,
    question     TEXT NOT NULL,
    coder_id     UUID NOT NULL REFERENCES users(id),
    codes        JSONB NOT NULL,
    -- Worth reading in full: the answer goes to the reading list.
    flagged      BOOLEAN NOT NULL,
    coded_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (campaign_id, response_id, question, coder_id),
    FOREIGN KEY (campaign_id, response_id) REFERENCES responses(campaign_id, id) ON DELETE CASCADE
);
CREATE INDEX codings_by_question ON codings(campaign_id, question);
