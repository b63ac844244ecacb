-- The GSOC triage pipeline: events requiring confirmation, the batches already
-- processed (so that a batch delivered twice changes nothing), counts per
-- sensor and day, and analysts' suppressions.

CREATE TABLE sensor_events (
    id             TEXT PRIMARY KEY,
    number         BIGINT NOT NULL UNIQUE,
    source         TEXT NOT NULL,
    technique      TEXT NOT NULL,
    -- The organisation owning the targeted or infected address; '' when nobody
    -- registered it (kept non-null so that the key is one equality).
    target_org     TEXT NOT NULL,
    state          TEXT NOT NULL,
    first_seen     TEXT NOT NULL,
    last_seen      TEXT NOT NULL,
    count          BIGINT NOT NULL,
    severity       BIGINT,
    -- JSON: sensors, targets, indicators, evidence.
    detail         TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    decided_by     TEXT,
    decided_at     TEXT,
    decision_note  TEXT,
    tlp            TEXT,
    advisory_id    TEXT,
    report_id      TEXT,
    suppression_id TEXT
);
CREATE INDEX sensor_events_by_key ON sensor_events (source, technique, target_org, state);
CREATE INDEX sensor_events_by_state ON sensor_events (state, last_seen);
CREATE INDEX sensor_events_by_org ON sensor_events (target_org, last_seen);

CREATE TABLE sensor_batches (
    id           TEXT PRIMARY KEY,
    sensor       TEXT NOT NULL,
    records      BIGINT NOT NULL,
    processed_at TEXT NOT NULL
);

CREATE TABLE sensor_stats (
    day         TEXT NOT NULL,
    sensor      TEXT NOT NULL,
    site        TEXT NOT NULL,
    records     BIGINT NOT NULL,
    malformed   BIGINT NOT NULL,
    failed      BIGINT NOT NULL,
    scanner     BIGINT NOT NULL,
    warninglist BIGINT NOT NULL,
    suppressed  BIGINT NOT NULL,
    matched     BIGINT NOT NULL,
    candidates  BIGINT NOT NULL,
    last_seen   TEXT NOT NULL,
    PRIMARY KEY (day, sensor, site)
);

CREATE TABLE sensor_suppressions (
    id         TEXT PRIMARY KEY,
    body       TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    removed_at TEXT
);
