-- Portable SQL: this file runs unchanged on SQLite and PostgreSQL.
-- Integers are BIGINT (i64 on both), booleans are BIGINT 0/1, times are
-- RFC 3339 UTC text with microseconds (sortable as text).

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE sectors (
    id          TEXT PRIMARY KEY,
    position    BIGINT NOT NULL,
    name_en     TEXT NOT NULL,
    name_ja     TEXT NOT NULL,
    ministry_id TEXT,
    added       TEXT
);

CREATE TABLE subsectors (
    id        TEXT PRIMARY KEY,
    sector_id TEXT NOT NULL REFERENCES sectors(id),
    position  BIGINT NOT NULL,
    name_en   TEXT NOT NULL,
    name_ja   TEXT NOT NULL
);

CREATE TABLE organisations (
    id           TEXT PRIMARY KEY,
    name_en      TEXT NOT NULL,
    name_ja      TEXT NOT NULL,
    short        TEXT,
    kind         TEXT NOT NULL,
    sector_id    TEXT REFERENCES sectors(id),
    subsector_id TEXT REFERENCES subsectors(id),
    ministry_id  TEXT REFERENCES organisations(id),
    parent_id    TEXT REFERENCES organisations(id),
    tags         TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE UNIQUE INDEX organisations_name_en ON organisations (lower(name_en));
CREATE INDEX organisations_sector ON organisations (sector_id);

CREATE TABLE contacts (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    position      BIGINT NOT NULL,
    role          TEXT NOT NULL,
    name          TEXT NOT NULL,
    email         TEXT NOT NULL,
    phone         TEXT,
    deputy        BIGINT NOT NULL DEFAULT 0,
    last_verified TEXT
);
CREATE INDEX contacts_org ON contacts (org_id);

CREATE TABLE assets (
    org_id   TEXT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    kind     TEXT NOT NULL,
    value    TEXT NOT NULL,
    position BIGINT NOT NULL
);
CREATE INDEX assets_org ON assets (org_id);
-- One owner per prefix, ASN and domain; services are free text.
CREATE UNIQUE INDEX assets_claim ON assets (kind, value) WHERE kind <> 'service';

CREATE TABLE communities (
    id                     TEXT PRIMARY KEY,
    name_en                TEXT NOT NULL,
    name_ja                TEXT NOT NULL,
    kind                   TEXT NOT NULL,
    sector_id              TEXT REFERENCES sectors(id),
    members_only           BIGINT NOT NULL DEFAULT 0,
    confidentiality_notice BIGINT NOT NULL DEFAULT 0,
    audit_access           BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE community_members (
    community_id TEXT NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    org_id       TEXT NOT NULL REFERENCES organisations(id),
    position     BIGINT NOT NULL,
    PRIMARY KEY (community_id, org_id)
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    org_id        TEXT NOT NULL REFERENCES organisations(id),
    roles         TEXT NOT NULL,
    password_hash TEXT,
    disabled      BIGINT NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL
);

CREATE TABLE tokens (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id),
    token_hash   TEXT NOT NULL UNIQUE,
    label        TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT,
    revoked_at   TEXT
);
CREATE INDEX tokens_user ON tokens (user_id);

CREATE TABLE audit_log (
    seq           BIGINT PRIMARY KEY,
    at            TEXT NOT NULL,
    actor_user    TEXT NOT NULL,
    actor_org     TEXT NOT NULL,
    action        TEXT NOT NULL,
    entity        TEXT NOT NULL,
    entity_id     TEXT NOT NULL,
    before_digest TEXT,
    after_digest  TEXT,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL
);
