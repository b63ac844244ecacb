//! Advisories down the chain through the API, on both engines.

mod common;

use http::{Method, StatusCode};
use sakimori_core::Role;
use sakimori_server::Settings;
use sakimori_store::testing::{each_backend, TestDb};
use sakimori_store::RelayPolicy;
use serde_json::{json, Value};

const USERS: &[(&str, &str, Role)] = &[
    ("nisc", "nisc", Role::Coordinator),
    ("meti", "meti", Role::MinistryOfficer),
    ("ceptoar", "ceptoar-electricity", Role::HubSecretariat),
    ("kanto", "kanto-power", Role::Operator),
    ("aoba", "aoba-power", Role::Operator),
    ("gas", "hinode-gas", Role::Operator),
];

fn vpn_advisory() -> Value {
    json!({"title": "VPN appliance campaign", "title_ja": "VPN機器を狙う攻撃", "body": "Patch **now**. <script>x</script>",
           "tlp": "TLP:AMBER", "category": "alert", "urgency": "high", "cves": ["CVE-2024-3400"],
           "audience": {"sectors": ["electricity", "gas"]}})
}

fn tier_of(status: &Value, tier: &str) -> Value {
    status["tiers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["tier"] == tier)
        .unwrap()
        .clone()
}

#[tokio::test]
async fn an_amber_advisory_reaches_meti_the_ceptoars_and_their_operators_only() {
    each_backend(|TestDb { store, backend, .. }| async move {
        let w = common::world(store, USERS, Settings::default()).await;
        let mut body = vpn_advisory();
        body["audience"] = json!({"sectors": ["electricity"]});
        let (status, a) = w
            .call("nisc", Method::POST, "/api/v1/advisories", Some(body))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{backend:?} {a}");
        let id = a["id"].as_str().unwrap().to_owned();
        let orgs: Vec<&str> = a["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["org_id"].as_str().unwrap())
            .collect();
        for o in ["meti", "ceptoar-electricity", "kanto-power", "aoba-power"] {
            assert!(orgs.contains(&o), "{o} in {orgs:?}");
        }
        assert!(!orgs.contains(&"hinode-gas") && !orgs.contains(&"ceptoar-gas"));

        for who in ["meti", "ceptoar", "kanto", "aoba"] {
            let (_, inbox) = w.call(who, Method::GET, "/api/v1/advisories", None).await;
            let item = inbox
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["id"] == id.as_str())
                .unwrap_or_else(|| panic!("{who} has it"));
            assert_eq!(
                item["deliveries"].as_array().unwrap().len(),
                1,
                "{who} sees only its own delivery"
            );
            assert!(
                item["body_html"]
                    .as_str()
                    .unwrap()
                    .contains("<strong>now</strong>")
                    && !item["body_html"].as_str().unwrap().contains("<script")
            );
        }
        // Invisible to an operator of another sector through every read path.
        let (_, inbox) = w.call("gas", Method::GET, "/api/v1/advisories", None).await;
        assert!(inbox.as_array().unwrap().is_empty(), "{backend:?}");
        for path in ["", "/status", "/ack", "/relay"] {
            let method = if path.is_empty() || path == "/status" {
                Method::GET
            } else {
                Method::POST
            };
            let (status, v) = w
                .call(
                    "gas",
                    method,
                    &format!("/api/v1/advisories/{id}{path}"),
                    None,
                )
                .await;
            // 404 (not confirmed to exist), or 403 where the role has no business at all.
            assert!(
                status == StatusCode::NOT_FOUND
                    || (path == "/status" && status == StatusCode::FORBIDDEN),
                "{path}: {status} {v}"
            );
            assert!(!v.to_string().contains("Patch"));
        }

        // Everyone acknowledges; the author sees it tier by tier.
        for who in ["meti", "ceptoar", "kanto"] {
            let (status, _) = w
                .call(
                    who,
                    Method::POST,
                    &format!("/api/v1/advisories/{id}/ack"),
                    None,
                )
                .await;
            assert_eq!(status, StatusCode::OK);
        }
        let (status, st) = w
            .call(
                "nisc",
                Method::GET,
                &format!("/api/v1/advisories/{id}/status"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{st}");
        assert_eq!(tier_of(&st, "ministry")["acknowledged"], 1);
        assert_eq!(tier_of(&st, "hub")["acknowledged"], 1);
        let orgs = tier_of(&st, "organisation");
        assert_eq!(orgs["acknowledged"], 1);
        assert!(orgs["organisations"].as_u64().unwrap() >= 3);
        assert!(tier_of(&st, "ministry")["median_minutes_to_acknowledge"].is_number());
        let aoba = st["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["org_id"] == "aoba-power")
            .unwrap();
        assert!(
            aoba["delivered_at"].is_string() && aoba["acknowledged_at"].is_null(),
            "who has not acknowledged yet"
        );
        let (status, _) = w
            .call(
                "meti",
                Method::GET,
                &format!("/api/v1/advisories/{id}/status"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "the status is the author's");
    })
    .await;
}

#[tokio::test]
async fn a_reviewing_ceptoar_relays_with_a_note_before_operators_see_it() {
    each_backend(|TestDb { store, .. }| async move {
        let relay = RelayPolicy { ministry_auto: true, hub_auto: false };
        let w = common::world(store, USERS, Settings { relay, ..Settings::default() }).await;
        let (_, a) = w
            .call(
                "nisc",
                Method::POST,
                "/api/v1/advisories",
                Some(vpn_advisory()),
            )
            .await;
        let id = a["id"].as_str().unwrap().to_owned();
        let (_, inbox) = w
            .call("kanto", Method::GET, "/api/v1/advisories", None)
            .await;
        assert!(
            inbox.as_array().unwrap().is_empty(),
            "waiting for the CEPTOAR's review"
        );
        let (status, _) = w
            .call(
                "kanto",
                Method::GET,
                &format!("/api/v1/advisories/{id}"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, st) = w
            .call(
                "nisc",
                Method::GET,
                &format!("/api/v1/advisories/{id}/status"),
                None,
            )
            .await;
        assert!(
            tier_of(&st, "organisation")["waiting_for_relay"]
                .as_u64()
                .unwrap()
                >= 2
        );

        let (status, r) = w
            .call(
                "ceptoar",
                Method::POST,
                &format!("/api/v1/advisories/{id}/relay"),
                Some(json!({"note": "電力分野: 週末までに適用してください"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{r}");
        let (status, seen) = w
            .call(
                "kanto",
                Method::GET,
                &format!("/api/v1/advisories/{id}"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(seen["deliveries"][0]["read_at"].is_string());
        assert_eq!(seen["deliveries"][0]["via"], "ceptoar-electricity");
        assert_eq!(seen["relay_notes"], json!([{"from": "ceptoar-electricity", "note": "電力分野: 週末までに適用してください"}]), "the operator reads the CEPTOAR's note");
        // Gas operators still wait for their own CEPTOAR.
        let (_, inbox) = w.call("gas", Method::GET, "/api/v1/advisories", None).await;
        assert!(inbox.as_array().unwrap().is_empty());
        let (status, _) = w
            .call(
                "kanto",
                Method::POST,
                &format!("/api/v1/advisories/{id}/relay"),
                None,
            )
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "an operator has nobody to relay to"
        );
    })
    .await;
}

#[tokio::test]
async fn reminders_then_escalation_to_deputies() {
    each_backend(|TestDb { store, backend, .. }| async move {
        let w = common::world(store, USERS, Settings::default()).await;
        let mut body = vpn_advisory();
        body["audience"] = json!({"organisations": ["kanto-power"]});
        let (_, a) = w
            .call("nisc", Method::POST, "/api/v1/advisories", Some(body))
            .await;
        let id = a["id"].as_str().unwrap();
        let ms = chrono::Duration::milliseconds;
        assert_eq!(
            w.store.advisory_reminders(ms(50), ms(150)).await.unwrap(),
            (0, 0),
            "not yet"
        );
        tokio::time::sleep(std::time::Duration::from_millis(80)).await;
        let (reminded, escalated) = w.store.advisory_reminders(ms(50), ms(150)).await.unwrap();
        assert!(reminded >= 1 && escalated == 0, "{backend:?}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let (_, escalated) = w.store.advisory_reminders(ms(50), ms(150)).await.unwrap();
        assert!(escalated >= 1);
        assert_eq!(
            w.store.advisory_reminders(ms(50), ms(150)).await.unwrap(),
            (0, 0),
            "once each"
        );
        let deputies: Vec<String> = w
            .store
            .contacts("kanto-power")
            .await
            .unwrap()
            .into_iter()
            .filter(|c| c.deputy.0)
            .map(|c| c.email)
            .collect();
        let primaries: Vec<String> = w
            .store
            .contacts("kanto-power")
            .await
            .unwrap()
            .into_iter()
            .filter(|c| !c.deputy.0)
            .map(|c| c.email)
            .collect();
        let log = w.store.notifications(1000).await.unwrap();
        let subjects_to = |who: &[String], what: &str| {
            log.iter()
                .filter(|n| who.contains(&n.target) && n.subject.starts_with(what))
                .count()
        };
        assert_eq!(subjects_to(&primaries, "Reminder"), primaries.len());
        assert_eq!(subjects_to(&deputies, "ESCALATION"), deputies.len());
        assert!(!deputies.is_empty(), "the demo operator has a deputy");
        // Acknowledged deliveries are left alone.
        w.call(
            "kanto",
            Method::POST,
            &format!("/api/v1/advisories/{id}/ack"),
            None,
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn bad_advisories_are_refused_and_nothing_is_sent() {
    each_backend(|TestDb { store, .. }| async move {
        let w = common::world(store, USERS, Settings::default()).await;
        let outbox_before = w.store.notifications(100_000).await.unwrap().len();
        let cases = [
            (
                json!({"audience": {"products": ["no such appliance"]}}),
                "audience",
            ),
            (
                json!({"audience": {"sectors": ["space"]}}),
                "audience.sectors[0]",
            ),
            (json!({"tlp": "TLP:WHITE"}), "tlp"),
            (json!({"title": "  "}), "title"),
            (json!({"cves": ["CVE-2024-1"]}), "cves[0]"),
            (json!({"audience": {}}), "audience"),
        ];
        for (change, field) in cases {
            let mut body = vpn_advisory();
            for (k, v) in change.as_object().unwrap() {
                body[k] = v.clone();
            }
            let (status, e) = w
                .call("nisc", Method::POST, "/api/v1/advisories", Some(body))
                .await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {e}");
            assert!(
                e["error"]["field"] == field
                    || (field == "tlp"
                        && e["error"]["message"]
                            .as_str()
                            .unwrap()
                            .contains("TLP:WHITE")),
                "{field}: {e}"
            );
        }
        // A ministry writes for its own constituents only: METI does not reach banks.
        let mut body = vpn_advisory();
        body["audience"] = json!({"sectors": ["finance"]});
        let (status, e) = w
            .call("meti", Method::POST, "/api/v1/advisories", Some(body))
            .await;
        assert_eq!(
            (status, e["error"]["field"].clone()),
            (StatusCode::UNPROCESSABLE_ENTITY, json!("audience"))
        );
        let (status, _) = w
            .call(
                "kanto",
                Method::POST,
                "/api/v1/advisories",
                Some(vpn_advisory()),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "operators do not write advisories"
        );
        assert!(w.store.advisories_for(None, 10).await.unwrap().is_empty());
        assert_eq!(
            w.store.notifications(100_000).await.unwrap().len(),
            outbox_before
        );
    })
    .await;
}
