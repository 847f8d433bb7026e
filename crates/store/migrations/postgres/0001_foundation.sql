-- Terrain foundation schema (PostgreSQL). Campaign-owned tables are keyed by campaign_id first.
-- Ids are UUIDv7; timestamps are TIMESTAMPTZ.

CREATE TABLE campaigns (
    id              UUID PRIMARY KEY,
    slug            TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    retention_until DATE,
    created_at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE territories (
    campaign_id UUID NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    id          UUID NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('region','department','commune','arrondissement','bureau','iris')),
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    parent_id   UUID,
    path        TEXT NOT NULL,
    PRIMARY KEY (campaign_id, id),
    UNIQUE (campaign_id, kind, code),
    UNIQUE (campaign_id, path),
    FOREIGN KEY (campaign_id, parent_id) REFERENCES territories(campaign_id, id)
);
CREATE INDEX territories_by_parent ON territories(campaign_id, parent_id);

CREATE TABLE addresses (
    campaign_id     UUID NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    id              UUID NOT NULL,
    ban_id          TEXT,
    number          TEXT,
    rep             TEXT,
    street          TEXT NOT NULL,
    postcode        TEXT,
    commune         TEXT NOT NULL,
    lon             DOUBLE PRECISION NOT NULL,
    lat             DOUBLE PRECISION NOT NULL,
    bureau_id       UUID,
    iris_id         UUID,
    doors_estimated BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, id),
    UNIQUE (campaign_id, ban_id),
    FOREIGN KEY (campaign_id, bureau_id) REFERENCES territories(campaign_id, id),
    FOREIGN KEY (campaign_id, iris_id) REFERENCES territories(campaign_id, id)
);
CREATE INDEX addresses_by_bureau ON addresses(campaign_id, bureau_id);
CREATE INDEX addresses_by_iris ON addresses(campaign_id, iris_id);

CREATE TABLE buildings (
    campaign_id UUID NOT NULL,
    id          UUID NOT NULL,
    address_id  UUID NOT NULL,
    label       TEXT NOT NULL,
    doors       INTEGER NOT NULL CHECK (doors >= 0),
    PRIMARY KEY (campaign_id, id),
    FOREIGN KEY (campaign_id, address_id) REFERENCES addresses(campaign_id, id) ON DELETE CASCADE
);
CREATE INDEX buildings_by_address ON buildings(campaign_id, address_id);

CREATE TABLE units (
    campaign_id UUID NOT NULL,
    id          UUID NOT NULL,
    building_id UUID NOT NULL,
    floor       INTEGER,
    label       TEXT NOT NULL,
    PRIMARY KEY (campaign_id, id),
    FOREIGN KEY (campaign_id, building_id) REFERENCES buildings(campaign_id, id) ON DELETE CASCADE
);
CREATE INDEX units_by_building ON units(campaign_id, building_id);

-- Identity is server-wide: one person may work on several campaigns.
CREATE TABLE users (
    id            UUID PRIMARY KEY,
    email         TEXT UNIQUE,
    display_name  TEXT NOT NULL,
    password_hash TEXT,
    is_admin      BOOLEAN NOT NULL DEFAULT FALSE,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE memberships (
    campaign_id  UUID NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    user_id      UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role         TEXT NOT NULL CHECK (role IN ('director','coordinator','trainer','walker')),
    recruited_by UUID REFERENCES users(id),
    trained_by   UUID REFERENCES users(id),
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (campaign_id, user_id)
);

CREATE TABLE membership_territories (
    campaign_id  UUID NOT NULL,
    user_id      UUID NOT NULL,
    territory_id UUID NOT NULL,
    PRIMARY KEY (campaign_id, user_id, territory_id),
    FOREIGN KEY (campaign_id, user_id) REFERENCES memberships(campaign_id, user_id) ON DELETE CASCADE,
    FOREIGN KEY (campaign_id, territory_id) REFERENCES territories(campaign_id, id)
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions(expires_at);

CREATE TABLE api_tokens (
    id         UUID PRIMARY KEY,
    user_id    UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);

CREATE TABLE invites (
    campaign_id  UUID NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    id           UUID NOT NULL,
    code_hash    TEXT NOT NULL UNIQUE,
    created_by   UUID REFERENCES users(id),
    role         TEXT NOT NULL CHECK (role IN ('trainer','walker')),
    territory_id UUID NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    max_uses     INTEGER NOT NULL CHECK (max_uses > 0),
    uses         INTEGER NOT NULL DEFAULT 0,
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (campaign_id, id),
    FOREIGN KEY (campaign_id, territory_id) REFERENCES territories(campaign_id, id)
);

-- campaign_id is NULL for server-wide events (an account created by an administrator).
CREATE TABLE audit_log (
    id          UUID PRIMARY KEY,
    campaign_id UUID,
    at          TIMESTAMPTZ NOT NULL,
    actor_id    UUID,
    source      TEXT NOT NULL,
    action      TEXT NOT NULL,
    target      TEXT NOT NULL,
    detail      JSONB NOT NULL
);
CREATE INDEX audit_log_by_campaign ON audit_log(campaign_id, id);
