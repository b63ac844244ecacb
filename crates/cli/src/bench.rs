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
    /// Sensor triage on one core: EVE bytes to observations to noise filter,
    /// indicator match and bundling, against 1,000,000 indicators; and ripgrep
    #[command(after_help = MATCH_HELP)]
    Match {
        /// EVE records to generate (flow 40%, dns 25%, tls 10%, http 10%, alert 10%, fileinfo 5%)
        #[arg(long, default_value_t = 1_000_000)]
        records: usize,
        /// Indicators to load (50% IPv4 addresses and CIDR blocks, 40% domains, 10% SHA-256 and MD5 hashes)
        #[arg(long, default_value_t = 1_000_000)]
        indicators: usize,
        /// Records that carry an indicator's value, in percent
        #[arg(long, default_value_t = 1.0)]
        hit_pct: f64,
        /// Observations per `Engine::run` call: one batch of the ingest
        /// pipeline (a sensor sends 1,000 records per NATS message)
        #[arg(long, default_value_t = 1_000)]
        batch: usize,
        /// Directory to write eve.json and iocs.txt to, and keep them; by default
        /// a temporary directory, removed at the end
        #[arg(long)]
        dir: Option<std::path::PathBuf>,
        /// Runs of each stage; the best counts
        #[arg(long, default_value_t = 3)]
        repeat: usize,
        /// Skip the ripgrep comparison
        #[arg(long)]
        no_rg: bool,
    },
}

const MATCH_HELP: &str = "\
Examples:
  cargo run --release -- bench match
  cargo run --release -- bench match --records 200000 --indicators 100000 --json
  cargo run --release -- bench match --dir /tmp/eve-bench --no-rg   # keep eve.json and iocs.txt

Everything is generated from a fixed seed. One thread times, over the same
in-memory file, best of --repeat runs: (a) JSON parsing alone of every line (serde IgnoredAny), the
floor; (b) EveReader alone; (c) EveReader and Matcher::matches; (d) EveReader
and Engine::run in batches (noise filter, indicator match, warninglists,
bundling). Then ripgrep, the analyst's usual IOC sweep, as an external process:
`rg -F -f iocs.txt eve.json --count` with the same indicator values as fixed
strings (install it with `apt-get install ripgrep`). Goal: 1,000,000 records/s
per core from bytes to matches.";

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
        BenchCommand::Match {
            records,
            indicators,
            hit_pct,
            batch,
            dir,
            repeat,
            no_rg,
        } => {
            let opts = MatchOpts {
                records: records.max(1),
                indicators: indicators.max(10),
                hit_pct: hit_pct.clamp(0.0, 100.0),
                batch: batch.max(1),
                dir,
                repeat: repeat.max(1),
                rg: !no_rg,
            };
            let r = tokio::task::spawn_blocking(move || sensor_match(&opts)).await??;
            output::emit(g.json, &r, || match_table(&r));
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

/// Options of `bench match`.
pub struct MatchOpts {
    records: usize,
    indicators: usize,
    hit_pct: f64,
    batch: usize,
    dir: Option<std::path::PathBuf>,
    repeat: usize,
    rg: bool,
}

/// The values of the generated indicators, to plant in records.
#[derive(Default)]
struct IocValues {
    ips: Vec<u32>,
    nets: Vec<(u32, u8)>,
    domains: Vec<String>,
    sha256: Vec<String>,
    md5: Vec<String>,
}

/// First octets of public IPv4 space, for indicators and for traffic alike:
/// ordinary records hit address indicators by chance, as they would.
fn public_octets() -> Vec<u8> {
    (1..=223u8)
        .filter(|o| ![10, 100, 127, 169, 172, 192].contains(o))
        .collect()
}

/// True once in `n` draws.
#[allow(clippy::manual_is_multiple_of)] // is_multiple_of needs Rust 1.87
fn one_in(rng: &mut Rng, n: u64) -> bool {
    rng.next() % n == 0
}

fn pick<'a, T>(rng: &mut Rng, v: &'a [T]) -> &'a T {
    &v[(rng.next() % v.len() as u64) as usize]
}

fn word(rng: &mut Rng, min: usize, max: usize) -> String {
    let n = min + (rng.next() % (max - min + 1) as u64) as usize;
    (0..n)
        .map(|_| b"abcdefghijklmnopqrstuvwxyz0123456789"[(rng.next() % 36) as usize] as char)
        .collect()
}

fn hex(rng: &mut Rng, digits: usize) -> String {
    let mut s = String::with_capacity(digits + 16);
    while s.len() < digits {
        s.push_str(&format!("{:016x}", rng.next()));
    }
    s.truncate(digits);
    s
}

