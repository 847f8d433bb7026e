-- The coder role (issue 9): members who code open answers and do nothing else.
--
-- SQLite cannot alter a CHECK constraint: memberships is rebuilt. The migration runs in a
-- transaction with foreign keys enforced, so dropping memberships would cascade into
-- membership_territories (ON DELETE CASCADE): the territories are set aside first, their table
-- dropped and made anew after, exactly as 0001 made it.
CREATE TEMPORARY TABLE saved_membership_territories AS
    SELECT campaign_id, user_id, territory_id FROM membership_territories;
DROP TABLE membership_territories;

CREATE TABLE memberships_new (
    campaign_id  BLOB NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    user_id      BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role         TEXT NOT NULL CHECK (role IN ('director','coordinator','trainer','walker','coder')),
    recruited_by BLOB REFERENCES users(id),
    trained_by   BLOB REFERENCES users(id),
    created_at   TEXT NOT NULL,
    PRIMARY KEY (campaign_id, user_id)
);
INSERT INTO memberships_new (campaign_id, user_id, role, recruited_by, trained_by, created_at)
    SELECT campaign_id, user_id, role, recruited_by, trained_by, created_at FROM memberships;
DROP TABLE memberships;
ALTER TABLE memberships_new RENAME TO memberships;

CREATE TABLE membership_territories (
    campaign_id  BLOB NOT NULL,
    user_id      BLOB NOT NULL,
    territory_id BLOB NOT NULL,
    PRIMARY KEY (campaign_id, user_id, territory_id),
    FOREIGN KEY (campaign_id, user_id) REFERENCES memberships(campaign_id, user_id) ON DELETE CASCADE,
    FOREIGN KEY (campaign_id, territory_id) REFERENCES territories(campaign_id, id)
);
INSERT INTO membership_territories (campaign_id, user_id, territory_id)
    SELECT campaign_id, user_id, territory_id FROM saved_membership_territories;
DROP TABLE saved_membership_territories;
