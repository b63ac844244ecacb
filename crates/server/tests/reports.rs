//! Incident reports end to end through the API, on both engines: one submission
//! reaches the ministry, NISC and the CEPTOAR; each acknowledges; the reporter
//! sees who has it; updates are versions; outage mode changes routing; reports
//! link into incidents; severity is evaluated with reasons; notifications go out
//! by e-mail (to a local SMTP sink) and signed webhook.

mod common;

use axum::body::Body;
use axum::Router;
use http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use sakimori_core::Role;
use sakimori_store::testing::{each_backend, TestDb};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tower::ServiceExt;

/// Users: (name, organisation, role).
const USERS: &[(&str, &str, Role)] = &[
    ("op", "kanto-power", Role::Operator),
    ("gasop", "hinode-gas", Role::Operator),
    ("meti", "meti", Role::MinistryOfficer),
    ("ceptoar", "ceptoar-electricity", Role::HubSecretariat),
    ("nisc", "nisc", Role::Coordinator),
    ("npa", "npa", Role::MinistryOfficer),
    ("fsa", "fsa", Role::MinistryOfficer),
];

fn minimal(summary: &str) -> Value {
    json!({"summary": summary, "detected_at": "2026-11-21T23:10:00Z", "service_affected": true, "status": "reported"})
}

