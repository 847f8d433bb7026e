-- Questionnaires and field work (issue 7): questionnaire versions, the phones that upload,
-- one receipt per uploaded record (what makes uploads exactly-once), door visits (append-only
-- events), questionnaire responses (kept against their bureau/IRIS and the respondent's
-- profile, never against an address), recontact details (apart, only with consent), doors
-- that must not be knocked on again, and walkers' corrections of door counts.

CREATE TABLE questionnaires (
    campaign_id BLOB NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    id          BLOB NOT NULL,
    name        TEXT NOT NULL,
    created_by  BLOB,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (campaign_id, id)
);

-- A published version is never edited: saving a change to it makes the next draft.
CREATE TABLE questionnaire_versions (
    campaign_id      BLOB NOT NULL,
    id               BLOB NOT NULL,
    questionnaire_id BLOB NOT NULL,
    number           INTEGER NOT NULL CHECK (number > 0),
    status           TEXT NOT NULL CHECK (status IN ('draft','published','retired')),
    definition       TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    published_at     TEXT,
    PRIMARY KEY (campaign_id, id),
    UNIQUE (campaign_id, questionnaire_id, number),
    FOREIGN KEY (campaign_id, questionnaire_id) REFERENCES questionnaires(campaign_id, id) ON DELETE CASCADE
);

-- A phone, named by the id it made itself, bound to the first user who uploads from it.
CREATE TABLE field_devices (
    campaign_id BLOB NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    id          BLOB NOT NULL,
    user_id     BLOB NOT NULL,
    first_seen  TEXT NOT NULL,
    last_seen   TEXT NOT NULL,
    PRIMARY KEY (campaign_id, id)
);

-- One row per record ever accepted, whatever its kind: a replayed record finds its receipt and
-- is acknowledged again without being stored twice.
CREATE TABLE field_receipts (
    campaign_id BLOB NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    id          BLOB NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('visit','response','unit','door_count')),
    user_id     BLOB NOT NULL,
    device_id   BLOB NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (campaign_id, id)
);

CREATE TABLE visits (
    campaign_id BLOB NOT NULL,
    id          BLOB NOT NULL,
    user_id     BLOB NOT NULL,
    address_id  BLOB NOT NULL,
    building_id BLOB NOT NULL,
    unit_id     BLOB,
    door_number INTEGER,
    outcome     TEXT NOT NULL CHECK (outcome IN ('not_home','refused','conversation','questionnaire_done','come_back_later','do_not_knock')),
    at          TEXT NOT NULL,
    received_at TEXT NOT NULL,
    bureau_id   BLOB,
    iris_id     BLOB,
    turf_id     BLOB,
    lon         REAL,
    lat         REAL,
    PRIMARY KEY (campaign_id, id),
    FOREIGN KEY (campaign_id, address_id) REFERENCES addresses(campaign_id, id) ON DELETE CASCADE,
    FOREIGN KEY (campaign_id, building_id) REFERENCES buildings(campaign_id, id) ON DELETE CASCADE
);
CREATE INDEX visits_by_building ON visits(campaign_id, building_id);
CREATE INDEX visits_by_bureau ON visits(campaign_id, bureau_id);

-- No address here: the bureau and IRIS it was collected in, the day (not the hour), the profile.
-- Nor the walker, nor the phone's record id (a UUIDv7 carries the minute it was made, which
-- would point back at the door visited then): the id is random, made by the server; the
-- record's receipt (field_receipts) proves it arrived but does not point here.
CREATE TABLE responses (
    campaign_id       BLOB NOT NULL,
    id                BLOB NOT NULL,
    version_id        BLOB NOT NULL,
    bureau_id         BLOB,
    iris_id           BLOB,
    collected_on      TEXT NOT NULL,
    sex               TEXT,
    age_band          TEXT,
    occupation        TEXT,
    postcode          TEXT,
    recontact_consent INTEGER NOT NULL,
    answers           TEXT NOT NULL,
    PRIMARY KEY (campaign_id, id),
    FOREIGN KEY (campaign_id, version_id) REFERENCES questionnaire_versions(campaign_id, id)
);
CREATE INDEX responses_by_version ON responses(campaign_id, version_id);
CREATE INDEX responses_by_bureau ON responses(campaign_id, bureau_id);

-- Only for respondents who agreed to be contacted again, with what they agreed to.
CREATE TABLE recontacts (
    campaign_id  BLOB NOT NULL,
    response_id  BLOB NOT NULL,
    name         TEXT NOT NULL,
    phone        TEXT,
    email        TEXT,
    address_id   BLOB,
    statement    TEXT NOT NULL,
    consented_at TEXT NOT NULL,
    PRIMARY KEY (campaign_id, response_id),
    FOREIGN KEY (campaign_id, response_id) REFERENCES responses(campaign_id, id) ON DELETE CASCADE
);

CREATE TABLE door_flags (
    campaign_id BLOB NOT NULL,
    building_id BLOB NOT NULL,
    door_key    TEXT NOT NULL,
    flag        TEXT NOT NULL CHECK (flag IN ('do_not_knock')),
    visit_id    BLOB NOT NULL,
    set_at      TEXT NOT NULL,
    PRIMARY KEY (campaign_id, building_id, door_key),
    FOREIGN KEY (campaign_id, building_id) REFERENCES buildings(campaign_id, id) ON DELETE CASCADE
);

-- Every correction is kept; the building's count is the latest one (by the phone's clock).
CREATE TABLE door_counts (
    campaign_id BLOB NOT NULL,
    id          BLOB NOT NULL,
    building_id BLOB NOT NULL,
    doors       INTEGER NOT NULL CHECK (doors >= 0),
    at          TEXT NOT NULL,
    user_id     BLOB NOT NULL,
    PRIMARY KEY (campaign_id, id),
    FOREIGN KEY (campaign_id, building_id) REFERENCES buildings(campaign_id, id) ON DELETE CASCADE
);
CREATE INDEX door_counts_by_building ON door_counts(campaign_id, building_id);
