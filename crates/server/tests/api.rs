//! The REST API as its users meet it, on both engines: the permission walk over
//! every route and role, no leak of another organisation's private data, and
//! clear refusals of bad input.

use axum::body::Body;
use axum::Router;
use http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use sakimori_core::policy::role_grants;
use sakimori_core::registry::Format;
use sakimori_core::{Actor, Permission, Role};
use sakimori_server::{app, routes, AppState};
use sakimori_store::testing::{each_backend, TestDb};
use sakimori_store::{NewUser, Store};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use tower::ServiceExt;

const REFERENCE: &str = include_str!("../../../data/reference/registry.yaml");
const DEMO: &str = include_str!("../../../data/demo/constituency.yaml");

/// (role, organisation of its user). None of these organisations is related to
/// the target below except through the centre's roles.
const PEOPLE: &[(Role, &str)] = &[
    (Role::Administrator, "nisc"),
    (Role::Coordinator, "nisc"),
    (Role::MinistryOfficer, "meti"),
    (Role::HubSecretariat, "ceptoar-electricity"),
    (Role::Operator, "kanto-power"),
    (Role::Analyst, "jpcert"),
    (Role::Sensor, "nisc"),
];
/// A bank, supervised by the FSA: private to itself and the centre here.
const TARGET: &str = "asagiri-bank";
/// The body of NISC's AMBER advisory to the electricity sector.
const ADVISORY_SECRET: &str = "Patch the VPN appliances by Friday WALK-4410";
/// The summary of the operator's report: only its reporter, recipients and the centre see it.
const REPORT_SECRET: &str = "Ransomware on billing server WALK-7731";

struct World {
    app: Router,
    store: Arc<Store>,
    tokens: HashMap<Role, String>,
}

async fn world(store: Store) -> World {
    store.ensure_reference(REFERENCE).await.unwrap();
    store
        .import_text(&Actor::system(), DEMO, Format::Yaml)
        .await
        .unwrap();
    let mut tokens = HashMap::new();
    for (role, org) in PEOPLE {
        let u = store
            .create_user(
                &Actor::system(),
                &NewUser {
                    username: format!("t-{role}"),
                    display_name: None,
                    org: (*org).into(),
                    roles: vec![*role],
                    password: None,
                },
            )
            .await
            .unwrap();
        let (_, t) = store
            .create_token(&Actor::system(), &u.id, "test", Some(1))
            .await
            .unwrap();
        tokens.insert(*role, t);
    }
    // A user for the walk to disable and whose token it tries to revoke.
    let victim = store
        .create_user(
            &Actor::system(),
            &NewUser {
                username: "victim".into(),
                display_name: None,
                org: "kanto-power".into(),
                roles: vec![Role::Operator],
                password: None,
            },
        )
        .await
        .unwrap();
    store
        .create_token(&Actor::system(), &victim.id, "victim", Some(1))
        .await
        .unwrap();
    // A report of the operator (kanto-power), routed to METI, NISC and the electricity CEPTOAR.
    let operator = store.user_by_name("t-operator").await.unwrap().unwrap();
    let fields: sakimori_core::report::ReportFields = serde_json::from_value(json!({
        "summary": REPORT_SECRET, "detected_at": "2026-11-20T01:00:00Z", "service_affected": true, "status": "reported"
    }))
    .unwrap();
    let actor = Actor {
        user_id: operator.id,
        username: operator.username,
        org: operator.org,
        roles: operator.roles,
    };
    let (report, _) = store
        .submit_report(
            &actor,
            &fields,
            None,
            &sakimori_server::Settings::default().routing,
            false,
        )
        .await
        .unwrap();
    store
        .attach(&actor, &report.id, "log.txt", "text/plain", b"log")
        .await
        .unwrap();
    // An AMBER advisory of NISC to the electricity sector.
    let nisc = Actor {
        user_id: "n".into(),
        username: "t-coordinator".into(),
        org: "nisc".into(),
        roles: vec![Role::Coordinator],
    };
    let fields: sakimori_core::advisory::AdvisoryFields = serde_json::from_value(json!({
        "title": "VPN appliance campaign", "body": ADVISORY_SECRET, "tlp": "TLP:AMBER", "category": "alert",
        "audience": {"sectors": ["electricity"]}
    }))
    .unwrap();
    store
        .create_advisory(&nisc, &fields, false, &Default::default())
        .await
        .unwrap();
    let scope = sakimori_store::DrillScope {
        all: false,
        sectors: vec!["electricity".into()],
    };
    store
        .create_drill(
            &nisc,
            sakimori_core::drill::DrillKind::Provision,
            "walk drill",
            &scope,
            &Default::default(),
        )
        .await
        .unwrap();
    walk_events(&store).await;
    let store = Arc::new(store);
    World {
        app: app(AppState::new(store.clone())),
        store,
        tokens,
    }
}

