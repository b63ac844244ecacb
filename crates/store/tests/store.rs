//! The repository layer on both engines: reference load, import, identity, audit.

use sakimori_core::audit::FaultKind;
use sakimori_core::registry::Format;
use sakimori_core::{Actor, Role};
use sakimori_store::testing::{each_backend, TestDb};
use sakimori_store::{NewUser, Store, StoreError};

const REFERENCE: &str = include_str!("../../../data/reference/registry.yaml");
const DEMO: &str = include_str!("../../../data/demo/constituency.yaml");

async fn seeded(store: &Store) {
    store
        .ensure_reference(REFERENCE)
        .await
        .unwrap()
        .expect("first load");
    assert!(
        store.ensure_reference(REFERENCE).await.unwrap().is_none(),
        "loaded once only"
    );
    store
        .import_text(&Actor::system(), DEMO, Format::Yaml)
        .await
        .unwrap();
}

#[tokio::test]
async fn reference_and_demo_load_and_resolve() {
    each_backend(|TestDb { store, backend, .. }| async move {
        seeded(&store).await;
        let sectors = store.sectors().await.unwrap();
        assert_eq!(sectors.len(), 15, "{backend:?}");
        assert_eq!(
            sectors[0].id, "information-communications",
            "file order kept"
        );
        let ix = store.asset_index().await.unwrap();
        assert_eq!(
            ix.lookup("198.51.100.7").unwrap().organisation,
            "asagiri-bank"
        );
        assert_eq!(
            ix.lookup("mail.example.jp").unwrap().organisation,
            "asagiri-bank"
        );
        assert_eq!(
            ix.lookup("203.0.113.20").unwrap().organisation,
            "asagiri-city-hospital"
        );
        // Export then re-import is a no-op on content.
        let before = store.registry().await.unwrap();
        let yaml = sakimori_core::registry::to_yaml(&before);
        store
            .import_text(&Actor::system(), &yaml, Format::Yaml)
            .await
            .unwrap();
        assert_eq!(store.registry().await.unwrap(), before, "{backend:?}");
    })
    .await;
}

#[tokio::test]
async fn a_bad_import_changes_nothing() {
    each_backend(|TestDb { store, backend, .. }| async move {
        seeded(&store).await;
        let before = store.registry().await.unwrap();
        let audit_before = store.audit_entries(0, 100_000).await.unwrap().len();
        // The first organisation is fine, the second names an unknown sector.
        let bad = "organisations:\n  - {id: ok-gas, name: {en: OK Gas, ja: OKガス}, kind: operator, sector: gas}\n  - {id: bad-gas, name: {en: Bad Gas, ja: 悪ガス}, kind: operator, sector: gass}\n";
        match store.import_text(&Actor::system(), bad, Format::Yaml).await {
            Err(StoreError::Import(errs)) => {
                assert_eq!(errs.len(), 1);
                assert_eq!(errs[0].line, Some(3));
                assert_eq!(errs[0].field.as_deref(), Some("organisations[1].sector"));
            }
            other => panic!("{backend:?}: expected a refused import, got {other:?}"),
        }
        assert_eq!(store.registry().await.unwrap(), before);
        assert_eq!(store.audit_entries(0, 100_000).await.unwrap().len(), audit_before);
    })
    .await;
}

#[tokio::test]
async fn tokens_are_hashed_expire_and_revoke() {
    each_backend(|TestDb { store, backend, .. }| async move {
        seeded(&store).await;
        let admin = Actor::system();
        let u = store
            .create_user(
                &admin,
                &NewUser {
                    username: "op1".into(),
                    display_name: None,
                    org: "kanto-power".into(),
                    roles: vec![Role::Operator],
                    password: Some("correct horse battery".into()),
                },
            )
            .await
            .unwrap();
        let (info, secret) = store
            .create_token(&admin, &u.id, "siem", Some(30))
            .await
            .unwrap();
        assert!(secret.starts_with("skm_"));
        let stored: String = sqlx::query_scalar("SELECT token_hash FROM tokens WHERE id = $1")
            .bind(&info.id)
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert!(
            !stored.contains(&secret[4..]),
            "{backend:?}: the secret is not stored"
        );
        let actor = store
            .authenticate(&secret)
            .await
            .unwrap()
            .expect("valid token");
        assert_eq!(
            (actor.org.as_str(), actor.roles.clone()),
            ("kanto-power", vec![Role::Operator])
        );
        assert!(store.authenticate("skm_wrong").await.unwrap().is_none());

        assert!(store
            .login("op1", "correct horse battery")
            .await
            .unwrap()
            .is_some());
        assert!(store
            .login("op1", "wrong password!!")
            .await
            .unwrap()
            .is_none());

        store.revoke_token(&admin, &info.id).await.unwrap();
        assert!(
            store.authenticate(&secret).await.unwrap().is_none(),
            "revoked"
        );

        let (_, expired) = store
            .create_token(&admin, &u.id, "old", Some(0))
            .await
            .unwrap();
        assert!(
            store.authenticate(&expired).await.unwrap().is_none(),
            "expired"
        );

        let (_, live) = store
            .create_token(&admin, &u.id, "live", None)
            .await
            .unwrap();
        assert!(store.authenticate(&live).await.unwrap().is_some());
        store.disable_user(&admin, &u.id).await.unwrap();
        assert!(
            store.authenticate(&live).await.unwrap().is_none(),
            "disabled user"
        );
        assert!(store
            .login("op1", "correct horse battery")
            .await
            .unwrap()
            .is_none());

        let dup = store
            .create_user(
                &admin,
                &NewUser {
                    username: "op1".into(),
                    display_name: None,
                    org: "kanto-power".into(),
                    roles: vec![Role::Operator],
                    password: None,
                },
            )
            .await;
        assert!(matches!(dup, Err(StoreError::Conflict(_))));
    })
    .await;
}

