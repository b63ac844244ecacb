//! The GSOC triage pipeline's records: events requiring confirmation
//! (確認を要するイベント), processed batches, counts per sensor and day, and
//! suppressions.
//!
//! A batch is written in one transaction together with its id, so a batch
//! delivered twice (JetStream redelivers after a crash) is recognised and
//! changes nothing: at-least-once delivery, exactly-once effect.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use sakimori_core::advisory::{AdvisoryFields, Audience, Category};
use sakimori_core::identity::Actor;
use sakimori_core::report::{Observable, ObservableKind, ReportFields, ReportStatus};
use sakimori_core::routing::RoutingRules;
use sakimori_core::routing::Urgency;
use sakimori_core::tlp::Tlp;
use sakimori_sensor::noise::Suppression;
use sakimori_sensor::triage::{Draft, Evidence};
use sakimori_sensor::Batch;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sqlx::Row;

use crate::advisories::{AdvisoryRecord, RelayPolicy};
use crate::intel::{ShareOptions, SHARED_COLLECTION};
use crate::{now, Result, Store, StoreError};

/// Where an event stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EventState {
    /// Waiting for an analyst.
    Open,
    /// Confirmed: the owning organisation was notified.
    Confirmed,
    /// Dismissed as noise.
    Dismissed,
    /// Escalated to an incident report.
    Escalated,
}

impl EventState {
    pub fn as_str(self) -> &'static str {
        match self {
            EventState::Open => "open",
            EventState::Confirmed => "confirmed",
            EventState::Dismissed => "dismissed",
            EventState::Escalated => "escalated",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "open" => EventState::Open,
            "confirmed" => EventState::Confirmed,
            "dismissed" => EventState::Dismissed,
            "escalated" => EventState::Escalated,
            _ => return None,
        })
    }
}

/// What an event carries besides its key and counts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventDetail {
    pub sensors: BTreeSet<String>,
    pub targets: BTreeSet<String>,
    /// Indicators that matched: STIX id → name.
    pub indicators: BTreeMap<String, String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub evidence: Vec<Evidence>,
}

/// An event requiring confirmation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SensorEvent {
    pub id: String,
    pub number: i64,
    pub source: String,
    pub technique: String,
    /// The organisation owning the target; `None` when nobody registered it.
    pub target_org: Option<String>,
    pub state: EventState,
    pub first_seen: String,
    pub last_seen: String,
    pub count: i64,
    /// Highest signature severity (1 is highest).
    pub severity: Option<i64>,
    pub detail: EventDetail,
    pub created_at: String,
    pub updated_at: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub decision_note: Option<String>,
    /// The TLP the notification went out at.
    pub tlp: Option<String>,
    /// The notification (an advisory addressed to the owner).
    pub advisory_id: Option<String>,
    /// The incident report it was escalated to.
    pub report_id: Option<String>,
    /// The suppression made when it was dismissed.
    pub suppression_id: Option<String>,
}

/// What applying a batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BatchOutcome {
    /// The batch id was seen before: nothing was changed.
    pub duplicate: bool,
    pub new_events: u64,
    pub updated_events: u64,
}

/// Which events to list.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub state: Option<EventState>,
    pub target_org: Option<String>,
    pub limit: i64,
}

/// Counts per sensor, organisation, sector and technique over a period.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SensorStatistics {
    pub from: String,
    pub to: String,
    pub records: i64,
    pub malformed: i64,
    /// Dropped as noise, by reason.
    pub noise: BTreeMap<String, i64>,
    /// Noise / records.
    pub noise_ratio: f64,
    pub matched: i64,
    pub events: i64,
    pub notifications: i64,
    pub events_by_state: BTreeMap<String, i64>,
    pub events_by_org: BTreeMap<String, i64>,
    pub notifications_by_org: BTreeMap<String, i64>,
    pub events_by_sector: BTreeMap<String, i64>,
    pub notifications_by_sector: BTreeMap<String, i64>,
    pub events_by_technique: BTreeMap<String, i64>,
    pub per_sensor: Vec<SensorStatus>,
}

