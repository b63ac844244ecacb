//! Events requiring confirmation (確認を要するイベント) through the REST API and
//! the console, on both engines: events made by the sensor engine from a
//! Suricata EVE alert against a registered organisation, triaged by the
//! centre's analyst — confirmed (the owner alone is notified, with sightings),
//! dismissed with a suppression that silences the next batch, escalated to a
//! report — and refused to everyone else.

mod common;

use axum::body::Body;
use http::{header, Method, Request, StatusCode};
use http_body_util::BodyExt;
use sakimori_core::{Actor, Role};
use sakimori_sensor::{Engine, EveReader, Observation, Sensor};
use sakimori_server::Settings;
use sakimori_store::testing::{each_backend, TestDb};
use sakimori_store::{BatchOutcome, Store};
use serde_json::{json, Value};
use tower::ServiceExt;

const USERS: &[(&str, &str, Role)] = &[
    // The coordination centre (NISC in the reference registry).
    ("analyst", "nisc", Role::Analyst),
    ("coord", "nisc", Role::Coordinator),
    ("admin", "nisc", Role::Administrator),
    // An analyst outside the centre: the permission, but not the centre.
    ("jpcert", "jpcert", Role::Analyst),
    // The owner of 192.0.2.0/27 and everybody around it.
    ("kanto", "kanto-power", Role::Operator),
    ("grid", "kanto-power-grid", Role::Operator),
    ("aoba", "aoba-power", Role::Operator),
    ("meti", "meti", Role::MinistryOfficer),
    ("ceptoar", "ceptoar-electricity", Role::HubSecretariat),
];

/// Users of organisations other than the owner, who must learn nothing.
const OTHERS: &[&str] = &["grid", "aoba", "meti", "ceptoar", "jpcert"];

/// The attacker and the owner's address (inside kanto-power's 192.0.2.0/27).
const ATTACKER: &str = "203.0.113.50";
const TARGET_IP: &str = "192.0.2.10";
const SIGNATURE: &str = "ET EXPLOIT VPN appliance directory traversal";

fn alert(src: &str, dst: &str, minute: u32, signature: &str) -> String {
    json!({
        "timestamp": format!("2026-11-20T10:{minute:02}:00.000000+0900"),
        "event_type": "alert", "src_ip": src, "src_port": 51000 + minute, "dest_ip": dst,
        "dest_port": 443, "proto": "TCP",
        "alert": {"action": "allowed", "signature_id": 2049000, "signature": signature,
                  "category": "Attempted Administrator Privilege Gain", "severity": 1}
    })
    .to_string()
}

/// Runs the sensor engine over EVE lines, with the registry's addresses, the
/// stored suppressions and `indicators`, and applies the batch to the store.
async fn batch(store: &Store, id: &str, lines: &[String], indicators: &[Value]) -> BatchOutcome {
    let mut engine = Engine::new();
    engine.assets = store.asset_index().await.unwrap();
    engine.noise.suppressions = store.suppressions().await.unwrap();
    for i in indicators {
        engine.matcher.insert_stix(i).unwrap();
    }
    let text = lines.join("\n");
    let reader = EveReader::new(
        text.as_bytes(),
        "eve.json",
        Sensor::new("tap-1", "kasumigaseki"),
    );
    let observations: Vec<Observation> = reader.map(|r| r.unwrap()).collect();
    let b = engine.run(&observations);
    store
        .apply_sensor_batch(
            &Actor::system(),
            id,
            "tap-1",
            observations.len() as u64,
            &b,
            engine.window,
        )
        .await
        .unwrap()
}

fn indicator() -> Value {
    json!({
        "type": "indicator", "spec_version": "2.1",
        "id": format!("indicator--{}", uuid::Uuid::new_v4()),
        "created": "2026-11-01T00:00:00.000Z", "modified": "2026-11-01T00:00:00.000Z",
        "name": "VPN exploitation campaign node",
        "pattern": format!("[ipv4-addr:value = '{ATTACKER}']"),
        "pattern_type": "stix", "valid_from": "2026-11-01T00:00:00Z"
    })
}

/// The only event listed for the analyst (a fresh installation has one).
async fn only_event(w: &common::World) -> Value {
    let (status, list) = w.call("analyst", Method::GET, "/api/v1/events", None).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    list[0].clone()
}

