//! The web console through HTTP as a browser would use it (forms, cookies), on
//! both engines: sign-in, report, acknowledge, advisories, language, CSRF,
//! escaping, and nobody else's data on any page.

mod common;

use axum::body::Body;
use http::{header, Method, Request, StatusCode};
use http_body_util::BodyExt;
use sakimori_core::Role;
use sakimori_server::Settings;
use sakimori_store::testing::{each_backend, TestDb};
use serde_json::json;
use tower::ServiceExt;

const USERS: &[(&str, &str, Role)] = &[
    ("op", "kanto-power", Role::Operator),
    ("gasop", "hinode-gas", Role::Operator),
    ("meti", "meti", Role::MinistryOfficer),
    ("nisc", "nisc", Role::Coordinator),
];

struct Browser<'a> {
    w: &'a common::World,
    cookie: Option<String>,
    lang: &'static str,
}

struct Answer {
    status: StatusCode,
    location: Option<String>,
    cookie: Option<String>,
    csp: Option<String>,
    body: String,
}

impl<'a> Browser<'a> {
    fn new(w: &'a common::World, lang: &'static str) -> Self {
        Browser {
            w,
            cookie: None,
            lang,
        }
    }

    async fn go(&mut self, method: Method, uri: &str, form: Option<&[(&str, &str)]>) -> Answer {
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::ACCEPT_LANGUAGE, self.lang);
        if let Some(c) = &self.cookie {
            req = req.header(header::COOKIE, c.clone());
        }
        let req = match form {
            Some(f) => {
                let body: String = f
                    .iter()
                    .map(|(k, v)| format!("{}={}", k, urlencode(v)))
                    .collect::<Vec<_>>()
                    .join("&");
                req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(body))
                    .unwrap()
            }
            None => req.body(Body::empty()).unwrap(),
        };
        let resp = self.w.app.clone().oneshot(req).await.unwrap();
        let h = |k: header::HeaderName| {
            resp.headers()
                .get(k)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let (status, location, set, csp) = (
            resp.status(),
            h(header::LOCATION),
            h(header::SET_COOKIE),
            h(header::CONTENT_SECURITY_POLICY),
        );
        if let Some(c) = &set {
            let pair = c.split(';').next().unwrap().to_owned();
            self.cookie = Some(pair);
        }
        let body = String::from_utf8_lossy(&resp.into_body().collect().await.unwrap().to_bytes())
            .into_owned();
        Answer {
            status,
            location,
            cookie: set,
            csp,
            body,
        }
    }

    async fn sign_in_with_token(&mut self, token: &str) {
        let a = self
            .go(Method::POST, "/login", Some(&[("token", token)]))
            .await;
        assert_eq!(
            (a.status, a.location.as_deref()),
            (StatusCode::SEE_OTHER, Some("/home")),
            "{}",
            a.body
        );
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn csrf_of(page: &str) -> String {
    let i = page
        .find("name=\"csrf\" value=\"")
        .expect("a form with a CSRF token")
        + 19;
    page[i..i + 64].to_owned()
}

#[tokio::test]
async fn report_from_the_console_acknowledged_by_the_ministry() {
    each_backend(|TestDb { store, backend, .. }| async move {
        let w = common::world(store, USERS, Settings::default()).await;
        // A password sign-in in Japanese.
        w.store
            .create_user(
                &sakimori_core::Actor::system(),
                &sakimori_store::NewUser {
                    username: "tanaka".into(),
                    display_name: None,
                    org: "kanto-power".into(),
                    roles: vec![Role::Operator],
                    password: Some("correct horse battery".into()),
                },
            )
            .await
            .unwrap();
        let mut op = Browser::new(&w, "ja,en;q=0.5");
        let login = op.go(Method::GET, "/login", None).await;
        assert!(
            login.body.contains("ログイン") && login.body.contains("lang=\"ja\""),
            "{backend:?}"
        );
        assert!(
            login.csp.unwrap().contains("default-src 'none'"),
            "a strict CSP on every page"
        );
        let bad = op
            .go(
                Method::POST,
                "/login",
                Some(&[("username", "tanaka"), ("password", "wrong password!!")]),
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
        let ok = op
            .go(
                Method::POST,
                "/login",
                Some(&[
                    ("username", "tanaka"),
                    ("password", "correct horse battery"),
                ]),
            )
            .await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER);
        let cookie = ok.cookie.unwrap();
        assert!(
            cookie.contains("HttpOnly")
                && cookie.contains("SameSite=Strict")
                && cookie.contains("Secure"),
            "{cookie}"
        );

        // The short form: mandatory fields first, the rest folded away.
        let form = op.go(Method::GET, "/reports/new", None).await;
        assert!(form.body.contains("<details>") && form.body.contains("概要"));
        let csrf = csrf_of(&form.body);
        let forged = op
            .go(
                Method::POST,
                "/reports",
                Some(&[
                    ("csrf", "0".repeat(64).as_str()),
                    ("summary", "x"),
                    ("detected_at", "2026-11-21T10:00"),
                    ("status", "reported"),
                ]),
            )
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN, "CSRF");
        let sent = op
            .go(
                Method::POST,
                "/reports",
                Some(&[
                    ("csrf", &csrf),
                    ("summary", "<script>alert(1)</script> 基幹系停止"),
                    ("detected_at", "2026-11-21T10:00"),
                    ("service_affected", "yes"),
                    ("status", "reported"),
                ]),
            )
            .await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
        let url = sent.location.unwrap();
        let shown = op.go(Method::GET, &url, None).await;
        assert!(
            shown.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
                && !shown.body.contains("<script>"),
            "escaped"
        );
        assert!(shown.body.contains("meti") && shown.body.contains("ceptoar-electricity"));

        // The ministry acknowledges in the console.
        let mut meti = Browser::new(&w, "en");
        meti.sign_in_with_token(&w.tokens["meti"]).await;
        let page = meti.go(Method::GET, &url, None).await;
        assert!(page.body.contains("Acknowledge"), "{}", page.body);
        let ack = meti
            .go(
                Method::POST,
                &format!("{url}/ack"),
                Some(&[("csrf", &csrf_of(&page.body))]),
            )
            .await;
        assert_eq!(ack.status, StatusCode::SEE_OTHER);
        let id = url.rsplit('/').next().unwrap();
        let r = w.store.report(id).await.unwrap();
        assert!(
            r.recipients
                .iter()
                .any(|x| x.org_id == "meti" && x.acknowledged_at.is_some()),
            "{backend:?}"
        );

        // Another sector's operator sees nothing of it, anywhere.
        let mut gas = Browser::new(&w, "en");
        gas.sign_in_with_token(&w.tokens["gasop"]).await;
        let denied = gas.go(Method::GET, &url, None).await;
        assert_eq!(denied.status, StatusCode::NOT_FOUND);
        for path in ["/home", "/reports", &url] {
            let a = gas.go(Method::GET, path, None).await;
            assert!(!a.body.contains("基幹系停止"), "{path} leaks the report");
        }
        // Signed out: pages send you to sign in.
        let mut anon = Browser::new(&w, "en");
        let a = anon.go(Method::GET, "/reports", None).await;
        assert_eq!(a.location.as_deref(), Some("/login"));
    })
    .await;
}