/// One sensor's counts.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SensorStatus {
    pub sensor: String,
    pub site: String,
    pub records: i64,
    pub malformed: i64,
    pub noise: i64,
    pub matched: i64,
    pub candidates: i64,
    /// When its last batch was processed.
    pub last_seen: String,
}

const EVENT_COLUMNS: &str = "id, number, source, technique, target_org, state, first_seen, last_seen, count, severity, detail, created_at, updated_at, decided_by, decided_at, decision_note, tlp, advisory_id, report_id, suppression_id";

fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

fn event_of(r: &sqlx::any::AnyRow) -> Result<SensorEvent> {
    let target: String = r.try_get("target_org")?;
    let state: String = r.try_get("state")?;
    let detail: String = r.try_get("detail")?;
    Ok(SensorEvent {
        id: r.try_get("id")?,
        number: r.try_get("number")?,
        source: r.try_get("source")?,
        technique: r.try_get("technique")?,
        target_org: (!target.is_empty()).then_some(target),
        state: EventState::parse(&state).unwrap_or(EventState::Open),
        first_seen: r.try_get("first_seen")?,
        last_seen: r.try_get("last_seen")?,
        count: r.try_get("count")?,
        severity: r.try_get("severity")?,
        detail: serde_json::from_str(&detail).unwrap_or_default(),
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        decided_by: r.try_get("decided_by")?,
        decided_at: r.try_get("decided_at")?,
        decision_note: r.try_get("decision_note")?,
        tlp: r.try_get("tlp")?,
        advisory_id: r.try_get("advisory_id")?,
        report_id: r.try_get("report_id")?,
        suppression_id: r.try_get("suppression_id")?,
    })
}

fn detail_of(d: &Draft) -> EventDetail {
    EventDetail {
        sensors: d.sensors.clone(),
        targets: d.targets.clone(),
        indicators: d.indicators.clone(),
        evidence: d.evidence.clone(),
    }
}

fn draft_of(e: &SensorEvent) -> Option<Draft> {
    let parse = |s: &str| {
        DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    };
    Some(Draft {
        key: sakimori_sensor::triage::EventKey {
            source: e.source.clone(),
            technique: e.technique.clone(),
            target_org: e.target_org.clone(),
        },
        first_seen: parse(&e.first_seen)?,
        last_seen: parse(&e.last_seen)?,
        count: e.count as u64,
        sensors: e.detail.sensors.clone(),
        targets: e.detail.targets.clone(),
        indicators: e.detail.indicators.clone(),
        severity: e.severity.map(|s| s.clamp(0, 255) as u8),
        evidence: e.detail.evidence.clone(),
    })
}

