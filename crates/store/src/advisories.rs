//! Advisories in the database: creation with its whole delivery plan in one
//! transaction, relay by each tier, reads and acknowledgements, reminders and
//! escalation to deputies.

use crate::reports::{insert_outbox_rows, OutboxRow};
use crate::{now, Result, Store, StoreError};
use sakimori_core::advisory::{check_audience, plan, resolve_audience, AdvisoryFields, Tier};
use sakimori_core::registry::OrgKind;
use sakimori_core::report::FieldError;
use sakimori_core::tlp::Tlp;
use sakimori_core::Actor;
use serde::Serialize;
use sqlx::FromRow;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Whether each relaying tier passes advisories on at once or after review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelayPolicy {
    /// Ministries relay automatically (default) or after their own review.
    #[serde(default = "yes")]
    pub ministry_auto: bool,
    /// CEPTOARs/ISACs relay automatically (default) or after their own review.
    #[serde(default = "yes")]
    pub hub_auto: bool,
}

fn yes() -> bool {
    true
}

impl Default for RelayPolicy {
    fn default() -> Self {
        RelayPolicy {
            ministry_auto: true,
            hub_auto: true,
        }
    }
}

impl RelayPolicy {
    fn auto(&self, tier: Tier) -> bool {
        match tier {
            Tier::Ministry => self.ministry_auto,
            Tier::Hub => self.hub_auto,
            Tier::Organisation => true,
        }
    }
}

/// One organisation's copy of an advisory.
#[derive(Debug, Clone, Serialize, FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryState {
    pub org_id: String,
    pub tier: String,
    /// Who relays it to this organisation (`None`: the author, directly).
    pub via: Option<String>,
    /// `None` while it waits for `via` to relay it.
    pub delivered_at: Option<String>,
    pub read_at: Option<String>,
    pub acknowledged_at: Option<String>,
    pub acknowledged_by: Option<String>,
    pub relayed_at: Option<String>,
    pub relay_note: Option<String>,
    pub reminded_at: Option<String>,
    pub escalated_at: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdvisoryRecord {
    pub id: String,
    pub number: i64,
    pub author_org: String,
    pub author_user: String,
    pub drill: bool,
    pub fields: AdvisoryFields,
    pub created_at: String,
    pub deliveries: Vec<DeliveryState>,
}

impl AdvisoryRecord {
    /// Organisations it has reached (not those waiting for a relay).
    pub fn delivered_to(&self) -> Vec<String> {
        self.deliveries
            .iter()
            .filter(|d| d.delivered_at.is_some())
            .map(|d| d.org_id.clone())
            .collect()
    }

    /// The notes the tiers above added when relaying it to `org`, top first
    /// (organisation, note).
    pub fn relay_notes(&self, org: &str) -> Vec<(String, String)> {
        let mut notes = Vec::new();
        let mut via = self
            .deliveries
            .iter()
            .find(|d| d.org_id == org)
            .and_then(|d| d.via.clone());
        // Tiers are at most three deep; never loop.
        for _ in 0..8 {
            let Some(v) = via else { break };
            let Some(d) = self.deliveries.iter().find(|d| d.org_id == v) else {
                break;
            };
            if let Some(n) = &d.relay_note {
                notes.insert(0, (d.org_id.clone(), n.clone()));
            }
            via = d.via.clone().filter(|next| *next != v);
        }
        notes
    }
}

#[derive(FromRow)]
struct AdvisoryRow {
    id: String,
    number: i64,
    author_org: String,
    author_user: String,
    drill: i64,
    fields: String,
    created_at: String,
}

const DELIVERY_COLUMNS: &str =
    "org_id, tier, via, delivered_at, read_at, acknowledged_at, acknowledged_by, \
                                relayed_at, relay_note, reminded_at, escalated_at";

fn field_error(e: FieldError) -> StoreError {
    StoreError::Invalid {
        field: e.field,
        message: e.message,
    }
}

impl Store {
    /// Create an advisory and deliver it down the tiers in one transaction.
    pub async fn create_advisory(
        &self,
        actor: &Actor,
        fields: &AdvisoryFields,
        drill: bool,
        relay: &RelayPolicy,
    ) -> Result<AdvisoryRecord> {
        let (record, w) = self
            .create_advisory_open(actor, fields, drill, relay, false)
            .await?;
        w.commit().await?;
        Ok(record)
    }

