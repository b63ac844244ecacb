//! The web console: server-rendered pages (maud, escaped by construction) in
//! Japanese and English, for people who are not engineers. Sessions are API
//! tokens in an HttpOnly, SameSite=Strict cookie; every form carries a CSRF token
//! derived from the session; every page is sent with a strict
//! Content-Security-Policy and no script at all.

// Handlers answer with a page either way; the error side is a page too.
#![allow(clippy::result_large_err)]

mod admin;
mod authoring;
mod drills;
mod events;
mod i18n;
mod intel;
mod pages;
mod report_edit;

use crate::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
pub use i18n::Lang;
use sakimori_core::policy::{allows, Permission};
use sakimori_core::Actor;
use sha2::{Digest, Sha256};

pub const SESSION_COOKIE: &str = "sakimori_session";
const LANG_COOKIE: &str = "sakimori_lang";
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const CSS: &str = include_str!("app.css");

/// The console's routes, mounted at the root of the application.
pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/home") }))
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/logout", post(pages::logout))
        .route("/lang/{code}", get(pages::set_lang))
        .route("/home", get(pages::home))
        .route("/reports", get(pages::reports).post(pages::submit_report))
        .route("/reports/new", get(pages::new_report))
        .route("/reports/{id}", get(pages::report))
        .route("/reports/{id}/ack", post(pages::ack_report))
        .route("/reports/{id}/update", post(report_edit::update))
        .route("/reports/{id}/severity", post(report_edit::record_severity))
        .route(
            "/advisories",
            get(pages::advisories).post(authoring::create),
        )
        .route("/advisories/new", get(authoring::new_advisory))
        .route("/advisories/{id}", get(pages::advisory))
        .route("/advisories/{id}/ack", post(pages::ack_advisory))
        .route("/advisories/{id}/status", get(authoring::status))
        .route("/advisories/{id}/relay", post(authoring::relay))
        .route("/intel", get(intel::list).post(intel::share))
        .route("/intel/new", get(intel::new_form))
        .route("/intel/export", get(intel::export))
        .route("/intel/{id}", get(intel::object))
        .route("/intel/{id}/relay", post(intel::relay))
        .route("/events", get(events::list))
        .route("/events/{id}", get(events::event))
        .route("/events/{id}/confirm", post(events::confirm))
        .route("/events/{id}/dismiss", post(events::dismiss))
        .route("/events/{id}/escalate", post(events::escalate))
        .route("/drills", get(drills::list).post(drills::create))
        .route("/drills/{id}", get(drills::drill))
        .route("/drills/{id}/chart.svg", get(drills::chart))
        .route("/admin/users", get(admin::users).post(admin::create_user))
        .route("/admin/users/{id}/disable", post(admin::disable_user))
        .route("/tokens", get(admin::tokens).post(admin::create_token))
        .route("/tokens/{id}/revoke", post(admin::revoke_token))
        .route("/dashboard", get(pages::dashboard))
        .route("/statistics", get(pages::statistics))
        .route("/statistics.svg", get(pages::statistics_svg))
        .route("/registry", get(pages::registry))
        .route("/registry/{id}", get(pages::organisation))
        .route("/contacts/{id}/confirm", post(pages::confirm_contact))
        .route(
            "/static/app.css",
            get(|| async { ([(header::CONTENT_TYPE, "text/css")], CSS) }),
        )
        .layer(middleware::from_fn_with_state(state, secure_headers))
}