impl Store {
    /// Applies one processed batch: merges its drafts into open events within
    /// `window`, adds its counts (malformed records included, in the
    /// tallies), and records its id — all in one transaction. A batch id seen
    /// before changes nothing.
    pub async fn apply_sensor_batch(
        &self,
        actor: &Actor,
        batch_id: &str,
        sensor: &str,
        records: u64,
        batch: &Batch,
        window: Duration,
    ) -> Result<BatchOutcome> {
        let t = now();
        let mut w = self.write().await?;
        let seen: Option<String> =
            sqlx::query_scalar("SELECT id FROM sensor_batches WHERE id = $1")
                .bind(batch_id)
                .fetch_optional(&mut *w.tx)
                .await?;
        if seen.is_some() {
            return Ok(BatchOutcome {
                duplicate: true,
                ..Default::default()
            });
        }
        sqlx::query(
            "INSERT INTO sensor_batches (id, sensor, records, processed_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(batch_id)
        .bind(sensor)
        .bind(records as i64)
        .bind(&t)
        .execute(&mut *w.tx)
        .await?;
        let mut out = BatchOutcome::default();
        for d in &batch.drafts {
            let lo = ts(d.first_seen - window);
            let hi = ts(d.last_seen + window);
            let row = sqlx::query(&format!(
                "SELECT {EVENT_COLUMNS} FROM sensor_events WHERE source = $1 AND technique = $2 \
                 AND target_org = $3 AND state = 'open' AND last_seen >= $4 AND first_seen <= $5 \
                 ORDER BY last_seen DESC LIMIT 1"
            ))
            .bind(&d.key.source)
            .bind(&d.key.technique)
            .bind(d.key.target_org.as_deref().unwrap_or(""))
            .bind(&lo)
            .bind(&hi)
            .fetch_optional(&mut *w.tx)
            .await?;
            match row.map(|r| event_of(&r)).transpose()? {
                Some(e) => {
                    let mut merged = draft_of(&e).unwrap_or_else(|| d.clone());
                    merged.merge(d);
                    sqlx::query(
                        "UPDATE sensor_events SET first_seen = $1, last_seen = $2, count = $3, \
                         severity = $4, detail = $5, updated_at = $6 WHERE id = $7",
                    )
                    .bind(ts(merged.first_seen))
                    .bind(ts(merged.last_seen))
                    .bind(merged.count as i64)
                    .bind(merged.severity.map(i64::from))
                    .bind(serde_json::to_string(&detail_of(&merged)).expect("json"))
                    .bind(&t)
                    .bind(&e.id)
                    .execute(&mut *w.tx)
                    .await?;
                    out.updated_events += 1;
                }
                None => {
                    let number: i64 = sqlx::query_scalar(
                        "SELECT COALESCE(MAX(number), 0) + 1 FROM sensor_events",
                    )
                    .fetch_one(&mut *w.tx)
                    .await?;
                    sqlx::query(
                        "INSERT INTO sensor_events (id, number, source, technique, target_org, state, \
                         first_seen, last_seen, count, severity, detail, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $8, $9, $10, $11, $11)",
                    )
                    .bind(uuid::Uuid::new_v4().to_string())
                    .bind(number)
                    .bind(&d.key.source)
                    .bind(&d.key.technique)
                    .bind(d.key.target_org.as_deref().unwrap_or(""))
                    .bind(ts(d.first_seen))
                    .bind(ts(d.last_seen))
                    .bind(d.count as i64)
                    .bind(d.severity.map(i64::from))
                    .bind(serde_json::to_string(&detail_of(d)).expect("json"))
                    .bind(&t)
                    .execute(&mut *w.tx)
                    .await?;
                    out.new_events += 1;
                }
            }
        }
        let day = &t[..10];
        for (k, c) in &batch.tallies {
            let bad = c.malformed;
            sqlx::query(
                "INSERT INTO sensor_stats (day, sensor, site, records, malformed, failed, scanner, \
                 warninglist, suppressed, matched, candidates, last_seen) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
                 ON CONFLICT (day, sensor, site) DO UPDATE SET \
                 records = sensor_stats.records + excluded.records, \
                 malformed = sensor_stats.malformed + excluded.malformed, \
                 failed = sensor_stats.failed + excluded.failed, \
                 scanner = sensor_stats.scanner + excluded.scanner, \
                 warninglist = sensor_stats.warninglist + excluded.warninglist, \
                 suppressed = sensor_stats.suppressed + excluded.suppressed, \
                 matched = sensor_stats.matched + excluded.matched, \
                 candidates = sensor_stats.candidates + excluded.candidates, \
                 last_seen = excluded.last_seen",
            )
            .bind(day)
            .bind(&k.0)
            .bind(&k.1)
            .bind(c.records as i64)
            .bind(bad as i64)
            .bind(c.failed as i64)
            .bind(c.scanner as i64)
            .bind(c.warninglist as i64)
            .bind(c.suppressed as i64)
            .bind(c.matched as i64)
            .bind(c.candidates as i64)
            .bind(&t)
            .execute(&mut *w.tx)
            .await?;
        }
        w.audit(
            actor,
            "sensor.batch",
            "sensor_batch",
            batch_id,
            None,
            Some(&json!({"sensor": sensor, "records": records, "new_events": out.new_events, "updated_events": out.updated_events})),
        )
        .await?;
        w.commit().await?;
        Ok(out)
    }

    /// Events, newest activity first.
    pub async fn sensor_events(&self, actor: &Actor, f: &EventFilter) -> Result<Vec<SensorEvent>> {
        self.check_triage(actor).await?;
        let mut sql = format!("SELECT {EVENT_COLUMNS} FROM sensor_events WHERE 1 = 1");
        let mut args: Vec<String> = Vec::new();
        if let Some(s) = f.state {
            args.push(s.as_str().into());
            sql.push_str(&format!(" AND state = ${}", args.len()));
        }
        if let Some(o) = &f.target_org {
            args.push(o.clone());
            sql.push_str(&format!(" AND target_org = ${}", args.len()));
        }
        sql.push_str(&format!(
            " ORDER BY last_seen DESC, number DESC LIMIT {}",
            f.limit.clamp(1, 10_000)
        ));
        let mut q = sqlx::query(&sql);
        for a in &args {
            q = q.bind(a);
        }
        q.fetch_all(&self.pool)
            .await?
            .iter()
            .map(event_of)
            .collect()
    }

    /// One event by id or number.
    pub async fn sensor_event(&self, actor: &Actor, id: &str) -> Result<SensorEvent> {
        self.check_triage(actor).await?;
        self.event_row(id).await
    }

    async fn event_row(&self, id: &str) -> Result<SensorEvent> {
        let row = match id.parse::<i64>() {
            Ok(n) => {
                sqlx::query(&format!(
                    "SELECT {EVENT_COLUMNS} FROM sensor_events WHERE number = $1"
                ))
                .bind(n)
                .fetch_optional(&self.pool)
                .await?
            }
            Err(_) => {
                sqlx::query(&format!(
                    "SELECT {EVENT_COLUMNS} FROM sensor_events WHERE id = $1"
                ))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
            }
        };
        row.map(|r| event_of(&r))
            .transpose()?
            .ok_or_else(|| StoreError::not_found("event", id))
    }

    async fn check_triage(&self, actor: &Actor) -> Result<()> {
        if actor.user_id == "system" {
            return Ok(());
        }
        let reg = self.registry_without_contacts().await?;
        let kind = reg.organisation(&actor.org).map(|o| o.kind);
        if !sakimori_core::policy::may_triage_events(actor, kind) {
            return Err(StoreError::Forbidden(
                "events are triaged by the coordination centre's coordinators and analysts".into(),
            ));
        }
        Ok(())
    }

    async fn open_event(&self, actor: &Actor, id: &str) -> Result<SensorEvent> {
        self.check_triage(actor).await?;
        let e = self.event_row(id).await?;
        if e.state != EventState::Open {
            return Err(StoreError::Conflict(format!(
                "event {} is already {}",
                e.number,
                e.state.as_str()
            )));
        }
        Ok(e)
    }

    /// Confirms an event: the owning organisation is notified at `tlp` (an
    /// advisory addressed to it alone, delivered directly, never relayed), and
    /// each indicator that matched gets a STIX sighting shared with it.
    pub async fn confirm_event(
        &self,
        actor: &Actor,
        id: &str,
        tlp: Tlp,
        note: Option<&str>,
    ) -> Result<(SensorEvent, AdvisoryRecord)> {
        let e = self.open_event(actor, id).await?;
        let Some(owner) = e.target_org.clone() else {
            return Err(StoreError::invalid(
                "target_org",
                "nobody registered the target: there is no organisation to notify",
            ));
        };
        if tlp == Tlp::Clear {
            return Err(StoreError::invalid(
                "tlp",
                "a notification names the victim's addresses: TLP:CLEAR would publish it",
            ));
        }
        if tlp == Tlp::Red {
            return Err(StoreError::invalid(
                "tlp",
                "TLP:RED names people, not an organisation; choose TLP:AMBER+STRICT",
            ));
        }
        // Sightings first, with ids fixed by the event: a retry after a crash
        // adds the same versions again, which the store takes as duplicates.
        let sightings = sightings_of(&e);
        if !sightings.is_empty() {
            let opts = ShareOptions {
                tlp: Some(tlp),
                recipients: if matches!(tlp, Tlp::Amber | Tlp::AmberStrict) {
                    vec![owner.clone()]
                } else {
                    vec![]
                },
                recipient_users: vec![],
            };
            self.add_objects(actor, SHARED_COLLECTION, &sightings, &opts, true)
                .await?;
        }
        let fields = notification_fields(&e, &owner, tlp, note);
        let t = now();
        let decided = json!({"state": "confirmed", "tlp": tlp.label(), "note": note});
        let (advisory, mut w) = self
            .create_advisory_open(actor, &fields, false, &RelayPolicy::default(), true)
            .await?;
        let link = Decision::Confirmed {
            tlp,
            advisory: &advisory.id,
        };
        decide(&mut w, actor, &e, note, link, &t, &decided).await?;
        w.commit().await?;
        Ok((self.event_row(&e.id).await?, advisory))
    }

    /// Dismisses an event as noise; with `suppress`, also silences the same
    /// source and technique from now on.
    pub async fn dismiss_event(
        &self,
        actor: &Actor,
        id: &str,
        note: Option<&str>,
        suppress: bool,
    ) -> Result<SensorEvent> {
        let e = self.open_event(actor, id).await?;
        let t = now();
        let mut w = self.write().await?;
        let mut suppression_id = None;
        if suppress {
            let s = Suppression {
                id: uuid::Uuid::new_v4().to_string(),
                source: e.source.parse::<std::net::IpAddr>().ok().map(Into::into),
                target: None,
                technique: Some(e.technique.clone()),
                signature_id: None,
                until: None,
                reason: note
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("dismissed with event {}", e.number)),
            };
            insert_suppression(&mut w, actor, &s, &t).await?;
            suppression_id = Some(s.id);
        }
        let after = json!({"note": note, "suppression": suppression_id});
        let link = Decision::Dismissed {
            suppression: suppression_id.as_deref(),
        };
        decide(&mut w, actor, &e, note, link, &t, &after).await?;
        w.commit().await?;
        self.event_row(&e.id).await
    }

