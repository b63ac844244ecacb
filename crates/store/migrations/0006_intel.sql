-- Shared intelligence: STIX 2.1 objects in TAXII collections, with the handling
-- the access policy decides on, index keys for filtering in SQL, and TAXII status
-- resources. Objects are stored as the JSON they arrived in.

CREATE TABLE intel_collections (
    id           TEXT PRIMARY KEY,
    title        TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    community_id TEXT,
    default_tlp  TEXT NOT NULL,
    created_at   TEXT NOT NULL
);

CREATE TABLE intel_objects (
    seq           BIGINT PRIMARY KEY,
    collection_id TEXT NOT NULL REFERENCES intel_collections(id),
    object_id     TEXT NOT NULL,
    object_type   TEXT NOT NULL,
    spec_version  TEXT NOT NULL,
    -- The object's own version string (modified, else created, else date_added)
    -- and the same instant in one sortable form, for match[version].
    version       TEXT NOT NULL,
    version_key   TEXT NOT NULL,
    date_added    TEXT NOT NULL,
    is_latest     BIGINT NOT NULL,
    is_first      BIGINT NOT NULL,
    revoked       BIGINT NOT NULL,
    tlp           TEXT NOT NULL,
    community_id  TEXT,
    source_org    TEXT NOT NULL,
    handling      TEXT NOT NULL,
    body          TEXT NOT NULL,
    UNIQUE (collection_id, object_id, version_key)
);
CREATE INDEX intel_objects_by_id ON intel_objects (object_id, collection_id);
CREATE INDEX intel_objects_by_collection ON intel_objects (collection_id, seq);
CREATE INDEX intel_objects_by_type ON intel_objects (object_type, seq);

-- Who may be shown a row: keys from sakimori_core::policy::sharing.
CREATE TABLE intel_audience (
    audience TEXT NOT NULL,
    seq      BIGINT NOT NULL,
    PRIMARY KEY (audience, seq)
);
CREATE INDEX intel_audience_by_seq ON intel_audience (seq);

-- Observable values (addresses, domains, URLs, hashes) per object row: correlation.
CREATE TABLE intel_observables (
    value TEXT NOT NULL,
    seq   BIGINT NOT NULL,
    PRIMARY KEY (value, seq)
);
CREATE INDEX intel_observables_by_seq ON intel_observables (seq);

CREATE TABLE taxii_status (
    id            TEXT PRIMARY KEY,
    collection_id TEXT NOT NULL,
    requested_by  TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    body          TEXT NOT NULL
);

-- Where `sakimori intel pull` stopped, per peer collection: resumable.
CREATE TABLE intel_sync (
    peer          TEXT NOT NULL,
    collection_id TEXT NOT NULL,
    added_after   TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (peer, collection_id)
);
