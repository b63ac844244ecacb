//! The constituency registry in the database: read it whole or in part, import
//! a validated plan in one transaction, add and verify contacts.

use crate::{now, Result, Store, StoreError};
use sakimori_core::lookup::AssetIndex;
use sakimori_core::policy::OrgRelations;
use sakimori_core::registry::{
    self, Assets, Community, CommunityRules, Contact, ImportPlan, Locator, Name, OrgKind,
    Organisation, RegistryDoc, Sector, Subsector,
};
use sakimori_core::Actor;
use serde::Serialize;
use sqlx::{AnyConnection, FromRow};
use std::collections::HashMap;

#[derive(FromRow)]
struct SectorRow {
    id: String,
    name_en: String,
    name_ja: String,
    ministry_id: Option<String>,
    added: Option<String>,
}

#[derive(FromRow)]
struct SubsectorRow {
    id: String,
    sector_id: String,
    name_en: String,
    name_ja: String,
}

#[derive(FromRow)]
struct OrgRow {
    id: String,
    name_en: String,
    name_ja: String,
    short: Option<String>,
    kind: String,
    sector_id: Option<String>,
    subsector_id: Option<String>,
    ministry_id: Option<String>,
    parent_id: Option<String>,
    tags: String,
}

impl OrgRow {
    fn into_org(self) -> Organisation {
        Organisation {
            kind: self.kind.parse().unwrap_or(OrgKind::Operator),
            id: self.id,
            name: Name {
                en: self.name_en,
                ja: self.name_ja,
            },
            short: self.short,
            sector: self.sector_id,
            subsector: self.subsector_id,
            ministry: self.ministry_id,
            parent: self.parent_id,
            tags: self.tags.split_whitespace().map(str::to_owned).collect(),
            contacts: None,
            assets: None,
        }
    }
}

/// A contact as stored, with its id (for "confirm as still valid").
#[derive(Debug, Clone, Serialize, FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactRecord {
    pub id: String,
    pub org_id: String,
    pub role: String,
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    #[sqlx(try_from = "i64")]
    pub deputy: Flag,
    pub last_verified: Option<String>,
    /// When the relay last refused this address permanently.
    pub bounced_at: Option<String>,
}

/// A boolean stored as 0/1, the portable form on both engines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct Flag(pub bool);

impl From<i64> for Flag {
    fn from(v: i64) -> Flag {
        Flag(v != 0)
    }
}

impl ContactRecord {
    fn into_contact(self) -> Contact {
        Contact {
            role: self.role.parse().unwrap_or(registry::ContactRole::Poc),
            name: self.name,
            email: self.email,
            phone: self.phone,
            deputy: self.deputy.0,
            last_verified: self.last_verified.and_then(|d| d.parse().ok()),
        }
    }
}

#[derive(FromRow)]
struct AssetRow {
    org_id: String,
    kind: String,
    value: String,
}

#[derive(FromRow)]
struct CommunityRow {
    id: String,
    name_en: String,
    name_ja: String,
    kind: String,
    sector_id: Option<String>,
    members_only: i64,
    confidentiality_notice: i64,
    audit_access: i64,
}

/// Filters for listing organisations.
#[derive(Debug, Clone, Default)]
pub struct OrgFilter {
    pub kind: Option<OrgKind>,
    pub sector: Option<String>,
}

/// The result of an import: what was written and what was worth reporting.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportReport {
    pub sectors: usize,
    pub organisations: usize,
    pub contacts: usize,
    pub assets: usize,
    pub communities: usize,
    pub findings: Vec<registry::Finding>,
}

const ORG_COLUMNS: &str =
    "id, name_en, name_ja, short, kind, sector_id, subsector_id, ministry_id, parent_id, tags";

