//! The console pages.

use super::{
    api_route, check_csrf, lang, may_route, session, Lang, Session, LANG_COOKIE, SESSION_COOKIE,
};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup, PreEscaped, DOCTYPE};
use sakimori_core::advisory::render_markdown;
use sakimori_core::classification::EventClass;
use sakimori_core::policy::{may_handle_report, may_view_advisory, may_view_report};
use sakimori_core::report::ReportFields;
use sakimori_core::Role;
use serde::Deserialize;

type Page = Result<Response, Response>;

fn layout(lang: Lang, title: &str, session: Option<&Session>, body: Markup) -> Markup {
    let t = |k| lang.t(k);
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — " (t("app")) }
                link rel="stylesheet" href="/static/app.css";
            }
            body {
                header {
                    strong { (t("app")) }
                    @if let Some(s) = session {
                        nav aria-label="main" {
                            a href="/home" { (t("home")) }
                            @if s.actor.has(Role::Coordinator) || s.actor.has(Role::Administrator) { a href="/dashboard" { (t("dashboard")) } }
                            a href="/reports" { (t("reports")) }
                            a href="/advisories" { (t("advisories")) }
                            @if may_route(&s.actor, &api_route::SEARCH_INTEL) { a href="/intel" { (t("intel")) } }
                            @if may_route(&s.actor, &api_route::LIST_EVENTS) { a href="/events" { (t("events")) } }
                            @if may_route(&s.actor, &api_route::LIST_DRILLS) { a href="/drills" { (t("drills")) } }
                            a href="/registry" { (t("registry")) }
                            @if sakimori_core::policy::allows(&s.actor, sakimori_core::Permission::ReadStatistics) { a href="/statistics" { (t("statistics")) } }
                            @if may_route(&s.actor, &api_route::LIST_USERS) { a href="/admin/users" { (t("users")) } }
                            @if may_route(&s.actor, &api_route::LIST_TOKENS) { a href="/tokens" { (t("tokens")) } }
                        }
                        span.who { (t("signed_in_as")) " " (s.actor.username) " (" (s.actor.org) ")" }
                        form method="post" action="/logout" {
                            input type="hidden" name="csrf" value=(s.csrf());
                            button.link type="submit" { (t("logout")) }
                        }
                    }
                    a href={ "/lang/" (lang.other().code()) } lang=(lang.other().code()) { (t("language")) }
                }
                main { h1 { (title) } (body) }
            }
        }
    }
}

pub(super) fn page(lang: Lang, title: &str, session: Option<&Session>, body: Markup) -> Response {
    layout(lang, title, session, body).into_response()
}

pub(super) fn tlp_label(tlp: sakimori_core::tlp::Tlp) -> Markup {
    let class = match tlp {
        sakimori_core::tlp::Tlp::Clear => "tlp tlp-clear",
        sakimori_core::tlp::Tlp::Green => "tlp tlp-green",
        sakimori_core::tlp::Tlp::Amber | sakimori_core::tlp::Tlp::AmberStrict => "tlp tlp-amber",
        sakimori_core::tlp::Tlp::Red => "tlp tlp-red",
    };
    html! { span class=(class) { (tlp.label()) } }
}

pub async fn login_form(headers: HeaderMap) -> Response {
    login_page(lang(&headers), None)
}

fn login_page(lang: Lang, error: Option<&str>) -> Response {
    let t = |k| lang.t(k);
    page(
        lang,
        t("login"),
        None,
        html! {
            @if let Some(e) = error { p.error role="alert" { (e) } }
            form.stack method="post" action="/login" {
                label for="username" { (t("username")) }
                input #username type="text" name="username" autocomplete="username";
                label for="password" { (t("password")) }
                input #password type="password" name="password" autocomplete="current-password";
                p.muted { (t("or_token")) }
                label for="token" { (t("token")) }
                input #token type="password" name="token" autocomplete="off";
                button type="submit" { (t("login")) }
            }
        },
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    token: String,
}

/// The session cookie: `Secure` everywhere except on a loopback address, where a
/// browser talking plain HTTP to a local demo would otherwise drop it.
fn session_cookie(headers: &HeaderMap, token: &str, max_age: i64) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let name = host.rsplit_once(':').map(|(h, _)| h).unwrap_or(host);
    let loopback = matches!(name, "localhost" | "127.0.0.1" | "[::1]");
    let secure = if loopback { "" } else { " Secure;" };
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly;{secure} SameSite=Strict; Max-Age={max_age}"
    )
}

