//! The TAXII 2.1 server at `/taxii2/`: discovery, one API root, collections,
//! objects (get, add, delete), manifests, versions and status resources.
//!
//! Authentication is the API's (bearer token, or HTTP Basic with the user name
//! and a token). What a collection returns is decided per object by the one
//! access policy in the store; errors are TAXII error messages.

use crate::error::ApiError;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sakimori_core::policy::{allows, Permission};
use sakimori_core::Actor;
use sakimori_store::{ObjectFilter, ObjectPage, ShareOptions, StoreError, VersionMatch};
use serde_json::{json, Value};
use std::collections::HashMap;

pub const TAXII: &str = "application/taxii+json;version=2.1";
pub const STIX: &str = "application/stix+json;version=2.1";
/// The API root's path.
pub const ROOT: &str = "/taxii2/api/";
/// The largest request body the API root accepts (`max_content_length`).
pub const MAX_CONTENT_LENGTH: usize = 16 * 1024 * 1024;
const DEFAULT_LIMIT: usize = 1000;
const MAX_LIMIT: usize = 10_000;

/// A TAXII error message.
pub struct TaxiiError {
    status: StatusCode,
    title: String,
    description: String,
}

impl TaxiiError {
    fn new(status: StatusCode, title: &str, description: impl Into<String>) -> Self {
        TaxiiError {
            status,
            title: title.into(),
            description: description.into(),
        }
    }
}

impl From<StoreError> for TaxiiError {
    fn from(e: StoreError) -> Self {
        ApiError::from(e).into()
    }
}

impl From<ApiError> for TaxiiError {
    fn from(e: ApiError) -> Self {
        let title = match e.status {
            StatusCode::UNAUTHORIZED => "Unauthorized",
            StatusCode::FORBIDDEN => "Forbidden",
            StatusCode::NOT_FOUND => "Not found",
            s if s.is_server_error() => "Server error",
            _ => "Bad request",
        };
        let description = match e.field {
            Some(f) => format!("{f}: {}", e.message),
            None => e.message,
        };
        TaxiiError::new(e.status, title, description)
    }
}

impl IntoResponse for TaxiiError {
    fn into_response(self) -> Response {
        let body = json!({
            "title": self.title,
            "description": self.description,
            "http_status": self.status.as_u16().to_string(),
        });
        let mut resp = (self.status, taxii_json(&body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"sakimori\", Bearer"),
            );
        }
        resp
    }
}

type TaxiiResult = Result<Response, TaxiiError>;

fn taxii_json(body: &Value) -> Response {
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(TAXII))],
        body.to_string(),
    )
        .into_response()
}

/// The TAXII routes; every one but discovery needs a signed-in caller.
pub fn routes(state: AppState) -> Router<AppState> {
    let authed = Router::new()
        .route(ROOT, get(api_root))
        .route("/taxii2/api/status/{id}/", get(status))
        .route("/taxii2/api/collections/", get(collections))
        .route("/taxii2/api/collections/{id}/", get(collection))
        .route("/taxii2/api/collections/{id}/manifest/", get(manifest))
        .route(
            "/taxii2/api/collections/{id}/objects/",
            get(get_objects).post(add_objects),
        )
        .route(
            "/taxii2/api/collections/{id}/objects/{object_id}/",
            get(get_object).delete(delete_object),
        )
        .route(
            "/taxii2/api/collections/{id}/objects/{object_id}/versions/",
            get(versions),
        )
        .layer(middleware::from_fn_with_state(state, authenticate));
    Router::new()
        .route("/taxii2/", get(discovery))
        .merge(authed)
        .layer(middleware::from_fn(negotiate))
}

