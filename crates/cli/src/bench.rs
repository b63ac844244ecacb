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
    /// TAXII 2.1: fill a fresh embedded SQLite store, then page through it over HTTP
    #[command(
        after_help = "Examples:\n  cargo run --release -- bench taxii --objects 1000000 --page 1000\n  cargo run --release -- bench taxii --objects 20000 --collection inbox\n\nThe comparison with medallion through one Python client is bench/taxii.sh."
    )]
    Taxii {
        /// STIX 2.1 objects to add (85% indicators: IPv4, domain, URL and hash patterns; 15% malware)
        #[arg(long, default_value_t = 100_000)]
        objects: usize,
        /// Objects per add (one `Store::add_objects` call, one transaction)
        #[arg(long, default_value_t = 500)]
        batch: usize,
        /// Objects per page (TAXII `limit`)
        #[arg(long, default_value_t = 1000)]
        page: usize,
        /// The collection to page through: the platform-wide one the objects
        /// were added to, or the reader's inbox (everything it may see)
        #[arg(long, value_enum, default_value_t = TaxiiCollection::Platform)]
        collection: TaxiiCollection,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TaxiiCollection {
    Platform,
    Inbox,
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
        BenchCommand::Taxii {
            objects,
            batch,
            page,
            collection,
        } => {
            let r = taxii(
                objects.max(1),
                batch.max(1),
                page.clamp(1, 10_000),
                collection,
            )
            .await?;
            output::emit(g.json, &r, || {
                let f = |k: &str| r[k].as_f64().unwrap_or(0.0);
                let slices: Vec<String> = r["retrieve_slices_per_s"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|v| format!("{:.0}", v.as_f64().unwrap_or(0.0)))
                            .collect()
                    })
                    .unwrap_or_default();
                format!(
                    "TAXII 2.1 on SQLite: {} objects ({} MB of STIX), batches of {}, pages of {} from the {} collection\n  ingest (Store::add_objects):   {:>9.0} objects/s  ({:.1} s; first 10% {:.0}/s, last 10% {:.0}/s)\n  paging over HTTP with `next`:  {:>9.0} objects/s  ({:.1} s, {} pages, p50 {:.1} ms, p99 {:.1} ms per page)\n  per 10% of the walk (objects/s): {}\n  last 10% / first 10%: {:.2}",
                    r["objects"], (f("stix_bytes") / 1e6).round(), r["batch"], r["page"], r["collection"].as_str().unwrap_or(""),
                    f("ingest_per_s"), f("ingest_s"), f("ingest_first_slice_per_s"), f("ingest_last_slice_per_s"),
                    f("retrieve_per_s"), f("retrieve_s"), r["pages"], f("page_p50_ms"), f("page_p99_ms"),
                    slices.join(" "), f("retrieve_last_over_first"),
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

/// A UUID (version 4 layout) from the deterministic generator.
fn uuid4(rng: &mut Rng) -> String {
    let (a, b) = (rng.next(), rng.next());
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | (b >> 48) & 0x3fff,
        b & 0xffff_ffff_ffff
    )
}

/// STIX 2.1 object number `i`, the mix of bench/taxii.py: 15% malware, the
/// rest indicators with IPv4 (35%), domain (25%), URL (10%) and SHA-256 (15%)
/// patterns; all TLP:GREEN.
fn stix_object(rng: &mut Rng, i: usize) -> serde_json::Value {
    const GREEN: &str = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da";
    let word = |rng: &mut Rng, k: usize| -> String {
        (0..k)
            .map(|_| b"abcdefghijklmnopqrstuvwxyz0123456789"[(rng.next() % 36) as usize] as char)
            .collect()
    };
    let pick_of =
        |rng: &mut Rng, list: &[&'static str]| list[(rng.next() % list.len() as u64) as usize];
    let r = rng.next();
    let created = format!(
        "2026-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        1 + (r >> 8) % 10,
        1 + (r >> 16) % 28,
        (r >> 24) % 24,
        (r >> 32) % 60,
        (r >> 40) % 60,
        (r >> 48) % 1000
    );
    let pick = r % 100;
    if pick < 15 {
        return serde_json::json!({
            "type": "malware", "spec_version": "2.1", "id": format!("malware--{}", uuid4(rng)),
            "created": created, "modified": created,
            "name": format!("{}-{i}", word(rng, 6)),
            "description": format!("Malware family seen in campaign {} against operators.", word(rng, 5)),
            "is_family": true,
            "malware_types": [pick_of(rng, &["ransomware", "backdoor", "remote-access-trojan", "downloader", "bot", "wiper"])],
            "object_marking_refs": [GREEN],
        });
    }
    let tld = pick_of(rng, &["jp", "com", "net", "org", "info", "xyz"]);
    let (pattern, name) = match pick {
        15..=49 => {
            let v = rng.next();
            let ip = format!(
                "{}.{}.{}.{}",
                1 + v % 223,
                (v >> 8) & 255,
                (v >> 16) & 255,
                1 + (v >> 24) % 254
            );
            (
                format!("[ipv4-addr:value = '{ip}']"),
                format!("C2 address {ip}"),
            )
        }
        50..=74 => {
            let n = 4 + (rng.next() % 7) as usize;
            let d = format!("{}.{}.{tld}", word(rng, n), word(rng, 6));
            (
                format!("[domain-name:value = '{d}']"),
                format!("Phishing domain {d}"),
            )
        }
        75..=84 => (
            format!(
                "[url:value = 'https://{}.{tld}/{}/{}.php']",
                word(rng, 7),
                word(rng, 4),
                word(rng, 6)
            ),
            "Malicious URL".to_owned(),
        ),
        _ => (
            format!(
                "[file:hashes.'SHA-256' = '{:016x}{:016x}{:016x}{:016x}']",
                rng.next(),
                rng.next(),
                rng.next(),
                rng.next()
            ),
            "Dropper sample".to_owned(),
        ),
    };
    serde_json::json!({
        "type": "indicator", "spec_version": "2.1", "id": format!("indicator--{}", uuid4(rng)),
        "created": created, "modified": created,
        "name": name,
        "description": format!("Observed by sensor {} during incident handling.", word(rng, 4)),
        "indicator_types": [pick_of(rng, &["malicious-activity", "anomalous-activity", "compromised", "attribution"])],
        "pattern": pattern, "pattern_type": "stix", "pattern_version": "2.1",
        "valid_from": created,
        "labels": [pick_of(rng, &["apt", "crimeware", "phishing", "scanning"])],
        "confidence": 30 + rng.next() % 71,
        "object_marking_refs": [GREEN],
    })
}

/// Objects per second in each tenth of a run, from `(objects, seconds)` per
/// step (a batch, a page): a step counts in the tenth where it starts.
fn slices(steps: &[(usize, f64)], n: usize) -> Vec<f64> {
    let mut sums = [(0usize, 0f64); 10];
    let mut done = 0;
    for &(k, s) in steps {
        let tenth = (done * 10 / n.max(1)).min(9);
        sums[tenth].0 += k;
        sums[tenth].1 += s;
        done += k;
    }
    sums.iter()
        .filter(|(k, _)| *k > 0)
        .map(|(k, s)| *k as f64 / s.max(1e-9))
        .collect()
}

/// Fill a fresh SQLite store with `n` objects through `Store::add_objects`,
/// then page through a collection over HTTP as a TAXII client does.
async fn taxii(
    n: usize,
    batch: usize,
    page: usize,
    collection: TaxiiCollection,
) -> anyhow::Result<serde_json::Value> {
    use sakimori_store::{ShareOptions, INBOX_COLLECTION, SHARED_COLLECTION};
    use std::io::Write as _;
    use std::sync::Arc;
    let dir = std::env::temp_dir().join(format!("sakimori-bench-taxii-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = Arc::new(sakimori_store::Store::open(&sakimori_store::sqlite_url(&dir)).await?);
    store.ensure_reference(crate::demo::REFERENCE).await?;
    let users = crate::demo::install(&store).await?;
    store.ensure_collections().await?;
    let analyst = users
        .iter()
        .find(|u| u.username == "demo-analyst")
        .expect("demo analyst");
    let actor = store
        .authenticate(&analyst.token)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the demo analyst's token is not accepted"))?;
    let progress = |what: &str, done: usize, start: Instant| {
        let s = start.elapsed().as_secs_f64();
        eprint!(
            "\r  {what} {done:>9}/{n}  {:>8.0} objects/s  {s:>6.1} s",
            done as f64 / s.max(1e-9)
        );
        let _ = std::io::stderr().flush();
    };

    // Ingest.
    let mut rng = Rng(SEED);
    let mut stix_bytes = 0usize;
    let mut ingest_s = 0f64;
    let mut ingest_steps = Vec::new();
    let start = Instant::now();
    let mut done = 0;
    while done < n {
        let objects: Vec<serde_json::Value> = (done..n.min(done + batch))
            .map(|i| stix_object(&mut rng, i))
            .collect();
        stix_bytes += objects.iter().map(|o| o.to_string().len()).sum::<usize>();
        let t = Instant::now();
        let status = store
            .add_objects(
                &actor,
                SHARED_COLLECTION,
                &objects,
                &ShareOptions::default(),
                false,
            )
            .await?;
        let took = t.elapsed().as_secs_f64();
        ingest_s += took;
        anyhow::ensure!(
            status.success_count == objects.len(),
            "batch at {done}: {} of {} added: {:?}",
            status.success_count,
            objects.len(),
            status.failures.first()
        );
        done += objects.len();
        ingest_steps.push((objects.len(), took));
        progress("ingest", done, start);
    }
    eprintln!();
    let ingest_slices = slices(&ingest_steps, n);

    // Page through the collection over HTTP.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let id = match collection {
        TaxiiCollection::Platform => SHARED_COLLECTION,
        TaxiiCollection::Inbox => INBOX_COLLECTION,
    };
    let url = format!(
        "http://{}/taxii2/api/collections/{id}/objects/",
        listener.local_addr()?
    );
    let state = sakimori_server::AppState::new(store.clone());
    let server = tokio::spawn(sakimori_server::serve(
        listener,
        state,
        std::future::pending(),
    ));
    #[derive(serde::Deserialize)]
    struct Envelope {
        #[serde(default)]
        more: bool,
        next: Option<String>,
        #[serde(default)]
        objects: Vec<Obj>,
    }
    // What a client keeps of each object here: the rest is parsed and dropped.
    #[derive(serde::Deserialize)]
    struct Obj {
        id: String,
    }
    let http = reqwest::Client::new();
    let mut seen = std::collections::HashSet::with_capacity(n);
    let mut count = 0usize;
    let mut next: Option<String> = None;
    let mut page_ms = Vec::new();
    let mut steps = Vec::new();
    let start = Instant::now();
    loop {
        let mut query = vec![("limit", page.to_string())];
        if let Some(c) = &next {
            query.push(("next", c.clone()));
        }
        let t = Instant::now();
        let resp = http
            .get(&url)
            .basic_auth(&analyst.username, Some(&analyst.token))
            .header("Accept", "application/taxii+json;version=2.1")
            .query(&query)
            .send()
            .await?;
        anyhow::ensure!(resp.status().is_success(), "page: {}", resp.status());
        let env: Envelope = serde_json::from_slice(&resp.bytes().await?)?;
        let took = t.elapsed().as_secs_f64();
        page_ms.push(took * 1000.0);
        steps.push((env.objects.len(), took));
        count += env.objects.len();
        for o in env.objects {
            seen.insert(o.id);
        }
        progress("paging", count, start);
        if !env.more {
            break;
        }
        next = Some(
            env.next
                .ok_or_else(|| anyhow::anyhow!("more without next"))?,
        );
    }
    let retrieve_s = start.elapsed().as_secs_f64();
    eprintln!();
    server.abort();
    anyhow::ensure!(
        count == n && seen.len() == n,
        "paged {count} objects ({} distinct) of {n}",
        seen.len()
    );
    let db_bytes = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum::<u64>();
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
    let retrieve_slices = slices(&steps, n);
    page_ms.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| page_ms[((page_ms.len() as f64 - 1.0) * p) as usize];
    Ok(serde_json::json!({
        "objects": n,
        "batch": batch,
        "page": page,
        "collection": match collection { TaxiiCollection::Platform => "platform", TaxiiCollection::Inbox => "inbox" },
        "stix_bytes": stix_bytes,
        "database_bytes": db_bytes,
        "ingest_s": ingest_s,
        "ingest_per_s": n as f64 / ingest_s,
        "ingest_slices_per_s": ingest_slices,
        "ingest_first_slice_per_s": ingest_slices.first(),
        "ingest_last_slice_per_s": ingest_slices.last(),
        "retrieve_s": retrieve_s,
        "retrieve_per_s": n as f64 / retrieve_s,
        "pages": page_ms.len(),
        "page_p50_ms": pct(0.5),
        "page_p99_ms": pct(0.99),
        "retrieve_slices_per_s": retrieve_slices,
        "retrieve_last_over_first": retrieve_slices.last().unwrap_or(&0.0) / retrieve_slices.first().unwrap_or(&1.0),
    }))
}
