-- Turfs and walk routes (issue 5): the doors of each bureau de vote cut into turfs, each with
-- its stops in walking order; every change of a bureau's turfs is a new version with its
-- parameters and quality; a turf is handed out (checked out to a person, a team or a
-- canvassing session) with an expiry, so two teams never knock on the same doors; the
-- walkable street network of a campaign (OpenStreetMap) for walking distances.

-- One row per version of a bureau's turfs: the first cut, every re-cut and every edit.
CREATE TABLE turf_plans (
    campaign_id BLOB NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    bureau_id   BLOB NOT NULL,
    version     INTEGER NOT NULL CHECK (version > 0),
    kind        TEXT NOT NULL CHECK (kind IN ('cut','recut','move','split','merge','redraw')),
    params      TEXT NOT NULL,
    quality     TEXT NOT NULL,
    summary     TEXT NOT NULL,
    created_by  BLOB,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (campaign_id, bureau_id, version),
    FOREIGN KEY (campaign_id, bureau_id) REFERENCES territories(campaign_id, id) ON DELETE CASCADE
);

CREATE TABLE turfs (
    campaign_id     BLOB NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    id              BLOB NOT NULL,
    bureau_id       BLOB NOT NULL,
    number          INTEGER NOT NULL CHECK (number > 0),
    status          TEXT NOT NULL CHECK (status IN ('planned','checked_out','done','retired')),
    stops           INTEGER NOT NULL CHECK (stops >= 0),
    doors           INTEGER NOT NULL CHECK (doors >= 0),
    length_m        REAL NOT NULL,
    minutes         REAL NOT NULL,
    on_network      INTEGER NOT NULL,
    polsby_popper   REAL,
    hull            TEXT,
    -- Bumped whenever the turf's stops or their order change: a printed sheet or a phone's
    -- package names the revision it was made from.
    revision        INTEGER NOT NULL CHECK (revision > 0),
    -- Bumped at every change of the turf (stops, status, hand-out): writers check it has not
    -- moved since they read the turf, so a hand-out and an edit never cross.
    lock_version    INTEGER NOT NULL CHECK (lock_version > 0),
    -- The hand-out, while checked out (kept after a release for the record of the last one).
    checked_out_to  BLOB,
    team            TEXT,
    session_id      BLOB,
    checked_out_by  BLOB,
    checked_out_at  TEXT,
    expires_at      TEXT,
    done_at         TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (campaign_id, id),
    UNIQUE (campaign_id, bureau_id, number),
    FOREIGN KEY (campaign_id, bureau_id) REFERENCES territories(campaign_id, id) ON DELETE CASCADE
);
CREATE INDEX turfs_by_session ON turfs(campaign_id, session_id);

-- An address is in at most one turf: two turfs never share a door.
CREATE TABLE turf_stops (
    campaign_id  BLOB NOT NULL,
    address_id   BLOB NOT NULL,
    turf_id      BLOB NOT NULL,
    bureau_id    BLOB NOT NULL,
    position     INTEGER NOT NULL CHECK (position > 0),
    doors        INTEGER NOT NULL CHECK (doors >= 0),
    -- Set by the field work (a door of the address was visited): a re-cut keeps the stop
    -- in its turf.
    visited_at   TEXT,
    plan_version INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, address_id),
    FOREIGN KEY (campaign_id, turf_id) REFERENCES turfs(campaign_id, id) ON DELETE CASCADE,
    FOREIGN KEY (campaign_id, address_id) REFERENCES addresses(campaign_id, id) ON DELETE CASCADE
);
CREATE INDEX turf_stops_by_turf ON turf_stops(campaign_id, turf_id, position);

-- The walkable network of the campaign's area, read from an OpenStreetMap extract and kept
-- as one compact binary (see terrain_import::osm): one per campaign, replaced by a new import.
CREATE TABLE street_networks (
    campaign_id BLOB PRIMARY KEY REFERENCES campaigns(id) ON DELETE CASCADE,
    source      TEXT NOT NULL,
    nodes       INTEGER NOT NULL,
    edges       INTEGER NOT NULL,
    length_km   REAL NOT NULL,
    min_lon     REAL NOT NULL,
    min_lat     REAL NOT NULL,
    max_lon     REAL NOT NULL,
    max_lat     REAL NOT NULL,
    data        BLOB NOT NULL,
    imported_at TEXT NOT NULL
);
