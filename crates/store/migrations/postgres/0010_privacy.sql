-- Data protection (issue 10): one row per purge of a campaign's personal data, what it
-- removed (counts only), so that the record of processing activities can say when the last
-- purge ran. The personal data itself is anonymised in place or deleted by the purge.
CREATE TABLE privacy_purges (
    campaign_id UUID NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    id          UUID NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    reason      TEXT NOT NULL CHECK (reason IN ('retention','manual')),
    counts      JSONB NOT NULL,
    PRIMARY KEY (campaign_id, id)
);
