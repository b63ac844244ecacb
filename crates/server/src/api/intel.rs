//! Intelligence routes: collections, share STIX objects, search and read what
//! the caller may see (in full or anonymised), export bundles, relay TLP:AMBER,
//! correlations, MISP interchange and the public TLP:CLEAR feed. Every read is
//! decided per object by the sharing policy, in the store.

use super::registry::parse_json;
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use sakimori_core::policy::sharing::{Handling, Visibility};
use sakimori_core::stix;
use sakimori_core::tlp::Tlp;
use sakimori_core::Actor;
use sakimori_store::{
    AddStatus, Collection, Correlation, ObjectFilter, ObjectPage, ShareOptions, VersionMatch,
    INBOX_COLLECTION, SHARED_COLLECTION,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A collection and whether the caller may add to it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CollectionView {
    #[serde(flatten)]
    pub collection: Collection,
    pub can_write: bool,
}

pub async fn collections(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
) -> ApiResult<Json<Vec<CollectionView>>> {
    let list = state.store.collections_for(&actor).await?;
    Ok(Json(
        list.into_iter()
            .map(|(collection, can_write)| CollectionView {
                collection,
                can_write,
            })
            .collect(),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCollection {
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// The community its objects are shared in; absent: the whole platform.
    #[serde(default)]
    pub community: Option<String>,
    /// Applied to objects that carry no TLP marking.
    pub default_tlp: Tlp,
}

pub async fn create_collection(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    body: Bytes,
) -> ApiResult<Json<Collection>> {
    let n: NewCollection = parse_json(&body)?;
    Ok(Json(
        state
            .store
            .create_collection(
                &actor,
                &n.title,
                &n.description,
                n.community.as_deref(),
                n.default_tlp,
            )
            .await?,
    ))
}

/// What to share: STIX objects (or a bundle) and how to handle them.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShareRequest {
    /// The collection to share into (default: the platform-wide one).
    #[serde(default)]
    pub collection: Option<String>,
    /// STIX 2.1 objects.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub objects: Vec<Value>,
    /// Or a STIX bundle.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub bundle: Option<Value>,
    /// The TLP the objects are handled under (their own TLP marking and the
    /// collection's default count too: the most restrictive wins).
    #[serde(default)]
    pub tlp: Option<Tlp>,
    /// TLP:AMBER / AMBER+STRICT recipients: organisation ids, or `community:ID`.
    #[serde(default)]
    pub recipients: Vec<String>,
    /// TLP:RED: the named users.
    #[serde(default)]
    pub recipient_users: Vec<String>,
    /// Accept the valid objects and report the others (TAXII semantics),
    /// instead of refusing the whole request when one object is invalid.
    #[serde(default)]
    pub partial: bool,
}

pub async fn share(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    body: Bytes,
) -> ApiResult<Json<AddStatus>> {
    let r: ShareRequest = parse_json(&body)?;
    let mut objects = r.objects;
    if let Some(b) = r.bundle {
        if b.get("type").and_then(Value::as_str) != Some("bundle") {
            return Err(ApiError::invalid("bundle.type", "must be \"bundle\""));
        }
        objects.extend(
            b.get("objects")
                .and_then(Value::as_array)
                .cloned()
                .ok_or_else(|| {
                    ApiError::invalid("bundle.objects", "a bundle needs an objects list")
                })?,
        );
    }
    if objects.is_empty() {
        return Err(ApiError::invalid("objects", "nothing to share"));
    }
    let collection = r.collection.as_deref().unwrap_or(SHARED_COLLECTION);
    Ok(Json(
        state
            .store
            .add_objects(
                &actor,
                collection,
                &objects,
                &ShareOptions {
                    tlp: r.tlp,
                    recipients: r.recipients,
                    recipient_users: r.recipient_users,
                },
                !r.partial,
            )
            .await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    pub collection: Option<String>,
    /// Text anywhere in the object (case-insensitive).
    pub q: Option<String>,
    /// STIX type, e.g. indicator.
    #[serde(rename = "type")]
    pub ty: Option<String>,
    pub id: Option<String>,
    pub added_after: Option<String>,
    pub limit: Option<usize>,
    pub next: Option<i64>,
    /// `last` (default), `first`, `all`.
    pub versions: Option<String>,
    #[serde(default)]
    pub include_revoked: bool,
}

/// One object as the caller may see it, with how it is handled.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ObjectView {
    pub id: String,
    pub collection_id: String,
    pub version: String,
    pub date_added: String,
    pub tlp: Tlp,
    pub community: Option<String>,
    /// `full`, or `anonymised` when it left the community of its source.
    #[schema(value_type = String)]
    pub visibility: Visibility,
    /// The handling (recipients, relays) — shown in full to its source only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handling: Option<Handling>,
    /// Warninglists that name one of its values (a likely false positive).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warninglists: Vec<String>,
    #[schema(value_type = Object)]
    pub object: Value,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SearchResult {
    pub objects: Vec<ObjectView>,
    pub more: bool,
    pub next: Option<i64>,
    /// Confidentiality notices of the communities whose objects are listed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
}

fn filter_of(q: &SearchQuery) -> ApiResult<ObjectFilter> {
    Ok(ObjectFilter {
        added_after: match &q.added_after {
            Some(t) => Some(sakimori_store::version_key(
                stix::parse_timestamp(t).ok_or_else(|| {
                    ApiError::invalid(
                        "added_after",
                        format!("{t:?} is not a timestamp (e.g. 2024-05-01T00:00:00Z)"),
                    )
                })?,
            )),
            None => None,
        },
        ids: q.id.iter().cloned().collect(),
        types: q.ty.iter().cloned().collect(),
        versions: match &q.versions {
            Some(v) => VersionMatch::parse(v).map_err(|m| ApiError::invalid("versions", m))?,
            None => VersionMatch::Last,
        },
        spec_versions: vec![],
        after_seq: q.next,
        limit: q.limit.unwrap_or(100),
        text: q.q.clone(),
        include_revoked: q.include_revoked,
        newest_first: false,
    })
}

fn views(state: &AppState, actor: &Actor, page: ObjectPage) -> SearchResult {
    let notice = (!page.notices.is_empty()).then(|| crate::notice_header(&page.notices));
    let objects = page
        .rows
        .into_iter()
        .map(|r| ObjectView {
            warninglists: state
                .settings
                .warninglists
                .matches(&stix::observable_values(&r.object)),
            id: r.id,
            collection_id: r.collection_id,
            version: r.version,
            date_added: r.date_added,
            tlp: r.handling.tlp,
            community: r.handling.community.clone(),
            visibility: r.visibility,
            handling: (r.handling.source_org == actor.org).then_some(r.handling),
            object: r.object,
        })
        .collect();
    SearchResult {
        objects,
        more: page.more,
        next: page.more.then_some(page.next).flatten(),
        notice,
    }
}

fn with_notice<T: IntoResponse>(notice: Option<&str>, body: T) -> Response {
    let mut resp = body.into_response();
    if let Some(v) = notice.and_then(|n| HeaderValue::from_str(n).ok()) {
        resp.headers_mut().insert("x-sakimori-notice", v);
    }
    resp
}

pub async fn search(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    Query(q): Query<SearchQuery>,
) -> ApiResult<Response> {
    let filter = filter_of(&q)?;
    let collection = q.collection.as_deref().unwrap_or(INBOX_COLLECTION);
    let page = state
        .store
        .objects_page(Some(&actor), collection, &filter)
        .await?;
    let result = views(&state, &actor, page);
    let notice = result.notice.clone();
    Ok(with_notice(notice.as_deref(), Json(result)))
}

/// One object: every version the caller may see, and what correlates with it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ObjectDetail {
    pub versions: Vec<ObjectView>,
    pub correlations: Vec<Correlation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
}

pub async fn object(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let filter = ObjectFilter {
        ids: vec![id.clone()],
        versions: VersionMatch::All,
        limit: 1000,
        include_revoked: true,
        ..Default::default()
    };
    let page = state
        .store
        .objects_page(Some(&actor), INBOX_COLLECTION, &filter)
        .await?;
    if page.rows.is_empty() {
        return Err(ApiError::not_found(format!(
            "no object {id} that you may see"
        )));
    }
    // Its observables, and the sightings of it.
    let mut values: std::collections::BTreeSet<String> = page
        .rows
        .iter()
        .flat_map(|r| stix::observable_values(&r.object))
        .collect();
    values.insert(stix::observable_key("sighting", "sighting_of_ref", &id));
    let values: Vec<String> = values.into_iter().collect();
    let correlations = state.store.correlations(&actor, &values).await?;
    let result = views(&state, &actor, page);
    let notice = result.notice.clone();
    Ok(with_notice(
        notice.as_deref(),
        Json(ObjectDetail {
            versions: result.objects,
            correlations,
            notice: result.notice,
        }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValueQuery {
    /// Observable values in normal form, e.g. `ipv4-addr:value=198.51.100.7`, or
    /// a bare address, domain or hash.
    pub value: String,
}

/// Turn what a user types (an address, a domain, a hash) into the normal form.
pub fn normalise_value(v: &str) -> String {
    let v = v.trim();
    if v.contains(':') && v.contains('=') {
        return v.to_owned();
    }
    let (ty, path) = if v.parse::<std::net::Ipv4Addr>().is_ok() {
        ("ipv4-addr", "value")
    } else if v.parse::<std::net::Ipv6Addr>().is_ok() {
        ("ipv6-addr", "value")
    } else if v.chars().all(|c| c.is_ascii_hexdigit()) && matches!(v.len(), 32 | 40 | 64 | 128) {
        let alg = match v.len() {
            32 => "MD5",
            40 => "SHA-1",
            64 => "SHA-256",
            _ => "SHA-512",
        };
        return stix::observable_key("file", &format!("hashes.{alg}"), v);
    } else if v.contains("://") {
        ("url", "value")
    } else if v.contains('@') {
        ("email-addr", "value")
    } else {
        ("domain-name", "value")
    };
    stix::observable_key(ty, path, v)
}

pub async fn correlations(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    Query(q): Query<ValueQuery>,
) -> ApiResult<Json<Vec<Correlation>>> {
    let values: Vec<String> = q.value.split(',').map(normalise_value).collect();
    let mut out = state.store.correlations(&actor, &values).await?;
    for c in &mut out {
        c.warninglists = state
            .settings
            .warninglists
            .matches(std::slice::from_ref(&c.value));
    }
    Ok(Json(out))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RelayRequest {
    pub collection: String,
    /// The constituent organisation to relay to.
    pub to: String,
}

pub async fn relay(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let r: RelayRequest = parse_json(&body)?;
    state
        .store
        .relay_object(&actor, &r.collection, &id, &r.to)
        .await?;
    Ok(Json(serde_json::json!({"relayed": id, "to": r.to})))
}

/// Every page of what the caller may see, for exports.
pub(crate) async fn all_visible(
    state: &AppState,
    actor: Option<&Actor>,
    collection: &str,
    mut filter: ObjectFilter,
) -> ApiResult<(Vec<sakimori_store::ObjectRow>, Vec<String>)> {
    filter.limit = 10_000;
    let mut rows = Vec::new();
    let mut notices = std::collections::BTreeSet::new();
    loop {
        let page = state.store.objects_page(actor, collection, &filter).await?;
        notices.extend(page.notices);
        rows.extend(page.rows);
        if !page.more {
            break;
        }
        filter.after_seq = page.next;
        if rows.len() > 1_000_000 {
            return Err(ApiError::invalid(
                "limit",
                "more than 1,000,000 objects: narrow the export or use TAXII",
            ));
        }
    }
    Ok((rows, notices.into_iter().collect()))
}

/// A STIX bundle of the objects, with the TLP marking definitions they use.
pub fn bundle_of(rows: &[sakimori_store::ObjectRow]) -> Value {
    let mut tlps: Vec<Tlp> = rows.iter().map(|r| r.handling.tlp).collect();
    tlps.sort();
    tlps.dedup();
    let ids: std::collections::BTreeSet<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let mut objects: Vec<Value> = tlps
        .into_iter()
        .filter(|t| !ids.contains(t.stix_marking_id()))
        .map(stix::tlp_marking_definition)
        .collect();
    objects.extend(rows.iter().map(|r| r.object.clone()));
    stix::bundle(objects)
}

pub async fn export(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    Query(q): Query<SearchQuery>,
) -> ApiResult<Response> {
    let filter = filter_of(&q)?;
    let collection = q.collection.as_deref().unwrap_or(INBOX_COLLECTION);
    let (rows, notices) = all_visible(&state, Some(&actor), collection, filter).await?;
    let notice = (!notices.is_empty()).then(|| crate::notice_header(&notices));
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/stix+json;version=2.1"),
    );
    Ok(with_notice(
        notice.as_deref(),
        (headers, bundle_of(&rows).to_string()),
    ))
}

/// TLP:CLEAR objects, without a token, when the public feed is on.
pub async fn public_feed(State(state): State<AppState>) -> ApiResult<Response> {
    if !state.settings.public_feed {
        return Err(ApiError::not_found(
            "the public feed is not enabled ([intel] public_feed)",
        ));
    }
    let filter = ObjectFilter {
        limit: 10_000,
        ..Default::default()
    };
    let (rows, _) = all_visible(&state, None, INBOX_COLLECTION, filter).await?;
    Ok((
        [(header::CONTENT_TYPE, "application/stix+json;version=2.1")],
        bundle_of(&rows).to_string(),
    )
        .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MispQuery {
    /// The collection to share the event into (default: the community named by
    /// its sharing group, else the platform-wide collection).
    pub collection: Option<String>,
}

/// What a MISP import did.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MispImported {
    pub status: AddStatus,
    pub tlp: Tlp,
    pub collection: String,
    /// What the mapping approximated or kept as custom objects.
    pub warnings: Vec<String>,
}

/// Import a MISP event (JSON as MISP exports it): its attributes, objects,
/// tags and galaxies become STIX objects, its distribution and sharing group a
/// TLP marking and a community. All or nothing.
pub async fn misp_import(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    Query(q): Query<MispQuery>,
    body: Bytes,
) -> ApiResult<Json<MispImported>> {
    let imported = sakimori_share::misp::import_event(&body)
        .map_err(|e| ApiError::invalid(&e.path, e.problem))?;
    let collection = match (&q.collection, &imported.handling.community) {
        (Some(c), _) => c.clone(),
        (None, None) => SHARED_COLLECTION.to_owned(),
        (None, Some(group)) => state
            .store
            .collections()
            .await?
            .into_iter()
            .find(|c| c.community_id.as_deref() == Some(group.as_str()))
            .map(|c| c.id)
            .ok_or_else(|| {
                ApiError::invalid(
                    "Event.SharingGroup.name",
                    format!("the sharing group {group:?} is not a community here: choose the collection with ?collection="),
                )
            })?,
    };
    let tlp = imported.handling.tlp;
    // MISP's "your organisation only" stays with the importing organisation.
    let handling = ShareOptions {
        tlp: Some(tlp),
        recipients: if matches!(tlp, Tlp::Amber | Tlp::AmberStrict) {
            vec![actor.org.clone()]
        } else {
            vec![]
        },
        recipient_users: vec![actor.username.clone()],
    };
    let status = state
        .store
        .add_objects(&actor, &collection, &imported.objects, &handling, true)
        .await?;
    Ok(Json(MispImported {
        status,
        tlp,
        collection,
        warnings: imported.warnings,
    }))
}

/// Export what the caller may see as one MISP event, marked with the most
/// restrictive TLP among the objects.
pub async fn misp_export(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    Query(q): Query<SearchQuery>,
) -> ApiResult<Response> {
    let filter = filter_of(&q)?;
    let collection = q.collection.as_deref().unwrap_or(INBOX_COLLECTION);
    let (rows, notices) = all_visible(&state, Some(&actor), collection, filter).await?;
    let tlp = rows
        .iter()
        .map(|r| r.handling.tlp)
        .max()
        .unwrap_or(Tlp::Clear);
    let mut communities: Vec<&str> = rows
        .iter()
        .filter_map(|r| r.handling.community.as_deref())
        .collect();
    communities.sort();
    communities.dedup();
    let handling = sakimori_share::misp::Handling {
        tlp,
        community: match communities[..] {
            [one] if rows.iter().all(|r| r.handling.community.is_some()) => Some(one.to_owned()),
            _ => None,
        },
    };
    let org_name = state
        .store
        .organisation(&actor.org)
        .await
        .map(|o| o.name.en)
        .unwrap_or_else(|_| actor.org.clone());
    let objects: Vec<Value> = rows.into_iter().map(|r| r.object).collect();
    let event = sakimori_share::misp::export_event(&objects, &handling, &org_name)
        .map_err(|e| ApiError::invalid(&e.path, e.problem))?;
    let notice = (!notices.is_empty()).then(|| crate::notice_header(&notices));
    Ok(with_notice(notice.as_deref(), Json(event)))
}
