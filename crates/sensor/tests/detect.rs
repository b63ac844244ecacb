//! The triage layer as an analyst checks it: which indicators match which
//! records, what the noise filter drops and why, and how candidates are
//! bundled into events. Property tests hold the indicator matcher to a naive
//! linear scan over the indicator list.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use ipnet::IpNet;
use proptest::prelude::*;
use sakimori_sensor::detect::{Field, IndicatorError};
use sakimori_sensor::noise::{NoiseFilter, NoiseReason, Suppression};
use sakimori_sensor::triage::{self, Draft};
use sakimori_sensor::*;
use serde_json::{json, Value};

// ---------------------------------------------------------------------------
// Helpers

fn sensor() -> Arc<Sensor> {
    Sensor::new("gsoc1-tap-03", "kasumigaseki-dc1")
}

fn indicator(id: &str, pattern: &str) -> Value {
    json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": format!("indicator--{id}"),
        "name": format!("ioc {id}"),
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": "2024-01-01T00:00:00Z",
    })
}

fn matcher(indicators: &[(&str, &str)]) -> Matcher {
    let mut m = Matcher::new();
    for (id, p) in indicators {
        m.insert_stix(&indicator(id, p))
            .unwrap_or_else(|e| panic!("{p}: {e}"));
    }
    m
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap()
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn net(s: &str) -> IpNet {
    s.parse().unwrap()
}

/// A flow between two addresses, answered.
fn flow(src: &str, dst: &str) -> Observation {
    let mut o = Observation::new(t0(), sensor(), Kind::Flow);
    o.src_ip = Some(ip(src));
    o.src_port = Some(50000);
    o.dst_ip = Some(ip(dst));
    o.dst_port = Some(443);
    o.transport = Some(Transport::Tcp);
    o.outcome = Outcome::Answered;
    o
}

/// A record carrying domain names only.
fn names(domains: &[&str]) -> Observation {
    let mut o = Observation::new(t0(), sensor(), Kind::Dns);
    for d in domains {
        o.add_domain(d);
    }
    o
}

/// A Suricata alert at `secs` after t0.
fn alert(secs: i64, src: &str, dst: &str, sid: u64, name: &str) -> Observation {
    let mut o = flow(src, dst);
    o.kind = Kind::Alert;
    o.time = t0() + Duration::seconds(secs);
    o.outcome = Outcome::Unknown;
    o.signature = Some(Box::new(Signature {
        id: Some(sid),
        name: name.to_owned(),
        category: Some("Attempted Administrator Privilege Gain".into()),
        severity: Some(2),
        message: None,
    }));
    o
}

/// The hits of one record as (indicator id suffix, field, value), sorted.
fn hits(m: &Matcher, o: &Observation) -> Vec<(String, Field, String)> {
    let mut out = Vec::new();
    let n = m.matches(o, &mut out);
    assert_eq!(n, out.len());
    let mut v: Vec<_> = out
        .into_iter()
        .map(|h| {
            let id = h.indicator.id.trim_start_matches("indicator--").to_owned();
            (id, h.field, h.value)
        })
        .collect();
    v.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    v
}

fn hit(id: &str, field: Field, value: &str) -> (String, Field, String) {
    (id.to_owned(), field, value.to_owned())
}

/// EVE lines through the real reader; every line must parse.
fn eve(lines: &str) -> Vec<Observation> {
    let mut r = EveReader::new(lines.as_bytes(), "test.json", sensor());
    let out: Vec<Observation> = (&mut r).map(|o| o.unwrap()).collect();
    assert_eq!(r.counts().malformed, 0);
    out
}

fn sample_eve() -> Vec<Observation> {
    let path = format!("{}/tests/data/eve.json", env!("CARGO_MANIFEST_DIR"));
    let file = std::io::BufReader::new(std::fs::File::open(path).unwrap());
    EveReader::new(file, "eve.json", sensor())
        .filter_map(Result::ok)
        .collect()
}

// ---------------------------------------------------------------------------
// Indicators against records

#[test]
fn ip_indicator_matches_source_or_destination() {
    let m = matcher(&[("c2", "[ipv4-addr:value = '203.0.113.9']")]);
    assert_eq!(
        hits(&m, &flow("203.0.113.9", "192.0.2.20")),
        [hit("c2", Field::SrcIp, "203.0.113.9")]
    );
    assert_eq!(
        hits(&m, &flow("192.0.2.20", "203.0.113.9")),
        [hit("c2", Field::DstIp, "203.0.113.9")]
    );
    assert!(hits(&m, &flow("192.0.2.20", "203.0.113.10")).is_empty());
    assert!(hits(&m, &flow("203.0.113.90", "192.0.2.9")).is_empty());
    let s = m.stats();
    assert_eq!((s.indicators, s.networks, s.patterns), (1, 1, 0));
}

#[test]
fn ip_indicator_matches_real_eve_records_and_dns_answers() {
    // The sample's HTTP download from 203.0.113.9 and the file it served;
    // the DNS answer that resolved to 198.51.100.77.
    let m = matcher(&[
        ("c2", "[ipv4-addr:value = '203.0.113.9']"),
        ("cdn", "[ipv4-addr:value = '198.51.100.77']"),
    ]);
    let obs = sample_eve();
    let by_kind = |k: Kind| obs.iter().filter(move |o| o.kind == k);
    let http = by_kind(Kind::Http).next().unwrap();
    assert_eq!(hits(&m, http), [hit("c2", Field::DstIp, "203.0.113.9")]);
    let file = by_kind(Kind::File).next().unwrap();
    assert_eq!(hits(&m, file), [hit("c2", Field::SrcIp, "203.0.113.9")]);
    let answered: Vec<_> = by_kind(Kind::Dns)
        .filter(|o| !hits(&m, o).is_empty())
        .collect();
    assert_eq!(answered.len(), 1);
    assert_eq!(
        hits(&m, answered[0]),
        [hit("cdn", Field::Resolved, "198.51.100.77")]
    );
    // Every other record of the sample is clean.
    let matched = obs.iter().filter(|o| !hits(&m, o).is_empty()).count();
    assert_eq!(matched, 3);
}

#[test]
fn cidr_indicators_match_addresses_inside_only() {
    for pattern in [
        "[ipv4-addr:value = '198.51.100.0/24']",
        "[ipv4-addr:value ISSUBSET '198.51.100.0/24']",
        // Host bits in the block are ignored, as a router would.
        "[ipv4-addr:value = '198.51.100.77/24']",
    ] {
        let m = matcher(&[("net", pattern)]);
        for inside in ["198.51.100.0", "198.51.100.1", "198.51.100.255"] {
            assert_eq!(
                hits(&m, &flow("192.0.2.1", inside)),
                [hit("net", Field::DstIp, inside)],
                "{pattern} {inside}"
            );
        }
        for outside in [
            "198.51.101.0",
            "198.51.99.255",
            "198.52.100.1",
            "2001:db8::1",
        ] {
            assert!(
                hits(&m, &flow("192.0.2.1", outside)).is_empty(),
                "{pattern} {outside}"
            );
        }
    }
}

#[test]
fn nested_networks_all_match() {
    let m = matcher(&[
        ("wide", "[ipv4-addr:value ISSUBSET '203.0.0.0/16']"),
        ("narrow", "[ipv4-addr:value = '203.0.113.0/24']"),
        ("host", "[ipv4-addr:value = '203.0.113.9']"),
    ]);
    assert_eq!(
        hits(&m, &flow("192.0.2.1", "203.0.113.9")),
        [
            hit("host", Field::DstIp, "203.0.113.9"),
            hit("narrow", Field::DstIp, "203.0.113.9"),
            hit("wide", Field::DstIp, "203.0.113.9"),
        ]
    );
    assert_eq!(hits(&m, &flow("192.0.2.1", "203.0.114.1")).len(), 1);
    assert_eq!(m.stats().networks, 3);
}

#[test]
fn ipv6_addresses_and_networks() {
    let m = matcher(&[
        ("v6net", "[ipv6-addr:value = '2001:db8:bad::/48']"),
        ("v6sub", "[ipv6-addr:value ISSUBSET '2001:db8:c0::/44']"),
        ("v6host", "[ipv6-addr:value = '2001:db8::66']"),
    ]);
    assert_eq!(
        hits(&m, &flow("2001:db8:bad:ffff::1", "2001:db8:1::1")),
        [hit("v6net", Field::SrcIp, "2001:db8:bad:ffff::1")]
    );
    assert_eq!(
        hits(&m, &flow("2001:db8:1::1", "2001:db8:cf::9")),
        [hit("v6sub", Field::DstIp, "2001:db8:cf::9")]
    );
    assert!(hits(&m, &flow("2001:db8:1::1", "2001:db8:d0::9")).is_empty());
    assert!(hits(&m, &flow("2001:db8:bae::1", "2001:db8::67")).is_empty());
    // The sample's AAAA answer for malware.test.
    let obs = sample_eve();
    let aaaa: Vec<_> = obs.iter().filter(|o| !hits(&m, o).is_empty()).collect();
    assert_eq!(aaaa.len(), 1);
    assert_eq!(aaaa[0].domains, ["malware.test"]);
    assert_eq!(
        hits(&m, aaaa[0]),
        [hit("v6host", Field::Resolved, "2001:db8::66")]
    );
}

#[test]
fn ipv4_indicator_matches_ipv4_mapped_ipv6_record() {
    let m = matcher(&[("c2", "[ipv4-addr:value = '203.0.113.9']")]);
    assert_eq!(
        hits(&m, &flow("::ffff:203.0.113.9", "2001:db8::1")),
        [hit("c2", Field::SrcIp, "::ffff:203.0.113.9")]
    );
    // And an indicator written in the mapped form.
    let m = matcher(&[("mapped", "[ipv6-addr:value = '::ffff:203.0.113.9']")]);
    assert_eq!(
        hits(&m, &flow("::ffff:203.0.113.9", "2001:db8::1")),
        [hit("mapped", Field::SrcIp, "::ffff:203.0.113.9")]
    );
}

#[test]
fn domain_indicator_covers_subdomains_at_label_boundaries() {
    let m = matcher(&[("evil", "[domain-name:value = 'Evil.Example.']")]);
    assert_eq!(m.stats().domains, 1);
    for yes in ["evil.example", "cdn.evil.example", "a.b.c.EVIL.example."] {
        let o = names(&[yes]);
        assert_eq!(
            hits(&m, &o),
            [hit("evil", Field::Domain, &o.domains[0])],
            "{yes}"
        );
    }
    for no in [
        "notevil.example",
        "evil.example.com",
        "example",
        "evil-example",
        "xevil.example",
    ] {
        assert!(hits(&m, &names(&[no])).is_empty(), "{no}");
    }
}

#[test]
fn like_rule_matches_subdomains_only() {
    let m = matcher(&[("subs", "[domain-name:value LIKE '%.evil.example']")]);
    assert_eq!(m.stats().patterns, 0, "compiled into a key");
    assert_eq!(
        hits(&m, &names(&["cdn.evil.example"])),
        [hit("subs", Field::Domain, "cdn.evil.example")]
    );
    assert_eq!(hits(&m, &names(&["a.b.evil.example"])).len(), 1);
    assert!(hits(&m, &names(&["evil.example"])).is_empty());
    assert!(hits(&m, &names(&["notevil.example"])).is_empty());

    // Both rules on one name: the name itself matches the plain one only.
    let m = matcher(&[
        ("subs", "[domain-name:value LIKE '%.evil.example']"),
        ("all", "[domain-name:value = 'evil.example']"),
    ]);
    assert_eq!(m.stats().domains, 1);
    assert_eq!(hits(&m, &names(&["evil.example"])).len(), 1);
    assert_eq!(hits(&m, &names(&["www.evil.example"])).len(), 2);
}

#[test]
fn like_with_other_wildcards_is_evaluated_whole() {
    let m = matcher(&[("like", "[domain-name:value LIKE 'evil%.example']")]);
    assert_eq!(m.stats().patterns, 1);
    assert_eq!(hits(&m, &names(&["evil-cdn.example"])).len(), 1);
    assert!(hits(&m, &names(&["good.example"])).is_empty());
}

#[test]
fn domains_from_tls_sni_and_http_host() {
    let m = matcher(&[
        ("c2", "[domain-name:value = 'example.net']"),
        ("upd", "[domain-name:value = 'update.example.org']"),
    ]);
    let obs = sample_eve();
    let tls = obs.iter().find(|o| o.kind == Kind::Tls).unwrap();
    assert_eq!(hits(&m, tls), [hit("c2", Field::Domain, "c2.example.net")]);
    let http = obs.iter().find(|o| o.kind == Kind::Http).unwrap();
    assert_eq!(
        hits(&m, http),
        [hit("upd", Field::Domain, "update.example.org")]
    );
}

#[test]
fn url_matches_exactly() {
    let url = "http://update.example.org/download/agent.exe?v=2";
    let m = matcher(&[("u", &format!("[url:value = '{url}']"))]);
    assert_eq!(m.stats().urls, 1);
    // The sample's HTTP record writes the URI with an escaped slash.
    let obs = sample_eve();
    let http = obs.iter().find(|o| o.kind == Kind::Http).unwrap();
    assert_eq!(hits(&m, http), [hit("u", Field::Url, url)]);
    let other = eve(concat!(
        r#"{"timestamp":"2024-05-01T00:00:05.000000+0000","event_type":"http","src_ip":"192.0.2.20","src_port":50000,"dest_ip":"203.0.113.9","dest_port":8080,"proto":"TCP","http":{"hostname":"update.example.org","url":"/download/agent.exe?v=3"}}"#,
        "\n",
        r#"{"timestamp":"2024-05-01T00:00:05.000000+0000","event_type":"http","src_ip":"192.0.2.20","src_port":50000,"dest_ip":"203.0.113.9","dest_port":8080,"proto":"TCP","http":{"hostname":"update.example.org","url":"/download/agent.exe"}}"#,
    ));
    assert_eq!(other.len(), 2);
    for o in &other {
        assert!(hits(&m, o).is_empty(), "{:?}", o.urls);
    }
}

#[test]
fn file_hashes_sha256_and_md5() {
    let sha = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f";
    let md5 = "44d88612fea8a8f36de82e1278abb02f";
    let m = matcher(&[
        ("sha", &format!("[file:hashes.'SHA-256' = '{sha}']")),
        // Upper-case digests in the indicator still match.
        (
            "md5",
            &format!("[file:hashes.MD5 = '{}']", md5.to_ascii_uppercase()),
        ),
    ]);
    assert_eq!(m.stats().hashes, 2);
    let obs = sample_eve();
    let file = obs.iter().find(|o| o.kind == Kind::File).unwrap();
    assert_eq!(
        hits(&m, file),
        [hit("md5", Field::Hash, md5), hit("sha", Field::Hash, sha)]
    );
    // A hash of one algorithm does not match a record's hash of another
    // algorithm with the same digits.
    let m = matcher(&[("x", &format!("[file:hashes.'SHA-1' = '{md5}']"))]);
    assert!(hits(&m, file).is_empty());
}

#[test]
fn tls_fingerprints() {
    let m = matcher(&[
        ("ja3", "[x-ja3:value = 'e7d705a3286e19ea42f587b344ee6865']"),
        (
            "ja4",
            "[x-ja4:value = 't13d1516h2_8daaf6152771_b186095e22b6']",
        ),
        (
            "ja3s",
            "[x-ja3s:value = 'E7D705A3286E19EA42F587B344EE6865']",
        ),
    ]);
    assert_eq!(m.stats().fingerprints, 3);
    let obs = sample_eve();
    let tls = obs.iter().find(|o| o.kind == Kind::Tls).unwrap();
    // The record writes its JA3 in upper case; the JA3S indicator carries the
    // JA3 value, so it must not match the record's (different) JA3S.
    assert_eq!(
        hits(&m, tls),
        [
            hit(
                "ja3",
                Field::Fingerprint,
                "e7d705a3286e19ea42f587b344ee6865"
            ),
            hit(
                "ja4",
                Field::Fingerprint,
                "t13d1516h2_8daaf6152771_b186095e22b6"
            ),
        ]
    );
}

#[test]
fn disjunctions_split_into_keys() {
    let m = matcher(&[
        (
            "multi",
            "[ipv4-addr:value = '203.0.113.9' OR domain-name:value = 'evil.example'] OR [url:value = 'http://evil.example/x']",
        ),
    ]);
    let s = m.stats();
    assert_eq!((s.patterns, s.networks, s.domains, s.urls), (0, 1, 1, 1));
    let mut o = flow("192.0.2.1", "203.0.113.9");
    o.add_domain("www.evil.example");
    o.add_http_url(Some("evil.example"), Some("/x"));
    assert_eq!(
        hits(&m, &o),
        [
            hit("multi", Field::Domain, "www.evil.example"),
            hit("multi", Field::DstIp, "203.0.113.9"),
            hit("multi", Field::Url, "http://evil.example/x"),
        ]
    );
}

#[test]
fn complex_pattern_is_evaluated_whole() {
    let p = "[network-traffic:dst_port = 4444 AND network-traffic:dst_ref.value = '203.0.113.9']";
    let m = matcher(&[("rat", p)]);
    assert_eq!(m.stats().patterns, 1);
    assert_eq!(m.stats().networks, 0);
    let mut yes = flow("192.0.2.20", "203.0.113.9");
    yes.dst_port = Some(4444);
    let h = hits(&m, &yes);
    assert_eq!(h.len(), 1);
    assert_eq!((h[0].0.as_str(), h[0].1), ("rat", Field::Pattern));
    // Either half alone is not enough.
    assert!(hits(&m, &flow("192.0.2.20", "203.0.113.9")).is_empty());
    let mut port_only = flow("192.0.2.20", "203.0.113.10");
    port_only.dst_port = Some(4444);
    assert!(hits(&m, &port_only).is_empty());
    // Reversed direction: the address is the source, not the destination.
    let mut reversed = flow("203.0.113.9", "192.0.2.20");
    reversed.dst_port = Some(4444);
    assert!(hits(&m, &reversed).is_empty());
    // A record without network traffic is not even evaluated.
    assert!(hits(&m, &names(&["evil.example"])).is_empty());

    // The same through an EVE flow record.
    let obs = eve(
        r#"{"timestamp":"2024-05-01T00:00:08.000000+0000","event_type":"flow","src_ip":"192.0.2.20","src_port":61000,"dest_ip":"203.0.113.9","dest_port":4444,"proto":"TCP","flow":{"pkts_toserver":9,"pkts_toclient":7,"bytes_toserver":900,"bytes_toclient":700,"state":"established"}}"#,
    );
    assert_eq!(hits(&m, &obs[0]).len(), 1);
}

#[test]
fn pattern_with_negation_or_qualifier_is_evaluated_whole() {
    let m = matcher(&[
        ("neg", "[domain-name:value != 'good.example']"),
        (
            "and",
            "[ipv4-addr:value = '203.0.113.9' AND ipv4-addr:value = '203.0.113.10']",
        ),
    ]);
    assert_eq!(m.stats().patterns, 2);
    assert_eq!(hits(&m, &names(&["bad.example"])).len(), 1);
    assert!(hits(&m, &names(&["good.example"])).is_empty());
    assert!(hits(&m, &flow("203.0.113.9", "203.0.113.10"))
        .iter()
        .all(|h| h.0 != "and"));
}

#[test]
fn revocation_applies_to_the_next_record() {
    let mut m = matcher(&[
        ("a", "[ipv4-addr:value = '203.0.113.9']"),
        ("b", "[domain-name:value = 'evil.example']"),
        ("p", "[network-traffic:dst_port = 4444]"),
    ]);
    let mut o = flow("192.0.2.1", "203.0.113.9");
    o.dst_port = Some(4444);
    o.add_domain("evil.example");
    assert_eq!(hits(&m, &o).len(), 3);
    assert!(m.remove("indicator--a"));
    assert!(!m.contains("indicator--a"));
    assert_eq!(hits(&m, &o).len(), 2);
    assert!(m.remove("indicator--p"));
    assert_eq!(hits(&m, &o), [hit("b", Field::Domain, "evil.example")]);
    assert!(!m.remove("indicator--a"), "already gone");
    assert!(m.remove("indicator--b"));
    assert!(hits(&m, &o).is_empty());
    assert_eq!(m.stats(), Default::default());
    // A new indicator reuses the freed slots and works.
    m.insert_stix(&indicator("c", "[ipv4-addr:value = '192.0.2.1']"))
        .unwrap();
    assert_eq!(hits(&m, &o), [hit("c", Field::SrcIp, "192.0.2.1")]);
}

#[test]
fn reinsert_with_same_id_replaces_old_keys() {
    let mut m = matcher(&[("x", "[ipv4-addr:value = '203.0.113.9']")]);
    m.insert_stix(&indicator("x", "[domain-name:value = 'evil.example']"))
        .unwrap();
    let s = m.stats();
    assert_eq!((s.indicators, s.networks, s.domains), (1, 0, 1));
    let mut o = flow("192.0.2.1", "203.0.113.9");
    o.add_domain("evil.example");
    assert_eq!(hits(&m, &o), [hit("x", Field::Domain, "evil.example")]);
    // And back to a pattern, then to a key again.
    m.insert_stix(&indicator("x", "[network-traffic:dst_port = 443]"))
        .unwrap();
    assert_eq!((m.stats().domains, m.stats().patterns), (0, 1));
    assert_eq!(hits(&m, &o).len(), 1);
    m.insert_stix(&indicator("x", "[ipv4-addr:value = '192.0.2.1']"))
        .unwrap();
    assert_eq!(m.stats().patterns, 0);
    assert_eq!(hits(&m, &o), [hit("x", Field::SrcIp, "192.0.2.1")]);
}

#[test]
fn mass_revocation_keeps_the_rest_matching() {
    // Enough removals to rebuild the matcher's internal filters.
    let mut m = Matcher::new();
    let n = 12_000u32;
    for i in 0..n {
        let a = std::net::Ipv4Addr::from(0xcb00_0000 | i << 8 | 7);
        m.insert_stix(&indicator(
            &format!("ip{i}"),
            &format!("[ipv4-addr:value = '{a}']"),
        ))
        .unwrap();
        m.insert_stix(&indicator(
            &format!("d{i}"),
            &format!("[domain-name:value = 'd{i}.example']"),
        ))
        .unwrap();
    }
    m.insert_stix(&indicator(
        "wide",
        "[ipv4-addr:value ISSUBSET '198.0.0.0/8']",
    ))
    .unwrap();
    for i in (0..n).filter(|i| i % 10 != 0) {
        assert!(m.remove(&format!("indicator--ip{i}")));
        assert!(m.remove(&format!("indicator--d{i}")));
    }
    let s = m.stats();
    assert_eq!((s.networks, s.domains), (1201, 1200));
    for i in 0..n {
        let a = std::net::Ipv4Addr::from(0xcb00_0000 | i << 8 | 7).to_string();
        let mut o = flow("192.0.2.1", &a);
        o.add_domain(&format!("www.d{i}.example"));
        let expect = if i % 10 == 0 { 2 } else { 0 };
        assert_eq!(hits(&m, &o).len(), expect, "{i}");
    }
    assert_eq!(hits(&m, &flow("198.255.1.1", "192.0.2.1")).len(), 1);
    m.remove("indicator--wide");
    assert!(hits(&m, &flow("198.255.1.1", "192.0.2.1")).is_empty());
}

#[test]
fn indicators_sharing_a_key_are_all_reported() {
    let mut m = matcher(&[
        ("one", "[ipv4-addr:value = '203.0.113.9']"),
        ("two", "[ipv4-addr:value = '203.0.113.9/32']"),
    ]);
    assert_eq!(m.stats().networks, 1);
    let o = flow("192.0.2.1", "203.0.113.9");
    assert_eq!(hits(&m, &o).len(), 2);
    m.remove("indicator--one");
    assert_eq!(hits(&m, &o), [hit("two", Field::DstIp, "203.0.113.9")]);
}

#[test]
fn one_hit_per_indicator_field_and_value() {
    // Two keys of one indicator covering the same address: one hit.
    let m = matcher(&[(
        "dup",
        "[ipv4-addr:value = '203.0.113.9' OR ipv4-addr:value = '203.0.113.0/24']",
    )]);
    assert_eq!(hits(&m, &flow("192.0.2.1", "203.0.113.9")).len(), 1);
    // The same address on both sides: one hit per side.
    assert_eq!(hits(&m, &flow("203.0.113.9", "203.0.113.9")).len(), 2);
}

#[test]
fn what_is_not_an_indicator_is_refused() {
    let mut m = Matcher::new();
    let mut malware = indicator("m", "[ipv4-addr:value = '203.0.113.9']");
    malware["type"] = json!("malware");
    assert!(matches!(
        m.insert_stix(&malware),
        Err(IndicatorError::NotApplicable(_))
    ));
    let mut sigma = indicator("s", "title: x");
    sigma["pattern_type"] = json!("sigma");
    assert!(matches!(
        m.insert_stix(&sigma),
        Err(IndicatorError::NotApplicable(_))
    ));
    let mut no_id = indicator("n", "[ipv4-addr:value = '203.0.113.9']");
    no_id.as_object_mut().unwrap().remove("id");
    assert!(matches!(
        m.insert_stix(&no_id),
        Err(IndicatorError::NotApplicable(_))
    ));
    assert!(matches!(
        m.insert_stix(&json!("indicator")),
        Err(IndicatorError::NotApplicable(_))
    ));
    for bad in [
        "[ipv4-addr:value = ",
        "ipv4-addr:value = '1.2.3.4'",
        "[]",
        "",
    ] {
        let e = m.insert_stix(&indicator("bad", bad)).unwrap_err();
        assert!(matches!(e, IndicatorError::Pattern(_)), "{bad}: {e:?}");
        assert!(!e.to_string().is_empty());
    }
    assert_eq!(m.stats(), Default::default());
}

#[test]
fn indicator_name_defaults_to_its_pattern() {
    let mut m = Matcher::new();
    let mut o = indicator("anon", "[ipv4-addr:value = '203.0.113.9']");
    o.as_object_mut().unwrap().remove("name");
    m.insert_stix(&o).unwrap();
    let mut out = Vec::new();
    m.matches(&flow("192.0.2.1", "203.0.113.9"), &mut out);
    assert_eq!(&*out[0].indicator.name, "[ipv4-addr:value = '203.0.113.9']");
}

// ---------------------------------------------------------------------------
// Noise

fn engine(indicators: &[(&str, &str)]) -> Engine {
    let mut e = Engine::new();
    e.matcher = matcher(indicators);
    e
}

fn total(b: &Batch) -> Tally {
    let mut t = Tally::default();
    for v in b.tallies.values() {
        t.add(v);
    }
    t
}

#[test]
fn failed_attempts_are_dropped_before_matching() {
    // From the sample: a blocked alert and an unanswered SYN.
    let obs = sample_eve();
    let blocked = obs
        .iter()
        .find(|o| o.outcome == Outcome::Blocked)
        .unwrap()
        .clone();
    let no_reply = obs
        .iter()
        .find(|o| o.outcome == Outcome::NoReply)
        .unwrap()
        .clone();
    let e = engine(&[("x", "[ipv4-addr:value ISSUBSET '198.51.100.0/24']")]);
    assert_eq!(e.noise.before_match(&blocked), Some(NoiseReason::Failed));
    assert_eq!(e.noise.before_match(&no_reply), Some(NoiseReason::Failed));
    let b = e.run([&blocked, &no_reply]);
    let t = total(&b);
    assert_eq!((t.records, t.failed, t.matched, t.candidates), (2, 2, 0, 0));
    assert!(b.drafts.is_empty());
    // With the filter off, the blocked alert becomes an event.
    let mut e = e;
    e.noise.drop_failed = false;
    let b = e.run([&blocked, &no_reply]);
    assert_eq!(total(&b).failed, 0);
    assert_eq!(b.drafts.len(), 1);
    assert_eq!(b.drafts[0].key.technique, "indicator: ioc x");
}

#[test]
fn research_scanners_are_dropped() {
    let e = engine(&[]);
    let scan = alert(0, "162.142.125.10", "192.0.2.10", 2010937, "ET SCAN");
    assert_eq!(e.noise.before_match(&scan), Some(NoiseReason::Scanner));
    let v6 = alert(0, "2602:80d:1000:b0cc:e::1", "2001:db8::10", 1, "ET SCAN");
    assert_eq!(e.noise.before_match(&v6), Some(NoiseReason::Scanner));
    // As the destination, a scanner's address is no reason to drop.
    let reply = alert(0, "192.0.2.10", "162.142.125.10", 1, "ET POLICY");
    assert_eq!(e.noise.before_match(&reply), None);
    let other = alert(0, "162.142.126.10", "192.0.2.10", 1, "ET SCAN");
    assert_eq!(e.noise.before_match(&other), None);
    let b = e.run([&scan, &v6, &reply, &other]);
    let t = total(&b);
    assert_eq!((t.records, t.scanner, t.candidates), (4, 2, 2));
}

#[test]
fn hits_on_warninglisted_values_are_dropped() {
    let e = engine(&[
        ("dns", "[ipv4-addr:value = '8.8.8.8']"),
        ("evil", "[domain-name:value = 'evil.example']"),
    ]);
    // A flow to Google's public resolver: the only hit is benign.
    let to_resolver = flow("192.0.2.53", "8.8.8.8");
    let b = e.run([&to_resolver]);
    let t = total(&b);
    assert_eq!(
        (t.records, t.matched, t.warninglist, t.candidates),
        (1, 1, 1, 0)
    );
    assert!(b.drafts.is_empty());
    let mut hits = Vec::new();
    e.matcher.matches(&to_resolver, &mut hits);
    assert_eq!(e.noise.drop_benign_hits(&mut hits), 1);
    assert!(hits.is_empty());

    // A benign hit next to a real one: the record stays, with the real hit only.
    let mut mixed = flow("192.0.2.53", "8.8.8.8");
    mixed.add_domain("evil.example");
    let b = e.run([&mixed]);
    let t = total(&b);
    assert_eq!((t.matched, t.warninglist, t.candidates), (1, 0, 1));
    assert_eq!(b.drafts.len(), 1);
    let d = &b.drafts[0];
    assert_eq!(d.key.technique, "indicator: ioc evil");
    assert_eq!(d.indicators.len(), 1);
    assert!(d.indicators.contains_key("indicator--evil"));
}

#[test]
fn a_benign_hit_does_not_hide_an_alert() {
    // The signature fired on its own; a (bogus) indicator on the resolver's
    // address must not make the alert disappear.
    let e = engine(&[("dns", "[ipv4-addr:value = '8.8.8.8']")]);
    let a = alert(
        0,
        "192.0.2.53",
        "8.8.8.8",
        2027863,
        "ET DNS Query for .onion",
    );
    let b = e.run([&a]);
    let t = total(&b);
    assert_eq!((t.matched, t.warninglist, t.candidates), (1, 0, 1));
    assert_eq!(b.drafts.len(), 1);
    assert_eq!(b.drafts[0].key.technique, "ET DNS Query for .onion");
    assert!(b.drafts[0].indicators.is_empty());
}

fn suppression(id: &str) -> Suppression {
    Suppression {
        id: id.into(),
        source: None,
        target: None,
        technique: None,
        signature_id: None,
        until: None,
        reason: "known pentest".into(),
    }
}

#[test]
fn suppressions_by_source_technique_signature_and_time() {
    let a = alert(60, "203.0.113.45", "192.0.2.80", 2034567, "ET WEB_SERVER x");
    let tech = "ET WEB_SERVER x";
    let empty = suppression("empty");
    assert!(
        !empty.covers(&a, tech),
        "a rule with no criteria covers nothing"
    );

    let by_source = Suppression {
        source: Some(net("203.0.113.0/24")),
        ..suppression("src")
    };
    assert!(by_source.covers(&a, tech));
    let other_source = Suppression {
        source: Some(net("198.51.100.0/24")),
        ..suppression("src2")
    };
    assert!(!other_source.covers(&a, tech));
    let by_target = Suppression {
        target: Some(net("192.0.2.80/32")),
        ..suppression("dst")
    };
    assert!(by_target.covers(&a, tech));
    let by_technique = Suppression {
        technique: Some(tech.into()),
        ..suppression("tech")
    };
    assert!(by_technique.covers(&a, tech));
    assert!(!by_technique.covers(&a, "ET WEB_SERVER y"));
    let by_sid = Suppression {
        signature_id: Some(2034567),
        ..suppression("sid")
    };
    assert!(by_sid.covers(&a, tech));
    assert!(!Suppression {
        signature_id: Some(1),
        ..suppression("sid2")
    }
    .covers(&a, tech));
    // All criteria must hold.
    let both = Suppression {
        source: Some(net("203.0.113.0/24")),
        signature_id: Some(1),
        ..suppression("both")
    };
    assert!(!both.covers(&a, tech));
    // Until: a rule that expired before the record does not apply.
    let expired = Suppression {
        until: Some(t0() + Duration::seconds(30)),
        ..by_source.clone()
    };
    assert!(!expired.covers(&a, tech));
    let running = Suppression {
        until: Some(t0() + Duration::seconds(61)),
        ..by_source.clone()
    };
    assert!(running.covers(&a, tech));

    // Through the engine: counted as suppressed, no event.
    let mut e = engine(&[]);
    e.noise.suppressions = vec![expired, by_sid];
    let other = alert(61, "203.0.113.45", "192.0.2.80", 2000001, "ET OTHER");
    let b = e.run([&a, &other]);
    let t = total(&b);
    assert_eq!((t.records, t.suppressed, t.candidates), (2, 1, 1));
    assert_eq!(b.drafts.len(), 1);
    assert_eq!(b.drafts[0].key.technique, "ET OTHER");
    assert_eq!(
        e.noise.suppressed_by(&a, tech).map(|s| s.id.as_str()),
        Some("sid")
    );
}

#[test]
fn suppression_of_an_indicator_technique() {
    let mut e = engine(&[("c2", "[ipv4-addr:value = '203.0.113.9']")]);
    e.noise.suppressions = vec![Suppression {
        technique: Some("indicator: ioc c2".into()),
        ..suppression("t")
    }];
    let b = e.run([&flow("192.0.2.1", "203.0.113.9")]);
    let t = total(&b);
    assert_eq!((t.matched, t.suppressed, t.candidates), (1, 1, 0));
}

#[test]
fn noise_filter_defaults_ship_the_scanner_list() {
    let f = NoiseFilter::default();
    assert!(f.drop_failed);
    assert!(f.scanners.contains_ip(ip("162.142.125.10")));
    assert!(!f.scanners.contains_ip(ip("192.0.2.10")));
    assert!(!f.warninglists.lists.is_empty());
    assert!(f.suppressions.is_empty());
}

// ---------------------------------------------------------------------------
// Bundling

fn org_engine() -> Engine {
    let mut e = Engine::new();
    e.assets.insert_prefix(net("192.0.2.0/25"), "kanto-power");
    e.assets.insert_prefix(net("192.0.2.128/25"), "kansai-gas");
    e.assets
        .insert_prefix(net("2001:db8:a::/48"), "kanto-power");
    e
}

fn only(b: &Batch) -> &Draft {
    assert_eq!(b.drafts.len(), 1, "{:#?}", b.drafts);
    &b.drafts[0]
}

#[test]
fn same_source_technique_and_org_within_window_is_one_event() {
    let e = org_engine();
    let sig = "ET EXPLOIT Fortinet SSL VPN Path Traversal";
    let obs = [
        alert(0, "203.0.113.45", "192.0.2.10", 2030000, sig),
        alert(1800, "203.0.113.45", "192.0.2.11", 2030000, sig),
        alert(3500, "203.0.113.45", "192.0.2.10", 2030000, sig),
    ];
    let b = e.run(&obs);
    let d = only(&b);
    assert_eq!(d.count, 3);
    assert_eq!(d.key.source, "203.0.113.45");
    assert_eq!(d.key.technique, sig);
    assert_eq!(d.key.target_org.as_deref(), Some("kanto-power"));
    assert_eq!(d.first_seen, t0());
    assert_eq!(d.last_seen, t0() + Duration::seconds(3500));
    assert_eq!(
        d.targets,
        BTreeSet::from(["192.0.2.10".to_owned(), "192.0.2.11".to_owned()])
    );
    assert_eq!(
        d.sensors,
        BTreeSet::from(["gsoc1-tap-03@kasumigaseki-dc1".to_owned()])
    );
    assert_eq!(d.severity, Some(2));
    assert_eq!(d.evidence.len(), 3);
    assert_eq!(d.evidence[0].dst.as_deref(), Some("192.0.2.10:443"));
    assert_eq!(
        d.evidence[0].signature.as_deref(),
        Some("2030000 ET EXPLOIT Fortinet SSL VPN Path Traversal")
    );
    let t = total(&b);
    assert_eq!((t.records, t.candidates), (3, 3));
}

#[test]
fn beyond_the_window_is_a_new_event() {
    let e = org_engine();
    let obs = [
        alert(0, "203.0.113.45", "192.0.2.10", 1, "ET X"),
        alert(3600, "203.0.113.45", "192.0.2.10", 1, "ET X"),
        // Two hours after the previous one.
        alert(3600 + 7200, "203.0.113.45", "192.0.2.10", 1, "ET X"),
    ];
    let b = e.run(&obs);
    assert_eq!(b.drafts.len(), 2);
    assert_eq!(b.drafts[0].count, 2);
    assert_eq!(b.drafts[1].count, 1);
    assert_eq!(b.drafts[1].first_seen, t0() + Duration::seconds(10800));
    // A narrower window splits all three.
    let mut e = e;
    e.window = Duration::seconds(600);
    assert_eq!(e.run(&obs).drafts.len(), 3);
}

#[test]
fn different_org_source_or_technique_are_separate_events() {
    let e = org_engine();
    let obs = [
        alert(0, "203.0.113.45", "192.0.2.10", 1, "ET X"),
        // Another organisation's address.
        alert(1, "203.0.113.45", "192.0.2.200", 1, "ET X"),
        // Another source.
        alert(2, "203.0.113.46", "192.0.2.10", 1, "ET X"),
        // Another technique.
        alert(3, "203.0.113.45", "192.0.2.10", 2, "ET Y"),
        // Nobody's address.
        alert(4, "203.0.113.45", "198.51.100.10", 1, "ET X"),
    ];
    let b = e.run(&obs);
    assert_eq!(b.drafts.len(), 5);
    assert!(b.drafts.iter().all(|d| d.count == 1));
    let orgs: BTreeSet<_> = b.drafts.iter().map(|d| d.key.target_org.clone()).collect();
    assert_eq!(
        orgs,
        BTreeSet::from([
            None,
            Some("kanto-power".to_owned()),
            Some("kansai-gas".to_owned())
        ])
    );
    let unowned = b
        .drafts
        .iter()
        .find(|d| d.key.target_org.is_none())
        .unwrap();
    assert_eq!(
        unowned.targets,
        BTreeSet::from(["198.51.100.10".to_owned()])
    );
}

#[test]
fn target_org_by_destination_then_source() {
    let e = {
        let mut e = org_engine();
        e.matcher = matcher(&[("c2", "[ipv4-addr:value = '203.0.113.9']")]);
        e
    };
    // Inbound: the attacker is the source, the organisation's host the destination.
    let inbound = flow("203.0.113.9", "192.0.2.10");
    // Outbound: an infected host of the organisation calls out to the C2.
    let outbound = flow("192.0.2.20", "203.0.113.9");
    // IPv6 infected host.
    let outbound6 = {
        let mut o = flow("2001:db8:a::20", "203.0.113.9");
        o.time = t0() + Duration::seconds(1);
        o
    };
    // Both ends registered: the destination wins.
    let both = alert(2, "192.0.2.200", "192.0.2.10", 5, "ET LATERAL");
    let b = e.run([&inbound, &outbound, &outbound6, &both]);
    let find = |source: &str, technique: &str| {
        b.drafts
            .iter()
            .find(|d| d.key.source == source && d.key.technique == technique)
            .unwrap_or_else(|| panic!("{source} {technique}: {:#?}", b.drafts))
    };
    let d = find("203.0.113.9", "indicator: ioc c2");
    // The inbound and outbound records share source, technique and org.
    assert_eq!(d.count, 3);
    assert_eq!(d.key.target_org.as_deref(), Some("kanto-power"));
    assert_eq!(
        d.targets,
        BTreeSet::from([
            "192.0.2.10".to_owned(),
            "192.0.2.20".to_owned(),
            "2001:db8:a::20".to_owned()
        ])
    );
    let l = find("192.0.2.200", "ET LATERAL");
    assert_eq!(l.key.target_org.as_deref(), Some("kanto-power"));
    assert_eq!(b.drafts.len(), 2);
}

#[test]
fn engine_counts_per_sensor() {
    let e = engine(&[("c2", "[ipv4-addr:value = '203.0.113.9']")]);
    let a = Sensor::new("tap-a", "tokyo");
    let b = Sensor::new("tap-b", "osaka");
    let mut obs = Vec::new();
    for i in 0..5 {
        let mut o = flow(
            "192.0.2.1",
            if i % 2 == 0 {
                "203.0.113.9"
            } else {
                "192.0.2.2"
            },
        );
        o.sensor = if i < 3 { a.clone() } else { b.clone() };
        obs.push(o);
    }
    // Back to the first sensor after the second.
    let mut o = flow("192.0.2.1", "203.0.113.9");
    o.sensor = Sensor::new("tap-a", "tokyo");
    obs.push(o);
    let batch = e.run(&obs);
    let ta = batch.tallies[&("tap-a".to_owned(), "tokyo".to_owned())];
    let tb = batch.tallies[&("tap-b".to_owned(), "osaka".to_owned())];
    assert_eq!((ta.records, ta.matched, ta.candidates), (4, 3, 3));
    assert_eq!((tb.records, tb.matched, tb.candidates), (2, 1, 1));
    assert_eq!(batch.tallies.len(), 2);
    let d = only(&batch);
    assert_eq!(d.count, 4);
    assert_eq!(
        d.sensors,
        BTreeSet::from(["tap-a@tokyo".to_owned(), "tap-b@osaka".to_owned()])
    );
}

#[test]
fn whole_sample_through_the_engine() {
    let mut e = org_engine();
    e.matcher = matcher(&[
        ("c2", "[ipv4-addr:value = '203.0.113.9']"),
        ("sni", "[domain-name:value = 'example.net']"),
        (
            "sha",
            "[file:hashes.'SHA-256' = '275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f']",
        ),
    ]);
    let obs = sample_eve();
    let b = e.run(&obs);
    let t = total(&b);
    assert_eq!(t.records, obs.len() as u64);
    // The blocked alert, the unanswered SYN and the RST-refused flow.
    assert_eq!(t.failed, 3);
    assert_eq!(t.scanner, 0);
    assert_eq!(b.drafts.iter().map(|d| d.count).sum::<u64>(), t.candidates);
    // Directory traversal alert, anomaly is not an event; the HTTP download,
    // the file, the TLS SNI, and the CNAME to cdn.example.net.
    let techniques: BTreeSet<_> = b.drafts.iter().map(|d| d.key.technique.as_str()).collect();
    assert!(techniques.contains("ET WEB_SERVER Directory Traversal Attempt"));
    assert!(techniques.contains("indicator: ioc c2"));
    assert!(techniques.contains("indicator: ioc sni"));
    assert!(!techniques.iter().any(|t| t.contains("decoder")));
    let file_draft = b
        .drafts
        .iter()
        .find(|d| d.indicators.contains_key("indicator--sha"))
        .unwrap();
    assert!(file_draft
        .evidence
        .iter()
        .any(|ev| ev.hits.iter().any(|h| h.starts_with("hash=275a02"))));
}

// ---------------------------------------------------------------------------
// Properties

/// One key of a generated indicator.
#[derive(Debug, Clone)]
enum Key {
    Net(IpNet),
    Domain(String, bool),
    Url(String),
    Hash(HashAlgo, String),
    Fp(FingerprintKind, String),
}

impl Key {
    fn pattern(&self) -> String {
        match self {
            Key::Net(IpNet::V4(n)) if n.prefix_len() == 32 && n.addr().octets()[3] % 2 == 0 => {
                format!("ipv4-addr:value = '{}'", n.addr())
            }
            Key::Net(n @ IpNet::V4(_)) if n.prefix_len() % 2 == 0 => {
                format!("ipv4-addr:value ISSUBSET '{n}'")
            }
            Key::Net(n @ IpNet::V4(_)) => format!("ipv4-addr:value = '{n}'"),
            Key::Net(n @ IpNet::V6(_)) => format!("ipv6-addr:value = '{n}'"),
            Key::Domain(d, false) => format!("domain-name:value = '{d}'"),
            Key::Domain(d, true) => format!("domain-name:value LIKE '%.{d}'"),
            Key::Url(u) => format!("url:value = '{u}'"),
            Key::Hash(HashAlgo::Md5, h) => format!("file:hashes.MD5 = '{h}'"),
            Key::Hash(HashAlgo::Sha1, h) => format!("file:hashes.'SHA-1' = '{h}'"),
            Key::Hash(HashAlgo::Sha256, h) => format!("file:hashes.'SHA-256' = '{h}'"),
            Key::Fp(FingerprintKind::Ja3, v) => format!("x-ja3:value = '{v}'"),
            Key::Fp(FingerprintKind::Ja3s, v) => format!("x-ja3s:value = '{v}'"),
            Key::Fp(FingerprintKind::Ja4, v) => format!("x-ja4:value = '{v}'"),
        }
    }
}

fn pattern_of(keys: &[Key]) -> String {
    let parts: Vec<String> = keys.iter().map(Key::pattern).collect();
    format!("[{}]", parts.join(" OR "))
}

/// Small value spaces, so that indicators and records collide often.
fn arb_v4() -> impl Strategy<Value = std::net::Ipv4Addr> {
    (0u8..3, 0u8..4, 0u8..8).prop_map(|(b, c, d)| std::net::Ipv4Addr::new(203, b, c, d))
}

fn arb_v6() -> impl Strategy<Value = std::net::Ipv6Addr> {
    (0u16..3, 0u16..4).prop_map(|(a, b)| std::net::Ipv6Addr::new(0x2001, 0xdb8, a, 0, 0, 0, 0, b))
}

fn arb_ip() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        4 => arb_v4().prop_map(IpAddr::V4),
        1 => arb_v6().prop_map(IpAddr::V6),
    ]
}