#[tokio::test]
async fn advisories_are_read_and_acknowledged_in_the_console_and_the_language_switches() {
    each_backend(|TestDb { store, .. }| async move {
        let w = common::world(store, USERS, Settings::default()).await;
        let body = json!({"title": "VPN appliance campaign", "title_ja": "VPN機器を狙う攻撃", "body": "Patch **now**.", "tlp": "TLP:AMBER", "category": "alert", "audience": {"sectors": ["electricity"]}});
        let (status, a) = w.call("nisc", Method::POST, "/api/v1/advisories", Some(body)).await;
        assert_eq!(status, StatusCode::CREATED);
        let mut op = Browser::new(&w, "en");
        op.sign_in_with_token(&w.tokens["op"]).await;
        let inbox = op.go(Method::GET, "/advisories", None).await;
        assert!(inbox.body.contains("1 unread") && inbox.body.contains("TLP:AMBER") && inbox.body.contains("tlp-amber"), "{}", inbox.body);
        let url = format!("/advisories/{}", a["id"].as_str().unwrap());
        let page = op.go(Method::GET, &url, None).await;
        assert!(page.body.contains("<strong>now</strong>"));
        let ack = op.go(Method::POST, &format!("{url}/ack"), Some(&[("csrf", &csrf_of(&page.body))])).await;
        assert_eq!(ack.status, StatusCode::SEE_OTHER);
        let switched = op.go(Method::GET, "/lang/ja", None).await;
        assert_eq!(switched.location.as_deref(), Some("/home"));
        let op_cookie = op.cookie.clone();
        // Keep both cookies: session and language.
        op.cookie = Some(format!("{}; {}", w_session(&w, "op"), op_cookie.unwrap()));
        let ja = op.go(Method::GET, &url, None).await;
        assert!(ja.body.contains("VPN機器を狙う攻撃") && ja.body.contains("受領確認済"), "{}", ja.body);
        let mut gas = Browser::new(&w, "en");
        gas.sign_in_with_token(&w.tokens["gasop"]).await;
        let a = gas.go(Method::GET, "/advisories", None).await;
        assert!(!a.body.contains("VPN appliance campaign"));
        assert_eq!(gas.go(Method::GET, &url, None).await.status, StatusCode::NOT_FOUND);
    })
    .await;
}