/// Strict headers on every console response.
async fn secure_headers(State(_): State<AppState>, req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    resp
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The language of a request.
pub fn lang(headers: &HeaderMap) -> Lang {
    Lang::pick(
        cookie(headers, LANG_COOKIE),
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    )
}

/// The signed-in person, with the session token (for the CSRF token).
pub struct Session {
    pub actor: Actor,
    pub token: String,
    pub lang: Lang,
}

impl Session {
    /// The CSRF token of this session: forms must send it back.
    pub fn csrf(&self) -> String {
        csrf_of(&self.token)
    }
}

fn csrf_of(token: &str) -> String {
    hex::encode(Sha256::digest(format!("sakimori-csrf:{token}").as_bytes()))
}

/// The session of a request, or a redirect to the sign-in page.
pub async fn session(s: &AppState, headers: &HeaderMap) -> Result<Session, Response> {
    let lang = lang(headers);
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Err(Redirect::to("/login").into_response());
    };
    match s.store.authenticate(token).await {
        Ok(Some(actor)) => Ok(Session {
            actor,
            token: token.to_owned(),
            lang,
        }),
        _ => Err(Redirect::to("/login").into_response()),
    }
}

/// Check a form's CSRF token against the session.
pub fn check_csrf(session: &Session, sent: &str) -> Result<(), Response> {
    if sent.len() == 64 && sent == session.csrf() {
        Ok(())
    } else {
        Err((
            axum::http::StatusCode::FORBIDDEN,
            "CSRF check failed: reload the page and try again",
        )
            .into_response())
    }
}

