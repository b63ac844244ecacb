//! Report routes: submit once, deliver to every routed recipient, acknowledge,
//! update as versions, link into incidents, evaluate severity, switch the mode,
//! count in the statistics. Every read asks the access policy about the report.

use super::registry::parse_json;
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::{Extension, Json};
use sakimori_core::policy::{may_handle_report, may_update_report, may_view_report};
use sakimori_core::report::{AnonymisedReport, ReportFields};
use sakimori_core::routing::Mode;
use sakimori_core::severity::{evaluate, nciss, Evaluation, Nciss, SeverityInputs};
use sakimori_core::Actor;
use sakimori_store::{AttachmentInfo, ModeState, ReportRecord, SeverityRecord, TimelineEntry};
use serde::{Deserialize, Serialize};

/// Load a report the actor may see; 404 otherwise, so that its existence is not confirmed.
async fn visible(s: &AppState, actor: &Actor, id: &str) -> ApiResult<ReportRecord> {
    let r = s.store.report_by_ref(id).await?;
    if may_view_report(actor, &r.reporter_org, &r.recipient_orgs()) {
        Ok(r)
    } else {
        Err(ApiError::not_found(format!("report {id:?} not found")))
    }
}

pub async fn classification() -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "classification": sakimori_core::classification::lists(),
        "severity": sakimori_core::severity::scale(),
    }))
}

#[derive(Deserialize)]
pub struct SubmitQuery {
    /// A drill report (never counted in statistics).
    #[serde(default)]
    drill: bool,
    /// The report drill this report answers (implies `drill`).
    drill_id: Option<String>,
}

/// Parse a report body; a missing mandatory field or a bad value is named.
fn parse_fields(body: &[u8]) -> ApiResult<ReportFields> {
    parse_json(body)
}

pub async fn submit(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Query(q): Query<SubmitQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<impl IntoResponse> {
    let fields = parse_fields(&body)?;
    let key = match headers.get("idempotency-key") {
        Some(v) => Some(
            v.to_str()
                .ok()
                .filter(|k| !k.is_empty() && k.len() <= 200)
                .ok_or_else(|| {
                    ApiError::invalid("Idempotency-Key", "1-200 visible ASCII characters")
                })?
                .to_owned(),
        ),
        None => None,
    };
    let (record, created) = match &q.drill_id {
        Some(d) => {
            s.store
                .submit_drill_report(&actor, &fields, &s.settings.routing, d)
                .await?
        }
        None => {
            s.store
                .submit_report(
                    &actor,
                    &fields,
                    key.as_deref(),
                    &s.settings.routing,
                    q.drill,
                )
                .await?
        }
    };
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(record)))
}

#[derive(Deserialize)]
pub struct ListQuery {
    limit: Option<i64>,
}

