//! CEPTOAR drills through the API, on both engines: reachability per tier,
//! sector and CEPTOAR; stale contacts; self-checks; never counted.

mod common;

use http::{Method, StatusCode};
use sakimori_core::Role;
use sakimori_store::testing::{each_backend, TestDb};
use serde_json::json;

const USERS: &[(&str, &str, Role)] = &[
    ("nisc", "nisc", Role::Coordinator),
    ("meti", "meti", Role::MinistryOfficer),
    ("ceptoar", "ceptoar-electricity", Role::HubSecretariat),
    ("kanto", "kanto-power", Role::Operator),
    ("gas", "hinode-gas", Role::Operator),
];

#[tokio::test]
async fn a_provision_drill_measures_reachability_per_tier_sector_and_ceptoar() {
    each_backend(|TestDb { store, backend, .. }| async move {
        let w = common::world(store, USERS, sakimori_server::Settings::default()).await;
        let (status, d) = w.call("nisc", Method::POST, "/api/v1/drills", Some(json!({"kind": "provision", "title": "FY2026 CEPTOAR drill", "scope": {"sectors": ["electricity", "gas"]}}))).await;
        assert_eq!(status, StatusCode::OK, "{backend:?} {d}");
        let advisory = d["advisory_id"].as_str().unwrap().to_owned();
        // METI, the electricity CEPTOAR and one power company confirm; gas stays silent.
        for who in ["meti", "ceptoar", "kanto"] {
            let (status, _) = w.call(who, Method::POST, &format!("/api/v1/advisories/{advisory}/ack"), None).await;
            assert_eq!(status, StatusCode::OK, "{who}");
        }
        let (_, inbox) = w.call("kanto", Method::GET, "/api/v1/advisories", None).await;
        assert!(inbox[0]["fields"]["title"].as_str().unwrap().contains("訓練"), "the message is marked as a drill");

        let id = d["id"].as_str().unwrap();
        let (status, r) = w.call("nisc", Method::GET, &format!("/api/v1/drills/{id}/report?stale_days=365"), None).await;
        assert_eq!(status, StatusCode::OK, "{r}");
        let reach = &r["reachability"];
        assert_eq!(reach["by_tier"]["ministry"]["acknowledged"], 1, "METI confirmed: {reach}");
        assert_eq!(reach["by_tier"]["ministry"]["rate"], 1.0);
        assert_eq!(reach["by_sector"]["gas"]["acknowledged"], 0);
        assert_eq!(reach["by_ceptoar"]["ceptoar-electricity"]["acknowledged"], 2, "the CEPTOAR and kanto-power");
        let unconfirmed: Vec<&str> = r["unconfirmed"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        assert!(unconfirmed.contains(&"hinode-gas") && unconfirmed.contains(&"ceptoar-gas") && !unconfirmed.contains(&"kanto-power"));
        // Stale contacts: not verified in a year, in the drill's organisations only.
        let stale = r["stale_contacts"].as_array().unwrap();
        assert!(stale.iter().all(|c| c["last_verified"].is_null() || c["last_verified"].as_str().unwrap() < "2025-11-22"), "{stale:?}");
        let in_drill: Vec<String> = w.store.advisory(&advisory).await.unwrap().deliveries.into_iter().map(|d| d.org_id).collect();
        assert!(!stale.is_empty(), "the demo has contacts last verified before 2025");
        assert!(stale.iter().all(|c| in_drill.iter().any(|o| o == c["org_id"].as_str().unwrap())), "{stale:?}");

        let (status, svg) = w.raw("nisc", Method::GET, &format!("/api/v1/drills/{id}/report?format=svg"), None, &[]).await;
        assert_eq!(status, StatusCode::OK);
        assert!(svg.starts_with("<svg") && svg.contains("ceptoar-electricity"));

        // Drills never count: provisions out stays zero.
        let (_, st) = w.call("nisc", Method::GET, "/api/v1/statistics", None).await;
        assert_eq!(st["provisions_out"]["total"], 0, "{backend:?}");
        let real = json!({"title": "Real alert", "body": "x", "tlp": "TLP:GREEN", "category": "alert", "audience": {"sectors": ["gas"]}});
        let (status, _) = w.call("nisc", Method::POST, "/api/v1/advisories", Some(real)).await;
        assert_eq!(status, StatusCode::CREATED);
        let (_, st) = w.call("nisc", Method::GET, "/api/v1/statistics", None).await;
        assert_eq!(st["provisions_out"]["total"], 1, "a real provision counts");
        let (status, _) = w.call("kanto", Method::GET, &format!("/api/v1/drills/{id}/report"), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    })
    .await;
}

#[tokio::test]
async fn a_report_drill_goes_up_the_real_routing_and_operators_self_check() {
    each_backend(|TestDb { store, backend, .. }| async move {
        let w = common::world(store, USERS, sakimori_server::Settings::default()).await;
        let (_, d) = w.call("nisc", Method::POST, "/api/v1/drills", Some(json!({"kind": "report", "title": "Report drill", "scope": {"sectors": ["electricity"]}}))).await;
        let id = d["id"].as_str().unwrap().to_owned();
        let body = json!({"summary": "[DRILL] test report", "detected_at": "2026-11-20T00:00:00Z", "service_affected": false, "status": "reported"});
        let (status, r) = w.call("kanto", Method::POST, &format!("/api/v1/reports?drill_id={id}"), Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{r}");
        assert_eq!(r["drill"], true);
        w.call("meti", Method::POST, &format!("/api/v1/reports/{}/ack", r["id"].as_str().unwrap()), None).await;
        let (_, rep) = w.call("nisc", Method::GET, &format!("/api/v1/drills/{id}/report"), None).await;
        let reach = &rep["reachability"];
        assert_eq!(reach["by_tier"]["reporter"]["acknowledged"], 1, "{backend:?} {reach}");
        assert!(reach["by_tier"]["reporter"]["hops"].as_u64().unwrap() >= 3, "every electricity operator is expected");
        assert_eq!(reach["by_tier"]["ministry"]["acknowledged"], 1);
        assert_eq!(reach["by_tier"]["coordination-centre"]["acknowledged"], 0);

        let (status, _) = w.call("kanto", Method::POST, &format!("/api/v1/drills/{id}/self-check"), Some(json!({"answers": {"received": true, "contacts_current": false, "comment": "担当者の異動で連絡先が古かった"}}))).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, e) = w.call("kanto", Method::POST, &format!("/api/v1/drills/{id}/self-check"), Some(json!({"answers": {"favourite_colour": "red"}}))).await;
        assert_eq!((status, e["error"]["field"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("answers.favourite_colour")));
        let (_, rep) = w.call("nisc", Method::GET, &format!("/api/v1/drills/{id}/report"), None).await;
        assert_eq!(rep["self_checks"][0]["organisation"], "kanto-power");
        assert_eq!(rep["self_checks"][0]["answers"]["contacts_current"], false);

        // Drill reports never count in the statistics.
        let (_, st) = w.call("nisc", Method::GET, "/api/v1/statistics?fy=2026", None).await;
        assert_eq!(st["reports_in"]["total"], 0);
        let (status, e) = w.call("kanto", Method::POST, "/api/v1/reports?drill_id=999", Some(json!({"summary": "x", "detected_at": "2026-11-20T00:00:00Z", "service_affected": false, "status": "reported"}))).await;
        assert_eq!((status, e["error"]["field"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("drill_id")));
    })
    .await;
}