impl Store {
    pub async fn sectors(&self) -> Result<Vec<Sector>> {
        let rows: Vec<SectorRow> = sqlx::query_as(
            "SELECT id, name_en, name_ja, ministry_id, added FROM sectors ORDER BY position, id",
        )
        .fetch_all(&self.pool)
        .await?;
        let subs: Vec<SubsectorRow> = sqlx::query_as(
            "SELECT id, sector_id, name_en, name_ja FROM subsectors ORDER BY position, id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| Sector {
                subsectors: subs
                    .iter()
                    .filter(|s| s.sector_id == r.id)
                    .map(|s| Subsector {
                        id: s.id.clone(),
                        name: Name {
                            en: s.name_en.clone(),
                            ja: s.name_ja.clone(),
                        },
                    })
                    .collect(),
                id: r.id,
                name: Name {
                    en: r.name_en,
                    ja: r.name_ja,
                },
                ministry: r.ministry_id,
                added: r.added.and_then(|d| d.parse().ok()),
            })
            .collect())
    }

    /// Organisations (the directory: no contacts or assets).
    pub async fn organisations(&self, filter: &OrgFilter) -> Result<Vec<Organisation>> {
        let rows: Vec<OrgRow> = sqlx::query_as(&format!(
            "SELECT {ORG_COLUMNS} FROM organisations \
             WHERE ($1 IS NULL OR kind = $1) AND ($2 IS NULL OR sector_id = $2) ORDER BY id"
        ))
        .bind(filter.kind.map(|k| k.as_str()))
        .bind(filter.sector.as_deref())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(OrgRow::into_org).collect())
    }

    pub async fn organisation(&self, id: &str) -> Result<Organisation> {
        let row: Option<OrgRow> = sqlx::query_as(&format!(
            "SELECT {ORG_COLUMNS} FROM organisations WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(OrgRow::into_org)
            .ok_or_else(|| StoreError::not_found("organisation", id))
    }

    pub async fn contacts(&self, org: &str) -> Result<Vec<ContactRecord>> {
        Ok(sqlx::query_as(
            "SELECT id, org_id, role, name, email, phone, deputy, last_verified, bounced_at \
             FROM contacts WHERE org_id = $1 ORDER BY position",
        )
        .bind(org)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn assets(&self, org: &str) -> Result<Assets> {
        let rows: Vec<AssetRow> = sqlx::query_as(
            "SELECT org_id, kind, value FROM assets WHERE org_id = $1 ORDER BY kind, position",
        )
        .bind(org)
        .fetch_all(&self.pool)
        .await?;
        Ok(assets_of(rows.iter()))
    }

    pub async fn communities(&self) -> Result<Vec<Community>> {
        let rows: Vec<CommunityRow> = sqlx::query_as(
            "SELECT id, name_en, name_ja, kind, sector_id, members_only, confidentiality_notice, \
             audit_access FROM communities ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        let members: Vec<(String, String)> = sqlx::query_as(
            "SELECT community_id, org_id FROM community_members ORDER BY community_id, position",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| Community {
                members: members
                    .iter()
                    .filter(|(c, _)| *c == r.id)
                    .map(|(_, o)| o.clone())
                    .collect(),
                kind: r.kind.parse().unwrap_or(registry::CommunityKind::Adhoc),
                id: r.id,
                name: Name {
                    en: r.name_en,
                    ja: r.name_ja,
                },
                sector: r.sector_id,
                rules: CommunityRules {
                    members_only: r.members_only != 0,
                    confidentiality_notice: r.confidentiality_notice != 0,
                    audit_access: r.audit_access != 0,
                },
            })
            .collect())
    }

    /// The whole registry, with contacts and assets: for validation and export.
    pub async fn registry(&self) -> Result<RegistryDoc> {
        self.registry_with(true).await
    }

    /// The registry without contacts: enough to resolve audiences and routes.
    pub async fn registry_without_contacts(&self) -> Result<RegistryDoc> {
        self.registry_with(false).await
    }

    async fn registry_with(&self, with_contacts: bool) -> Result<RegistryDoc> {
        let mut orgs = self.organisations(&OrgFilter::default()).await?;
        let contacts: Vec<ContactRecord> = if with_contacts {
            sqlx::query_as(
                "SELECT id, org_id, role, name, email, phone, deputy, last_verified, bounced_at \
                 FROM contacts ORDER BY org_id, position",
            )
            .fetch_all(&self.pool)
            .await?
        } else {
            vec![]
        };
        let assets: Vec<AssetRow> = sqlx::query_as(
            "SELECT org_id, kind, value FROM assets ORDER BY org_id, kind, position",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut by_org: HashMap<String, Vec<Contact>> = HashMap::new();
        for c in contacts {
            by_org
                .entry(c.org_id.clone())
                .or_default()
                .push(c.into_contact());
        }
        let mut assets_by_org: HashMap<&str, Vec<&AssetRow>> = HashMap::new();
        for a in &assets {
            assets_by_org.entry(a.org_id.as_str()).or_default().push(a);
        }
        for o in &mut orgs {
            o.contacts = by_org.remove(o.id.as_str());
            o.assets = assets_by_org
                .get(o.id.as_str())
                .map(|rows| assets_of(rows.iter().copied()));
        }
        Ok(RegistryDoc {
            sectors: self.sectors().await?,
            organisations: orgs,
            communities: self.communities().await?,
        })
    }

    /// The relations of an organisation that the access policy needs.
    pub async fn relations(&self, org_id: &str) -> Result<OrgRelations> {
        let org = self.organisation(org_id).await?;
        let mut ancestors = Vec::new();
        let mut cur = org.parent.clone();
        while let Some(p) = cur {
            if ancestors.contains(&p) || ancestors.len() > 32 {
                break;
            }
            cur = self.organisation(&p).await.ok().and_then(|o| o.parent);
            ancestors.push(p);
        }
        let sector_ministry: Option<String> = match &org.sector {
            Some(s) => sqlx::query_scalar("SELECT ministry_id FROM sectors WHERE id = $1")
                .bind(s)
                .fetch_optional(&self.pool)
                .await?
                .flatten(),
            None => None,
        };
        let sector_hubs: Vec<String> = match &org.sector {
            Some(s) => {
                sqlx::query_scalar(
                    "SELECT id FROM organisations WHERE kind = 'hub' AND sector_id = $1",
                )
                .bind(s)
                .fetch_all(&self.pool)
                .await?
            }
            None => vec![],
        };
        Ok(OrgRelations {
            id: org.id,
            ancestors,
            supervising_ministry: org.ministry.or(sector_ministry),
            sector_hubs,
        })
    }

    /// Changes whenever an import changes the registry; caches compare it.
    pub async fn registry_generation(&self) -> Result<String> {
        Ok(self
            .meta("registry_generation")
            .await?
            .unwrap_or_else(|| "0".into()))
    }

    /// Build the lookup index of every registered prefix and domain.
    pub async fn asset_index(&self) -> Result<AssetIndex> {
        let rows: Vec<AssetRow> = sqlx::query_as(
            "SELECT org_id, kind, value FROM assets WHERE kind IN ('prefix', 'domain')",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut ix = AssetIndex::new();
        for r in rows {
            match r.kind.as_str() {
                "prefix" => {
                    if let Ok(net) = r.value.parse() {
                        ix.insert_prefix(net, &r.org_id);
                    }
                }
                _ => ix.insert_domain(&r.value, &r.org_id),
            }
        }
        Ok(ix)
    }

    /// Parse, validate against the current registry, and write a registry file:
    /// all or nothing.
    pub async fn import_text(
        &self,
        actor: &Actor,
        text: &str,
        format: registry::Format,
    ) -> Result<ImportReport> {
        let (doc, loc) = registry::parse(text, format).map_err(|e| StoreError::Import(vec![e]))?;
        self.import_doc(actor, &doc, &loc).await
    }

    /// Validate a parsed document against the current registry and write it.
    pub async fn import_doc(
        &self,
        actor: &Actor,
        doc: &RegistryDoc,
        loc: &Locator,
    ) -> Result<ImportReport> {
        let mut w = self.write().await?;
        // Read the registry inside the writer lock so no other import slips in between.
        let existing = self.registry().await?;
        let plan = registry::validate(&existing, doc, loc).map_err(StoreError::Import)?;
        let report = write_plan(w.conn(), &plan).await?;
        crate::set_meta(
            w.conn(),
            "registry_generation",
            &uuid::Uuid::new_v4().to_string(),
        )
        .await?;
        for s in &plan.sectors {
            let before = existing.sector(&s.id).map(to_json);
            w.audit(
                actor,
                "registry.import",
                "sector",
                &s.id,
                before.as_ref(),
                Some(&to_json(s)),
            )
            .await?;
        }
        for o in &plan.organisations {
            let before = existing.organisation(&o.id).map(to_json);
            w.audit(
                actor,
                "registry.import",
                "organisation",
                &o.id,
                before.as_ref(),
                Some(&to_json(o)),
            )
            .await?;
        }
        for c in &plan.communities {
            let before = existing
                .communities
                .iter()
                .find(|x| x.id == c.id)
                .map(to_json);
            w.audit(
                actor,
                "registry.import",
                "community",
                &c.id,
                before.as_ref(),
                Some(&to_json(c)),
            )
            .await?;
        }
        w.commit().await?;
        // Every community gets its intelligence collection.
        self.ensure_collections().await?;
        Ok(ImportReport {
            findings: plan.findings,
            ..report
        })
    }

    /// Add a contact to an organisation.
    pub async fn add_contact(
        &self,
        actor: &Actor,
        org: &str,
        c: &Contact,
    ) -> Result<ContactRecord> {
        self.organisation(org).await?;
        // Same rules as an import: validate it as a one-contact change.
        let mut existing = self.registry().await?;
        let mut target = existing
            .organisations
            .iter()
            .find(|o| o.id == org)
            .cloned()
            .ok_or_else(|| StoreError::not_found("organisation", org))?;
        let mut contacts = target.contacts.take().unwrap_or_default();
        contacts.push(c.clone());
        target.contacts = Some(contacts);
        existing.organisations.retain(|o| o.id != org);
        let doc = RegistryDoc {
            organisations: vec![target],
            ..Default::default()
        };
        if let Err(errs) = registry::validate(&existing, &doc, &Locator::default()) {
            let e = &errs[0];
            let field = e.field.as_deref().unwrap_or("contact");
            let field = field.rsplit('.').next().unwrap_or(field);
            return Err(StoreError::invalid(field, e.message.clone()));
        }
        let mut w = self.write().await?;
        let position: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contacts WHERE org_id = $1")
            .bind(org)
            .fetch_one(&mut *w.tx)
            .await?;
        let id = uuid::Uuid::new_v4().to_string();
        insert_contact(w.conn(), &id, org, position, c).await?;
        w.audit(
            actor,
            "contact.add",
            "contact",
            &id,
            None,
            Some(&to_json(c)),
        )
        .await?;
        w.commit().await?;
        Ok(self
            .contacts(org)
            .await?
            .into_iter()
            .find(|x| x.id == id)
            .expect("just inserted"))
    }

    /// Record that a contact was confirmed as still valid today.
    pub async fn verify_contact(&self, actor: &Actor, contact_id: &str) -> Result<ContactRecord> {
        let before: Option<ContactRecord> = sqlx::query_as(
            "SELECT id, org_id, role, name, email, phone, deputy, last_verified, bounced_at FROM contacts WHERE id = $1",
        )
        .bind(contact_id)
        .fetch_optional(&self.pool)
        .await?;
        let before = before.ok_or_else(|| StoreError::not_found("contact", contact_id))?;
        let today = chrono::Utc::now().date_naive().to_string();
        let mut w = self.write().await?;
        sqlx::query("UPDATE contacts SET last_verified = $1 WHERE id = $2")
            .bind(&today)
            .bind(contact_id)
            .execute(&mut *w.tx)
            .await?;
        let mut after = before.clone();
        after.last_verified = Some(today);
        w.audit(
            actor,
            "contact.verify",
            "contact",
            contact_id,
            Some(&to_json(&before)),
            Some(&to_json(&after)),
        )
        .await?;
        w.commit().await?;
        Ok(after)
    }

    /// The organisation a contact belongs to.
    pub async fn contact_org(&self, contact_id: &str) -> Result<String> {
        let org: Option<String> = sqlx::query_scalar("SELECT org_id FROM contacts WHERE id = $1")
            .bind(contact_id)
            .fetch_optional(&self.pool)
            .await?;
        org.ok_or_else(|| StoreError::not_found("contact", contact_id))
    }

    /// Load the shipped reference registry once, on the first start.
    pub async fn ensure_reference(&self, text: &str) -> Result<Option<ImportReport>> {
        if self.meta("reference_loaded").await?.is_some() {
            return Ok(None);
        }
        let report = self
            .import_text(&Actor::system(), text, registry::Format::Yaml)
            .await?;
        let mut w = self.write().await?;
        crate::set_meta(w.conn(), "reference_loaded", &now()).await?;
        w.commit().await?;
        Ok(Some(report))
    }
}

fn to_json<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).expect("domain values serialise")
}

fn assets_of<'a>(rows: impl Iterator<Item = &'a AssetRow>) -> Assets {
    let mut a = Assets::default();
    for r in rows {
        match r.kind.as_str() {
            "prefix" => {
                if let Ok(net) = r.value.parse() {
                    a.prefixes.push(net)
                }
            }
            "asn" => {
                if let Ok(n) = r.value.parse() {
                    a.asns.push(n)
                }
            }
            "domain" => a.domains.push(r.value.clone()),
            _ => a.services.push(r.value.clone()),
        }
    }
    a
}

async fn insert_contact(
    conn: &mut AnyConnection,
    id: &str,
    org: &str,
    position: i64,
    c: &Contact,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO contacts (id, org_id, position, role, name, email, phone, deputy, last_verified) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id)
    .bind(org)
    .bind(position)
    .bind(c.role.as_str())
    .bind(&c.name)
    .bind(&c.email)
    .bind(&c.phone)
    .bind(c.deputy as i64)
    .bind(c.last_verified.map(|d| d.to_string()))
    .execute(conn)
    .await?;
    Ok(())
}

