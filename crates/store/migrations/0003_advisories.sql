-- Advisories down the chain (情報提供・注意喚起) and their per-tier deliveries.

CREATE TABLE advisories (
    id          TEXT PRIMARY KEY,
    number      BIGINT NOT NULL UNIQUE,
    author_org  TEXT NOT NULL REFERENCES organisations(id),
    author_user TEXT NOT NULL,
    tlp         TEXT NOT NULL,
    category    TEXT NOT NULL,
    urgency     TEXT NOT NULL,
    drill       BIGINT NOT NULL DEFAULT 0,
    fields      TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE advisory_deliveries (
    advisory_id     TEXT NOT NULL REFERENCES advisories(id),
    org_id          TEXT NOT NULL REFERENCES organisations(id),
    tier            TEXT NOT NULL,
    via             TEXT,
    delivered_at    TEXT,
    read_at         TEXT,
    acknowledged_at TEXT,
    acknowledged_by TEXT,
    relayed_at      TEXT,
    relay_note      TEXT,
    reminded_at     TEXT,
    escalated_at    TEXT,
    PRIMARY KEY (advisory_id, org_id)
);
CREATE INDEX advisory_deliveries_org ON advisory_deliveries (org_id);
CREATE INDEX advisory_deliveries_via ON advisory_deliveries (advisory_id, via);
