//! Events requiring confirmation (確認を要するイベント) in the console: the list
//! with a state filter (as `GET /api/v1/events`), one event with its evidence
//! and indicators (as `GET /api/v1/events/{id}`), and the analyst's three
//! decisions as forms: confirm and notify the owner (as
//! `POST /api/v1/events/{id}/confirm`), dismiss as noise, optionally
//! suppressed (as `…/dismiss`), and escalate to an incident report (as
//! `…/escalate`).
//!
//! The store decides who may triage (the coordination centre's analysts);
//! a refusal there is the same 403 page as a role without the permission.

use super::pages::{forbidden, not_found, page, tlp_label, unprocessable, when};
use super::{api_route, may_route, session, FormData, Lang, Session};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use sakimori_core::tlp::Tlp;
use sakimori_store::{EventFilter, EventState, SensorEvent, StoreError};

type Page = Result<Response, Response>;

/// Events listed per page.
const LIMIT: i64 = 500;

/// The TLPs a notification may go out at, as the store allows: it names the
/// victim's addresses (not TLP:CLEAR), and TLP:RED names people.
const NOTIFY_TLPS: [Tlp; 3] = [Tlp::Green, Tlp::Amber, Tlp::AmberStrict];

const STATES: [EventState; 4] = [
    EventState::Open,
    EventState::Confirmed,
    EventState::Dismissed,
    EventState::Escalated,
];

fn state_label(l: Lang, s: EventState) -> &'static str {
    match s {
        EventState::Open => l.t("ev_open"),
        EventState::Confirmed => l.t("ev_confirmed"),
        EventState::Dismissed => l.t("ev_dismissed"),
        EventState::Escalated => l.t("ev_escalated"),
    }
}

fn state_badge(l: Lang, s: EventState) -> Markup {
    let class = match s {
        EventState::Open => "chip ev-open",
        _ => "chip",
    };
    html! { span class=(class) { (state_label(l, s)) } }
}

/// A store refusal as a page: 403 for the centre rule, 404 for an unknown
/// event, else the message (409 for a decision already taken, 422 otherwise).
fn refusal(sess: &Session, e: &StoreError) -> Option<Response> {
    match e {
        StoreError::Forbidden(_) => Some(forbidden(sess)),
        StoreError::NotFound { .. } => Some(not_found(sess)),
        _ => None,
    }
}

pub async fn list(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<Vec<(String, String)>>,
) -> Page {
    let sess = session(&s, &headers).await?;
    if !may_route(&sess.actor, &api_route::LIST_EVENTS) {
        return Ok(forbidden(&sess));
    }
    let (l, t) = (sess.lang, |k| sess.lang.t(k));
    let f = FormData(q);
    // Open events by default: the analyst's queue.
    let picked = f.opt("state").unwrap_or("open");
    let state = EventState::parse(picked);
    let filter = EventFilter {
        state,
        target_org: f.opt("org").map(str::to_owned),
        limit: LIMIT,
    };
    let events = match s.store.sensor_events(&sess.actor, &filter).await {
        Ok(e) => e,
        Err(e) => return Ok(refusal(&sess, &e).unwrap_or_else(|| failed(&sess, &e))),
    };
    Ok(page(
        l,
        t("events"),
        Some(&sess),
        html! {
            p.muted { (t("events_hint")) }
            form.search method="get" action="/events" role="search" {
                div.grid {
                    div {
                        label for="state" { (t("ev_state")) }
                        select #state name="state" {
                            @for x in STATES { option value=(x.as_str()) selected[Some(x) == state] { (state_label(l, x)) } }
                            option value="all" selected[state.is_none()] { (t("ev_all")) }
                        }
                    }
                    div {
                        label for="org" { (t("ev_target_org")) }
                        input #org type="text" name="org" value=(f.get("org")) placeholder="kanto-power";
                    }
                }
                p { button type="submit" { (t("search")) } }
            }
            @if events.is_empty() { p.muted { (t("no_events")) } } @else {
                table.cards #events {
                    thead { tr {
                        th scope="col" { (t("number")) } th scope="col" { (t("ev_technique")) } th scope="col" { (t("ev_source")) }
                        th scope="col" { (t("ev_target_org")) } th scope="col" { (t("ev_count")) } th scope="col" { (t("ev_first_seen")) }
                        th scope="col" { (t("last_seen")) } th scope="col" { (t("ev_state")) }
                    } }
                    tbody {
                        @for e in &events {
                            tr {
                                th scope="row" { a href={ "/events/" (e.number) } { "#" (e.number) } }
                                td data-label=(t("ev_technique")) { a.value href={ "/events/" (e.number) } { (e.technique) } }
                                td data-label=(t("ev_source")) { code.value { (e.source) } }
                                td data-label=(t("ev_target_org")) { (target(l, e)) }
                                td data-label=(t("ev_count")) { (e.count) }
                                td data-label=(t("ev_first_seen")) { (when(&e.first_seen)) }
                                td data-label=(t("last_seen")) { (when(&e.last_seen)) }
                                td data-label=(t("ev_state")) { (state_badge(l, e.state)) }
                            }
                        }
                    }
                }
                @if events.len() as i64 >= LIMIT { p.muted { (t("ev_more")) } }
            }
        },
    ))
}