async fn write_plan(conn: &mut AnyConnection, plan: &ImportPlan) -> Result<ImportReport> {
    let t = now();
    let mut report = ImportReport {
        sectors: plan.sectors.len(),
        organisations: plan.organisations.len(),
        contacts: 0,
        assets: 0,
        communities: plan.communities.len(),
        findings: vec![],
    };
    let base: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sectors")
        .fetch_one(&mut *conn)
        .await?;
    for (i, s) in plan.sectors.iter().enumerate() {
        sqlx::query(
            "INSERT INTO sectors (id, position, name_en, name_ja, ministry_id, added) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO UPDATE SET \
             name_en = excluded.name_en, name_ja = excluded.name_ja, \
             ministry_id = excluded.ministry_id, added = excluded.added",
        )
        .bind(&s.id)
        .bind(base + i as i64)
        .bind(&s.name.en)
        .bind(&s.name.ja)
        .bind(&s.ministry)
        .bind(s.added.map(|d| d.to_string()))
        .execute(&mut *conn)
        .await?;
        for (j, sub) in s.subsectors.iter().enumerate() {
            sqlx::query(
                "INSERT INTO subsectors (id, sector_id, position, name_en, name_ja) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO UPDATE SET \
                 sector_id = excluded.sector_id, position = excluded.position, \
                 name_en = excluded.name_en, name_ja = excluded.name_ja",
            )
            .bind(&sub.id)
            .bind(&s.id)
            .bind(j as i64)
            .bind(&sub.name.en)
            .bind(&sub.name.ja)
            .execute(&mut *conn)
            .await?;
        }
    }
    for o in &plan.organisations {
        sqlx::query(
            "INSERT INTO organisations (id, name_en, name_ja, short, kind, sector_id, subsector_id, \
             ministry_id, parent_id, tags, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) \
             ON CONFLICT (id) DO UPDATE SET name_en = excluded.name_en, name_ja = excluded.name_ja, \
             short = excluded.short, kind = excluded.kind, sector_id = excluded.sector_id, \
             subsector_id = excluded.subsector_id, ministry_id = excluded.ministry_id, \
             parent_id = excluded.parent_id, tags = excluded.tags, updated_at = excluded.updated_at",
        )
        .bind(&o.id)
        .bind(&o.name.en)
        .bind(&o.name.ja)
        .bind(&o.short)
        .bind(o.kind.as_str())
        .bind(&o.sector)
        .bind(&o.subsector)
        .bind(&o.ministry)
        .bind(&o.parent)
        .bind(o.tags.join(" "))
        .bind(&t)
        .execute(&mut *conn)
        .await?;
        if let Some(contacts) = &o.contacts {
            sqlx::query("DELETE FROM contacts WHERE org_id = $1")
                .bind(&o.id)
                .execute(&mut *conn)
                .await?;
            for (i, c) in contacts.iter().enumerate() {
                insert_contact(conn, &uuid::Uuid::new_v4().to_string(), &o.id, i as i64, c).await?;
            }
            report.contacts += contacts.len();
        }
        if let Some(a) = &o.assets {
            sqlx::query("DELETE FROM assets WHERE org_id = $1")
                .bind(&o.id)
                .execute(&mut *conn)
                .await?;
            let rows = a
                .prefixes
                .iter()
                .map(|p| ("prefix", p.trunc().to_string()))
                .chain(a.asns.iter().map(|n| ("asn", n.to_string())))
                .chain(a.domains.iter().map(|d| ("domain", d.clone())))
                .chain(a.services.iter().map(|s| ("service", s.clone())));
            for (i, (kind, value)) in rows.enumerate() {
                sqlx::query(
                    "INSERT INTO assets (org_id, kind, value, position) VALUES ($1, $2, $3, $4)",
                )
                .bind(&o.id)
                .bind(kind)
                .bind(&value)
                .bind(i as i64)
                .execute(&mut *conn)
                .await?;
                report.assets += 1;
            }
        }
    }
    for c in &plan.communities {
        sqlx::query(
            "INSERT INTO communities (id, name_en, name_ja, kind, sector_id, members_only, \
             confidentiality_notice, audit_access) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (id) DO UPDATE SET name_en = excluded.name_en, name_ja = excluded.name_ja, \
             kind = excluded.kind, sector_id = excluded.sector_id, members_only = excluded.members_only, \
             confidentiality_notice = excluded.confidentiality_notice, audit_access = excluded.audit_access",
        )
        .bind(&c.id)
        .bind(&c.name.en)
        .bind(&c.name.ja)
        .bind(c.kind.as_str())
        .bind(&c.sector)
        .bind(c.rules.members_only as i64)
        .bind(c.rules.confidentiality_notice as i64)
        .bind(c.rules.audit_access as i64)
        .execute(&mut *conn)
        .await?;
        sqlx::query("DELETE FROM community_members WHERE community_id = $1")
            .bind(&c.id)
            .execute(&mut *conn)
            .await?;
        for (i, m) in c.members.iter().enumerate() {
            sqlx::query(
                "INSERT INTO community_members (community_id, org_id, position) VALUES ($1, $2, $3)",
            )
            .bind(&c.id)
            .bind(m)
            .bind(i as i64)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(report)
}
