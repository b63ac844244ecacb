//! `sakimori bench ...`: measured performance, reported as numbers to record in
//! docs/BENCHMARKS.md.

use crate::{output, Global};
use clap::Subcommand;
use sakimori_core::lookup::AssetIndex;
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::process::ExitCode;
use std::time::Instant;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// IP longest-prefix and domain longest-suffix lookups on one core
    #[command(
        after_help = "Example:\n  cargo run --release -- bench whois --prefixes 100000 --lookups 20000000"
    )]
    Whois {
        /// Registered prefixes (90% IPv4 of /16-/29, 10% IPv6 /32-/56)
        #[arg(long, default_value_t = 100_000)]
        prefixes: usize,
        /// IP lookups to time
        #[arg(long, default_value_t = 20_000_000)]
        lookups: usize,
        /// Registered domains
        #[arg(long, default_value_t = 100_000)]
        domains: usize,
    },
    /// Deliver one in-app advisory to N organisations (fresh embedded SQLite)
    #[command(after_help = "Example:\n  cargo run --release -- bench advisory --orgs 10000")]
    Advisory {
        #[arg(long, default_value_t = 10_000)]
        orgs: usize,
    },
    /// Durable report intake over HTTP into a fresh embedded SQLite installation
    #[command(
        after_help = "Example:\n  cargo run --release -- bench reports --reports 5000 --concurrency 16"
    )]
    Reports {
        #[arg(long, default_value_t = 5000)]
        reports: usize,
        /// Concurrent clients
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
    },
}

/// A small deterministic generator (SplitMix64), so that runs are repeatable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