fn recipients(r: &Value) -> Vec<(String, i64, String)> {
    r["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["org_id"].as_str().unwrap().to_owned(),
                x["priority"].as_i64().unwrap(),
                x["urgency"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn one_report_reaches_ministry_nisc_and_ceptoar_who_acknowledge() {
    each_backend(|TestDb { store, backend, .. }| async move {
        let w = world(store).await;
        let mut body = minimal("Billing system unavailable");
        body["also_notify"] = json!(["npa"]);
        let (status, r) = w
            .call_with("op", Method::POST, "/api/v1/reports", Some(body), &[])
            .await;
        assert_eq!(status, StatusCode::CREATED, "{backend:?} {r}");
        let id = r["id"].as_str().unwrap().to_owned();
        assert_eq!(
            recipients(&r),
            vec![
                ("meti".into(), 1, "normal".into()),
                ("nisc".into(), 2, "normal".into()),
                ("ceptoar-electricity".into(), 3, "normal".into()),
                ("npa".into(), 4, "normal".into())
            ],
            "{backend:?}"
        );
        // Each recipient sees it in its list; an unrelated ministry does not.
        for who in ["meti", "ceptoar", "nisc", "npa"] {
            let (_, list) = w
                .call_with(who, Method::GET, "/api/v1/reports", None, &[])
                .await;
            assert!(
                list.as_array()
                    .unwrap()
                    .iter()
                    .any(|x| x["id"] == id.as_str()),
                "{who} sees the report"
            );
        }
        let (_, list) = w
            .call_with("fsa", Method::GET, "/api/v1/reports", None, &[])
            .await;
        assert!(list.as_array().unwrap().is_empty());
        let (status, _) = w
            .call_with(
                "fsa",
                Method::GET,
                &format!("/api/v1/reports/{id}"),
                None,
                &[],
            )
            .await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "existence not confirmed to outsiders"
        );
        let (status, _) = w
            .call_with(
                "gasop",
                Method::POST,
                &format!("/api/v1/reports/{id}/ack"),
                None,
                &[],
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // The ministry opens it (read), then every recipient acknowledges.
        let (_, seen) = w
            .call_with(
                "meti",
                Method::GET,
                &format!("/api/v1/reports/{id}"),
                None,
                &[],
            )
            .await;
        assert!(seen["recipients"][0]["read_at"].is_string());
        for who in ["meti", "ceptoar", "nisc", "npa"] {
            let (status, r) = w
                .call_with(
                    who,
                    Method::POST,
                    &format!("/api/v1/reports/{id}/ack"),
                    None,
                    &[],
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{who}: {r}");
        }
        let (status, _) = w
            .call_with(
                "op",
                Method::POST,
                &format!("/api/v1/reports/{id}/ack"),
                None,
                &[],
            )
            .await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "the reporter does not acknowledge its own report"
        );

        // The reporter sees who has it.
        let (_, mine) = w
            .call_with(
                "op",
                Method::GET,
                &format!("/api/v1/reports/{id}"),
                None,
                &[],
            )
            .await;
        assert_eq!(
            mine["fields"]["status"], "acknowledged",
            "the first acknowledgement moves the status"
        );
        assert!(mine["recipients"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["acknowledged_at"].is_string() && x["read_at"].is_string()));
        assert_eq!(mine["recipients"][0]["acknowledged_by"], "meti");

        // Timeline: created, delivered x4, read, acknowledged x4, status version.
        let (_, t) = w
            .call_with(
                "op",
                Method::GET,
                &format!("/api/v1/reports/{id}/timeline"),
                None,
                &[],
            )
            .await;
        let whats: Vec<&str> = t
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["what"].as_str().unwrap())
            .collect();
        assert_eq!(whats.iter().filter(|w| **w == "delivered").count(), 4);
        assert_eq!(whats.iter().filter(|w| **w == "acknowledged").count(), 4);
        assert_eq!(whats.iter().filter(|w| **w == "version").count(), 2);
    })
    .await;
}

#[tokio::test]
async fn mandatory_fields_unknown_classes_and_retries() {
    each_backend(|TestDb { store, backend, .. }| async move {
        let w = world(store).await;
        for (missing, field) in [
            ("summary", "summary"),
            ("detected_at", "detected_at"),
            ("service_affected", "service_affected"),
            ("status", "status"),
        ] {
            let mut body = minimal("x");
            body.as_object_mut().unwrap().remove(missing);
            let (status, e) = w
                .call_with("op", Method::POST, "/api/v1/reports", Some(body), &[])
                .await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{backend:?}");
            assert_eq!(e["error"]["field"], field, "{e}");
        }
        let mut body = minimal("x");
        body["event_class"] = json!("alien-invasion");
        let (status, e) = w
            .call_with("op", Method::POST, "/api/v1/reports", Some(body), &[])
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            e["error"]["message"]
                .as_str()
                .unwrap()
                .contains("alien-invasion"),
            "{e}"
        );
        let mut body = minimal("x");
        body["affected_sectors"] = json!(["electricity", "space"]);
        let (_, e) = w
            .call_with("op", Method::POST, "/api/v1/reports", Some(body), &[])
            .await;
        assert_eq!(e["error"]["field"], "affected_sectors[1]");
        let mut body = minimal("x");
        body["observables"] = json!([{"kind": "ipv4", "value": "999.1.1.1"}]);
        let (_, e) = w
            .call_with("op", Method::POST, "/api/v1/reports", Some(body), &[])
            .await;
        assert_eq!(e["error"]["field"], "observables[0].value");
        assert_eq!(report_count(&w).await, 0, "nothing stored");

        let key = [("idempotency-key", "fs01-2026-11-22")];
        let (s1, r1) = w
            .call_with(
                "op",
                Method::POST,
                "/api/v1/reports",
                Some(minimal("Ransom note")),
                &key,
            )
            .await;
        let (s2, r2) = w
            .call_with(
                "op",
                Method::POST,
                "/api/v1/reports",
                Some(minimal("Ransom note")),
                &key,
            )
            .await;
        assert_eq!((s1, s2), (StatusCode::CREATED, StatusCode::OK));
        assert_eq!(r1["id"], r2["id"]);
        assert_eq!(
            report_count(&w).await,
            1,
            "a retried submission stores once"
        );
    })
    .await;
}

#[tokio::test]
async fn updates_are_versions_and_only_the_reporter_or_centre_update() {
    each_backend(|TestDb { store, .. }| async move {
        let w = world(store).await;
        let (_, r) = w.call_with("op", Method::POST, "/api/v1/reports", Some(minimal("Web server slow")), &[]).await;
        let id = r["id"].as_str().unwrap();
        let patch = json!({"status": "under-response", "event_class": "availability", "causes": ["ddos"], "attack_types": ["ddos"],
                           "impact": {"affected_people": 20000, "duration_hours": 8, "substitutability": "partial"}});
        let (status, r) = w.call_with("op", Method::PATCH, &format!("/api/v1/reports/{id}"), Some(patch), &[]).await;
        assert_eq!(status, StatusCode::OK, "{r}");
        assert_eq!(r["version"], 2);
        assert_eq!(r["fields"]["event_class"], "availability");
        let (status, _) = w.call_with("meti", Method::PATCH, &format!("/api/v1/reports/{id}"), Some(json!({"status": "closed"})), &[]).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "a recipient does not rewrite the report");
        let (status, r) = w.call_with("nisc", Method::PATCH, &format!("/api/v1/reports/{id}"), Some(json!({"event_class": "malware-infection"})), &[]).await;
        assert_eq!(status, StatusCode::OK, "NISC classifies");
        assert_eq!(r["version"], 3);
        let (_, t) = w.call_with("op", Method::GET, &format!("/api/v1/reports/{id}/timeline"), None, &[]).await;
        let versions: Vec<&Value> = t.as_array().unwrap().iter().filter(|e| e["what"] == "version").collect();
        assert_eq!(versions.len(), 3);
        assert_eq!(versions[1]["detail"]["changed"], json!(["attack_types", "causes", "event_class", "impact", "status"]));
        assert_eq!((versions[2]["organisation"].as_str(), versions[2]["detail"]["changed"].clone()), (Some("nisc"), json!(["event_class"])));
    })
    .await;
}