    /// Escalates an event to an incident report of the centre, with the
    /// evidence in its description and the source as an observable.
    pub async fn escalate_event(
        &self,
        actor: &Actor,
        id: &str,
        note: Option<&str>,
        rules: &RoutingRules,
    ) -> Result<SensorEvent> {
        let e = self.open_event(actor, id).await?;
        let detected_at = DateTime::parse_from_rfc3339(&e.first_seen)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|_| Utc::now());
        let mut observables = Vec::new();
        if let Ok(ip) = e.source.parse::<std::net::IpAddr>() {
            observables.push(Observable {
                kind: if ip.is_ipv4() {
                    ObservableKind::Ipv4
                } else {
                    ObservableKind::Ipv6
                },
                value: ip.to_string(),
            });
        }
        let fields = ReportFields {
            summary: format!("Sensor event {}: {}", e.number, one_line(&e.technique, 200)),
            detected_at,
            service_affected: false,
            status: ReportStatus::Reported,
            event_class: None,
            causes: vec![],
            attack_types: vec![],
            affected_services: vec![],
            affected_sectors: vec![],
            impact: Default::default(),
            observables,
            description: Some(describe(&e, note)),
            contact: None,
            also_notify: e.target_org.iter().cloned().collect(),
        };
        let (report, _) = self
            .submit_report(
                actor,
                &fields,
                Some(&format!("event-{}", e.id)),
                rules,
                false,
            )
            .await?;
        let t = now();
        let mut w = self.write().await?;
        let after = json!({"report": report.id, "note": note});
        let link = Decision::Escalated { report: &report.id };
        decide(&mut w, actor, &e, note, link, &t, &after).await?;
        w.commit().await?;
        self.event_row(&e.id).await
    }

    /// Active suppressions.
    pub async fn suppressions(&self) -> Result<Vec<Suppression>> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT body FROM sensor_suppressions WHERE removed_at IS NULL ORDER BY created_at",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(b,)| serde_json::from_str(&b).ok())
            .collect())
    }

    /// Adds a suppression.
    pub async fn add_suppression(&self, actor: &Actor, s: &Suppression) -> Result<()> {
        self.check_triage(actor).await?;
        let mut w = self.write().await?;
        insert_suppression(&mut w, actor, s, &now()).await?;
        w.commit().await
    }

    /// Removes a suppression.
    pub async fn remove_suppression(&self, actor: &Actor, id: &str) -> Result<()> {
        self.check_triage(actor).await?;
        let mut w = self.write().await?;
        let n = sqlx::query(
            "UPDATE sensor_suppressions SET removed_at = $1 WHERE id = $2 AND removed_at IS NULL",
        )
        .bind(now())
        .bind(id)
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::not_found("suppression", id));
        }
        w.audit(actor, "suppression.remove", "suppression", id, None, None)
            .await?;
        w.commit().await
    }

    /// Counts per sensor, organisation, sector and technique for the days
    /// `from..=to` (`YYYY-MM-DD`).
    pub async fn sensor_statistics(
        &self,
        actor: &Actor,
        from: &str,
        to: &str,
    ) -> Result<SensorStatistics> {
        self.check_triage(actor).await?;
        let mut s = SensorStatistics {
            from: from.into(),
            to: to.into(),
            ..Default::default()
        };
        let rows = sqlx::query(
            "SELECT sensor, site, CAST(SUM(records) AS BIGINT) AS records, CAST(SUM(malformed) AS BIGINT) AS malformed, CAST(SUM(failed) AS BIGINT) AS failed, \
             CAST(SUM(scanner) AS BIGINT) AS scanner, CAST(SUM(warninglist) AS BIGINT) AS warninglist, CAST(SUM(suppressed) AS BIGINT) AS suppressed, \
             CAST(SUM(matched) AS BIGINT) AS matched, CAST(SUM(candidates) AS BIGINT) AS candidates, MAX(last_seen) AS last_seen \
             FROM sensor_stats WHERE day >= $1 AND day <= $2 GROUP BY sensor, site ORDER BY sensor, site",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        for r in &rows {
            let get = |c: &str| r.try_get::<i64, _>(c).unwrap_or(0);
            let noise = get("failed") + get("scanner") + get("warninglist") + get("suppressed");
            for c in ["failed", "scanner", "warninglist", "suppressed"] {
                *s.noise.entry(c.into()).or_default() += get(c);
            }
            s.records += get("records");
            s.malformed += get("malformed");
            s.matched += get("matched");
            s.per_sensor.push(SensorStatus {
                sensor: r.try_get("sensor")?,
                site: r.try_get("site")?,
                records: get("records"),
                malformed: get("malformed"),
                noise,
                matched: get("matched"),
                candidates: get("candidates"),
                last_seen: r.try_get("last_seen")?,
            });
        }
        let noise: i64 = s.noise.values().sum();
        s.noise_ratio = if s.records > 0 {
            noise as f64 / s.records as f64
        } else {
            0.0
        };
        let hi = format!("{to}T99");
        let reg = self.registry_without_contacts().await?;
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT target_org, technique, state FROM sensor_events WHERE first_seen >= $1 AND first_seen < $2",
        )
        .bind(from)
        .bind(&hi)
        .fetch_all(&self.pool)
        .await?;
        for (org, technique, state) in rows {
            let org_key = if org.is_empty() {
                "(unregistered)".to_owned()
            } else {
                org.clone()
            };
            let sector = reg
                .organisation(&org)
                .and_then(|o| o.sector.clone())
                .unwrap_or_else(|| "(none)".into());
            s.events += 1;
            *s.events_by_state.entry(state.clone()).or_default() += 1;
            *s.events_by_org.entry(org_key.clone()).or_default() += 1;
            *s.events_by_sector.entry(sector.clone()).or_default() += 1;
            *s.events_by_technique.entry(technique).or_default() += 1;
            if state == "confirmed" {
                s.notifications += 1;
                *s.notifications_by_org.entry(org_key).or_default() += 1;
                *s.notifications_by_sector.entry(sector).or_default() += 1;
            }
        }
        Ok(s)
    }

    /// Each sensor's counts over all days, for `sensor status`.
    pub async fn sensor_status(&self, actor: &Actor) -> Result<Vec<SensorStatus>> {
        Ok(self
            .sensor_statistics(actor, "0000-00-00", "9999-99-99")
            .await?
            .per_sensor)
    }
}