pub async fn login(
    State(s): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let lang = lang(&headers);
    let token = if !f.token.trim().is_empty() {
        match s.store.authenticate(f.token.trim()).await {
            Ok(Some(_)) => Some(f.token.trim().to_owned()),
            _ => None,
        }
    } else {
        match s.store.login(&f.username, &f.password).await {
            Ok(Some(actor)) => s.store.create_session(&actor).await.ok().map(|(_, t)| t),
            _ => None,
        }
    };
    match token {
        Some(t) => (
            [(header::SET_COOKIE, session_cookie(&headers, &t, 12 * 3600))],
            Redirect::to("/home"),
        )
            .into_response(),
        None => {
            let mut r = login_page(lang, Some(lang.t("bad_login")));
            *r.status_mut() = StatusCode::UNAUTHORIZED;
            r
        }
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(
    State(s): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Page {
    let sess = session(&s, &headers).await?;
    check_csrf(&sess, &f.csrf)?;
    Ok((
        [(header::SET_COOKIE, session_cookie(&headers, "", 0))],
        Redirect::to("/login"),
    )
        .into_response())
}

pub async fn set_lang(Path(code): Path<String>) -> Response {
    let code = if code == "ja" { "ja" } else { "en" };
    (
        [(
            header::SET_COOKIE,
            format!("{LANG_COOKIE}={code}; Path=/; SameSite=Strict; Max-Age=31536000"),
        )],
        Redirect::to("/home"),
    )
        .into_response()
}

pub async fn home(State(s): State<AppState>, headers: HeaderMap) -> Page {
    let sess = session(&s, &headers).await?;
    let (l, t) = (sess.lang, |k| sess.lang.t(k));
    let reports = visible_reports(&s, &sess).await;
    let advisories = visible_advisories(&s, &sess).await;
    let unacked_reports = reports
        .iter()
        .filter(|r| {
            r.recipients
                .iter()
                .any(|x| x.org_id == sess.actor.org && x.acknowledged_at.is_none())
        })
        .count();
    let unacked_advisories = advisories
        .iter()
        .filter(|a| {
            a.deliveries
                .iter()
                .any(|d| d.org_id == sess.actor.org && d.acknowledged_at.is_none())
        })
        .count();
    let outage = s
        .store
        .modes()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|m| m.mode == "large-scale-outage")
        .map(|m| m.scope)
        .collect::<Vec<_>>();
    Ok(page(
        l,
        t("home"),
        Some(&sess),
        html! {
            @if !outage.is_empty() { p.banner role="alert" { (t("outage")) ": " (outage.join(", ")) } }
            ul {
                li { a href="/reports" { (t("reports")) } " " @if unacked_reports > 0 { span.badge { (unacked_reports) " " (t("unacknowledged")) } } }
                li { a href="/advisories" { (t("advisories")) } " " @if unacked_advisories > 0 { span.badge { (unacked_advisories) " " (t("unacknowledged")) } } }
                @if sess.actor.roles.iter().any(|r| r.is_human()) { li { a href="/reports/new" { (t("new_report")) } } }
                @if may_route(&sess.actor, &api_route::WRITE_ADVISORY) { li { a href="/advisories/new" { (t("new_advisory")) } } }
                @if may_route(&sess.actor, &api_route::SEARCH_INTEL) { li { a href="/intel" { (t("intel")) } } }
                @if may_route(&sess.actor, &api_route::SHARE_INTEL) { li { a href="/intel/new" { (t("share_intel")) } } }
            }
        },
    ))
}

async fn visible_reports(s: &AppState, sess: &Session) -> Vec<sakimori_store::ReportRecord> {
    s.store
        .reports_visible_to(&sess.actor, 200)
        .await
        .unwrap_or_default()
}

async fn visible_advisories(s: &AppState, sess: &Session) -> Vec<sakimori_store::AdvisoryRecord> {
    s.store
        .advisories_visible_to(&sess.actor, 200)
        .await
        .unwrap_or_default()
}

pub async fn reports(State(s): State<AppState>, headers: HeaderMap) -> Page {
    let sess = session(&s, &headers).await?;
    let (l, t) = (sess.lang, |k| sess.lang.t(k));
    let list = visible_reports(&s, &sess).await;
    Ok(page(
        l,
        t("reports"),
        Some(&sess),
        html! {
            p { a href="/reports/new" { (t("new_report")) } }
            @if list.is_empty() { p.muted { (t("none")) } } @else {
                table {
                    thead { tr { th scope="col" { (t("number")) } th scope="col" { (t("from")) } th scope="col" { (t("summary")) } th scope="col" { (t("status")) } th scope="col" { (t("acknowledged")) } } }
                    tbody {
                        @for r in &list {
                            tr {
                                td { a href={ "/reports/" (r.id) } { "#" (r.number) } }
                                td { (r.reporter_org) }
                                td { (r.fields.summary) }
                                td { (r.fields.status) }
                                td { (r.recipients.iter().filter(|x| x.acknowledged_at.is_some()).count()) "/" (r.recipients.len()) }
                            }
                        }
                    }
                }
            }
        },
    ))
}

pub async fn new_report(State(s): State<AppState>, headers: HeaderMap) -> Page {
    let sess = session(&s, &headers).await?;
    Ok(report_form(&sess, None))
}

fn report_form(sess: &Session, error: Option<String>) -> Response {
    let (l, t) = (sess.lang, |k| sess.lang.t(k));
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M").to_string();
    page(
        l,
        t("new_report"),
        Some(sess),
        html! {
            @if let Some(e) = error { p.error role="alert" { (e) } }
            form.stack method="post" action="/reports" {
                input type="hidden" name="csrf" value=(sess.csrf());
                label for="summary" { (t("summary")) " (" (t("required")) ")" }
                input #summary type="text" name="summary" required maxlength="300";
                label for="detected_at" { (t("detected_at")) " (UTC, " (t("required")) ")" }
                input #detected_at type="datetime-local" name="detected_at" value=(now) required;
                label { input type="checkbox" name="service_affected" value="yes"; " " (t("service_affected")) }
                label for="status" { (t("status")) }
                select #status name="status" {
                    @for st in ["reported", "under-response", "recovered"] { option value=(st) { (st) } }
                }
                details {
                    summary { (t("more")) }
                    label for="event_class" { (t("event_class")) }
                    select #event_class name="event_class" {
                        option value="" { "—" }
                        @for e in EventClass::ALL { option value=(e.as_str()) { @if l == Lang::Ja { (e.label().ja) } @else { (e.label().en) } } }
                    }
                    label for="description" { (t("description")) }
                    textarea #description name="description" rows="5" {}
                }
                button type="submit" { (t("submit")) }
            }
        },
    )
}

