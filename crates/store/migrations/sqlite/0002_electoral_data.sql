-- Official data imported into a campaign: elections and results by bureau de vote, census
-- values by IRIS, the shapes of territories (for maps), the editable nuance → bloc table.

CREATE TABLE elections (
    campaign_id BLOB NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    id          BLOB NOT NULL,
    code        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    year        INTEGER NOT NULL,
    round       INTEGER NOT NULL,
    label       TEXT NOT NULL,
    source      TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    PRIMARY KEY (campaign_id, id),
    UNIQUE (campaign_id, code)
);

CREATE TABLE bureau_results (
    campaign_id  BLOB NOT NULL,
    election_id  BLOB NOT NULL,
    territory_id BLOB NOT NULL,
    inscrits     INTEGER NOT NULL,
    abstentions  INTEGER NOT NULL,
    votants      INTEGER NOT NULL,
    blancs       INTEGER NOT NULL,
    nuls         INTEGER NOT NULL,
    exprimes     INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, election_id, territory_id),
    FOREIGN KEY (campaign_id, election_id) REFERENCES elections(campaign_id, id) ON DELETE CASCADE,
    FOREIGN KEY (campaign_id, territory_id) REFERENCES territories(campaign_id, id)
);
CREATE INDEX bureau_results_by_territory ON bureau_results(campaign_id, territory_id);

CREATE TABLE candidate_results (
    campaign_id  BLOB NOT NULL,
    election_id  BLOB NOT NULL,
    territory_id BLOB NOT NULL,
    position     INTEGER NOT NULL,
    panel        INTEGER,
    name         TEXT NOT NULL,
    nuance       TEXT,
    bloc         TEXT,
    votes        INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, election_id, territory_id, position),
    FOREIGN KEY (campaign_id, election_id, territory_id)
        REFERENCES bureau_results(campaign_id, election_id, territory_id) ON DELETE CASCADE
);

CREATE TABLE census_values (
    campaign_id  BLOB NOT NULL,
    territory_id BLOB NOT NULL,
    source       TEXT NOT NULL,
    variable     TEXT NOT NULL,
    value        REAL NOT NULL,
    PRIMARY KEY (campaign_id, territory_id, source, variable),
    FOREIGN KEY (campaign_id, territory_id) REFERENCES territories(campaign_id, id) ON DELETE CASCADE
);

CREATE TABLE territory_shapes (
    campaign_id  BLOB NOT NULL,
    territory_id BLOB NOT NULL,
    geometry     TEXT NOT NULL,
    min_lon      REAL NOT NULL,
    min_lat      REAL NOT NULL,
    max_lon      REAL NOT NULL,
    max_lat      REAL NOT NULL,
    valid        INTEGER NOT NULL,
    source       TEXT NOT NULL,
    PRIMARY KEY (campaign_id, territory_id),
    FOREIGN KEY (campaign_id, territory_id) REFERENCES territories(campaign_id, id) ON DELETE CASCADE
);
