//! Shared intelligence in the console (脅威情報): search what the user may see
//! (as `GET /api/v1/intel/objects`), one object with its versions, correlations
//! and sightings (as `GET /api/v1/intel/objects/{id}`), the relay of a TLP:AMBER
//! object received as a recipient (as `POST /api/v1/intel/objects/{id}/relay`),
//! the download of a STIX bundle (as `GET /api/v1/intel/export`) and the share
//! form (as `POST /api/v1/intel/objects`).
//!
//! The store applies the sharing policy: every object shown here is one it
//! returned, in the form it returned it (full or anonymised); nothing is
//! filtered again here.

use super::pages::{forbidden, not_found, page, tlp_label, unprocessable, when};
use super::{api_route, may_route, session, FormData, Lang, Session};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use sakimori_core::policy::sharing::{may_relay, Visibility};
use sakimori_core::policy::OrgRelations;
use sakimori_core::registry::{Community, OrgKind};
use sakimori_core::stix;
use sakimori_core::tlp::Tlp;
use sakimori_core::Actor;
use sakimori_store::{
    Collection, Correlation, ObjectFilter, ObjectRow, ShareOptions, StoreError, VersionMatch,
    INBOX_COLLECTION, SHARED_COLLECTION,
};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

type Page = Result<Response, Response>;

/// Objects per page of the search.
const PAGE_SIZE: usize = 50;

/// The STIX types offered in the search's type list.
const TYPES: &[&str] = &[
    "indicator",
    "sighting",
    "observed-data",
    "report",
    "malware",
    "attack-pattern",
    "campaign",
    "intrusion-set",
    "threat-actor",
    "tool",
    "infrastructure",
    "vulnerability",
    "course-of-action",
    "note",
    "opinion",
    "grouping",
    "relationship",
    "identity",
    "ipv4-addr",
    "ipv6-addr",
    "domain-name",
    "url",
    "email-addr",
    "file",
    "autonomous-system",
];

/// Percent-encode a query string.
fn qs(pairs: &[(&str, &str)]) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `path?query`, or `path` when the query is empty.
fn with_query(path: &str, pairs: &[(&str, &str)]) -> String {
    match qs(pairs) {
        q if q.is_empty() => path.to_owned(),
        q => format!("{path}?{q}"),
    }
}

/// A collection's title in the reader's language ("English / 日本語" titles).
fn collection_title(l: Lang, c: &Collection) -> String {
    match c.title.split_once(" / ") {
        Some((en, ja)) => if l == Lang::Ja { ja } else { en }.to_owned(),
        None => c.title.clone(),
    }
}

/// The community an object is shared in, by name; none: the whole platform.
fn community_name(l: Lang, communities: &[Community], id: Option<&str>) -> String {
    match id {
        None => l.t("platform_wide").to_owned(),
        Some(id) => communities
            .iter()
            .find(|c| c.id == id)
            .map(|c| {
                if l == Lang::Ja {
                    c.name.ja.clone()
                } else {
                    c.name.en.clone()
                }
            })
            .unwrap_or_else(|| id.to_owned()),
    }
}

fn str_of<'a>(o: &'a Value, p: &str) -> Option<&'a str> {
    o.get(p).and_then(Value::as_str)
}

/// What names an object in a list: its name, value, pattern, what a sighting
/// saw, what a relationship links, a hash, else its id.
fn title_of(o: &Value) -> String {
    let s = if let Some(v) = ["name", "value", "pattern"]
        .iter()
        .find_map(|p| str_of(o, p))
    {
        v.to_owned()
    } else if let Some(r) = str_of(o, "sighting_of_ref") {
        format!("→ {r}")
    } else if let (Some(a), Some(t), Some(b)) = (
        str_of(o, "source_ref"),
        str_of(o, "relationship_type"),
        str_of(o, "target_ref"),
    ) {
        format!("{a} {t} {b}")
    } else if let Some(h) = o
        .get("hashes")
        .and_then(Value::as_object)
        .and_then(|h| h.iter().next())
    {
        format!("{}: {}", h.0, h.1.as_str().unwrap_or_default())
    } else {
        str_of(o, "id").unwrap_or_default().to_owned()
    };
    if s.chars().count() > 140 {
        format!("{}…", s.chars().take(140).collect::<String>())
    } else {
        s
    }
}

fn ty_of(o: &Value) -> &str {
    str_of(o, "type").unwrap_or_default()
}

/// The badges of a row: anonymised, and the warninglists naming its values.
fn badges(s: &AppState, l: Lang, r: &ObjectRow) -> Markup {
    let lists = s
        .settings
        .warninglists
        .matches(&stix::observable_values(&r.object));
    html! {
        @if r.visibility == Visibility::Anonymised { " " span.badge.badge-anon title=(l.t("anonymised_hint")) { (l.t("anonymised")) } }
        @for w in &lists { " " span.badge.badge-warn title=(l.t("warninglist_hint")) { (l.t("warninglist")) ": " (w) } }
    }
}

