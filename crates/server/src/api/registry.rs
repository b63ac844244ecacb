//! Registry routes: sectors, organisations, contacts, assets, communities,
//! whois, import and export. Private parts pass through the access policy.

use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::IntoResponse;
use axum::{Extension, Json};
use sakimori_core::policy::{may_edit_contacts, may_view_private};
use sakimori_core::registry::{
    self, Assets, Community, Contact, Format, OrgKind, Organisation, Sector,
};
use sakimori_core::Actor;
use sakimori_store::{ContactRecord, ImportReport, OrgFilter};
use serde::{Deserialize, Serialize};

pub async fn sectors(State(s): State<AppState>) -> ApiResult<Json<Vec<Sector>>> {
    Ok(Json(s.store.sectors().await?))
}

pub async fn sector(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Sector>> {
    s.store
        .sectors()
        .await?
        .into_iter()
        .find(|x| x.id == id)
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("sector {id:?} not found")))
}

#[derive(Deserialize)]
pub struct OrgQuery {
    kind: Option<String>,
    sector: Option<String>,
}

pub async fn organisations(
    State(s): State<AppState>,
    Query(q): Query<OrgQuery>,
) -> ApiResult<Json<Vec<Organisation>>> {
    let kind = match q.kind.as_deref() {
        Some(k) => Some(
            k.parse::<OrgKind>()
                .map_err(|e| ApiError::invalid("kind", e))?,
        ),
        None => None,
    };
    Ok(Json(
        s.store
            .organisations(&OrgFilter {
                kind,
                sector: q.sector,
            })
            .await?,
    ))
}

/// An organisation as the caller may see it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OrgView {
    #[serde(flatten)]
    pub organisation: Organisation,
    /// The ministry that supervises it (its own, else its sector's).
    pub supervising_ministry: Option<String>,
    /// Present only when the caller may see the organisation's private data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_records: Option<Vec<ContactRecord>>,
}

/// May this actor see the private data of `org`? 404 if there is no such organisation.
async fn may_view(s: &AppState, actor: &Actor, org: &str) -> ApiResult<bool> {
    let rel = s.store.relations(org).await?;
    Ok(may_view_private(actor, &rel))
}

async fn require_view(s: &AppState, actor: &Actor, org: &str) -> ApiResult<()> {
    if may_view(s, actor, org).await? {
        Ok(())
    } else {
        Err(ApiError::forbidden(&format!(
            "private data of organisation {org:?}"
        )))
    }
}

pub async fn organisation(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
) -> ApiResult<Json<OrgView>> {
    let rel = s.store.relations(&id).await?;
    let mut org = s.store.organisation(&id).await?;
    let mut contact_records = None;
    if may_view_private(&actor, &rel) {
        org.assets = Some(s.store.assets(&id).await?);
        contact_records = Some(s.store.contacts(&id).await?);
    }
    Ok(Json(OrgView {
        organisation: org,
        supervising_ministry: rel.supervising_ministry,
        contact_records,
    }))
}

