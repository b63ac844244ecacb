//! The web console: server-rendered pages (maud, escaped by construction) in
//! Japanese and English, for people who are not engineers. Sessions are API
//! tokens in an HttpOnly, SameSite=Strict cookie; every form carries a CSRF token
//! derived from the session; every page is sent with a strict
//! Content-Security-Policy and no script at all.

// Handlers answer with a page either way; the error side is a page too.
#![allow(clippy::result_large_err)]

mod i18n;
mod pages;

use crate::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
pub use i18n::Lang;
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
        .route("/advisories", get(pages::advisories))
        .route("/advisories/{id}", get(pages::advisory))
        .route("/advisories/{id}/ack", post(pages::ack_advisory))
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