fn v4(a: u32) -> Ipv4Addr {
    Ipv4Addr::from(a)
}

/// Generates the indicators as STIX 2.1 JSON text, parses and compiles them
/// into a matcher (the timed part) and writes their values to `iocs.txt`.
fn load_indicators(
    n: usize,
    rng: &mut Rng,
    iocs_path: &std::path::Path,
) -> anyhow::Result<(sakimori_sensor::Matcher, IocValues, f64)> {
    use std::io::Write as _;
    let mut m = sakimori_sensor::Matcher::new();
    let mut vals = IocValues::default();
    let mut iocs = std::io::BufWriter::new(std::fs::File::create(iocs_path)?);
    let octets = public_octets();
    let tlds = [
        "com", "net", "org", "info", "xyz", "top", "jp", "ru", "cn", "io",
    ];
    let mut load_s = 0f64;
    let mut chunk: Vec<String> = Vec::with_capacity(10_000);
    let mut i = 0;
    let progress = Instant::now();
    while i < n {
        chunk.clear();
        for i in i..n.min(i + 10_000) {
            let (pattern, name, value) = match i % 10 {
                0..=4 => {
                    let a = u32::from(*pick(rng, &octets)) << 24 | (rng.next() as u32 & 0xff_ffff);
                    // 2% are blocks: mostly /24, a tenth of them /16 to /23.
                    if one_in(rng, 50) {
                        let len = if one_in(rng, 10) {
                            16 + (rng.next() % 8) as u8
                        } else {
                            24
                        };
                        let net = a & (u32::MAX << (32 - len));
                        vals.nets.push((net, len));
                        let cidr = format!("{}/{len}", v4(net));
                        (
                            format!("[ipv4-addr:value ISSUBSET '{cidr}']"),
                            format!("Botnet range {cidr}"),
                            cidr,
                        )
                    } else {
                        vals.ips.push(a);
                        let ip = v4(a).to_string();
                        (
                            format!("[ipv4-addr:value = '{ip}']"),
                            format!("C2 address {ip}"),
                            ip,
                        )
                    }
                }
                5..=8 => {
                    let d = format!(
                        "{}.{}.{}",
                        word(rng, 6, 12),
                        word(rng, 3, 8),
                        pick(rng, &tlds)
                    );
                    vals.domains.push(d.clone());
                    (
                        format!("[domain-name:value = '{d}']"),
                        format!("Phishing domain {d}"),
                        d,
                    )
                }
                _ => {
                    if i % 20 == 9 {
                        let h = hex(rng, 64);
                        vals.sha256.push(h.clone());
                        (
                            format!("[file:hashes.'SHA-256' = '{h}']"),
                            "Dropper sample".to_owned(),
                            h,
                        )
                    } else {
                        let h = hex(rng, 32);
                        vals.md5.push(h.clone());
                        (
                            format!("[file:hashes.MD5 = '{h}']"),
                            "Loader sample".to_owned(),
                            h,
                        )
                    }
                }
            };
            writeln!(iocs, "{value}")?;
            let id = uuid4(rng);
            chunk.push(
                serde_json::json!({
                    "type": "indicator", "spec_version": "2.1", "id": format!("indicator--{id}"),
                    "created": "2026-11-01T00:00:00.000Z", "modified": "2026-11-01T00:00:00.000Z",
                    "name": name, "indicator_types": ["malicious-activity"],
                    "pattern": pattern, "pattern_type": "stix", "pattern_version": "2.1",
                    "valid_from": "2026-11-01T00:00:00Z", "confidence": 80,
                })
                .to_string(),
            );
        }
        let t = Instant::now();
        for text in &chunk {
            let v: serde_json::Value = serde_json::from_str(text)?;
            m.insert_stix(&v)
                .map_err(|e| anyhow::anyhow!("indicator {text}: {e}"))?;
        }
        load_s += t.elapsed().as_secs_f64();
        i += chunk.len();
        eprint!(
            "\r  indicators {i:>9}/{n}  {:>6.1} s",
            progress.elapsed().as_secs_f64()
        );
    }
    eprintln!();
    iocs.flush()?;
    Ok((m, vals, load_s))
}