/// Refuse what a TAXII 2.1 client would not ask for: an `Accept` without the
/// TAXII media type (or a wildcard), a body that is not a TAXII envelope.
async fn negotiate(req: Request, next: Next) -> Response {
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("*/*");
    let acceptable = accept.split(',').any(|a| {
        let a = a.trim().to_ascii_lowercase().replace(' ', "");
        a.starts_with("*/*")
            || a.starts_with("application/*")
            || a.starts_with("application/json")
            || (a.starts_with("application/taxii+json")
                && (!a.contains("version=") || a.contains("version=2.1")))
    });
    if !acceptable {
        return TaxiiError::new(
            StatusCode::NOT_ACCEPTABLE,
            "Not acceptable",
            format!("this server answers {TAXII}"),
        )
        .into_response();
    }
    if req.method() == http::Method::POST {
        let ct = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase()
            .replace(' ', "");
        if !(ct.starts_with("application/taxii+json") || ct.starts_with("application/json")) {
            return TaxiiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Unsupported media type",
                format!("send a TAXII envelope as {TAXII}"),
            )
            .into_response();
        }
    }
    next.run(req).await
}

async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    match crate::auth::authenticate(&state, crate::auth::credentials(&req)).await {
        Ok(actor) if allows(&actor, Permission::ReadIntel) => {
            req.extensions_mut().insert(actor);
            next.run(req).await
        }
        Ok(_) => TaxiiError::new(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "ReadIntel is not granted to your roles",
        )
        .into_response(),
        Err(e) => TaxiiError::from(e).into_response(),
    }
}

async fn discovery() -> Response {
    taxii_json(&json!({
        "title": "Sakimori TAXII 2.1",
        "description": "Threat intelligence shared under TLP 2.0 and community rules / TLP 2.0 とコミュニティの規則に基づく脅威情報共有",
        "default": ROOT,
        "api_roots": [ROOT],
    }))
}

async fn api_root() -> Response {
    taxii_json(&json!({
        "title": "Sakimori",
        "description": "Collections of the communities you belong to, and an inbox of everything shared with you",
        "versions": [TAXII],
        "max_content_length": MAX_CONTENT_LENGTH,
    }))
}

fn collection_json(c: &sakimori_store::Collection, write: bool) -> Value {
    json!({
        "id": c.id,
        "title": c.title,
        "description": c.description,
        "can_read": true,
        "can_write": write,
        "media_types": [STIX],
    })
}

async fn collections(
    State(state): State<AppState>,
    axum::Extension(actor): axum::Extension<Actor>,
) -> TaxiiResult {
    let list = state.store.collections_for(&actor).await?;
    let items: Vec<Value> = list.iter().map(|(c, w)| collection_json(c, *w)).collect();
    Ok(taxii_json(&json!({ "collections": items })))
}

async fn collection(
    State(state): State<AppState>,
    axum::Extension(actor): axum::Extension<Actor>,
    Path(id): Path<String>,
) -> TaxiiResult {
    let list = state.store.collections_for(&actor).await?;
    let (c, w) = list
        .iter()
        .find(|(c, _)| c.id == id)
        .ok_or_else(|| not_found("collection", &id))?;
    Ok(taxii_json(&collection_json(c, *w)))
}

fn not_found(what: &str, id: &str) -> TaxiiError {
    TaxiiError::new(
        StatusCode::NOT_FOUND,
        "Not found",
        format!("no {what} {id} that you may read"),
    )
}

/// The query string of a TAXII request, with repeated keys kept.
fn filter_of(
    query: &[(String, String)],
    object_id: Option<&str>,
) -> Result<ObjectFilter, TaxiiError> {
    let bad = |m: String| TaxiiError::new(StatusCode::BAD_REQUEST, "Bad request", m);
    let mut f = ObjectFilter {
        limit: DEFAULT_LIMIT,
        include_revoked: true,
        ..Default::default()
    };
    let list = |v: &str| -> Vec<String> {
        v.split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    };
    for (k, v) in query {
        match k.as_str() {
            "added_after" => {
                let t = sakimori_core::stix::parse_timestamp(v)
                    .ok_or_else(|| bad(format!("added_after: {v:?} is not a timestamp")))?;
                f.added_after = Some(sakimori_store::version_key(t));
            }
            "limit" => {
                let n: usize = v
                    .parse()
                    .map_err(|_| bad(format!("limit: {v:?} is not a positive integer")))?;
                if n == 0 {
                    return Err(bad("limit: must be at least 1".into()));
                }
                f.limit = n.min(MAX_LIMIT);
            }
            "next" => {
                f.after_seq =
                    Some(v.parse().map_err(|_| {
                        bad(format!("next: {v:?} is not a cursor this server gave"))
                    })?);
            }
            "match[id]" => f.ids.extend(list(v)),
            "match[type]" => f.types.extend(list(v)),
            "match[spec_version]" => f.spec_versions.extend(list(v)),
            "match[version]" => f.versions = VersionMatch::parse(v).map_err(bad)?,
            other => return Err(bad(format!("{other}: not a filter this endpoint knows"))),
        }
    }
    if let Some(id) = object_id {
        f.ids = vec![id.to_owned()];
    }
    Ok(f)
}

