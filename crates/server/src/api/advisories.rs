//! Advisory routes: write, relay tier by tier, read, acknowledge, and the
//! author's per-tier status. Every read asks the access policy.

use super::registry::parse_json;
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::{Extension, Json};
use sakimori_core::advisory::{render_markdown, AdvisoryFields};
use sakimori_core::policy::may_view_advisory;
use sakimori_core::Actor;
use sakimori_store::{tier_status, AdvisoryRecord, TierStatus};
use serde::{Deserialize, Serialize};

/// An advisory as a reader sees it: the rendered body, and only their own
/// delivery unless they wrote it (or coordinate).
#[derive(Serialize, utoipa::ToSchema)]
pub struct AdvisoryView {
    #[serde(flatten)]
    pub advisory: AdvisoryRecord,
    /// The body rendered to sanitised HTML.
    pub body_html: String,
    pub body_ja_html: Option<String>,
    /// Notes the tiers above added when relaying it to the reader, top first.
    pub relay_notes: Vec<RelayNote>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RelayNote {
    pub from: String,
    pub note: String,
}

fn is_author_side(actor: &Actor, a: &AdvisoryRecord) -> bool {
    sakimori_core::policy::may_track_advisory(actor, &a.author_org)
}

/// The advisory if the actor may see it, trimmed to what they may know.
fn view(actor: &Actor, mut a: AdvisoryRecord) -> Option<AdvisoryView> {
    if !may_view_advisory(actor, &a.author_org, a.fields.tlp, &a.delivered_to()) {
        return None;
    }
    // The notes along the chain that brought it to the reader.
    let relay_notes = a
        .relay_notes(&actor.org)
        .into_iter()
        .map(|(from, note)| RelayNote { from, note })
        .collect();
    if !is_author_side(actor, &a) {
        a.deliveries.retain(|d| d.org_id == actor.org);
    }
    Some(AdvisoryView {
        relay_notes,
        body_html: render_markdown(&a.fields.body),
        body_ja_html: a.fields.body_ja.as_deref().map(render_markdown),
        advisory: a,
    })
}

async fn visible(s: &AppState, actor: &Actor, id: &str) -> ApiResult<AdvisoryRecord> {
    let a = s.store.advisory(id).await?;
    if may_view_advisory(actor, &a.author_org, a.fields.tlp, &a.delivered_to()) {
        Ok(a)
    } else {
        Err(ApiError::not_found(format!("advisory {id:?} not found")))
    }
}

#[derive(Deserialize)]
pub struct CreateQuery {
    #[serde(default)]
    drill: bool,
}

pub async fn create(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Query(q): Query<CreateQuery>,
    body: Bytes,
) -> ApiResult<(http::StatusCode, Json<AdvisoryRecord>)> {
    let fields: AdvisoryFields = parse_json(&body)?;
    let a = s
        .store
        .create_advisory(&actor, &fields, q.drill, &s.settings.relay)
        .await?;
    Ok((http::StatusCode::CREATED, Json(a)))
}

#[derive(Deserialize)]
pub struct ListQuery {
    limit: Option<i64>,
}

pub async fn list(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Vec<AdvisoryView>>> {
    let limit = q.limit.unwrap_or(200).clamp(1, 5000);
    let all = s.store.advisories_visible_to(&actor, limit).await?;
    Ok(Json(
        all.into_iter().filter_map(|a| view(&actor, a)).collect(),
    ))
}

pub async fn show(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
) -> ApiResult<Json<AdvisoryView>> {
    let a = visible(&s, &actor, &id).await?;
    let a = if a
        .deliveries
        .iter()
        .any(|d| d.org_id == actor.org && d.delivered_at.is_some() && d.read_at.is_none())
    {
        s.store.mark_advisory(&actor, &a.id, false).await?
    } else {
        a
    };
    view(&actor, a)
        .map(Json)
        .ok_or_else(|| ApiError::not_found("advisory not found"))
}

pub async fn acknowledge(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
) -> ApiResult<Json<AdvisoryView>> {
    let a = visible(&s, &actor, &id).await?;
    let a = s.store.mark_advisory(&actor, &a.id, true).await?;
    view(&actor, a)
        .map(Json)
        .ok_or_else(|| ApiError::not_found("advisory not found"))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RelayBody {
    /// A note for the tier below, e.g. sector-specific advice.
    pub note: Option<String>,
}

pub async fn relay(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<AdvisoryView>> {
    let a = visible(&s, &actor, &id).await?;
    let b: RelayBody = if body.is_empty() {
        RelayBody { note: None }
    } else {
        parse_json(&body)?
    };
    let a = s
        .store
        .relay_advisory(&actor, &a.id, b.note.as_deref(), &s.settings.relay)
        .await?;
    view(&actor, a)
        .map(Json)
        .ok_or_else(|| ApiError::not_found("advisory not found"))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct StatusView {
    pub id: String,
    pub number: i64,
    pub tiers: Vec<TierStatus>,
    pub deliveries: Vec<sakimori_store::DeliveryState>,
}

pub async fn status(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
) -> ApiResult<Json<StatusView>> {
    let a = visible(&s, &actor, &id).await?;
    if !is_author_side(&actor, &a) {
        return Err(ApiError::forbidden(
            "the delivery status is for the author and the coordinator",
        ));
    }
    Ok(Json(StatusView {
        id: a.id.clone(),
        number: a.number,
        tiers: tier_status(&a),
        deliveries: a.deliveries,
    }))
}
