//! Drill routes: start a provision or report drill, read its reachability
//! report (JSON or an SVG chart), and fill the self-check sheet.

use super::registry::parse_json;
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::{Extension, Json};
use sakimori_core::drill::{chart_svg, DrillKind};
use sakimori_core::Actor;
use sakimori_store::{DrillRecord, DrillScope};
use serde::Deserialize;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDrill {
    /// `provision` (down the tiers) or `report` (up the chain).
    pub kind: String,
    pub title: String,
    pub scope: DrillScope,
}

pub async fn create(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    body: Bytes,
) -> ApiResult<Json<DrillRecord>> {
    let b: NewDrill = parse_json(&body)?;
    let kind: DrillKind = b.kind.parse().map_err(|e| ApiError::invalid("kind", e))?;
    Ok(Json(
        s.store
            .create_drill(&actor, kind, &b.title, &b.scope, &s.settings.relay)
            .await?,
    ))
}

pub async fn list(State(s): State<AppState>) -> ApiResult<Json<Vec<DrillRecord>>> {
    Ok(Json(s.store.drills().await?))
}

#[derive(Deserialize)]
pub struct ReportQuery {
    /// Contacts not verified for this many days are listed (default 365).
    stale_days: Option<i64>,
    /// json (default) or svg.
    format: Option<String>,
}

pub async fn report(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<ReportQuery>,
) -> ApiResult<axum::response::Response> {
    let r = s
        .store
        .drill_report(&id, q.stale_days.unwrap_or(365))
        .await?;
    match q.format.as_deref().unwrap_or("json") {
        "json" => Ok(Json(r).into_response()),
        "svg" => {
            let title = format!(
                "Drill {} ({}): reachability / 疎通確認",
                r.drill.number, r.drill.kind
            );
            Ok((
                [(header::CONTENT_TYPE, "image/svg+xml")],
                chart_svg(&r.reachability, &title),
            )
                .into_response())
        }
        other => Err(ApiError::invalid(
            "format",
            format!("unknown format {other:?}: json or svg"),
        )),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SelfCheck {
    /// Answers by question id: received, contacts_current, knew_recipients, minutes_to_respond, comment.
    pub answers: serde_json::Value,
}

pub async fn self_check(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<axum::http::StatusCode> {
    let b: SelfCheck = parse_json(&body)?;
    s.store.record_self_check(&actor, &id, &b.answers).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

pub async fn questions() -> Json<serde_json::Value> {
    Json(serde_json::Value::Array(
        sakimori_core::drill::SELF_CHECK_QUESTIONS
            .iter()
            .map(|(id, en, ja)| serde_json::json!({"id": id, "en": en, "ja": ja}))
            .collect(),
    ))
}
