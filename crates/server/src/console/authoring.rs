//! Advisories from the author's side: the form that writes one (as
//! `POST /api/v1/advisories`), the tracking page tier by tier and organisation by
//! organisation (as `GET /api/v1/advisories/{id}/status`), and the relay of a
//! reviewing ministry or hub (as `POST /api/v1/advisories/{id}/relay`).

use super::pages::{forbidden, not_found, page, render_advisory, tlp_label, unprocessable, when};
use super::{api_route, check_csrf, may_route, session, FormData, Lang, Session};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::html;
use sakimori_core::advisory::{AdvisoryFields, Category};
use sakimori_core::policy::may_view_advisory;
use sakimori_core::routing::Urgency;
use sakimori_core::tlp::Tlp;
use sakimori_core::Actor;
use sakimori_store::{tier_status, AdvisoryRecord};

type Page = Result<Response, Response>;

/// May the actor follow the delivery of this advisory? The status route's
/// permission, and the policy's rule.
pub(super) fn may_track(actor: &Actor, a: &AdvisoryRecord) -> bool {
    may_route(actor, &api_route::ADVISORY_STATUS)
        && sakimori_core::policy::may_track_advisory(actor, &a.author_org)
}

/// How many organisations wait for `org` to relay the advisory to them.
pub(super) fn waiting_below(org: &str, a: &AdvisoryRecord) -> usize {
    a.deliveries
        .iter()
        .filter(|d| d.via.as_deref() == Some(org) && d.delivered_at.is_none())
        .count()
}

fn tier_order(tier: &str) -> u8 {
    match tier {
        "ministry" => 0,
        "hub" => 1,
        _ => 2,
    }
}

fn tier_label(l: Lang, tier: &str) -> &'static str {
    match tier {
        "ministry" => l.t("tier_ministry"),
        "hub" => l.t("tier_hub"),
        "organisation" => l.t("tier_organisation"),
        _ => l.t("unknown"),
    }
}

fn urgency_label(l: Lang, u: Urgency) -> &'static str {
    match u {
        Urgency::Normal => l.t("urg_normal"),
        Urgency::High => l.t("urg_high"),
        Urgency::Immediate => l.t("urg_immediate"),
    }
}

/// The author form, empty or with what was sent (after an error).
pub async fn new_advisory(State(s): State<AppState>, headers: HeaderMap) -> Page {
    let sess = session(&s, &headers).await?;
    if !may_route(&sess.actor, &api_route::WRITE_ADVISORY) {
        return Ok(forbidden(&sess));
    }
    Ok(author_form(&s, &sess, &FormData(vec![]), None).await)
}