/// The permission the API declares for `method path` in its route table
/// ([`crate::routes`]). The console asks this one table instead of keeping its
/// own list of who may do what: a console page or action is allowed exactly when
/// the API route that does the same thing would be.
pub fn api_permission(method: &axum::http::Method, path: &str) -> Option<Permission> {
    static TABLE: std::sync::OnceLock<Vec<(axum::http::Method, &'static str, Permission)>> =
        std::sync::OnceLock::new();
    TABLE
        .get_or_init(|| {
            crate::routes()
                .into_iter()
                .map(|r| (r.method.clone(), r.path, r.permission))
                .collect()
        })
        .iter()
        .find(|(m, p, _)| m == method && *p == path)
        .map(|(_, _, perm)| *perm)
}

/// May the actor do what the API route `method path` does? An unknown route is
/// never allowed.
pub fn may(actor: &Actor, method: axum::http::Method, path: &str) -> bool {
    api_permission(&method, path).is_some_and(|p| allows(actor, p))
}

/// The API routes the console's pages and actions stand for.
pub mod api_route {
    use axum::http::Method;
    pub const UPDATE_REPORT: (Method, &str) = (Method::PATCH, "/api/v1/reports/{id}");
    pub const EVALUATE_SEVERITY: (Method, &str) = (Method::POST, "/api/v1/reports/{id}/severity");
    pub const READ_SEVERITY: (Method, &str) = (Method::GET, "/api/v1/reports/{id}/severity");
    pub const WRITE_ADVISORY: (Method, &str) = (Method::POST, "/api/v1/advisories");
    pub const ADVISORY_STATUS: (Method, &str) = (Method::GET, "/api/v1/advisories/{id}/status");
    pub const RELAY_ADVISORY: (Method, &str) = (Method::POST, "/api/v1/advisories/{id}/relay");
    pub const CREATE_DRILL: (Method, &str) = (Method::POST, "/api/v1/drills");
    pub const LIST_DRILLS: (Method, &str) = (Method::GET, "/api/v1/drills");
    pub const DRILL_REPORT: (Method, &str) = (Method::GET, "/api/v1/drills/{id}/report");
    pub const LIST_USERS: (Method, &str) = (Method::GET, "/api/v1/users");
    pub const CREATE_USER: (Method, &str) = (Method::POST, "/api/v1/users");
    pub const DISABLE_USER: (Method, &str) = (Method::POST, "/api/v1/users/{id}/disable");
    pub const LIST_TOKENS: (Method, &str) = (Method::GET, "/api/v1/tokens");
    pub const CREATE_TOKEN: (Method, &str) = (Method::POST, "/api/v1/tokens");
    pub const REVOKE_TOKEN: (Method, &str) = (Method::DELETE, "/api/v1/tokens/{id}");
    pub const SEARCH_INTEL: (Method, &str) = (Method::GET, "/api/v1/intel/objects");
    pub const READ_INTEL_OBJECT: (Method, &str) = (Method::GET, "/api/v1/intel/objects/{id}");
    pub const SHARE_INTEL: (Method, &str) = (Method::POST, "/api/v1/intel/objects");
    pub const RELAY_INTEL: (Method, &str) = (Method::POST, "/api/v1/intel/objects/{id}/relay");
    pub const EXPORT_INTEL: (Method, &str) = (Method::GET, "/api/v1/intel/export");
    pub const LIST_EVENTS: (Method, &str) = (Method::GET, "/api/v1/events");
    pub const READ_EVENT: (Method, &str) = (Method::GET, "/api/v1/events/{id}");
    pub const CONFIRM_EVENT: (Method, &str) = (Method::POST, "/api/v1/events/{id}/confirm");
    pub const DISMISS_EVENT: (Method, &str) = (Method::POST, "/api/v1/events/{id}/dismiss");
    pub const ESCALATE_EVENT: (Method, &str) = (Method::POST, "/api/v1/events/{id}/escalate");

    pub const ALL: &[(Method, &str)] = &[
        UPDATE_REPORT,
        EVALUATE_SEVERITY,
        READ_SEVERITY,
        WRITE_ADVISORY,
        ADVISORY_STATUS,
        RELAY_ADVISORY,
        CREATE_DRILL,
        LIST_DRILLS,
        DRILL_REPORT,
        LIST_USERS,
        CREATE_USER,
        DISABLE_USER,
        LIST_TOKENS,
        CREATE_TOKEN,
        REVOKE_TOKEN,
        SEARCH_INTEL,
        READ_INTEL_OBJECT,
        SHARE_INTEL,
        RELAY_INTEL,
        EXPORT_INTEL,
        LIST_EVENTS,
        READ_EVENT,
        CONFIRM_EVENT,
        DISMISS_EVENT,
        ESCALATE_EVENT,
    ];
}

/// `may` for one of the [`api_route`] constants.
pub fn may_route(actor: &Actor, route: &(axum::http::Method, &str)) -> bool {
    may(actor, route.0.clone(), route.1)
}

/// The start of every form action: the session, its CSRF token, and the
/// permission of the API route the action stands for.
pub async fn form_action(
    s: &AppState,
    headers: &HeaderMap,
    form: Vec<(String, String)>,
    route: &(axum::http::Method, &str),
) -> Result<(Session, FormData), Response> {
    let sess = session(s, headers).await?;
    let f = FormData(form);
    check_csrf(&sess, f.csrf())?;
    if !may_route(&sess.actor, route) {
        return Err(pages::forbidden(&sess));
    }
    Ok((sess, f))
}

/// A submitted form as its name/value pairs, in order: repeated names (check
/// boxes, multiple selects) keep every value.
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    /// The first value of `name`, or "".
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// The first value of `name`, trimmed, if not empty.
    pub fn opt(&self, name: &str) -> Option<&str> {
        Some(self.get(name).trim()).filter(|v| !v.is_empty())
    }

    /// Every non-empty value of `name`.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_owned())
            .collect()
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }

    /// The entries of a text area or field: one per line, or separated by commas
    /// (and by spaces when `spaces`), trimmed, empty ones dropped.
    pub fn list(&self, name: &str, spaces: bool) -> Vec<String> {
        self.get(name)
            .split(|c: char| c == '\n' || c == ',' || (spaces && c.is_whitespace()))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .collect()
    }

    pub fn csrf(&self) -> &str {
        self.get("csrf")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_console_action_stands_for_a_declared_api_route() {
        for (m, p) in api_route::ALL {
            assert!(
                api_permission(m, p).is_some(),
                "{m} {p} is not an API route"
            );
        }
    }
}