#[derive(Deserialize)]
pub struct ReportForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    detected_at: String,
    service_affected: Option<String>,
    #[serde(default)]
    status: String,
    #[serde(default)]
    event_class: String,
    #[serde(default)]
    description: String,
}

pub async fn submit_report(
    State(s): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<ReportForm>,
) -> Page {
    let sess = session(&s, &headers).await?;
    check_csrf(&sess, &f.csrf)?;
    let detected = chrono::NaiveDateTime::parse_from_str(&f.detected_at, "%Y-%m-%dT%H:%M")
        .map(|d| d.and_utc().to_rfc3339())
        .unwrap_or_default();
    let mut body = serde_json::json!({
        "summary": f.summary, "detected_at": detected, "service_affected": f.service_affected.is_some(), "status": f.status,
    });
    if !f.event_class.is_empty() {
        body["event_class"] = serde_json::json!(f.event_class);
    }
    if !f.description.trim().is_empty() {
        body["description"] = serde_json::json!(f.description);
    }
    let fields: ReportFields = match serde_json::from_value(body) {
        Ok(x) => x,
        Err(e) => return Ok(report_form(&sess, Some(e.to_string()))),
    };
    match s
        .store
        .submit_report(&sess.actor, &fields, None, &s.settings.routing, false)
        .await
    {
        Ok((r, _)) => Ok(Redirect::to(&format!("/reports/{}", r.id)).into_response()),
        Err(e) => Ok(report_form(&sess, Some(e.to_string()))),
    }
}

pub(super) fn not_found(sess: &Session) -> Response {
    let mut r = page(sess.lang, sess.lang.t("not_found"), Some(sess), html! {});
    *r.status_mut() = StatusCode::NOT_FOUND;
    r
}