async fn author_form(
    s: &AppState,
    sess: &Session,
    f: &FormData,
    error: Option<String>,
) -> Response {
    let l = sess.lang;
    let t = |k| l.t(k);
    let sectors = s.store.sectors().await.unwrap_or_default();
    let communities = s.store.communities().await.unwrap_or_default();
    let orgs = s
        .store
        .organisations(&Default::default())
        .await
        .unwrap_or_default();
    let picked = |name: &str, v: &str| f.0.iter().any(|(k, x)| k == name && x == v);
    let tlp = f.opt("tlp").unwrap_or("TLP:AMBER");
    let category = f.opt("category").unwrap_or("alert");
    let urgency = f.opt("urgency").unwrap_or("normal");
    page(
        l,
        t("new_advisory"),
        Some(sess),
        html! {
            @if let Some(e) = &error { p.error role="alert" { (e) } }
            form.stack method="post" action="/advisories" {
                input type="hidden" name="csrf" value=(sess.csrf());
                label for="title" { (t("title_en")) " (" (t("required")) ")" }
                input #title type="text" name="title" required maxlength="300" value=(f.get("title"));
                label for="title_ja" { (t("title_ja")) }
                input #title_ja type="text" name="title_ja" maxlength="300" value=(f.get("title_ja")) lang="ja";
                label for="body" { (t("body_en")) " (" (t("required")) ")" }
                textarea #body name="body" rows="8" required { (f.get("body")) }
                label for="body_ja" { (t("body_ja")) }
                textarea #body_ja name="body_ja" rows="8" lang="ja" { (f.get("body_ja")) }
                fieldset {
                    legend { (t("tlp")) }
                    div.checks {
                        @for x in Tlp::ALL {
                            label { input type="radio" name="tlp" value=(x.label()) checked[x.label() == tlp]; " " (tlp_label(x)) }
                        }
                    }
                }
                label for="category" { (t("category")) }
                select #category name="category" {
                    @for c in Category::ALL { option value=(c.as_str()) selected[c.as_str() == category] { @if l == Lang::Ja { (c.label_ja()) } @else { (c) } } }
                }
                label for="urgency" { (t("urgency")) }
                select #urgency name="urgency" {
                    @for u in Urgency::ALL { option value=(u.as_str()) selected[u.as_str() == urgency] { (urgency_label(l, *u)) } }
                }
                div.grid {
                    div {
                        label for="valid_from" { (t("valid_from")) }
                        input #valid_from type="datetime-local" name="valid_from" value=(f.get("valid_from"));
                    }
                    div {
                        label for="valid_until" { (t("valid_until")) }
                        input #valid_until type="datetime-local" name="valid_until" value=(f.get("valid_until"));
                    }
                }
                fieldset {
                    legend { (t("audience")) }
                    p.muted { (t("audience_hint")) }
                    label { input type="checkbox" name="all" value="yes" checked[f.has("all")]; " " (t("all_orgs")) }
                    fieldset {
                        legend { (t("sectors")) }
                        div.checks {
                            @for sec in &sectors {
                                label { input type="checkbox" name="sectors" value=(sec.id) checked[picked("sectors", &sec.id)]; " " @if l == Lang::Ja { (sec.name.ja) } @else { (sec.name.en) } }
                            }
                        }
                    }
                    label for="subsectors" { (t("subsectors")) }
                    select #subsectors name="subsectors" multiple size="5" {
                        @for sec in &sectors { @for sub in &sec.subsectors {
                            option value=(sub.id) selected[picked("subsectors", &sub.id)] { @if l == Lang::Ja { (sec.name.ja) " / " (sub.name.ja) } @else { (sec.name.en) " / " (sub.name.en) } }
                        } }
                    }
                    @if !communities.is_empty() {
                        fieldset {
                            legend { (t("communities")) }
                            div.checks {
                                @for c in &communities {
                                    label { input type="checkbox" name="communities" value=(c.id) checked[picked("communities", &c.id)]; " " @if l == Lang::Ja { (c.name.ja) } @else { (c.name.en) } }
                                }
                            }
                        }
                    }
                    label for="organisations" { (t("organisations")) }
                    select #organisations name="organisations" multiple size="6" {
                        @for o in &orgs {
                            option value=(o.id) selected[picked("organisations", &o.id)] { @if l == Lang::Ja { (o.name.ja) } @else { (o.name.en) } " (" (o.id) ")" }
                        }
                    }
                    label for="prefixes" { (t("prefixes")) }
                    textarea #prefixes name="prefixes" rows="2" { (f.get("prefixes")) }
                    label for="domains" { (t("domains")) }
                    textarea #domains name="domains" rows="2" { (f.get("domains")) }
                    label for="products" { (t("products")) }
                    textarea #products name="products" rows="2" { (f.get("products")) }
                }
                label for="indicators" { (t("indicators")) }
                textarea #indicators name="indicators" rows="3" { (f.get("indicators")) }
                label for="cves" { (t("cves")) }
                input #cves type="text" name="cves" value=(f.get("cves"));
                button type="submit" { (t("send_advisory")) }
            }
        },
    )
}