/// Three open events against the power company, made by the sensor engine
/// from Suricata alerts: one for each decision the walk takes.
async fn walk_events(store: &Store) {
    let mut engine = sakimori_sensor::Engine::new();
    engine.assets = store.asset_index().await.unwrap();
    let lines: Vec<String> = (1..=3)
        .map(|i| {
            json!({"timestamp": "2026-11-20T10:00:00.000000+0900", "event_type": "alert",
                   "src_ip": format!("203.0.113.{i}"), "src_port": 40000, "dest_ip": "192.0.2.10", "dest_port": 443, "proto": "TCP",
                   "alert": {"action": "allowed", "signature_id": 1, "signature": "walk", "severity": 2}})
            .to_string()
        })
        .collect();
    let text = lines.join("\n");
    let sensor = sakimori_sensor::Sensor::new("walk", "walk");
    let obs: Vec<sakimori_sensor::Observation> =
        sakimori_sensor::EveReader::new(text.as_bytes(), "walk", sensor)
            .map(|r| r.unwrap())
            .collect();
    let batch = engine.run(&obs);
    let out = store
        .apply_sensor_batch(&Actor::system(), "walk", "walk", 3, &batch, engine.window)
        .await
        .unwrap();
    assert_eq!(out.new_events, 3);
}

