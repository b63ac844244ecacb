//! The pipeline end to end: sensor logs → engine → events, in one process and
//! through the machine's real NATS JetStream, with redelivery after a crash.

use std::io::Cursor;
use std::sync::Arc;
use std::time::Duration;

use sakimori_core::registry::Format as RegistryFormat;
use sakimori_core::{Actor, Role};
use sakimori_pipeline::{
    consume, read_batches, Centre, CentreConfig, ConsumeOptions, Format, NatsConfig, Publisher,
    WireBatch,
};
use sakimori_sensor::Sensor;
use sakimori_store::testing::sqlite;
use sakimori_store::{EventFilter, ShareOptions, Store, SHARED_COLLECTION};
use serde_json::{json, Value};

const REFERENCE: &str = include_str!("../../../data/reference/registry.yaml");
const DEMO: &str = include_str!("../../../data/demo/constituency.yaml");

/// kanto-power owns 192.0.2.0/27 in the demo registry.
const VICTIM: &str = "192.0.2.10";
/// Addresses from 198.18.0.0/15 (benchmarking): no registered owner.
const C2: &str = "198.18.7.66";

fn analyst() -> Actor {
    Actor {
        user_id: "u-analyst".into(),
        username: "analyst".into(),
        org: "nisc".into(),
        roles: vec![Role::Coordinator, Role::Analyst],
    }
}

async fn fresh_store() -> (Arc<Store>, impl Drop) {
    let (db, guard) = sqlite().await;
    db.store.ensure_reference(REFERENCE).await.unwrap();
    db.store
        .import_text(&Actor::system(), DEMO, RegistryFormat::Yaml)
        .await
        .unwrap();
    db.store.ensure_collections().await.unwrap();
    (Arc::new(db.store), guard)
}

fn indicator(id: &str, pattern: &str, name: &str, modified: &str, revoked: bool) -> Value {
    json!({"type": "indicator", "spec_version": "2.1", "id": id, "created": "2026-01-01T00:00:00.000Z",
           "modified": modified, "name": name, "pattern": pattern, "pattern_type": "stix",
           "valid_from": "2026-01-01T00:00:00Z", "revoked": revoked})
}

async fn share(store: &Store, obj: Value) {
    let st = store
        .add_objects(
            &analyst(),
            SHARED_COLLECTION,
            &[obj],
            &ShareOptions::default(),
            true,
        )
        .await
        .unwrap();
    assert_eq!(st.failure_count, 0, "{st:?}");
}

fn eve(ts: &str, kind: &str, src: &str, dst: &str, extra: &str) -> String {
    format!(
        r#"{{"timestamp":"{ts}","event_type":"{kind}","src_ip":"{src}","src_port":40000,"dest_ip":"{dst}","dest_port":443,"proto":"TCP"{extra}}}"#
    )
}

fn alert(ts: &str, src: &str, dst: &str, sig: &str) -> String {
    eve(
        ts,
        "alert",
        src,
        dst,
        &format!(
            r#","alert":{{"action":"allowed","signature_id":2030001,"signature":"{sig}","category":"Attempted Administrator Privilege Gain","severity":1}}"#
        ),
    )
}

fn batches(text: &str, size: usize) -> Vec<WireBatch> {
    let mut out = Vec::new();
    read_batches(
        Cursor::new(text.as_bytes().to_vec()),
        "test.eve.json",
        Format::Eve,
        Sensor::new("gsoc-tap-1", "kasumigaseki"),
        size,
        &mut |e| panic!("unexpected parse error {e}"),
        &mut |b| {
            out.push(b);
            Ok(())
        },
    )
    .unwrap();
    out
}