/// The confidentiality notice of the communities whose objects are on the
/// page, as a banner.
fn notice_banner(l: Lang, communities: &[Community], ids: &[String]) -> Markup {
    let names: Vec<String> = ids
        .iter()
        .map(|c| community_name(l, communities, Some(c)))
        .collect();
    html! {
        @if !ids.is_empty() {
            p.banner.confidential role="alert" { (l.t("confidential_notice").replace("{}", &names.join(", "))) }
        }
    }
}

/// The filter of the search form (`q`, `type`, `next`).
fn filter_of(f: &FormData, limit: usize) -> ObjectFilter {
    ObjectFilter {
        types: f
            .opt("type")
            .map(|t| vec![t.to_owned()])
            .unwrap_or_default(),
        text: f.opt("q").map(str::to_owned),
        after_seq: f.opt("next").and_then(|n| n.parse().ok()),
        limit,
        ..Default::default()
    }
}

/// The search page: the form, a page of what the user may see, `next`.
pub async fn list(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<Vec<(String, String)>>,
) -> Page {
    let sess = session(&s, &headers).await?;
    if !may_route(&sess.actor, &api_route::SEARCH_INTEL) {
        return Ok(forbidden(&sess));
    }
    let (l, t) = (sess.lang, |k| sess.lang.t(k));
    let f = FormData(q);
    let collections = s
        .store
        .collections_for(&sess.actor)
        .await
        .unwrap_or_default();
    let communities = s.store.communities().await.unwrap_or_default();
    let collection = f.opt("collection").unwrap_or(INBOX_COLLECTION);
    let ty = f.opt("type").unwrap_or("");
    let result = s
        .store
        .objects_page(Some(&sess.actor), collection, &filter_of(&f, PAGE_SIZE))
        .await;
    let status = match &result {
        Ok(_) => StatusCode::OK,
        Err(StoreError::NotFound { .. }) => StatusCode::NOT_FOUND,
        Err(_) => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let search = [
        ("q", f.get("q")),
        ("type", f.get("type")),
        ("collection", f.get("collection")),
    ];
    let mut r = page(
        l,
        t("intel"),
        Some(&sess),
        html! {
            @if let Ok(p) = &result { (notice_banner(l, &communities, &p.notices)) }
            @if may_route(&sess.actor, &api_route::SHARE_INTEL) { p { a href="/intel/new" { (t("share_intel")) } } }
            form.search method="get" action="/intel" role="search" {
                div.grid {
                    div {
                        label for="q" { (t("intel_text")) }
                        input #q type="search" name="q" value=(f.get("q")) placeholder="198.51.100.7";
                    }
                    div {
                        label for="type" { (t("stix_type")) }
                        select #type name="type" {
                            option value="" { (t("all_types")) }
                            @for x in TYPES { option value=(x) selected[*x == ty] { (x) } }
                        }
                    }
                    div {
                        label for="collection" { (t("collection")) }
                        select #collection name="collection" {
                            @for (c, _) in &collections { option value=(c.id) selected[c.id == collection] { (collection_title(l, c)) } }
                        }
                    }
                }
                p { button type="submit" { (t("search")) } }
            }
            @match &result {
                Err(e) => { p.error role="alert" { (e) } }
                Ok(p) => {
                    @if p.rows.is_empty() { p.muted { (t("no_objects")) } } @else {
                        table.cards #objects {
                            thead { tr {
                                th scope="col" { (t("tlp")) } th scope="col" { (t("stix_type")) } th scope="col" { (t("name_value")) }
                                th scope="col" { (t("community")) } th scope="col" { (t("date_added")) }
                            } }
                            tbody {
                                @for r in &p.rows {
                                    tr {
                                        td data-label=(t("tlp")) { (tlp_label(r.handling.tlp)) }
                                        td data-label=(t("stix_type")) { code { (ty_of(&r.object)) } }
                                        td data-label=(t("name_value")) {
                                            a.value href={ "/intel/" (r.id) } { (title_of(&r.object)) }
                                            (badges(&s, l, r))
                                        }
                                        td data-label=(t("community")) { (community_name(l, &communities, r.handling.community.as_deref())) }
                                        td data-label=(t("date_added")) { (when(&r.date_added)) }
                                    }
                                }
                            }
                        }
                    }
                    @if f.opt("next").is_some() || p.more {
                        p.paging {
                            @if f.opt("next").is_some() { a href=(with_query("/intel", &search)) { "« " (t("first_page")) } " " }
                            @if let (true, Some(n)) = (p.more, p.next) {
                                @let n = n.to_string();
                                a rel="next" href=(with_query("/intel", &[search[0], search[1], search[2], ("next", n.as_str())])) { (t("next_page")) " »" }
                            }
                        }
                    }
                    p { a href=(with_query("/intel/export", &search)) download { (t("export_bundle")) } " " span.muted { (t("export_hint")) } }
                }
            }
        },
    );
    *r.status_mut() = status;
    Ok(r)
}

