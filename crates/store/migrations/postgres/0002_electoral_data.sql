-- Official data imported into a campaign: elections and results by bureau de vote, census
-- values by IRIS, the shapes of territories (for maps), the editable nuance → bloc table.

CREATE TABLE elections (
    campaign_id UUID NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    id          UUID NOT NULL,
    code        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    year        INTEGER NOT NULL,
    round       INTEGER NOT NULL,
    label       TEXT NOT NULL,
    source      TEXT NOT NULL,
    imported_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (campaign_id, id),
    UNIQUE (campaign_id, code)
);

CREATE TABLE bureau_results (
    campaign_id  UUID NOT NULL,
    election_id  UUID NOT NULL,
    territory_id UUID NOT NULL,
    inscrits     BIGINT NOT NULL,
    abstentions  BIGINT NOT NULL,
    votants      BIGINT NOT NULL,
    blancs       BIGINT NOT NULL,
    nuls         BIGINT NOT NULL,
    exprimes     BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, election_id, territory_id),
    FOREIGN KEY (campaign_id, election_id) REFERENCES elections(campaign_id, id) ON DELETE CASCADE,
    FOREIGN KEY (campaign_id, territory_id) REFERENCES territories(campaign_id, id)
);
CREATE INDEX bureau_results_by_territory ON bureau_results(campaign_id, territory_id);

CREATE TABLE candidate_results (
    campaign_id  UUID NOT NULL,
    election_id  UUID NOT NULL,
    territory_id UUID NOT NULL,
    position     INTEGER NOT NULL,
    panel        INTEGER,
    name         TEXT NOT NULL,
    nuance       TEXT,
    bloc         TEXT,
    votes        BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, election_id, territory_id, position),
    FOREIGN KEY (campaign_id, election_id, territory_id)
        REFERENCES bureau_results(campaign_id, election_id, territory_id) ON DELETE CASCADE
);

CREATE TABLE census_values (
    campaign_id  UUID NOT NULL,
    territory_id UUID NOT NULL,
    source       TEXT NOT NULL,
    variable     TEXT NOT NULL,
    value        DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (campaign_id, territory_id, source, variable),
    FOREIGN KEY (campaign_id, territory_id) REFERENCES territories(campaign_id, id) ON DELETE CASCADE
);

CREATE TABLE territory_shapes (
    campaign_id  UUID NOT NULL,
    territory_id UUID NOT NULL,
    geometry     TEXT NOT NULL,
    min_lon      DOUBLE PRECISION NOT NULL,
    min_lat      DOUBLE PRECISION NOT NULL,
    max_lon      DOUBLE PRECISION NOT NULL,
    max_lat      DOUBLE PRECISION NOT NULL,
    valid        BOOLEAN NOT NULL,
    source       TEXT NOT NULL,
    PRIMARY KEY (campaign_id, territory_id),
    FOREIGN KEY (campaign_id, territory_id) REFERENCES territories(campaign_id, id) ON DELETE CASCADE
);
