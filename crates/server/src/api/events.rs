//! Event routes: the events requiring confirmation (確認を要するイベント) that
//! the GSOC triage pipeline produced, and the analyst's three decisions on
//! each — confirm (notify the owning organisation), dismiss (noise, optionally
//! suppressed from now on) and escalate (an incident report of the centre) —
//! with the suppressions, the statistics and the sensors' counts.
//!
//! The route permission is `TriageEvents`; the store also requires the caller
//! to belong to a coordination centre.

use super::registry::parse_json;
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use chrono::{DateTime, NaiveDate, Utc};
use sakimori_core::registry::OrgKind;
use sakimori_core::tlp::Tlp;
use sakimori_core::Actor;
use sakimori_sensor::noise::Suppression;
use sakimori_store::{EventFilter, EventState, SensorEvent, SensorStatistics, SensorStatus};
use serde::{Deserialize, Serialize};

/// Parse a decision's body; an empty body is an empty object, so that a
/// missing mandatory field is named rather than the body.
fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> ApiResult<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        parse_json(b"{}")
    } else {
        parse_json(body)
    }
}

/// A note as given, or `None` when blank.
fn note_of(note: &Option<String>) -> Option<&str> {
    note.as_deref().map(str::trim).filter(|n| !n.is_empty())
}

#[derive(Deserialize)]
pub struct ListQuery {
    state: Option<String>,
    org: Option<String>,
    limit: Option<String>,
}

pub async fn list(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Vec<SensorEvent>>> {
    let state = match q.state.as_deref().map(str::trim).filter(|x| !x.is_empty()) {
        None | Some("all") => None,
        Some(x) => Some(EventState::parse(x).ok_or_else(|| {
            ApiError::invalid(
                "state",
                format!("unknown state {x:?}: open, confirmed, dismissed, escalated or all"),
            )
        })?),
    };
    let limit = match q.limit.as_deref() {
        None => 200,
        Some(l) => l
            .trim()
            .parse::<i64>()
            .map_err(|_| ApiError::invalid("limit", format!("{l:?} is not a number")))?,
    };
    let filter = EventFilter {
        state,
        target_org: q.org.filter(|o| !o.trim().is_empty()),
        limit: limit.clamp(1, 5000),
    };
    Ok(Json(s.store.sensor_events(&actor, &filter).await?))
}

pub async fn show(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
) -> ApiResult<Json<SensorEvent>> {
    Ok(Json(s.store.sensor_event(&actor, &id).await?))
}

/// Confirm: the owning organisation is notified.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmBody {
    /// The TLP of the notification: `TLP:CLEAR`, `TLP:GREEN`, `TLP:AMBER` or
    /// `TLP:AMBER+STRICT` (case-insensitive, `TLP:` optional, e.g. `amber`).
    /// TLP:RED names people, not an organisation, and is refused.
    pub tlp: String,
    /// The analyst's note, added to the notification.
    #[serde(default)]
    pub note: Option<String>,
}

/// A confirmed event and the notification sent to its owner.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ConfirmAnswer {
    pub event: SensorEvent,
    /// The advisory addressed to the owning organisation.
    pub advisory_id: String,
    pub advisory_number: i64,
}

pub async fn confirm(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<ConfirmAnswer>> {
    let b: ConfirmBody = parse_body(&body)?;
    let tlp: Tlp = b
        .tlp
        .parse()
        .map_err(|m: String| ApiError::invalid("tlp", m))?;
    let (event, advisory) = s
        .store
        .confirm_event(&actor, &id, tlp, note_of(&b.note))
        .await?;
    Ok(Json(ConfirmAnswer {
        event,
        advisory_id: advisory.id,
        advisory_number: advisory.number,
    }))
}

/// Dismiss as noise.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DismissBody {
    /// Why it is noise (kept in the audit log, and as the suppression's
    /// reason; without one, the reason names the event).
    #[serde(default)]
    pub note: Option<String>,
    /// Also silence the same source and technique from now on.
    #[serde(default)]
    pub suppress: bool,
}

pub async fn dismiss(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<SensorEvent>> {
    let b: DismissBody = parse_body(&body)?;
    Ok(Json(
        s.store
            .dismiss_event(&actor, &id, note_of(&b.note), b.suppress)
            .await?,
    ))
}

/// Escalate to an incident report of the centre.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalateBody {
    /// The analyst's note, added to the report's description.
    #[serde(default)]
    pub note: Option<String>,
}