async fn call(
    app: &Router,
    method: Method,
    uri: &str,
    token: Option<&str>,
    body: Option<(&str, String)>,
) -> (StatusCode, String) {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let req = match body {
        Some((ct, b)) => req.header("content-type", ct).body(Body::from(b)).unwrap(),
        None => req.body(Body::empty()).unwrap(),
    };
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// Concrete URI and body for a route template.
async fn instantiate(
    w: &World,
    method: &Method,
    path: &str,
    role: Role,
) -> (String, Option<(&'static str, String)>) {
    let contact_id = w.store.contacts(TARGET).await.unwrap()[0].id.clone();
    let report = w
        .store
        .reports_for(None, 1000)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.fields.summary == REPORT_SECRET)
        .unwrap();
    let attachment = w.store.attachments(&report.id).await.unwrap()[0].id.clone();
    let advisory = w
        .store
        .advisories_for(None, 1000)
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.fields.body == ADVISORY_SECRET)
        .unwrap()
        .id;
    let drill = w.store.drills().await.unwrap().last().unwrap().id.clone();
    let incident = match report.incident_id.clone() {
        Some(i) => i,
        None => w
            .store
            .link_reports(
                &Actor::system(),
                std::slice::from_ref(&report.id),
                "walk",
                None,
            )
            .await
            .unwrap(),
    };
    let victim = w.store.user_by_name("victim").await.unwrap().unwrap();
    let token_id = w.store.tokens(&victim.id).await.unwrap()[0].id.clone();
    let uri = path
        .replace("/sectors/{id}", "/sectors/electricity")
        .replace("/organisations/{id}", &format!("/organisations/{TARGET}"))
        .replace("/contacts/{id}", &format!("/contacts/{contact_id}"))
        .replace("/users/{id}", &format!("/users/{}", victim.id))
        .replace("/tokens/{id}", &format!("/tokens/{token_id}"))
        .replace("/reports/{id}", &format!("/reports/{}", report.id))
        .replace("/attachments/{id}", &format!("/attachments/{attachment}"))
        .replace("/incidents/{id}", &format!("/incidents/{incident}"))
        .replace("/advisories/{id}", &format!("/advisories/{advisory}"))
        .replace("/drills/{id}", &format!("/drills/{drill}"))
        .replace("/modes/{scope}", "/modes/electricity")
        .replace("{query}", "198.51.100.7");
    let uri = uri.replace(
        "/intel/objects/{id}",
        &format!("/intel/objects/{WALK_INDICATOR}"),
    );
    // An open event for each decision, any event to read; an active suppression.
    let open = w
        .store
        .sensor_events(
            &Actor::system(),
            &sakimori_store::EventFilter {
                state: Some(sakimori_store::EventState::Open),
                target_org: None,
                limit: 10,
            },
        )
        .await
        .unwrap();
    let event = open
        .first()
        .map(|e| e.id.clone())
        .unwrap_or_else(|| "1".into());
    let suppression = w
        .store
        .suppressions()
        .await
        .unwrap()
        .first()
        .map(|s| s.id.clone())
        .unwrap_or_default();
    let uri = uri
        .replace("/events/{id}", &format!("/events/{event}"))
        .replace(
            "/suppressions/{id}",
            &format!("/suppressions/{suppression}"),
        )
        .replace("/sensors/{sensor}/", "/sensors/walk-tap/");
    let uri = if uri.ends_with("/attachments") && *method == Method::POST {
        format!("{uri}?name=walk.txt")
    } else if uri.ends_with("/intel/misp") && *method == Method::POST {
        format!("{uri}?collection={}", sakimori_store::SHARED_COLLECTION)
    } else if uri.ends_with("/intel/correlations") {
        format!("{uri}?value=198.51.100.7")
    } else {
        uri
    };
    let body = match (method.clone(), path) {
        (Method::POST, p) if p.ends_with("/contacts") => Some(("application/json", json!({"role": "poc", "name": "Walk", "email": "walk@asagiri-bank.example.jp"}).to_string())),
        (Method::POST, "/api/v1/registry/import") => Some(("application/yaml", "organisations:\n  - {id: walk-gas, name: {en: Walk Gas, ja: ウォークガス}, kind: operator, sector: gas}\n".to_owned())),
        (Method::POST, "/api/v1/users") => Some(("application/json", json!({"username": format!("walk-{role}"), "org": "kanto-power", "roles": ["operator"]}).to_string())),
        (Method::POST, "/api/v1/tokens") => Some(("application/json", json!({"label": "walk"}).to_string())),
        (Method::POST, "/api/v1/reports") => Some(("application/json", json!({"summary": "walk", "detected_at": "2026-11-20T00:00:00Z", "service_affected": false, "status": "reported"}).to_string())),
        (Method::POST, "/api/v1/intel/collections") => Some(("application/json", json!({"title": "walk", "default_tlp": "TLP:GREEN"}).to_string())),
        (Method::POST, "/api/v1/intel/objects") => Some(("application/json", json!({"tlp": "TLP:CLEAR", "objects": [{
            "type": "indicator", "spec_version": "2.1", "id": WALK_INDICATOR, "created": "2026-11-01T00:00:00.000Z",
            "modified": "2026-11-01T00:00:00.000Z", "name": "walk", "pattern": "[ipv4-addr:value = '203.0.113.77']",
            "pattern_type": "stix", "valid_from": "2026-11-01T00:00:00Z"}]}).to_string())),
        (Method::POST, "/api/v1/intel/objects/{id}/relay") => Some(("application/json", json!({"collection": sakimori_store::SHARED_COLLECTION, "to": "kanto-power"}).to_string())),
        (Method::POST, "/api/v1/intel/misp") => Some(("application/json", include_str!("../../share/tests/data/misp_event.json").to_owned())),
        (Method::POST, "/api/v1/events/{id}/confirm") => Some(("application/json", json!({"tlp": "amber", "note": "walk"}).to_string())),
        (Method::POST, "/api/v1/events/{id}/dismiss") => Some(("application/json", json!({"note": "walk", "suppress": true}).to_string())),
        (Method::POST, "/api/v1/events/{id}/escalate") => Some(("application/json", json!({"note": "walk"}).to_string())),
        (Method::POST, "/api/v1/sensors/{sensor}/observations") => Some(("application/x-ndjson", r#"{"timestamp":"2026-11-30T01:00:00Z","event_type":"dns","src_ip":"192.0.2.10","src_port":5353,"dest_ip":"198.51.100.53","dest_port":53,"proto":"UDP","dns":{"type":"query","rrname":"walk.example"}}"#.to_owned())),
        (Method::POST, "/api/v1/suppressions") => Some(("application/json", json!({"source": "203.0.113.0/24", "reason": "walk"}).to_string())),
        (Method::PATCH, _) => Some(("application/json", json!({"status": "under-response"}).to_string())),
        (Method::POST, "/api/v1/reports/{id}/comments") => Some(("application/json", json!({"body": "walk"}).to_string())),
        (Method::POST, "/api/v1/reports/{id}/attachments") => Some(("text/plain", "walk".to_owned())),
        (Method::POST, "/api/v1/reports/{id}/severity") => Some(("application/json", json!({"kind": "provisional"}).to_string())),
        (Method::POST, "/api/v1/advisories") => Some(("application/json", json!({"title": "walk", "body": "walk", "tlp": "TLP:GREEN", "category": "reference", "audience": {"sectors": ["electricity"]}}).to_string())),
        (Method::POST, "/api/v1/drills") => Some(("application/json", json!({"kind": "report", "title": "walk", "scope": {"sectors": ["gas"]}}).to_string())),
        (Method::POST, "/api/v1/drills/{id}/self-check") => Some(("application/json", json!({"answers": {"received": true}}).to_string())),
        (Method::POST, "/api/v1/incidents") => Some(("application/json", json!({"reports": [report.id], "title": "walk"}).to_string())),
        (Method::PUT, "/api/v1/modes/{scope}") => Some(("application/json", json!({"mode": "normal"}).to_string())),
        (Method::PUT, _) => Some(("application/json", json!({"url": "https://hooks.example/x", "secret": "0123456789abcdef"}).to_string())),
        _ => None,
    };
    (uri, body)
}

/// The TLP:CLEAR indicator the walk shares (first by the administrator), then reads.
const WALK_INDICATOR: &str = "indicator--7a1f0c2e-5b3d-4e6f-8a9b-0c1d2e3f4a5b";

/// The triage routes: the store also requires a coordination centre, which
/// JPCERT/CC's analyst is not.
fn is_triage(path: &str) -> bool {
    path == "/api/v1/sensors"
        || ["/api/v1/events", "/api/v1/suppressions"]
            .iter()
            .any(|p| path.starts_with(p))
}

/// Routes whose answer also depends on the caller's relation to the target.
fn object_level(path: &str) -> bool {
    path.starts_with("/api/v1/organisations/{id}/") || path.starts_with("/api/v1/contacts/")
}

/// The expected answer on a route about NISC's AMBER advisory to the electricity
/// sector: METI, the electricity CEPTOAR and the power company received it; the
/// analyst of JPCERT/CC did not and does not learn that it exists.
fn advisory_expectation(method: &Method, path: &str, role: Role) -> Option<StatusCode> {
    if !path.starts_with("/api/v1/advisories/{id}") {
        return None;
    }
    if role == Role::Analyst {
        return Some(StatusCode::NOT_FOUND);
    }
    let received = matches!(
        role,
        Role::MinistryOfficer | Role::HubSecretariat | Role::Operator
    );
    let status = |yes: bool, no: StatusCode| Some(if yes { StatusCode::OK } else { no });
    match (method.clone(), path) {
        (Method::POST, "/api/v1/advisories/{id}/ack") => {
            status(received, StatusCode::UNPROCESSABLE_ENTITY)
        }
        (Method::POST, "/api/v1/advisories/{id}/relay") => status(
            matches!(role, Role::MinistryOfficer | Role::HubSecretariat),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (Method::GET, "/api/v1/advisories/{id}/status") => {
            status(role == Role::Coordinator, StatusCode::FORBIDDEN)
        }
        _ => Some(StatusCode::OK),
    }
}

/// The expected answer on a route about the operator's report, for a role that
/// holds the route's permission: recipients (METI, CEPTOAR, NISC) and the
/// reporter see it, JPCERT/CC's analyst does not even learn that it exists.
fn report_expectation(method: &Method, path: &str, role: Role) -> Option<StatusCode> {
    if !(path.contains("/reports/{id}") || path.starts_with("/api/v1/attachments/")) {
        return None;
    }
    if role == Role::Analyst {
        return Some(StatusCode::NOT_FOUND);
    }
    let ok = |yes: bool| {
        Some(if yes {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        })
    };
    let reporter_or_coordinator = matches!(role, Role::Operator | Role::Coordinator);
    let recipient = matches!(
        role,
        Role::MinistryOfficer | Role::HubSecretariat | Role::Coordinator | Role::Administrator
    );
    match (method.clone(), path) {
        (Method::PATCH, _) | (Method::POST, "/api/v1/reports/{id}/attachments") => {
            ok(reporter_or_coordinator)
        }
        (Method::POST, "/api/v1/reports/{id}/ack") => ok(recipient),
        (Method::POST, "/api/v1/reports/{id}/comments") => Some(StatusCode::NO_CONTENT),
        _ => Some(StatusCode::OK),
    }
}

#[tokio::test]
async fn permission_walk_over_every_route_and_role() {
    each_backend(|TestDb { store, backend, .. }| async move {
        let w = world(store).await;
        let private: Vec<String> = w
            .store
            .contacts(TARGET)
            .await
            .unwrap()
            .iter()
            .flat_map(|c| [c.email.clone(), c.name.clone()])
            .collect();
        assert!(!private.is_empty());
        for spec in routes() {
            if spec.permission == Permission::Public {
                continue; // signing in: see `sign_in_with_a_password`
            }
            let (uri, body) = instantiate(&w, &spec.method, spec.path, Role::Administrator).await;
            // Without a token: 401, and nothing else.
            let (status, _) = call(&w.app, spec.method.clone(), &uri, None, body.clone()).await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{backend:?} {} {} without token",
                spec.method,
                spec.path
            );
            let (status, _) =
                call(&w.app, spec.method.clone(), &uri, Some("skm_forged"), body).await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{backend:?} {} {} forged token",
                spec.method,
                spec.path
            );

            for (role, _) in PEOPLE {
                let (uri, body) = instantiate(&w, &spec.method, spec.path, *role).await;
                let (status, text) = call(
                    &w.app,
                    spec.method.clone(),
                    &uri,
                    Some(&w.tokens[role]),
                    body,
                )
                .await;
                let ctx = format!(
                    "{backend:?} {} {} as {role}: {status} {text}",
                    spec.method, spec.path
                );
                if !role_grants(*role, spec.permission) {
                    assert_eq!(status, StatusCode::FORBIDDEN, "{ctx}");
                } else if let Some(expected) = advisory_expectation(&spec.method, spec.path, *role)
                {
                    assert_eq!(status, expected, "{ctx}");
                } else if let Some(expected) = report_expectation(&spec.method, spec.path, *role) {
                    assert_eq!(status, expected, "{ctx}");
                } else if is_triage(spec.path) {
                    // The permission, and the store's rule: the centre's analysts only.
                    let centre = *role == Role::Coordinator;
                    assert_eq!(status.is_success(), centre, "{ctx}");
                    if !centre {
                        assert_eq!(status, StatusCode::FORBIDDEN, "{ctx}");
                    }
                } else if spec.path == "/api/v1/intel/objects/{id}/relay" {
                    // TLP:CLEAR is never relayed: there is nothing to relay.
                    assert_eq!(status, StatusCode::FORBIDDEN, "{ctx}");
                } else if object_level(spec.path) {
                    let centre = matches!(role, Role::Administrator | Role::Coordinator);
                    assert_eq!(status.is_success(), centre, "{ctx}");
                    if !centre {
                        assert_eq!(status, StatusCode::FORBIDDEN, "{ctx}");
                    }
                } else if spec.method == Method::DELETE && *role != Role::Administrator {
                    // Another user's token: not found, not even confirmed to exist.
                    assert_eq!(status, StatusCode::NOT_FOUND, "{ctx}");
                } else {
                    assert!(status.is_success(), "{ctx}");
                }
                if matches!(role, Role::Analyst | Role::Sensor) {
                    assert!(!text.contains(REPORT_SECRET), "{ctx}: leaks the report");
                    assert!(!text.contains(ADVISORY_SECRET), "{ctx}: leaks the advisory");
                }
                if !matches!(role, Role::Administrator | Role::Coordinator) {
                    for p in &private {
                        assert!(!text.contains(p.as_str()), "{ctx}: leaks {p}");
                    }
                }
            }
        }
    })
    .await;
}

#[tokio::test]
async fn private_data_reaches_only_related_organisations() {
    each_backend(|TestDb { store, backend, .. }| async move {
        let w = world(store).await;
        // The city sees its hospital (parent), the hospital does not see the city.
        for (user, org) in [
            ("city", "asagiri-city"),
            ("hospital", "asagiri-city-hospital"),
            ("fsa-officer", "fsa"),
        ] {
            let role = if org == "fsa" {
                Role::MinistryOfficer
            } else {
                Role::Operator
            };
            let u = w
                .store
                .create_user(
                    &Actor::system(),
                    &NewUser {
                        username: user.into(),
                        display_name: None,
                        org: org.into(),
                        roles: vec![role],
                        password: None,
                    },
                )
                .await
                .unwrap();
            let (_, t) = w
                .store
                .create_token(&Actor::system(), &u.id, "t", Some(1))
                .await
                .unwrap();
            let see = |target: &'static str| {
                let app = w.app.clone();
                let t = t.clone();
                async move {
                    call(
                        &app,
                        Method::GET,
                        &format!("/api/v1/organisations/{target}/contacts"),
                        Some(&t),
                        None,
                    )
                    .await
                    .0
                }
            };
            match user {
                "city" => {
                    assert_eq!(
                        see("asagiri-city-hospital").await,
                        StatusCode::OK,
                        "{backend:?}"
                    );
                    assert_eq!(see("asagiri-bank").await, StatusCode::FORBIDDEN);
                }
                "hospital" => assert_eq!(see("asagiri-city").await, StatusCode::FORBIDDEN),
                _ => {
                    assert_eq!(
                        see("asagiri-bank").await,
                        StatusCode::OK,
                        "the FSA supervises banks"
                    );
                    assert_eq!(see("kanto-power").await, StatusCode::FORBIDDEN);
                }
            }
        }
        // The export leaves out what the caller may not see.
        let (status, yaml) = call(
            &w.app,
            Method::GET,
            "/api/v1/registry/export",
            Some(&w.tokens[&Role::Operator]),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            yaml.contains("csirt@kanto-power.example.jp"),
            "own contacts are exported"
        );
        for c in w.store.contacts(TARGET).await.unwrap() {
            assert!(
                !yaml.contains(&c.email),
                "{backend:?}: export leaks {}",
                c.email
            );
        }
        let (_, view) = call(
            &w.app,
            Method::GET,
            &format!("/api/v1/organisations/{TARGET}"),
            Some(&w.tokens[&Role::Operator]),
            None,
        )
        .await;
        let v: Value = serde_json::from_str(&view).unwrap();
        assert!(
            v.get("contact_records").is_none() && v.get("assets").is_none(),
            "{view}"
        );
        let (_, view) = call(
            &w.app,
            Method::GET,
            &format!("/api/v1/organisations/{TARGET}"),
            Some(&w.tokens[&Role::Coordinator]),
            None,
        )
        .await;
        let v: Value = serde_json::from_str(&view).unwrap();
        assert!(
            v["contact_records"]
                .as_array()
                .is_some_and(|c| !c.is_empty()),
            "{view}"
        );
    })
    .await;
}

