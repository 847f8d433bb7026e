-- Terrain foundation schema (SQLite). Campaign-owned tables are keyed by campaign_id first.
-- Ids are UUIDv7 stored as 16-byte BLOBs; timestamps as RFC 3339 text in UTC.

CREATE TABLE campaigns (
    id              BLOB PRIMARY KEY,
    slug            TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    retention_until TEXT,
    created_at      TEXT NOT NULL
);

CREATE TABLE territories (
    campaign_id BLOB NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    id          BLOB NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('region','department','commune','arrondissement','bureau','iris')),
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    parent_id   BLOB,
    path        TEXT NOT NULL,
    PRIMARY KEY (campaign_id, id),
    UNIQUE (campaign_id, kind, code),
    UNIQUE (campaign_id, path),
    FOREIGN KEY (campaign_id, parent_id) REFERENCES territories(campaign_id, id)
);
CREATE INDEX territories_by_parent ON territories(campaign_id, parent_id);

CREATE TABLE addresses (
    campaign_id     BLOB NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    id              BLOB NOT NULL,
    ban_id          TEXT,
    number          TEXT,
    rep             TEXT,
    street          TEXT NOT NULL,
    postcode        TEXT,
    commune         TEXT NOT NULL,
    lon             REAL NOT NULL,
    lat             REAL NOT NULL,
    bureau_id       BLOB,
    iris_id         BLOB,
    doors_estimated INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, id),
    UNIQUE (campaign_id, ban_id),
    FOREIGN KEY (campaign_id, bureau_id) REFERENCES territories(campaign_id, id),
    FOREIGN KEY (campaign_id, iris_id) REFERENCES territories(campaign_id, id)
);
CREATE INDEX addresses_by_bureau ON addresses(campaign_id, bureau_id);
CREATE INDEX addresses_by_iris ON addresses(campaign_id, iris_id);

CREATE TABLE buildings (
    campaign_id BLOB NOT NULL,
    id          BLOB NOT NULL,
    address_id  BLOB NOT NULL,
    label       TEXT NOT NULL,
    doors       INTEGER NOT NULL CHECK (doors >= 0),
    PRIMARY KEY (campaign_id, id),
    FOREIGN KEY (campaign_id, address_id) REFERENCES addresses(campaign_id, id) ON DELETE CASCADE
);
CREATE INDEX buildings_by_address ON buildings(campaign_id, address_id);

CREATE TABLE units (
    campaign_id BLOB NOT NULL,
    id          BLOB NOT NULL,
    building_id BLOB NOT NULL,
    floor       INTEGER,
    label       TEXT NOT NULL,
    PRIMARY KEY (campaign_id, id),
    FOREIGN KEY (campaign_id, building_id) REFERENCES buildings(campaign_id, id) ON DELETE CASCADE
);
CREATE INDEX units_by_building ON units(campaign_id, building_id);

-- Identity is server-wide: one person may work on several campaigns.
CREATE TABLE users (
    id            BLOB PRIMARY KEY,
    email         TEXT UNIQUE,
    display_name  TEXT NOT NULL,
    password_hash TEXT,
    is_admin      INTEGER NOT NULL DEFAULT 0,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL
);

CREATE TABLE memberships (
    campaign_id  BLOB NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    user_id      BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role         TEXT NOT NULL CHECK (role IN ('director','coordinator','trainer','walker')),
    recruited_by BLOB REFERENCES users(id),
    trained_by   BLOB REFERENCES users(id),
    created_at   TEXT NOT NULL,
    PRIMARY KEY (campaign_id, user_id)
);

CREATE TABLE membership_territories (
    campaign_id  BLOB NOT NULL,
    user_id      BLOB NOT NULL,
    territory_id BLOB NOT NULL,
    PRIMARY KEY (campaign_id, user_id, territory_id),
    FOREIGN KEY (campaign_id, user_id) REFERENCES memberships(campaign_id, user_id) ON DELETE CASCADE,
    FOREIGN KEY (campaign_id, territory_id) REFERENCES territories(campaign_id, id)
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions(expires_at);

CREATE TABLE api_tokens (
    id         BLOB PRIMARY KEY,
    user_id    BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    expires_at TEXT,
    revoked_at TEXT
);

CREATE TABLE invites (
    campaign_id  BLOB NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    id           BLOB NOT NULL,
    code_hash    TEXT NOT NULL UNIQUE,
    created_by   BLOB REFERENCES users(id),
    role         TEXT NOT NULL CHECK (role IN ('trainer','walker')),
    territory_id BLOB NOT NULL,
    expires_at   TEXT NOT NULL,
    max_uses     INTEGER NOT NULL CHECK (max_uses > 0),
    uses         INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (campaign_id, id),
    FOREIGN KEY (campaign_id, territory_id) REFERENCES territories(campaign_id, id)
);

-- campaign_id is NULL for server-wide events (an account created by an administrator).
CREATE TABLE audit_log (
    id          BLOB PRIMARY KEY,
    campaign_id BLOB,
    at          TEXT NOT NULL,
    actor_id    BLOB,
    source      TEXT NOT NULL,
    action      TEXT NOT NULL,
    target      TEXT NOT NULL,
    detail      TEXT NOT NULL
);
CREATE INDEX audit_log_by_campaign ON audit_log(campaign_id, id);
