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