/// The date-added headers and the confidentiality notice of a page.
fn page_headers(page: &ObjectPage) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(TAXII));
    if let (Some(first), Some(last)) = (page.rows.first(), page.rows.last()) {
        for (name, v) in [
            ("x-taxii-date-added-first", &first.date_added),
            ("x-taxii-date-added-last", &last.date_added),
        ] {
            if let Ok(v) = HeaderValue::from_str(v) {
                h.insert(name, v);
            }
        }
    }
    if !page.notices.is_empty() {
        if let Ok(v) = HeaderValue::from_str(&crate::notice_header(&page.notices)) {
            h.insert("x-sakimori-notice", v);
        }
    }
    h
}

fn envelope(page: &ObjectPage, key: &str, items: Vec<Value>) -> Value {
    let mut body = json!({ "more": page.more });
    if page.more {
        body["next"] = json!(page.next.map(|n| n.to_string()));
    }
    if !items.is_empty() {
        body[key] = Value::Array(items);
    }
    body
}

async fn page_of(
    state: &AppState,
    actor: &Actor,
    id: &str,
    query: &[(String, String)],
    object_id: Option<&str>,
) -> Result<ObjectPage, TaxiiError> {
    let filter = filter_of(query, object_id)?;
    match state.store.objects_page(Some(actor), id, &filter).await {
        Err(StoreError::NotFound { .. }) => Err(not_found("collection", id)),
        other => Ok(other?),
    }
}

async fn get_objects(
    State(state): State<AppState>,
    axum::Extension(actor): axum::Extension<Actor>,
    Path(id): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
) -> TaxiiResult {
    let page = page_of(&state, &actor, &id, &query, None).await?;
    let items = page.rows.iter().map(|r| r.object.clone()).collect();
    Ok((
        page_headers(&page),
        envelope(&page, "objects", items).to_string(),
    )
        .into_response())
}

async fn get_object(
    State(state): State<AppState>,
    axum::Extension(actor): axum::Extension<Actor>,
    Path((id, object_id)): Path<(String, String)>,
    Query(query): Query<Vec<(String, String)>>,
) -> TaxiiResult {
    let page = page_of(&state, &actor, &id, &query, Some(&object_id)).await?;
    if page.rows.is_empty() && page.next.is_none() {
        return Err(not_found("object", &object_id));
    }
    let items = page.rows.iter().map(|r| r.object.clone()).collect();
    Ok((
        page_headers(&page),
        envelope(&page, "objects", items).to_string(),
    )
        .into_response())
}

async fn manifest(
    State(state): State<AppState>,
    axum::Extension(actor): axum::Extension<Actor>,
    Path(id): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
) -> TaxiiResult {
    let page = page_of(&state, &actor, &id, &query, None).await?;
    let items = page
        .rows
        .iter()
        .map(|r| json!({"id": r.id, "date_added": r.date_added, "version": r.version, "media_type": STIX}))
        .collect();
    Ok((
        page_headers(&page),
        envelope(&page, "objects", items).to_string(),
    )
        .into_response())
}