const SIGNATURES: &[(u64, &str, &str)] = &[
    (
        2034567,
        "ET WEB_SERVER Directory Traversal Attempt",
        "Web Application Attack",
    ),
    (
        2030000,
        "ET EXPLOIT Fortinet SSL VPN Path Traversal",
        "Attempted Administrator Privilege Gain",
    ),
    (
        2027865,
        "ET POLICY SMB2 NT Create AndX Request For an Executable File",
        "Potential Corporate Privacy Violation",
    ),
    (
        2001219,
        "ET SCAN Potential SSH Scan",
        "Attempted Information Leak",
    ),
    (
        2010937,
        "ET SCAN Suspicious inbound to mySQL port 3306",
        "Potentially Bad Traffic",
    ),
    (
        2024792,
        "ET EXPLOIT Apache Struts RCE CVE-2017-5638",
        "Attempted Administrator Privilege Gain",
    ),
    (
        2033966,
        "ET EXPLOIT Atlassian Confluence OGNL Injection CVE-2021-26084",
        "Attempted Administrator Privilege Gain",
    ),
    (
        2034647,
        "ET EXPLOIT Apache log4j RCE Attempt (jndi:ldap)",
        "Attempted Administrator Privilege Gain",
    ),
    (
        2019401,
        "ET POLICY Vulnerable Java Version 1.8.x Detected",
        "Potentially Bad Traffic",
    ),
    (
        2013028,
        "ET POLICY curl User-Agent Outbound",
        "Attempted Information Leak",
    ),
    (
        2402000,
        "ET DROP Dshield Block Listed Source",
        "Misc Attack",
    ),
    (
        2522000,
        "ET TOR Known Tor Relay/Router (Not Exit) Node Traffic",
        "Misc Attack",
    ),
];

