-- The paper fallback (issue 7): questionnaires filled in on paper and keyed in later by a
-- coordinator. A keyed-in sheet is a response like any other (it counts in quotas, weighting
-- and the diagnostic); `source` says how it came in. Who keyed it, when, and the sheet's
-- number live apart, in `paper_entries`: the keying coordinator is neither the respondent nor
-- the walker, and the sheet must be found again to correct a typing mistake. As for phone
-- responses, no address is kept.

ALTER TABLE responses ADD COLUMN source TEXT NOT NULL DEFAULT 'phone' CHECK (source IN ('phone','paper'));

CREATE TABLE paper_entries (
    campaign_id UUID NOT NULL,
    response_id UUID NOT NULL,
    -- Made by the browser for each sheet: submitting the same sheet twice stores it once.
    client_id   UUID NOT NULL,
    keyed_by    UUID NOT NULL,
    keyed_at    TIMESTAMPTZ NOT NULL,
    sheet_ref   TEXT NOT NULL,
    PRIMARY KEY (campaign_id, response_id),
    UNIQUE (campaign_id, client_id),
    FOREIGN KEY (campaign_id, response_id) REFERENCES responses(campaign_id, id) ON DELETE CASCADE
);
CREATE INDEX paper_entries_by_time ON paper_entries(campaign_id, keyed_at);