    /// [`Store::create_advisory`] with the transaction left open, for changes
    /// that must commit with it. `direct`: every target receives it from the
    /// author, nobody relays (a notification meant for one organisation).
    pub(crate) async fn create_advisory_open(
        &self,
        actor: &Actor,
        fields: &AdvisoryFields,
        drill: bool,
        relay: &RelayPolicy,
        direct: bool,
    ) -> Result<(AdvisoryRecord, crate::Write<'_>)> {
        fields.check().map_err(field_error)?;
        let reg = self.registry_without_contacts().await?;
        check_audience(&fields.audience, &reg).map_err(field_error)?;
        let author = reg
            .organisation(&actor.org)
            .ok_or_else(|| StoreError::invalid("author", "the author's organisation is unknown"))?;
        let mut targets = resolve_audience(&fields.audience, &reg);
        // A ministry or hub writes for its own constituents only.
        match author.kind {
            OrgKind::CoordinationCentre => {}
            OrgKind::Ministry => targets.retain(|t| {
                reg.organisation(t)
                    .is_some_and(|o| reg.supervising_ministry(o) == Some(author.id.as_str()))
            }),
            OrgKind::Hub => targets.retain(|t| {
                reg.organisation(t)
                    .is_some_and(|o| o.sector.is_some() && o.sector == author.sector)
            }),
            _ => {
                return Err(StoreError::invalid(
                    "author",
                    "advisories are written by the centre, a ministry or a hub",
                ))
            }
        }
        targets.remove(&actor.org);
        if targets.is_empty() {
            return Err(StoreError::invalid(
                "audience",
                "the audience matches nobody you may send to",
            ));
        }
        let planned = if direct {
            plan(&actor.org, &targets, Tlp::AmberStrict, &reg)
        } else {
            plan(&actor.org, &targets, fields.tlp, &reg)
        };
        // Deliver the top tier now, and every tier below whose relay is automatic.
        let tiers: HashMap<&str, Tier> = planned
            .iter()
            .map(|d| (d.organisation.as_str(), d.tier))
            .collect();
        let mut delivered: HashSet<&str> = HashSet::new();
        let mut relayed: HashSet<&str> = HashSet::new();
        loop {
            let before = delivered.len();
            for d in &planned {
                let ready = match &d.via {
                    None => true,
                    Some(v) => delivered.contains(v.as_str()) && relay.auto(tiers[v.as_str()]),
                };
                if ready && delivered.insert(d.organisation.as_str()) {
                    if let Some(v) = &d.via {
                        relayed.insert(v.as_str());
                    }
                }
            }
            if delivered.len() == before {
                break;
            }
        }
        let id = uuid::Uuid::new_v4().to_string();
        let t = now();
        let notify: Vec<&str> = delivered.iter().copied().collect();
        let targets_of = self.notification_targets_of(&notify).await?;
        let mut w = self.write().await?;
        let number: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(number), 0) + 1 FROM advisories")
            .fetch_one(&mut *w.tx)
            .await?;
        sqlx::query(
            "INSERT INTO advisories (id, number, author_org, author_user, tlp, category, urgency, drill, fields, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&id)
        .bind(number)
        .bind(&actor.org)
        .bind(&actor.username)
        .bind(fields.tlp.label())
        .bind(fields.category.as_str())
        .bind(fields.urgency.as_str())
        .bind(drill as i64)
        .bind(serde_json::to_string(fields).expect("json"))
        .bind(&t)
        .execute(&mut *w.tx)
        .await?;
        // One statement with the whole plan as a JSON array: binding 60,000
        // parameters costs more than the insert itself.
        let rows: Vec<serde_json::Value> = planned
            .iter()
            .map(|d| {
                let now_if = |set: &HashSet<&str>| set.contains(d.organisation.as_str()).then(|| t.clone());
                serde_json::json!({"o": d.organisation, "t": d.tier.as_str(), "v": d.via, "d": now_if(&delivered), "r": now_if(&relayed)})
            })
            .collect();
        let sql = match self.backend() {
            crate::Backend::Sqlite => {
                "INSERT INTO advisory_deliveries (advisory_id, org_id, tier, via, delivered_at, relayed_at) \
                 SELECT $1, json_extract(value, '$.o'), json_extract(value, '$.t'), json_extract(value, '$.v'), \
                 json_extract(value, '$.d'), json_extract(value, '$.r') FROM json_each($2)"
            }
            crate::Backend::Postgres => {
                "INSERT INTO advisory_deliveries (advisory_id, org_id, tier, via, delivered_at, relayed_at) \
                 SELECT $1, e->>'o', e->>'t', e->>'v', e->>'d', e->>'r' FROM json_array_elements(CAST($2 AS json)) AS e"
            }
        };
        sqlx::query(sql)
            .bind(&id)
            .bind(serde_json::Value::Array(rows).to_string())
            .execute(&mut *w.tx)
            .await?;
        let subject = format!("advisory {number}: {}", fields.title);
        let payload = serde_json::json!({"event": "advisory.delivered", "advisory_id": id, "number": number, "tlp": fields.tlp, "category": fields.category, "urgency": fields.urgency, "drill": drill, "title": fields.title});
        let rows: Vec<OutboxRow> = targets_of
            .iter()
            .flat_map(|x| x.messages(&subject, &payload))
            .collect();
        insert_outbox_rows(&mut w, &rows, &t).await?;
        w.audit(
            actor,
            "advisory.create",
            "advisory",
            &id,
            None,
            Some(&serde_json::to_value(fields).expect("json")),
        )
        .await?;
        // Built from what was written rather than read back: 10,000 rows matter here.
        let deliveries = planned
            .iter()
            .map(|d| DeliveryState {
                org_id: d.organisation.clone(),
                tier: d.tier.as_str().to_owned(),
                via: d.via.clone(),
                delivered_at: delivered
                    .contains(d.organisation.as_str())
                    .then(|| t.clone()),
                read_at: None,
                acknowledged_at: None,
                acknowledged_by: None,
                relayed_at: relayed.contains(d.organisation.as_str()).then(|| t.clone()),
                relay_note: None,
                reminded_at: None,
                escalated_at: None,
            })
            .collect();
        let record = AdvisoryRecord {
            id,
            number,
            author_org: actor.org.clone(),
            author_user: actor.username.clone(),
            drill,
            fields: fields.clone(),
            created_at: t,
            deliveries,
        };
        Ok((record, w))
    }