fn arb_net() -> impl Strategy<Value = IpNet> {
    prop_oneof![
        3 => (arb_v4(), 8u8..=32).prop_map(|(a, l)| IpNet::V4(
            ipnet::Ipv4Net::new(a, l).unwrap().trunc()
        )),
        1 => (arb_v6(), prop_oneof![Just(128u8), 16u8..=128]).prop_map(|(a, l)| IpNet::V6(
            ipnet::Ipv6Net::new(a, l).unwrap().trunc()
        )),
    ]
}

fn arb_domain() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![Just("a"), Just("b"), Just("ab"), Just("ba")],
        1..4,
    )
    .prop_map(|labels| labels.join("."))
}

fn arb_url() -> impl Strategy<Value = String> {
    (0u8..4, 0u8..3).prop_map(|(h, p)| format!("http://h{h}.example/p{p}"))
}

fn arb_hash() -> impl Strategy<Value = (HashAlgo, String)> {
    (0u8..3, 0u8..4).prop_map(|(a, v)| match a {
        0 => (HashAlgo::Md5, format!("{:032x}", v)),
        1 => (HashAlgo::Sha1, format!("{:040x}", v)),
        _ => (HashAlgo::Sha256, format!("{:064x}", v)),
    })
}

fn arb_fp() -> impl Strategy<Value = (FingerprintKind, String)> {
    (0u8..3, 0u8..3).prop_map(|(k, v)| match k {
        0 => (FingerprintKind::Ja3, format!("{:032x}", v)),
        1 => (FingerprintKind::Ja3s, format!("{:032x}", v)),
        _ => (
            FingerprintKind::Ja4,
            format!("t13d1516h2_{:012x}_b186095e22b6", v),
        ),
    })
}