pub async fn contacts(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<ContactRecord>>> {
    require_view(&s, &actor, &id).await?;
    Ok(Json(s.store.contacts(&id).await?))
}

pub async fn add_contact(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<ContactRecord>> {
    let rel = s.store.relations(&id).await?;
    if !may_edit_contacts(&actor, &rel) {
        return Err(ApiError::forbidden(&format!(
            "contacts of organisation {id:?}"
        )));
    }
    let contact: Contact = parse_json(&body)?;
    Ok(Json(s.store.add_contact(&actor, &id, &contact).await?))
}

pub async fn verify_contact(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
) -> ApiResult<Json<ContactRecord>> {
    let org = s.store.contact_org(&id).await?;
    let rel = s.store.relations(&org).await?;
    if !may_edit_contacts(&actor, &rel) {
        return Err(ApiError::forbidden(&format!(
            "contacts of organisation {org:?}"
        )));
    }
    Ok(Json(s.store.verify_contact(&actor, &id).await?))
}

pub async fn assets(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
) -> ApiResult<Json<Assets>> {
    require_view(&s, &actor, &id).await?;
    Ok(Json(s.store.assets(&id).await?))
}

pub async fn communities(State(s): State<AppState>) -> ApiResult<Json<Vec<Community>>> {
    Ok(Json(s.store.communities().await?))
}

/// The owner of an address or domain.
#[derive(Serialize, utoipa::ToSchema)]
pub struct WhoisAnswer {
    pub query: String,
    /// The registered prefix or domain that matched.
    pub matched: String,
    pub organisation: Organisation,
}

pub async fn whois(
    State(s): State<AppState>,
    Path(query): Path<String>,
) -> ApiResult<Json<WhoisAnswer>> {
    let index = s.asset_index().await?;
    let m = index
        .lookup(&query)
        .ok_or_else(|| ApiError::not_found(format!("no registered owner of {query:?}")))?;
    let organisation = s.store.organisation(m.organisation).await?;
    Ok(Json(WhoisAnswer {
        query,
        matched: m.matched,
        organisation,
    }))
}

#[derive(Deserialize)]
pub struct FormatQuery {
    format: Option<String>,
}

fn format_of(q: &FormatQuery, headers: &HeaderMap) -> ApiResult<Format> {
    match q.format.as_deref() {
        Some("yaml") | Some("yml") => Ok(Format::Yaml),
        Some("csv") => Ok(Format::Csv),
        Some(other) => Err(ApiError::invalid(
            "format",
            format!("unknown format {other:?}: use yaml or csv"),
        )),
        None => {
            let ct = headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            Ok(if ct.contains("csv") {
                Format::Csv
            } else {
                Format::Yaml
            })
        }
    }
}

pub async fn import(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Query(q): Query<FormatQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<ImportReport>> {
    let format = format_of(&q, &headers)?;
    let text = std::str::from_utf8(&body).map_err(|e| {
        ApiError::invalid(
            "body",
            format!("not UTF-8 at byte offset {}", e.valid_up_to()),
        )
    })?;
    Ok(Json(s.store.import_text(&actor, text, format).await?))
}

pub async fn export(
    State(s): State<AppState>,
    Extension(actor): Extension<Actor>,
    Query(q): Query<FormatQuery>,
) -> ApiResult<impl IntoResponse> {
    let format = match q.format.as_deref() {
        None => Format::Yaml,
        Some(_) => format_of(&q, &HeaderMap::new())?,
    };
    let mut doc = s.store.registry().await?;
    for org in &mut doc.organisations {
        if !may_view(&s, &actor, &org.id).await? {
            org.contacts = None;
            org.assets = None;
        }
    }
    Ok(match format {
        Format::Yaml => (
            [(header::CONTENT_TYPE, "application/yaml; charset=utf-8")],
            registry::to_yaml(&doc),
        ),
        Format::Csv => (
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            registry::to_csv(&doc),
        ),
    })
}

/// Parse a JSON body, naming the offending field (its path, e.g.
/// `audience.sectors[0]`) or, for broken JSON, the line and column.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> ApiResult<T> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let inner = e.inner().to_string();
        let path = e.path().to_string();
        // A missing or unknown field is reported at its parent: name the field itself.
        let named = sakimori_core::report::field_of(&inner);
        let field = match (path.as_str(), named) {
            (".", Some(f)) => f,
            (p, Some(f)) if inner.contains("missing field") => format!("{p}.{f}"),
            (p, Some(f)) if inner.contains("unknown field") => match p.rsplit_once('.') {
                Some((parent, _)) => format!("{parent}.{f}"),
                None => f,
            },
            (".", None) => "body".to_owned(),
            (p, _) => p.to_owned(),
        };
        ApiError::invalid(&field, format!("invalid JSON body: {inner}"))
    })
}
