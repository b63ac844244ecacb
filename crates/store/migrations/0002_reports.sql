-- Incident reports up the chain (情報連絡), incidents, severity evaluations,
-- the operating mode, and the notification outbox. Portable SQL (see 0001).

CREATE TABLE incidents (
    id         TEXT PRIMARY KEY,
    number     BIGINT NOT NULL UNIQUE,
    title      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);

CREATE TABLE reports (
    id              TEXT PRIMARY KEY,
    number          BIGINT NOT NULL UNIQUE,
    reporter_org    TEXT NOT NULL REFERENCES organisations(id),
    reporter_user   TEXT NOT NULL,
    idempotency_key TEXT,
    version         BIGINT NOT NULL,
    status          TEXT NOT NULL,
    summary         TEXT NOT NULL,
    detected_at     TEXT NOT NULL,
    fiscal_year     BIGINT NOT NULL,
    fiscal_quarter  BIGINT NOT NULL,
    sector_id       TEXT,
    mode            TEXT NOT NULL,
    drill           BIGINT NOT NULL DEFAULT 0,
    incident_id     TEXT REFERENCES incidents(id),
    fields          TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE UNIQUE INDEX reports_idempotency ON reports (reporter_org, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX reports_fy ON reports (fiscal_year, fiscal_quarter);
CREATE INDEX reports_reporter ON reports (reporter_org);

CREATE TABLE report_versions (
    report_id   TEXT NOT NULL REFERENCES reports(id),
    version     BIGINT NOT NULL,
    at          TEXT NOT NULL,
    author_user TEXT NOT NULL,
    author_org  TEXT NOT NULL,
    changed     TEXT NOT NULL,
    fields      TEXT NOT NULL,
    PRIMARY KEY (report_id, version)
);

CREATE TABLE report_recipients (
    report_id       TEXT NOT NULL REFERENCES reports(id),
    org_id          TEXT NOT NULL REFERENCES organisations(id),
    priority        BIGINT NOT NULL,
    urgency         TEXT NOT NULL,
    rule            TEXT NOT NULL,
    delivered_at    TEXT NOT NULL,
    read_at         TEXT,
    acknowledged_at TEXT,
    acknowledged_by TEXT,
    PRIMARY KEY (report_id, org_id)
);
CREATE INDEX report_recipients_org ON report_recipients (org_id);

CREATE TABLE report_comments (
    id          TEXT PRIMARY KEY,
    report_id   TEXT NOT NULL REFERENCES reports(id),
    at          TEXT NOT NULL,
    author_user TEXT NOT NULL,
    author_org  TEXT NOT NULL,
    body        TEXT NOT NULL
);
CREATE INDEX report_comments_report ON report_comments (report_id);

CREATE TABLE report_attachments (
    id         TEXT PRIMARY KEY,
    report_id  TEXT NOT NULL REFERENCES reports(id),
    name       TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size       BIGINT NOT NULL,
    sha256     TEXT NOT NULL,
    content    BYTEA NOT NULL,
    at         TEXT NOT NULL,
    author_org TEXT NOT NULL
);
CREATE INDEX report_attachments_report ON report_attachments (report_id);

CREATE TABLE severity_evaluations (
    id           TEXT PRIMARY KEY,
    subject_kind TEXT NOT NULL,
    subject_id   TEXT NOT NULL,
    kind         TEXT NOT NULL,
    overall      BIGINT NOT NULL,
    inputs       TEXT NOT NULL,
    result       TEXT NOT NULL,
    author_user  TEXT NOT NULL,
    author_org   TEXT NOT NULL,
    at           TEXT NOT NULL
);
CREATE INDEX severity_subject ON severity_evaluations (subject_kind, subject_id);

-- The operating mode per scope: 'national' or a sector id.
CREATE TABLE modes (
    scope   TEXT PRIMARY KEY,
    mode    TEXT NOT NULL,
    since   TEXT NOT NULL,
    by_user TEXT NOT NULL
);

CREATE TABLE org_webhooks (
    org_id TEXT PRIMARY KEY REFERENCES organisations(id),
    url    TEXT NOT NULL,
    secret TEXT NOT NULL
);

-- Notifications to send, written in the same transaction as their cause.
CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,
    channel         TEXT NOT NULL,
    target          TEXT NOT NULL,
    subject         TEXT NOT NULL,
    payload         TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    sent_at         TEXT,
    last_error      TEXT
);
CREATE INDEX outbox_pending ON outbox (sent_at, next_attempt_at);