fn arb_key() -> impl Strategy<Value = Key> {
    prop_oneof![
        5 => arb_net().prop_map(Key::Net),
        4 => (arb_domain(), any::<bool>()).prop_map(|(d, s)| Key::Domain(d, s)),
        1 => arb_url().prop_map(Key::Url),
        2 => arb_hash().prop_map(|(a, h)| Key::Hash(a, h)),
        1 => arb_fp().prop_map(|(k, v)| Key::Fp(k, v)),
    ]
}

/// Indicators: (id number, keys); ids repeat so that re-inserts happen.
fn arb_indicators() -> impl Strategy<Value = Vec<(u8, Vec<Key>)>> {
    proptest::collection::vec((0u8..40, proptest::collection::vec(arb_key(), 1..4)), 0..40)
}

fn arb_obs() -> impl Strategy<Value = Observation> {
    (
        proptest::option::of(arb_ip()),
        proptest::option::of(arb_ip()),
        proptest::collection::vec(arb_ip(), 0..3),
        proptest::collection::vec(arb_domain(), 0..3),
        proptest::collection::vec(arb_url(), 0..2),
        proptest::collection::vec(arb_hash(), 0..3),
        proptest::collection::vec(arb_fp(), 0..3),
    )
        .prop_map(|(src, dst, resolved, domains, urls, hashes, fps)| {
            let mut o = Observation::new(t0(), sensor(), Kind::Dns);
            o.src_ip = src;
            o.dst_ip = dst;
            for r in resolved {
                o.add_resolved(r);
            }
            for d in &domains {
                o.add_domain(d);
            }
            o.urls = urls;
            for (a, h) in hashes {
                o.add_hash(a, &h);
            }
            for (k, v) in fps {
                o.add_fingerprint(k, &v);
            }
            o
        })
}