fn w_session(w: &common::World, who: &str) -> String {
    format!(
        "{}={}",
        sakimori_server::console::SESSION_COOKIE,
        w.tokens[who]
    )
}

#[tokio::test]
async fn dashboard_statistics_and_registry_pages() {
    each_backend(|TestDb { store, backend, .. }| async move {
        let w = common::world(store, USERS, Settings::default()).await;
        let (_, r) = w.call("op", Method::POST, "/api/v1/reports", Some(json!({"summary": "Grid SCADA alarm", "detected_at": "2026-11-21T01:00:00Z", "service_affected": true, "status": "reported", "impact": {"affected_people": 2000}}))).await;
        w.call("nisc", Method::POST, &format!("/api/v1/reports/{}/severity", r["id"].as_str().unwrap()), Some(json!({"kind": "provisional"}))).await;
        w.call("nisc", Method::PUT, "/api/v1/modes/electricity", Some(json!({"mode": "large-scale-outage"}))).await;

        let mut nisc = Browser::new(&w, "ja");
        nisc.sign_in_with_token(&w.tokens["nisc"]).await;
        let d = nisc.go(Method::GET, "/dashboard", None).await;
        assert_eq!(d.status, StatusCode::OK, "{backend:?}");
        assert!(d.body.contains("電力") && d.body.contains("状況ボード") && d.body.contains("class=\"banner\""), "{}", d.body);
        assert!(d.body.contains("<strong>1</strong>"), "the electricity report counted at its level");
        let st = nisc.go(Method::GET, "/statistics?fy=2026", None).await;
        assert!(st.body.contains("<table") && st.body.contains("事象"), "{}", &st.body[..st.body.len().min(500)]);
        let svg = nisc.go(Method::GET, "/statistics.svg?fy=2026", None).await;
        assert!(svg.body.starts_with("<svg"));

        let mut op = Browser::new(&w, "en");
        op.sign_in_with_token(&w.tokens["op"]).await;
        assert_eq!(op.go(Method::GET, "/dashboard", None).await.status, StatusCode::NOT_FOUND);
        assert_eq!(op.go(Method::GET, "/statistics", None).await.status, StatusCode::NOT_FOUND);
        let own = op.go(Method::GET, "/registry/kanto-power", None).await;
        assert!(own.body.contains("csirt@kanto-power.example.jp") && own.body.contains("Confirm still valid"), "{}", own.body);
        let bank = op.go(Method::GET, "/registry/asagiri-bank", None).await;
        for c in w.store.contacts("asagiri-bank").await.unwrap() {
            assert!(!bank.body.contains(&c.email), "{backend:?}: the bank's contacts stay private");
        }
        let contact = w.store.contacts("kanto-power").await.unwrap().remove(0);
        let confirmed = op.go(Method::POST, &format!("/contacts/{}/confirm", contact.id), Some(&[("csrf", &csrf_of(&own.body))])).await;
        assert_eq!(confirmed.status, StatusCode::SEE_OTHER);
        let today = chrono::Utc::now().date_naive().to_string();
        assert_eq!(w.store.contacts("kanto-power").await.unwrap()[0].last_verified.as_deref(), Some(today.as_str()));
        let bank_contact = w.store.contacts("asagiri-bank").await.unwrap().remove(0);
        let denied = op.go(Method::POST, &format!("/contacts/{}/confirm", bank_contact.id), Some(&[("csrf", &csrf_of(&own.body))])).await;
        assert_eq!(denied.status, StatusCode::NOT_FOUND);
    })
    .await;
}