    pub async fn advisory(&self, id: &str) -> Result<AdvisoryRecord> {
        let row: Option<AdvisoryRow> = sqlx::query_as(
            "SELECT id, number, author_org, author_user, drill, fields, created_at FROM advisories WHERE id = $1 OR CAST(number AS TEXT) = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let row = row.ok_or_else(|| StoreError::not_found("advisory", id))?;
        let deliveries: Vec<DeliveryState> = sqlx::query_as(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM advisory_deliveries WHERE advisory_id = $1 ORDER BY tier, org_id"
        ))
        .bind(&row.id)
        .fetch_all(&self.pool)
        .await?;
        Ok(AdvisoryRecord {
            fields: serde_json::from_str(&row.fields)
                .map_err(|e| StoreError::Conflict(e.to_string()))?,
            id: row.id,
            number: row.number,
            author_org: row.author_org,
            author_user: row.author_user,
            drill: row.drill != 0,
            created_at: row.created_at,
            deliveries,
        })
    }

    /// Advisories an organisation wrote or received (all for `None`), newest first.
    /// The caller asks the policy about each.
    pub async fn advisories_for(
        &self,
        org: Option<&str>,
        limit: i64,
    ) -> Result<Vec<AdvisoryRecord>> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM advisories WHERE $1 IS NULL OR author_org = $1 OR tlp = 'TLP:CLEAR' OR id IN \
             (SELECT advisory_id FROM advisory_deliveries WHERE org_id = $1 AND delivered_at IS NOT NULL) \
             ORDER BY number DESC LIMIT $2",
        )
        .bind(org)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(self.advisory(&id).await?);
        }
        Ok(out)
    }

    /// The advisories `actor` may read, newest first, through the access policy.
    pub async fn advisories_visible_to(
        &self,
        actor: &Actor,
        limit: i64,
    ) -> Result<Vec<AdvisoryRecord>> {
        let org = if actor.has(sakimori_core::Role::Coordinator) {
            None
        } else {
            Some(actor.org.as_str())
        };
        Ok(self
            .advisories_for(org, limit)
            .await?
            .into_iter()
            .filter(|a| {
                sakimori_core::policy::may_view_advisory(
                    actor,
                    &a.author_org,
                    a.fields.tlp,
                    &a.delivered_to(),
                )
            })
            .collect())
    }

    /// The actor's organisation relays an advisory to the tier below (after its
    /// review), with an optional note; tiers below that relay automatically follow.
    pub async fn relay_advisory(
        &self,
        actor: &Actor,
        id: &str,
        note: Option<&str>,
        relay: &RelayPolicy,
    ) -> Result<AdvisoryRecord> {
        let a = self.advisory(id).await?;
        let mine = a
            .deliveries
            .iter()
            .find(|d| d.org_id == actor.org && d.delivered_at.is_some())
            .ok_or_else(|| {
                StoreError::invalid(
                    "advisory",
                    "your organisation has not received this advisory",
                )
            })?;
        if !a
            .deliveries
            .iter()
            .any(|d| d.via.as_deref() == Some(&actor.org))
        {
            return Err(StoreError::invalid(
                "advisory",
                "there is nobody for your organisation to relay this advisory to",
            ));
        }
        let tiers: HashMap<&str, Tier> = a
            .deliveries
            .iter()
            .map(|d| {
                (
                    d.org_id.as_str(),
                    d.tier.parse().unwrap_or(Tier::Organisation),
                )
            })
            .collect();
        let mut delivered: HashSet<String> = a.delivered_to().into_iter().collect();
        let mut newly: Vec<String> = Vec::new();
        let mut relayers: Vec<String> = vec![actor.org.clone()];
        while let Some(r) = relayers.pop() {
            for d in a.deliveries.iter().filter(|d| d.via.as_deref() == Some(&r)) {
                if delivered.insert(d.org_id.clone()) {
                    newly.push(d.org_id.clone());
                    if relay.auto(tiers[d.org_id.as_str()]) {
                        relayers.push(d.org_id.clone());
                    }
                }
            }
        }
        let t = now();
        let notify: Vec<&str> = newly.iter().map(String::as_str).collect();
        let targets_of = self.notification_targets_of(&notify).await?;
        let mut w = self.write().await?;
        sqlx::query("UPDATE advisory_deliveries SET relayed_at = $1, relay_note = $2 WHERE advisory_id = $3 AND org_id = $4")
            .bind(&t)
            .bind(note)
            .bind(&a.id)
            .bind(&mine.org_id)
            .execute(&mut *w.tx)
            .await?;
        for org in &newly {
            sqlx::query("UPDATE advisory_deliveries SET delivered_at = $1 WHERE advisory_id = $2 AND org_id = $3")
                .bind(&t)
                .bind(&a.id)
                .bind(org)
                .execute(&mut *w.tx)
                .await?;
            if relay.auto(tiers[org.as_str()])
                && a.deliveries.iter().any(|d| d.via.as_deref() == Some(org))
            {
                sqlx::query("UPDATE advisory_deliveries SET relayed_at = $1 WHERE advisory_id = $2 AND org_id = $3")
                    .bind(&t)
                    .bind(&a.id)
                    .bind(org)
                    .execute(&mut *w.tx)
                    .await?;
            }
        }
        let subject = format!("advisory {}: {}", a.number, a.fields.title);
        let payload = serde_json::json!({"event": "advisory.delivered", "advisory_id": a.id, "number": a.number, "tlp": a.fields.tlp, "relayed_by": actor.org, "note": note});
        let rows: Vec<OutboxRow> = targets_of
            .iter()
            .flat_map(|x| x.messages(&subject, &payload))
            .collect();
        insert_outbox_rows(&mut w, &rows, &t).await?;
        w.audit(
            actor,
            "advisory.relay",
            "advisory",
            &a.id,
            None,
            Some(&serde_json::json!({"note": note, "delivered": newly.len()})),
        )
        .await?;
        w.commit().await?;
        self.advisory(&a.id).await
    }

    /// Record that the actor's organisation read, or acknowledged, an advisory.
    pub async fn mark_advisory(
        &self,
        actor: &Actor,
        id: &str,
        acknowledge: bool,
    ) -> Result<AdvisoryRecord> {
        let a = self.advisory(id).await?;
        if !a
            .deliveries
            .iter()
            .any(|d| d.org_id == actor.org && d.delivered_at.is_some())
        {
            return Err(StoreError::invalid(
                "advisory",
                "your organisation has not received this advisory",
            ));
        }
        let t = now();
        let mut w = self.write().await?;
        let n = if acknowledge {
            sqlx::query(
                "UPDATE advisory_deliveries SET acknowledged_at = $1, acknowledged_by = $2, read_at = COALESCE(read_at, $1) \
                 WHERE advisory_id = $3 AND org_id = $4 AND acknowledged_at IS NULL",
            )
            .bind(&t)
            .bind(&actor.username)
            .bind(&a.id)
            .bind(&actor.org)
            .execute(&mut *w.tx)
            .await?
            .rows_affected()
        } else {
            sqlx::query("UPDATE advisory_deliveries SET read_at = $1 WHERE advisory_id = $2 AND org_id = $3 AND read_at IS NULL")
                .bind(&t)
                .bind(&a.id)
                .bind(&actor.org)
                .execute(&mut *w.tx)
                .await?
                .rows_affected()
        };
        if n > 0 {
            let action = if acknowledge {
                "advisory.acknowledge"
            } else {
                "advisory.read"
            };
            w.audit(actor, action, "advisory", &a.id, None, None)
                .await?;
            w.commit().await?;
        }
        self.advisory(&a.id).await
    }

    /// Advisories the coordination centre sent per quarter of a fiscal year
    /// ("provisions out" of the official table); drills are never counted.
    pub async fn provisions_per_quarter(&self, fiscal_year: i32) -> Result<[u64; 4]> {
        let times: Vec<String> = sqlx::query_scalar(
            "SELECT a.created_at FROM advisories a JOIN organisations o ON o.id = a.author_org \
             WHERE a.drill = 0 AND o.kind = 'coordination-centre'",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out = [0u64; 4];
        for t in times {
            if let Ok(t) = t.parse::<chrono::DateTime<chrono::Utc>>() {
                let (fy, q) = sakimori_core::report::fiscal_quarter(t);
                if fy == fiscal_year && (1..=4).contains(&q) {
                    out[q as usize - 1] += 1;
                }
            }
        }
        Ok(out)
    }

    /// Remind recipients that have not acknowledged after `remind_after`, and
    /// escalate to their deputy contacts after `escalate_after`. Returns how many
    /// deliveries were reminded and escalated.
    pub async fn advisory_reminders(
        &self,
        remind_after: chrono::Duration,
        escalate_after: chrono::Duration,
    ) -> Result<(usize, usize)> {
        let fmt = |d: chrono::Duration| {
            (chrono::Utc::now() - d)
                .format("%Y-%m-%dT%H:%M:%S%.6fZ")
                .to_string()
        };
        let due: Vec<(String, String, i64, String, Option<String>)> = sqlx::query_as(
            "SELECT d.advisory_id, d.org_id, a.number, a.fields, d.reminded_at FROM advisory_deliveries d \
             JOIN advisories a ON a.id = d.advisory_id \
             WHERE d.delivered_at IS NOT NULL AND d.acknowledged_at IS NULL AND d.escalated_at IS NULL \
             AND ((d.reminded_at IS NULL AND d.delivered_at <= $1) OR (d.reminded_at IS NOT NULL AND d.delivered_at <= $2))",
        )
        .bind(fmt(remind_after))
        .bind(fmt(escalate_after))
        .fetch_all(&self.pool)
        .await?;
        if due.is_empty() {
            return Ok((0, 0));
        }
        let t = now();
        let mut rows: Vec<OutboxRow> = Vec::new();
        let (mut reminded, mut escalated) = (Vec::new(), Vec::new());
        for (aid, org, number, fields, reminded_at) in &due {
            let title = serde_json::from_str::<AdvisoryFields>(fields)
                .map(|f| f.title)
                .unwrap_or_default();
            let escalate = reminded_at.is_some();
            let deputy = escalate as i64;
            let emails: Vec<String> = sqlx::query_scalar(
                "SELECT email FROM contacts WHERE org_id = $1 AND deputy = $2 ORDER BY position",
            )
            .bind(org)
            .bind(deputy)
            .fetch_all(&self.pool)
            .await?;
            let (event, subject) = if escalate {
                (
                    "advisory.escalated",
                    format!("ESCALATION: advisory {number} not acknowledged: {title}"),
                )
            } else {
                (
                    "advisory.reminder",
                    format!("Reminder: please acknowledge advisory {number}: {title}"),
                )
            };
            let payload = serde_json::json!({"event": event, "advisory_id": aid, "number": number, "organisation": org}).to_string();
            rows.extend(
                emails
                    .into_iter()
                    .map(|e| ("email", e, subject.clone(), payload.clone())),
            );
            if escalate {
                escalated.push((aid, org))
            } else {
                reminded.push((aid, org))
            }
        }
        let mut w = self.write().await?;
        for (aid, org) in &reminded {
            sqlx::query("UPDATE advisory_deliveries SET reminded_at = $1 WHERE advisory_id = $2 AND org_id = $3").bind(&t).bind(*aid).bind(*org).execute(&mut *w.tx).await?;
        }
        for (aid, org) in &escalated {
            sqlx::query("UPDATE advisory_deliveries SET escalated_at = $1 WHERE advisory_id = $2 AND org_id = $3").bind(&t).bind(*aid).bind(*org).execute(&mut *w.tx).await?;
        }
        insert_outbox_rows(&mut w, &rows, &t).await?;
        w.audit(
            &Actor::system(),
            "advisory.remind",
            "advisory",
            "*",
            None,
            Some(&serde_json::json!({"reminded": reminded.len(), "escalated": escalated.len()})),
        )
        .await?;
        w.commit().await?;
        Ok((reminded.len(), escalated.len()))
    }
}

