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
    cache: Option<String>,
    disposition: Option<String>,
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
        let (status, location, set, csp, cache, disposition) = (
            resp.status(),
            h(header::LOCATION),
            h(header::SET_COOKIE),
            h(header::CONTENT_SECURITY_POLICY),
            h(header::CACHE_CONTROL),
            h(header::CONTENT_DISPOSITION),
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
            cache,
            disposition,
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

/// Every role, for the pages that differ by role.
const ROLES: &[(&str, &str, Role)] = &[
    ("op", "kanto-power", Role::Operator),
    ("gasop", "hinode-gas", Role::Operator),
    ("meti", "meti", Role::MinistryOfficer),
    ("mhlw", "mhlw", Role::MinistryOfficer),
    ("hub", "ceptoar-electricity", Role::HubSecretariat),
    ("nisc", "nisc", Role::Coordinator),
    ("admin", "nisc", Role::Administrator),
    ("analyst", "jpcert", Role::Analyst),
    ("sensor", "nisc", Role::Sensor),
];

const FORGED: &str = "0000000000000000000000000000000000000000000000000000000000000000";

async fn signed_in<'a>(w: &'a common::World, who: &str, lang: &'static str) -> Browser<'a> {
    let mut b = Browser::new(w, lang);
    b.sign_in_with_token(&w.tokens[who]).await;
    b
}

/// Post a form (name/value pairs; names may repeat) as the browser would.
async fn post(b: &mut Browser<'_>, path: &str, f: &[(String, String)]) -> Answer {
    let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    b.go(Method::POST, path, Some(&pairs)).await
}

/// The page's CSRF token, after checking it is a page with a form.
async fn csrf_for(b: &mut Browser<'_>, path: &str) -> String {
    let p = b.go(Method::GET, path, None).await;
    assert_eq!(p.status, StatusCode::OK, "{path}: {}", p.body);
    csrf_of(&p.body)
}

#[tokio::test]
async fn report_update_and_severity_evaluation_in_the_console() {
    each_backend(|TestDb { store, backend, .. }| async move {
        let w = common::world(store, ROLES, Settings::default()).await;
        let (status, r) = w.call("op", Method::POST, "/api/v1/reports", Some(json!({"summary": "Billing servers encrypted", "detected_at": "2026-11-21T01:00:00Z", "service_affected": true, "status": "reported", "impact": {"affected_people": 20000, "duration_hours": 3.0, "substitutability": "partial"}}))).await;
        assert_eq!(status, StatusCode::CREATED);
        let id = r["id"].as_str().unwrap().to_owned();
        let url = format!("/reports/{id}");
        let upd = format!("{url}/update");
        let sevu = format!("{url}/severity");

        // The reporter: the update form, the (empty) severity section, no severity form.
        let mut op = signed_in(&w, "op", "en").await;
        let page = op.go(Method::GET, &url, None).await;
        assert!(page.body.contains(&format!("action=\"{url}/update\"")), "{}", page.body);
        assert!(page.body.contains("Not evaluated yet."));
        assert!(!page.body.contains(&format!("action=\"{url}/severity\"")), "only the coordinator evaluates");
        let csrf = csrf_of(&page.body);
        let form = |csrf: &str, status: &str, description: &str| -> Vec<(String, String)> {
            [
                ("csrf", csrf), ("summary", "Billing servers encrypted"), ("detected_at", "2026-11-21T01:00"),
                ("service_affected", "yes"), ("status", status), ("event_class", "malware-infection"),
                ("causes", "suspicious-email"), ("causes", "vulnerability"), ("attack_types", "ransomware"),
                ("affected_services", "billing\ncustomer portal"), ("affected_people", "20000"), ("affected_area", ""),
                ("duration_hours", "3"), ("substitutability", "partial"), ("observables", "ipv4:203.0.113.9\nurl:https://evil.example/x"),
                ("description", description), ("contact", ""),
            ].iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        };
        // Without a valid CSRF token: refused, nothing changes.
        let forged = post(&mut op, &upd, &form(FORGED, "under-response", "x")).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        let missing = post(&mut op, &upd, &form("", "under-response", "x")).await;
        assert_eq!(missing.status, StatusCode::FORBIDDEN);
        assert_eq!(w.store.report(&id).await.unwrap().version, 1, "{backend:?}");
        // With it: a new version with the fields that changed.
        let ok = post(&mut op, &upd, &form(&csrf, "under-response", "Ransom note found on two servers.")).await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
        let after = w.store.report(&id).await.unwrap();
        assert_eq!(after.version, 2);
        assert_eq!(after.fields.status.as_str(), "under-response");
        assert_eq!(after.fields.causes.len(), 2);
        assert_eq!(after.fields.observables.len(), 2);
        assert_eq!(after.fields.detected_at.to_rfc3339(), "2026-11-21T01:00:00+00:00", "the time is kept");
        let timeline = w.store.report_timeline(&id).await.unwrap();
        let v2 = timeline.iter().rfind(|e| e.what == "version").unwrap();
        let mut changed: Vec<&str> = v2.detail["changed"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
        changed.sort();
        assert_eq!(changed, ["affected_services", "attack_types", "causes", "description", "event_class", "observables", "status"]);
        let shown = op.go(Method::GET, &url, None).await;
        assert!(shown.body.contains("affected_services, attack_types"), "the timeline names the fields");
        // The same form again changes nothing: no version.
        let again = post(&mut op, &upd, &form(&csrf, "under-response", "Ransom note found on two servers.")).await;
        assert_eq!(again.status, StatusCode::SEE_OTHER);
        assert_eq!(w.store.report(&id).await.unwrap().version, 2);
        // A bad observable is named, and nothing changes.
        let mut bad = form(&csrf, "recovered", "x");
        bad.retain(|(k, _)| k != "observables");
        bad.push(("observables".into(), "ipv4:999.1.1.1".into()));
        let refused = post(&mut op, &upd, &bad).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.body.contains("observables"), "{}", refused.body);
        assert_eq!(w.store.report(&id).await.unwrap().version, 2);

        // A recipient ministry reads but does not update; another operator sees nothing.
        let mut meti = signed_in(&w, "meti", "en").await;
        let mp = meti.go(Method::GET, &url, None).await;
        assert!(!mp.body.contains(&format!("action=\"{url}/update\"")));
        let denied = post(&mut meti, &upd, &form(&csrf_of(&mp.body), "closed", "x")).await;
        assert_eq!(denied.status, StatusCode::FORBIDDEN);
        let mut gas = signed_in(&w, "gasop", "en").await;
        let gas_csrf = csrf_for(&mut gas, "/reports/new").await;
        let denied = post(&mut gas, &upd, &form(&gas_csrf, "closed", "x")).await;
        assert_eq!(denied.status, StatusCode::NOT_FOUND);
        assert_eq!(w.store.report(&id).await.unwrap().version, 2);

        // The coordinator records a provisional evaluation; the form starts from the impact.
        let mut nisc = signed_in(&w, "nisc", "en").await;
        let np = nisc.go(Method::GET, &url, None).await;
        assert!(np.body.contains(&format!("action=\"{url}/severity\"")), "{}", np.body);
        assert!(np.body.contains("id=\"s-affected_people\"") && np.body.contains("value=\"20000\""));
        assert!(np.body.contains(&format!("action=\"{url}/update\"")), "the coordinator updates too");
        let sev = |csrf: &str, kind: &str, hours: &str| -> Vec<(String, String)> {
            [("csrf", csrf), ("kind", kind), ("affected_people", "20000"), ("duration_hours", hours), ("substitutability", "partial"), ("simultaneous_organisations", "1"), ("lost_trust", "limited")]
                .iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        };
        assert_eq!(post(&mut nisc, &sevu, &sev(FORGED, "provisional", "3")).await.status, StatusCode::FORBIDDEN);
        assert_eq!(post(&mut nisc, &sevu, &sev(&csrf_of(&np.body), "provisional", "-1")).await.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(w.store.severities("report", &id).await.unwrap().is_empty(), "{backend:?}");
        let rec = post(&mut nisc, &sevu, &sev(&csrf_of(&np.body), "provisional", "3")).await;
        assert_eq!(rec.status, StatusCode::SEE_OTHER, "{}", rec.body);
        let stored = w.store.severities("report", &id).await.unwrap();
        assert_eq!((stored.len(), stored[0].kind.as_str(), stored[0].evaluation.overall.as_u8()), (1, "provisional", 1));
        // Worked example 1 of docs/severity.md: every reason, and the NCISS-style score 21.
        let shown = nisc.go(Method::GET, &url, None).await;
        for text in ["Provisional", "Continuity of the service", "Loss of trust in the service", "affected_people &gt;= 1000 -&gt; level 2", "partial substitutability lowers the level by 1", "lost_trust = limited -&gt; level 1", "NCISS-style score", "<strong>21</strong>", "Baseline"] {
            assert!(shown.body.contains(text), "{text:?} missing in {}", shown.body);
        }
        // Others may not evaluate; the reporter sees the evaluation, other operators nothing.
        let mp = meti.go(Method::GET, &url, None).await;
        assert!(!mp.body.contains(&format!("action=\"{url}/severity\"")) && mp.body.contains("NCISS-style score"));
        assert_eq!(post(&mut meti, &sevu, &sev(&csrf_of(&mp.body), "final", "3")).await.status, StatusCode::FORBIDDEN);
        assert_eq!(post(&mut op, &sevu, &sev(&csrf, "final", "3")).await.status, StatusCode::FORBIDDEN);
        assert_eq!(post(&mut gas, &sevu, &sev(&gas_csrf, "final", "3")).await.status, StatusCode::NOT_FOUND);
        assert_eq!(w.store.severities("report", &id).await.unwrap().len(), 1);
        assert!(op.go(Method::GET, &url, None).await.body.contains("<strong>21</strong>"));
        let g = gas.go(Method::GET, &url, None).await;
        assert_eq!(g.status, StatusCode::NOT_FOUND);
        assert!(!g.body.contains("NCISS") && !g.body.contains("Billing servers"));

        // In Japanese: the labels of the viewpoints and levels.
        let mut ja = signed_in(&w, "nisc", "ja").await;
        let j = ja.go(Method::GET, &url, None).await;
        assert!(j.body.contains("深刻度評価") && j.body.contains("サービスの持続性") && j.body.contains("暫定評価"), "{}", j.body);
    })
    .await;
}

#[tokio::test]
async fn advisories_are_written_tracked_and_relayed_in_the_console() {
    each_backend(|TestDb { store, backend, .. }| async move {
        let settings = Settings {
            relay: sakimori_store::RelayPolicy {
                ministry_auto: true,
                hub_auto: false,
            },
            ..Settings::default()
        };
        let w = common::world(store, ROLES, settings).await;
        let wr = &w;
        let count = move || async move { wr.store.advisories_for(None, 100).await.unwrap().len() };
        let advisory = |csrf: &str, cve: &str| -> Vec<(String, String)> {
            [
                ("csrf", csrf),
                ("title", "VPN appliance campaign"),
                ("title_ja", "VPN機器を狙う攻撃"),
                ("body", "Patch **now**."),
                ("body_ja", "直ちに**適用**してください。"),
                ("tlp", "TLP:AMBER"),
                ("category", "alert"),
                ("urgency", "high"),
                ("valid_from", ""),
                ("valid_until", "2027-01-31T00:00"),
                ("sectors", "electricity"),
                ("indicators", "ipv4:203.0.113.9"),
                ("cves", cve),
            ]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
        };

        // Operators and analysts do not write advisories.
        let mut op = signed_in(&w, "op", "en").await;
        assert!(!op
            .go(Method::GET, "/advisories", None)
            .await
            .body
            .contains("/advisories/new"));
        assert_eq!(
            op.go(Method::GET, "/advisories/new", None).await.status,
            StatusCode::FORBIDDEN
        );
        let op_csrf = csrf_for(&mut op, "/reports/new").await;
        assert_eq!(
            post(&mut op, "/advisories", &advisory(&op_csrf, ""))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        let mut analyst = signed_in(&w, "analyst", "en").await;
        assert_eq!(
            analyst
                .go(Method::GET, "/advisories/new", None)
                .await
                .status,
            StatusCode::FORBIDDEN
        );

        // The coordinator writes one: CSRF first, a bad CVE named, then delivered.
        let mut nisc = signed_in(&w, "nisc", "en").await;
        let form = nisc.go(Method::GET, "/advisories/new", None).await;
        assert!(nisc
            .go(Method::GET, "/advisories", None)
            .await
            .body
            .contains("href=\"/advisories/new\""));
        for field in [
            "title",
            "title_ja",
            "body",
            "body_ja",
            "urgency",
            "valid_from",
            "valid_until",
            "subsectors",
            "organisations",
            "prefixes",
            "domains",
            "products",
            "indicators",
            "cves",
        ] {
            assert!(
                form.body.contains(&format!("<label for=\"{field}\"")),
                "{field} has a label"
            );
        }
        let csrf = csrf_of(&form.body);
        assert_eq!(
            post(&mut nisc, "/advisories", &advisory(FORGED, ""))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        let bad = post(&mut nisc, "/advisories", &advisory(&csrf, "CVE-2024-1")).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            bad.body.contains("cves[0]") && bad.body.contains("VPN appliance campaign"),
            "named, and what was typed is kept: {}",
            bad.body
        );
        assert_eq!(count().await, 0, "{backend:?}");
        let sent = post(&mut nisc, "/advisories", &advisory(&csrf, "CVE-2024-3400")).await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
        let status_url = sent.location.unwrap();
        let id = status_url.split('/').nth(2).unwrap().to_owned();
        let a = w.store.advisory(&id).await.unwrap();
        assert_eq!(
            (
                a.fields.cves.len(),
                a.fields.indicators.len(),
                a.fields.urgency.as_str()
            ),
            (1, 1, "high")
        );
        assert!(a.fields.valid_until.is_some() && a.fields.title_ja.is_some());

        // The tracking page: tier by tier, and every organisation.
        let tracking = nisc.go(Method::GET, &status_url, None).await;
        assert_eq!(tracking.status, StatusCode::OK);
        for text in [
            "id=\"tiers\"",
            "Supervising ministries",
            "CEPTOARs / ISACs",
            "Operators and bodies",
            "Median minutes to acknowledge",
            "<th scope=\"row\">meti</th>",
            "<th scope=\"row\">ceptoar-electricity</th>",
            "<th scope=\"row\">kanto-power</th>",
            "waiting for relay",
        ] {
            assert!(
                tracking.body.contains(text),
                "{text:?} in {}",
                tracking.body
            );
        }

        // The hub reviews and relays with a note; it may not track.
        let mut hub = signed_in(&w, "hub", "en").await;
        let hp = hub
            .go(Method::GET, &format!("/advisories/{id}"), None)
            .await;
        assert!(
            hp.body
                .contains(&format!("action=\"/advisories/{id}/relay\"")),
            "{}",
            hp.body
        );
        assert!(
            !hp.body.contains("kanto-power") && !hp.body.contains("/status\""),
            "no other organisation's delivery: {}",
            hp.body
        );
        let hs = hub.go(Method::GET, &status_url, None).await;
        assert_eq!(hs.status, StatusCode::FORBIDDEN);
        assert!(!hs.body.contains("kanto-power") && !hs.body.contains("id=\"deliveries\""));
        // The operator has nothing yet: the advisory waits for the hub.
        assert_eq!(
            op.go(Method::GET, &format!("/advisories/{id}"), None)
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        let relay = |csrf: &str| {
            vec![
                ("csrf".to_string(), csrf.to_string()),
                (
                    "note".to_string(),
                    "電力分野: 週末までに適用してください".to_string(),
                ),
            ]
        };
        assert_eq!(
            post(&mut hub, &format!("/advisories/{id}/relay"), &relay(FORGED))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        assert!(w
            .store
            .advisory(&id)
            .await
            .unwrap()
            .deliveries
            .iter()
            .any(|d| d.org_id == "kanto-power" && d.delivered_at.is_none()));
        let relayed = post(
            &mut hub,
            &format!("/advisories/{id}/relay"),
            &relay(&csrf_of(&hp.body)),
        )
        .await;
        assert_eq!(relayed.status, StatusCode::SEE_OTHER, "{}", relayed.body);
        assert!(w
            .store
            .advisory(&id)
            .await
            .unwrap()
            .deliveries
            .iter()
            .all(|d| d.delivered_at.is_some()));
        // Relaying twice has nobody left to wait: no relay form.
        assert!(!hub
            .go(Method::GET, &format!("/advisories/{id}"), None)
            .await
            .body
            .contains("/relay\""));

        // The operator reads the hub's note, acknowledges, and sees no other delivery.
        let opage = op.go(Method::GET, &format!("/advisories/{id}"), None).await;
        assert!(
            opage.body.contains("週末までに適用してください")
                && opage.body.contains("Notes from the tiers above"),
            "{}",
            opage.body
        );
        assert!(
            !opage.body.contains("aoba-power")
                && !opage
                    .body
                    .contains(&format!("action=\"/advisories/{id}/relay\""))
        );
        assert_eq!(
            op.go(Method::GET, &status_url, None).await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            post(
                &mut op,
                &format!("/advisories/{id}/relay"),
                &relay(&op_csrf)
            )
            .await
            .status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "nobody below an operator"
        );
        op.go(
            Method::POST,
            &format!("/advisories/{id}/ack"),
            Some(&[("csrf", &op_csrf)]),
        )
        .await;
        // Neither another ministry nor an unrelated operator sees the rows.
        let mut mhlw = signed_in(&w, "mhlw", "en").await;
        let m = mhlw.go(Method::GET, &status_url, None).await;
        assert_eq!(m.status, StatusCode::NOT_FOUND);
        assert!(!m.body.contains("kanto-power"));
        let mut gas = signed_in(&w, "gasop", "en").await;
        assert_eq!(
            gas.go(Method::GET, &status_url, None).await.status,
            StatusCode::NOT_FOUND
        );
        let mut meti = signed_in(&w, "meti", "en").await;
        let mt = meti.go(Method::GET, &status_url, None).await;
        assert_eq!(
            mt.status,
            StatusCode::FORBIDDEN,
            "a relaying ministry is not the author"
        );
        assert!(!mt.body.contains("kanto-power"));
        let after = nisc.go(Method::GET, &status_url, None).await;
        assert!(
            after.body.contains("<span class=\"muted\">op</span>"),
            "acknowledged, and by whom: {}",
            after.body
        );
        assert!(
            after.body.contains("週末までに適用してください"),
            "the author sees the relay note"
        );

        // A ministry writes to its own sector and tracks its own advisory.
        let mcsrf = csrf_for(&mut meti, "/advisories/new").await;
        let mine = post(&mut meti, "/advisories", &advisory(&mcsrf, "")).await;
        assert_eq!(mine.status, StatusCode::SEE_OTHER, "{}", mine.body);
        let mine_url = mine.location.unwrap();
        let t = meti.go(Method::GET, &mine_url, None).await;
        assert_eq!(t.status, StatusCode::OK);
        assert!(
            t.body
                .contains("<th scope=\"row\">ceptoar-electricity</th>")
                && !t.body.contains("<th scope=\"row\">meti</th>"),
            "the author is not a recipient"
        );
        assert_eq!(
            nisc.go(Method::GET, &mine_url, None).await.status,
            StatusCode::OK,
            "the coordinator tracks everything"
        );
        assert_eq!(
            hub.go(Method::GET, &mine_url, None).await.status,
            StatusCode::FORBIDDEN
        );

        // Japanese tracking page.
        let mut ja = signed_in(&w, "nisc", "ja").await;
        let j = ja.go(Method::GET, &status_url, None).await;
        assert!(
            j.body.contains("配信状況")
                && j.body.contains("所管省庁")
                && j.body.contains("セプター等"),
            "{}",
            j.body
        );
    })
    .await;
}

#[tokio::test]
async fn drills_in_the_console() {
    each_backend(|TestDb { store, backend, .. }| async move {
        let w = common::world(store, ROLES, Settings::default()).await;
        let mut nisc = signed_in(&w, "nisc", "en").await;
        let list = nisc.go(Method::GET, "/drills", None).await;
        assert!(
            list.body.contains("href=\"/drills\"") && list.body.contains("Start a drill"),
            "{}",
            list.body
        );
        let csrf = csrf_of(&list.body);
        // Nobody but the coordinator.
        for who in ["op", "meti", "hub", "admin", "analyst"] {
            let mut b = signed_in(&w, who, "en").await;
            let home = b.go(Method::GET, "/home", None).await;
            assert!(!home.body.contains("href=\"/drills\""), "{who}: no link");
            assert_eq!(
                b.go(Method::GET, "/drills", None).await.status,
                StatusCode::FORBIDDEN,
                "{who}"
            );
            let c = csrf_of(&home.body);
            let p = b
                .go(
                    Method::POST,
                    "/drills",
                    Some(&[
                        ("csrf", &c),
                        ("title", "x"),
                        ("kind", "provision"),
                        ("all", "yes"),
                    ]),
                )
                .await;
            assert_eq!(p.status, StatusCode::FORBIDDEN, "{who}");
        }
        let start = |csrf: &str| {
            vec![
                ("csrf".to_string(), csrf.to_string()),
                ("title".into(), "FY2026 CEPTOAR drill".into()),
                ("kind".into(), "provision".into()),
                ("sectors".into(), "electricity".into()),
                ("sectors".into(), "gas".into()),
            ]
        };
        assert_eq!(
            post(&mut nisc, "/drills", &start(FORGED)).await.status,
            StatusCode::FORBIDDEN
        );
        let no_scope = post(
            &mut nisc,
            "/drills",
            &[
                ("csrf".into(), csrf.clone()),
                ("title".into(), "x".into()),
                ("kind".into(), "provision".into()),
            ],
        )
        .await;
        assert_eq!(no_scope.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(w.store.drills().await.unwrap().is_empty(), "{backend:?}");
        let made = post(&mut nisc, "/drills", &start(&csrf)).await;
        assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
        let url = made.location.unwrap();
        let d = w.store.drills().await.unwrap().remove(0);
        assert_eq!(url, format!("/drills/{}", d.id));
        // The operator confirms the drill message.
        let aid = d.advisory_id.clone().unwrap();
        w.call(
            "op",
            Method::POST,
            &format!("/api/v1/advisories/{aid}/ack"),
            None,
        )
        .await;
        w.call(
            "meti",
            Method::POST,
            &format!("/api/v1/advisories/{aid}/ack"),
            None,
        )
        .await;

        let page = nisc.go(Method::GET, &url, None).await;
        assert_eq!(page.status, StatusCode::OK);
        for text in [
            "id=\"by-tier\"",
            "id=\"by-sector\"",
            "id=\"by-ceptoar\"",
            "Electricity",
            "Gas",
            "Electricity CEPTOAR",
            "Supervising ministries",
            "id=\"unconfirmed\"",
            "Self-check sheets",
            "chart.svg",
            "<meter",
        ] {
            assert!(page.body.contains(text), "{text:?} in {}", page.body);
        }
        let unconfirmed = &page.body[page.body.find("id=\"unconfirmed\"").unwrap()..];
        let unconfirmed = &unconfirmed[..unconfirmed.find("</ul>").unwrap()];
        assert!(
            unconfirmed.contains("aoba-power")
                && unconfirmed.contains("hinode-gas")
                && !unconfirmed.contains("(kanto-power)")
                && !unconfirmed.contains("(meti)"),
            "{unconfirmed}"
        );
        let svg = nisc
            .go(Method::GET, &format!("{url}/chart.svg"), None)
            .await;
        assert!(svg.body.starts_with("<svg") && svg.body.contains("tier: ministry"));
        // The drill page lists contacts: never for anyone else.
        let mut op = signed_in(&w, "op", "en").await;
        let o = op.go(Method::GET, &url, None).await;
        assert_eq!(o.status, StatusCode::FORBIDDEN);
        assert!(!o.body.contains("aoba-power") && !o.body.contains("@"));
        assert_eq!(
            op.go(Method::GET, &format!("{url}/chart.svg"), None)
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        let list = nisc.go(Method::GET, "/drills", None).await;
        assert!(
            list.body.contains("FY2026 CEPTOAR drill") && list.body.contains("Provision drill")
        );
        let mut ja = signed_in(&w, "nisc", "ja").await;
        let j = ja.go(Method::GET, &url, None).await;
        assert!(
            j.body.contains("疎通確認") && j.body.contains("セプター別") && j.body.contains("電力"),
            "{}",
            j.body
        );
    })
    .await;
}

#[tokio::test]
async fn users_and_tokens_in_the_console() {
    each_backend(|TestDb { store, backend, .. }| async move {
        let w = common::world(store, ROLES, Settings::default()).await;
        let wr = &w;
        let id_of = move |name: &'static str| async move {
            wr.store.user_by_name(name).await.unwrap().unwrap().id
        };
        let mut admin = signed_in(&w, "admin", "en").await;
        let users = admin.go(Method::GET, "/admin/users", None).await;
        assert_eq!(users.status, StatusCode::OK);
        assert!(
            users.body.contains("href=\"/admin/users\"")
                && users.body.contains(">gasop<")
                && users.body.contains("Create a user"),
            "{}",
            users.body
        );
        let csrf = csrf_of(&users.body);
        // Nobody else lists, creates or disables users.
        for who in ["op", "nisc", "meti", "hub", "analyst"] {
            let mut b = signed_in(&w, who, "en").await;
            let home = b.go(Method::GET, "/home", None).await;
            assert!(!home.body.contains("href=\"/admin/users\""), "{who}");
            let u = b.go(Method::GET, "/admin/users", None).await;
            assert_eq!(u.status, StatusCode::FORBIDDEN, "{who}");
            assert!(
                !u.body.contains("gasop") && !u.body.contains("analyst<"),
                "{who} sees no users"
            );
            let c = csrf_of(&home.body);
            let p = b
                .go(
                    Method::POST,
                    "/admin/users",
                    Some(&[
                        ("csrf", &c),
                        ("username", "mallory"),
                        ("org", "nisc"),
                        ("roles", "administrator"),
                    ]),
                )
                .await;
            assert_eq!(p.status, StatusCode::FORBIDDEN, "{who}");
            let gid = id_of("gasop").await;
            let p = b
                .go(
                    Method::POST,
                    &format!("/admin/users/{gid}/disable"),
                    Some(&[("csrf", &c)]),
                )
                .await;
            assert_eq!(p.status, StatusCode::FORBIDDEN, "{who}");
        }
        assert!(
            w.store.user_by_name("mallory").await.unwrap().is_none(),
            "{backend:?}"
        );
        assert!(
            !w.store
                .user_by_name("gasop")
                .await
                .unwrap()
                .unwrap()
                .disabled
        );

        // The administrator creates a user: CSRF, then validation, then done.
        let new = |csrf: &str, name: &str| {
            vec![
                ("csrf".to_string(), csrf.to_string()),
                ("username".into(), name.to_string()),
                ("display_name".into(), "Suzuki Hanako".into()),
                ("org".into(), "hinode-gas".into()),
                ("roles".into(), "operator".into()),
                ("password".into(), "correct horse battery".into()),
            ]
        };
        assert_eq!(
            post(&mut admin, "/admin/users", &new(FORGED, "suzuki"))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        assert!(w.store.user_by_name("suzuki").await.unwrap().is_none());
        let bad = post(&mut admin, "/admin/users", &new(&csrf, "bad name!")).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.body.contains("username"));
        let made = post(&mut admin, "/admin/users", &new(&csrf, "suzuki")).await;
        assert_eq!(made.status, StatusCode::OK, "{}", made.body);
        assert!(made.body.contains("User created"));
        let u = w.store.user_by_name("suzuki").await.unwrap().unwrap();
        assert_eq!(
            (u.org.as_str(), u.roles.clone()),
            ("hinode-gas", vec![Role::Operator])
        );
        assert!(w
            .store
            .login("suzuki", "correct horse battery")
            .await
            .unwrap()
            .is_some());
        assert_eq!(
            post(&mut admin, "/admin/users", &new(&csrf, "suzuki"))
                .await
                .status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "exists"
        );
        // ... and disables one: their session stops working at once.
        let gid = id_of("gasop").await;
        assert_eq!(
            post(
                &mut admin,
                &format!("/admin/users/{gid}/disable"),
                &[("csrf".into(), FORGED.into())]
            )
            .await
            .status,
            StatusCode::FORBIDDEN
        );
        assert!(!w.store.user(&gid).await.unwrap().disabled);
        let mut gas = signed_in(&w, "gasop", "en").await;
        assert_eq!(
            post(
                &mut admin,
                &format!("/admin/users/{gid}/disable"),
                &[("csrf".into(), csrf.clone())]
            )
            .await
            .status,
            StatusCode::SEE_OTHER
        );
        assert!(w.store.user(&gid).await.unwrap().disabled);
        assert_eq!(
            gas.go(Method::GET, "/home", None).await.location.as_deref(),
            Some("/login")
        );

        // Tokens: one's own only, the secret once, revoke one's own.
        let mut op = signed_in(&w, "op", "en").await;
        let tp = op.go(Method::GET, "/tokens", None).await;
        assert_eq!(tp.status, StatusCode::OK);
        assert!(tp.body.contains("id=\"own-tokens\"") && !tp.body.contains("id=\"all-tokens\""));
        let meti_tokens = w.store.tokens(&id_of("meti").await).await.unwrap();
        assert!(
            !tp.body.contains(&meti_tokens[0].id) && !tp.body.contains(">meti<"),
            "no other user's token"
        );
        assert!(
            !tp.body.contains("name=\"user_id\""),
            "no tokens for others"
        );
        let op_id = id_of("op").await;
        let before = w.store.tokens(&op_id).await.unwrap().len();
        let tok = |csrf: &str, user: &str| {
            vec![
                ("csrf".to_string(), csrf.to_string()),
                ("label".into(), "ci pipeline".into()),
                ("expires_in_days".into(), "30".into()),
                ("user_id".into(), user.to_string()),
            ]
        };
        let opc = csrf_of(&tp.body);
        assert_eq!(
            post(&mut op, "/tokens", &tok(FORGED, "")).await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(w.store.tokens(&op_id).await.unwrap().len(), before);
        let meti_id = id_of("meti").await;
        assert_eq!(
            post(&mut op, "/tokens", &tok(&opc, &meti_id)).await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            w.store.tokens(&meti_id).await.unwrap().len(),
            meti_tokens.len(),
            "no token for another user"
        );
        let created = post(&mut op, "/tokens", &tok(&opc, "")).await;
        assert_eq!(created.status, StatusCode::OK, "{}", created.body);
        let i = created.body.find("value=\"skm_").expect("the secret, once") + 7;
        let secret = created.body[i..].split('"').next().unwrap().to_owned();
        assert!(w.store.authenticate(&secret).await.unwrap().is_some());
        let listed = op.go(Method::GET, "/tokens", None).await;
        assert!(
            !listed.body.contains(&secret) && listed.body.contains("ci pipeline"),
            "shown once"
        );
        let new_tok = w
            .store
            .tokens(&op_id)
            .await
            .unwrap()
            .into_iter()
            .find(|t| t.label == "ci pipeline")
            .unwrap();
        assert!(new_tok.expires_at.is_some());
        // Another user's token: not found, not revoked; one's own: revoked.
        let r = post(
            &mut op,
            &format!("/tokens/{}/revoke", meti_tokens[0].id),
            &[("csrf".into(), opc.clone())],
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert!(w
            .store
            .token(&meti_tokens[0].id)
            .await
            .unwrap()
            .revoked_at
            .is_none());
        assert_eq!(
            post(
                &mut op,
                &format!("/tokens/{}/revoke", new_tok.id),
                &[("csrf".into(), FORGED.into())]
            )
            .await
            .status,
            StatusCode::FORBIDDEN
        );
        assert!(w
            .store
            .token(&new_tok.id)
            .await
            .unwrap()
            .revoked_at
            .is_none());
        assert_eq!(
            post(
                &mut op,
                &format!("/tokens/{}/revoke", new_tok.id),
                &[("csrf".into(), opc.clone())]
            )
            .await
            .status,
            StatusCode::SEE_OTHER
        );
        assert!(w.store.authenticate(&secret).await.unwrap().is_none());

        // The administrator sees every user's tokens, issues and revokes for others.
        let at = admin.go(Method::GET, "/tokens", None).await;
        assert!(
            at.body.contains("id=\"all-tokens\"")
                && at.body.contains(&meti_tokens[0].id)
                && at.body.contains("name=\"user_id\""),
            "{}",
            at.body
        );
        let issued = post(&mut admin, "/tokens", &tok(&csrf, &meti_id)).await;
        assert_eq!(issued.status, StatusCode::OK);
        assert_eq!(
            issued.cache.as_deref(),
            Some("no-store"),
            "a secret is never cached"
        );
        assert_eq!(
            w.store.tokens(&meti_id).await.unwrap().len(),
            meti_tokens.len() + 1
        );
        assert_eq!(
            post(
                &mut admin,
                &format!("/tokens/{}/revoke", meti_tokens[0].id),
                &[("csrf".into(), csrf.clone())]
            )
            .await
            .status,
            StatusCode::SEE_OTHER
        );
        assert!(w
            .store
            .token(&meti_tokens[0].id)
            .await
            .unwrap()
            .revoked_at
            .is_some());

        // A machine identity signed in with its token gets none of these pages.
        let mut sensor = signed_in(&w, "sensor", "en").await;
        for path in ["/tokens", "/admin/users", "/drills", "/advisories/new"] {
            assert_eq!(
                sensor.go(Method::GET, path, None).await.status,
                StatusCode::FORBIDDEN,
                "{path}"
            );
        }

        // Japanese labels.
        let mut ja = signed_in(&w, "admin", "ja").await;
        let j = ja.go(Method::GET, "/admin/users", None).await;
        assert!(
            j.body.contains("ユーザーを作成") && j.body.contains("ロール"),
            "{}",
            j.body
        );
        let j = ja.go(Method::GET, "/tokens", None).await;
        assert!(j.body.contains("自分のトークン") && j.body.contains("失効させる"));
    })
    .await;
}

/// The intelligence pages' users: members and non-members of the electricity
/// sector community and of the Cybersecurity Council.
const INTEL_USERS: &[(&str, &str, Role)] = &[
    ("analyst", "jpcert", Role::Analyst),
    ("hub", "ceptoar-electricity", Role::HubSecretariat),
    ("meti", "meti", Role::MinistryOfficer),
    ("op", "kanto-power", Role::Operator),
    ("aoba", "aoba-power", Role::Operator),
    ("bank", "asagiri-bank", Role::Operator),
    ("bank2", "asagiri-bank", Role::Operator),
    ("nisc", "nisc", Role::Coordinator),
    ("sensor", "nisc", Role::Sensor),
];

/// The identity the test indicators name as their creator.
const CREATOR: &str = "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff";

fn stix_id(ty: &str) -> String {
    format!("{ty}--{}", uuid::Uuid::new_v4())
}

fn indicator(name: &str, value: &str) -> serde_json::Value {
    json!({
        "type": "indicator", "spec_version": "2.1", "id": stix_id("indicator"),
        "created": "2026-11-01T00:00:00.000Z", "modified": "2026-11-01T00:00:00.000Z",
        "name": name, "description": format!("{name}: block it."),
        "pattern": format!("[ipv4-addr:value = '{value}']"),
        "pattern_type": "stix", "valid_from": "2026-11-01T00:00:00Z",
        "labels": ["malicious-activity"],
        "created_by_ref": CREATOR,
        "external_references": [
            {"source_name": "mitre-attack", "external_id": "T1190"},
            {"source_name": "internal-ticket", "external_id": "KANRI-0042", "url": "https://tickets.example.jp/0042"}
        ]
    })
}

fn sighting(of: &str, count: u64) -> serde_json::Value {
    json!({
        "type": "sighting", "spec_version": "2.1", "id": stix_id("sighting"),
        "created": "2026-11-02T00:00:00.000Z", "modified": "2026-11-02T00:00:00.000Z",
        "sighting_of_ref": of, "count": count,
        "first_seen": "2026-11-02T00:00:00Z", "last_seen": "2026-11-02T06:00:00Z"
    })
}

async fn collection_of(w: &common::World, who: &str, community: &str) -> String {
    let (_, list) = w
        .call(who, Method::GET, "/api/v1/intel/collections", None)
        .await;
    list.as_array()
        .unwrap()
        .iter()
        .find(|c| c["community_id"] == community)
        .unwrap_or_else(|| panic!("{who} has no collection of {community}: {list}"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn share_api(w: &common::World, who: &str, body: serde_json::Value) -> String {
    let (s, st) = w
        .call(
            who,
            Method::POST,
            "/api/v1/intel/objects",
            Some(body.clone()),
        )
        .await;
    assert_eq!(
        (s, st["success_count"].as_u64()),
        (StatusCode::OK, Some(1)),
        "{st}"
    );
    body["objects"][0]["id"].as_str().unwrap().to_owned()
}

/// May `who` see the object (through the API)?
async fn visible(w: &common::World, who: &str, id: String) -> bool {
    w.call(
        who,
        Method::GET,
        &format!("/api/v1/intel/objects/{id}"),
        None,
    )
    .await
    .0 == StatusCode::OK
}

#[tokio::test]
async fn intelligence_pages_show_what_each_user_may_see() {
    each_backend(|TestDb { store, backend, .. }| async move {
        let w = common::world(store, INTEL_USERS, Settings::default()).await;
        let sector = collection_of(&w, "hub", "sector-electricity").await;
        let council = collection_of(&w, "hub", "cybersecurity-council").await;

        // TLP:GREEN in the electricity community; TLP:CLEAR from it, named after its source.
        let green = share_api(&w, "hub", json!({"collection": sector, "objects": [indicator("Green for the electricity community", "198.51.100.21")], "tlp": "TLP:GREEN"})).await;
        let clear = share_api(&w, "hub", json!({"collection": sector, "objects": [indicator("Seen by ceptoar-electricity members", "198.51.100.22")], "tlp": "TLP:CLEAR"})).await;
        // A public resolver: on a warninglist.
        let resolver = share_api(&w, "analyst", json!({"objects": [indicator("Resolver abuse", "8.8.8.8")], "tlp": "TLP:GREEN"})).await;
        // TLP:RED for one named person.
        let red = share_api(&w, "analyst", json!({"objects": [indicator("Red for one person", "198.51.100.23")], "tlp": "TLP:RED", "recipient_users": ["bank"]})).await;
        // In the Cybersecurity Council (members only, confidentiality notice).
        let secret = share_api(&w, "hub", json!({"collection": council, "objects": [indicator("Council: exploited VPN appliance", "198.51.100.24")], "tlp": "TLP:GREEN"})).await;
        // Sightings of the CLEAR indicator: one the whole platform sees (jpcert),
        // one only the electricity community sees.
        let seen_by_all = share_api(&w, "analyst", json!({"objects": [sighting(&clear, 3)], "tlp": "TLP:GREEN"})).await;
        share_api(&w, "hub", json!({"collection": sector, "objects": [sighting(&clear, 5)], "tlp": "TLP:GREEN"})).await;

        // The analyst: the search, the nav link, the detail page.
        let mut analyst = signed_in(&w, "analyst", "en").await;
        let home = analyst.go(Method::GET, "/home", None).await;
        assert!(home.body.contains("href=\"/intel\"") && home.body.contains("Intelligence"), "{}", home.body);
        let list = analyst.go(Method::GET, "/intel", None).await;
        assert_eq!(list.status, StatusCode::OK, "{backend:?}: {}", list.body);
        assert!(list.body.contains("class=\"tlp tlp-clear\"") && list.body.contains(&format!("href=\"/intel/{clear}\"")), "{}", list.body);
        assert!(list.body.contains("class=\"cards\" id=\"objects\""), "phone-friendly cards");
        assert!(!list.body.contains("Green for the electricity community"), "jpcert is not in the electricity community");
        assert!(list.body.contains("warninglist") && list.body.contains("Resolver abuse"), "the warninglist badge");
        let found = analyst.go(Method::GET, "/intel?q=198.51.100.22&type=indicator", None).await;
        assert!(found.body.contains(&format!("href=\"/intel/{clear}\"")), "{}", found.body);
        assert!(!found.body.contains(&format!("href=\"/intel/{resolver}\"")), "the search selects");
        let none = analyst.go(Method::GET, "/intel?q=198.51.100.22&type=malware", None).await;
        assert!(none.body.contains("No intelligence that you may see."));
        let detail = analyst.go(Method::GET, &format!("/intel/{clear}"), None).await;
        assert_eq!(detail.status, StatusCode::OK, "{}", detail.body);
        for part in ["Properties", "<pre class=\"json\">", "malicious-activity", "T1190", "Versions you may see", "ipv4-addr:value=198.51.100.22", "Sightings"] {
            assert!(detail.body.contains(part), "{part}: {}", detail.body);
        }
        let ja = signed_in(&w, "analyst", "ja").await.go(Method::GET, "/intel", None).await;
        assert!(ja.body.contains("脅威情報") && ja.body.contains("登録日時"), "{}", ja.body);

        // An operator outside the electricity community: not its GREEN object;
        // its CLEAR object anonymised on the list and on the object page.
        let mut op = signed_in(&w, "op", "en").await;
        let list = op.go(Method::GET, "/intel", None).await;
        assert!(!list.body.contains(&green) && !list.body.contains("Green for the electricity community"), "{backend:?}");
        assert!(list.body.contains("[匿名化 anonymised]") && list.body.contains("badge badge-anon"), "{}", list.body);
        assert!(!list.body.contains("ceptoar-electricity"), "the source's name is replaced: {}", list.body);
        assert!(!list.body.contains(&secret) && !list.body.contains("class=\"banner confidential\""), "not a Council member");
        assert!(!list.body.contains(&red));
        assert_eq!(op.go(Method::GET, &format!("/intel/{green}"), None).await.status, StatusCode::NOT_FOUND);
        assert_eq!(op.go(Method::GET, &format!("/intel/{secret}"), None).await.status, StatusCode::NOT_FOUND);
        let page = op.go(Method::GET, &format!("/intel/{clear}"), None).await;
        assert_eq!(page.status, StatusCode::OK);
        for gone in [CREATOR, "ceptoar-electricity", "KANRI-0042", "tickets.example.jp", "created_by_ref"] {
            assert!(!page.body.contains(gone), "{backend:?}: {gone} shown to an outsider: {}", page.body);
        }
        assert!(page.body.contains("T1190") && page.body.contains("badge badge-anon"), "the technique travels");
        // Sightings: two organisations in all; only the one op may know is named.
        let sightings = &page.body[page.body.find("id=\"sightings\"").unwrap()..];
        assert!(sightings.contains("Sightings you may see: <strong>1</strong>") && sightings.contains("Organisations in all: <strong>2</strong>"), "{sightings}");
        assert!(sightings.contains("href=\"/registry/jpcert\"") && sightings.contains(&seen_by_all), "{sightings}");
        assert!(sightings.contains("1 more organisation(s) sighted it"), "{sightings}");
        // A member sees both sightings, and the CLEAR object in full.
        let mut hub = signed_in(&w, "hub", "en").await;
        let full = hub.go(Method::GET, &format!("/intel/{clear}"), None).await;
        assert!(full.body.contains(CREATOR) && full.body.contains("KANRI-0042"), "{}", full.body);
        let sightings = &full.body[full.body.find("id=\"sightings\"").unwrap()..];
        assert!(sightings.contains("Sightings you may see: <strong>2</strong>") && sightings.contains("Times seen: <strong>8</strong>"), "{sightings}");

        // TLP:RED: the named user only.
        let mut bank = signed_in(&w, "bank", "en").await;
        assert!(bank.go(Method::GET, "/intel", None).await.body.contains("Red for one person"));
        assert_eq!(bank.go(Method::GET, &format!("/intel/{red}"), None).await.status, StatusCode::OK);
        let mut bank2 = signed_in(&w, "bank2", "en").await;
        assert!(!bank2.go(Method::GET, "/intel", None).await.body.contains("Red for one person"));
        assert_eq!(bank2.go(Method::GET, &format!("/intel/{red}"), None).await.status, StatusCode::NOT_FOUND);

        // The Council's confidentiality notice, for members, on both pages.
        let mut meti = signed_in(&w, "meti", "ja").await;
        let list = meti.go(Method::GET, &format!("/intel?collection={council}"), None).await;
        assert!(list.body.contains("class=\"banner confidential\"") && list.body.contains("サイバーセキュリティ協議会"), "{}", list.body);
        let one = meti.go(Method::GET, &format!("/intel/{secret}"), None).await;
        assert!(one.body.contains("class=\"banner confidential\"") && one.body.contains("Council: exploited VPN appliance"));
        // ...and not in a page without Council objects.
        let plain = meti.go(Method::GET, "/intel?q=198.51.100.21", None).await;
        assert!(plain.body.contains("Green for the electricity community") && !plain.body.contains("banner confidential"));
        // A collection one may not read.
        let mut opc = signed_in(&w, "op", "en").await;
        assert_eq!(opc.go(Method::GET, &format!("/intel?collection={council}"), None).await.status, StatusCode::NOT_FOUND);

        // The export: what the user may see, as the API exports it, as a download.
        let export = op.go(Method::GET, "/intel/export", None).await;
        assert_eq!(export.status, StatusCode::OK);
        assert!(export.disposition.as_deref().is_some_and(|d| d.starts_with("attachment") && d.contains(".json")), "{:?}", export.disposition);
        let bundle: serde_json::Value = serde_json::from_str(&export.body).unwrap();
        assert_eq!(bundle["type"], "bundle");
        let ids: std::collections::BTreeSet<String> = bundle["objects"].as_array().unwrap().iter().filter(|o| o["type"] != "marking-definition").map(|o| o["id"].as_str().unwrap().to_owned()).collect();
        assert!(ids.contains(&clear) && ids.contains(&resolver) && ids.contains(&seen_by_all), "{ids:?}");
        for hidden in [&green, &red, &secret] {
            assert!(!ids.contains(hidden), "{backend:?}: {hidden} exported to the operator");
        }
        let exported = bundle["objects"].as_array().unwrap().iter().find(|o| o["id"] == clear.as_str()).unwrap();
        assert!(exported.get("created_by_ref").is_none() && !exported.to_string().contains("KANRI-0042"), "exported anonymised: {exported}");
        let (_, api) = w.raw("op", Method::GET, "/api/v1/intel/export", None, &[]).await;
        let api: serde_json::Value = serde_json::from_str(&api).unwrap();
        let api_ids: std::collections::BTreeSet<String> = api["objects"].as_array().unwrap().iter().filter(|o| o["type"] != "marking-definition").map(|o| o["id"].as_str().unwrap().to_owned()).collect();
        assert_eq!(ids, api_ids, "the same as the API's export");
        let only = op.go(Method::GET, "/intel/export?q=198.51.100.22&type=indicator", None).await;
        assert!(only.body.contains(&clear) && !only.body.contains(&resolver), "the export follows the search");

        // The coordinator's dashboard: the newest intelligence it may see.
        let mut nisc = signed_in(&w, "nisc", "en").await;
        let d = nisc.go(Method::GET, "/dashboard", None).await;
        let newest = &d.body[d.body.find("id=\"newest-intel\"").expect("the newest intelligence")..];
        assert!(newest.contains(&format!("href=\"/intel/{secret}\"")) && !newest.contains(&red), "{newest}");
        assert_eq!(newest.matches("<li>").count(), 5, "{newest}");

        // A machine identity reads but does not share.
        let mut sensor = signed_in(&w, "sensor", "en").await;
        assert_eq!(sensor.go(Method::GET, "/intel", None).await.status, StatusCode::OK);
        assert_eq!(sensor.go(Method::GET, "/intel/new", None).await.status, StatusCode::FORBIDDEN);
        assert!(!sensor.go(Method::GET, "/intel", None).await.body.contains("href=\"/intel/new\""));
    })
    .await;
}

#[tokio::test]
async fn intelligence_is_shared_and_relayed_through_the_console() {
    each_backend(|TestDb { store, backend, .. }| async move {
        let w = common::world(store, INTEL_USERS, Settings::default()).await;
        let mut analyst = signed_in(&w, "analyst", "en").await;
        let form = analyst.go(Method::GET, "/intel/new", None).await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.body);
        assert!(form.body.contains("name=\"stix\"") && form.body.contains("value=\"community:sector-electricity\""));
        let csrf = csrf_of(&form.body);
        let share = |csrf: &str, stix: &str, tlp: &str, recipients: &[&str]| -> Vec<(String, String)> {
            let mut f: Vec<(String, String)> = vec![
                ("csrf".into(), csrf.into()),
                ("stix".into(), stix.into()),
                ("collection".into(), sakimori_store::SHARED_COLLECTION.into()),
                ("tlp".into(), tlp.into()),
                ("recipient_users".into(), String::new()),
            ];
            f.extend(recipients.iter().map(|r| ("recipients".to_string(), r.to_string())));
            f
        };

        // An invalid object in a bundle: refused, named with its property; nothing written.
        let good = indicator("Phishing kit host", "203.0.113.50");
        let mut bad = indicator("Bad time", "203.0.113.51");
        bad["modified"] = json!("yesterday");
        let bundle = json!({"type": "bundle", "id": stix_id("bundle"), "objects": [good.clone(), bad.clone()]}).to_string();
        let refused = post(&mut analyst, "/intel", &share(&csrf, &bundle, "TLP:GREEN", &[])).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{backend:?}");
        let errors = &refused.body[refused.body.find("id=\"share-errors\"").expect("the refusals")..];
        assert!(errors.contains(bad["id"].as_str().unwrap()) && errors.contains("<code>modified</code>"), "{errors}");
        assert!(refused.body.contains("yesterday") && refused.body.contains("Phishing kit host"), "what was typed is kept");
        assert!(!visible(&w, "analyst", good["id"].as_str().unwrap().to_owned()).await, "nothing written");
        // Not JSON at all; TLP:AMBER without recipients (refused by the store, object named).
        let r = post(&mut analyst, "/intel", &share(&csrf, "{not json", "", &[])).await;
        assert!(r.status == StatusCode::UNPROCESSABLE_ENTITY && r.body.contains("JSON: "), "{}", r.body);
        let r = post(&mut analyst, "/intel", &share(&csrf, &good.to_string(), "TLP:AMBER", &[])).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains(good["id"].as_str().unwrap()) && r.body.contains("needs recipients"), "{}", r.body);
        // A forged CSRF token.
        let forged = post(&mut analyst, "/intel", &share(FORGED, &good.to_string(), "TLP:GREEN", &[])).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        assert!(!visible(&w, "analyst", good["id"].as_str().unwrap().to_owned()).await);

        // Shared as TLP:AMBER to the electricity CEPTOAR.
        let ok = post(&mut analyst, "/intel", &share(&csrf, &good.to_string(), "TLP:AMBER", &["ceptoar-electricity"])).await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
        let done = analyst.go(Method::GET, ok.location.as_deref().unwrap(), None).await;
        let id = good["id"].as_str().unwrap().to_owned();
        assert!(done.body.contains("role=\"status\"") && done.body.contains(&format!("href=\"/intel/{id}\"")), "{}", done.body);
        let mine = analyst.go(Method::GET, &format!("/intel/{id}"), None).await;
        assert!(mine.body.contains("class=\"tlp tlp-amber\"") && mine.body.contains("ceptoar-electricity"), "the sharer sees its recipients");
        assert!(!mine.body.contains("action=\"/intel/"), "the sharer does not relay");
        assert!(visible(&w, "hub", id.clone()).await && !visible(&w, "aoba", id.clone()).await);

        // The recipient relays it to a constituent.
        let mut hub = signed_in(&w, "hub", "en").await;
        let page = hub.go(Method::GET, &format!("/intel/{id}"), None).await;
        let relay_url = format!("/intel/{id}/relay");
        assert!(page.body.contains(&format!("action=\"{relay_url}\"")), "{}", page.body);
        assert!(page.body.contains("value=\"aoba-power\"") && !page.body.contains("value=\"hinode-gas\""), "constituents only");
        let hcsrf = csrf_of(&page.body);
        let relay = |csrf: &str, to: &str| -> Vec<(String, String)> {
            vec![("csrf".into(), csrf.into()), ("collection".into(), sakimori_store::SHARED_COLLECTION.into()), ("to".into(), to.into())]
        };
        assert_eq!(post(&mut hub, &relay_url, &relay(FORGED, "aoba-power")).await.status, StatusCode::FORBIDDEN);
        assert!(!visible(&w, "aoba", id.clone()).await);
        let denied = post(&mut hub, &relay_url, &relay(&hcsrf, "hinode-gas")).await;
        assert_eq!(denied.status, StatusCode::FORBIDDEN, "not a constituent: {}", denied.body);
        let relayed = post(&mut hub, &relay_url, &relay(&hcsrf, "aoba-power")).await;
        assert_eq!(relayed.status, StatusCode::SEE_OTHER, "{}", relayed.body);
        assert!(hub.go(Method::GET, relayed.location.as_deref().unwrap(), None).await.body.contains("Relayed to"));
        assert!(visible(&w, "aoba", id.clone()).await, "relayed");
        // An operator that only got it relayed may not relay further; no form.
        let mut aoba = signed_in(&w, "aoba", "en").await;
        let page = aoba.go(Method::GET, &format!("/intel/{id}"), None).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(!page.body.contains(&format!("action=\"{relay_url}\"")));
        // Paging with `next`, 50 to a page, the search kept.
        let bulk: Vec<serde_json::Value> = (0..53).map(|i| indicator(&format!("Paged scanner {i:02}"), &format!("192.0.2.{i}"))).collect();
        let (s, st) = w.call("analyst", Method::POST, "/api/v1/intel/objects", Some(json!({"objects": bulk, "tlp": "TLP:GREEN"}))).await;
        assert_eq!((s, st["success_count"].as_u64()), (StatusCode::OK, Some(53)), "{st}");
        let first = analyst.go(Method::GET, "/intel?q=paged+scanner&type=indicator", None).await;
        assert_eq!(first.body.matches("Paged scanner").count(), 50);
        let i = first.body.find("rel=\"next\" href=\"").expect("a next link") + 17;
        let next = first.body[i..].split('"').next().unwrap().replace("&amp;", "&");
        assert!(next.contains("q=paged%20scanner") && next.contains("type=indicator") && next.contains("next="), "{next}");
        let second = analyst.go(Method::GET, &next, None).await;
        assert_eq!(second.body.matches("Paged scanner").count(), 3, "{}", second.body);
        assert!(second.body.contains("Paged scanner 52") && !second.body.contains("rel=\"next\"") && second.body.contains("First page"));

        // Searching finds it; the Japanese form.
        assert!(aoba.go(Method::GET, "/intel?q=203.0.113.50", None).await.body.contains("Phishing kit host"));
        let ja = signed_in(&w, "analyst", "ja").await.go(Method::GET, "/intel/new", None).await;
        assert!(ja.body.contains("脅威情報を共有") && ja.body.contains("共有先"), "{}", ja.body);
    })
    .await;
}