fn assert_field(status: StatusCode, body: &Value, field: &str) {
    assert!(
        status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::BAD_REQUEST,
        "{status} {body}"
    );
    assert_eq!(body["error"]["field"], field, "{body}");
}

/// Every audit entry, oldest first, as the administrator reads them.
async fn audit(w: &common::World) -> Vec<Value> {
    let mut all = Vec::new();
    loop {
        let after = all
            .last()
            .map(|e: &Value| e["seq"].as_i64().unwrap())
            .unwrap_or(0);
        let (status, page) = w
            .call(
                "admin",
                Method::GET,
                &format!("/api/v1/audit?after={after}&limit=1000"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let page = page.as_array().unwrap().clone();
        if page.is_empty() {
            return all;
        }
        all.extend(page);
    }
}

/// The sightings `who` may see.
async fn sightings(w: &common::World, who: &str) -> Vec<Value> {
    let (status, r) = w
        .call(
            who,
            Method::GET,
            "/api/v1/intel/objects?type=sighting",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{who}: {r}");
    r["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["object"].clone())
        .collect()
}

#[tokio::test]
async fn an_event_is_confirmed_and_only_its_owner_is_notified() {
    each_backend(|TestDb { store, backend, .. }| async move {
        let w = common::world(store, USERS, Settings::default()).await;
        // The centre shares an indicator; the sensors see the attacker three times.
        let ind = indicator();
        let ind_id = ind["id"].as_str().unwrap().to_owned();
        let (status, r) = w
            .call(
                "coord",
                Method::POST,
                "/api/v1/intel/objects",
                Some(json!({"tlp": "TLP:GREEN", "objects": [ind.clone()]})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{r}");
        let lines: Vec<String> = (0..3)
            .map(|m| alert(ATTACKER, TARGET_IP, m, SIGNATURE))
            .collect();
        let out = batch(&w.store, "b-1", &lines, std::slice::from_ref(&ind)).await;
        assert_eq!((out.new_events, out.duplicate), (1, false), "{backend:?}");

        // The centre's analyst lists it; nobody else may.
        let e = only_event(&w).await;
        assert_eq!(e["target_org"], "kanto-power", "{e}");
        assert_eq!(e["state"], "open");
        assert_eq!(e["source"], ATTACKER);
        assert_eq!(e["count"], 3);
        assert_eq!(e["technique"], "indicator: VPN exploitation campaign node");
        assert!(e["detail"]["indicators"].get(&ind_id).is_some(), "{e}");
        assert_eq!(e["detail"]["evidence"].as_array().unwrap().len(), 3);
        let id = e["id"].as_str().unwrap().to_owned();
        let number = e["number"].as_i64().unwrap();
        for who in [
            "kanto", "meti", "ceptoar", "grid", "aoba", "jpcert", "admin",
        ] {
            for path in [
                "/api/v1/events".to_owned(),
                format!("/api/v1/events/{id}"),
                "/api/v1/events/statistics".into(),
                "/api/v1/sensors".into(),
                "/api/v1/suppressions".into(),
            ] {
                let (status, body) = w.call(who, Method::GET, &path, None).await;
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{backend:?} {who} {path}: {body}"
                );
                assert!(!body.to_string().contains(ATTACKER));
            }
            let (status, _) = w
                .call(
                    who,
                    Method::POST,
                    &format!("/api/v1/events/{id}/confirm"),
                    Some(json!({"tlp": "amber"})),
                )
                .await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{who}");
        }
        // By id or number; filtered by state and organisation.
        for r in [id.clone(), number.to_string()] {
            let (status, one) = w
                .call("analyst", Method::GET, &format!("/api/v1/events/{r}"), None)
                .await;
            assert_eq!(
                (status, one["id"].as_str()),
                (StatusCode::OK, Some(id.as_str())),
                "{one}"
            );
        }
        for (query, n) in [
            ("state=open", 1),
            ("state=confirmed", 0),
            ("state=all", 1),
            ("org=kanto-power", 1),
            ("org=aoba-power", 0),
            ("state=open&org=kanto-power&limit=5", 1),
        ] {
            let (status, list) = w
                .call(
                    "analyst",
                    Method::GET,
                    &format!("/api/v1/events?{query}"),
                    None,
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{query}: {list}");
            assert_eq!(list.as_array().unwrap().len(), n, "{query}");
        }
        let (status, body) = w
            .call("analyst", Method::GET, "/api/v1/events?state=purple", None)
            .await;
        assert_field(status, &body, "state");
        let (status, body) = w
            .call("analyst", Method::GET, "/api/v1/events?limit=many", None)
            .await;
        assert_field(status, &body, "limit");
        for missing in ["no-such-event", "9999"] {
            let (status, _) = w
                .call(
                    "analyst",
                    Method::GET,
                    &format!("/api/v1/events/{missing}"),
                    None,
                )
                .await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
            let (status, _) = w
                .call(
                    "analyst",
                    Method::POST,
                    &format!("/api/v1/events/{missing}/confirm"),
                    Some(json!({"tlp": "amber"})),
                )
                .await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
        }

        // Bad bodies name the field, and change nothing.
        let confirm = format!("/api/v1/events/{id}/confirm");
        for (body, field) in [
            (json!({"tlp": "purple"}), "tlp"),
            (json!({"tlp": "TLP:WHITE"}), "tlp"),
            (json!({"tlp": "red"}), "tlp"),
            (json!({"tlp": "clear"}), "tlp"),
            (json!({"note": "no tlp"}), "tlp"),
            (json!({}), "tlp"),
            (json!({"tlp": "amber", "colour": "amber"}), "colour"),
            (json!({"tlp": 3}), "tlp"),
            (json!({"tlp": "amber", "note": ["a"]}), "note"),
        ] {
            let (status, answer) = w
                .call("analyst", Method::POST, &confirm, Some(body.clone()))
                .await;
            assert_field(status, &answer, field);
        }
        let (status, answer) = w.raw("analyst", Method::POST, &confirm, None, &[]).await;
        let answer: Value = serde_json::from_str(&answer).unwrap();
        assert_field(status, &answer, "tlp");
        assert_eq!(only_event(&w).await["state"], "open");

        // Confirmed at TLP:AMBER: an advisory addressed to kanto-power alone.
        let (status, c) = w
            .call(
                "analyst",
                Method::POST,
                &confirm,
                Some(json!({"tlp": "amber", "note": "Patch the VPN appliance now"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{backend:?} {c}");
        assert_eq!(c["event"]["state"], "confirmed");
        assert_eq!(c["event"]["tlp"], "TLP:AMBER");
        assert_eq!(c["event"]["decided_by"], "analyst");
        let advisory = c["advisory_id"].as_str().unwrap().to_owned();
        assert_eq!(c["event"]["advisory_id"], advisory.as_str());

        let (_, inbox) = w
            .call("kanto", Method::GET, "/api/v1/advisories", None)
            .await;
        let item = inbox
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == advisory.as_str())
            .unwrap_or_else(|| panic!("{backend:?}: the owner has the notification: {inbox}"))
            .clone();
        assert_eq!(item["fields"]["tlp"], "TLP:AMBER");
        assert!(
            item["body_html"]
                .as_str()
                .unwrap()
                .contains("Patch the VPN appliance now"),
            "{item}"
        );
        assert!(item["body_html"].as_str().unwrap().contains(ATTACKER));
        let (status, _) = w
            .call(
                "kanto",
                Method::GET,
                &format!("/api/v1/advisories/{advisory}"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        for who in OTHERS {
            let (status, inbox) = w.call(who, Method::GET, "/api/v1/advisories", None).await;
            assert_eq!(status, StatusCode::OK, "{who}");
            assert!(
                !inbox
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|a| a["id"] == advisory.as_str()),
                "{backend:?}: {who} must not receive the notification"
            );
            assert!(!inbox.to_string().contains(ATTACKER), "{who}");
            let (status, _) = w
                .call(
                    who,
                    Method::GET,
                    &format!("/api/v1/advisories/{advisory}"),
                    None,
                )
                .await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{who}");
        }

        // Decided once: a second decision is a conflict.
        for (path, body) in [
            ("confirm", json!({"tlp": "amber"})),
            ("dismiss", json!({"note": "late"})),
            ("escalate", json!({})),
        ] {
            let (status, answer) = w
                .call(
                    "analyst",
                    Method::POST,
                    &format!("/api/v1/events/{id}/{path}"),
                    Some(body),
                )
                .await;
            assert_eq!(status, StatusCode::CONFLICT, "{path}: {answer}");
            assert_eq!(answer["error"]["code"], "conflict");
        }
        let (_, inbox) = w
            .call("kanto", Method::GET, "/api/v1/advisories", None)
            .await;
        assert_eq!(inbox.as_array().unwrap().len(), 1, "one notification only");

        // In the audit log, by the analyst.
        let log = audit(&w).await;
        assert!(
            log.iter().any(|e| e["action"] == "event.confirm"
                && e["entity_id"] == id.as_str()
                && e["actor_user"] == "analyst"),
            "{backend:?}: no event.confirm in the audit log"
        );

        // The sighting of the indicator, shared with the owner only.
        let seen = sightings(&w, "kanto").await;
        let s = seen
            .iter()
            .find(|s| s["sighting_of_ref"] == ind_id.as_str())
            .unwrap_or_else(|| panic!("{backend:?}: the owner sees the sighting: {seen:?}"));
        assert_eq!(s["count"], 3);
        for who in ["aoba", "grid", "meti", "ceptoar", "jpcert"] {
            let seen = sightings(&w, who).await;
            assert!(
                !seen.iter().any(|s| s["sighting_of_ref"] == ind_id.as_str()),
                "{backend:?}: {who} must not see the sighting"
            );
        }
        let sighting_id = s["id"].as_str().unwrap();
        let (status, _) = w
            .call(
                "aoba",
                Method::GET,
                &format!("/api/v1/intel/objects/{sighting_id}"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // Counted as a notification.
        let (status, st) = w
            .call("analyst", Method::GET, "/api/v1/events/statistics", None)
            .await;
        assert_eq!(status, StatusCode::OK, "{st}");
        assert_eq!(
            (st["events"].as_i64(), st["notifications"].as_i64()),
            (Some(1), Some(1)),
            "{backend:?} {st}"
        );
        assert_eq!(st["notifications_by_org"]["kanto-power"], 1);
        assert_eq!(st["events_by_sector"]["electricity"], 1);
        assert_eq!(st["records"], 3, "{backend:?} {st}");
    })
    .await;
}

#[tokio::test]
async fn a_dismissed_event_with_a_suppression_silences_the_next_batch() {
    each_backend(|TestDb { store, backend, .. }| async move {
        let w = common::world(store, USERS, Settings::default()).await;
        let scanner = "198.51.100.23";
        let lines: Vec<String> = (0..4).map(|m| alert(scanner, "192.0.2.11", m, SIGNATURE)).collect();
        assert_eq!(batch(&w.store, "b-1", &lines, &[]).await.new_events, 1);
        let e = only_event(&w).await;
        assert_eq!(e["technique"], SIGNATURE);
        let id = e["id"].as_str().unwrap().to_owned();
        let dismiss = format!("/api/v1/events/{id}/dismiss");

        for (body, field) in [
            (json!({"note": 7, "suppress": true}), "note"),
            (json!({"note": "scanner", "suppress": "yes"}), "suppress"),
            (json!({"note": "scanner", "forever": true}), "forever"),
        ] {
            let (status, answer) = w.call("analyst", Method::POST, &dismiss, Some(body)).await;
            assert_field(status, &answer, field);
        }
        let (status, d) = w
            .call("analyst", Method::POST, &dismiss, Some(json!({"note": "A university's research scan", "suppress": true})))
            .await;
        assert_eq!(status, StatusCode::OK, "{backend:?} {d}");
        assert_eq!(d["state"], "dismissed");
        let suppression = d["suppression_id"].as_str().unwrap().to_owned();
        let (status, list) = w.call("analyst", Method::GET, "/api/v1/suppressions", None).await;
        assert_eq!(status, StatusCode::OK);
        let s = list
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == suppression.as_str())
            .unwrap_or_else(|| panic!("{list}"))
            .clone();
        assert_eq!(s["source"], format!("{scanner}/32"));
        assert_eq!(s["technique"], SIGNATURE);
        assert_eq!(s["reason"], "A university's research scan");
        // Nothing notified.
        let (_, inbox) = w.call("kanto", Method::GET, "/api/v1/advisories", None).await;
        assert!(inbox.as_array().unwrap().is_empty());

        // The same source and technique again, an hour later: dropped as suppressed noise.
        let later: Vec<String> = (0..5)
            .map(|m| alert(scanner, "192.0.2.11", m, SIGNATURE).replace("T10:", "T11:"))
            .collect();
        let out = batch(&w.store, "b-2", &later, &[]).await;
        assert_eq!((out.new_events, out.updated_events), (0, 0), "{backend:?}");
        // The same batch delivered again changes nothing.
        assert!(batch(&w.store, "b-2", &later, &[]).await.duplicate);
        let (status, st) = w
            .call("analyst", Method::GET, "/api/v1/events/statistics?from=2026-01-01&to=2027-12-31", None)
            .await;
        assert_eq!(status, StatusCode::OK, "{st}");
        assert_eq!(st["noise"]["suppressed"], 5, "{backend:?} {st}");
        assert_eq!(st["records"], 9, "{backend:?} {st}");
        assert_eq!(st["events"], 1);
        assert_eq!(st["events_by_state"]["dismissed"], 1);
        assert_eq!(st["notifications"], 0);
        let ratio = st["noise_ratio"].as_f64().unwrap();
        assert!((ratio - 5.0 / 9.0).abs() < 1e-9, "{ratio}");
        assert_eq!(only_event(&w).await["count"], 4, "the dismissed event is not reopened");
        // Another technique from the same source still makes an event.
        let other = vec![alert(scanner, "192.0.2.11", 30, "ET SCAN Something else")];
        assert_eq!(batch(&w.store, "b-3", &other, &[]).await.new_events, 1);
        // Dismissed without a note or a suppression (as `sakimori events dismiss` sends it).
        let (_, open) = w.call("analyst", Method::GET, "/api/v1/events?state=open", None).await;
        let third = open[0]["id"].as_str().unwrap().to_owned();
        let (status, d) = w
            .call("analyst", Method::POST, &format!("/api/v1/events/{third}/dismiss"), Some(json!({"note": null, "suppress": false})))
            .await;
        assert_eq!((status, d["state"].as_str(), d["suppression_id"].as_str()), (StatusCode::OK, Some("dismissed"), None), "{d}");

        // The sensor and the statistics' parameters.
        let (status, sensors) = w.call("analyst", Method::GET, "/api/v1/sensors", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(sensors[0]["sensor"], "tap-1", "{sensors}");
        assert_eq!(sensors[0]["site"], "kasumigaseki");
        assert_eq!(sensors[0]["records"], 10, "{backend:?} {sensors}");
        let (status, st) = w.call("analyst", Method::GET, "/api/v1/events/statistics", None).await;
        assert_eq!(status, StatusCode::OK);
        let fy = sakimori_core::report::fiscal_quarter(chrono::Utc::now()).0;
        assert_eq!(st["from"], format!("{fy}-04-01"), "the current fiscal year by default");
        assert_eq!(st["to"], format!("{}-03-31", fy + 1));
        for (query, field) in [("from=2026-13-01", "from"), ("to=yesterday", "to"), ("from=2026-05-01&to=2026-04-01", "to")] {
            let (status, body) = w.call("analyst", Method::GET, &format!("/api/v1/events/statistics?{query}"), None).await;
            assert_field(status, &body, field);
        }
        let (status, st) = w
            .call("analyst", Method::GET, "/api/v1/events/statistics?from=2020-01-01&to=2020-12-31", None)
            .await;
        assert_eq!((status, st["records"].as_i64(), st["events"].as_i64()), (StatusCode::OK, Some(0), Some(0)));

        // Suppressions by hand: named fields, then removed.
        for (body, field) in [
            (json!({"source": "203.0.113.0/24"}), "reason"),
            (json!({"reason": "nothing to match"}), "suppression"),
            (json!({"source": "not-an-address", "reason": "x"}), "source"),
            (json!({"target": "192.0.2.300", "reason": "x"}), "target"),
            (json!({"signature_id": -1, "reason": "x"}), "signature_id"),
            (json!({"until": "tomorrow", "technique": "x", "reason": "x"}), "until"),
        ] {
            let (status, answer) = w.call("analyst", Method::POST, "/api/v1/suppressions", Some(body)).await;
            assert_field(status, &answer, field);
        }
        let (status, made) = w
            .call("analyst", Method::POST, "/api/v1/suppressions", Some(json!({"source": "203.0.113.0/24", "signature_id": 2049000, "reason": "Our own lab"})))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{made}");
        assert_eq!(made["source"], "203.0.113.0/24");
        let (status, _) = w
            .call("jpcert", Method::POST, "/api/v1/suppressions", Some(json!({"source": "203.0.113.1", "reason": "x"})))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        for sid in [suppression.as_str(), made["id"].as_str().unwrap()] {
            let (status, _) = w.call("jpcert", Method::DELETE, &format!("/api/v1/suppressions/{sid}"), None).await;
            assert_eq!(status, StatusCode::FORBIDDEN);
            let (status, _) = w.call("analyst", Method::DELETE, &format!("/api/v1/suppressions/{sid}"), None).await;
            assert_eq!(status, StatusCode::NO_CONTENT);
            let (status, _) = w.call("analyst", Method::DELETE, &format!("/api/v1/suppressions/{sid}"), None).await;
            assert_eq!(status, StatusCode::NOT_FOUND);
        }
        let (_, list) = w.call("analyst", Method::GET, "/api/v1/suppressions", None).await;
        assert_eq!(list, json!([]));
        // With the suppression gone, the scanner makes an event again.
        let again = vec![alert(scanner, "192.0.2.11", 0, SIGNATURE).replace("T10:", "T15:")];
        assert_eq!(batch(&w.store, "b-4", &again, &[]).await.new_events, 1, "{backend:?}");
        let log = audit(&w).await;
        for action in ["event.dismiss", "suppression.add", "suppression.remove"] {
            assert!(log.iter().any(|e| e["action"] == action && e["actor_user"] == "analyst"), "{action}");
        }
    })
    .await;
}

#[tokio::test]
async fn an_escalated_event_becomes_a_report_of_the_centre() {
    each_backend(|TestDb { store, backend, .. }| async move {
        let w = common::world(store, USERS, Settings::default()).await;
        let lines: Vec<String> = (0..2)
            .map(|m| alert(ATTACKER, TARGET_IP, m, SIGNATURE))
            .collect();
        batch(&w.store, "b-1", &lines, &[]).await;
        let id = only_event(&w).await["id"].as_str().unwrap().to_owned();
        let escalate = format!("/api/v1/events/{id}/escalate");
        let (status, answer) = w
            .call("analyst", Method::POST, &escalate, Some(json!({"note": 5})))
            .await;
        assert_field(status, &answer, "note");
        let (status, answer) = w
            .call(
                "analyst",
                Method::POST,
                &escalate,
                Some(json!({"notes": "x"})),
            )
            .await;
        assert_field(status, &answer, "notes");
        let (status, e) = w
            .call(
                "analyst",
                Method::POST,
                &escalate,
                Some(json!({"note": "Possibly the campaign of the week"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{backend:?} {e}");
        assert_eq!(e["state"], "escalated");
        let report = e["report_id"].as_str().unwrap().to_owned();
        let (status, r) = w
            .call(
                "coord",
                Method::GET,
                &format!("/api/v1/reports/{report}"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{backend:?} {r}");
        assert_eq!(r["reporter_org"], "nisc");
        assert!(
            r["fields"]["summary"].as_str().unwrap().contains(SIGNATURE),
            "{r}"
        );
        assert!(r["fields"]["description"]
            .as_str()
            .unwrap()
            .contains("Possibly the campaign of the week"));
        let (_, reports) = w.call("coord", Method::GET, "/api/v1/reports", None).await;
        assert!(reports
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == report.as_str()));
        // The owner is told; an unrelated operator does not learn of it.
        let (status, _) = w
            .call(
                "kanto",
                Method::GET,
                &format!("/api/v1/reports/{report}"),
                None,
            )
            .await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{backend:?}: the owner is a recipient"
        );
        let (status, _) = w
            .call(
                "aoba",
                Method::GET,
                &format!("/api/v1/reports/{report}"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = w
            .call("analyst", Method::POST, &escalate, Some(json!({})))
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert!(audit(&w)
            .await
            .iter()
            .any(|e| e["action"] == "event.escalate" && e["entity_id"] == id.as_str()));
    })
    .await;
}

#[tokio::test]
async fn two_decisions_at_once_notify_once() {
    each_backend(|TestDb { store, backend, .. }| async move {
        let w = common::world(store, USERS, Settings::default()).await;
        let lines = vec![alert(ATTACKER, TARGET_IP, 0, SIGNATURE)];
        batch(&w.store, "b-1", &lines, &[]).await;
        let id = only_event(&w).await["id"].as_str().unwrap().to_owned();
        let confirm = format!("/api/v1/events/{id}/confirm");
        let body = || Some(json!({"tlp": "amber+strict"}));
        let dismiss = format!("/api/v1/events/{id}/dismiss");
        let (a, b, c) = tokio::join!(
            w.call("analyst", Method::POST, &confirm, body()),
            w.call("coord", Method::POST, &confirm, body()),
            w.call(
                "analyst",
                Method::POST,
                &dismiss,
                Some(json!({"note": "noise", "suppress": true}))
            ),
        );
        let mut statuses = vec![a.0, b.0, c.0];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::CONFLICT, StatusCode::CONFLICT],
            "{backend:?} {a:?} {b:?} {c:?}"
        );
        let (_, inbox) = w
            .call("kanto", Method::GET, "/api/v1/advisories", None)
            .await;
        let e = only_event(&w).await;
        let notified = if e["state"] == "confirmed" { 1 } else { 0 };
        assert_eq!(
            inbox.as_array().unwrap().len(),
            notified,
            "{backend:?}: at most one notification"
        );
        let (_, list) = w
            .call("analyst", Method::GET, "/api/v1/suppressions", None)
            .await;
        assert_eq!(
            list.as_array().unwrap().len(),
            1 - notified,
            "{backend:?}: a suppression only if dismissed"
        );
        let decisions = audit(&w)
            .await
            .iter()
            .filter(|x| x["entity_id"] == id.as_str())
            .count();
        assert_eq!(decisions, 1, "{backend:?}: one decision in the audit log");
    })
    .await;
}

/// A browser: cookies and forms.
async fn go(
    w: &common::World,
    cookie: &str,
    method: Method,
    uri: &str,
    form: Option<&[(&str, &str)]>,
) -> (StatusCode, Option<String>, String) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::ACCEPT_LANGUAGE, "ja")
        .header(header::COOKIE, cookie);
    let req = match form {
        Some(f) => {
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
            let body: Vec<String> = f.iter().map(|(k, v)| format!("{k}={}", enc(v))).collect();
            req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body.join("&")))
                .unwrap()
        }
        None => req.body(Body::empty()).unwrap(),
    };
    let resp = w.app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let location = resp
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        location,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

fn session(w: &common::World, who: &str) -> String {
    format!(
        "{}={}",
        sakimori_server::console::SESSION_COOKIE,
        w.tokens[who]
    )
}

fn csrf_of(page: &str) -> String {
    let i = page
        .find("name=\"csrf\" value=\"")
        .expect("a form with a CSRF token")
        + 19;
    page[i..i + 64].to_owned()
}

#[tokio::test]
async fn the_analyst_triages_in_the_console() {
    each_backend(|TestDb { store, backend, .. }| async move {
        let w = common::world(store, USERS, Settings::default()).await;
        let lines: Vec<String> = (0..2)
            .map(|m| alert(ATTACKER, TARGET_IP, m, SIGNATURE))
            .collect();
        batch(&w.store, "b-1", &lines, &[]).await;
        let other = vec![alert(
            "198.51.100.99",
            "192.0.2.12",
            5,
            "ET SCAN <b>odd</b> probe",
        )];
        batch(&w.store, "b-2", &other, &[]).await;
        let analyst = session(&w, "analyst");

        // The list: the queue of open events, with the nav link.
        let (status, _, list) = go(&w, &analyst, Method::GET, "/events", None).await;
        assert_eq!(status, StatusCode::OK, "{backend:?} {list}");
        assert!(list.contains("href=\"/events\""), "the nav link");
        assert!(list.contains("確認を要するイベント"));
        for s in [
            SIGNATURE,
            ATTACKER,
            "kanto-power",
            "#1",
            "#2",
            "未対応",
            "2026-11-20 01:00 UTC",
        ] {
            assert!(list.contains(s), "{s} in the list: {list}");
        }
        assert!(
            list.contains("ET SCAN &lt;b&gt;odd&lt;/b&gt; probe") && !list.contains("<b>odd"),
            "escaped"
        );
        let (_, _, confirmed) =
            go(&w, &analyst, Method::GET, "/events?state=confirmed", None).await;
        assert!(
            !confirmed.contains(SIGNATURE) && confirmed.contains("この状態のイベントはありません")
        );

        // The event: evidence, and the three forms.
        let number = w
            .store
            .sensor_events(
                &Actor::system(),
                &sakimori_store::EventFilter {
                    limit: 10,
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .into_iter()
            .find(|e| e.source == ATTACKER)
            .unwrap();
        let (status, _, page) = go(
            &w,
            &analyst,
            Method::GET,
            &format!("/events/{}", number.number),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        for s in [
            "id=\"evidence\"",
            "203.0.113.50:51000",
            "192.0.2.10:443",
            "tap-1@kasumigaseki",
            "TLP:AMBER+STRICT",
        ] {
            assert!(page.contains(s), "{s} on the event page");
        }
        for action in ["confirm", "dismiss", "escalate"] {
            assert!(
                page.contains(&format!("action=\"/events/{}/{action}\"", number.id)),
                "{action} form"
            );
        }
        assert!(
            !page.contains("value=\"TLP:RED\""),
            "no TLP:RED notification"
        );
        let csrf = csrf_of(&page);
        let confirm = format!("/events/{}/confirm", number.id);

        // A forged token, a dismissal without a reason: refused, nothing decided.
        let (status, _, _) = go(
            &w,
            &analyst,
            Method::POST,
            &confirm,
            Some(&[("csrf", &"0".repeat(64)), ("tlp", "TLP:AMBER")]),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _, again) = go(
            &w,
            &analyst,
            Method::POST,
            &confirm,
            Some(&[("csrf", &csrf), ("tlp", "TLP:RED")]),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{again}");
        assert!(again.contains("role=\"alert\"") && again.contains("TLP:RED"));
        assert_eq!(
            w.store
                .sensor_event(&Actor::system(), &number.id)
                .await
                .unwrap()
                .state,
            sakimori_store::EventState::Open
        );

        // Confirmed through the form.
        let (status, location, _) = go(
            &w,
            &analyst,
            Method::POST,
            &confirm,
            Some(&[
                ("csrf", &csrf),
                ("tlp", "TLP:AMBER"),
                ("note", "コンソールから通報"),
            ]),
        )
        .await;
        assert_eq!(
            (status, location.as_deref()),
            (
                StatusCode::SEE_OTHER,
                Some(format!("/events/{}", number.id).as_str())
            ),
            "{backend:?}"
        );
        let (_, _, page) = go(
            &w,
            &analyst,
            Method::GET,
            &format!("/events/{}", number.id),
            None,
        )
        .await;
        assert!(
            page.contains("確認済")
                && page.contains("コンソールから通報")
                && page.contains("/advisories/"),
            "{page}"
        );
        assert!(
            !page.contains(&format!("action=\"{confirm}\"")),
            "no form on a decided event"
        );
        let (status, _, _) = go(
            &w,
            &analyst,
            Method::POST,
            &confirm,
            Some(&[("csrf", &csrf), ("tlp", "TLP:AMBER")]),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT);
        let (_, inbox) = w
            .call("kanto", Method::GET, "/api/v1/advisories", None)
            .await;
        assert_eq!(inbox.as_array().unwrap().len(), 1, "{inbox}");
        let (_, inbox) = w
            .call("aoba", Method::GET, "/api/v1/advisories", None)
            .await;
        assert_eq!(inbox, json!([]));

        // Nobody else: no link, 403 on the pages and the forms.
        for who in ["kanto", "meti", "jpcert"] {
            let cookie = session(&w, who);
            let (_, _, home) = go(&w, &cookie, Method::GET, "/home", None).await;
            if who != "jpcert" {
                assert!(!home.contains("href=\"/events\""), "{who} has no link");
            }
            for path in ["/events".to_owned(), format!("/events/{}", number.number)] {
                let (status, _, body) = go(&w, &cookie, Method::GET, &path, None).await;
                assert_eq!(status, StatusCode::FORBIDDEN, "{who} {path}");
                assert!(!body.contains(ATTACKER));
            }
            let csrf = csrf_of(&home);
            let (status, _, _) = go(
                &w,
                &cookie,
                Method::POST,
                &format!("/events/{}/escalate", number.id),
                Some(&[("csrf", &csrf)]),
            )
            .await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{who}");
        }
        // Escalated and dismissed through the forms.
        let rest = w
            .store
            .sensor_events(
                &Actor::system(),
                &sakimori_store::EventFilter {
                    state: Some(sakimori_store::EventState::Open),
                    limit: 10,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(rest.len(), 1);
        let (status, _, _) = go(
            &w,
            &analyst,
            Method::POST,
            &format!("/events/{}/dismiss", rest[0].id),
            Some(&[("csrf", &csrf), ("note", "scan"), ("suppress", "yes")]),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let e = w
            .store
            .sensor_event(&Actor::system(), &rest[0].id)
            .await
            .unwrap();
        assert!(e.suppression_id.is_some() && e.state == sakimori_store::EventState::Dismissed);
    })
    .await;
}
