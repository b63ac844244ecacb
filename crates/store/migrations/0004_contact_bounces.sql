-- A contact whose address the relay refused permanently is marked, so that
-- drills and the registry show it as stale.
ALTER TABLE contacts ADD COLUMN bounced_at TEXT;