type HitSet = BTreeSet<(String, String, String)>;

/// The naive reference: every indicator, every key, every value of the record.
fn reference(indicators: &[(String, Vec<Key>)], o: &Observation) -> HitSet {
    let mut out = HitSet::new();
    let mut add = |id: &str, f: Field, v: String| {
        out.insert((id.to_owned(), format!("{f:?}"), v));
    };
    for (id, keys) in indicators {
        for k in keys {
            match k {
                Key::Net(n) => {
                    for (ip, f) in [(o.src_ip, Field::SrcIp), (o.dst_ip, Field::DstIp)] {
                        if let Some(ip) = ip.filter(|ip| n.contains(ip)) {
                            add(id, f, ip.to_string());
                        }
                    }
                    for ip in o.resolved.iter().filter(|ip| n.contains(*ip)) {
                        add(id, Field::Resolved, ip.to_string());
                    }
                }
                Key::Domain(d, subs_only) => {
                    for name in &o.domains {
                        let sub = name.ends_with(&format!(".{d}"));
                        if sub || (!subs_only && name == d) {
                            add(id, Field::Domain, name.clone());
                        }
                    }
                }
                Key::Url(u) => {
                    for url in o.urls.iter().filter(|x| *x == u) {
                        add(id, Field::Url, url.clone());
                    }
                }
                Key::Hash(a, h) => {
                    for x in o.hashes.iter().filter(|x| x.algo == *a && x.hex == *h) {
                        add(id, Field::Hash, x.hex.clone());
                    }
                }
                Key::Fp(kind, v) => {
                    for x in o
                        .fingerprints
                        .iter()
                        .filter(|x| x.kind == *kind && x.value == *v)
                    {
                        add(id, Field::Fingerprint, x.value.clone());
                    }
                }
            }
        }
    }
    out
}