async fn versions(
    State(state): State<AppState>,
    axum::Extension(actor): axum::Extension<Actor>,
    Path((id, object_id)): Path<(String, String)>,
    Query(mut query): Query<Vec<(String, String)>>,
) -> TaxiiResult {
    query.retain(|(k, _)| k != "match[version]");
    query.push(("match[version]".into(), "all".into()));
    let page = page_of(&state, &actor, &id, &query, Some(&object_id)).await?;
    if page.rows.is_empty() {
        return Err(not_found("object", &object_id));
    }
    let mut body = json!({ "more": page.more, "versions": page.rows.iter().map(|r| r.version.clone()).collect::<Vec<_>>() });
    if page.more {
        body["next"] = json!(page.next.map(|n| n.to_string()));
    }
    Ok((page_headers(&page), body.to_string()).into_response())
}

async fn add_objects(
    State(state): State<AppState>,
    axum::Extension(actor): axum::Extension<Actor>,
    Path(id): Path<String>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> TaxiiResult {
    let too_large = || {
        TaxiiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Request too large",
            format!("the envelope is larger than max_content_length ({MAX_CONTENT_LENGTH} bytes)"),
        )
    };
    let body = body.map_err(|_| too_large())?;
    if body.len() > MAX_CONTENT_LENGTH {
        return Err(too_large());
    }
    if !allows(&actor, Permission::SubmitIntel) {
        return Err(TaxiiError::new(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "SubmitIntel is not granted to your roles",
        ));
    }
    let envelope: Value = serde_json::from_slice(&body).map_err(|e| {
        TaxiiError::new(
            StatusCode::BAD_REQUEST,
            "Bad request",
            format!(
                "the body is not JSON: {e} (byte offset {})",
                byte_offset(&body, e.line(), e.column())
            ),
        )
    })?;
    let objects = envelope
        .get("objects")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            TaxiiError::new(
                StatusCode::BAD_REQUEST,
                "Bad request",
                "objects: a TAXII envelope needs an objects list",
            )
        })?;
    let status = match state
        .store
        .add_objects(&actor, &id, objects, &ShareOptions::default(), false)
        .await
    {
        Err(StoreError::NotFound { .. }) => return Err(not_found("collection", &id)),
        other => other?,
    };
    let mut resp = taxii_json(&serde_json::to_value(&status).expect("json"));
    *resp.status_mut() = StatusCode::ACCEPTED;
    Ok(resp)
}

/// The byte offset of a 1-based line and column, for JSON errors.
pub(crate) fn byte_offset(body: &[u8], line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (i, l) in body.split(|b| *b == b'\n').enumerate() {
        if i + 1 == line {
            return offset + column.saturating_sub(1);
        }
        offset += l.len() + 1;
    }
    body.len()
}

async fn delete_object(
    State(state): State<AppState>,
    axum::Extension(actor): axum::Extension<Actor>,
    Path((id, object_id)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> TaxiiResult {
    let versions = match query.get("match[version]") {
        Some(v) => VersionMatch::parse(v)
            .map_err(|m| TaxiiError::new(StatusCode::BAD_REQUEST, "Bad request", m))?,
        None => VersionMatch::All,
    };
    // Only what the caller may see can be deleted; the rest does not exist for them.
    let filter = ObjectFilter {
        ids: vec![object_id.clone()],
        versions: VersionMatch::All,
        limit: 1,
        include_revoked: true,
        ..Default::default()
    };
    let visible = state.store.objects_page(Some(&actor), &id, &filter).await;
    if !matches!(visible, Ok(ref p) if !p.rows.is_empty()) {
        return Err(not_found("object", &object_id));
    }
    state
        .store
        .delete_object(&actor, &id, &object_id, &versions)
        .await?;
    Ok(StatusCode::OK.into_response())
}

async fn status(
    State(state): State<AppState>,
    axum::Extension(actor): axum::Extension<Actor>,
    Path(id): Path<String>,
) -> TaxiiResult {
    let s = state.store.taxii_status(&actor, &id).await?;
    Ok(taxii_json(&serde_json::to_value(&s).expect("json")))
}
