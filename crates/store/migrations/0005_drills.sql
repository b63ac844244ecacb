-- CEPTOAR drills (セプター訓練): a provision drill down the tiers and a report
-- drill up the chain; each hop's acknowledgement is the reachability check.
CREATE TABLE drills (
    id          TEXT PRIMARY KEY,
    number      BIGINT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    scope       TEXT NOT NULL,
    title       TEXT NOT NULL,
    advisory_id TEXT REFERENCES advisories(id),
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL
);

ALTER TABLE reports ADD COLUMN drill_id TEXT REFERENCES drills(id);

CREATE TABLE drill_self_checks (
    drill_id   TEXT NOT NULL REFERENCES drills(id),
    org_id     TEXT NOT NULL REFERENCES organisations(id),
    answers    TEXT NOT NULL,
    at         TEXT NOT NULL,
    by_user    TEXT NOT NULL,
    PRIMARY KEY (drill_id, org_id)
);
