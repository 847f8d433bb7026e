-- Volunteers, trainings, teams and canvassing sessions ("sorties") — issue 6 (SQLite).
-- Every table is keyed by campaign_id first, like the rest of the schema.

-- Campaign-wide rules about volunteers (a row appears when a director changes them).
CREATE TABLE volunteer_settings (
    campaign_id            BLOB PRIMARY KEY REFERENCES campaigns(id) ON DELETE CASCADE,
    turfs_require_training INTEGER NOT NULL DEFAULT 1,
    signup_open            INTEGER NOT NULL DEFAULT 1,
    updated_at             TEXT NOT NULL
);

-- Territories whose coordinator switched the team leaderboard off.
CREATE TABLE leaderboard_hidden (
    campaign_id  BLOB NOT NULL,
    territory_id BLOB NOT NULL,
    hidden_by    BLOB REFERENCES users(id) ON DELETE SET NULL,
    hidden_at    TEXT NOT NULL,
    PRIMARY KEY (campaign_id, territory_id),
    FOREIGN KEY (campaign_id, territory_id) REFERENCES territories(campaign_id, id) ON DELETE CASCADE
);

-- Postcodes of communes and arrondissements (from the COG), to place sign-ups.
CREATE TABLE territory_postcodes (
    campaign_id  BLOB NOT NULL,
    postcode     TEXT NOT NULL,
    territory_id BLOB NOT NULL,
    PRIMARY KEY (campaign_id, postcode, territory_id),
    FOREIGN KEY (campaign_id, territory_id) REFERENCES territories(campaign_id, id) ON DELETE CASCADE
);

-- A volunteer's record: a public sign-up or a member. Members' records have their user id as id.
-- email_key/phone_key are the comparable forms that reveal a person signed up twice.
CREATE TABLE volunteers (
    campaign_id     BLOB NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    id              BLOB NOT NULL,
    user_id         BLOB REFERENCES users(id) ON DELETE SET NULL,
    display_name    TEXT NOT NULL,
    email           TEXT,
    email_key       TEXT,
    phone           TEXT,
    phone_key       TEXT,
    postcode        TEXT,
    territory_id    BLOB,
    placement       TEXT NOT NULL CHECK (placement IN ('postcode','arrondissement','addresses','member','manual','unplaced')),
    availability    INTEGER NOT NULL DEFAULT 0,
    consent_contact INTEGER NOT NULL DEFAULT 0,
    consent_at      TEXT,
    status          TEXT NOT NULL CHECK (status IN ('signed_up','contacted','trained','active','inactive')),
    status_at       TEXT NOT NULL,
    source          TEXT NOT NULL CHECK (source IN ('signup','member')),
    recruited_by    BLOB REFERENCES users(id) ON DELETE SET NULL,
    duplicate_of    BLOB,
    trained_at      TEXT,
    created_at      TEXT NOT NULL,
    PRIMARY KEY (campaign_id, id),
    UNIQUE (campaign_id, user_id),
    FOREIGN KEY (campaign_id, territory_id) REFERENCES territories(campaign_id, id),
    FOREIGN KEY (campaign_id, duplicate_of) REFERENCES volunteers(campaign_id, id)
);
CREATE INDEX volunteers_by_territory ON volunteers(campaign_id, territory_id);
CREATE INDEX volunteers_by_status ON volunteers(campaign_id, status);
CREATE INDEX volunteers_by_email_key ON volunteers(campaign_id, email_key);
CREATE INDEX volunteers_by_phone_key ON volunteers(campaign_id, phone_key);

-- An invite made for one sign-up: whoever redeems it is that volunteer.
CREATE TABLE volunteer_invites (
    campaign_id  BLOB NOT NULL,
    invite_id    BLOB NOT NULL,
    volunteer_id BLOB NOT NULL,
    PRIMARY KEY (campaign_id, invite_id),
    FOREIGN KEY (campaign_id, invite_id) REFERENCES invites(campaign_id, id) ON DELETE CASCADE,
    FOREIGN KEY (campaign_id, volunteer_id) REFERENCES volunteers(campaign_id, id) ON DELETE CASCADE
);

CREATE TABLE trainings (
    campaign_id  BLOB NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    id           BLOB NOT NULL,
    territory_id BLOB NOT NULL,
    title        TEXT NOT NULL,
    starts_at    TEXT NOT NULL,
    ends_at      TEXT NOT NULL,
    place        TEXT,
    video_url    TEXT,
    capacity     INTEGER NOT NULL CHECK (capacity > 0),
    -- The role-play checklist, a JSON array of strings.
    programme    TEXT NOT NULL,
    trainer_id   BLOB REFERENCES users(id) ON DELETE SET NULL,
    created_by   BLOB REFERENCES users(id) ON DELETE SET NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (campaign_id, id),
    FOREIGN KEY (campaign_id, territory_id) REFERENCES territories(campaign_id, id),
    CHECK (ends_at > starts_at)
);
CREATE INDEX trainings_by_start ON trainings(campaign_id, starts_at);

