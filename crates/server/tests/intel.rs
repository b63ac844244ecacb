//! Intelligence sharing through the REST API and TAXII 2.1, on both engines:
//! the handling rules as users meet them, bad input, and the OASIS reference
//! client and validator against a real listening server.

mod common;

use http::{Method, StatusCode};
use sakimori_core::Role;
use sakimori_server::Settings;
use sakimori_store::testing::{each_backend, TestDb};
use sakimori_store::{INBOX_COLLECTION, SHARED_COLLECTION};
use serde_json::{json, Value};

const USERS: &[(&str, &str, Role)] = &[
    ("nisc", "nisc", Role::Coordinator),
    ("jpcert", "jpcert", Role::Analyst),
    ("meti", "meti", Role::MinistryOfficer),
    ("ceptoar", "ceptoar-electricity", Role::HubSecretariat),
    ("kanto", "kanto-power", Role::Operator),
    ("aoba", "aoba-power", Role::Operator),
    ("gas", "hinode-gas", Role::Operator),
    ("bank", "asagiri-bank", Role::Operator),
    ("bank2", "asagiri-bank", Role::Operator),
];

fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn indicator(name: &str, value: &str) -> Value {
    json!({
        "type": "indicator", "spec_version": "2.1", "id": format!("indicator--{}", uuid()),
        "created": "2026-11-01T00:00:00.000Z", "modified": "2026-11-01T00:00:00.000Z",
        "name": name, "pattern": format!("[ipv4-addr:value = '{value}']"),
        "pattern_type": "stix", "valid_from": "2026-11-01T00:00:00Z",
        "created_by_ref": "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff",
        "x_custom_kept": {"nested": [1, "two"]}
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

async fn share(w: &common::World, who: &str, body: Value) -> (StatusCode, Value) {
    w.call(who, Method::POST, "/api/v1/intel/objects", Some(body))
        .await
}

/// What `who` sees of one object: `None`, or the object as shown.
async fn sees(w: &common::World, who: &str, id: &str) -> Option<Value> {
    let (s, v) = w
        .call(
            who,
            Method::GET,
            &format!("/api/v1/intel/objects/{id}"),
            None,
        )
        .await;
    match s {
        StatusCode::OK => Some(v["versions"][0].clone()),
        StatusCode::NOT_FOUND => None,
        other => panic!("{who} GET {id}: {other} {v}"),
    }
}

#[tokio::test]
async fn the_tlp_and_community_rules_as_users_meet_them() {
    each_backend(|TestDb { store, .. }| async move {
        let w = common::world(store, USERS, Settings::default()).await;
        let sector = collection_of(&w, "ceptoar", "sector-electricity").await;
        let ntk = collection_of(&w, "jpcert", "vpn-appliance-ntk").await;

        // TLP:GREEN in the electricity community: its members only.
        let green = indicator("Green in electricity", "198.51.100.1");
        let (s, st) = share(
            &w,
            "ceptoar",
            json!({"collection": sector, "objects": [green], "tlp": "TLP:GREEN"}),
        )
        .await;
        assert_eq!(
            (s, st["success_count"].as_u64()),
            (StatusCode::OK, Some(1)),
            "{st}"
        );
        let id = green["id"].as_str().unwrap();
        assert!(sees(&w, "meti", id).await.is_some());
        assert!(
            sees(&w, "kanto", id).await.is_none(),
            "not a member of the sector community"
        );

        // TLP:CLEAR from the same community: everyone, anonymised outside it.
        let clear = indicator("Seen by ceptoar-electricity members", "198.51.100.2");
        share(
            &w,
            "ceptoar",
            json!({"collection": sector, "objects": [clear], "tlp": "TLP:CLEAR"}),
        )
        .await;
        let id = clear["id"].as_str().unwrap();
        let member = sees(&w, "meti", id).await.unwrap();
        assert_eq!(member["visibility"], "full");
        assert_eq!(member["object"]["created_by_ref"], clear["created_by_ref"]);
        assert_eq!(
            member["object"]["x_custom_kept"], clear["x_custom_kept"],
            "custom properties kept"
        );
        let outsider = sees(&w, "kanto", id).await.unwrap();
        assert_eq!(outsider["visibility"], "anonymised");
        assert!(outsider["object"].get("created_by_ref").is_none());
        assert_eq!(
            outsider["object"]["pattern"], clear["pattern"],
            "the observable travels"
        );

        // TLP:AMBER to the electricity CEPTOAR: it, and whom it relays to.
        let amber = indicator("Amber for the hub", "198.51.100.3");
        share(
            &w,
            "jpcert",
            json!({"objects": [amber], "tlp": "TLP:AMBER", "recipients": ["ceptoar-electricity"]}),
        )
        .await;
        let id = amber["id"].as_str().unwrap();
        assert!(sees(&w, "ceptoar", id).await.is_some());
        assert!(sees(&w, "aoba", id).await.is_none());
        assert!(sees(&w, "meti", id).await.is_none(), "not named");
        let relay = |to: &str| json!({"collection": SHARED_COLLECTION, "to": to});
        let (s, _) = w
            .call(
                "aoba",
                Method::POST,
                &format!("/api/v1/intel/objects/{id}/relay"),
                Some(relay("kanto-power")),
            )
            .await;
        assert_eq!(
            s,
            StatusCode::NOT_FOUND,
            "a non-recipient cannot even see it"
        );
        let (s, e) = w
            .call(
                "ceptoar",
                Method::POST,
                &format!("/api/v1/intel/objects/{id}/relay"),
                Some(relay("hinode-gas")),
            )
            .await;
        assert_eq!(
            s,
            StatusCode::FORBIDDEN,
            "gas is not the electricity hub's constituent: {e}"
        );
        let (s, e) = w
            .call(
                "ceptoar",
                Method::POST,
                &format!("/api/v1/intel/objects/{id}/relay"),
                Some(relay("aoba-power")),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{e}");
        assert!(
            sees(&w, "aoba", id).await.is_some(),
            "relayed to a member of the hub"
        );
        assert!(sees(&w, "gas", id).await.is_none());

        // TLP:AMBER+STRICT: the recipient only, never relayed.
        let strict = indicator("Strict for the bank", "198.51.100.4");
        share(
            &w,
            "jpcert",
            json!({"objects": [strict], "tlp": "TLP:AMBER+STRICT", "recipients": ["asagiri-bank"]}),
        )
        .await;
        let id = strict["id"].as_str().unwrap();
        assert!(sees(&w, "bank2", id).await.is_some());
        assert!(sees(&w, "kanto", id).await.is_none());

        // TLP:RED: the named person, not their colleague.
        let red = indicator("Red for one person", "198.51.100.5");
        share(
            &w,
            "jpcert",
            json!({"objects": [red], "tlp": "TLP:RED", "recipient_users": ["bank"]}),
        )
        .await;
        let id = red["id"].as_str().unwrap();
        assert!(sees(&w, "bank", id).await.is_some());
        assert!(
            sees(&w, "bank2", id).await.is_none(),
            "same organisation, not named"
        );
        assert!(sees(&w, "nisc", id).await.is_none(), "not even the centre");
        assert!(sees(&w, "jpcert", id).await.is_some(), "the sharer");

        // A members-only community with a confidentiality notice and audited reads.
        let secret = indicator("NTK: exploited VPN appliance", "198.51.100.6");
        let (s, st) = share(
            &w,
            "jpcert",
            json!({"collection": ntk, "objects": [secret], "tlp": "TLP:CLEAR"}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{st}");
        let id = secret["id"].as_str().unwrap();
        assert!(
            sees(&w, "gas", id).await.is_none(),
            "members only, even TLP:CLEAR"
        );
        let (s, text) = w
            .raw(
                "bank",
                Method::GET,
                &format!("/api/v1/intel/export?collection={ntk}"),
                None,
                &[],
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(text.contains(id));
        let (_, page) = w
            .call(
                "bank",
                Method::GET,
                &format!("/api/v1/intel/objects?collection={ntk}"),
                None,
            )
            .await;
        assert!(
            page["notice"]
                .as_str()
                .unwrap()
                .contains("vpn-appliance-ntk"),
            "{page}"
        );
        let (_, audit) = w
            .call("nisc", Method::GET, "/api/v1/audit?limit=1000", None)
            .await;
        let reads = audit.as_array().map(|a| {
            a.iter()
                .filter(|e| {
                    e["action"] == "intel.read" && e["entity_id"] == id && e["actor_user"] == "bank"
                })
                .count()
        });
        assert!(reads.unwrap_or(0) >= 2, "every access audited: {audit}");

        // Search and the inbox show the same decisions.
        let (_, found) = w
            .call(
                "kanto",
                Method::GET,
                "/api/v1/intel/objects?q=198.51.100",
                None,
            )
            .await;
        let names: Vec<&str> = found["objects"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|o| o["object"]["name"].as_str())
            .collect();
        assert_eq!(
            names.len(),
            2,
            "kanto sees the CLEAR one and its community's: {names:?}"
        );
        assert!(names.iter().any(|n| n.starts_with("NTK")));
        assert!(
            names
                .iter()
                .any(|n| n.contains("[匿名化 anonymised]") && !n.contains("ceptoar")),
            "the source is removed: {names:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn bad_input_is_refused_with_the_object_and_property_named() {
    each_backend(|TestDb { store, .. }| async move {
        let w = common::world(store, USERS, Settings::default()).await;
        let good = indicator("fine", "198.51.100.9");
        let mut bad = indicator("bad time", "198.51.100.10");
        bad["modified"] = json!("yesterday");
        let (s, e) = share(
            &w,
            "jpcert",
            json!({"objects": [good.clone(), bad.clone()], "tlp": "TLP:GREEN"}),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e["error"]["field"], bad["id"]);
        assert!(
            e["error"]["message"].as_str().unwrap().contains("modified"),
            "{e}"
        );
        assert!(
            sees(&w, "jpcert", good["id"].as_str().unwrap())
                .await
                .is_none(),
            "nothing written"
        );

        let mut pattern = indicator("bad pattern", "x");
        pattern["pattern"] = json!("[ipv4-addr:value = '1.2.3.4'");
        let (s, e) = share(
            &w,
            "jpcert",
            json!({"objects": [pattern], "tlp": "TLP:GREEN"}),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            e["error"]["message"]
                .as_str()
                .unwrap()
                .contains("character"),
            "{e}"
        );

        let mut marked = indicator("unknown marking", "198.51.100.12");
        marked["object_marking_refs"] = json!(["marking-definition--1d4a6c2e-3f56-4d0e-9a8b-7c6d5e4f3a2b"]);
        let (s, e) = share(&w, "jpcert", json!({"objects": [marked.clone()], "tlp": "TLP:GREEN"})).await;
        assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, marked["id"].as_str()), "{e}");
        assert!(e["error"]["message"].as_str().unwrap().contains("object_marking_refs"), "{e}");
        let statement = json!({"type": "marking-definition", "spec_version": "2.1", "id": "marking-definition--1d4a6c2e-3f56-4d0e-9a8b-7c6d5e4f3a2b",
            "created": "2026-01-01T00:00:00.000Z", "definition_type": "statement", "definition": {"statement": "Copyright 2026 JPCERT/CC"}});
        let (s, e) = share(&w, "jpcert", json!({"objects": [statement, marked], "tlp": "TLP:GREEN"})).await;
        assert_eq!(s, StatusCode::OK, "known once sent alongside: {e}");
        let (s, e) = share(
            &w,
            "jpcert",
            json!({"objects": [good.clone()], "tlp": "TLP:AMBER"}),
        )
        .await;
        assert_eq!(
            s,
            StatusCode::UNPROCESSABLE_ENTITY,
            "AMBER without recipients: {e}"
        );
        let (s, e) = share(
            &w,
            "jpcert",
            json!({"objects": [good.clone()], "tlp": "TLP:PURPLE"}),
        )
        .await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("tlp"))
        );
        let ntk = collection_of(&w, "jpcert", "vpn-appliance-ntk").await;
        let (s, _) = share(
            &w,
            "gas",
            json!({"collection": ntk, "objects": [good.clone()]}),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "not a member of the community");

        // TAXII: partial success per object, byte offsets, media types, sizes.
        let url = format!("/taxii2/api/collections/{SHARED_COLLECTION}/objects/");
        let taxii = [("accept", "application/taxii+json;version=2.1")];
        let (s, st) = w
            .call_with(
                "jpcert",
                Method::POST,
                &url,
                Some(json!({"objects": [good, bad, {"no": "type"}]})),
                &taxii,
            )
            .await;
        assert_eq!(s, StatusCode::ACCEPTED);
        assert_eq!(
            (st["success_count"].as_u64(), st["failure_count"].as_u64()),
            (Some(1), Some(2)),
            "{st}"
        );
        let (s, text) = w
            .raw("jpcert", Method::POST, &url, Some(json!("x")), &taxii)
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{text}");
        let (s, _) = w
            .raw(
                "jpcert",
                Method::GET,
                &url,
                None,
                &[("accept", "text/html")],
            )
            .await;
        assert_eq!(s, StatusCode::NOT_ACCEPTABLE);
        let big: Vec<Value> = (0..40_000)
            .map(|i| indicator(&format!("bulk {i} {}", "x".repeat(300)), "198.51.100.11"))
            .collect();
        let (s, text) = w
            .raw(
                "jpcert",
                Method::POST,
                &url,
                Some(json!({"objects": big})),
                &taxii,
            )
            .await;
        assert_eq!(
            s,
            StatusCode::PAYLOAD_TOO_LARGE,
            "{}",
            &text[..text.len().min(200)]
        );
        let (s, _) = w
            .raw(
                "jpcert",
                Method::GET,
                &format!("/taxii2/api/collections/{INBOX_COLLECTION}/objects/?limit=abc"),
                None,
                &taxii,
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
    })
    .await;
}

/// Serve the app on a real port for the Python tools.
async fn listen(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn taxii2_client_pages_10000_objects_and_stix2_validator_accepts_every_envelope() {
    let Some(python) = sakimori_store::testing::python() else {
        return;
    };
    each_backend(|TestDb { store, backend, .. }| {
        let python = python.clone();
        async move {
            let w = common::world(store, USERS, Settings::default()).await;
            // 10,000 indicators and 10 malware, shared by the analyst in 10 requests.
            for batch in 0..10 {
                let mut objects: Vec<Value> = (0..1000)
                    .map(|i| indicator(&format!("Indicator {batch}-{i}"), &format!("203.0.{}.{}", batch, i % 250)))
                    .collect();
                objects.push(json!({"type": "malware", "spec_version": "2.1", "id": format!("malware--{}", uuid()),
                    "created": "2026-11-01T00:00:00.000Z", "modified": "2026-11-01T00:00:00.000Z", "name": format!("Family {batch}"), "is_family": true}));
                let (s, st) = share(&w, "jpcert", json!({"objects": objects, "tlp": "TLP:GREEN"})).await;
                assert_eq!(s, StatusCode::OK, "{st}");
            }
            let url = listen(w.app.clone()).await;
            let token = w.tokens["jpcert"].clone();
            let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/taxii_client.py");
            let out = tokio::process::Command::new(&python)
                .args([script, &url, "jpcert", &token, "Shared with the platform"])
                .output()
                .await
                .unwrap();
            assert!(out.status.success(), "{backend:?}: {}", String::from_utf8_lossy(&out.stderr));
            let r: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(r["invalid"], json!([]), "stix2-validator: {r}");
            assert_eq!(r["api_roots"][0], format!("{url}/taxii2/api/"));
            assert_eq!(r["versions"], json!(["application/taxii+json;version=2.1"]));
            assert_eq!(r["can_write"], true);
            assert_eq!(r["paged_objects"], 10_010);
            assert_eq!(r["pages"], 11);
            assert_eq!(r["manifest_more"], true);
            assert_eq!(r["filtered_types"], json!(["malware"]));
            assert_eq!(r["status"]["status"], "complete");
            assert_eq!((r["status"]["success_count"].as_u64(), r["status"]["failure_count"].as_u64()), (Some(3), Some(1)), "{r}");
            assert!(r["status"]["failures"][0]["message"].as_str().unwrap().contains("id"), "{r}");
            assert_eq!(r["got_added"], "Added through taxii2-client");
            assert_eq!(r["versions_of_malware"].as_array().unwrap().len(), 2);
            assert_eq!(r["latest_malware"], "second version");
            assert_eq!(r["first_malware_modified"], "2026-11-01T00:00:00.000Z");
            assert_eq!((r["added_after_last"].as_u64(), r["added_after_10th_last"].as_u64()), (Some(0), Some(9)), "{r}");
            assert_eq!(r["deleted"], true);
            // Another organisation's view through the same client: the GREEN objects
            // of the platform collection, nothing of a community it is not in.
            let out = tokio::process::Command::new(&python)
                .args([script, &url, "gas", &w.tokens["gas"], "Everything you may see"])
                .output()
                .await
                .unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let r: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert!(!r["collections"].as_array().unwrap().iter().any(|c| c.as_str().unwrap().contains("Cybersecurity Council")), "{r}");
        }
    })
    .await;
}

#[tokio::test]
async fn misp_events_incident_reports_sightings_warninglists_and_the_public_feed() {
    each_backend(|TestDb { store, .. }| async move {
        let settings = Settings { public_feed: true, ..Settings::default() };
        let w = common::world(store, USERS, settings).await;
        let event: Value = serde_json::from_str(include_str!("../../share/tests/data/misp_event.json")).unwrap();

        // The event's sharing group is not a community here: say where it goes.
        let (s, e) = w.call("ceptoar", Method::POST, "/api/v1/intel/misp", Some(event.clone())).await;
        assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("Event.SharingGroup.name")), "{e}");
        let sector = collection_of(&w, "ceptoar", "sector-electricity").await;
        let (s, r) = w.call("ceptoar", Method::POST, &format!("/api/v1/intel/misp?collection={sector}"), Some(event)).await;
        assert_eq!(s, StatusCode::OK, "{r}");
        assert_eq!((r["tlp"].as_str(), r["status"]["failure_count"].as_u64()), (Some("TLP:GREEN"), Some(0)), "{r}");
        let found = |who: &'static str, q: &'static str| {
            let w = &w;
            async move { w.call(who, Method::GET, &format!("/api/v1/intel/objects?q={q}"), None).await.1["objects"].as_array().unwrap().clone() }
        };
        assert!(!found("meti", "198.51.100.23").await.is_empty(), "a member of the sector community");
        assert!(found("kanto", "198.51.100.23").await.is_empty(), "not a member");
        let flagged = found("meti", "d41d8cd98f00b204e9800998ecf8427e").await;
        assert!(flagged.iter().any(|o| o["warninglists"] == json!(["empty-file-hashes"])), "{flagged:?}");

        // Back out as MISP, as the ministry sees it.
        let (s, out) = w.call("meti", Method::GET, &format!("/api/v1/intel/misp?collection={sector}"), None).await;
        assert_eq!(s, StatusCode::OK, "{out}");
        let values: Vec<&str> = out["Event"]["Attribute"].as_array().unwrap().iter().filter_map(|a| a["value"].as_str()).collect();
        assert!(values.contains(&"198.51.100.23") && values.contains(&"update-denki.example"), "{values:?}");
        assert!(out["Event"]["Tag"].as_array().unwrap().iter().any(|t| t["name"] == "tlp:green"));

        // Sightings of one indicator by two organisations; the ministry may know one.
        let indicator = found("meti", "198.51.100.23").await.into_iter().find(|o| o["object"]["type"] == "indicator").unwrap()["id"].as_str().unwrap().to_owned();
        let sighting = |n: u32| json!({"type": "sighting", "spec_version": "2.1", "id": format!("sighting--{}", uuid()),
            "created": "2026-11-20T00:00:00.000Z", "modified": "2026-11-20T00:00:00.000Z", "sighting_of_ref": indicator, "count": n});
        share(&w, "jpcert", json!({"objects": [sighting(3)], "tlp": "TLP:GREEN"})).await;
        let (s, st) = share(&w, "bank", json!({"objects": [sighting(1)], "tlp": "TLP:AMBER+STRICT", "recipients": ["nisc"]})).await;
        assert_eq!(s, StatusCode::OK, "{st}");
        let (_, detail) = w.call("meti", Method::GET, &format!("/api/v1/intel/objects/{indicator}"), None).await;
        let sightings = detail["correlations"].as_array().unwrap().iter().find(|c| c["value"].as_str().unwrap().starts_with("sighting:")).unwrap().clone();
        assert_eq!(sightings["organisations"], 2, "{sightings}");
        assert_eq!(sightings["named_organisations"], json!(["jpcert"]), "the bank's sighting is not METI's to know");

        // An incident report published as intelligence: anonymised, the victim's own address left out.
        let report = json!({"summary": "Asagiri Bank web server compromised", "detected_at": "2026-11-21T23:10:00Z", "service_affected": true, "status": "reported",
            "observables": [{"kind": "ipv4", "value": "198.51.100.7"}, {"kind": "ipv4", "value": "203.0.113.99"}, {"kind": "domain", "value": "evil.example.net"}]});
        let (s, r) = w.call("bank", Method::POST, "/api/v1/reports", Some(report)).await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        let id = r["id"].as_str().unwrap();
        let (s, st) = w.call("nisc", Method::POST, &format!("/api/v1/reports/{id}/intel"), Some(json!({}))).await;
        assert_eq!((s, st["failure_count"].as_u64()), (StatusCode::OK, Some(0)), "{st}");
        let (_, bundle) = w.call("kanto", Method::GET, "/api/v1/intel/export?q=incident", None).await;
        let text = bundle.to_string();
        assert!(text.contains("203.0.113.99") && text.contains("evil.example.net"), "{text}");
        assert!(!text.contains("198.51.100.7") && !text.to_lowercase().contains("asagiri"), "{text}");
        let (s, e) = w.call("kanto", Method::POST, &format!("/api/v1/reports/{id}/intel"), Some(json!({}))).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{e}");

        // The public feed: TLP:CLEAR only, without a token.
        share(&w, "jpcert", json!({"objects": [indicator_named("public one")], "tlp": "TLP:CLEAR"})).await;
        let req = http::Request::get("/api/v1/intel/public").body(axum::body::Body::empty()).unwrap();
        let resp = tower::ServiceExt::oneshot(w.app.clone(), req).await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let body = http_body_util::BodyExt::collect(resp.into_body()).await.unwrap().to_bytes();
        let feed: Value = serde_json::from_slice(&body).unwrap();
        let names: Vec<&str> = feed["objects"].as_array().unwrap().iter().filter_map(|o| o["name"].as_str()).collect();
        assert!(names.contains(&"public one"), "{names:?}");
        let clear = json!([sakimori_core::tlp::Tlp::Clear.stix_marking_id()]);
        for o in feed["objects"].as_array().unwrap().iter().filter(|o| o["type"] != "marking-definition") {
            assert_eq!(o["object_marking_refs"], clear, "only TLP:CLEAR in the public feed: {o}");
        }
        assert!(feed["objects"].as_array().unwrap().iter().all(|o| o["type"] != "marking-definition" || o["name"] == "TLP:CLEAR"));
    })
    .await;
}

fn indicator_named(name: &str) -> Value {
    indicator(name, "192.0.2.200")
}