#[tokio::test]
async fn outage_mode_changes_routing_and_every_switch_is_logged() {
    each_backend(|TestDb { store, backend, .. }| async move {
        let w = world(store).await;
        let (status, _) = w
            .call_with(
                "meti",
                Method::PUT,
                "/api/v1/modes/electricity",
                Some(json!({"mode": "large-scale-outage"})),
                &[],
            )
            .await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "only the coordinator switches"
        );
        let (status, m) = w
            .call_with(
                "nisc",
                Method::PUT,
                "/api/v1/modes/electricity",
                Some(json!({"mode": "large-scale-outage"})),
                &[],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{m}");
        let (_, r) = w
            .call_with(
                "op",
                Method::POST,
                "/api/v1/reports",
                Some(minimal("Grid control down")),
                &[],
            )
            .await;
        let rec = recipients(&r);
        assert!(
            rec.iter().all(|(_, _, u)| u == "immediate"),
            "{backend:?} {rec:?}"
        );
        assert!(
            rec.contains(&("nisc".into(), 1, "immediate".into())),
            "NISC at once: {rec:?}"
        );
        assert_eq!(r["mode"], "large-scale-outage");
        // Gas is not in outage mode.
        let (_, g) = w
            .call_with(
                "gasop",
                Method::POST,
                "/api/v1/reports",
                Some(minimal("Meter reading delayed")),
                &[],
            )
            .await;
        assert!(recipients(&g).iter().all(|(_, _, u)| u == "normal"));
        w.call_with(
            "nisc",
            Method::PUT,
            "/api/v1/modes/electricity",
            Some(json!({"mode": "normal"})),
            &[],
        )
        .await;
        let (status, e) = w
            .call_with(
                "nisc",
                Method::PUT,
                "/api/v1/modes/space",
                Some(json!({"mode": "normal"})),
                &[],
            )
            .await;
        assert_eq!(
            (status, e["error"]["field"].clone()),
            (StatusCode::UNPROCESSABLE_ENTITY, json!("scope"))
        );
        let switches: Vec<_> = w
            .store
            .audit_entries(0, 100_000)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.action == "mode.switch")
            .collect();
        assert_eq!(switches.len(), 2);
        assert!(switches
            .iter()
            .all(|e| e.actor_user == "nisc" && e.entity_id == "electricity"));
    })
    .await;
}