CREATE TABLE training_registrations (
    campaign_id   BLOB NOT NULL,
    training_id   BLOB NOT NULL,
    volunteer_id  BLOB NOT NULL,
    registered_at TEXT NOT NULL,
    attended      INTEGER,
    -- The programme items validated, a JSON array of strings.
    skills        TEXT NOT NULL DEFAULT '[]',
    validated_at  TEXT,
    validated_by  BLOB REFERENCES users(id) ON DELETE SET NULL,
    PRIMARY KEY (campaign_id, training_id, volunteer_id),
    FOREIGN KEY (campaign_id, training_id) REFERENCES trainings(campaign_id, id) ON DELETE CASCADE,
    FOREIGN KEY (campaign_id, volunteer_id) REFERENCES volunteers(campaign_id, id) ON DELETE CASCADE
);
CREATE INDEX training_registrations_by_volunteer ON training_registrations(campaign_id, volunteer_id);

CREATE TABLE teams (
    campaign_id  BLOB NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    id           BLOB NOT NULL,
    name         TEXT NOT NULL,
    territory_id BLOB NOT NULL,
    created_by   BLOB REFERENCES users(id) ON DELETE SET NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (campaign_id, id),
    UNIQUE (campaign_id, territory_id, name),
    FOREIGN KEY (campaign_id, territory_id) REFERENCES territories(campaign_id, id)
);

CREATE TABLE team_members (
    campaign_id  BLOB NOT NULL,
    team_id      BLOB NOT NULL,
    volunteer_id BLOB NOT NULL,
    added_at     TEXT NOT NULL,
    PRIMARY KEY (campaign_id, team_id, volunteer_id),
    FOREIGN KEY (campaign_id, team_id) REFERENCES teams(campaign_id, id) ON DELETE CASCADE,
    FOREIGN KEY (campaign_id, volunteer_id) REFERENCES volunteers(campaign_id, id) ON DELETE CASCADE
);
CREATE INDEX team_members_by_volunteer ON team_members(campaign_id, volunteer_id);

-- A canvassing session: when, where to meet, which areas, who goes.
CREATE TABLE sorties (
    campaign_id   BLOB NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    id            BLOB NOT NULL,
    territory_id  BLOB NOT NULL,
    title         TEXT NOT NULL,
    starts_at     TEXT NOT NULL,
    ends_at       TEXT NOT NULL,
    meeting_point TEXT NOT NULL,
    meeting_lon   REAL,
    meeting_lat   REAL,
    team_id       BLOB,
    open_signup   INTEGER NOT NULL,
    min_per_area  INTEGER NOT NULL CHECK (min_per_area >= 1),
    notes         TEXT,
    created_by    BLOB REFERENCES users(id) ON DELETE SET NULL,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (campaign_id, id),
    FOREIGN KEY (campaign_id, territory_id) REFERENCES territories(campaign_id, id),
    FOREIGN KEY (campaign_id, team_id) REFERENCES teams(campaign_id, id),
    CHECK (ends_at > starts_at)
);
CREATE INDEX sorties_by_start ON sorties(campaign_id, starts_at);

-- The areas (bureaux de vote…) a sortie covers. The extension point of the turfs issue: the
-- turfs walked in each area hang off (campaign_id, sortie_id, territory_id).
CREATE TABLE sortie_areas (
    campaign_id  BLOB NOT NULL,
    sortie_id    BLOB NOT NULL,
    territory_id BLOB NOT NULL,
    PRIMARY KEY (campaign_id, sortie_id, territory_id),
    FOREIGN KEY (campaign_id, sortie_id) REFERENCES sorties(campaign_id, id) ON DELETE CASCADE,
    FOREIGN KEY (campaign_id, territory_id) REFERENCES territories(campaign_id, id)
);

CREATE TABLE sortie_participants (
    campaign_id  BLOB NOT NULL,
    sortie_id    BLOB NOT NULL,
    volunteer_id BLOB NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('invited','accepted','declined')),
    area_id      BLOB,
    attended     INTEGER,
    responded_at TEXT,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (campaign_id, sortie_id, volunteer_id),
    FOREIGN KEY (campaign_id, sortie_id) REFERENCES sorties(campaign_id, id) ON DELETE CASCADE,
    FOREIGN KEY (campaign_id, volunteer_id) REFERENCES volunteers(campaign_id, id) ON DELETE CASCADE,
    FOREIGN KEY (campaign_id, sortie_id, area_id) REFERENCES sortie_areas(campaign_id, sortie_id, territory_id)
);
CREATE INDEX sortie_participants_by_volunteer ON sortie_participants(campaign_id, volunteer_id);

-- Secret iCalendar feed URLs (only the hash of the secret is kept), per volunteer or per team.
CREATE TABLE calendar_feeds (
    campaign_id  BLOB NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    id           BLOB NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    volunteer_id BLOB,
    team_id      BLOB,
    created_at   TEXT NOT NULL,
    revoked_at   TEXT,
    PRIMARY KEY (campaign_id, id),
    FOREIGN KEY (campaign_id, volunteer_id) REFERENCES volunteers(campaign_id, id) ON DELETE CASCADE,
    FOREIGN KEY (campaign_id, team_id) REFERENCES teams(campaign_id, id) ON DELETE CASCADE,
    CHECK ((volunteer_id IS NULL) <> (team_id IS NULL))
);