/// Writes `n` EVE records, a realistic mix, with `hit_pct` percent carrying
/// an indicator's value. Returns the bytes written.
fn write_eve(
    path: &std::path::Path,
    n: usize,
    hit_pct: f64,
    iocs: &IocValues,
    rng: &mut Rng,
) -> anyhow::Result<u64> {
    use std::fmt::Write as _;
    use std::io::Write as _;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let traffic = public_octets();
    let ext = |rng: &mut Rng| {
        let a = u32::from(*pick(rng, &traffic)) << 24 | (rng.next() as u32 & 0xff_ffff);
        v4(a)
    };
    // Hosts of the constituency: 10.0.0.0/8, one /16 per organisation.
    let int = |rng: &mut Rng| {
        let r = rng.next() as u32;
        v4(0x0a00_0000 | (r & 0x00ff_ffff) | 1)
    };
    let tlds = ["com", "net", "jp", "co.jp", "org", "io"];
    let sites: Vec<String> = (0..20_000)
        .map(|_| {
            let sub = pick(
                rng,
                &["www", "api", "cdn", "static", "mail", "login", "img"],
            );
            format!("{sub}.{}.{}", word(rng, 4, 10), pick(rng, &tlds))
        })
        .collect();
    // Attack sources recur: a few thousand addresses, and the scanners.
    let attackers: Vec<Ipv4Addr> = (0..300).map(|_| ext(rng)).collect();
    let scanners = ["162.142.125.", "167.94.138.", "64.62.197."];
    let agents = [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
        "curl/8.5.0",
        "Microsoft-CryptoAPI/10.0",
    ];
    let step_us = (3_600_000_000u64 / n as u64).max(1);
    let hit_per_million = (hit_pct * 10_000.0) as u64;
    let mut line = String::with_capacity(2048);
    let mut bytes = 0u64;
    let started = Instant::now();
    for i in 0..n {
        line.clear();
        let us = i as u64 * step_us;
        let (h, mi, sec, frac) = (
            9 + us / 3_600_000_000,
            us / 60_000_000 % 60,
            us / 1_000_000 % 60,
            us % 1_000_000,
        );
        let ts = format!("2024-05-01T{h:02}:{mi:02}:{sec:02}.{frac:06}+0900");
        let flow_id = rng.next() >> 13;
        let hit = rng.next() % 1_000_000 < hit_per_million;
        let kind = rng.next() % 100;
        let sport = 1024 + rng.next() % 64000;
        let hit_ip = |rng: &mut Rng| -> Ipv4Addr {
            if !iocs.nets.is_empty() && one_in(rng, 10) {
                let (net, len) = *pick(rng, &iocs.nets);
                v4(net | (rng.next() as u32 & !(u32::MAX << (32 - len))))
            } else {
                v4(*pick(rng, &iocs.ips))
            }
        };
        let hit_domain = |rng: &mut Rng| -> String {
            let d = pick(rng, &iocs.domains);
            if one_in(rng, 2) {
                d.clone()
            } else {
                format!("www.{d}")
            }
        };
        let flow_obj = |rng: &mut Rng, failed: bool| -> String {
            let (ps, pc) = (
                1 + rng.next() % 40,
                if failed { 0 } else { 1 + rng.next() % 60 },
            );
            let (bs, bc) = (ps * (60 + rng.next() % 900), pc * (60 + rng.next() % 1400));
            format!(
                r#""flow":{{"pkts_toserver":{ps},"pkts_toclient":{pc},"bytes_toserver":{bs},"bytes_toclient":{bc},"start":"{ts}","end":"{ts}","age":{},"state":"{}","reason":"timeout","alerted":false}}"#,
                rng.next() % 120,
                if failed { "new" } else { "closed" }
            )
        };
        match kind {
            // flow, 40%: a quarter unanswered.
            0..=39 => {
                let failed = one_in(rng, 4);
                let (src, dst) = (int(rng), if hit { hit_ip(rng) } else { ext(rng) });
                let (dport, proto, app) = *pick(
                    rng,
                    &[
                        (443, "TCP", "tls"),
                        (80, "TCP", "http"),
                        (53, "UDP", "dns"),
                        (22, "TCP", "ssh"),
                        (123, "UDP", "failed"),
                    ],
                );
                let f = flow_obj(rng, failed);
                let tc = if failed { "00" } else { "1b" };
                write!(
                    line,
                    r#"{{"timestamp":"{ts}","flow_id":{flow_id},"in_iface":"eth1","event_type":"flow","src_ip":"{src}","src_port":{sport},"dest_ip":"{dst}","dest_port":{dport},"proto":"{proto}","app_proto":"{app}",{f}"#
                )?;
                if proto == "TCP" {
                    write!(
                        line,
                        r#","tcp":{{"tcp_flags":"1b","tcp_flags_ts":"1b","tcp_flags_tc":"{tc}","syn":true,"fin":true,"psh":true,"ack":true,"state":"closed"}}"#
                    )?;
                }
                line.push('}');
            }
            // dns, 25%: queries and answers of a resolver.
            40..=64 => {
                let name = if hit {
                    hit_domain(rng)
                } else {
                    pick(rng, &sites).clone()
                };
                let resolver = "10.0.0.53";
                if one_in(rng, 2) {
                    write!(
                        line,
                        r#"{{"timestamp":"{ts}","flow_id":{flow_id},"in_iface":"eth1","event_type":"dns","src_ip":"{}","src_port":{sport},"dest_ip":"{resolver}","dest_port":53,"proto":"UDP","dns":{{"type":"query","id":{},"rrname":"{name}","rrtype":"A","tx_id":0,"opcode":0}}}}"#,
                        int(rng),
                        rng.next() % 65536
                    )?;
                } else {
                    let (a1, a2) = (ext(rng), ext(rng));
                    write!(
                        line,
                        r#"{{"timestamp":"{ts}","flow_id":{flow_id},"in_iface":"eth1","event_type":"dns","src_ip":"{resolver}","src_port":53,"dest_ip":"{}","dest_port":{sport},"proto":"UDP","dns":{{"version":2,"type":"answer","id":{},"flags":"8180","qr":true,"rd":true,"ra":true,"opcode":0,"rrname":"{name}","rrtype":"A","rcode":"NOERROR","answers":[{{"rrname":"{name}","rrtype":"A","ttl":300,"rdata":"{a1}"}},{{"rrname":"{name}","rrtype":"A","ttl":300,"rdata":"{a2}"}}],"grouped":{{"A":["{a1}","{a2}"]}}}}}}"#,
                        int(rng),
                        rng.next() % 65536
                    )?;
                }
            }
            // tls, 10%.
            65..=74 => {
                let sni = if hit {
                    hit_domain(rng)
                } else {
                    pick(rng, &sites).clone()
                };
                write!(
                    line,
                    r#"{{"timestamp":"{ts}","flow_id":{flow_id},"in_iface":"eth1","event_type":"tls","src_ip":"{}","src_port":{sport},"dest_ip":"{}","dest_port":443,"proto":"TCP","tls":{{"subject":"CN={sni}","issuerdn":"C=US, O=Let's Encrypt, CN=R3","serial":"04:{}","fingerprint":"{}","sni":"{sni}","version":"TLS 1.2","notbefore":"2024-03-01T00:00:00","notafter":"2024-05-30T00:00:00","ja3":{{"hash":"{}","string":"771,4865-4866-4867-49195-49199-49196-49200-52393-52392,0-23-65281-10-11-35-16-5-13-18-51-45-43-27-17513,29-23-24,0"}},"ja3s":{{"hash":"{}","string":"771,4865,51-43"}},"ja4":"t13d1516h2_8daaf6152771_{}"}}}}"#,
                    int(rng),
                    ext(rng),
                    hex(rng, 8),
                    hex(rng, 40),
                    hex(rng, 32),
                    hex(rng, 32),
                    hex(rng, 12)
                )?;
            }
            // http, 10%.
            75..=84 => {
                let host = if hit {
                    hit_domain(rng)
                } else {
                    pick(rng, &sites).clone()
                };
                write!(
                    line,
                    r#"{{"timestamp":"{ts}","flow_id":{flow_id},"in_iface":"eth1","event_type":"http","src_ip":"{}","src_port":{sport},"dest_ip":"{}","dest_port":80,"proto":"TCP","tx_id":0,"http":{{"hostname":"{host}","url":"/{}/{}.php?id={}","http_user_agent":"{}","http_content_type":"text/html","http_method":"GET","protocol":"HTTP/1.1","status":200,"length":{}}}}}"#,
                    int(rng),
                    ext(rng),
                    word(rng, 3, 8),
                    word(rng, 4, 10),
                    rng.next() % 100_000,
                    pick(rng, &agents),
                    rng.next() % 100_000
                )?;
            }
            // alert, 10%: recurring attackers against the constituency,
            // some from research scanners, some blocked inline.
            85..=94 => {
                let r = rng.next() % 100;
                // Half the alerts come from the 20 busiest sources; an
                // attacker mostly sticks to one technique.
                let who = (rng.next()
                    % if one_in(rng, 2) {
                        20
                    } else {
                        attackers.len() as u64
                    }) as usize;
                let technique = if one_in(rng, 5) {
                    (rng.next() % SIGNATURES.len() as u64) as usize
                } else {
                    who % SIGNATURES.len()
                };
                let src = if hit {
                    hit_ip(rng).to_string()
                } else if r < 5 {
                    format!("{}{}", pick(rng, &scanners), 1 + rng.next() % 250)
                } else {
                    attackers[who].to_string()
                };
                // A few hundred targeted hosts.
                let dst = v4(0x0a00_0000 | ((rng.next() % 400) as u32) << 8 | 10);
                let (sid, sig, cat) = SIGNATURES[technique];
                let action = if r >= 95 { "blocked" } else { "allowed" };
                let f = flow_obj(rng, false);
                write!(
                    line,
                    r#"{{"timestamp":"{ts}","flow_id":{flow_id},"in_iface":"eth1","event_type":"alert","src_ip":"{src}","src_port":{sport},"dest_ip":"{dst}","dest_port":443,"proto":"TCP","tx_id":0,"alert":{{"action":"{action}","gid":1,"signature_id":{sid},"rev":{},"signature":"{sig}","category":"{cat}","severity":{},"metadata":{{"affected_product":["Any"],"attack_target":["Server"],"deployment":["Perimeter"],"signature_severity":["Major"],"created_at":["2021_12_10"]}}}},"app_proto":"tls",{f}}}"#,
                    1 + rng.next() % 9,
                    1 + rng.next() % 3
                )?;
            }
            // fileinfo, 5%.
            _ => {
                let (mut md5, mut sha256) = (hex(rng, 32), hex(rng, 64));
                if hit {
                    if one_in(rng, 2) && !iocs.sha256.is_empty() {
                        sha256 = pick(rng, &iocs.sha256).clone();
                    } else if !iocs.md5.is_empty() {
                        md5 = pick(rng, &iocs.md5).clone();
                    }
                }
                let host = pick(rng, &sites);
                write!(
                    line,
                    r#"{{"timestamp":"{ts}","flow_id":{flow_id},"in_iface":"eth1","event_type":"fileinfo","src_ip":"{}","src_port":80,"dest_ip":"{}","dest_port":{sport},"proto":"TCP","http":{{"hostname":"{host}","url":"/download/{}.exe","http_user_agent":"{}","http_content_type":"application/octet-stream","http_method":"GET","protocol":"HTTP/1.1","status":200,"length":{}}},"app_proto":"http","fileinfo":{{"filename":"/download/{}.exe","gaps":false,"state":"CLOSED","md5":"{md5}","sha1":"{}","sha256":"{sha256}","stored":false,"size":{},"tx_id":0}}}}"#,
                    ext(rng),
                    int(rng),
                    word(rng, 4, 10),
                    pick(rng, &agents),
                    rng.next() % 10_000_000,
                    word(rng, 4, 10),
                    hex(rng, 40),
                    rng.next() % 10_000_000
                )?;
            }
        }
        line.push('\n');
        out.write_all(line.as_bytes())?;
        bytes += line.len() as u64;
        if i % 50_000 == 0 || i + 1 == n {
            eprint!(
                "\r  EVE records {:>9}/{n}  {:>6.1} s",
                i + 1,
                started.elapsed().as_secs_f64()
            );
        }
    }
    eprintln!();
    out.flush()?;
    Ok(bytes)
}