#[tokio::test]
async fn reports_link_into_incidents_and_get_severity_with_reasons() {
    each_backend(|TestDb { store, .. }| async move {
        let w = world(store).await;
        let mut a = minimal("Ransomware at control centre");
        a["impact"] = json!({"affected_people": 2_000_000, "affected_area": "region", "duration_hours": 80, "substitutability": "none"});
        let (_, ra) = w.call_with("op", Method::POST, "/api/v1/reports", Some(a), &[]).await;
        let (_, rb) = w.call_with("gasop", Method::POST, "/api/v1/reports", Some(minimal("Ransomware at gas dispatch")), &[]).await;
        let (status, inc) = w
            .call_with("nisc", Method::POST, "/api/v1/incidents", Some(json!({"reports": [ra["id"], rb["number"].to_string()], "title": "Supply-chain ransomware"})), &[])
            .await;
        assert_eq!(status, StatusCode::OK, "{inc}");
        assert_eq!(inc["reports"].as_array().unwrap().len(), 2);
        let (status, _) = w.call_with("meti", Method::POST, "/api/v1/incidents", Some(json!({"reports": [ra["id"]], "title": "x"})), &[]).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (_, split) = w.call_with("nisc", Method::POST, &format!("/api/v1/reports/{}/unlink", rb["id"].as_str().unwrap()), None, &[]).await;
        assert!(split["incident_id"].is_null());

        let id = ra["id"].as_str().unwrap();
        let (status, prov) = w.call_with("nisc", Method::POST, &format!("/api/v1/reports/{id}/severity"), Some(json!({"kind": "provisional"})), &[]).await;
        assert_eq!(status, StatusCode::OK, "{prov}");
        assert_eq!(prov["record"]["evaluation"]["overall"], 4, "{prov}");
        let continuity = &prov["record"]["evaluation"]["viewpoints"][0];
        assert_eq!(continuity["viewpoint"], "continuity");
        assert!(continuity["reasons"].as_array().unwrap().iter().any(|r| r["indicator"] == "affected_people" && r["input"].as_str().unwrap().contains("2000000")), "{continuity}");
        assert!(prov["nciss"]["score"].as_u64().unwrap() > 50);
        let (_, fin) = w
            .call_with("nisc", Method::POST, &format!("/api/v1/reports/{id}/severity"), Some(json!({"kind": "final", "inputs": {"affected_people": 500, "duration_hours": 2}})), &[])
            .await;
        assert_eq!(fin["record"]["evaluation"]["overall"], 1, "{fin}");
        let (_, all) = w.call_with("op", Method::GET, &format!("/api/v1/reports/{id}/severity"), None, &[]).await;
        let kinds: Vec<&str> = all.as_array().unwrap().iter().map(|s| s["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, vec!["provisional", "final"], "both are kept, with author and time");
        assert!(all[0]["author_user"] == "nisc" && all[0]["at"].is_string());
        let (status, _) = w.call_with("op", Method::POST, &format!("/api/v1/reports/{id}/severity"), Some(json!({"kind": "final"})), &[]).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "only NISC evaluates");

        let (_, anon) = w.call_with("nisc", Method::GET, &format!("/api/v1/reports/{id}/anonymised"), None, &[]).await;
        assert_eq!(anon["sector"], "electricity");
        assert!(!anon.to_string().contains("kanto") && !anon.to_string().contains("Ransomware at control"), "{anon}");
    })
    .await;
}

/// A minimal SMTP server that keeps every message it receives.
async fn smtp_sink() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let got = Arc::new(Mutex::new(Vec::new()));
    let keep = got.clone();
    tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = listener.accept().await else {
                return;
            };
            let keep = keep.clone();
            tokio::spawn(async move {
                let (r, mut wr) = sock.into_split();
                let mut lines = BufReader::new(r).lines();
                wr.write_all(b"220 sink ESMTP\r\n").await.ok();
                let (mut data, mut in_data) = (String::new(), false);
                while let Ok(Some(line)) = lines.next_line().await {
                    if in_data {
                        if line == "." {
                            in_data = false;
                            keep.lock().unwrap().push(std::mem::take(&mut data));
                            wr.write_all(b"250 OK queued\r\n").await.ok();
                        } else {
                            data.push_str(&line);
                            data.push('\n');
                        }
                        continue;
                    }
                    let reply: &[u8] =
                        match line.get(..4).map(|s| s.to_ascii_uppercase()).as_deref() {
                            Some("EHLO") => b"250-sink\r\n250 8BITMIME\r\n",
                            Some("DATA") => {
                                in_data = true;
                                b"354 go ahead\r\n"
                            }
                            Some("RCPT") if line.contains("bounce") => {
                                b"550 5.1.1 no such user\r\n"
                            }
                            Some("QUIT") => {
                                wr.write_all(b"221 bye\r\n").await.ok();
                                return;
                            }
                            _ => b"250 OK\r\n",
                        };
                    wr.write_all(reply).await.ok();
                }
            });
        }
    });
    (format!("smtp://{addr}"), got)
}

