-- A representative survey's plan: the areas drawn (balanced and/or spatially balanced), their
-- inclusion probabilities and the interviews and doors allotted to them, with the draw's
-- diagnostics. Once accepted, its areas are the survey's priorities.
CREATE TABLE survey_plans (
    campaign_id BLOB NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    id          BLOB NOT NULL,
    name        TEXT NOT NULL,
    level       TEXT NOT NULL,
    n           INTEGER NOT NULL,
    seed        INTEGER NOT NULL,
    options     TEXT NOT NULL,
    report      TEXT NOT NULL,
    accepted_at TEXT,
    created_by  BLOB,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (campaign_id, id)
);

CREATE TABLE survey_plan_areas (
    campaign_id           BLOB NOT NULL,
    plan_id               BLOB NOT NULL,
    territory_id          BLOB NOT NULL,
    inclusion_probability REAL NOT NULL,
    interviews            INTEGER,
    doors                 INTEGER,
    PRIMARY KEY (campaign_id, plan_id, territory_id),
    FOREIGN KEY (campaign_id, plan_id) REFERENCES survey_plans(campaign_id, id) ON DELETE CASCADE,
    FOREIGN KEY (campaign_id, territory_id) REFERENCES territories(campaign_id, id)
);