pub async fn run(g: &Global, c: BenchCommand) -> anyhow::Result<ExitCode> {
    match c {
        BenchCommand::Advisory { orgs } => {
            let r = fanout(orgs).await?;
            output::emit(g.json, &r, || {
                format!(
                    "in-app advisory to {} organisations ({} deliveries incl. ministries and CEPTOARs): {:.3} s, committed",
                    r["organisations"], r["deliveries"], r["seconds"].as_f64().unwrap_or(0.0)
                )
            });
            Ok(ExitCode::SUCCESS)
        }
        BenchCommand::Reports {
            reports,
            concurrency,
        } => {
            let r = intake(reports, concurrency.max(1)).await?;
            output::emit(g.json, &r, || {
                format!(
                    "report intake on SQLite over HTTP: {} reports, {} clients\n  {:>10.0} reports/s acknowledged (each committed before the answer)\n  p50 {:.1} ms, p99 {:.1} ms",
                    r["reports"], r["concurrency"], r["reports_per_s"].as_f64().unwrap_or(0.0), r["p50_ms"].as_f64().unwrap_or(0.0), r["p99_ms"].as_f64().unwrap_or(0.0)
                )
            });
            Ok(ExitCode::SUCCESS)
        }
        BenchCommand::Whois {
            prefixes,
            lookups,
            domains,
        } => {
            let r = tokio::task::spawn_blocking(move || whois(prefixes, lookups, domains)).await?;
            output::emit(g.json, &r, || {
                format!(
                    "whois on one core: {} prefixes ({} distinct), {} domains\n  IP lookups:     {:>12.0} /s  ({} lookups, {:.1}% matched)\n  domain lookups: {:>12.0} /s\n  index build:    {:.2} s",
                    r["prefixes"], r["distinct_prefixes"], r["domains"], r["ip_lookups_per_s"].as_f64().unwrap_or(0.0),
                    r["ip_lookups"], r["ip_match_pct"].as_f64().unwrap_or(0.0),
                    r["domain_lookups_per_s"].as_f64().unwrap_or(0.0), r["build_s"].as_f64().unwrap_or(0.0)
                )
            });
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn whois(prefixes: usize, lookups: usize, domains: usize) -> serde_json::Value {
    let mut rng = Rng(SEED);
    let mut ix = AssetIndex::new();
    let mut registered_v4: Vec<ipnet::Ipv4Net> = Vec::with_capacity(prefixes);
    let build = Instant::now();
    for i in 0..prefixes {
        let org = format!("org-{}", i % 20_000);
        if i % 10 == 9 {
            let len = 32 + (rng.next() % 25) as u8;
            let addr = Ipv6Addr::from(((0x2001_0db8u128) << 96) | ((rng.next() as u128) << 32));
            ix.insert_prefix(ipnet::Ipv6Net::new(addr, len).unwrap().trunc().into(), &org);
        } else {
            let len = 16 + (rng.next() % 14) as u8;
            let net = ipnet::Ipv4Net::new(Ipv4Addr::from(rng.next() as u32), len)
                .unwrap()
                .trunc();
            registered_v4.push(net);
            ix.insert_prefix(net.into(), &org);
        }
    }
    for i in 0..domains {
        ix.insert_domain(&format!("d{i}.example.jp"), &format!("org-{}", i % 20_000));
    }
    let build_s = build.elapsed().as_secs_f64();

    // Addresses drawn like sensor traffic: mostly IPv4, some IPv6; half of the
    // IPv4 ones inside registered blocks. A million of them, so that the
    // queries do not sit in the CPU cache.
    const QUERIES: usize = 1 << 20;
    let queries: Vec<IpAddr> = (0..QUERIES)
        .map(|i| match i % 10 {
            9 => IpAddr::V6(Ipv6Addr::from(
                ((0x2001_0db8u128) << 96) | ((rng.next() as u128) << 32) | 1,
            )),
            n if n % 2 == 0 => {
                let net = registered_v4[(rng.next() % registered_v4.len() as u64) as usize];
                let host = (rng.next() as u32) & !u32::from(net.netmask());
                IpAddr::V4(Ipv4Addr::from(u32::from(net.network()) | host))
            }
            _ => IpAddr::V4(Ipv4Addr::from(rng.next() as u32)),
        })
        .collect();
    let mut matched = 0usize;
    let start = Instant::now();
    for i in 0..lookups {
        if black_box(ix.lookup_ip_org(queries[i & (QUERIES - 1)])).is_some() {
            matched += 1;
        }
    }
    let ip_s = start.elapsed().as_secs_f64();

    let names: Vec<String> = (0..4096)
        .map(|i| {
            format!(
                "www.mail.d{}.example.jp",
                rng.next() % (2 * domains as u64 + 1) + i % 2
            )
        })
        .collect();
    let n_domain = 2_000_000;
    let start = Instant::now();
    for i in 0..n_domain {
        black_box(ix.lookup_domain(&names[i & 4095]));
    }
    let domain_s = start.elapsed().as_secs_f64();
    serde_json::json!({
        "prefixes": prefixes,
        "distinct_prefixes": ix.prefix_count(),
        "domains": domains,
        "ip_lookups": lookups,
        "ip_lookups_per_s": lookups as f64 / ip_s,
        "ip_match_pct": 100.0 * matched as f64 / lookups as f64,
        "domain_lookups_per_s": n_domain as f64 / domain_s,
        "build_s": build_s,
    })
}

const SEED: u64 = 0x5a4b_1a0e_2026_1122;

/// Submit `n` reports through the real HTTP API of an in-process server on a
/// fresh SQLite data directory; every answer comes after the commit.
async fn intake(n: usize, concurrency: usize) -> anyhow::Result<serde_json::Value> {
    use std::sync::Arc;
    let dir = std::env::temp_dir().join(format!("sakimori-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = Arc::new(sakimori_store::Store::open(&sakimori_store::sqlite_url(&dir)).await?);
    store.ensure_reference(crate::demo::REFERENCE).await?;
    let users = crate::demo::install(&store).await?;
    let token = users
        .iter()
        .find(|u| u.role == sakimori_core::Role::Operator)
        .expect("demo operator")
        .token
        .clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/api/v1/reports", listener.local_addr()?);
    let state = sakimori_server::AppState::new(store.clone());
    let server = tokio::spawn(sakimori_server::serve(
        listener,
        state,
        std::future::pending(),
    ));
    let http = reqwest::Client::new();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (http, url, token, next) = (http.clone(), url.clone(), token.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= n {
                    return Ok::<_, anyhow::Error>(latencies);
                }
                let body = serde_json::json!({
                    "summary": format!("bench report {i}"), "detected_at": "2026-11-20T01:00:00Z",
                    "service_affected": i % 3 == 0, "status": "reported", "event_class": "availability",
                    "observables": [{"kind": "ipv4", "value": "203.0.113.9"}]
                });
                let t = Instant::now();
                let resp = http.post(&url).bearer_auth(&token).json(&body).send().await?;
                anyhow::ensure!(resp.status().as_u16() == 201, "answer {}", resp.status());
                latencies.push(t.elapsed().as_secs_f64() * 1000.0);
            }
        }));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await??);
    }
    let elapsed = start.elapsed().as_secs_f64();
    server.abort();
    latencies.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| latencies[((latencies.len() as f64 - 1.0) * p) as usize];
    let stored = store.reports_for(None, (n + 10) as i64).await?.len();
    anyhow::ensure!(stored == n, "stored {stored} of {n}");
    let _ = std::fs::remove_dir_all(&dir);
    Ok(serde_json::json!({
        "reports": n,
        "concurrency": concurrency,
        "reports_per_s": n as f64 / elapsed,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
    }))
}