pub async fn escalate(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<SensorEvent>> {
    let b: EscalateBody = parse_body(&body)?;
    Ok(Json(
        s.store
            .escalate_event(&actor, &id, note_of(&b.note), &s.settings.routing)
            .await?,
    ))
}

#[derive(Deserialize)]
pub struct StatsQuery {
    from: Option<String>,
    to: Option<String>,
}

/// The current fiscal year (April to March, Japan time), as days.
fn current_fiscal_year() -> (String, String) {
    let fy = sakimori_core::report::fiscal_quarter(Utc::now()).0;
    (format!("{fy}-04-01"), format!("{}-03-31", fy + 1))
}

fn day(field: &str, v: &str) -> ApiResult<String> {
    NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
        .map(|d| d.format("%Y-%m-%d").to_string())
        .map_err(|_| ApiError::invalid(field, format!("{v:?} is not a date (YYYY-MM-DD)")))
}

pub async fn statistics(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Query(q): Query<StatsQuery>,
) -> ApiResult<Json<SensorStatistics>> {
    let (fy_from, fy_to) = current_fiscal_year();
    let from = match q.from.as_deref() {
        Some(v) => day("from", v)?,
        None => fy_from,
    };
    let to = match q.to.as_deref() {
        Some(v) => day("to", v)?,
        None => fy_to,
    };
    if from > to {
        return Err(ApiError::invalid(
            "to",
            format!("the period ends ({to}) before it starts ({from})"),
        ));
    }
    Ok(Json(s.store.sensor_statistics(&actor, &from, &to).await?))
}

pub async fn sensors(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
) -> ApiResult<Json<Vec<SensorStatus>>> {
    Ok(Json(s.store.sensor_status(&actor).await?))
}

/// An analyst's rule that drops matching records as noise. Every criterion
/// given must hold; at least one is needed.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SuppressionView {
    pub id: String,
    /// Source address or network (CIDR).
    pub source: Option<String>,
    /// Destination address or network (CIDR).
    pub target: Option<String>,
    /// The technique (signature name, or `indicator: …`), exactly.
    pub technique: Option<String>,
    /// Suricata signature id.
    pub signature_id: Option<u64>,
    /// Until when (none: for ever).
    pub until: Option<DateTime<Utc>>,
    pub reason: String,
}

impl From<Suppression> for SuppressionView {
    fn from(s: Suppression) -> Self {
        SuppressionView {
            id: s.id,
            source: s.source.map(|n| n.to_string()),
            target: s.target.map(|n| n.to_string()),
            technique: s.technique,
            signature_id: s.signature_id,
            until: s.until,
            reason: s.reason,
        }
    }
}

/// A new suppression.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuppressionBody {
    /// Source address or network, e.g. `203.0.113.9` or `203.0.113.0/24`.
    #[serde(default)]
    pub source: Option<String>,
    /// Destination address or network.
    #[serde(default)]
    pub target: Option<String>,
    /// The technique exactly as events name it.
    #[serde(default)]
    pub technique: Option<String>,
    /// Suricata signature id.
    #[serde(default)]
    pub signature_id: Option<u64>,
    /// Until when (RFC 3339); absent: for ever.
    #[serde(default)]
    pub until: Option<DateTime<Utc>>,
    /// Why, in the analyst's words.
    pub reason: String,
}

/// Only the centre reads its suppressions (the store checks the changes).
async fn centre_only(s: &AppState, actor: &Actor) -> ApiResult<()> {
    let kind = s.store.organisation(&actor.org).await.ok().map(|o| o.kind);
    if kind == Some(OrgKind::CoordinationCentre) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "events are triaged by the coordination centre's analysts",
        ))
    }
}

pub async fn suppressions(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
) -> ApiResult<Json<Vec<SuppressionView>>> {
    centre_only(&s, &actor).await?;
    Ok(Json(
        s.store
            .suppressions()
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// An address or a network (`IpNet`, named by the field it fills).
fn net<N>(field: &str, v: &Option<String>) -> ApiResult<Option<N>>
where
    N: std::str::FromStr + From<std::net::IpAddr>,
{
    let Some(v) = v.as_deref().map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    v.parse::<N>()
        .ok()
        .or_else(|| v.parse::<std::net::IpAddr>().ok().map(N::from))
        .map(Some)
        .ok_or_else(|| {
            ApiError::invalid(
                field,
                format!("{v:?} is not an address or a network (e.g. 203.0.113.0/24)"),
            )
        })
}

pub async fn add_suppression(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<SuppressionView>)> {
    let b: SuppressionBody = parse_body(&body)?;
    let reason = b.reason.trim();
    if reason.is_empty() {
        return Err(ApiError::invalid(
            "reason",
            "say why these records are noise",
        ));
    }
    let sup = Suppression {
        id: uuid::Uuid::new_v4().to_string(),
        source: net("source", &b.source)?,
        target: net("target", &b.target)?,
        technique: b
            .technique
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty()),
        signature_id: b.signature_id,
        until: b.until,
        reason: reason.to_owned(),
    };
    s.store.add_suppression(&actor, &sup).await?;
    Ok((StatusCode::CREATED, Json(sup.into())))
}

pub async fn remove_suppression(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    s.store.remove_suppression(&actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