#[tokio::test]
async fn bad_input_is_refused_clearly_and_changes_nothing() {
    each_backend(|TestDb { store, backend, .. }| async move {
        let w = world(store).await;
        let admin = &w.tokens[&Role::Administrator];
        let before = w.store.registry().await.unwrap();
        let audit_before = w.store.audit_entries(0, 1_000_000).await.unwrap().len();

        let bad = "organisations:\n  - id: x-rail\n    name: {en: X Rail, ja: X鉄道}\n    kind: operator\n    sector: railways\n    assets:\n      prefixes: [192.0.2.300/24]\n";
        let (status, text) = call(&w.app, Method::POST, "/api/v1/registry/import", Some(admin), Some(("application/yaml", bad.into()))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{backend:?} {text}");
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["error"]["code"], "invalid_registry_file");
        assert_eq!(v["error"]["problems"][0]["line"], 7, "{text}");
        assert_eq!(v["error"]["problems"][0]["field"], "organisations[0].assets.prefixes[0]", "{text}");

        let csv = "record,id,name_en,name_ja,kind,sector\norganisation,y-gas,Y Gas,Yガス,operator,gas\norganisation,z-gas,Z Gas,Zガス,operater,gas\n";
        let (status, text) = call(&w.app, Method::POST, "/api/v1/registry/import?format=csv", Some(admin), Some(("text/csv", csv.into()))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!((v["error"]["problems"][0]["line"].clone(), v["error"]["problems"][0]["field"].clone()), (json!(3), json!("kind")), "{text}");

        let (status, text) = call(&w.app, Method::POST, "/api/v1/organisations/kanto-power/contacts", Some(admin), Some(("application/json", r#"{"role":"csirt","name":"A","email":"a@kanto-power.example.jp","phon":"1"}"#.into()))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(text.contains("phon"), "{text}");
        let (status, text) = call(&w.app, Method::POST, "/api/v1/organisations/kanto-power/contacts", Some(admin), Some(("application/json", r#"{"role":"csirt","name":"A","email":"nope"}"#.into()))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap()["error"]["field"], "email", "{text}");
        let (status, _) = call(&w.app, Method::POST, "/api/v1/organisations/kanto-power/contacts", Some(admin), Some(("application/json", "{not json".into()))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

        assert_eq!(w.store.registry().await.unwrap(), before, "{backend:?}: nothing written");
        assert_eq!(w.store.audit_entries(0, 1_000_000).await.unwrap().len(), audit_before);

        let (status, text) = call(&w.app, Method::GET, "/api/v1/organisations/no-such-org/contacts", Some(admin), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{text}");
        let (status, text) = call(&w.app, Method::GET, "/api/v1/nothing-here", None, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(text.contains("\"code\":\"not_found\""));
        let (status, _) = call(&w.app, Method::GET, "/api/v1/whois/203.0.113.250", Some(admin), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn every_write_is_audited_and_the_whois_cache_follows_imports() {
    each_backend(|TestDb { store, .. }| async move {
        let w = world(store).await;
        let coord = &w.tokens[&Role::Coordinator];
        let (status, _) = call(&w.app, Method::GET, "/api/v1/whois/203.0.113.250", Some(coord), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let before = w.store.audit_entries(0, 1_000_000).await.unwrap().len();
        let yaml = "organisations:\n  - {id: new-port, name: {en: New Port, ja: 新港}, kind: operator, sector: ports, assets: {prefixes: [203.0.113.240/28]}}\n";
        let (status, text) = call(&w.app, Method::POST, "/api/v1/registry/import", Some(coord), Some(("application/yaml", yaml.into()))).await;
        assert_eq!(status, StatusCode::OK, "{text}");
        let (status, text) = call(&w.app, Method::GET, "/api/v1/whois/203.0.113.250", Some(coord), None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(text.contains("new-port"));
        let entries = w.store.audit_entries(before as i64, 10).await.unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!((entries[0].actor_user.as_str(), entries[0].actor_org.as_str(), entries[0].entity_id.as_str()), ("t-coordinator", "nisc", "new-port"));
        let (_, text) = call(&w.app, Method::GET, "/api/v1/audit/verify", Some(coord), None).await;
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap()["ok"], true, "{text}");
    })
    .await;
}

#[tokio::test]
async fn openapi_documents_every_route_with_its_permission() {
    let (db, _guard) = sakimori_store::testing::sqlite().await;
    let w = world(db.store).await;
    let (status, text) = call(&w.app, Method::GET, "/api/v1/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for r in routes() {
        let op = &doc["paths"][r.path][r.method.as_str().to_lowercase()];
        assert!(op.is_object(), "{} {} documented", r.method, r.path);
        assert!(op["description"]
            .as_str()
            .unwrap()
            .contains(&format!("{:?}", r.permission)));
    }
    let _ = Permission::ALL;
    // Every $ref resolves.
    for cap in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = cap.split('"').next().unwrap();
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "schema {name} is defined"
        );
    }
}

#[tokio::test]
async fn health_and_metrics_answer() {
    let (db, _guard) = sakimori_store::testing::sqlite().await;
    let w = world(db.store).await;
    let (status, text) = call(&w.app, Method::GET, "/healthz", None, None).await;
    assert_eq!(
        (status, text.as_str()),
        (StatusCode::OK, r#"{"status":"ok"}"#)
    );
    call(
        &w.app,
        Method::GET,
        "/api/v1/sectors",
        Some(&w.tokens[&Role::Operator]),
        None,
    )
    .await;
    let (status, text) = call(&w.app, Method::GET, "/metrics", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        text.contains(
            r#"sakimori_http_requests_total{method="GET",route="/api/v1/sectors",status="200"} 1"#
        ),
        "{text}"
    );
}

#[tokio::test]
async fn sign_in_with_a_password() {
    each_backend(|TestDb { store, backend, .. }| async move {
        let w = world(store).await;
        w.store
            .create_user(
                &Actor::system(),
                &NewUser {
                    username: "tanaka".into(),
                    display_name: None,
                    org: "kanto-power".into(),
                    roles: vec![Role::Operator],
                    password: Some("correct horse battery".into()),
                },
            )
            .await
            .unwrap();
        let body = |pw: &str| {
            Some((
                "application/json",
                json!({"username": "tanaka", "password": pw}).to_string(),
            ))
        };
        let (status, text) = call(
            &w.app,
            Method::POST,
            "/api/v1/session",
            None,
            body("correct horse battery"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{backend:?} {text}");
        let token = serde_json::from_str::<Value>(&text).unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned();
        let (status, me) = call(&w.app, Method::GET, "/api/v1/me", Some(&token), None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            serde_json::from_str::<Value>(&me).unwrap()["actor"]["org"],
            "kanto-power"
        );
        let (status, text) = call(
            &w.app,
            Method::POST,
            "/api/v1/session",
            None,
            body("wrong password!!"),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(!text.contains("tanaka"));
        let (status, _) = call(
            &w.app,
            Method::POST,
            "/api/v1/session",
            None,
            Some((
                "application/json",
                json!({"username": "nobody", "password": "x"}).to_string(),
            )),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "unknown users look the same as wrong passwords"
        );
    })
    .await;
}