/// A page the actor's roles do not allow: 403, saying so.
pub(super) fn forbidden(sess: &Session) -> Response {
    let mut r = page(
        sess.lang,
        sess.lang.t("forbidden"),
        Some(sess),
        html! { p { a href="/home" { (sess.lang.t("home")) } } },
    );
    *r.status_mut() = StatusCode::FORBIDDEN;
    r
}

/// A page showing what went wrong with a form: 422.
pub(super) fn unprocessable(mut r: Response) -> Response {
    *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    r
}

/// A stored time (RFC 3339) to the minute, for tables.
pub(super) fn when(t: &str) -> String {
    let t = t.replace('T', " ");
    t.get(..16).map(|x| format!("{x} UTC")).unwrap_or(t)
}

pub async fn report(State(s): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Page {
    let sess = session(&s, &headers).await?;
    let Ok(mut r) = s.store.report_by_ref(&id).await else {
        return Ok(not_found(&sess));
    };
    if !may_view_report(&sess.actor, &r.reporter_org, &r.recipient_orgs()) {
        return Ok(not_found(&sess));
    }
    if r.recipients
        .iter()
        .any(|x| x.org_id == sess.actor.org && x.read_at.is_none())
    {
        let _ = s.store.mark_report_read(&sess.actor, &r.id).await;
        r = s.store.report(&r.id).await.unwrap_or(r);
    }
    Ok(render_report(&s, &sess, &r, None).await)
}

/// The report page: header, acknowledgement, recipients, the update form, the
/// severity evaluations (and the coordinator's form), the timeline. The caller
/// has checked that the actor may see the report.
pub(super) async fn render_report(
    s: &AppState,
    sess: &Session,
    r: &sakimori_store::ReportRecord,
    error: Option<String>,
) -> Response {
    let (l, t) = (sess.lang, |k| sess.lang.t(k));
    let recipients = r.recipient_orgs();
    let timeline = s.store.report_timeline(&r.id).await.unwrap_or_default();
    let extra = super::report_edit::sections(s, sess, r).await;
    let can_ack = may_handle_report(&sess.actor, &recipients)
        && r.recipients
            .iter()
            .any(|x| x.org_id == sess.actor.org && x.acknowledged_at.is_none());
    page(
        l,
        &format!("#{} {}", r.number, r.fields.summary),
        Some(sess),
        html! {
            @if let Some(e) = &error { p.error role="alert" { (e) } }
            p { (t("from")) ": " (r.reporter_org) " · " (t("status")) ": " (r.fields.status) " · " (t("detected_at")) ": " (r.fields.detected_at.to_rfc3339()) " · " (t("version")) " " (r.version) }
            @if can_ack {
                form method="post" action={ "/reports/" (r.id) "/ack" } {
                    input type="hidden" name="csrf" value=(sess.csrf());
                    button type="submit" { (t("acknowledge")) }
                }
            }
            h2 { (t("recipients")) }
            table {
                thead { tr { th scope="col" { "#" } th scope="col" { (t("recipients")) } th scope="col" { (t("delivered")) } th scope="col" { (t("read")) } th scope="col" { (t("acknowledged")) } } }
                tbody { @for x in &r.recipients { tr { td { (x.priority) } td { (x.org_id) } td { (x.delivered_at) } td { (x.read_at.as_deref().unwrap_or("—")) } td { (x.acknowledged_at.as_deref().unwrap_or("—")) } } } }
            }
            (extra)
            h2 { (t("timeline")) }
            table { tbody { @for e in &timeline { tr { td { (e.at) } td { (e.organisation) } td { (e.what) @if e.what == "version" { @if let Some(ch) = e.detail.get("changed").and_then(|c| c.as_array()) { ": " (ch.iter().filter_map(|c| c.as_str()).collect::<Vec<_>>().join(", ")) } } } } } } }
        },
    )
}

pub async fn ack_report(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Page {
    let sess = session(&s, &headers).await?;
    check_csrf(&sess, &f.csrf)?;
    let Ok(r) = s.store.report_by_ref(&id).await else {
        return Ok(not_found(&sess));
    };
    let recipients = r.recipient_orgs();
    if !may_handle_report(&sess.actor, &recipients) {
        return Ok(not_found(&sess));
    }
    let _ = s.store.acknowledge_report(&sess.actor, &r.id).await;
    Ok(Redirect::to(&format!("/reports/{}", r.id)).into_response())
}

pub async fn advisories(State(s): State<AppState>, headers: HeaderMap) -> Page {
    let sess = session(&s, &headers).await?;
    let (l, t) = (sess.lang, |k| sess.lang.t(k));
    let list = visible_advisories(&s, &sess).await;
    let unread = list
        .iter()
        .filter(|a| {
            a.deliveries
                .iter()
                .any(|d| d.org_id == sess.actor.org && d.read_at.is_none())
        })
        .count();
    Ok(page(
        l,
        &format!("{} ({})", t("inbox"), t("advisories")),
        Some(&sess),
        html! {
            p { span.badge { (unread) " " (t("unread")) } @if may_route(&sess.actor, &api_route::WRITE_ADVISORY) { " · " a href="/advisories/new" { (t("new_advisory")) } } }
            @if list.is_empty() { p.muted { (t("none")) } } @else {
                table {
                    thead { tr { th scope="col" { (t("number")) } th scope="col" { (t("tlp")) } th scope="col" { (t("category")) } th scope="col" { (t("title")) } th scope="col" { (t("status")) } } }
                    tbody {
                        @for a in &list {
                            @let mine = a.deliveries.iter().find(|d| d.org_id == sess.actor.org);
                            tr {
                                td { a href={ "/advisories/" (a.id) } { "#" (a.number) } }
                                td { (tlp_label(a.fields.tlp)) }
                                td { @if l == Lang::Ja { (a.fields.category.label_ja()) } @else { (a.fields.category) } }
                                td { @if l == Lang::Ja { (a.fields.title_ja.as_deref().unwrap_or(&a.fields.title)) } @else { (a.fields.title) } }
                                td { @match mine { Some(d) if d.acknowledged_at.is_some() => { (t("acknowledged")) } Some(d) if d.read_at.is_some() => { (t("read")) } Some(_) => { strong { (t("unread")) } } None if super::authoring::may_track(&sess.actor, a) => { a href={ "/advisories/" (a.id) "/status" } { (t("tracking")) } } None => { "—" } } }
                            }
                        }
                    }
                }
            }
        },
    ))
}

pub async fn advisory(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Page {
    let sess = session(&s, &headers).await?;
    let Ok(mut a) = s.store.advisory(&id).await else {
        return Ok(not_found(&sess));
    };
    if !may_view_advisory(&sess.actor, &a.author_org, a.fields.tlp, &a.delivered_to()) {
        return Ok(not_found(&sess));
    }
    if a.deliveries
        .iter()
        .any(|d| d.org_id == sess.actor.org && d.delivered_at.is_some() && d.read_at.is_none())
    {
        a = s
            .store
            .mark_advisory(&sess.actor, &a.id, false)
            .await
            .unwrap_or(a);
    }
    Ok(render_advisory(&sess, &a, None))
}

/// The advisory page: marking, the reader's own delivery and acknowledgement,
/// the notes of the tiers above, the relay form for a reviewing tier, the link to
/// the tracking page for the author's side, and the body. The caller has checked
/// that the actor may see the advisory.
pub(super) fn render_advisory(
    sess: &Session,
    a: &sakimori_store::AdvisoryRecord,
    error: Option<String>,
) -> Response {
    let (l, t) = (sess.lang, |k| sess.lang.t(k));
    let mine = a
        .deliveries
        .iter()
        .find(|d| d.org_id == sess.actor.org)
        .cloned();
    let title = if l == Lang::Ja {
        a.fields.title_ja.clone().unwrap_or(a.fields.title.clone())
    } else {
        a.fields.title.clone()
    };
    let body = if l == Lang::Ja {
        a.fields.body_ja.as_deref().unwrap_or(&a.fields.body)
    } else {
        &a.fields.body
    };
    let notes = a.relay_notes(&sess.actor.org);
    let waiting_below = super::authoring::waiting_below(&sess.actor.org, a);
    let can_relay = mine.as_ref().is_some_and(|d| d.delivered_at.is_some())
        && waiting_below > 0
        && may_route(&sess.actor, &api_route::RELAY_ADVISORY);
    let can_track = super::authoring::may_track(&sess.actor, a);
    page(
        l,
        &title,
        Some(sess),
        html! {
            @if let Some(e) = &error { p.error role="alert" { (e) } }
            p { (tlp_label(a.fields.tlp)) " " (t("category")) ": " @if l == Lang::Ja { (a.fields.category.label_ja()) } @else { (a.fields.category) } " · " (a.author_org) " · " (a.created_at) }
            @if can_track { p { a href={ "/advisories/" (a.id) "/status" } { (t("tracking")) } } }
            @if let Some(d) = &mine {
                @if d.acknowledged_at.is_none() {
                    form method="post" action={ "/advisories/" (a.id) "/ack" } {
                        input type="hidden" name="csrf" value=(sess.csrf());
                        button type="submit" { (t("acknowledge")) }
                    }
                } @else { p { (t("acknowledged")) ": " (d.acknowledged_at.as_deref().unwrap_or("")) } }
            }
            @if !notes.is_empty() {
                section.notes aria-labelledby="notes" {
                    h2 #notes { (t("notes_from_above")) }
                    ul { @for (from, note) in &notes { li { strong { (from) } ": " (note) } } }
                }
            }
            @if can_relay {
                section.relay aria-labelledby="relay" {
                    h2 #relay { (t("relay")) }
                    p { strong { (waiting_below) } " " (t("relay_waiting")) }
                    form.stack method="post" action={ "/advisories/" (a.id) "/relay" } {
                        input type="hidden" name="csrf" value=(sess.csrf());
                        label for="note" { (t("relay_note")) }
                        textarea #note name="note" rows="3" {}
                        button type="submit" { (t("relay")) }
                    }
                }
            }
            article { (PreEscaped(render_markdown(body))) }
        },
    )
}

pub async fn ack_advisory(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Page {
    let sess = session(&s, &headers).await?;
    check_csrf(&sess, &f.csrf)?;
    let Ok(a) = s.store.advisory(&id).await else {
        return Ok(not_found(&sess));
    };
    if !may_view_advisory(&sess.actor, &a.author_org, a.fields.tlp, &a.delivered_to()) {
        return Ok(not_found(&sess));
    }
    let _ = s.store.mark_advisory(&sess.actor, &a.id, true).await;
    Ok(Redirect::to(&format!("/advisories/{}", a.id)).into_response())
}

/// The coordinator's situation dashboard: sectors × severity, the outage banner,
/// advisories awaiting acknowledgement by tier. Refreshes itself every minute.
pub async fn dashboard(State(s): State<AppState>, headers: HeaderMap) -> Page {
    let sess = session(&s, &headers).await?;
    let (l, t) = (sess.lang, |k| sess.lang.t(k));
    if !(sess.actor.has(Role::Coordinator) || sess.actor.has(Role::Administrator)) {
        return Ok(not_found(&sess));
    }
    let sectors = s.store.sectors().await.unwrap_or_default();
    let reports = s.store.reports_for(None, 5000).await.unwrap_or_default();
    // Sector × latest severity (or not evaluated) of open reports.
    let mut matrix: std::collections::BTreeMap<(String, Option<u8>), usize> = Default::default();
    for r in reports
        .iter()
        .filter(|r| !r.drill && r.fields.status != sakimori_core::report::ReportStatus::Closed)
    {
        let sector = s
            .store
            .organisation(&r.reporter_org)
            .await
            .ok()
            .and_then(|o| o.sector)
            .unwrap_or_default();
        let level = s
            .store
            .severities("report", &r.id)
            .await
            .unwrap_or_default()
            .last()
            .map(|e| e.evaluation.overall.as_u8());
        *matrix.entry((sector, level)).or_default() += 1;
    }
    let outage: Vec<String> = s
        .store
        .modes()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|m| m.mode == "large-scale-outage")
        .map(|m| m.scope)
        .collect();
    let advisories = s.store.advisories_for(None, 50).await.unwrap_or_default();
    let tiers: Vec<(String, usize, usize)> = ["ministry", "hub", "organisation"]
        .iter()
        .map(|tier| {
            let ds: Vec<_> = advisories
                .iter()
                .filter(|a| !a.drill)
                .flat_map(|a| a.deliveries.iter())
                .filter(|d| d.tier == *tier && d.delivered_at.is_some())
                .collect();
            (
                tier.to_string(),
                ds.iter().filter(|d| d.acknowledged_at.is_none()).count(),
                ds.len(),
            )
        })
        .collect();
    let levels: [Option<u8>; 6] = [None, Some(0), Some(1), Some(2), Some(3), Some(4)];
    let intel = if may_route(&sess.actor, &api_route::SEARCH_INTEL) {
        Some(super::intel::newest(&s, &sess.actor, 5).await)
    } else {
        None
    };
    let mut resp = page(
        l,
        t("dashboard"),
        Some(&sess),
        html! {
            @if !outage.is_empty() { p.banner role="alert" { (t("outage")) ": " (outage.join(", ")) } }
            h2 { (t("reports")) " × " (t("severity")) }
            table {
                thead { tr { th scope="col" { (t("sector")) } @for lv in &levels { th scope="col" { @match lv { None => { (t("not_evaluated")) } Some(n) => { (n) } } } } } }
                tbody {
                    @for sec in &sectors {
                        tr {
                            th scope="row" { @if l == Lang::Ja { (sec.name.ja) } @else { (sec.name.en) } }
                            @for lv in &levels {
                                @let n = matrix.get(&(sec.id.clone(), *lv)).copied().unwrap_or(0);
                                td { @if n > 0 { a href="/reports" { strong { (n) } } } @else { span.muted { "0" } } }
                            }
                        }
                    }
                }
            }
            h2 { (t("awaiting")) }
            table {
                thead { tr { th scope="col" { (t("tier")) } th scope="col" { (t("unacknowledged")) } th scope="col" { (t("delivered")) } } }
                tbody { @for (tier, open, all) in &tiers { tr { td { (tier) } td { (open) } td { (all) } } } }
            }
            @if let Some(rows) = &intel { (super::intel::newest_list(l, rows)) }
            p { img src="/statistics.svg?trend=1" alt=(t("statistics")) width="640"; }
        },
    );
    resp.headers_mut()
        .insert(header::REFRESH, axum::http::HeaderValue::from_static("60"));
    Ok(resp)
}

#[derive(Deserialize)]
pub struct FyQuery {
    fy: Option<i32>,
    #[serde(default)]
    trend: Option<u8>,
}

async fn stats_of(s: &AppState, fy: i32) -> sakimori_core::stats::Statistics {
    let rows = s.store.stat_rows(Some(fy)).await.unwrap_or_default();
    let mut st = sakimori_core::stats::compute(
        &rows,
        fy,
        s.store.provisions_per_quarter(fy).await.unwrap_or_default(),
    );
    st.name_sectors(&s.store.sectors().await.unwrap_or_default());
    st
}

fn stats_lang(l: Lang) -> sakimori_core::stats::Lang {
    if l == Lang::Ja {
        sakimori_core::stats::Lang::Ja
    } else {
        sakimori_core::stats::Lang::En
    }
}

pub async fn statistics(
    State(s): State<AppState>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<FyQuery>,
) -> Page {
    let sess = session(&s, &headers).await?;
    let (l, t) = (sess.lang, |k| sess.lang.t(k));
    if !sakimori_core::policy::allows(&sess.actor, sakimori_core::Permission::ReadStatistics) {
        return Ok(not_found(&sess));
    }
    let fy =
        q.fy.unwrap_or_else(|| sakimori_core::report::fiscal_quarter(chrono::Utc::now()).0);
    let st = stats_of(&s, fy).await;
    Ok(page(
        l,
        &format!("{} — {} {fy}", t("statistics"), t("fiscal_year")),
        Some(&sess),
        html! {
            p { a href={ "/statistics?fy=" (fy - 1) } { "← " (fy - 1) } " · " a href={ "/statistics?fy=" (fy + 1) } { (fy + 1) " →" } }
            p { img src={ "/statistics.svg?fy=" (fy) } alt=(t("statistics")) width="640"; }
            (PreEscaped(sakimori_core::stats::to_html(&st, stats_lang(l))))
        },
    ))
}

pub async fn statistics_svg(
    State(s): State<AppState>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<FyQuery>,
) -> Page {
    let sess = session(&s, &headers).await?;
    if !sakimori_core::policy::allows(&sess.actor, sakimori_core::Permission::ReadStatistics) {
        return Ok(not_found(&sess));
    }
    let svg = if q.trend.is_some() {
        let rows = s.store.stat_rows(None).await.unwrap_or_default();
        let mut years: Vec<i32> = rows.iter().map(|r| r.fiscal_year).collect();
        years.sort();
        years.dedup();
        let mut all = Vec::new();
        for y in years {
            all.push(stats_of(&s, y).await);
        }
        sakimori_core::stats::trend_svg(&all, stats_lang(sess.lang))
    } else {
        let fy =
            q.fy.unwrap_or_else(|| sakimori_core::report::fiscal_quarter(chrono::Utc::now()).0);
        sakimori_core::stats::to_svg(&stats_of(&s, fy).await, stats_lang(sess.lang))
    };
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}

pub async fn registry(State(s): State<AppState>, headers: HeaderMap) -> Page {
    let sess = session(&s, &headers).await?;
    let (l, t) = (sess.lang, |k| sess.lang.t(k));
    let orgs = s
        .store
        .organisations(&Default::default())
        .await
        .unwrap_or_default();
    Ok(page(
        l,
        t("organisations"),
        Some(&sess),
        html! {
            table {
                thead { tr { th scope="col" { "ID" } th scope="col" { (t("kind")) } th scope="col" { (t("sector")) } th scope="col" { (t("organisations")) } } }
                tbody {
                    @for o in &orgs {
                        tr {
                            td { a href={ "/registry/" (o.id) } { (o.id) } }
                            td { (o.kind) }
                            td { (o.sector.as_deref().unwrap_or("")) }
                            td { @if l == Lang::Ja { (o.name.ja) } @else { (o.name.en) } }
                        }
                    }
                }
            }
        },
    ))
}

pub async fn organisation(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Page {
    let sess = session(&s, &headers).await?;
    let (l, t) = (sess.lang, |k| sess.lang.t(k));
    let Ok(o) = s.store.organisation(&id).await else {
        return Ok(not_found(&sess));
    };
    let rel = s.store.relations(&id).await.map_err(|_| not_found(&sess))?;
    let private = sakimori_core::policy::may_view_private(&sess.actor, &rel);
    let editable = sakimori_core::policy::may_edit_contacts(&sess.actor, &rel);
    let contacts = if private {
        s.store.contacts(&id).await.unwrap_or_default()
    } else {
        vec![]
    };
    let assets = if private {
        s.store.assets(&id).await.ok()
    } else {
        None
    };
    let name = if l == Lang::Ja {
        o.name.ja.clone()
    } else {
        o.name.en.clone()
    };
    Ok(page(
        l,
        &name,
        Some(&sess),
        html! {
            p { (t("kind")) ": " (o.kind) " · " (t("sector")) ": " (o.sector.as_deref().unwrap_or("—")) }
            @if private {
                h2 { (t("contacts")) }
                table {
                    thead { tr { th scope="col" { "" } th scope="col" { "e-mail" } th scope="col" { (t("last_verified")) } th scope="col" { "" } } }
                    tbody {
                        @for c in &contacts {
                            tr {
                                td { (c.name) " (" (c.role) @if c.deputy.0 { ", deputy" } ")" }
                                td { (c.email) @if c.bounced_at.is_some() { " " span.badge { "bounced" } } }
                                td { (c.last_verified.as_deref().unwrap_or("—")) }
                                td { @if editable {
                                    form method="post" action={ "/contacts/" (c.id) "/confirm" } {
                                        input type="hidden" name="csrf" value=(sess.csrf());
                                        button type="submit" { (t("confirm")) }
                                    }
                                } }
                            }
                        }
                    }
                }
                @if let Some(a) = &assets {
                    h2 { (t("assets")) }
                    ul {
                        @for p in &a.prefixes { li { code { (p) } } }
                        @for d in &a.domains { li { code { (d) } } }
                        @for n in &a.asns { li { "AS" (n) } }
                        @for sv in &a.services { li { (sv) } }
                    }
                }
            } @else { p.muted { (t("private")) } }
        },
    ))
}

pub async fn confirm_contact(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Page {
    let sess = session(&s, &headers).await?;
    check_csrf(&sess, &f.csrf)?;
    let Ok(org) = s.store.contact_org(&id).await else {
        return Ok(not_found(&sess));
    };
    let rel = s
        .store
        .relations(&org)
        .await
        .map_err(|_| not_found(&sess))?;
    if !sakimori_core::policy::may_edit_contacts(&sess.actor, &rel) {
        return Ok(not_found(&sess));
    }
    let _ = s.store.verify_contact(&sess.actor, &id).await;
    Ok(Redirect::to(&format!("/registry/{org}")).into_response())
}