/// The advisory the form describes, as the API's JSON body; serde names a bad field.
fn fields_of(l: Lang, f: &FormData) -> Result<AdvisoryFields, String> {
    use serde_json::{json, Value};
    let time = |name: &str, key: &'static str| -> Result<Value, String> {
        match f.opt(name) {
            None => Ok(Value::Null),
            Some(v) => chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M")
                .map(|d| json!(d.and_utc().to_rfc3339()))
                .map_err(|_| format!("{}: {v:?}", l.t(key))),
        }
    };
    let mut indicators = Vec::new();
    for line in f
        .get("indicators")
        .lines()
        .map(str::trim)
        .filter(|x| !x.is_empty())
    {
        let (kind, value) = line
            .split_once(':')
            .ok_or_else(|| format!("{}: {line:?}", l.t("indicators")))?;
        indicators.push(json!({"kind": kind.trim(), "value": value.trim()}));
    }
    let mut body = json!({
        "title": f.get("title").trim(),
        "body": f.get("body"),
        "tlp": f.get("tlp"),
        "category": f.get("category"),
        "urgency": f.opt("urgency").unwrap_or("normal"),
        "indicators": indicators,
        "cves": f.list("cves", true),
        "audience": {
            "all": f.has("all"),
            "sectors": f.all("sectors"),
            "subsectors": f.all("subsectors"),
            "communities": f.all("communities"),
            "organisations": f.all("organisations"),
            "prefixes": f.list("prefixes", true),
            "domains": f.list("domains", true),
            "products": f.get("products").lines().map(str::trim).filter(|x| !x.is_empty()).collect::<Vec<_>>(),
        },
    });
    for k in ["title_ja", "body_ja"] {
        if let Some(v) = f.opt(k) {
            body[k] = json!(v);
        }
    }
    for (k, label) in [("valid_from", "valid_from"), ("valid_until", "valid_until")] {
        let v = time(k, label)?;
        if !v.is_null() {
            body[k] = v;
        }
    }
    serde_path_to_error::deserialize::<_, AdvisoryFields>(body)
        .map_err(|e| format!("{}: {}", e.path(), e.inner()))
}

