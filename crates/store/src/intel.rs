//! Shared intelligence in the database (脅威情報の共有): STIX 2.1 objects in TAXII
//! collections, each version with the handling the access policy decides on.
//!
//! Reads select rows by the index keys of `policy::sharing` in SQL and then ask
//! `policy::sharing::visibility` for every row that comes back, which also says
//! whether the viewer gets the object in full or anonymised. Writes validate each
//! object, keep the versions ordered (`is_latest`, `is_first`), record the index
//! keys and the observable values used for correlation, and are audited in the
//! same transaction. `date_added` strictly increases, so TAXII paging by
//! `added_after` and by `next` never skips or repeats an object.

use crate::{now, Result, Store, StoreError, Write};
use sakimori_core::policy::sharing::{
    anonymise, audience_keys, viewer_keys, visibility, CommunityFacts, Handling, Viewer, Visibility,
};
use sakimori_core::policy::{allows, Permission};
use sakimori_core::stix::{self, Checked};
use sakimori_core::tlp::Tlp;
use sakimori_core::Actor;
use serde::Serialize;
use serde_json::Value;
use sqlx::FromRow;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The collection every viewer has: all the objects they may see, wherever
/// they were shared. Read-only.
pub const INBOX_COLLECTION: &str = "a9d2c1f0-5a4e-4c1b-9f3e-000000000001";
/// The platform-wide collection (no community): TLP:GREEN there reaches everyone.
pub const SHARED_COLLECTION: &str = "a9d2c1f0-5a4e-4c1b-9f3e-000000000002";

/// A TAXII collection: a place objects are shared into, tied to a community.
#[derive(Debug, Clone, Serialize, FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Collection {
    pub id: String,
    pub title: String,
    pub description: String,
    /// The community its objects are shared in; `None`: the whole platform.
    pub community_id: Option<String>,
    pub default_tlp: String,
    pub created_at: String,
}

/// The facts about communities and organisations the sharing policy needs.
#[derive(Debug, Clone, Default)]
pub struct SharingFacts {
    pub communities: HashMap<String, CommunityFacts>,
    /// Names (English and Japanese) per organisation, removed by anonymisation.
    pub org_names: HashMap<String, Vec<String>>,
    pub notices: HashMap<String, bool>,
}

impl SharingFacts {
    /// The communities an organisation is a member of.
    pub fn memberships(&self, org: &str) -> BTreeSet<String> {
        self.communities
            .values()
            .filter(|c| c.members.contains(org))
            .map(|c| c.id.clone())
            .collect()
    }

    pub fn community(&self, h: &Handling) -> Option<&CommunityFacts> {
        h.community.as_ref().and_then(|c| self.communities.get(c))
    }
}

/// How the sharer asks for objects to be handled; absent parts come from the
/// objects' own markings and the collection.
#[derive(Debug, Clone, Default, serde::Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ShareOptions {
    #[serde(default)]
    pub tlp: Option<Tlp>,
    /// TLP:AMBER / AMBER+STRICT recipients: organisation ids, or `community:ID`.
    #[serde(default)]
    pub recipients: Vec<String>,
    /// TLP:RED: the named users.
    #[serde(default)]
    pub recipient_users: Vec<String>,
}

/// One object's outcome in an add (TAXII status semantics).
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ObjectOutcome {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// A TAXII 2.1 status resource.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AddStatus {
    pub id: String,
    pub status: String,
    pub request_timestamp: String,
    pub total_count: usize,
    pub success_count: usize,
    pub successes: Vec<ObjectOutcome>,
    pub failure_count: usize,
    pub failures: Vec<ObjectOutcome>,
    pub pending_count: usize,
    pub pendings: Vec<ObjectOutcome>,
}

/// Which versions of an object a read returns (`match[version]`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum VersionMatch {
    #[default]
    Last,
    First,
    All,
    /// Specific versions, as STIX timestamps.
    At(Vec<String>),
}

impl VersionMatch {
    pub fn parse(s: &str) -> std::result::Result<VersionMatch, String> {
        let mut at = Vec::new();
        let (mut last, mut first, mut all) = (false, false, false);
        for part in s.split(',').map(str::trim) {
            match part {
                "last" => last = true,
                "first" => first = true,
                "all" => all = true,
                t => at.push(stix::parse_timestamp(t).map(version_key).ok_or_else(|| {
                    format!("match[version]: {t:?} is not last, first, all or a timestamp")
                })?),
            }
        }
        Ok(match (all, first, last, at.is_empty()) {
            (true, ..) => VersionMatch::All,
            (_, true, false, true) => VersionMatch::First,
            (_, false, _, true) => VersionMatch::Last,
            // Mixed lists are answered with every version, filtered below.
            _ => VersionMatch::At(at),
        })
    }
}

/// The filters of a read (TAXII `match[...]`, `added_after`, `limit`, `next`,
/// and a text search for the REST API and the console).
#[derive(Debug, Clone, Default)]
pub struct ObjectFilter {
    pub added_after: Option<String>,
    pub ids: Vec<String>,
    pub types: Vec<String>,
    pub versions: VersionMatch,
    pub spec_versions: Vec<String>,
    /// Continue after this row (`next`).
    pub after_seq: Option<i64>,
    pub limit: usize,
    /// Case-insensitive substring of the object's JSON.
    pub text: Option<String>,
    /// Also objects revoked in their latest version (TAXII: yes; search: no).
    pub include_revoked: bool,
    /// Newest first (`after_seq` then continues towards older rows).
    pub newest_first: bool,
}