fn target(l: Lang, e: &SensorEvent) -> Markup {
    html! {
        @match &e.target_org {
            Some(o) => { a href={ "/registry/" (o) } { (o) } }
            None => { span.muted { (l.t("ev_unregistered")) } }
        }
    }
}

fn failed(sess: &Session, e: &StoreError) -> Response {
    let mut r = page(
        sess.lang,
        sess.lang.t("events"),
        Some(sess),
        html! { p.error role="alert" { (e) } },
    );
    *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    r
}

pub async fn event(State(s): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Page {
    let sess = session(&s, &headers).await?;
    if !may_route(&sess.actor, &api_route::READ_EVENT) {
        return Ok(forbidden(&sess));
    }
    match s.store.sensor_event(&sess.actor, &id).await {
        Ok(e) => Ok(event_page(&sess, &e, None)),
        Err(e) => Ok(refusal(&sess, &e).unwrap_or_else(|| failed(&sess, &e))),
    }
}

fn event_page(sess: &Session, e: &SensorEvent, error: Option<(&str, String)>) -> Response {
    let l = sess.lang;
    let t = |k| l.t(k);
    let open = e.state == EventState::Open;
    let error_of = |form: &str| {
        error
            .as_ref()
            .filter(|(f, _)| *f == form)
            .map(|(_, m)| m.clone())
    };
    let tlp = e.tlp.as_deref().and_then(|x| x.parse::<Tlp>().ok());
    page(
        l,
        &format!("{} #{}: {}", t("event"), e.number, e.technique),
        Some(sess),
        html! {
            p { a href="/events" { (t("events")) } }
            dl.props #event {
                dt { (t("ev_state")) } dd { (state_badge(l, e.state)) }
                dt { (t("ev_technique")) } dd.value { (e.technique) }
                dt { (t("ev_source")) } dd { code.value { (e.source) } }
                dt { (t("ev_target_org")) } dd { (target(l, e)) }
                dt { (t("ev_targets")) } dd { @for x in &e.detail.targets { code.value { (x) } " " } }
                dt { (t("ev_count")) } dd { (e.count) }
                dt { (t("severity")) } dd { @match e.severity { Some(x) => { (x) } None => { "—" } } }
                dt { (t("ev_first_seen")) } dd { (when(&e.first_seen)) }
                dt { (t("last_seen")) } dd { (when(&e.last_seen)) }
                dt { (t("ev_sensors")) } dd { @for x in &e.detail.sensors { span.chip { (x) } " " } }
                @if let Some(by) = &e.decided_by {
                    dt { (t("ev_decided")) } dd { (by) @if let Some(at) = &e.decided_at { " · " (when(at)) } }
                }
                @if let Some(n) = &e.decision_note { dt { (t("ev_note")) } dd.text { (n) } }
                @if let Some(x) = tlp { dt { (t("tlp")) } dd { (tlp_label(x)) } }
                @if let Some(a) = &e.advisory_id { dt { (t("ev_notification")) } dd { a href={ "/advisories/" (a) } { (t("advisories")) } } }
                @if let Some(r) = &e.report_id { dt { (t("ev_report")) } dd { a href={ "/reports/" (r) } { (t("reports")) } } }
                @if let Some(x) = &e.suppression_id { dt { (t("ev_suppression")) } dd { code { (x) } } }
            }
            h2 { (t("ev_indicators")) }
            @if e.detail.indicators.is_empty() { p.muted { (t("ev_no_indicators")) } } @else {
                table #indicators {
                    thead { tr { th scope="col" { (t("intel_name")) } th scope="col" { "STIX id" } } }
                    tbody {
                        @for (id, name) in &e.detail.indicators {
                            tr { td.value { (name) } td { a.value href={ "/intel/" (id) } { (id) } } }
                        }
                    }
                }
            }
            h2 { (t("ev_evidence")) }
            @if e.detail.evidence.is_empty() { p.muted { (t("none")) } } @else {
                p.muted { (t("ev_evidence_hint")) }
                div.table-scroll {
                    table.cards #evidence {
                        thead { tr {
                            th scope="col" { (t("time")) } th scope="col" { (t("ev_sensor")) } th scope="col" { (t("kind")) }
                            th scope="col" { (t("ev_src")) } th scope="col" { (t("ev_dst")) } th scope="col" { (t("ev_signature")) }
                            th scope="col" { (t("ev_hits")) }
                        } }
                        tbody {
                            @for x in &e.detail.evidence {
                                tr {
                                    th scope="row" { (x.time.format("%Y-%m-%d %H:%M:%S UTC")) }
                                    td data-label=(t("ev_sensor")) { (x.sensor) "@" (x.site) }
                                    td data-label=(t("kind")) { (x.kind.as_str()) }
                                    td data-label=(t("ev_src")) { code.value { (x.src.as_deref().unwrap_or("—")) } }
                                    td data-label=(t("ev_dst")) { code.value { (x.dst.as_deref().unwrap_or("—")) } }
                                    td.value data-label=(t("ev_signature")) { (x.signature.as_deref().unwrap_or("—")) }
                                    td.value data-label=(t("ev_hits")) {
                                        @for h in &x.hits { (h) br; }
                                        @for n in &x.names { span.muted { (n) } br; }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if open {
                @if may_route(&sess.actor, &api_route::CONFIRM_EVENT) {
                    h2 #confirm { (t("ev_confirm")) }
                    @if let Some(m) = error_of("confirm") { p.error role="alert" { (m) } }
                    @if e.target_org.is_none() {
                        p.muted { (t("ev_no_owner")) }
                    } @else {
                        p.muted { (t("ev_confirm_hint")) }
                        form.stack method="post" action={ "/events/" (e.id) "/confirm" } {
                            input type="hidden" name="csrf" value=(sess.csrf());
                            fieldset {
                                legend { (t("tlp")) }
                                div.checks {
                                    @for x in NOTIFY_TLPS {
                                        label { input type="radio" name="tlp" value=(x.label()) checked[x == Tlp::Amber]; " " (tlp_label(x)) }
                                    }
                                }
                            }
                            label for="confirm_note" { (t("ev_note_optional")) }
                            textarea #confirm_note name="note" rows="3" {}
                            button type="submit" { (t("ev_confirm_button")) }
                        }
                    }
                }
                @if may_route(&sess.actor, &api_route::DISMISS_EVENT) {
                    h2 #dismiss { (t("ev_dismiss")) }
                    @if let Some(m) = error_of("dismiss") { p.error role="alert" { (m) } }
                    form.stack method="post" action={ "/events/" (e.id) "/dismiss" } {
                        input type="hidden" name="csrf" value=(sess.csrf());
                        label for="dismiss_note" { (t("ev_dismiss_note")) }
                        textarea #dismiss_note name="note" rows="3" {}
                        label { input type="checkbox" name="suppress" value="yes"; " " (t("ev_suppress")) }
                        button type="submit" { (t("ev_dismiss_button")) }
                    }
                }
                @if may_route(&sess.actor, &api_route::ESCALATE_EVENT) {
                    h2 #escalate { (t("ev_escalate")) }
                    @if let Some(m) = error_of("escalate") { p.error role="alert" { (m) } }
                    p.muted { (t("ev_escalate_hint")) }
                    form.stack method="post" action={ "/events/" (e.id) "/escalate" } {
                        input type="hidden" name="csrf" value=(sess.csrf());
                        label for="escalate_note" { (t("ev_note_optional")) }
                        textarea #escalate_note name="note" rows="3" {}
                        button type="submit" { (t("ev_escalate_button")) }
                    }
                }
            }
        },
    )
}

/// After a decision: the event page, or the page again with what went wrong.
async fn decided(
    s: &AppState,
    sess: &Session,
    id: &str,
    form: &'static str,
    result: Result<String, StoreError>,
) -> Response {
    let e = match result {
        Ok(id) => return Redirect::to(&format!("/events/{id}")).into_response(),
        Err(e) => e,
    };
    if let Some(r) = refusal(sess, &e) {
        return r;
    }
    let status = match &e {
        StoreError::Conflict(_) => StatusCode::CONFLICT,
        StoreError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    match s.store.sensor_event(&sess.actor, id).await {
        Ok(ev) => {
            let mut r = unprocessable(event_page(sess, &ev, Some((form, e.to_string()))));
            *r.status_mut() = status;
            r
        }
        Err(e) => refusal(sess, &e).unwrap_or_else(|| failed(sess, &e)),
    }
}

pub async fn confirm(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Page {
    let (sess, f) = super::form_action(&s, &headers, form, &api_route::CONFIRM_EVENT).await?;
    let result = match f.get("tlp").parse::<Tlp>() {
        Ok(tlp) => s
            .store
            .confirm_event(&sess.actor, &id, tlp, f.opt("note"))
            .await
            .map(|(e, _)| e.id),
        Err(m) => Err(StoreError::invalid("tlp", m)),
    };
    Ok(decided(&s, &sess, &id, "confirm", result).await)
}

pub async fn dismiss(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Page {
    let (sess, f) = super::form_action(&s, &headers, form, &api_route::DISMISS_EVENT).await?;
    let result = s
        .store
        .dismiss_event(&sess.actor, &id, f.opt("note"), f.has("suppress"))
        .await
        .map(|e| e.id);
    Ok(decided(&s, &sess, &id, "dismiss", result).await)
}

pub async fn escalate(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Page {
    let (sess, f) = super::form_action(&s, &headers, form, &api_route::ESCALATE_EVENT).await?;
    let result = s
        .store
        .escalate_event(&sess.actor, &id, f.opt("note"), &s.settings.routing)
        .await
        .map(|e| e.id);
    Ok(decided(&s, &sess, &id, "escalate", result).await)
}
