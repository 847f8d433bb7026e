-- LMP's randomised evaluation: a design drawn on a plan and recorded before the campaign (its
-- digest can be published), analysed once the election's results are imported.
CREATE TABLE experiments (
    campaign_id        UUID NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    id                 UUID NOT NULL,
    name               TEXT NOT NULL,
    reference_election TEXT NOT NULL,
    blocs              TEXT NOT NULL,
    budget_doors       DOUBLE PRECISION NOT NULL,
    scope_path         TEXT,
    design             JSONB NOT NULL,
    digest             TEXT NOT NULL,
    created_by         UUID,
    created_at         TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (campaign_id, id)
);