/// One object version as a viewer may see it.
#[derive(Debug, Clone, Serialize)]
pub struct ObjectRow {
    #[serde(skip)]
    pub seq: i64,
    pub collection_id: String,
    pub id: String,
    pub version: String,
    pub date_added: String,
    pub handling: Handling,
    pub visibility: Visibility,
    /// The object as the viewer may see it (anonymised when so decided).
    pub object: Value,
}

/// A page of rows and whether more follow.
#[derive(Debug, Clone, Serialize)]
pub struct ObjectPage {
    pub rows: Vec<ObjectRow>,
    pub more: bool,
    /// The `next` cursor: the last row considered.
    pub next: Option<i64>,
    /// Confidentiality notices of the communities whose objects are on the page.
    pub notices: Vec<String>,
}

#[derive(FromRow)]
struct Row {
    seq: i64,
    collection_id: String,
    object_id: String,
    version: String,
    date_added: String,
    handling: String,
    body: String,
}

/// A sortable form of a STIX instant (microseconds, always written the same way).
pub fn version_key(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

fn intel_error(field: &str, message: impl Into<String>) -> StoreError {
    StoreError::invalid(field, message)
}

impl Store {
    /// One collection per community, plus the platform-wide one; idempotent.
    pub async fn ensure_collections(&self) -> Result<usize> {
        let communities = self.communities().await?;
        let existing: Vec<(String, Option<String>)> =
            sqlx::query_as("SELECT id, community_id FROM intel_collections")
                .fetch_all(&self.pool)
                .await?;
        let mut w = self.write().await?;
        let mut made = 0;
        let mut wanted = vec![(
            SHARED_COLLECTION.to_owned(),
            "Shared with the platform / プラットフォーム全体".to_owned(),
            "TLP:GREEN here reaches every organisation of the platform.".to_owned(),
            None,
            Tlp::Green,
        )];
        for c in &communities {
            wanted.push((
                uuid::Uuid::new_v5(
                    &uuid::Uuid::NAMESPACE_URL,
                    format!("sakimori:community:{}", c.id).as_bytes(),
                )
                .to_string(),
                format!("{} / {}", c.name.en, c.name.ja),
                format!("Shared in the community {}.", c.id),
                Some(c.id.clone()),
                if c.rules.members_only {
                    Tlp::Amber
                } else {
                    Tlp::Green
                },
            ));
        }
        for (id, title, description, community, tlp) in wanted {
            if existing
                .iter()
                .any(|(e, c)| *e == id || (community.is_some() && *c == community))
            {
                continue;
            }
            insert_collection(&mut w, &id, &title, &description, community.as_deref(), tlp).await?;
            w.audit(
                &Actor::system(),
                "intel.collection.create",
                "collection",
                &id,
                None,
                None,
            )
            .await?;
            made += 1;
        }
        w.commit().await?;
        Ok(made)
    }

    /// Create a collection (coordinators and administrators).
    pub async fn create_collection(
        &self,
        actor: &Actor,
        title: &str,
        description: &str,
        community: Option<&str>,
        default_tlp: Tlp,
    ) -> Result<Collection> {
        if title.trim().is_empty() {
            return Err(intel_error("title", "must not be empty"));
        }
        if let Some(c) = community {
            if !self.communities().await?.iter().any(|x| x.id == c) {
                return Err(intel_error("community", format!("no community {c:?}")));
            }
        }
        let id = uuid::Uuid::new_v4().to_string();
        let mut w = self.write().await?;
        insert_collection(&mut w, &id, title, description, community, default_tlp).await?;
        w.audit(
            actor,
            "intel.collection.create",
            "collection",
            &id,
            None,
            None,
        )
        .await?;
        w.commit().await?;
        self.collection(&id).await
    }

    pub async fn collections(&self) -> Result<Vec<Collection>> {
        Ok(sqlx::query_as(
            "SELECT id, title, description, community_id, default_tlp, created_at \
             FROM intel_collections ORDER BY created_at, title",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn collection(&self, id: &str) -> Result<Collection> {
        if id == INBOX_COLLECTION {
            return Ok(inbox());
        }
        sqlx::query_as(
            "SELECT id, title, description, community_id, default_tlp, created_at \
             FROM intel_collections WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::not_found("collection", id))
    }

    /// The collections an actor may read, each with whether they may write to it.
    pub async fn collections_for(&self, actor: &Actor) -> Result<Vec<(Collection, bool)>> {
        let facts = self.sharing_facts().await?;
        let mine = facts.memberships(&actor.org);
        let mut out = vec![(inbox(), false)];
        for c in self.collections().await? {
            let (read, write) = collection_access(actor, &mine, c.community_id.as_deref());
            if read {
                out.push((c, write));
            }
        }
        Ok(out)
    }

    /// What the sharing policy needs: communities with members and rules, and
    /// the names of organisations.
    pub async fn sharing_facts(&self) -> Result<SharingFacts> {
        let mut facts = SharingFacts::default();
        for c in self.communities().await? {
            facts
                .notices
                .insert(c.id.clone(), c.rules.confidentiality_notice);
            facts.communities.insert(
                c.id.clone(),
                CommunityFacts {
                    id: c.id,
                    members: c.members.into_iter().collect(),
                    rules: c.rules,
                },
            );
        }
        let names: Vec<(String, String, String)> =
            sqlx::query_as("SELECT id, name_en, name_ja FROM organisations")
                .fetch_all(&self.pool)
                .await?;
        for (id, en, ja) in names {
            facts.org_names.insert(id.clone(), vec![en, ja, id]);
        }
        Ok(facts)
    }

    /// Add objects to a collection. Each object succeeds or fails on its own
    /// (TAXII status semantics); the successes are committed together, with one
    /// audit entry per object, before this returns.
    pub async fn add_objects(
        &self,
        actor: &Actor,
        collection_id: &str,
        objects: &[Value],
        options: &ShareOptions,
        atomic: bool,
    ) -> Result<AddStatus> {
        let collection = self.collection(collection_id).await?;
        let facts = self.sharing_facts().await?;
        let mine = facts.memberships(&actor.org);
        let (_, may_write) = collection_access(actor, &mine, collection.community_id.as_deref());
        if collection.id == INBOX_COLLECTION || !may_write {
            return Err(StoreError::Forbidden(format!(
                "you may not add objects to collection {collection_id}"
            )));
        }
        let known_orgs: BTreeSet<String> = facts.org_names.keys().cloned().collect();
        let known_users: BTreeSet<String> =
            sqlx::query_scalar::<_, String>("SELECT username FROM users")
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .collect();
        let default_tlp: Tlp = collection.default_tlp.parse().unwrap_or(Tlp::Amber);
        let request_timestamp = now();
        let mut status = AddStatus {
            id: uuid::Uuid::new_v4().to_string(),
            status: "complete".into(),
            request_timestamp: request_timestamp.clone(),
            total_count: objects.len(),
            success_count: 0,
            successes: vec![],
            failure_count: 0,
            failures: vec![],
            pending_count: 0,
            pendings: vec![],
        };
        // Validate everything before taking the writer lock.
        let mut markings: BTreeSet<String> = sqlx::query_scalar::<_, String>(
            "SELECT DISTINCT object_id FROM intel_objects WHERE object_type = 'marking-definition'",
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .collect();
        markings.extend(
            objects
                .iter()
                .filter(|o| o.get("type").and_then(Value::as_str) == Some("marking-definition"))
                .filter_map(|o| o.get("id").and_then(Value::as_str).map(str::to_owned)),
        );
        let mut accepted: Vec<(Checked, Handling, &Value)> = Vec::new();
        for (i, obj) in objects.iter().enumerate() {
            let outcome = stix::validate(obj)
                .map_err(|e| (e.id.clone(), e.to_string()))
                .and_then(|c| match stix::unknown_marking(obj, &markings) {
                    Some((property, id)) => Err((
                        Some(c.id.clone()),
                        format!("{}: {property}: unknown marking definition {id} (send it first, or use a TLP marking)", c.id),
                    )),
                    None => Ok(c),
                })
                .and_then(|c| {
                    handling_for(
                        actor,
                        &collection,
                        default_tlp,
                        options,
                        obj,
                        &c,
                        &known_orgs,
                        &known_users,
                        &facts,
                    )
                    .map(|h| (c, h))
                    .map_err(|m| (obj.get("id").and_then(Value::as_str).map(str::to_owned), m))
                });
            match outcome {
                Ok((c, h)) => accepted.push((c, h, obj)),
                Err((id, message)) => status.failures.push(ObjectOutcome {
                    id: id.unwrap_or_else(|| format!("(object {i})")),
                    version: None,
                    message: Some(message),
                }),
            }
        }
        if atomic && !status.failures.is_empty() {
            let f = &status.failures[0];
            return Err(StoreError::invalid(
                &f.id,
                format!(
                    "{} ({} of {} objects refused; nothing was written)",
                    f.message.as_deref().unwrap_or("refused"),
                    status.failures.len(),
                    objects.len()
                ),
            ));
        }
        let mut w = self.write().await?;
        // `seq` and `date_added` grow together (both are given out here, under
        // the writer lock), so the last row has the largest of each. Read it
        // through the primary key: `MAX(date_added)` has no index and scanned
        // the whole table on every add.
        let last: Option<(i64, String)> =
            sqlx::query_as("SELECT seq, date_added FROM intel_objects ORDER BY seq DESC LIMIT 1")
                .fetch_optional(&mut *w.tx)
                .await?;
        let (mut seq, last_added) = match last {
            Some((seq, added)) => (seq, Some(added)),
            None => (0, None),
        };
        let mut clock = Clock::after(last_added.as_deref());
        // The versions already stored of every object of the request, read in
        // a few queries rather than one per object, and kept up to date below.
        let mut known: HashMap<String, Vec<String>> = HashMap::new();
        let ids: BTreeSet<&str> = accepted.iter().map(|(c, _, _)| c.id.as_str()).collect();
        let ids: Vec<&str> = ids.into_iter().collect();
        for chunk in ids.chunks(500) {
            let ps: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!(
                "SELECT object_id, version_key FROM intel_objects WHERE collection_id = $1 AND object_id IN ({})",
                ps.join(", ")
            );
            let mut q = sqlx::query_as::<_, (String, String)>(&sql).bind(collection_id);
            for id in chunk {
                q = q.bind(*id);
            }
            for (id, v) in q.fetch_all(&mut *w.tx).await? {
                known.entry(id).or_default().push(v);
            }
        }
        // New rows are written in multi-row INSERTs (`flush_rows`); a statement
        // per row was most of the cost of an add (each one a round trip to the
        // database's worker thread).
        let mut pending: Vec<NewRow> = Vec::new();
        for (c, h, obj) in accepted {
            let date_added = clock.tick();
            let version = c.version.clone().unwrap_or_else(|| date_added.clone());
            let vkey = stix::parse_timestamp(&version)
                .map(version_key)
                .unwrap_or_else(|| date_added.clone());
            let versions = known.entry(c.id.clone()).or_default();
            if versions.contains(&vkey) {
                // TAXII: adding a version already there changes nothing.
                status.successes.push(ObjectOutcome {
                    id: c.id,
                    version: Some(version),
                    message: Some("this version was already in the collection".into()),
                });
                continue;
            }
            let is_latest = versions.iter().all(|v| *v < vkey);
            let is_first = versions.iter().all(|v| *v > vkey);
            if !versions.is_empty() && (is_latest || is_first) {
                // Older versions lose their mark: those still pending go in first.
                flush_rows(&mut w, &mut pending).await?;
            }
            if is_latest && !versions.is_empty() {
                sqlx::query("UPDATE intel_objects SET is_latest = 0 WHERE object_id = $1 AND collection_id = $2")
                    .bind(&c.id)
                    .bind(collection_id)
                    .execute(&mut *w.tx)
                    .await?;
            }
            if is_first && !versions.is_empty() {
                sqlx::query("UPDATE intel_objects SET is_first = 0 WHERE object_id = $1 AND collection_id = $2")
                    .bind(&c.id)
                    .bind(collection_id)
                    .execute(&mut *w.tx)
                    .await?;
            }
            versions.push(vkey.clone());
            seq += 1;
            pending.push(NewRow {
                seq,
                collection_id: collection_id.to_owned(),
                object_id: c.id.clone(),
                object_type: c.ty.clone(),
                spec_version: c.spec_version.clone(),
                version: version.clone(),
                version_key: vkey,
                date_added,
                is_latest,
                is_first,
                revoked: c.revoked,
                tlp: h.tlp.label().to_owned(),
                community_id: h.community.clone(),
                source_org: h.source_org.clone(),
                handling: serde_json::to_string(&h).expect("json"),
                body: obj.to_string(),
                audience: audience_keys(&h, facts.community(&h)).into_iter().collect(),
                observables: stix::observable_values(obj),
            });
            w.audit(
                actor,
                "intel.add",
                c.ty.as_str(),
                &c.id,
                None,
                Some(&serde_json::json!({"collection": collection_id, "version": version, "tlp": h.tlp, "digest": sakimori_core::audit::digest(obj)})),
            )
            .await?;
            status.successes.push(ObjectOutcome {
                id: c.id,
                version: Some(version),
                message: None,
            });
        }
        flush_rows(&mut w, &mut pending).await?;
        status.success_count = status.successes.len();
        status.failure_count = status.failures.len();
        sqlx::query(
            "INSERT INTO taxii_status (id, collection_id, requested_by, created_at, body) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&status.id)
        .bind(collection_id)
        .bind(&actor.username)
        .bind(&request_timestamp)
        .bind(serde_json::to_string(&status).expect("json"))
        .execute(&mut *w.tx)
        .await?;
        w.commit().await?;
        Ok(status)
    }

    /// A status resource, to the user who made the request (or the centre).
    pub async fn taxii_status(&self, actor: &Actor, id: &str) -> Result<AddStatus> {
        let row: Option<(String, String)> =
            sqlx::query_as("SELECT requested_by, body FROM taxii_status WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        match row {
            Some((by, body)) if by == actor.username || allows(actor, Permission::ManageIntel) => {
                Ok(
                    serde_json::from_str(&body)
                        .map_err(|e| intel_error("status", e.to_string()))?,
                )
            }
            _ => Err(StoreError::not_found("status", id)),
        }
    }

    /// A page of the objects `viewer` may see in a collection (or, for the
    /// inbox, anywhere), oldest first. `actor` `None` is the public feed.
    pub async fn objects_page(
        &self,
        actor: Option<&Actor>,
        collection_id: &str,
        filter: &ObjectFilter,
    ) -> Result<ObjectPage> {
        let facts = self.sharing_facts().await?;
        let mine = actor.map(|a| facts.memberships(&a.org)).unwrap_or_default();
        if let Some(a) = actor {
            let collection = self.collection(collection_id).await?;
            if collection.id != INBOX_COLLECTION
                && !collection_access(a, &mine, collection.community_id.as_deref()).0
            {
                return Err(StoreError::not_found("collection", collection_id));
            }
        }
        let viewer = Viewer {
            actor,
            communities: &mine,
        };
        let keys: Vec<String> = viewer_keys(&viewer).into_iter().collect();
        if keys.is_empty() {
            return Ok(ObjectPage {
                rows: vec![],
                more: false,
                next: None,
                notices: vec![],
            });
        }
        let limit = filter.limit.clamp(1, 10_000);
        let mut sql = format!(
            "SELECT o.seq, o.collection_id, o.object_id, o.version, o.date_added, o.handling, o.body \
             FROM intel_objects o WHERE o.seq {} $1",
            if filter.newest_first { "<" } else { ">" },
        );
        let mut binds: Vec<String> = Vec::new();
        let arg = |binds: &mut Vec<String>, v: String| {
            binds.push(v);
            format!("${}", binds.len() + 1)
        };
        if collection_id != INBOX_COLLECTION {
            let p = arg(&mut binds, collection_id.to_owned());
            sql.push_str(&format!(" AND o.collection_id = {p}"));
        }
        if let Some(t) = &filter.added_after {
            let p = arg(&mut binds, t.clone());
            sql.push_str(&format!(" AND o.date_added > {p}"));
        }
        let list = |binds: &mut Vec<String>, column: &str, values: &[String], sql: &mut String| {
            if !values.is_empty() {
                let ps: Vec<String> = values.iter().map(|v| arg(binds, v.clone())).collect();
                sql.push_str(&format!(" AND {column} IN ({})", ps.join(", ")));
            }
        };
        list(&mut binds, "o.object_id", &filter.ids, &mut sql);
        list(&mut binds, "o.object_type", &filter.types, &mut sql);
        list(
            &mut binds,
            "o.spec_version",
            &filter.spec_versions,
            &mut sql,
        );
        match &filter.versions {
            VersionMatch::Last => sql.push_str(" AND o.is_latest = 1"),
            VersionMatch::First => sql.push_str(" AND o.is_first = 1"),
            VersionMatch::All => {}
            VersionMatch::At(v) => list(&mut binds, "o.version_key", v, &mut sql),
        }
        if !filter.include_revoked {
            sql.push_str(" AND o.revoked = 0");
        }
        if let Some(text) = filter.text.as_ref().filter(|t| !t.trim().is_empty()) {
            let p = arg(&mut binds, format!("%{}%", text.trim().to_lowercase()));
            sql.push_str(&format!(" AND LOWER(o.body) LIKE {p}"));
        }
        let ps: Vec<String> = keys.iter().map(|k| arg(&mut binds, k.clone())).collect();
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM intel_audience a WHERE a.seq = o.seq AND a.audience IN ({})) \
             ORDER BY o.seq {} LIMIT {}",
            ps.join(", "),
            if filter.newest_first { "DESC" } else { "ASC" },
            limit + 1
        ));
        let mut q = sqlx::query_as::<_, Row>(&sql).bind(
            filter
                .after_seq
                .unwrap_or(if filter.newest_first { i64::MAX } else { 0 }),
        );
        for b in &binds {
            q = q.bind(b);
        }
        let mut rows = q.fetch_all(&self.pool).await?;
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next = rows.last().map(|r| r.seq);
        let mut out = Vec::with_capacity(rows.len());
        let mut notices = BTreeSet::new();
        let mut audited = Vec::new();
        for r in rows {
            if let Some(row) = self.decide(&viewer, &facts, r)? {
                if let Some(c) = facts.community(&row.handling) {
                    if c.rules.confidentiality_notice {
                        notices.insert(c.id.clone());
                    }
                    if c.rules.audit_access {
                        audited.push((row.id.clone(), row.version.clone()));
                    }
                }
                out.push(row);
            }
        }
        if let (Some(a), false) = (actor, audited.is_empty()) {
            let mut w = self.write().await?;
            for (id, version) in &audited {
                w.audit(
                    a,
                    "intel.read",
                    "stix",
                    id,
                    None,
                    Some(&serde_json::json!({"version": version})),
                )
                .await?;
            }
            w.commit().await?;
        }
        Ok(ObjectPage {
            rows: out,
            more,
            next,
            notices: notices.into_iter().collect(),
        })
    }

    /// Apply the policy to one row: `None` when the viewer may not see it.
    fn decide(&self, viewer: &Viewer, facts: &SharingFacts, r: Row) -> Result<Option<ObjectRow>> {
        let handling: Handling = serde_json::from_str(&r.handling)
            .map_err(|e| intel_error("handling", format!("stored handling unreadable: {e}")))?;
        let v = visibility(viewer, &handling, facts.community(&handling));
        let body: Value = serde_json::from_str(&r.body)
            .map_err(|e| intel_error("body", format!("stored object unreadable: {e}")))?;
        let object = match v {
            Visibility::Hidden => return Ok(None),
            Visibility::Full => body,
            Visibility::Anonymised => {
                let names = facts
                    .org_names
                    .get(&handling.source_org)
                    .cloned()
                    .unwrap_or_default();
                match anonymise(&body, &names) {
                    Some(o) => o,
                    None => return Ok(None),
                }
            }
        };
        let object = with_marking(object, handling.tlp);
        Ok(Some(ObjectRow {
            seq: r.seq,
            collection_id: r.collection_id,
            id: r.object_id,
            version: r.version,
            date_added: r.date_added,
            handling,
            visibility: v,
            object,
        }))
    }

    /// Delete an object (all versions, or those matched) from a collection: its
    /// source organisation or the centre.
    pub async fn delete_object(
        &self,
        actor: &Actor,
        collection_id: &str,
        object_id: &str,
        versions: &VersionMatch,
    ) -> Result<usize> {
        let rows: Vec<(i64, String, String, i64, i64)> = sqlx::query_as(
            "SELECT seq, version_key, source_org, is_latest, is_first FROM intel_objects \
             WHERE collection_id = $1 AND object_id = $2",
        )
        .bind(collection_id)
        .bind(object_id)
        .fetch_all(&self.pool)
        .await?;
        let chosen: Vec<i64> = rows
            .iter()
            .filter(|(_, v, _, last, first)| match versions {
                VersionMatch::All => true,
                VersionMatch::Last => *last == 1,
                VersionMatch::First => *first == 1,
                VersionMatch::At(list) => list.contains(v),
            })
            .map(|r| r.0)
            .collect();
        if chosen.is_empty() {
            return Err(StoreError::not_found("object", object_id));
        }
        let owner = rows.iter().all(|r| r.2 == actor.org);
        if !owner && !allows(actor, Permission::ManageIntel) {
            return Err(StoreError::Forbidden(
                "only the sharing organisation or the centre may delete an object".into(),
            ));
        }
        let mut w = self.write().await?;
        for seq in &chosen {
            for table in ["intel_audience", "intel_observables", "intel_objects"] {
                sqlx::query(&format!("DELETE FROM {table} WHERE seq = $1"))
                    .bind(seq)
                    .execute(&mut *w.tx)
                    .await?;
            }
        }
        // The remaining versions get their first/last marks back.
        for (flag, order) in [("is_latest", "DESC"), ("is_first", "ASC")] {
            sqlx::query(&format!(
                "UPDATE intel_objects SET {flag} = 1 WHERE seq = (SELECT seq FROM intel_objects \
                 WHERE collection_id = $1 AND object_id = $2 ORDER BY version_key {order} LIMIT 1)"
            ))
            .bind(collection_id)
            .bind(object_id)
            .execute(&mut *w.tx)
            .await?;
        }
        w.audit(
            actor,
            "intel.delete",
            "stix",
            object_id,
            Some(&serde_json::json!({"collection": collection_id, "versions": chosen.len()})),
            None,
        )
        .await?;
        w.commit().await?;
        Ok(chosen.len())
    }

    /// Relay a TLP:AMBER object to a constituent (a hub to its members).
    pub async fn relay_object(
        &self,
        actor: &Actor,
        collection_id: &str,
        object_id: &str,
        to_org: &str,
    ) -> Result<()> {
        let facts = self.sharing_facts().await?;
        let mine = facts.memberships(&actor.org);
        let to = self.relations(to_org).await?;
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT seq, handling FROM intel_objects WHERE collection_id = $1 AND object_id = $2 AND is_latest = 1",
        )
        .bind(collection_id)
        .bind(object_id)
        .fetch_all(&self.pool)
        .await?;
        let (seq, handling) = rows
            .into_iter()
            .next()
            .ok_or_else(|| StoreError::not_found("object", object_id))?;
        let mut h: Handling =
            serde_json::from_str(&handling).map_err(|e| intel_error("handling", e.to_string()))?;
        let viewer = Viewer {
            actor: Some(actor),
            communities: &mine,
        };
        if visibility(&viewer, &h, facts.community(&h)) == Visibility::Hidden {
            return Err(StoreError::not_found("object", object_id));
        }
        sakimori_core::policy::sharing::may_relay(actor, &mine, &h, &to)
            .map_err(|m| StoreError::Forbidden(m.into()))?;
        if h.relayed_to.iter().any(|o| o == to_org) {
            return Ok(());
        }
        h.relayed_to.push(to_org.to_owned());
        let mut w = self.write().await?;
        sqlx::query("UPDATE intel_objects SET handling = $1 WHERE seq = $2")
            .bind(serde_json::to_string(&h).expect("json"))
            .bind(seq)
            .execute(&mut *w.tx)
            .await?;
        insert_keys(&mut w, seq, &audience_keys(&h, facts.community(&h))).await?;
        w.audit(
            actor,
            "intel.relay",
            "stix",
            object_id,
            None,
            Some(&serde_json::json!({"to": to_org})),
        )
        .await?;
        w.commit().await
    }

    /// How often an observable value appears across the objects the viewer may
    /// see, and in how many organisations' objects in all (a count, not names).
    pub async fn correlations(&self, actor: &Actor, values: &[String]) -> Result<Vec<Correlation>> {
        let facts = self.sharing_facts().await?;
        let mine = facts.memberships(&actor.org);
        let viewer = Viewer {
            actor: Some(actor),
            communities: &mine,
        };
        let mut out = Vec::new();
        for value in values {
            let rows: Vec<(String, String, String)> = sqlx::query_as(
                "SELECT o.object_id, o.object_type, o.handling FROM intel_observables v \
                 JOIN intel_objects o ON o.seq = v.seq WHERE v.value = $1 AND o.is_latest = 1 AND o.revoked = 0",
            )
            .bind(value)
            .fetch_all(&self.pool)
            .await?;
            let mut c = Correlation {
                value: value.clone(),
                ..Default::default()
            };
            let mut orgs = BTreeSet::new();
            let mut seen_orgs = BTreeSet::new();
            for (id, ty, h) in rows {
                let Ok(h) = serde_json::from_str::<Handling>(&h) else {
                    continue;
                };
                orgs.insert(h.source_org.clone());
                if visibility(&viewer, &h, facts.community(&h)) == Visibility::Full {
                    seen_orgs.insert(h.source_org.clone());
                }
                if visibility(&viewer, &h, facts.community(&h)) != Visibility::Hidden {
                    *c.by_type.entry(ty).or_default() += 1;
                    c.objects.push(id);
                }
            }
            c.organisations = orgs.len();
            c.named_organisations = seen_orgs.into_iter().collect();
            out.push(c);
        }
        Ok(out)
    }
}

impl Store {
    /// Where a pull from `peer`'s collection stopped (its last `date_added`).
    pub async fn sync_state(&self, peer: &str, collection: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT added_after FROM intel_sync WHERE peer = $1 AND collection_id = $2",
        )
        .bind(peer)
        .bind(collection)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Record how far a pull got, after the page was stored.
    pub async fn set_sync_state(
        &self,
        actor: &Actor,
        peer: &str,
        collection: &str,
        added_after: &str,
    ) -> Result<()> {
        let mut w = self.write().await?;
        sqlx::query(
            "INSERT INTO intel_sync (peer, collection_id, added_after, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (peer, collection_id) DO UPDATE SET added_after = excluded.added_after, updated_at = excluded.updated_at",
        )
        .bind(peer)
        .bind(collection)
        .bind(added_after)
        .bind(now())
        .execute(&mut *w.tx)
        .await?;
        w.audit(
            actor,
            "intel.sync",
            "peer",
            peer,
            None,
            Some(&serde_json::json!({"collection": collection, "added_after": added_after})),
        )
        .await?;
        w.commit().await
    }
}

/// What is known of one observable value across the store.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Correlation {
    pub value: String,
    /// Objects the viewer may see that carry the value, by type (indicator,
    /// sighting, observed-data, SCO, report...).
    pub by_type: BTreeMap<String, usize>,
    pub objects: Vec<String>,
    /// How many organisations shared something with this value (a count only).
    pub organisations: usize,
    /// Those of them the viewer may know of (objects it sees in full).
    pub named_organisations: Vec<String>,
    /// Warninglists that name the value (filled in by the caller).
    pub warninglists: Vec<String>,
}

/// The object as it leaves: its TLP marking is the one it is handled under, so
/// the marking travels with the data to every peer (a sharer's `tlp` request or
/// a collection default is added; a weaker TLP marking is replaced).
fn with_marking(mut object: Value, tlp: Tlp) -> Value {
    let Some(map) = object.as_object_mut() else {
        return object;
    };
    let marking = Value::String(tlp.stix_marking_id().to_owned());
    let refs = map
        .entry("object_marking_refs")
        .or_insert_with(|| Value::Array(vec![]));
    if let Some(list) = refs.as_array_mut() {
        if !list.contains(&marking) {
            list.retain(|r| r.as_str().and_then(stix::tlp_of_marking).is_none());
            list.push(marking);
        }
    }
    object
}

fn inbox() -> Collection {
    Collection {
        id: INBOX_COLLECTION.into(),
        title: "Everything you may see / 閲覧可能なすべての情報".into(),
        description: "Every object shared with your organisation, in any collection (read-only)."
            .into(),
        community_id: None,
        default_tlp: Tlp::Clear.label().into(),
        created_at: "1970-01-01T00:00:00.000000Z".into(),
    }
}

/// May the actor read and write a collection of `community`? Members of the
/// community (everyone for the platform-wide one); writing needs SubmitIntel.
pub fn collection_access(
    actor: &Actor,
    mine: &BTreeSet<String>,
    community: Option<&str>,
) -> (bool, bool) {
    let read = allows(actor, Permission::ReadIntel)
        && (community.is_none_or(|c| mine.contains(c)) || allows(actor, Permission::ManageIntel));
    let write = read
        && allows(actor, Permission::SubmitIntel)
        && community.is_none_or(|c| mine.contains(c));
    (read, write)
}

#[allow(clippy::too_many_arguments)]
fn handling_for(
    actor: &Actor,
    collection: &Collection,
    default_tlp: Tlp,
    options: &ShareOptions,
    obj: &Value,
    checked: &Checked,
    known_orgs: &BTreeSet<String>,
    known_users: &BTreeSet<String>,
    facts: &SharingFacts,
) -> std::result::Result<Handling, String> {
    // The object's own marking, the sharer's request and the collection's default:
    // the most restrictive wins.
    let tlp = [checked.tlp, options.tlp]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(default_tlp);
    let strings = |p: &str| -> Vec<String> {
        obj.get(p)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut recipients = options.recipients.clone();
    recipients.extend(strings("x_sakimori_recipients"));
    let mut users = options.recipient_users.clone();
    users.extend(strings("x_sakimori_recipient_users"));
    let (mut orgs, mut communities) = (Vec::new(), Vec::new());
    for r in recipients {
        match r.strip_prefix("community:") {
            Some(c) if facts.communities.contains_key(c) => communities.push(c.to_owned()),
            Some(c) => return Err(format!("x_sakimori_recipients: no community {c:?}")),
            None if known_orgs.contains(&r) => orgs.push(r),
            None => return Err(format!("x_sakimori_recipients: no organisation {r:?}")),
        }
    }
    if let Some(u) = users.iter().find(|u| !known_users.contains(*u)) {
        return Err(format!("x_sakimori_recipient_users: no user {u:?}"));
    }
    if matches!(tlp, Tlp::Amber | Tlp::AmberStrict) && orgs.is_empty() && communities.is_empty() {
        match &collection.community_id {
            Some(c) => communities.push(c.clone()),
            None => {
                return Err(format!(
                    "{tlp} needs recipients: name organisations or community:ID in x_sakimori_recipients \
                     (or share into a community's collection)"
                ))
            }
        }
    }
    orgs.sort();
    orgs.dedup();
    communities.sort();
    communities.dedup();
    users.sort();
    users.dedup();
    Ok(Handling {
        tlp,
        community: collection.community_id.clone(),
        recipient_orgs: orgs,
        recipient_communities: communities,
        recipient_users: if tlp == Tlp::Red { users } else { vec![] },
        source_org: actor.org.clone(),
        source_user: actor.username.clone(),
        relayed_to: vec![],
    })
}

async fn insert_collection(
    w: &mut Write<'_>,
    id: &str,
    title: &str,
    description: &str,
    community: Option<&str>,
    tlp: Tlp,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO intel_collections (id, title, description, community_id, default_tlp, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(title)
    .bind(description)
    .bind(community)
    .bind(tlp.label())
    .bind(now())
    .execute(&mut *w.tx)
    .await?;
    Ok(())
}

async fn insert_keys(w: &mut Write<'_>, seq: i64, keys: &BTreeSet<String>) -> Result<()> {
    let keys: Vec<String> = keys.iter().cloned().collect();
    insert_values(w, "intel_audience", "audience", seq, &keys).await
}

/// Insert `(value, seq)` rows, skipping those already there.
async fn insert_values(
    w: &mut Write<'_>,
    table: &str,
    column: &str,
    seq: i64,
    values: &[String],
) -> Result<()> {
    for chunk in values.chunks(200) {
        let mut sql = format!("INSERT INTO {table} ({column}, seq) VALUES ");
        let parts: Vec<String> = (0..chunk.len())
            .map(|i| format!("(${}, $1)", i + 2))
            .collect();
        sql.push_str(&parts.join(", "));
        sql.push_str(" ON CONFLICT DO NOTHING");
        let mut q = sqlx::query(&sql).bind(seq);
        for v in chunk {
            q = q.bind(v);
        }
        q.execute(&mut *w.tx).await?;
    }
    Ok(())
}

/// An object version to insert, with its audience keys and observable values.
struct NewRow {
    seq: i64,
    collection_id: String,
    object_id: String,
    object_type: String,
    spec_version: String,
    version: String,
    version_key: String,
    date_added: String,
    is_latest: bool,
    is_first: bool,
    revoked: bool,
    tlp: String,
    community_id: Option<String>,
    source_org: String,
    handling: String,
    body: String,
    audience: Vec<String>,
    observables: Vec<String>,
}

/// Insert the pending rows, their audience keys and observable values with a
/// few multi-row statements, and empty `rows`.
async fn flush_rows(w: &mut Write<'_>, rows: &mut Vec<NewRow>) -> Result<()> {
    // Not more: SQLite finds each parameter's name by a linear search, so a
    // statement's binding cost grows with the square of its parameters.
    for chunk in rows.chunks(16) {
        let mut sql = String::from(
            "INSERT INTO intel_objects (seq, collection_id, object_id, object_type, spec_version, version, \
             version_key, date_added, is_latest, is_first, revoked, tlp, community_id, source_org, handling, body) VALUES ",
        );
        for i in 0..chunk.len() {
            let b = i * 16;
            let ps: Vec<String> = (1..=16).map(|k| format!("${}", b + k)).collect();
            sql.push_str(if i == 0 { "(" } else { ", (" });
            sql.push_str(&ps.join(", "));
            sql.push(')');
        }
        let mut q = sqlx::query(&sql);
        for r in chunk {
            q = q
                .bind(r.seq)
                .bind(&r.collection_id)
                .bind(&r.object_id)
                .bind(&r.object_type)
                .bind(&r.spec_version)
                .bind(&r.version)
                .bind(&r.version_key)
                .bind(&r.date_added)
                .bind(r.is_latest as i64)
                .bind(r.is_first as i64)
                .bind(r.revoked as i64)
                .bind(&r.tlp)
                .bind(r.community_id.as_deref())
                .bind(&r.source_org)
                .bind(&r.handling)
                .bind(&r.body);
        }
        q.execute(&mut *w.tx).await?;
    }
    for (table, column, values) in [
        (
            "intel_audience",
            "audience",
            rows.iter()
                .flat_map(|r| r.audience.iter().map(|v| (v, r.seq)))
                .collect::<Vec<_>>(),
        ),
        (
            "intel_observables",
            "value",
            rows.iter()
                .flat_map(|r| r.observables.iter().map(|v| (v, r.seq)))
                .collect::<Vec<_>>(),
        ),
    ] {
        for chunk in values.chunks(128) {
            let parts: Vec<String> = (0..chunk.len())
                .map(|i| format!("(${}, ${})", 2 * i + 1, 2 * i + 2))
                .collect();
            let sql = format!(
                "INSERT INTO {table} ({column}, seq) VALUES {} ON CONFLICT DO NOTHING",
                parts.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for (v, seq) in chunk {
                q = q.bind(*v).bind(*seq);
            }
            q.execute(&mut *w.tx).await?;
        }
    }
    rows.clear();
    Ok(())
}

/// `date_added` values: now, but always after the last one given out.
struct Clock {
    last: chrono::DateTime<chrono::Utc>,
}

impl Clock {
    fn after(last: Option<&str>) -> Clock {
        let last = last
            .and_then(stix::parse_timestamp)
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC);
        Clock { last }
    }

    fn tick(&mut self) -> String {
        use chrono::SubsecRound;
        let now = chrono::Utc::now().trunc_subsecs(6);
        self.last = if now > self.last {
            now
        } else {
            self.last + chrono::Duration::microseconds(1)
        };
        version_key(self.last)
    }
}