/// The STIX bundle of everything the search selects that the user may see.
pub async fn export(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<Vec<(String, String)>>,
) -> Page {
    let sess = session(&s, &headers).await?;
    if !may_route(&sess.actor, &api_route::EXPORT_INTEL) {
        return Ok(forbidden(&sess));
    }
    let f = FormData(q);
    let mut filter = filter_of(&f, 10_000);
    filter.after_seq = None;
    let collection = f.opt("collection").unwrap_or(INBOX_COLLECTION);
    let (rows, notices) =
        match crate::api::intel::all_visible(&s, Some(&sess.actor), collection, filter).await {
            Ok(x) => x,
            Err(e) => {
                let mut r = page(
                    sess.lang,
                    sess.lang.t("intel"),
                    Some(&sess),
                    html! { p.error role="alert" { (e.message) } },
                );
                *r.status_mut() = e.status;
                return Ok(r);
            }
        };
    let name = format!(
        "attachment; filename=\"sakimori-intel-{}.json\"",
        chrono::Utc::now().format("%Y%m%d-%H%M%S")
    );
    let mut resp = (
        [
            (header::CONTENT_TYPE, "application/stix+json;version=2.1"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        crate::api::intel::bundle_of(&rows).to_string(),
    )
        .into_response();
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&name) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Some(v) = (!notices.is_empty())
        .then(|| crate::notice_header(&notices))
        .and_then(|n| HeaderValue::from_str(&n).ok())
    {
        h.insert("x-sakimori-notice", v);
    }
    Ok(resp)
}

/// The five (or `n`) newest objects the actor may see, newest first, for the
/// situation dashboard.
pub(super) async fn newest(s: &AppState, actor: &Actor, n: usize) -> Vec<ObjectRow> {
    let filter = ObjectFilter {
        newest_first: true,
        limit: n,
        ..Default::default()
    };
    s.store
        .objects_page(Some(actor), INBOX_COLLECTION, &filter)
        .await
        .map(|p| p.rows)
        .unwrap_or_default()
}

/// The dashboard's list of the newest intelligence.
pub(super) fn newest_list(l: Lang, rows: &[ObjectRow]) -> Markup {
    let t = |k| l.t(k);
    html! {
        h2 #newest-intel { (t("newest_intel")) }
        @if rows.is_empty() { p.muted { (t("no_objects")) } } @else {
            ul.newest {
                @for r in rows {
                    li {
                        (tlp_label(r.handling.tlp)) " " code { (ty_of(&r.object)) } " "
                        a href={ "/intel/" (r.id) } { (title_of(&r.object)) }
                        @if r.visibility == Visibility::Anonymised { " " span.badge.badge-anon { (t("anonymised")) } }
                        " " span.muted { (when(&r.date_added)) }
                    }
                }
            }
        }
        p { a href="/intel" { (t("intel")) " »" } }
    }
}

/// One object.
pub async fn object(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Page {
    let sess = session(&s, &headers).await?;
    if !may_route(&sess.actor, &api_route::READ_INTEL_OBJECT) {
        return Ok(forbidden(&sess));
    }
    let f = FormData(q);
    Ok(detail(&s, &sess, &id, None, f.opt("relayed")).await)
}

/// A version's date for ordering (STIX timestamps written in any precision).
fn version_order(r: &ObjectRow) -> (Option<chrono::DateTime<chrono::Utc>>, i64) {
    (stix::parse_timestamp(&r.version), r.seq)
}

/// Organisations the actor may relay to: its own constituents (see
/// `policy::sharing::may_relay`), worked out from the registry as
/// `Store::relations` does, for the choices of the relay form; the store
/// decides again when the form is sent.
async fn constituents(
    s: &AppState,
    actor: &Actor,
    communities: &BTreeSet<String>,
    row: &ObjectRow,
) -> Vec<(String, String, String)> {
    let orgs = s
        .store
        .organisations(&Default::default())
        .await
        .unwrap_or_default();
    let sectors = s.store.sectors().await.unwrap_or_default();
    let parent: BTreeMap<&str, Option<&str>> = orgs
        .iter()
        .map(|o| (o.id.as_str(), o.parent.as_deref()))
        .collect();
    let mut out = Vec::new();
    for o in &orgs {
        if o.id == actor.org {
            continue;
        }
        let mut ancestors = Vec::new();
        let mut cur = o.parent.as_deref();
        while let Some(p) = cur {
            if ancestors.iter().any(|a: &String| a == p) || ancestors.len() > 32 {
                break;
            }
            ancestors.push(p.to_owned());
            cur = parent.get(p).copied().flatten();
        }
        let sector_ministry = o
            .sector
            .as_deref()
            .and_then(|sec| sectors.iter().find(|x| x.id == sec))
            .and_then(|x| x.ministry.clone());
        let sector_hubs = orgs
            .iter()
            .filter(|h| h.kind == OrgKind::Hub && o.sector.is_some() && h.sector == o.sector)
            .map(|h| h.id.clone())
            .collect();
        let rel = OrgRelations {
            id: o.id.clone(),
            ancestors,
            supervising_ministry: o.ministry.clone().or(sector_ministry),
            sector_hubs,
        };
        if may_relay(actor, communities, &row.handling, &rel).is_ok() {
            out.push((o.id.clone(), o.name.en.clone(), o.name.ja.clone()));
        }
    }
    out
}

/// The object page: versions, properties, raw JSON, correlations, sightings,
/// and the relay form for a TLP:AMBER recipient.
async fn detail(
    s: &AppState,
    sess: &Session,
    id: &str,
    error: Option<(StatusCode, String)>,
    relayed: Option<&str>,
) -> Response {
    let (l, t) = (sess.lang, |k| sess.lang.t(k));
    let filter = ObjectFilter {
        ids: vec![id.to_owned()],
        versions: VersionMatch::All,
        limit: 1000,
        include_revoked: true,
        ..Default::default()
    };
    let mut found = match s
        .store
        .objects_page(Some(&sess.actor), INBOX_COLLECTION, &filter)
        .await
    {
        Ok(p) if !p.rows.is_empty() => p,
        _ => return not_found(sess),
    };
    // Newest version first.
    found
        .rows
        .sort_by_key(|r| std::cmp::Reverse(version_order(r)));
    let rows = &found.rows;
    let latest = &rows[0];
    let communities = s.store.communities().await.unwrap_or_default();
    let values: Vec<String> = rows
        .iter()
        .flat_map(|r| stix::observable_values(&r.object))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let correlations = s
        .store
        .correlations(&sess.actor, &values)
        .await
        .unwrap_or_default();
    // Sightings of this object: the correlation of `sighting:sighting_of_ref=<id>`
    // counts them (and their organisations); the ones the user may see are read
    // for their counts and, where seen in full, their organisation.
    let sighting_value = stix::observable_key("sighting", "sighting_of_ref", id);
    let sightings: Correlation = s
        .store
        .correlations(&sess.actor, std::slice::from_ref(&sighting_value))
        .await
        .ok()
        .and_then(|mut c| c.pop())
        .unwrap_or_default();
    let sighting_ids: Vec<String> = sightings
        .objects
        .iter()
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .take(500)
        .collect();
    let sighting_rows = if sighting_ids.is_empty() {
        vec![]
    } else {
        s.store
            .objects_page(
                Some(&sess.actor),
                INBOX_COLLECTION,
                &ObjectFilter {
                    ids: sighting_ids,
                    limit: 1000,
                    ..Default::default()
                },
            )
            .await
            .map(|p| p.rows)
            .unwrap_or_default()
    };
    let count_of = |r: &ObjectRow| r.object.get("count").and_then(Value::as_u64).unwrap_or(1);
    // Per organisation, only for sightings seen in full.
    let mut per_org: BTreeMap<String, (usize, u64, String)> = BTreeMap::new();
    let mut anonymised_sightings = (0usize, 0u64);
    for r in &sighting_rows {
        let seen = str_of(&r.object, "last_seen")
            .or(str_of(&r.object, "first_seen"))
            .or(str_of(&r.object, "created"))
            .unwrap_or_default()
            .to_owned();
        if r.visibility == Visibility::Full {
            let e = per_org
                .entry(r.handling.source_org.clone())
                .or_insert((0, 0, String::new()));
            e.0 += 1;
            e.1 += count_of(r);
            if seen > e.2 {
                e.2 = seen;
            }
        } else {
            anonymised_sightings.0 += 1;
            anonymised_sightings.1 += count_of(r);
        }
    }
    let total_count: u64 = sighting_rows.iter().map(count_of).sum();
    let unnamed_orgs = sightings
        .organisations
        .saturating_sub(sightings.named_organisations.len());

    // The relay form: a TLP:AMBER object the user's organisation received.
    let facts = s.store.sharing_facts().await.unwrap_or_default();
    let mine = facts.memberships(&sess.actor.org);
    let h = &latest.handling;
    let recipient = h.recipient_orgs.contains(&sess.actor.org)
        || h.recipient_communities.iter().any(|c| mine.contains(c));
    let relay_to = if h.tlp == Tlp::Amber
        && recipient
        && h.source_org != sess.actor.org
        && may_route(&sess.actor, &api_route::RELAY_INTEL)
    {
        constituents(s, &sess.actor, &mine, latest).await
    } else {
        vec![]
    };
    let own = h.source_org == sess.actor.org;
    let o = &latest.object;
    let pretty = serde_json::to_string_pretty(o).unwrap_or_default();
    let strings = |p: &str| -> Vec<String> {
        o.get(p)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|v| {
                        v.as_str()
                            .map(str::to_owned)
                            .unwrap_or_else(|| v.to_string())
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let labels = strings("labels");
    let refs: Vec<Value> = o
        .get("external_references")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let revoked = o.get("revoked").and_then(Value::as_bool).unwrap_or(false);
    let prop_rows: Vec<(&str, &str)> = [
        ("description", "description"),
        ("pattern", "pattern"),
        ("pattern_type", "pattern_type"),
        ("valid_from", "valid_from"),
        ("valid_until", "valid_until"),
        ("value", "value"),
        ("first_seen", "first_seen"),
        ("last_seen", "last_seen"),
        ("created", "created"),
        ("modified", "modified"),
        ("created_by_ref", "created_by_ref"),
    ]
    .into_iter()
    .filter_map(|(p, k)| str_of(o, p).map(|v| (k, v)))
    .collect();
    let mut resp = page(
        l,
        &title_of(o),
        Some(sess),
        html! {
            (notice_banner(l, &communities, &found.notices))
            @if let Some((_, e)) = &error { p.error role="alert" { (e) } }
            @if let Some(to) = relayed { p.ok role="status" { (t("relayed_to")) ": " strong { (to) } } }
            p.meta {
                (tlp_label(h.tlp)) " " code { (ty_of(o)) } " "
                @if revoked { span.badge { (t("revoked")) } " " }
                (badges(s, l, latest))
                " · " (community_name(l, &communities, h.community.as_deref()))
                @if latest.visibility == Visibility::Full && h.tlp != Tlp::Red { " · " (t("shared_by")) " " (h.source_org) }
            }
            @if latest.visibility == Visibility::Anonymised { p.muted { (t("anonymised_hint")) } }
            p.muted { "ID: " code.value { (id) } }
            @if own && (!h.recipient_orgs.is_empty() || !h.recipient_communities.is_empty() || !h.recipient_users.is_empty() || !h.relayed_to.is_empty()) {
                p.muted {
                    (t("intel_recipients")) ": "
                    (h.recipient_orgs.iter().chain(h.recipient_communities.iter()).chain(h.recipient_users.iter()).cloned().collect::<Vec<_>>().join(", "))
                    @if !h.relayed_to.is_empty() { " · " (t("relayed")) ": " (h.relayed_to.join(", ")) }
                }
            }
            section aria-labelledby="props" {
                h2 #props { (t("properties")) }
                dl.props {
                    @if let Some(n) = str_of(o, "name") { dt { (t("intel_name")) } dd { strong { (n) } } }
                    @for (k, v) in &prop_rows {
                        dt { code { (k) } }
                        dd {
                            @match *k {
                                "description" => { span.text { (v) } }
                                "pattern" | "value" => { code.value { (v) } }
                                _ => { (v) }
                            }
                        }
                    }
                    @if let Some(r) = str_of(o, "sighting_of_ref") { dt { code { "sighting_of_ref" } } dd { a.value href={ "/intel/" (r) } { (r) } } }
                    @if let Some(c) = o.get("count").and_then(Value::as_u64) { dt { code { "count" } } dd { (c) } }
                    @if !labels.is_empty() { dt { code { "labels" } } dd { @for x in &labels { span.chip { (x) } " " } } }
                }
                @if !refs.is_empty() {
                    h3 { (t("external_references")) }
                    ul.refs {
                        @for r in &refs {
                            li {
                                strong { (str_of(r, "source_name").unwrap_or("—")) }
                                @if let Some(x) = str_of(r, "external_id") { " " code { (x) } }
                                @if let Some(u) = str_of(r, "url") {
                                    " "
                                    @if u.starts_with("https://") || u.starts_with("http://") { a.value href=(u) rel="noopener noreferrer" { (u) } } @else { span.value { (u) } }
                                }
                                @if let Some(d) = str_of(r, "description") { br; span.muted { (d) } }
                            }
                        }
                    }
                }
            }
            section aria-labelledby="versions" {
                h2 #versions { (t("versions")) }
                table.cards {
                    thead { tr {
                        th scope="col" { (t("intel_version")) } th scope="col" { (t("date_added")) } th scope="col" { (t("tlp")) }
                        th scope="col" { (t("community")) } th scope="col" { (t("visibility")) }
                    } }
                    tbody {
                        @for r in rows {
                            tr {
                                th scope="row" { (r.version) }
                                td data-label=(t("date_added")) { (when(&r.date_added)) }
                                td data-label=(t("tlp")) { (tlp_label(r.handling.tlp)) }
                                td data-label=(t("community")) { (community_name(l, &communities, r.handling.community.as_deref())) }
                                td data-label=(t("visibility")) { @if r.visibility == Visibility::Anonymised { span.badge.badge-anon { (t("anonymised")) } } @else { (t("full")) } }
                            }
                        }
                    }
                }
            }
            section aria-labelledby="correlations" {
                h2 #correlations { (t("correlations")) }
                @if correlations.is_empty() { p.muted { (t("no_values")) } } @else {
                    p.muted { (t("correlations_hint")) }
                    table.cards #correlation-table {
                        thead { tr {
                            th scope="col" { (t("value")) } th scope="col" { (t("objects_you_see")) }
                            th scope="col" { (t("organisations_in_all")) } th scope="col" { (t("organisations_known")) }
                        } }
                        tbody {
                            @for c in &correlations {
                                @let bare = c.value.split_once('=').map(|(_, v)| v).unwrap_or(&c.value);
                                @let lists = s.settings.warninglists.matches(std::slice::from_ref(&c.value));
                                tr {
                                    th scope="row" {
                                        a.value href=(with_query("/intel", &[("q", bare)])) { code { (c.value) } }
                                        @for w in &lists { " " span.badge.badge-warn { (t("warninglist")) ": " (w) } }
                                    }
                                    td data-label=(t("objects_you_see")) {
                                        strong { (c.objects.len()) }
                                        @if !c.by_type.is_empty() { " (" (c.by_type.iter().map(|(k, n)| format!("{k} {n}")).collect::<Vec<_>>().join(", ")) ")" }
                                    }
                                    td data-label=(t("organisations_in_all")) { (c.organisations) }
                                    td data-label=(t("organisations_known")) { @if c.named_organisations.is_empty() { "—" } @else { (c.named_organisations.join(", ")) } }
                                }
                            }
                        }
                    }
                }
            }
            section aria-labelledby="sightings" {
                h2 #sightings { (t("sightings")) }
                @if sightings.objects.is_empty() && sightings.organisations == 0 { p.muted { (t("no_sightings")) } } @else {
                    p.big {
                        (t("sightings_you_see")) ": " strong { (sighting_rows.len()) } " · "
                        (t("sighting_count")) ": " strong { (total_count) } " · "
                        (t("organisations_in_all")) ": " strong { (sightings.organisations) }
                    }
                    table.cards #sightings-by-org {
                        thead { tr {
                            th scope="col" { (t("organisation")) } th scope="col" { (t("sightings")) }
                            th scope="col" { (t("sighting_count")) } th scope="col" { (t("last_seen")) }
                        } }
                        tbody {
                            @for (org, (n, count, seen)) in &per_org {
                                tr {
                                    th scope="row" { a href={ "/registry/" (org) } { (org) } }
                                    td data-label=(t("sightings")) { (n) }
                                    td data-label=(t("sighting_count")) { (count) }
                                    td data-label=(t("last_seen")) { @if seen.is_empty() { "—" } @else { (seen) } }
                                }
                            }
                            @if anonymised_sightings.0 > 0 {
                                tr {
                                    th scope="row" { span.badge.badge-anon { (t("anonymised")) } }
                                    td data-label=(t("sightings")) { (anonymised_sightings.0) }
                                    td data-label=(t("sighting_count")) { (anonymised_sightings.1) }
                                    td data-label=(t("last_seen")) { "—" }
                                }
                            }
                        }
                    }
                    @if unnamed_orgs > 0 { p.muted { (unnamed_orgs) " " (t("unnamed_orgs")) } }
                    @if !sighting_rows.is_empty() {
                        details {
                            summary { (t("sightings_list")) }
                            ul { @for r in sighting_rows.iter().take(100) { li { a.value href={ "/intel/" (r.id) } { (r.id) } " " span.muted { (when(&r.date_added)) } } } }
                        }
                    }
                }
            }
            @if !relay_to.is_empty() {
                section.relay aria-labelledby="relay" {
                    h2 #relay { (t("intel_relay")) }
                    p.muted { (t("intel_relay_hint")) }
                    form.stack method="post" action={ "/intel/" (id) "/relay" } {
                        input type="hidden" name="csrf" value=(sess.csrf());
                        input type="hidden" name="collection" value=(latest.collection_id);
                        label for="relay-to" { (t("relay_to")) }
                        select #relay-to name="to" required {
                            @for (oid, en, ja) in &relay_to { option value=(oid) { @if l == Lang::Ja { (ja) } @else { (en) } " (" (oid) ")" } }
                        }
                        button type="submit" { (t("intel_relay")) }
                    }
                }
            }
            section aria-labelledby="raw" {
                h2 #raw { (t("raw_json")) }
                pre.json { code { (pretty) } }
            }
        },
    );
    if let Some((status, _)) = error {
        *resp.status_mut() = status;
    }
    resp
}

/// Relay a TLP:AMBER object to a constituent organisation.
pub async fn relay(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Page {
    let (sess, f) = super::form_action(&s, &headers, form, &api_route::RELAY_INTEL).await?;
    let to = f.get("to").trim();
    match s
        .store
        .relay_object(
            &sess.actor,
            f.opt("collection").unwrap_or(SHARED_COLLECTION),
            &id,
            to,
        )
        .await
    {
        Ok(()) => {
            Ok(Redirect::to(&format!("/intel/{id}?{}", qs(&[("relayed", to)]))).into_response())
        }
        Err(StoreError::NotFound {
            entity: "object", ..
        }) => Ok(not_found(&sess)),
        Err(e) => {
            let status = match e {
                StoreError::Forbidden(_) => StatusCode::FORBIDDEN,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            Ok(detail(&s, &sess, &id, Some((status, e.to_string())), None).await)
        }
    }
}

/// One refused object: which object, which property, what is wrong.
struct Failure {
    object: String,
    property: String,
    message: String,
}

/// What went wrong with a share: the JSON itself, or objects one by one.
enum ShareError {
    Message(String),
    Objects(Vec<Failure>),
}

/// The share form, empty, with what was typed and what went wrong, or with the
/// outcome of the last share (`?status=`).
pub async fn new_form(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<Vec<(String, String)>>,
) -> Page {
    let sess = session(&s, &headers).await?;
    if !may_route(&sess.actor, &api_route::SHARE_INTEL) {
        return Ok(forbidden(&sess));
    }
    let q = FormData(q);
    let done = match q.opt("status") {
        Some(id) => s.store.taxii_status(&sess.actor, id).await.ok(),
        None => None,
    };
    Ok(share_form(&s, &sess, &FormData(vec![]), None, done).await)
}

async fn share_form(
    s: &AppState,
    sess: &Session,
    f: &FormData,
    error: Option<ShareError>,
    done: Option<sakimori_store::AddStatus>,
) -> Response {
    let (l, t) = (sess.lang, |k| sess.lang.t(k));
    let writable: Vec<Collection> = s
        .store
        .collections_for(&sess.actor)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|(_, w)| *w)
        .map(|(c, _)| c)
        .collect();
    let communities = s.store.communities().await.unwrap_or_default();
    let orgs = s
        .store
        .organisations(&Default::default())
        .await
        .unwrap_or_default();
    let picked = |name: &str, v: &str| f.0.iter().any(|(k, x)| k == name && x == v);
    let collection = f.opt("collection").unwrap_or(SHARED_COLLECTION);
    let tlp = f.get("tlp");
    page(
        l,
        t("share_intel"),
        Some(sess),
        html! {
            @if let Some(st) = &done {
                div.ok role="status" {
                    p { (t("shared_objects")) ": " strong { (st.success_count) } }
                    ul { @for o in &st.successes {
                        li { a.value href={ "/intel/" (o.id) } { (o.id) } @if let Some(m) = &o.message { " " span.muted { (m) } } }
                    } }
                }
            }
            @match &error {
                None => {}
                Some(ShareError::Message(m)) => { p.error role="alert" { (t("nothing_shared")) " " (m) } }
                Some(ShareError::Objects(list)) => {
                    div.error role="alert" #share-errors {
                        p { (t("nothing_shared")) " " (t("objects_refused").replace("{}", &list.len().to_string())) }
                        table.cards {
                            thead { tr { th scope="col" { (t("object")) } th scope="col" { (t("property")) } th scope="col" { (t("problem")) } } }
                            tbody {
                                @for x in list {
                                    tr {
                                        th scope="row" { code.value { (x.object) } }
                                        td data-label=(t("property")) { code { (x.property) } }
                                        td data-label=(t("problem")) { (x.message) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            form.stack method="post" action="/intel" {
                input type="hidden" name="csrf" value=(sess.csrf());
                label for="stix" { (t("stix_json")) " (" (t("required")) ")" }
                p.muted { (t("stix_json_hint")) }
                textarea #stix.mono name="stix" rows="14" required spellcheck="false" { (f.get("stix")) }
                label for="share-collection" { (t("collection")) }
                select #share-collection name="collection" {
                    @for c in &writable { option value=(c.id) selected[c.id == collection] { (collection_title(l, c)) } }
                }
                fieldset {
                    legend { (t("tlp")) }
                    div.checks {
                        label { input type="radio" name="tlp" value="" checked[tlp.is_empty()]; " " (t("tlp_as_marked")) }
                        @for x in Tlp::ALL {
                            label { input type="radio" name="tlp" value=(x.label()) checked[x.label() == tlp]; " " (tlp_label(x)) }
                        }
                    }
                }
                fieldset {
                    legend { (t("intel_recipients")) }
                    p.muted { (t("intel_recipients_hint")) }
                    @if !communities.is_empty() {
                        fieldset {
                            legend { (t("communities")) }
                            div.checks {
                                @for c in &communities {
                                    @let v = format!("community:{}", c.id);
                                    label { input type="checkbox" name="recipients" value=(v) checked[picked("recipients", &v)]; " " @if l == Lang::Ja { (c.name.ja) } @else { (c.name.en) } }
                                }
                            }
                        }
                    }
                    label for="share-orgs" { (t("organisations")) }
                    select #share-orgs name="recipients" multiple size="6" {
                        @for o in &orgs {
                            option value=(o.id) selected[picked("recipients", &o.id)] { @if l == Lang::Ja { (o.name.ja) } @else { (o.name.en) } " (" (o.id) ")" }
                        }
                    }
                    label for="recipient_users" { (t("recipient_users")) }
                    input #recipient_users type="text" name="recipient_users" value=(f.get("recipient_users")) autocomplete="off";
                }
                button type="submit" { (t("share")) }
            }
        },
    )
}

/// The objects of what was pasted: a bundle, a TAXII envelope, a list of
/// objects or one object.
fn parse_objects(text: &str) -> Result<Vec<Value>, String> {
    let v: Value = serde_json::from_str(text.trim()).map_err(|e| format!("JSON: {e}"))?;
    let objects = match v {
        Value::Array(a) => a,
        Value::Object(ref m) if m.get("type").and_then(Value::as_str) == Some("bundle") => m
            .get("objects")
            .and_then(Value::as_array)
            .cloned()
            .ok_or("bundle.objects: a bundle needs an objects list")?,
        Value::Object(ref m) if m.get("type").is_none() && m.contains_key("objects") => m
            .get("objects")
            .and_then(Value::as_array)
            .cloned()
            .ok_or("objects: must be a list")?,
        Value::Object(_) => vec![v],
        _ => return Err("paste a STIX bundle, one object or a list of objects".into()),
    };
    if objects.is_empty() {
        return Err("objects: nothing to share".into());
    }
    Ok(objects)
}

/// The property a store message names first (`property: message`), if any.
fn split_property(message: &str) -> (String, String) {
    match message.split_once(": ") {
        Some((p, rest)) if !p.is_empty() && !p.contains(char::is_whitespace) => {
            (p.to_owned(), rest.to_owned())
        }
        _ => ("—".to_owned(), message.to_owned()),
    }
}

/// Share what was pasted: every object is checked first and all refusals are
/// listed; nothing is written unless every object is accepted.
pub async fn share(
    State(s): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Page {
    let (sess, f) = super::form_action(&s, &headers, form, &api_route::SHARE_INTEL).await?;
    let objects = match parse_objects(f.get("stix")) {
        Ok(o) => o,
        Err(m) => return Ok(refused(&s, &sess, &f, ShareError::Message(m)).await),
    };
    let failures: Vec<Failure> = objects
        .iter()
        .enumerate()
        .filter_map(|(i, o)| {
            stix::validate(o).err().map(|e| Failure {
                object: e
                    .id
                    .unwrap_or_else(|| format!("({} {})", sess.lang.t("object"), i + 1)),
                property: e.property,
                message: e.message,
            })
        })
        .collect();
    if !failures.is_empty() {
        return Ok(refused(&s, &sess, &f, ShareError::Objects(failures)).await);
    }
    let tlp = match f.opt("tlp").map(str::parse::<Tlp>).transpose() {
        Ok(t) => t,
        Err(m) => {
            return Ok(refused(&s, &sess, &f, ShareError::Message(format!("tlp: {m}"))).await)
        }
    };
    let options = ShareOptions {
        tlp,
        recipients: f.all("recipients"),
        recipient_users: f.list("recipient_users", true),
    };
    let collection = f.opt("collection").unwrap_or(SHARED_COLLECTION);
    match s
        .store
        .add_objects(&sess.actor, collection, &objects, &options, true)
        .await
    {
        Ok(st) => {
            Ok(Redirect::to(&format!("/intel/new?{}", qs(&[("status", &st.id)]))).into_response())
        }
        Err(StoreError::Invalid { field, message }) => {
            let (property, message) = split_property(&message);
            Ok(refused(
                &s,
                &sess,
                &f,
                ShareError::Objects(vec![Failure {
                    object: field,
                    property,
                    message,
                }]),
            )
            .await)
        }
        Err(StoreError::Forbidden(m)) => {
            let mut r = share_form(&s, &sess, &f, Some(ShareError::Message(m)), None).await;
            *r.status_mut() = StatusCode::FORBIDDEN;
            Ok(r)
        }
        Err(e) => Ok(refused(&s, &sess, &f, ShareError::Message(e.to_string())).await),
    }
}

/// The share form again, with what was typed and why nothing was shared: 422.
async fn refused(s: &AppState, sess: &Session, f: &FormData, e: ShareError) -> Response {
    unprocessable(share_form(s, sess, f, Some(e), None).await)
}
