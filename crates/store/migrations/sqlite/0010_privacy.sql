-- Data protection (issue 10): one row per purge of a campaign's personal data, what it
-- removed (counts only), so that the record of processing activities can say when the last
-- purge ran. The personal data itself is anonymised in place or deleted by the purge.
CREATE TABLE privacy_purges (
    campaign_id BLOB NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    id          BLOB NOT NULL,
    at          TEXT NOT NULL,
    reason      TEXT NOT NULL CHECK (reason IN ('retention','manual')),
    counts      TEXT NOT NULL,
    PRIMARY KEY (campaign_id, id)
);