/// The log the tests feed: attacks on kanto-power from the C2 address, a
/// failed attempt, a research scanner, and unremarkable traffic.
fn sample() -> String {
    [
        alert("2026-11-30T01:00:00Z", C2, VICTIM, "ET EXPLOIT VPN Path Traversal"),
        alert("2026-11-30T01:00:30Z", C2, VICTIM, "ET EXPLOIT VPN Path Traversal"),
        // Nobody answered: noise.
        eve(
            "2026-11-30T01:01:00Z",
            "flow",
            "198.18.0.9",
            VICTIM,
            r#","flow":{"pkts_toserver":3,"pkts_toclient":0,"bytes_toserver":180,"bytes_toclient":0,"state":"new"}"#,
        ),
        // A research scanner: noise.
        alert("2026-11-30T01:02:00Z", "162.142.125.10", VICTIM, "ET SCAN Censys"),
        // A TLS session to the C2 from inside: an indicator match on dst.
        eve("2026-11-30T01:03:00Z", "tls", VICTIM, C2, r#","tls":{"sni":"update.example.net"}"#),
        // Unremarkable.
        eve("2026-11-30T01:04:00Z", "tls", VICTIM, "198.51.100.200", r#","tls":{"sni":"www.example.org"}"#),
    ]
    .join("\n")
}

#[tokio::test]
async fn in_process_events_noise_and_live_indicators() {
    let (store, _g) = fresh_store().await;
    share(
        &store,
        indicator(
            "indicator--6a1d4b7e-8c4f-4d0e-9a51-0c4f1d2e3b01",
            &format!("[ipv4-addr:value = '{C2}']"),
            "VPN exploitation C2",
            "2026-01-01T00:00:00.000Z",
            false,
        ),
    )
    .await;
    let centre = Centre::new(store.clone(), CentreConfig::default())
        .await
        .unwrap();
    for b in batches(&sample(), 1000) {
        let out = centre.process(&b).await.unwrap();
        assert!(!out.duplicate);
    }
    let events = store
        .sensor_events(
            &analyst(),
            &EventFilter {
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    // The two alerts from the C2 and the TLS session to it from inside share
    // source, technique (the indicator) and target organisation: one event.
    assert_eq!(events.len(), 1, "{events:#?}");
    let e = &events[0];
    assert_eq!(e.target_org.as_deref(), Some("kanto-power"));
    assert_eq!((e.source.as_str(), e.count), (C2, 3));
    assert!(
        e.technique.starts_with("indicator: VPN exploitation C2"),
        "{}",
        e.technique
    );
    assert_eq!(e.detail.targets.iter().collect::<Vec<_>>(), [VICTIM]);
    assert_eq!(e.detail.evidence.len(), 3);
    assert_eq!(
        e.detail.sensors.iter().collect::<Vec<_>>(),
        ["gsoc-tap-1@kasumigaseki"]
    );

    // The same batch again: recognised, nothing changes.
    for b in batches(&sample(), 1000) {
        assert!(centre.process(&b).await.unwrap().duplicate);
    }
    let stats = store
        .sensor_statistics(&analyst(), "2000-01-01", "2999-12-31")
        .await
        .unwrap();
    assert_eq!(stats.records, 6);
    assert_eq!(stats.noise["failed"], 1);
    assert_eq!(stats.noise["scanner"], 1);
    assert_eq!(stats.events, 1);
    assert_eq!(stats.matched, 3);

    // Revoke the indicator: the next record from the C2 is no longer a match
    // (without a signature it is nothing), with no restart.
    share(
        &store,
        indicator(
            "indicator--6a1d4b7e-8c4f-4d0e-9a51-0c4f1d2e3b01",
            &format!("[ipv4-addr:value = '{C2}']"),
            "VPN exploitation C2",
            "2026-06-01T00:00:00.000Z",
            true,
        ),
    )
    .await;
    // A new domain indicator applies at once.
    share(
        &store,
        indicator(
            "indicator--6a1d4b7e-8c4f-4d0e-9a51-0c4f1d2e3b02",
            "[domain-name:value = 'evil.example']",
            "Phishing kit domain",
            "2026-01-01T00:00:00.000Z",
            false,
        ),
    )
    .await;
    let later = [
        eve(
            "2026-11-30T05:00:00Z",
            "tls",
            VICTIM,
            C2,
            r#","tls":{"sni":"update.example.net"}"#,
        ),
        eve(
            "2026-11-30T05:00:10Z",
            "tls",
            VICTIM,
            "198.18.5.201",
            r#","tls":{"sni":"login.evil.example"}"#,
        ),
    ]
    .join("\n");
    for b in batches(&later, 1000) {
        centre.process(&b).await.unwrap();
    }
    let events = store
        .sensor_events(
            &analyst(),
            &EventFilter {
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(events.len(), 2, "{events:#?}");
    assert_eq!(
        events.iter().map(|e| e.count).sum::<i64>(),
        4,
        "the revoked indicator matched nothing more"
    );
    let phish = events
        .iter()
        .find(|e| e.technique == "indicator: Phishing kit domain")
        .expect("the new domain indicator matched a subdomain");
    assert_eq!(phish.source, "198.18.5.201");
    assert_eq!(
        phish.target_org.as_deref(),
        Some("kanto-power"),
        "the host calling out is the target"
    );
    assert_eq!(centre.indicators().await.active, 1);
}

/// NATS at the machine's address, or `None` (loud) outside CI.
async fn nats_url() -> Option<String> {
    let url =
        std::env::var("SAKIMORI_TEST_NATS").unwrap_or_else(|_| "nats://127.0.0.1:4222".into());
    match async_nats::connect(&url).await {
        Ok(_) => Some(url),
        Err(e) => {
            if std::env::var_os("CI").is_some() {
                panic!("NATS JetStream at {url} is required in CI: {e}");
            }
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "\n!!! NATS at {url} is unreachable ({e}): SKIPPING the JetStream test !!!\n"
            );
            None
        }
    }
}

fn unique_config(url: &str) -> NatsConfig {
    let tag = uuid::Uuid::new_v4().simple().to_string();
    NatsConfig {
        url: url.to_owned(),
        stream: format!("SAKIMORI_TEST_{tag}"),
        subject: format!("sakimori.test.{tag}.observations"),
        durable: format!("centre-{tag}"),
        ack_wait: Duration::from_secs(2),
    }
}

/// Many attackers, a few attempts each: 40 alerts in 10 batches.
fn attack_wave() -> String {
    (0..40)
        .map(|i| {
            alert(
                &format!("2026-11-30T02:{:02}:00Z", i),
                &format!("198.18.9.{}", 100 + i % 8),
                VICTIM,
                "ET EXPLOIT Command Injection",
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

async fn summary(store: &Store) -> Vec<(String, String, Option<String>, i64)> {
    let mut v: Vec<_> = store
        .sensor_events(
            &analyst(),
            &EventFilter {
                limit: 1000,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.source, e.technique, e.target_org, e.count))
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn through_jetstream_with_a_consumer_crash_nothing_lost_nothing_doubled() {
    let Some(url) = nats_url().await else { return };
    let cfg = unique_config(&url);
    let spool = tempfile::tempdir().unwrap();

    // The sensor side publishes every batch.
    let mut publisher = Publisher::new(cfg.clone(), spool.path()).unwrap();
    let wave = batches(&attack_wave(), 4);
    assert_eq!(wave.len(), 10);
    for b in &wave {
        publisher.publish(b).await.unwrap();
    }
    assert_eq!(publisher.stats().sent, 10, "{:?}", publisher.last_error);
    assert_eq!(publisher.stats().spooled, 0);

    // The centre consumes, and dies after committing its third batch but
    // before acknowledging it.
    let (store, _g) = fresh_store().await;
    let centre = Arc::new(
        Centre::new(store.clone(), CentreConfig::default())
            .await
            .unwrap(),
    );
    let first = consume(
        &centre,
        &cfg,
        &ConsumeOptions {
            crash_after: Some(3),
            idle_exit: Some(Duration::from_secs(5)),
        },
        std::future::pending(),
    )
    .await
    .unwrap();
    assert_eq!(first.batches, 3);

    // A new consumer on the same durable name takes over; the unacknowledged
    // batch comes back and is recognised.
    let second = consume(
        &centre,
        &cfg,
        &ConsumeOptions {
            crash_after: None,
            idle_exit: Some(Duration::from_secs(6)),
        },
        std::future::pending(),
    )
    .await
    .unwrap();
    assert_eq!(
        first.batches + second.batches,
        10,
        "every batch processed once: {second:?}"
    );
    assert!(
        second.duplicates >= 1,
        "the batch committed before the crash was redelivered: {second:?}"
    );

    // The same log in one process gives the same events.
    let (direct, _g2) = fresh_store().await;
    let inproc = Centre::new(direct.clone(), CentreConfig::default())
        .await
        .unwrap();
    for b in &wave {
        inproc.process(b).await.unwrap();
    }
    let via_nats = summary(&store).await;
    assert_eq!(via_nats, summary(&direct).await);
    assert_eq!(via_nats.len(), 8, "one event per attacker");
    assert_eq!(
        via_nats.iter().map(|e| e.3).sum::<i64>(),
        40,
        "no alert lost or counted twice"
    );
}

#[tokio::test]
async fn a_sensor_without_nats_spools_on_disk_and_catches_up() {
    let Some(url) = nats_url().await else { return };
    let cfg = unique_config(&url);
    let spool = tempfile::tempdir().unwrap();
    let wave = batches(&attack_wave(), 20);

    // NATS unreachable: both batches wait on disk.
    let unreachable = NatsConfig {
        url: "nats://127.0.0.1:1".into(),
        ..cfg.clone()
    };
    let mut p = Publisher::new(unreachable, spool.path()).unwrap();
    for b in &wave {
        p.publish(b).await.unwrap();
    }
    assert_eq!((p.stats().sent, p.stats().spooled), (0, 2));
    assert!(p.last_error.is_some());
    drop(p);

    // Restarted with NATS reachable: the spool is sent first, in order.
    let mut p = Publisher::new(cfg.clone(), spool.path()).unwrap();
    assert_eq!(p.stats().spooled, 2);
    assert_eq!(p.flush().await.unwrap(), 2);
    assert_eq!(std::fs::read_dir(spool.path()).unwrap().count(), 0);

    let (store, _g) = fresh_store().await;
    let centre = Centre::new(store.clone(), CentreConfig::default())
        .await
        .unwrap();
    let got = consume(
        &centre,
        &cfg,
        &ConsumeOptions {
            crash_after: None,
            idle_exit: Some(Duration::from_secs(2)),
        },
        std::future::pending(),
    )
    .await
    .unwrap();
    assert_eq!(got.batches, 2);
    assert_eq!(got.observations, 40);
}

#[tokio::test]
async fn an_attack_on_a_registered_domain_behind_an_unregistered_address_reaches_its_owner() {
    let (store, _g) = fresh_store().await;
    let centre = Centre::new(store.clone(), CentreConfig::default())
        .await
        .unwrap();
    // A CDN address nobody registered, serving kanto-power.example.jp.
    let line = eve(
        "2026-11-30T06:00:00Z",
        "alert",
        "198.18.8.8",
        "198.18.200.1",
        r#","alert":{"action":"allowed","signature_id":2030002,"signature":"ET WEB_SERVER Command Injection","severity":2},"http":{"hostname":"www.kanto-power.example.jp","url":"/cgi-bin/;id"}"#,
    );
    for b in batches(&line, 10) {
        centre.process(&b).await.unwrap();
    }
    let events = store
        .sensor_events(
            &analyst(),
            &EventFilter {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].target_org.as_deref(), Some("kanto-power"));
    assert_eq!(events[0].source, "198.18.8.8");
}

/// The sample logs of the sensor crate, in the formats their projects
/// document, through the whole pipeline: format guessed from the first line,
/// malformed lines reported with their line number and not stopping the rest.
#[tokio::test]
async fn the_documented_sample_logs_flow_through_the_pipeline() {
    let (store, _g) = fresh_store().await;
    let centre = Centre::new(store.clone(), CentreConfig::default())
        .await
        .unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../sensor/tests/data");
    let mut seen = Vec::new();
    for name in [
        "eve.json",
        "conn.log",
        "dns.log",
        "http.log",
        "zeek-mixed.json",
        "bind-query.log",
        "unbound.log",
    ] {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        let format = Format::sniff(text.lines().next().unwrap());
        let mut errors = Vec::new();
        let mut out = Vec::new();
        let totals = read_batches(
            Cursor::new(text.into_bytes()),
            name,
            format,
            Sensor::new("sample", "lab"),
            1000,
            &mut |e| errors.push((e.line, e.to_string())),
            &mut |b| {
                out.push(b);
                Ok(())
            },
        )
        .unwrap();
        assert!(totals.ok > 0, "{name}: {totals:?}");
        assert_eq!(errors.len() as u64, totals.malformed, "{name}");
        assert!(
            errors
                .iter()
                .all(|(line, msg)| *line > 0 && msg.contains(name)),
            "{name}: {errors:?}"
        );
        for b in &out {
            centre.process(b).await.unwrap();
        }
        seen.push((name, format, totals.ok));
    }
    let kinds: Vec<Format> = seen.iter().map(|s| s.1).collect();
    assert_eq!(
        kinds,
        [
            Format::Eve,
            Format::Zeek,
            Format::Zeek,
            Format::Zeek,
            Format::Zeek,
            Format::Dns,
            Format::Dns
        ],
        "{seen:?}"
    );
    let stats = store
        .sensor_statistics(&analyst(), "2000-01-01", "2999-12-31")
        .await
        .unwrap();
    assert_eq!(stats.records as u64, seen.iter().map(|s| s.2).sum::<u64>());
    // The EVE sample's alerts against registered addresses are events.
    assert!(stats.events >= 1, "{stats:?}");
}