fn actual(m: &Matcher, o: &Observation) -> HitSet {
    let mut out = Vec::new();
    m.matches(o, &mut out);
    let set: HitSet = out
        .iter()
        .map(|h| {
            (
                h.indicator.id.to_string(),
                format!("{:?}", h.field),
                h.value.clone(),
            )
        })
        .collect();
    assert_eq!(set.len(), out.len(), "duplicate hits: {out:?}");
    set
}

/// Inserts the generated indicators into a matcher and the reference list
/// (a re-insert replaces the earlier version in both).
fn load(gen: &[(u8, Vec<Key>)]) -> (Matcher, Vec<(String, Vec<Key>)>) {
    let mut m = Matcher::new();
    let mut list: Vec<(String, Vec<Key>)> = Vec::new();
    for (n, keys) in gen {
        let id = format!("indicator--{n}");
        let obj = json!({
            "type": "indicator", "id": id, "pattern_type": "stix",
            "pattern": pattern_of(keys),
        });
        m.insert_stix(&obj)
            .unwrap_or_else(|e| panic!("{}: {e}", pattern_of(keys)));
        list.retain(|(i, _)| *i != id);
        list.push((id, keys.clone()));
    }
    (m, list)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn matcher_agrees_with_linear_scan(
        gen in arb_indicators(),
        records in proptest::collection::vec(arb_obs(), 1..12),
        removals in proptest::collection::vec(0u8..40, 0..20),
    ) {
        let (mut m, mut list) = load(&gen);
        prop_assert_eq!(m.stats().patterns, 0);
        prop_assert_eq!(m.stats().indicators, list.len());
        for o in &records {
            prop_assert_eq!(actual(&m, o), reference(&list, o));
        }
        for n in removals {
            let id = format!("indicator--{n}");
            let held = list.iter().any(|(i, _)| *i == id);
            prop_assert_eq!(m.remove(&id), held);
            list.retain(|(i, _)| *i != id);
            for o in &records {
                prop_assert_eq!(actual(&m, o), reference(&list, o));
            }
        }
    }

    #[test]
    fn removing_every_indicator_leaves_no_hits(
        gen in arb_indicators(),
        records in proptest::collection::vec(arb_obs(), 1..8),
    ) {
        let (mut m, list) = load(&gen);
        for (id, _) in &list {
            prop_assert!(m.remove(id));
        }
        prop_assert_eq!(m.stats(), Default::default());
        for o in &records {
            let mut out = Vec::new();
            prop_assert_eq!(m.matches(o, &mut out), 0);
        }
        // And the matcher still works after it was emptied.
        let (again, list) = {
            for (n, keys) in &gen {
                let obj = json!({
                    "type": "indicator", "id": format!("indicator--{n}"),
                    "pattern_type": "stix", "pattern": pattern_of(keys),
                });
                m.insert_stix(&obj).unwrap();
            }
            (m, list)
        };
        for o in &records {
            prop_assert_eq!(actual(&again, o), reference(&list, o));
        }
    }

    #[test]
    fn subdomain_rules_respect_label_boundaries(
        rule in "[a-z][a-z0-9-]{0,7}(\\.[a-z][a-z0-9-]{0,7}){0,2}",
        prefix in "[a-z][a-z0-9-]{0,7}",
        subs_only in any::<bool>(),
    ) {
        let pattern = if subs_only {
            format!("[domain-name:value LIKE '%.{rule}']")
        } else {
            format!("[domain-name:value = '{rule}']")
        };
        let m = matcher(&[("r", &pattern)]);
        // Shares a string suffix, not a label boundary: never a match.
        let glued = format!("{prefix}{rule}");
        prop_assert!(hits(&m, &names(&[&glued])).is_empty(), "{} vs {}", glued, pattern);
        // A real subdomain always matches; the name itself unless subdomains only.
        let sub = format!("{prefix}.{rule}");
        prop_assert_eq!(hits(&m, &names(&[&sub])).len(), 1);
        prop_assert_eq!(hits(&m, &names(&[&rule])).len(), usize::from(!subs_only));
    }

    #[test]
    fn every_candidate_lands_in_exactly_one_draft(
        events in proptest::collection::vec((0u8..3, 0u8..3, 0u8..2, 0i64..20_000), 1..60),
    ) {
        let mut e = org_engine();
        e.matcher = matcher(&[("c2", "[ipv4-addr:value = '203.0.113.9']")]);
        let obs: Vec<Observation> = events
            .iter()
            .map(|&(s, t, d, secs)| {
                let dst = if d == 0 { "192.0.2.10" } else { "192.0.2.200" };
                let mut o = alert(secs, &format!("203.0.113.{}", 9 + s), dst, u64::from(t), &format!("ET {t}"));
                if t == 2 {
                    o.kind = Kind::Flow;
                    o.signature = None;
                }
                o
            })
            .collect();
        let b = e.run(&obs);
        let t = total(&b);
        prop_assert_eq!(t.records, obs.len() as u64);
        prop_assert_eq!(b.drafts.iter().map(|d| d.count).sum::<u64>(), t.candidates);
        for d in &b.drafts {
            prop_assert!(d.first_seen <= d.last_seen);
            prop_assert!(d.evidence.len() as u64 <= d.count);
        }
        // Drafts of one key never overlap within the window.
        for (i, a) in b.drafts.iter().enumerate() {
            for c in &b.drafts[i + 1..] {
                if a.key == c.key {
                    prop_assert!(
                        c.first_seen > a.last_seen + e.window || a.first_seen > c.last_seen + e.window,
                        "{:?} and {:?}", a, c
                    );
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The reader's in-place fast path and the bundler's in-place merge, against
// the plain ways.

/// Every result of a reader, for comparison.
fn drain<R: std::io::BufRead>(
    mut r: Reader<R, EveParser>,
) -> (Vec<Result<Observation, ParseError>>, Counts) {
    let items: Vec<_> = (&mut r).collect();
    (items, r.counts())
}

/// A record pushed to a bundler: hits, technique, target, its owner.
type Candidate = (
    Observation,
    Vec<Hit>,
    String,
    Option<IpAddr>,
    Option<String>,
);

/// The single-record draft and the old bundling, as the specification of
/// [`triage::Bundler`].
fn reference_bundle(window: Duration, items: &[Candidate]) -> Vec<Draft> {
    use sakimori_sensor::triage::{evidence, EventKey};
    use std::collections::BTreeMap;
    let mut open: BTreeMap<EventKey, Draft> = BTreeMap::new();
    let mut done = Vec::new();
    for (obs, hits, technique, target_ip, org) in items {
        let source = match (*target_ip, obs.src_ip, obs.dst_ip) {
            (Some(t), Some(s), Some(d)) if t == s => d.to_string(),
            (_, Some(s), _) => s.to_string(),
            (_, None, Some(d)) => d.to_string(),
            _ => "-".to_owned(),
        };
        let key = EventKey {
            source,
            technique: technique.clone(),
            target_org: org.clone(),
        };
        let one = Draft {
            key: key.clone(),
            first_seen: obs.time,
            last_seen: obs.time,
            count: 1,
            sensors: [format!("{}@{}", obs.sensor.id, obs.sensor.site)].into(),
            targets: target_ip.map(|t| t.to_string()).into_iter().collect(),
            indicators: hits
                .iter()
                .map(|h| (h.indicator.id.to_string(), h.indicator.name.to_string()))
                .collect(),
            severity: obs.signature.as_ref().and_then(|s| s.severity),
            evidence: vec![evidence(obs, hits)],
        };
        match open.get_mut(&key) {
            Some(d)
                if one.first_seen <= d.last_seen + window
                    && one.last_seen + window >= d.first_seen =>
            {
                d.merge(&one)
            }
            Some(d) => done.push(std::mem::replace(d, one)),
            None => {
                open.insert(key, one);
            }
        }
    }
    done.extend(open.into_values());
    done.sort_by(|a, b| a.key.cmp(&b.key).then(a.first_seen.cmp(&b.first_seen)));
    let mut out: Vec<Draft> = Vec::new();
    for d in done {
        match out.last_mut() {
            Some(p) if p.key == d.key && d.first_seen <= p.last_seen + window => p.merge(&d),
            _ => out.push(d),
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn reader_yields_the_same_through_any_buffer(
        junk in proptest::collection::vec(
            (0usize..20, proptest::sample::select(vec![
                "", "   ", "\r", "{", "not json", "{\"event_type\":\"stats\"}",
                r#"{"timestamp":"2024-05-01T00:00:00Z","event_type":"flow","src_ip":"192.0.2.1","dest_ip":"192.0.2.2","flow":{"pkts_toclient":0}}"#,
            ])),
            0..6,
        ),
        capacity in 1usize..400,
        max_line in proptest::option::of(50usize..700),
        crlf in any::<bool>(),
    ) {
        let mut lines: Vec<String> = std::fs::read_to_string(format!(
            "{}/tests/data/eve.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
        for (at, j) in junk {
            lines.insert(at.min(lines.len()), j.to_owned());
        }
        let data = lines.join(if crlf { "\r\n" } else { "\n" });
        let make = |r| {
            let r = EveReader::new(r, "x", sensor());
            match max_line {
                Some(m) => r.max_line(m),
                None => r,
            }
        };
        let whole = drain(make(std::io::BufReader::with_capacity(1 << 20, data.as_bytes())));
        let small = drain(make(std::io::BufReader::with_capacity(capacity, data.as_bytes())));
        prop_assert_eq!(&whole, &small);
        let slice = {
            let r = EveReader::new(data.as_bytes(), "x", sensor());
            drain(match max_line {
                Some(m) => r.max_line(m),
                None => r,
            })
        };
        prop_assert_eq!(&whole, &slice);
    }

    #[test]
    fn bundler_merges_in_place_as_drafts_merge(
        events in proptest::collection::vec(
            (0i64..10_000, 0u8..3, 0u8..4, 0u8..2, 0u8..3, 0u8..3, proptest::option::of(1u8..4)),
            1..50,
        ),
        window_secs in prop_oneof![Just(60i64), Just(3600)],
    ) {
        let sensors = [Sensor::new("tap-a", "tokyo"), Sensor::new("tap-b", "osaka")];
        let items: Vec<_> = events
            .iter()
            .map(|&(secs, src, dst, sensor_i, tech, hit, severity)| {
                let src = format!("203.0.113.{src}");
                let dst = format!("192.0.2.{}", 10 + dst);
                let mut o = alert(secs, &src, &dst, u64::from(tech), &format!("ET {tech}"));
                o.sensor = sensors[sensor_i as usize].clone();
                if let Some(s) = o.signature.as_mut() {
                    s.severity = severity;
                }
                let hits: Vec<Hit> = (0..hit)
                    .map(|i| Hit {
                        indicator: sakimori_sensor::detect::IndicatorInfo {
                            id: format!("indicator--{i}").into(),
                            name: format!("ioc {i}").into(),
                        },
                        field: Field::SrcIp,
                        value: src.clone(),
                    })
                    .collect();
                let technique = match hits.first() {
                    Some(h) => format!("indicator: {}", h.indicator.name),
                    None => format!("ET {tech}"),
                };
                // Target: the destination, owned by one of two organisations or nobody.
                let org = match dst.as_str() {
                    "192.0.2.10" | "192.0.2.11" => Some("kanto-power".to_owned()),
                    "192.0.2.12" => Some("kansai-gas".to_owned()),
                    _ => None,
                };
                let target = if secs % 7 == 0 { o.src_ip } else { o.dst_ip };
                (o, hits, technique, target, org)
            })
            .collect();
        let window = Duration::seconds(window_secs);
        let mut b = triage::Bundler::new(window);
        for (o, hits, technique, target, org) in &items {
            b.push(o, hits, technique.clone(), *target, org.as_deref());
        }
        prop_assert_eq!(b.finish(), reference_bundle(window, &items));
    }
}

#[test]
fn a_url_indicator_matches_whatever_the_case_of_its_scheme_and_host() {
    let mut m = Matcher::new();
    m.insert_stix(&serde_json::json!({
        "type": "indicator", "spec_version": "2.1", "id": "indicator--0b0e0c1d-2a3b-4c5d-8e6f-7a8b9c0d1e2f",
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "pattern": "[url:value = 'HTTP://Evil.Example/Payload?x=1']", "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z"
    }))
    .unwrap();
    let eve = br#"{"timestamp":"2026-11-30T01:00:00Z","event_type":"http","src_ip":"192.0.2.10","src_port":50000,"dest_ip":"198.18.1.1","dest_port":80,"proto":"TCP","http":{"hostname":"EVIL.example","url":"/Payload?x=1"}}"#;
    let obs =
        sakimori_sensor::EveReader::new(&eve[..], "t", sakimori_sensor::Sensor::new("s", "x"))
            .next()
            .unwrap()
            .unwrap();
    let mut hits = Vec::new();
    assert_eq!(m.matches(&obs, &mut hits), 1, "{:?}", obs.urls);
    // The path keeps its case.
    let eve = String::from_utf8_lossy(eve).replace("/Payload", "/payload");
    let obs = sakimori_sensor::EveReader::new(
        eve.as_bytes(),
        "t",
        sakimori_sensor::Sensor::new("s", "x"),
    )
    .next()
    .unwrap()
    .unwrap();
    assert_eq!(m.matches(&obs, &mut Vec::new()), 0);
}