#[tokio::test]
async fn audit_chain_verifies_and_detects_tampering() {
    each_backend(|TestDb { store, backend, .. }| async move {
        seeded(&store).await;
        let n = store.verify_audit().await.unwrap().expect("intact");
        assert!(n > 40, "{backend:?}: every imported item is audited ({n})");
        let entries = store.audit_entries(0, 10).await.unwrap();
        assert_eq!(entries[0].actor_user, "system");
        assert!(entries[0].after_digest.is_some());

        sqlx::query("UPDATE audit_log SET actor_user = 'mallory' WHERE seq = 7")
            .execute(store.pool())
            .await
            .unwrap();
        let fault = store.verify_audit().await.unwrap().unwrap_err();
        assert_eq!(
            (fault.seq, fault.kind),
            (7, FaultKind::Altered),
            "{backend:?}"
        );

        sqlx::query("UPDATE audit_log SET actor_user = 'system' WHERE seq = 7")
            .execute(store.pool())
            .await
            .unwrap();
        sqlx::query("DELETE FROM audit_log WHERE seq = 12")
            .execute(store.pool())
            .await
            .unwrap();
        let fault = store.verify_audit().await.unwrap().unwrap_err();
        assert_eq!(
            (fault.seq, fault.kind),
            (12, FaultKind::Removed),
            "{backend:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn contacts_are_added_validated_and_verified() {
    each_backend(|TestDb { store, .. }| async move {
        seeded(&store).await;
        let c = sakimori_core::registry::Contact {
            role: sakimori_core::registry::ContactRole::Csirt,
            name: "Sato Hanako".into(),
            email: "not-an-email".into(),
            phone: None,
            deputy: false,
            last_verified: None,
        };
        let err = store
            .add_contact(&Actor::system(), "kanto-power", &c)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::Invalid { field, .. } if field == "email"),
            "{err}"
        );
        let good = sakimori_core::registry::Contact {
            email: "hanako@kanto-power.example.jp".into(),
            ..c
        };
        let rec = store
            .add_contact(&Actor::system(), "kanto-power", &good)
            .await
            .unwrap();
        let verified = store
            .verify_contact(&Actor::system(), &rec.id)
            .await
            .unwrap();
        assert_eq!(
            verified.last_verified.unwrap(),
            chrono::Utc::now().date_naive().to_string()
        );
    })
    .await;
}

#[tokio::test]
async fn concurrent_submissions_commit_together_and_retries_store_once() {
    each_backend(|TestDb { store, backend, .. }| async move {
        seeded(&store).await;
        let store = std::sync::Arc::new(store);
        let rules: sakimori_core::routing::RoutingRules =
            serde_norway::from_str(include_str!("../../../data/routing/default.yaml")).unwrap();
        let actor = Actor { user_id: "u".into(), username: "op".into(), org: "kanto-power".into(), roles: vec![Role::Operator] };
        let fields: sakimori_core::report::ReportFields = serde_json::from_value(serde_json::json!({
            "summary": "Concurrent", "detected_at": "2026-11-20T01:00:00Z", "service_affected": false, "status": "reported"
        }))
        .unwrap();
        let mut tasks = Vec::new();
        for i in 0..40 {
            let (store, rules, actor, fields) = (store.clone(), rules.clone(), actor.clone(), fields.clone());
            tasks.push(tokio::spawn(async move {
                // Half retry one key; half are distinct reports.
                let key = if i % 2 == 0 { "same-key".to_owned() } else { format!("key-{i}") };
                store.submit_report(&actor, &fields, Some(&key), &rules, false).await.unwrap()
            }));
        }
        let mut ids = std::collections::HashSet::new();
        for t in tasks {
            ids.insert(t.await.unwrap().0.id);
        }
        assert_eq!(ids.len(), 21, "{backend:?}: 20 distinct + 1 retried");
        assert_eq!(store.reports_for(None, 1000).await.unwrap().len(), 21);
        let numbers: std::collections::HashSet<i64> = store.reports_for(None, 1000).await.unwrap().iter().map(|r| r.number).collect();
        assert_eq!(numbers.len(), 21, "numbers are unique");
        assert!(store.verify_audit().await.unwrap().is_ok(), "the audit chain stays linear");
    })
    .await;
}