/// CPU time of the calling thread, in seconds (Linux: the scheduler's
/// nanosecond count), so that a stage's cost per core shows even when other
/// processes share the machine.
fn thread_cpu_s() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns as f64 / 1e9)
}

/// Wall-clock and CPU seconds of one stage.
struct Clock(Instant, Option<f64>);

impl Clock {
    fn start() -> Self {
        Clock(Instant::now(), thread_cpu_s())
    }

    fn stop(&self) -> (f64, f64) {
        let wall = self.0.elapsed().as_secs_f64();
        let cpu = match (self.1, thread_cpu_s()) {
            (Some(a), Some(b)) => b - a,
            _ => wall,
        };
        (wall, cpu)
    }
}

/// Resident memory of this process, in bytes (Linux).
fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// CPU seconds of this process's waited-for children (Linux, in clock ticks
/// of 1/100 s).
fn children_cpu_s() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(13)?.parse::<u64>().ok()? + f.get(14)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// Runs ripgrep; returns (wall seconds, CPU seconds, matching lines), or
/// None when it is not installed.
fn ripgrep(
    iocs: &std::path::Path,
    file: &std::path::Path,
) -> anyhow::Result<Option<(f64, f64, u64)>> {
    let cpu0 = children_cpu_s();
    let t = Instant::now();
    let out = match std::process::Command::new("rg")
        .arg("-F")
        .arg("-f")
        .arg(iocs)
        .arg(file)
        .arg("--count")
        .output()
    {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let s = t.elapsed().as_secs_f64();
    let cpu = match (cpu0, children_cpu_s()) {
        (Some(a), Some(b)) => b - a,
        _ => s,
    };
    // Exit status 1 is "no match".
    anyhow::ensure!(
        matches!(out.status.code(), Some(0 | 1)),
        "rg failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let count = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0);
    Ok(Some((s, cpu, count)))
}

fn sensor_match(o: &MatchOpts) -> anyhow::Result<serde_json::Value> {
    use sakimori_sensor::{Engine, EveReader, Observation, Sensor, Tally};
    let (dir, temporary) = match &o.dir {
        Some(d) => {
            std::fs::create_dir_all(d)?;
            (d.clone(), false)
        }
        None => {
            let d =
                std::env::temp_dir().join(format!("sakimori-bench-match-{}", std::process::id()));
            std::fs::create_dir_all(&d)?;
            (d, true)
        }
    };
    let (iocs_path, eve_path) = (dir.join("iocs.txt"), dir.join("eve.json"));
    let mut rng = Rng(SEED);

    // Indicators.
    let rss0 = rss_bytes();
    let (matcher, values, load_s) = load_indicators(o.indicators, &mut rng, &iocs_path)?;
    let matcher_rss = rss_bytes().saturating_sub(rss0);
    let stats = matcher.stats();
    let mut engine = Engine::new();
    engine.matcher = matcher;
    for k in 0..256u32 {
        engine.assets.insert_prefix(
            ipnet::Ipv4Net::new(v4(0x0a00_0000 | k << 16), 16)?.into(),
            &format!("org-{}", k % 100),
        );
    }

    // Records.
    let bytes = write_eve(&eve_path, o.records, o.hit_pct, &values, &mut rng)?;
    drop(values);
    let data = std::fs::read(&eve_path)?;
    let sensor = Sensor::new("bench-tap", "bench-site");
    let mb = data.len() as f64 / 1e6;

    // Each stage runs `repeat` times over the same bytes; the best run counts
    // (the first also warms the allocator and the caches).
    let mut floor_runs = Vec::new();
    let mut reader_runs = Vec::new();
    let mut match_runs = Vec::new();
    let mut engine_runs = Vec::new();
    let (mut matched_records, mut hit_count) = (0u64, 0u64);
    let mut tally = Tally::default();
    let mut drafts = 0usize;
    for run in 1..=o.repeat {
        // (a) The floor: JSON parsing alone.
        let t = Clock::start();
        let mut parsed = 0u64;
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', &data).chain(std::iter::once(data.len())) {
            let line = &data[start..end];
            start = end + 1;
            if !line.is_empty()
                && serde_json::from_slice::<serde::de::IgnoredAny>(black_box(line)).is_ok()
            {
                parsed += 1;
            }
        }
        floor_runs.push(t.stop());
        anyhow::ensure!(parsed == o.records as u64, "parsed {parsed} lines");

        // (b) EveReader alone.
        let t = Clock::start();
        let mut observations = 0u64;
        for obs in EveReader::new(&data[..], "eve.json", sensor.clone()) {
            black_box(obs?);
            observations += 1;
        }
        reader_runs.push(t.stop());
        anyhow::ensure!(observations == o.records as u64, "read {observations}");

        // (c) EveReader and the matcher alone.
        let t = Clock::start();
        let mut hits = Vec::new();
        (matched_records, hit_count) = (0, 0);
        for obs in EveReader::new(&data[..], "eve.json", sensor.clone()) {
            let obs = obs?;
            hits.clear();
            let n = engine.matcher.matches(&obs, &mut hits);
            hit_count += n as u64;
            matched_records += u64::from(n > 0);
        }
        match_runs.push(t.stop());

        // (d) EveReader and the whole engine, batch by batch.
        let t = Clock::start();
        tally = Tally::default();
        drafts = 0;
        let mut batch: Vec<Observation> = Vec::with_capacity(o.batch);
        let mut reader = EveReader::new(&data[..], "eve.json", sensor.clone());
        loop {
            batch.clear();
            for obs in reader.by_ref().take(o.batch) {
                batch.push(obs?);
            }
            if batch.is_empty() {
                break;
            }
            let b = engine.run(&batch);
            for t in b.tallies.values() {
                tally.add(t);
            }
            drafts += b.drafts.len();
            black_box(b);
        }
        engine_runs.push(t.stop());
        anyhow::ensure!(
            tally.records == o.records as u64,
            "engine saw {}",
            tally.records
        );
        eprintln!(
            "  run {run}/{}: floor {:.3} s, reader {:.3} s, + matcher {:.3} s, + engine {:.3} s (wall)",
            o.repeat,
            floor_runs[run - 1].0,
            reader_runs[run - 1].0,
            match_runs[run - 1].0,
            engine_runs[run - 1].0
        );
    }
    let best = |v: &[(f64, f64)], cpu: bool| {
        v.iter()
            .map(|r| if cpu { r.1 } else { r.0 })
            .fold(f64::MAX, f64::min)
    };
    let (floor_s, reader_s, match_s, engine_s) = (
        best(&floor_runs, false),
        best(&reader_runs, false),
        best(&match_runs, false),
        best(&engine_runs, false),
    );
    let (floor_cpu, reader_cpu, match_cpu, engine_cpu) = (
        best(&floor_runs, true),
        best(&reader_runs, true),
        best(&match_runs, true),
        best(&engine_runs, true),
    );

    // (e) ripgrep.
    let (rg, rg_build) = if o.rg {
        eprintln!("  (e) rg -F -f iocs.txt eve.json --count ...");
        let empty = dir.join("empty.json");
        std::fs::write(&empty, b"")?;
        let build = ripgrep(&iocs_path, &empty)?;
        (ripgrep(&iocs_path, &eve_path)?, build.map(|b| b.0))
    } else {
        (None, None)
    };
    if temporary {
        let _ = std::fs::remove_dir_all(&dir);
    }

    let n = o.records as f64;
    let per_s = |s: f64| n / s.max(1e-9);
    let rg_s = rg.map(|r| r.0);
    let rg_cpu = rg.map(|r| r.1);
    Ok(serde_json::json!({
        "records": o.records,
        "eve_bytes": bytes,
        "indicators": o.indicators,
        "matcher": stats,
        "load_s": load_s,
        "load_per_s": o.indicators as f64 / load_s.max(1e-9),
        "matcher_rss_bytes": matcher_rss,
        "hit_pct": o.hit_pct,
        "batch": o.batch,
        "repeat": o.repeat,
        "runs_s": {"floor": floor_runs, "reader": reader_runs, "match": match_runs, "engine": engine_runs},
        "floor_s": floor_s,
        "floor_cpu_s": floor_cpu,
        "reader_cpu_s": reader_cpu,
        "match_cpu_s": match_cpu,
        "engine_cpu_s": engine_cpu,
        "engine_per_cpu_s": per_s(engine_cpu),
        "floor_per_s": per_s(floor_s),
        "floor_mb_s": mb / floor_s,
        "reader_s": reader_s,
        "reader_per_s": per_s(reader_s),
        "match_s": match_s,
        "match_per_s": per_s(match_s),
        "engine_s": engine_s,
        "engine_per_s": per_s(engine_s),
        "engine_mb_s": mb / engine_s,
        "engine_over_floor": engine_s / floor_s,
        "records_matched": matched_records,
        "hits": hit_count,
        "tally": tally,
        "drafts": drafts,
        "rg_s": rg_s,
        "rg_per_s": rg_s.map(per_s),
        "rg_pattern_build_s": rg_build,
        "rg_cpu_s": rg_cpu,
        "rg_matching_lines": rg.map(|r| r.2),
        "rg_over_engine_cpu": rg_cpu.map(|s| s / engine_cpu),
        "rg_over_engine": rg_s.map(|s| s / engine_s),
        "goal_per_s": 1_000_000,
        "goal_met_wall": per_s(engine_s) >= 1_000_000.0,
        "goal_met_cpu": per_s(engine_cpu) >= 1_000_000.0,
    }))
}

fn match_table(r: &serde_json::Value) -> String {
    let f = |k: &str| r[k].as_f64().unwrap_or(0.0);
    let (n, mb) = (f("records"), f("eve_bytes") / 1e6);
    let floor = f("floor_cpu_s");
    let row = |what: &str, wall: f64, cpu: f64| {
        vec![
            what.to_owned(),
            format!("{wall:.3}"),
            format!("{:.0}", n / wall),
            format!("{cpu:.3}"),
            format!("{:.0}", n / cpu),
            format!("{:.0}", mb / cpu),
            format!("{:.2}", cpu / floor),
        ]
    };
    let mut rows = vec![
        row(
            "(a) JSON floor: serde IgnoredAny per line",
            f("floor_s"),
            floor,
        ),
        row(
            "(b) EveReader: bytes to observations",
            f("reader_s"),
            f("reader_cpu_s"),
        ),
        row(
            "(c) EveReader + Matcher::matches",
            f("match_s"),
            f("match_cpu_s"),
        ),
        row(
            "(d) EveReader + Engine::run (noise, match, bundling)",
            f("engine_s"),
            f("engine_cpu_s"),
        ),
    ];
    if let (Some(s), Some(c)) = (r["rg_s"].as_f64(), r["rg_cpu_s"].as_f64()) {
        rows.push(row("(e) rg -F -f iocs.txt eve.json --count", s, c));
    }
    let t = &r["tally"];
    let mut out = format!(
        "Sensor matching on one core: {} EVE records ({:.0} MB), {} indicators, batches of {}, best of {} runs\n\
         indicators: {} networks, {} domains, {} hashes; loaded from STIX JSON in {:.2} s ({:.0}/s), matcher ~{:.0} MB\n\n",
        r["records"], f("eve_bytes") / 1e6, r["indicators"], r["batch"], r["repeat"],
        r["matcher"]["networks"], r["matcher"]["domains"], r["matcher"]["hashes"],
        f("load_s"), f("load_per_s"), f("matcher_rss_bytes") / 1e6,
    );
    out.push_str(&output::table(
        &[
            "stage",
            "wall s",
            "records/s",
            "CPU s",
            "records/CPU-s",
            "MB/CPU-s",
            "× floor (CPU)",
        ],
        rows,
    ));
    out.push_str(&format!(
        "\n\nengine: {} records matched an indicator ({} hits); noise dropped {} failed, {} scanner, {} warninglist; {} candidates in {} drafts",
        r["records_matched"], r["hits"], t["failed"], t["scanner"], t["warninglist"], t["candidates"], r["drafts"],
    ));
    if let Some(rg) = r["rg_s"].as_f64() {
        out.push_str(&format!(
            "\nripgrep: {} matching lines (fixed strings: no CIDR, no label boundaries), {:.2} s of it building the pattern set; rg / engine: {:.1}× the time, {:.1}× the CPU",
            r["rg_matching_lines"],
            r["rg_pattern_build_s"].as_f64().unwrap_or(0.0),
            rg / f("engine_s"),
            f("rg_over_engine_cpu"),
        ));
    }
    let met = |k: &str| {
        if r[k].as_bool() == Some(true) {
            "met"
        } else {
            "not met"
        }
    };
    out.push_str(&format!(
        "\ngoal ≥ 1,000,000 records/s per core from bytes to matches: {} per CPU-second ({:.0}), {} by the wall clock ({:.0}/s)",
        met("goal_met_cpu"),
        f("engine_per_cpu_s"),
        met("goal_met_wall"),
        f("engine_per_s"),
    ));
    out
}