/// Per tier: how many organisations were delivered, read, acknowledged, and the
/// median minutes from delivery to acknowledgement.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TierStatus {
    pub tier: String,
    pub organisations: usize,
    pub delivered: usize,
    pub read: usize,
    pub acknowledged: usize,
    pub waiting_for_relay: usize,
    pub median_minutes_to_acknowledge: Option<f64>,
}

/// The author's view: tier by tier.
pub fn tier_status(a: &AdvisoryRecord) -> Vec<TierStatus> {
    let mut by: BTreeMap<usize, (String, Vec<&DeliveryState>)> = BTreeMap::new();
    for d in &a.deliveries {
        let order = match d.tier.as_str() {
            "ministry" => 0,
            "hub" => 1,
            _ => 2,
        };
        by.entry(order)
            .or_insert_with(|| (d.tier.clone(), vec![]))
            .1
            .push(d);
    }
    let minutes = |d: &DeliveryState| -> Option<f64> {
        let a: chrono::DateTime<chrono::Utc> = d.delivered_at.as_deref()?.parse().ok()?;
        let b: chrono::DateTime<chrono::Utc> = d.acknowledged_at.as_deref()?.parse().ok()?;
        Some((b - a).num_milliseconds() as f64 / 60_000.0)
    };
    by.into_values()
        .map(|(tier, ds)| {
            let mut m: Vec<f64> = ds.iter().filter_map(|d| minutes(d)).collect();
            m.sort_by(|a, b| a.total_cmp(b));
            TierStatus {
                tier,
                organisations: ds.len(),
                delivered: ds.iter().filter(|d| d.delivered_at.is_some()).count(),
                read: ds.iter().filter(|d| d.read_at.is_some()).count(),
                acknowledged: ds.iter().filter(|d| d.acknowledged_at.is_some()).count(),
                waiting_for_relay: ds.iter().filter(|d| d.delivered_at.is_none()).count(),
                median_minutes_to_acknowledge: (!m.is_empty()).then(|| m[m.len() / 2]),
            }
        })
        .collect()
}
