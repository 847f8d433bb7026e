-- LMP's randomised evaluation: a design drawn on a plan and recorded before the campaign (its
-- digest can be published), analysed once the election's results are imported.
CREATE TABLE experiments (
    campaign_id        BLOB NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    id                 BLOB NOT NULL,
    name               TEXT NOT NULL,
    reference_election TEXT NOT NULL,
    blocs              TEXT NOT NULL,
    budget_doors       REAL NOT NULL,
    scope_path         TEXT,
    design             TEXT NOT NULL,
    digest             TEXT NOT NULL,
    created_by         BLOB,
    created_at         TEXT NOT NULL,
    PRIMARY KEY (campaign_id, id)
);