/// A decision's update changes the event only while it is open: when a
/// concurrent decision came first, this one is refused and rolled back (no
/// second notification, suppression or audit entry).
/// An analyst's decision and what it links the event to.
enum Decision<'a> {
    Confirmed { tlp: Tlp, advisory: &'a str },
    Dismissed { suppression: Option<&'a str> },
    Escalated { report: &'a str },
}

/// Records a decision on an open event, once: if another analyst decided it
/// meanwhile, nothing changes and the caller's transaction is rolled back
/// (409), so the owner is never notified twice.
async fn decide(
    w: &mut crate::Write<'_>,
    actor: &Actor,
    e: &SensorEvent,
    note: Option<&str>,
    d: Decision<'_>,
    t: &str,
    audit_after: &Value,
) -> Result<()> {
    let (state, column, link, tlp) = match d {
        Decision::Confirmed { tlp, advisory } => (
            EventState::Confirmed,
            "advisory_id",
            Some(advisory),
            Some(tlp.label()),
        ),
        Decision::Dismissed { suppression } => {
            (EventState::Dismissed, "suppression_id", suppression, None)
        }
        Decision::Escalated { report } => (EventState::Escalated, "report_id", Some(report), None),
    };
    let changed = sqlx::query(&format!(
        "UPDATE sensor_events SET state = $1, decided_by = $2, decided_at = $3, decision_note = $4, \
         {column} = $5, tlp = $6, updated_at = $3 WHERE id = $7 AND state = 'open'"
    ))
    .bind(state.as_str())
    .bind(&actor.username)
    .bind(t)
    .bind(note)
    .bind(link)
    .bind(tlp)
    .bind(&e.id)
    .execute(&mut *w.tx)
    .await?
    .rows_affected();
    if changed != 1 {
        return Err(StoreError::Conflict(format!(
            "event {} was decided meanwhile",
            e.number
        )));
    }
    let action = match state {
        EventState::Confirmed => "event.confirm",
        EventState::Dismissed => "event.dismiss",
        _ => "event.escalate",
    };
    w.audit(
        actor,
        action,
        "sensor_event",
        &e.id,
        None,
        Some(audit_after),
    )
    .await
}

async fn insert_suppression(
    w: &mut crate::Write<'_>,
    actor: &Actor,
    s: &Suppression,
    t: &str,
) -> Result<()> {
    if s.source.is_none() && s.target.is_none() && s.technique.is_none() && s.signature_id.is_none()
    {
        return Err(StoreError::invalid(
            "suppression",
            "set at least one of source, target, technique, signature_id",
        ));
    }
    let body = serde_json::to_value(s).expect("json");
    sqlx::query(
        "INSERT INTO sensor_suppressions (id, body, created_by, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(&s.id)
    .bind(body.to_string())
    .bind(&actor.username)
    .bind(t)
    .execute(&mut *w.tx)
    .await?;
    w.audit(
        actor,
        "suppression.add",
        "suppression",
        &s.id,
        None,
        Some(&body),
    )
    .await
}

fn one_line(s: &str, max: usize) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max)
        .collect()
}

/// The event in words, for the notification and the report.
fn describe(e: &SensorEvent, note: Option<&str>) -> String {
    let mut b = String::new();
    b.push_str(&format!(
        "Government sensors observed **{}** from `{}`: {} record(s) between {} and {}.\n\n",
        one_line(&e.technique, 300),
        e.source,
        e.count,
        e.first_seen,
        e.last_seen
    ));
    if !e.detail.targets.is_empty() {
        let t: Vec<String> = e.detail.targets.iter().map(|t| format!("`{t}`")).collect();
        b.push_str(&format!("Targeted addresses: {}\n\n", t.join(", ")));
    }
    if !e.detail.indicators.is_empty() {
        b.push_str("Matching indicators:\n\n");
        for (id, name) in &e.detail.indicators {
            b.push_str(&format!("- {} (`{id}`)\n", one_line(name, 200)));
        }
        b.push('\n');
    }
    if let Some(n) = note.filter(|n| !n.trim().is_empty()) {
        b.push_str(&format!("Analyst's note: {n}\n\n"));
    }
    b.push_str("Evidence (first records):\n\n");
    for ev in e.detail.evidence.iter().take(10) {
        b.push_str(&format!(
            "- {} {} {} → {}{}\n",
            ts(ev.time),
            ev.kind,
            ev.src.as_deref().unwrap_or("-"),
            ev.dst.as_deref().unwrap_or("-"),
            ev.signature
                .as_deref()
                .map(|s| format!(" [{}]", one_line(s, 120)))
                .unwrap_or_default()
        ));
    }
    b
}

fn notification_fields(
    e: &SensorEvent,
    owner: &str,
    tlp: Tlp,
    note: Option<&str>,
) -> AdvisoryFields {
    let mut indicators = Vec::new();
    if let Ok(ip) = e.source.parse::<std::net::IpAddr>() {
        indicators.push(Observable {
            kind: if ip.is_ipv4() {
                ObservableKind::Ipv4
            } else {
                ObservableKind::Ipv6
            },
            value: ip.to_string(),
        });
    }
    AdvisoryFields {
        title: format!(
            "Sensor notification {}: {}",
            e.number,
            one_line(&e.technique, 200)
        ),
        title_ja: Some(format!(
            "センサー通報 {}: {}",
            e.number,
            one_line(&e.technique, 200)
        )),
        body: describe(e, note),
        body_ja: None,
        tlp,
        category: Category::Attack,
        urgency: if e.severity.is_some_and(|s| s <= 1) {
            Urgency::High
        } else {
            Urgency::Normal
        },
        valid_from: None,
        valid_until: None,
        indicators,
        cves: vec![],
        audience: Audience {
            organisations: vec![owner.to_owned()],
            ..Default::default()
        },
    }
}

/// A STIX sighting per matched indicator, with ids fixed by the event.
fn sightings_of(e: &SensorEvent) -> Vec<Value> {
    const NS: uuid::Uuid = uuid::Uuid::from_u128(0x5a4e_1d0a_7c39_4e21_9d0c_5e2f_0b1c_7a11);
    let to_stix = |s: &str| {
        DateTime::parse_from_rfc3339(s)
            .map(|t| {
                t.with_timezone(&Utc)
                    .format("%Y-%m-%dT%H:%M:%S%.3fZ")
                    .to_string()
            })
            .unwrap_or_else(|_| s.to_owned())
    };
    let first = to_stix(&e.first_seen);
    let last = to_stix(&e.last_seen);
    e.detail
        .indicators
        .keys()
        .map(|ind| {
            let id = uuid::Uuid::new_v5(&NS, format!("{}|{ind}", e.id).as_bytes());
            json!({
                "type": "sighting",
                "spec_version": "2.1",
                "id": format!("sighting--{id}"),
                "created": last,
                "modified": last,
                "sighting_of_ref": ind,
                "first_seen": first,
                "last_seen": last,
                "count": e.count.clamp(1, 999_999_999),
                "description": format!("Government sensor event {} ({})", e.number, one_line(&e.technique, 200)),
            })
        })
        .collect()
}