/// A webhook receiver that keeps (signature, event, body).
async fn webhook_sink() -> (String, Arc<Mutex<Vec<(String, String, String)>>>) {
    let got = Arc::new(Mutex::new(Vec::new()));
    let keep = got.clone();
    let app = Router::new().route(
        "/hook",
        axum::routing::post(move |headers: http::HeaderMap, body: String| {
            let keep = keep.clone();
            async move {
                let h = |k: &str| {
                    headers
                        .get(k)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_owned()
                };
                keep.lock()
                    .unwrap()
                    .push((h("x-sakimori-signature"), h("x-sakimori-event"), body));
                StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    (url, got)
}

#[tokio::test]
async fn recipients_are_notified_by_email_and_signed_webhook() {
    each_backend(|TestDb { store, backend, .. }| async move {
        let w = world(store).await;
        let (smtp_url, mails) = smtp_sink().await;
        let (hook_url, hooks) = webhook_sink().await;
        let secret = "meti-webhook-secret-0001";
        let (status, _) = w
            .call_with(
                "meti",
                Method::PUT,
                "/api/v1/organisations/meti/webhook",
                Some(json!({"url": hook_url, "secret": secret})),
                &[],
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _) = w
            .call_with(
                "op",
                Method::PUT,
                "/api/v1/organisations/meti/webhook",
                Some(json!({"url": hook_url, "secret": secret})),
                &[],
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // The reference ministries and hubs come without contacts: register some.
        for (who, org, email) in [
            ("meti", "meti", "cyber-desk@meti.example.jp"),
            (
                "ceptoar",
                "ceptoar-electricity",
                "secretariat@ceptoar-denki.example.jp",
            ),
        ] {
            let c = json!({"role": "duty-officer", "name": "Duty officer", "email": email});
            let (status, _) = w
                .call_with(
                    who,
                    Method::POST,
                    &format!("/api/v1/organisations/{org}/contacts"),
                    Some(c),
                    &[],
                )
                .await;
            assert_eq!(status, StatusCode::OK);
        }
        let (_, r) = w
            .call_with(
                "op",
                Method::POST,
                "/api/v1/reports",
                Some(minimal("Phishing wave against staff")),
                &[],
            )
            .await;
        let notifier = sakimori_notify::Notifier::new(
            w.store.clone(),
            sakimori_notify::NotifyConfig {
                smtp_url: Some(smtp_url),
                from: "sakimori@nisc.example.jp".into(),
                base_url: Some("https://sakimori.example".into()),
            },
        )
        .unwrap();
        let sent = notifier.run_once().await.unwrap();
        assert_eq!(sent, 3, "{backend:?}: two e-mails and one webhook");

        // E-mail to the primary contacts of the recipients that have some.
        let mails = mails.lock().unwrap().clone();
        let expected: Vec<String> = {
            let mut v = Vec::new();
            for org in ["meti", "nisc", "ceptoar-electricity"] {
                for c in w.store.contacts(org).await.unwrap() {
                    if !c.deputy.0 {
                        v.push(c.email);
                    }
                }
            }
            v
        };
        assert_eq!(
            mails.len(),
            expected.len(),
            "{backend:?}: one mail per primary contact of each recipient"
        );
        assert!(
            mails
                .iter()
                .all(|m| m.contains("Subject: [Sakimori] report")
                    && m.contains(r["id"].as_str().unwrap())),
            "{mails:?}"
        );

        // The webhook is signed with the organisation's secret.
        let hooks = hooks.lock().unwrap().clone();
        assert_eq!(hooks.len(), 1, "{backend:?}");
        let (sig, event, body) = &hooks[0];
        assert_eq!(event, "report.submitted");
        assert_eq!(sig, &sakimori_notify::signature(secret, body.as_bytes()));
        assert_eq!(
            serde_json::from_str::<Value>(body).unwrap()["report_id"],
            r["id"]
        );

        // Every attempt is logged; nothing is left to send.
        let log = w.store.notifications(100).await.unwrap();
        assert!(
            log.iter().all(|n| n.sent_at.is_some() && n.attempts == 1),
            "{log:?}"
        );
        assert_eq!(notifier.run_once().await.unwrap(), 0);
    })
    .await;
}

#[tokio::test]
async fn attachments_are_limited_and_hashed() {
    let (db, _guard) = sakimori_store::testing::sqlite().await;
    let w = world(db.store).await;
    let (_, r) = w
        .call_with(
            "op",
            Method::POST,
            "/api/v1/reports",
            Some(minimal("Suspicious binary")),
            &[],
        )
        .await;
    let id = r["id"].as_str().unwrap();
    let up = |bytes: Vec<u8>| {
        let req = Request::builder()
            .method(Method::POST)
            .uri(format!("/api/v1/reports/{id}/attachments?name=sample.bin"))
            .header("authorization", format!("Bearer {}", w.tokens["op"]))
            .header("content-type", "application/octet-stream")
            .body(Body::from(bytes))
            .unwrap();
        w.app.clone().oneshot(req)
    };
    let resp = up(b"MZ\x90\x00 sample".to_vec()).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let info: Value =
        serde_json::from_slice(&resp.into_body().collect().await.unwrap().to_bytes()).unwrap();
    use sha2::Digest;
    assert_eq!(
        info["sha256"],
        hex::encode(sha2::Sha256::digest(b"MZ\x90\x00 sample"))
    );
    assert_eq!(info["size"], 11);
    let resp = up(vec![0u8; 11 * 1024 * 1024]).await.unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn statistics_count_reports_of_the_fiscal_year_but_never_drills() {
    each_backend(|TestDb { store, backend, .. }| async move {
        let w = world(store).await;
        // FY2025: Q1 (May), Q3 (December) and Q4 (March, Japan time); a drill; FY2024.
        let cases = [
            ("2025-05-10T03:00:00Z", "availability", false),
            ("2025-12-01T03:00:00Z", "malware-infection", false),
            ("2026-03-31T14:59:00Z", "availability", false),
            ("2025-06-01T00:00:00Z", "intrusion", true),
            ("2025-03-31T15:30:00Z", "near-miss", false),
        ];
        for (t, class, drill) in cases {
            let mut b = minimal("stat");
            b["detected_at"] = json!(t);
            b["event_class"] = json!(class);
            b["causes"] = json!(["ddos", "unknown"]);
            let uri = if drill {
                "/api/v1/reports?drill=true"
            } else {
                "/api/v1/reports"
            };
            let (status, r) = w.call_with("op", Method::POST, uri, Some(b), &[]).await;
            assert_eq!(status, StatusCode::CREATED, "{r}");
        }
        let (status, st) = w
            .call_with("nisc", Method::GET, "/api/v1/statistics?fy=2025", None, &[])
            .await;
        assert_eq!(status, StatusCode::OK, "{st}");
        assert_eq!(
            st["reports_in"],
            json!({"q1": 2, "q2": 0, "q3": 1, "q4": 1, "total": 4}),
            "{backend:?}: the drill is not counted; 31 March 15:30 UTC is 1 April in Japan"
        );
        let events = &st["events"]["total"];
        assert_eq!(events["total"], 4);
        let (status, _) = w
            .call_with("op", Method::GET, "/api/v1/statistics?fy=2025", None, &[])
            .await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "operators do not read national statistics"
        );
        let (status, e) = w
            .call_with(
                "nisc",
                Method::GET,
                "/api/v1/statistics?fy=2025&format=pdf",
                None,
                &[],
            )
            .await;
        assert_eq!(
            (status, e["error"]["field"].clone()),
            (StatusCode::UNPROCESSABLE_ENTITY, json!("format"))
        );
    })
    .await;
}

#[tokio::test]
async fn without_a_relay_emails_are_logged_as_not_sent_and_not_retried() {
    let (db, _guard) = sakimori_store::testing::sqlite().await;
    let w = world(db.store).await;
    w.call_with(
        "meti",
        Method::POST,
        "/api/v1/organisations/meti/contacts",
        Some(json!({"role": "poc", "name": "Desk", "email": "desk@meti.example.jp"})),
        &[],
    )
    .await;
    w.call_with(
        "op",
        Method::POST,
        "/api/v1/reports",
        Some(minimal("No relay")),
        &[],
    )
    .await;
    let notifier =
        sakimori_notify::Notifier::new(w.store.clone(), sakimori_notify::NotifyConfig::default())
            .unwrap();
    assert_eq!(notifier.run_once().await.unwrap(), 1);
    assert_eq!(notifier.run_once().await.unwrap(), 0, "not retried");
    let log = w.store.notifications(10).await.unwrap();
    assert!(
        log[0].sent_at.is_none()
            && log[0]
                .last_error
                .as_deref()
                .unwrap()
                .contains("no SMTP relay")
    );
}

#[tokio::test]
async fn a_refused_address_marks_the_contact_and_is_not_retried() {
    each_backend(|TestDb { store, backend, .. }| async move {
        let w = world(store).await;
        let (smtp_url, mails) = smtp_sink().await;
        for email in ["bounce@meti.example.jp", "desk@meti.example.jp"] {
            let (status, _) = w
                .call_with(
                    "meti",
                    Method::POST,
                    "/api/v1/organisations/meti/contacts",
                    Some(json!({"role": "poc", "name": "Desk", "email": email})),
                    &[],
                )
                .await;
            assert_eq!(status, StatusCode::OK);
        }
        w.call_with(
            "op",
            Method::POST,
            "/api/v1/reports",
            Some(minimal("Bounce test")),
            &[],
        )
        .await;
        let cfg = sakimori_notify::NotifyConfig {
            smtp_url: Some(smtp_url),
            from: "s@nisc.example.jp".into(),
            base_url: None,
        };
        let notifier = sakimori_notify::Notifier::new(w.store.clone(), cfg).unwrap();
        assert_eq!(notifier.run_once().await.unwrap(), 2);
        assert_eq!(
            notifier.run_once().await.unwrap(),
            0,
            "{backend:?}: the bounce is not retried"
        );
        assert_eq!(mails.lock().unwrap().len(), 1);
        let contacts = w.store.contacts("meti").await.unwrap();
        let bounced: Vec<&str> = contacts
            .iter()
            .filter(|c| c.bounced_at.is_some())
            .map(|c| c.email.as_str())
            .collect();
        assert_eq!(bounced, vec!["bounce@meti.example.jp"]);
        let log = w.store.notifications(10).await.unwrap();
        assert!(log.iter().any(|n| n.target == "bounce@meti.example.jp"
            && n.last_error.as_deref().unwrap_or("").starts_with("bounced")));
    })
    .await;
}

async fn world(store: sakimori_store::Store) -> common::World {
    common::world(store, USERS, sakimori_server::Settings::default()).await
}

async fn report_count(w: &common::World) -> usize {
    w.store.reports_for(None, 100_000).await.unwrap().len()
}
