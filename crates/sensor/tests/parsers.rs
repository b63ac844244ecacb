//! The sample files in `tests/data`, read field by field.

use std::fs::File;
use std::io::BufReader;
use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use sakimori_sensor::*;

fn sensor() -> Arc<Sensor> {
    Sensor::new("gsoc1-tap-03", "kasumigaseki-dc1")
}

fn open(name: &str) -> BufReader<File> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    BufReader::new(File::open(path).unwrap())
}

fn ip(s: &str) -> Option<IpAddr> {
    Some(s.parse().unwrap())
}

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// Splits a reader's output into observations and errors, checking that
/// every record was yielded.
fn collect<I: Iterator<Item = Result<Observation, ParseError>>>(
    it: I,
) -> (Vec<Observation>, Vec<ParseError>) {
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    for r in it {
        match r {
            Ok(o) => ok.push(o),
            Err(e) => bad.push(e),
        }
    }
    (ok, bad)
}

#[test]
fn eve_sample() {
    let mut r = EveReader::new(open("eve.json"), "eve.json", sensor());
    let (ok, bad) = collect(&mut r);
    assert_eq!(
        r.counts(),
        Counts {
            ok: 13,
            malformed: 4,
            skipped: 1
        }
    );
    assert_eq!(ok.len(), 13);

    // 1: alert with HTTP metadata, allowed.
    let a = &ok[0];
    assert_eq!(a.kind, Kind::Alert);
    assert_eq!(a.time, t("2024-05-01T00:00:01.123456Z"));
    assert_eq!(a.sensor.id, "gsoc1-tap-03");
    assert_eq!(a.sensor.site, "kasumigaseki-dc1");
    assert_eq!(a.src_ip, ip("203.0.113.45"));
    assert_eq!(a.src_port, Some(51234));
    assert_eq!(a.dst_ip, ip("192.0.2.80"));
    assert_eq!(a.dst_port, Some(80));
    assert_eq!(a.transport, Some(Transport::Tcp));
    let sig = a.signature.as_deref().unwrap();
    assert_eq!(sig.id, Some(2034567));
    assert_eq!(sig.name, "ET WEB_SERVER Directory Traversal Attempt");
    assert_eq!(sig.category.as_deref(), Some("Web Application Attack"));
    assert_eq!(sig.severity, Some(1));
    assert_eq!(a.domains, ["portal.example.go.jp"]);
    assert_eq!(
        a.urls,
        ["http://portal.example.go.jp/cgi-bin/../../etc/passwd"]
    );
    assert_eq!(a.http_status, Some(404));
    assert_eq!(a.outcome, Outcome::Unknown);
    assert!(!a.failed());

    // 2: blocked alert.
    assert_eq!(ok[1].outcome, Outcome::Blocked);
    assert!(ok[1].failed());
    assert_eq!(ok[1].signature.as_ref().unwrap().id, Some(2030000));

    // 3: DNS v2 query.
    assert_eq!(ok[2].kind, Kind::Dns);
    assert_eq!(ok[2].domains, ["www.example.com"]);
    assert_eq!(ok[2].transport, Some(Transport::Udp));
    assert!(ok[2].resolved.is_empty());

    // 4: DNS v2 answer, detailed and grouped; the SOA's object rdata is ignored.
    assert_eq!(
        ok[3].domains,
        ["www.example.com", "cdn.example.net", "example.com"]
    );
    assert_eq!(
        ok[3].resolved,
        [ip("198.51.100.77").unwrap(), ip("198.51.100.78").unwrap()]
    );

    // 5: DNS v3 response.
    assert_eq!(ok[4].domains, ["malware.test"]);
    assert_eq!(ok[4].resolved, [ip("2001:db8::66").unwrap()]);

    // 6: HTTP, with an escaped slash.
    assert_eq!(ok[5].kind, Kind::Http);
    assert_eq!(ok[5].domains, ["update.example.org"]);
    assert_eq!(
        ok[5].urls,
        ["http://update.example.org/download/agent.exe?v=2"]
    );
    assert_eq!(ok[5].http_status, Some(200));

    // 7: TLS.
    let tls = &ok[6];
    assert_eq!(tls.kind, Kind::Tls);
    assert_eq!(tls.domains, ["c2.example.net"]);
    assert_eq!(
        tls.fingerprints,
        [
            Fingerprint {
                kind: FingerprintKind::Ja3,
                value: "e7d705a3286e19ea42f587b344ee6865".into()
            },
            Fingerprint {
                kind: FingerprintKind::Ja3s,
                value: "0ad94fb8e8f4f6e7d1ab2e1f3c0b9d2e".into()
            },
            Fingerprint {
                kind: FingerprintKind::Ja4,
                value: "t13d1516h2_8daaf6152771_b186095e22b6".into()
            },
        ]
    );

    // 8: fileinfo with hashes and its HTTP context.
    let f = &ok[7];
    assert_eq!(f.kind, Kind::File);
    assert_eq!(f.hashes.len(), 3);
    assert_eq!(f.hashes[0].algo, HashAlgo::Md5);
    assert_eq!(f.hashes[0].hex, "44d88612fea8a8f36de82e1278abb02f");
    assert_eq!(f.hashes[1].algo, HashAlgo::Sha1);
    assert_eq!(f.hashes[2].algo, HashAlgo::Sha256);
    assert_eq!(f.urls, ["http://update.example.org/download/agent.exe?v=2"]);

    // 9-11: flows: no reply, rejected, answered.
    assert_eq!(ok[8].kind, Kind::Flow);
    assert_eq!(ok[8].outcome, Outcome::NoReply);
    assert_eq!(ok[9].outcome, Outcome::Rejected);
    assert_eq!(ok[10].outcome, Outcome::Answered);
    assert!(!ok[10].failed());

    // 12: anomaly.
    let an = ok[11].signature.as_deref().unwrap();
    assert_eq!(ok[11].kind, Kind::Anomaly);
    assert_eq!(an.name, "decoder.udp.pkt_too_small");
    assert_eq!(an.category.as_deref(), Some("decode"));
    assert_eq!(an.id, None);

    // 19 (after the malformed lines): EVE v1 DNS answer.
    assert_eq!(ok[12].time, t("2024-05-01T00:00:17Z"));
    assert_eq!(ok[12].domains, ["old.example"]);
    assert_eq!(ok[12].resolved, [ip("198.51.100.99").unwrap()]);

    // Malformed lines, located.
    let lines: Vec<u64> = bad.iter().map(|e| e.line).collect();
    assert_eq!(lines, [14, 15, 17, 18]);
    assert!(bad.iter().all(|e| &*e.label == "eve.json"));
    assert_eq!(bad[0].error.kind, ErrorKind::Syntax);
    assert_eq!(bad[1].error.kind, ErrorKind::Field);
    assert_eq!(bad[1].error.field.as_deref(), Some("src_ip"));
    assert_eq!(bad[2].error.field.as_deref(), Some("src_port"));
    assert!(bad[2].error.column.is_some());
    assert_eq!(bad[3].error.field.as_deref(), Some("timestamp"));
    // Byte offsets point at the start of the line.
    let text = std::fs::read_to_string(format!(
        "{}/tests/data/eve.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let off = bad[0].offset as usize;
    assert!(off > 0 && text.as_bytes()[off - 1] == b'\n');
    assert_eq!(text[..off].lines().count(), 13);
    let shown = bad[1].to_string();
    assert!(
        shown.starts_with("eve.json:15: src_ip: invalid IP address"),
        "{shown}"
    );
}

#[test]
fn zeek_conn_tsv() {
    let mut r = ZeekReader::new(open("conn.log"), "conn.log", sensor(), None);
    let (ok, bad) = collect(&mut r);
    assert_eq!(r.parser().path(), Some("conn"));
    assert_eq!(
        r.counts(),
        Counts {
            ok: 5,
            malformed: 3,
            skipped: 0
        }
    );
    let c = &ok[0];
    assert_eq!(c.kind, Kind::Conn);
    assert_eq!(c.time, Utc.timestamp_opt(1714521600, 123_456_000).unwrap());
    assert_eq!(c.src_ip, ip("203.0.113.66"));
    assert_eq!(c.src_port, Some(61000));
    assert_eq!(c.dst_ip, ip("192.0.2.22"));
    assert_eq!(c.dst_port, Some(23));
    assert_eq!(c.transport, Some(Transport::Tcp));
    assert_eq!(c.outcome, Outcome::NoReply);
    assert_eq!(ok[1].outcome, Outcome::Rejected);
    assert_eq!(ok[2].outcome, Outcome::Answered);
    assert_eq!(ok[2].transport, Some(Transport::Udp));
    assert_eq!(ok[3].src_ip, ip("2001:db8::5"));
    assert_eq!(ok[3].outcome, Outcome::Answered);
    assert_eq!(ok[4].transport, Some(Transport::Icmp));
    assert_eq!(ok[4].outcome, Outcome::Unknown);

    let lines: Vec<u64> = bad.iter().map(|e| e.line).collect();
    assert_eq!(lines, [12, 14, 15]);
    assert_eq!(bad[0].error.kind, ErrorKind::Syntax);
    assert!(bad[0].error.message.contains("expected 21 fields"));
    assert_eq!(bad[1].error.field.as_deref(), Some("id.orig_h"));
    assert_eq!(bad[2].error.field.as_deref(), Some("id.orig_p"));
    assert!(bad[2].error.column.is_some());
}

#[test]
fn zeek_dns_tsv() {
    let mut r = ZeekReader::new(open("dns.log"), "dns.log", sensor(), None);
    let (ok, bad) = collect(&mut r);
    assert_eq!(r.counts().ok, 4);
    assert_eq!(r.counts().malformed, 1);
    assert_eq!(bad[0].line, 12);
    let d = &ok[0];
    assert_eq!(d.kind, Kind::Dns);
    assert_eq!(d.domains, ["www.example.com", "cdn.example.net"]);
    assert_eq!(d.resolved, [ip("198.51.100.77").unwrap()]);
    assert_eq!(d.dst_port, Some(53));
    // An escaped tab inside the query name makes it no domain name.
    assert!(ok[1].domains.is_empty());
    assert_eq!(ok[2].domains, ["example.org"]);
    assert!(ok[2].resolved.is_empty());
    assert_eq!(ok[3].transport, Some(Transport::Tcp));
    assert_eq!(ok[3].domains, ["mail.example.com", "mx1.example.com"]);
}

#[test]
fn zeek_http_json() {
    let hint = ZeekLog::from_file_name("/var/log/zeek/current/http.log");
    assert_eq!(hint, Some(ZeekLog::Http));
    let mut r = ZeekReader::new(open("http.log"), "http.log", sensor(), hint);
    let (ok, bad) = collect(&mut r);
    assert_eq!(
        r.counts(),
        Counts {
            ok: 4,
            malformed: 2,
            skipped: 0
        }
    );
    let h = &ok[0];
    assert_eq!(h.kind, Kind::Http);
    assert_eq!(h.time, Utc.timestamp_opt(1714521800, 123_456_000).unwrap());
    assert_eq!(h.src_ip, ip("203.0.113.45"));
    assert_eq!(h.dst_port, Some(80));
    assert_eq!(h.domains, ["portal.example.go.jp"]);
    assert_eq!(
        h.urls,
        ["http://portal.example.go.jp/cgi-bin/.%2e/.%2e/bin/sh"]
    );
    assert_eq!(h.http_status, Some(404));
    // ISO 8601 ts; Host with a port.
    assert_eq!(ok[1].time, t("2024-05-01T00:03:21Z"));
    assert_eq!(ok[1].domains, ["update.example.org"]);
    assert_eq!(
        ok[1].urls,
        ["http://update.example.org:8080/download/agent.exe"]
    );
    // Absolute URI through a proxy.
    assert_eq!(ok[2].urls, ["http://c2.example.net/gate.php"]);
    // No Host: no URL.
    assert!(ok[3].urls.is_empty());
    assert_eq!(bad.iter().map(|e| e.line).collect::<Vec<_>>(), [4, 5]);
    assert_eq!(bad[1].error.kind, ErrorKind::Syntax);
}

#[test]
fn zeek_json_with_path() {
    let mut r = ZeekReader::new(open("zeek-mixed.json"), "zeek-mixed.json", sensor(), None);
    let (ok, bad) = collect(&mut r);
    assert_eq!(
        r.counts(),
        Counts {
            ok: 3,
            malformed: 1,
            skipped: 1
        }
    );
    let s = &ok[0];
    assert_eq!(s.kind, Kind::Tls);
    assert_eq!(s.domains, ["c2.example.net"]);
    assert_eq!(s.fingerprints.len(), 3);
    assert_eq!(s.fingerprints[2].kind, FingerprintKind::Ja4);
    let f = &ok[1];
    assert_eq!(f.kind, Kind::File);
    assert_eq!(f.src_ip, ip("203.0.113.9"));
    assert_eq!(f.dst_ip, ip("192.0.2.20"));
    assert_eq!(f.hashes.len(), 3);
    let n = &ok[2];
    assert_eq!(n.kind, Kind::Notice);
    assert_eq!(n.src_ip, ip("203.0.113.66"));
    assert_eq!(n.dst_ip, ip("192.0.2.22"));
    assert_eq!(n.dst_port, Some(23));
    let sig = n.signature.as_deref().unwrap();
    assert_eq!(sig.name, "Scan::Port_Scan");
    assert!(sig
        .message
        .as_deref()
        .unwrap()
        .contains("scanned at least 15"));
    assert_eq!(n.outcome, Outcome::Blocked);
    assert_eq!(bad[0].line, 5);
    assert_eq!(bad[0].error.field.as_deref(), Some("md5"));
}

#[test]
fn bind_query_log() {
    let fallback = t("2024-05-01T12:00:00Z");
    let parser = DnsLogParser::new(sensor()).default_time(fallback);
    let mut r = Reader::with_parser(open("bind-query.log"), "bind", parser);
    let (ok, bad) = collect(&mut r);
    assert_eq!(
        r.counts(),
        Counts {
            ok: 4,
            malformed: 2,
            skipped: 2
        }
    );
    let q = &ok[0];
    assert_eq!(q.kind, Kind::Dns);
    assert_eq!(q.time, t("2024-05-01T09:00:00.123Z"));
    assert_eq!(q.src_ip, ip("192.0.2.1"));
    assert_eq!(q.src_port, Some(53413));
    assert_eq!(q.dst_ip, ip("198.51.100.1"));
    assert_eq!(q.domains, ["www.example.com"]);
    assert_eq!(q.transport, Some(Transport::Udp));
    // No date: the default time; T flag: TCP.
    assert_eq!(ok[1].time, fallback);
    assert_eq!(ok[1].domains, ["malware.test"]);
    assert_eq!(ok[1].transport, Some(Transport::Tcp));
    // IPv6 client, view.
    assert_eq!(ok[2].src_ip, ip("2001:db8::7"));
    assert_eq!(ok[2].src_port, Some(5300));
    assert_eq!(ok[2].dst_ip, ip("2001:db8::53"));
    assert_eq!(ok[2].domains, ["example.org"]);
    // Old format without the client object address.
    assert_eq!(ok[3].src_ip, ip("192.0.2.3"));
    assert_eq!(ok[3].domains, ["old-format.example"]);
    assert_eq!(bad.iter().map(|e| e.line).collect::<Vec<_>>(), [5, 8]);
    assert_eq!(bad[0].error.field.as_deref(), Some("client"));
}

#[test]
fn bind_local_time() {
    let line = b"01-May-2024 09:00:00.000 queries: info: client @0x1 192.0.2.1#1 (a.example): query: a.example IN A + (192.0.2.53)\n";
    let jst = chrono::FixedOffset::east_opt(9 * 3600).unwrap();
    let parser = DnsLogParser::new(sensor()).utc_offset(jst);
    let o = Reader::with_parser(&line[..], "bind", parser)
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(o.time, t("2024-05-01T00:00:00Z"));
}

#[test]
fn unbound_query_log() {
    let fallback = t("2024-05-01T12:00:00Z");
    let parser = DnsLogParser::new(sensor()).default_time(fallback);
    let mut r = Reader::with_parser(open("unbound.log"), "unbound", parser);
    let (ok, bad) = collect(&mut r);
    assert_eq!(
        r.counts(),
        Counts {
            ok: 4,
            malformed: 1,
            skipped: 2
        }
    );
    assert_eq!(ok[0].time, Utc.timestamp_opt(1714521601, 0).unwrap());
    assert_eq!(ok[0].src_ip, ip("192.0.2.1"));
    assert_eq!(ok[0].domains, ["www.example.com"]);
    assert_eq!(ok[1].src_ip, ip("2001:db8::9"));
    assert_eq!(ok[1].domains, ["phish.example.net"]);
    assert_eq!(ok[2].domains, ["www.example.com"]);
    assert_eq!(ok[3].time, fallback);
    assert_eq!(ok[3].domains, ["syslog.example"]);
    assert_eq!(bad[0].line, 5);
}

#[test]
fn too_long_line_is_reported_and_skipped() {
    let mut data = vec![b'{'; 5000];
    data.push(b'\n');
    data.extend_from_slice(
        br#"{"timestamp":"2024-05-01T00:00:00Z","event_type":"flow","flow":{"pkts_toclient":0}}"#,
    );
    let mut r = EveReader::new(&data[..], "long", sensor()).max_line(1000);
    let e = r.next().unwrap().unwrap_err();
    assert_eq!(e.error.kind, ErrorKind::TooLong);
    assert_eq!(e.line, 1);
    let o = r.next().unwrap().unwrap();
    assert_eq!(o.outcome, Outcome::NoReply);
    assert!(r.next().is_none());
    assert_eq!(r.counts().total(), 2);
}

#[test]
fn observation_round_trips_through_json() {
    let mut r = EveReader::new(open("eve.json"), "eve.json", sensor());
    let o = r.next().unwrap().unwrap();
    let json = serde_json::to_string(&o).unwrap();
    let back: Observation = serde_json::from_str(&json).unwrap();
    assert_eq!(back, o);
}