/// Create `n` operators across the sectors, then time one advisory to all of them.
async fn fanout(n: usize) -> anyhow::Result<serde_json::Value> {
    use sakimori_core::registry::{Name, OrgKind, Organisation, RegistryDoc};
    let dir = std::env::temp_dir().join(format!("sakimori-bench-adv-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = sakimori_store::Store::open(&sakimori_store::sqlite_url(&dir)).await?;
    store.ensure_reference(crate::demo::REFERENCE).await?;
    let sectors: Vec<String> = store.sectors().await?.into_iter().map(|s| s.id).collect();
    let doc = RegistryDoc {
        organisations: (0..n)
            .map(|i| Organisation {
                id: format!("bench-op-{i}"),
                name: Name {
                    en: format!("Bench Operator {i}"),
                    ja: format!("ベンチ事業者{i}"),
                },
                short: None,
                kind: OrgKind::Operator,
                sector: Some(sectors[i % sectors.len()].clone()),
                subsector: None,
                ministry: None,
                parent: None,
                tags: vec![],
                contacts: None,
                assets: None,
            })
            .collect(),
        ..Default::default()
    };
    store
        .import_doc(&sakimori_core::Actor::system(), &doc, &Default::default())
        .await?;
    let nisc = sakimori_core::Actor {
        user_id: "bench".into(),
        username: "bench".into(),
        org: "nisc".into(),
        roles: vec![sakimori_core::Role::Coordinator],
    };
    let fields: sakimori_core::advisory::AdvisoryFields = serde_json::from_value(
        serde_json::json!({
            "title": "Bench advisory", "body": "Fan-out benchmark", "tlp": "TLP:GREEN", "category": "alert", "audience": {"all": true}
        }),
    )?;
    let start = Instant::now();
    let a = store
        .create_advisory(&nisc, &fields, false, &Default::default())
        .await?;
    let seconds = start.elapsed().as_secs_f64();
    let delivered = a
        .deliveries
        .iter()
        .filter(|d| d.delivered_at.is_some())
        .count();
    anyhow::ensure!(
        delivered == a.deliveries.len() && delivered >= n,
        "delivered {delivered} of {}",
        a.deliveries.len()
    );
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(serde_json::json!({"organisations": n, "deliveries": delivered, "seconds": seconds}))
}