pub async fn list(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Vec<ReportRecord>>> {
    let limit = q.limit.unwrap_or(200).clamp(1, 5000);
    Ok(Json(s.store.reports_visible_to(&actor, limit).await?))
}

pub async fn show(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
) -> ApiResult<Json<ReportRecord>> {
    let r = visible(&s, &actor, &id).await?;
    if r.recipients
        .iter()
        .any(|x| x.org_id == actor.org && x.read_at.is_none())
    {
        s.store.mark_report_read(&actor, &r.id).await?;
        return Ok(Json(s.store.report(&r.id).await?));
    }
    Ok(Json(r))
}

pub async fn update(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<ReportRecord>> {
    let r = visible(&s, &actor, &id).await?;
    if !may_update_report(&actor, &r.reporter_org) {
        return Err(ApiError::forbidden(
            "updating a report of another organisation",
        ));
    }
    let patch: serde_json::Value = parse_json(&body)?;
    Ok(Json(s.store.update_report(&actor, &r.id, &patch).await?))
}

pub async fn acknowledge(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
) -> ApiResult<Json<ReportRecord>> {
    let r = visible(&s, &actor, &id).await?;
    if !may_handle_report(&actor, &r.recipient_orgs()) {
        return Err(ApiError::forbidden("only recipients acknowledge a report"));
    }
    Ok(Json(s.store.acknowledge_report(&actor, &r.id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    pub body: String,
}

pub async fn comment(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let r = visible(&s, &actor, &id).await?;
    if !(may_handle_report(&actor, &r.recipient_orgs())
        || may_update_report(&actor, &r.reporter_org))
    {
        return Err(ApiError::forbidden("commenting this report"));
    }
    let c: CommentBody = parse_json(&body)?;
    s.store.comment_report(&actor, &r.id, &c.body).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn timeline(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<TimelineEntry>>> {
    let r = visible(&s, &actor, &id).await?;
    Ok(Json(s.store.report_timeline(&r.id).await?))
}

#[derive(Deserialize)]
pub struct AttachQuery {
    name: String,
}

pub async fn attach(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
    Query(q): Query<AttachQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<AttachmentInfo>> {
    let r = visible(&s, &actor, &id).await?;
    if !may_update_report(&actor, &r.reporter_org) {
        return Err(ApiError::forbidden(
            "attaching to a report of another organisation",
        ));
    }
    if body.len() > s.settings.attachment_max_bytes {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!(
                "attachments are limited to {} bytes",
                s.settings.attachment_max_bytes
            ),
        ));
    }
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream");
    Ok(Json(
        s.store.attach(&actor, &r.id, &q.name, media, &body).await?,
    ))
}

pub async fn attachments(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<AttachmentInfo>>> {
    let r = visible(&s, &actor, &id).await?;
    Ok(Json(s.store.attachments(&r.id).await?))
}

pub async fn attachment(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    let (info, content) = s.store.attachment_content(&id).await?;
    visible(&s, &actor, &info.report_id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, info.media_type.clone()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", info.name.replace('"', "")),
            ),
            (
                header::HeaderName::from_static("x-content-sha256"),
                info.sha256.clone(),
            ),
        ],
        content,
    ))
}

pub async fn anonymised(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
) -> ApiResult<Json<AnonymisedReport>> {
    let r = visible(&s, &actor, &id).await?;
    let sector = s.store.organisation(&r.reporter_org).await?.sector;
    Ok(Json(r.fields.anonymise(sector.as_deref())))
}

/// Where and how to publish a report's anonymised derivative as intelligence.
#[derive(Deserialize, utoipa::ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct PublishIntel {
    /// The collection (default: shared with the whole platform).
    #[serde(default)]
    pub collection: Option<String>,
    /// Default TLP:GREEN.
    #[serde(default)]
    pub tlp: Option<sakimori_core::tlp::Tlp>,
    /// TLP:AMBER recipients: organisation ids or `community:ID`.
    #[serde(default)]
    pub recipients: Vec<String>,
}

/// Publish the anonymised derivative as a STIX report with its observables and
/// indicators. The victim's own addresses and domains (by the registry) stay out.
pub async fn publish_intel(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<sakimori_store::AddStatus>> {
    let r = visible(&s, &actor, &id).await?;
    let p: PublishIntel = if body.is_empty() {
        PublishIntel::default()
    } else {
        parse_json(&body)?
    };
    let handling = sakimori_store::ShareOptions {
        tlp: Some(p.tlp.unwrap_or(sakimori_core::tlp::Tlp::Green)),
        recipients: p.recipients,
        recipient_users: vec![],
    };
    let sector = s.store.organisation(&r.reporter_org).await?.sector;
    let mut anon = r.fields.anonymise(sector.as_deref());
    let index = s.asset_index().await?;
    anon.observables.retain(|o| {
        index
            .lookup(&o.value)
            .is_none_or(|m| m.organisation != r.reporter_org)
    });
    let objects = sakimori_core::stix::report_objects(&r.id, r.number, &anon, chrono::Utc::now());
    let collection = p
        .collection
        .as_deref()
        .unwrap_or(sakimori_store::SHARED_COLLECTION);
    Ok(Json(
        s.store
            .add_objects(&actor, collection, &objects, &handling, true)
            .await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeverityBody {
    /// `provisional` (while it unfolds) or `final` (after the fact).
    pub kind: String,
    /// The inputs; default: the report's `impact`.
    pub inputs: Option<SeverityInputs>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SeverityAnswer {
    pub record: SeverityRecord,
    /// The CISA NCISS-style score, for partners abroad.
    pub nciss: Option<Nciss>,
}

pub async fn evaluate_severity(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<SeverityAnswer>> {
    let r = visible(&s, &actor, &id).await?;
    let b: SeverityBody = parse_json(&body)?;
    let inputs = b.inputs.unwrap_or_else(|| r.fields.impact.clone());
    if let Err(problems) = inputs.validate() {
        return Err(ApiError::invalid("inputs", problems.join("; ")));
    }
    let evaluation: Evaluation = evaluate(&inputs, &s.settings.severity);
    let record = s
        .store
        .record_severity(&actor, "report", &r.id, &b.kind, &inputs, &evaluation)
        .await?;
    Ok(Json(SeverityAnswer {
        nciss: nciss(&inputs),
        record,
    }))
}

pub async fn severities(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<SeverityRecord>>> {
    let r = visible(&s, &actor, &id).await?;
    Ok(Json(s.store.severities("report", &r.id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkBody {
    /// Report ids (or numbers) to link.
    pub reports: Vec<String>,
    /// Title of a new incident.
    #[serde(default)]
    pub title: String,
    /// Add to this existing incident instead.
    pub incident: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct IncidentView {
    pub id: String,
    pub number: i64,
    pub title: String,
    pub reports: Vec<ReportRecord>,
}

pub async fn link(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    body: Bytes,
) -> ApiResult<Json<IncidentView>> {
    let b: LinkBody = parse_json(&body)?;
    let mut ids = Vec::new();
    for r in &b.reports {
        ids.push(s.store.report_by_ref(r).await?.id);
    }
    let id = s
        .store
        .link_reports(&actor, &ids, &b.title, b.incident.as_deref())
        .await?;
    incident_view(&s, &id).await.map(Json)
}

async fn incident_view(s: &AppState, id: &str) -> ApiResult<IncidentView> {
    let (number, title) = s.store.incident(id).await?;
    Ok(IncidentView {
        id: id.to_owned(),
        number,
        title,
        reports: s.store.incident_reports(id).await?,
    })
}

pub async fn incident(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<IncidentView>> {
    incident_view(&s, &id).await.map(Json)
}

pub async fn unlink(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
) -> ApiResult<Json<ReportRecord>> {
    let r = s.store.report_by_ref(&id).await?;
    s.store.unlink_report(&actor, &r.id).await?;
    Ok(Json(s.store.report(&r.id).await?))
}

pub async fn modes(State(s): State<AppState>) -> ApiResult<Json<Vec<ModeState>>> {
    Ok(Json(s.store.modes().await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModeBody {
    /// `normal` or `large-scale-outage`.
    pub mode: String,
}

pub async fn set_mode(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(scope): Path<String>,
    body: Bytes,
) -> ApiResult<Json<ModeState>> {
    let b: ModeBody = parse_json(&body)?;
    let mode: Mode = b.mode.parse().map_err(|e| ApiError::invalid("mode", e))?;
    Ok(Json(s.store.set_mode(&actor, &scope, mode).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookBody {
    pub url: String,
    /// The HMAC-SHA256 key for `X-Sakimori-Signature`; at least 16 characters.
    pub secret: String,
}

pub async fn set_webhook(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(org): Path<String>,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let rel = s.store.relations(&org).await?;
    if !sakimori_core::policy::may_edit_contacts(&actor, &rel) {
        return Err(ApiError::forbidden(&format!(
            "notification settings of {org:?}"
        )));
    }
    let b: WebhookBody = parse_json(&body)?;
    s.store.set_webhook(&actor, &org, &b.url, &b.secret).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn notifications(
    State(s): State<AppState>,
) -> ApiResult<Json<Vec<sakimori_store::OutboxItem>>> {
    Ok(Json(s.store.notifications(500).await?))
}

#[derive(Deserialize)]
pub struct StatsQuery {
    /// Fiscal year (April-March); default: the current one.
    fy: Option<i32>,
    /// json (default), csv, html, svg, or trend-svg (all years).
    format: Option<String>,
    /// en (default) or ja.
    lang: Option<String>,
}

pub async fn statistics(
    State(s): State<AppState>,
    Query(q): Query<StatsQuery>,
) -> ApiResult<axum::response::Response> {
    use sakimori_core::stats::{self, Lang};
    let lang: Lang = match q.lang.as_deref() {
        Some(l) => l.parse().map_err(|e| ApiError::invalid("lang", e))?,
        None => Lang::En,
    };
    let fy =
        q.fy.unwrap_or_else(|| sakimori_core::report::fiscal_quarter(chrono::Utc::now()).0);
    let sectors = s.store.sectors().await?;
    let compute = |rows: &[stats::StatInput], fy: i32, provisions: [u64; 4]| {
        let mut st = stats::compute(rows, fy, provisions);
        st.name_sectors(&sectors);
        st
    };
    let format = q.format.as_deref().unwrap_or("json");
    let (ct, body) = match format {
        "trend-svg" => {
            let rows = s.store.stat_rows(None).await?;
            let mut years: Vec<i32> = rows.iter().map(|r| r.fiscal_year).collect();
            years.sort();
            years.dedup();
            let mut all = Vec::new();
            for y in &years {
                all.push(compute(
                    &rows,
                    *y,
                    s.store.provisions_per_quarter(*y).await?,
                ));
            }
            ("image/svg+xml", stats::trend_svg(&all, lang))
        }
        _ => {
            let st = compute(
                &s.store.stat_rows(Some(fy)).await?,
                fy,
                s.store.provisions_per_quarter(fy).await?,
            );
            match format {
                "json" => return Ok(Json(st).into_response()),
                "csv" => ("text/csv; charset=utf-8", stats::to_csv(&st, lang)),
                "html" => ("text/html; charset=utf-8", stats::to_html(&st, lang)),
                "svg" => ("image/svg+xml", stats::to_svg(&st, lang)),
                other => {
                    return Err(ApiError::invalid(
                        "format",
                        format!("unknown format {other:?}: json, csv, html, svg or trend-svg"),
                    ))
                }
            }
        }
    };
    Ok(([(header::CONTENT_TYPE, ct)], body).into_response())
}