/// Write an advisory: delivered down the tiers at once, then its tracking page.
pub async fn create(
    State(s): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Page {
    let (sess, f) = super::form_action(&s, &headers, form, &api_route::WRITE_ADVISORY).await?;
    let result = match fields_of(sess.lang, &f) {
        Ok(fields) => s
            .store
            .create_advisory(&sess.actor, &fields, false, &s.settings.relay)
            .await
            .map_err(|e| e.to_string()),
        Err(e) => Err(e),
    };
    match result {
        Ok(a) => Ok(Redirect::to(&format!("/advisories/{}/status", a.id)).into_response()),
        Err(e) => Ok(unprocessable(author_form(&s, &sess, &f, Some(e)).await)),
    }
}

/// The author's tracking page: per tier (ministry → CEPTOAR → operators) how
/// many organisations, delivered, read, acknowledged, waiting for a relay, the
/// median minutes to acknowledge; then every organisation's delivery.
pub async fn status(State(s): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Page {
    let sess = session(&s, &headers).await?;
    let Ok(a) = s.store.advisory(&id).await else {
        return Ok(not_found(&sess));
    };
    if !may_view_advisory(&sess.actor, &a.author_org, a.fields.tlp, &a.delivered_to()) {
        return Ok(not_found(&sess));
    }
    if !may_track(&sess.actor, &a) {
        return Ok(forbidden(&sess));
    }
    Ok(tracking_page(&sess, &a))
}

fn tracking_page(sess: &Session, a: &AdvisoryRecord) -> Response {
    let l = sess.lang;
    let t = |k| l.t(k);
    let tiers = tier_status(a);
    let title = if l == Lang::Ja {
        a.fields.title_ja.clone().unwrap_or(a.fields.title.clone())
    } else {
        a.fields.title.clone()
    };
    let opt = |x: &Option<String>| x.as_deref().map(when).unwrap_or_else(|| "—".into());
    // Down the chain: ministries, then hubs, then the organisations.
    let mut deliveries: Vec<_> = a.deliveries.iter().collect();
    deliveries.sort_by_key(|d| (tier_order(&d.tier), d.org_id.clone()));
    page(
        l,
        &format!("{} — #{} {}", t("tracking"), a.number, title),
        Some(sess),
        html! {
            p { (tlp_label(a.fields.tlp)) " " (t("category")) ": " @if l == Lang::Ja { (a.fields.category.label_ja()) } @else { (a.fields.category) } " · " (t("urgency")) ": " (urgency_label(l, a.fields.urgency)) " · " a href={ "/advisories/" (a.id) } { (t("advisories")) " #" (a.number) } }
            h2 { (t("per_tier")) }
            ol.tiers {
                li { strong { (t("author")) } ": " (a.author_org) " (" (a.author_user) ", " (when(&a.created_at)) ")" }
                @for ts in &tiers {
                    li { strong { (tier_label(l, &ts.tier)) } ": " (ts.acknowledged) "/" (ts.organisations) " " (t("acknowledged")) }
                }
            }
            table.cards #tiers {
                thead { tr {
                    th scope="col" { (t("tier")) } th scope="col" { (t("organisations")) } th scope="col" { (t("delivered")) }
                    th scope="col" { (t("read")) } th scope="col" { (t("acknowledged")) } th scope="col" { (t("waiting_for_relay")) } th scope="col" { (t("median_minutes")) }
                } }
                tbody {
                    @for ts in &tiers {
                        tr {
                            th scope="row" { (tier_label(l, &ts.tier)) }
                            td data-label=(t("organisations")) { (ts.organisations) } td data-label=(t("delivered")) { (ts.delivered) } td data-label=(t("read")) { (ts.read) } td data-label=(t("acknowledged")) { (ts.acknowledged) }
                            td data-label=(t("waiting_for_relay")) { @if ts.waiting_for_relay > 0 { strong { (ts.waiting_for_relay) } } @else { "0" } }
                            td data-label=(t("median_minutes")) { @match ts.median_minutes_to_acknowledge { Some(m) => { (format!("{m:.1}")) } None => { "—" } } }
                        }
                    }
                }
            }
            h2 { (t("per_organisation")) }
            table.cards #deliveries {
                thead { tr {
                    th scope="col" { (t("organisation")) } th scope="col" { (t("tier")) } th scope="col" { (t("via")) } th scope="col" { (t("delivered")) }
                    th scope="col" { (t("read")) } th scope="col" { (t("acknowledged")) } th scope="col" { (t("relayed")) } th scope="col" { (t("reminded")) } th scope="col" { (t("escalated")) }
                } }
                tbody {
                    @for d in &deliveries {
                        tr {
                            th scope="row" { (d.org_id) }
                            td data-label=(t("tier")) { (tier_label(l, &d.tier)) }
                            td data-label=(t("via")) { (d.via.as_deref().unwrap_or(&a.author_org)) }
                            td data-label=(t("delivered")) { @if d.delivered_at.is_some() { (opt(&d.delivered_at)) } @else { span.badge { (t("waiting_for_relay")) } } }
                            td data-label=(t("read")) { (opt(&d.read_at)) }
                            td data-label=(t("acknowledged")) { (opt(&d.acknowledged_at)) @if let Some(by) = &d.acknowledged_by { br; span.muted { (by) } } }
                            td data-label=(t("relayed")) { (opt(&d.relayed_at)) @if let Some(n) = &d.relay_note { br; span.muted { (n) } } }
                            td data-label=(t("reminded")) { (opt(&d.reminded_at)) }
                            td data-label=(t("escalated")) { (opt(&d.escalated_at)) }
                        }
                    }
                }
            }
        },
    )
}

/// Relay to the tier below after review, with an optional note.
pub async fn relay(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Page {
    let sess = session(&s, &headers).await?;
    let f = FormData(form);
    check_csrf(&sess, f.csrf())?;
    let Ok(a) = s.store.advisory(&id).await else {
        return Ok(not_found(&sess));
    };
    if !may_view_advisory(&sess.actor, &a.author_org, a.fields.tlp, &a.delivered_to()) {
        return Ok(not_found(&sess));
    }
    if !may_route(&sess.actor, &api_route::RELAY_ADVISORY) {
        return Ok(forbidden(&sess));
    }
    match s
        .store
        .relay_advisory(&sess.actor, &a.id, f.opt("note"), &s.settings.relay)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/advisories/{}", a.id)).into_response()),
        Err(e) => Ok(unprocessable(render_advisory(
            &sess,
            &a,
            Some(e.to_string()),
        ))),
    }
}
