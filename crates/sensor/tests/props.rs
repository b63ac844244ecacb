//! Parsers of untrusted input never panic, locate every error inside the
//! input, and keep going after malformed lines.

use std::sync::Arc;

use proptest::prelude::*;
use sakimori_sensor::*;

fn sensor() -> Arc<Sensor> {
    Sensor::new("p", "site")
}

fn sample(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// Drains a reader and checks what it reports against the input.
fn check<P: LineParser>(data: &[u8], mut r: Reader<&[u8], P>) -> (u64, u64) {
    let lines = data.split(|b| *b == b'\n').count() as u64;
    let mut ok = 0;
    let mut bad = 0;
    for item in &mut r {
        match item {
            Ok(_) => ok += 1,
            Err(e) => {
                bad += 1;
                assert!(e.line >= 1 && e.line <= lines, "line {} of {lines}", e.line);
                assert!(e.offset <= data.len() as u64);
                assert!(!e.to_string().is_empty());
            }
        }
    }
    let c = r.counts();
    assert_eq!((c.ok, c.malformed), (ok, bad));
    assert!(c.total() <= lines);
    (ok, bad)
}

/// Inserts `junk` as a line before line `at` of `text`.
fn insert_line(text: &str, at: usize, junk: &str) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    let at = at % (lines.len() + 1);
    lines.insert(at, junk);
    lines.join("\n")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn eve_never_panics(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        check(&data, EveReader::new(&data[..], "fuzz", sensor()));
    }

    #[test]
    fn zeek_never_panics(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        check(&data, ZeekReader::new(&data[..], "fuzz", sensor(), Some(ZeekLog::Conn)));
    }

    #[test]
    fn dnslog_never_panics(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let parser = DnsLogParser::new(sensor());
        check(&data, Reader::with_parser(&data[..], "fuzz", parser));
    }

    #[test]
    fn eve_like_lines_never_panic(
        lines in proptest::collection::vec(
            r#"\{"timestamp":"20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:.]{8,15}[+-Z0-9:]{0,6}","event_type":"(alert|dns|flow|http|tls|fileinfo|anomaly)","src_ip":"[0-9a-f.:]{0,20}"(,"[a-z_]{1,8}":[\[\]{}"0-9a-z,:]{0,40})*\}"#,
            1..8,
        )
    ) {
        let data = lines.join("\n");
        check(data.as_bytes(), EveReader::new(data.as_bytes(), "fuzz", sensor()));
    }

    #[test]
    fn dnslog_like_lines_never_panic(
        lines in proptest::collection::vec(
            r"(\[[0-9]{1,12}\] unbound\[1:0\] info: [0-9a-f.:@#]{0,20} [a-z.]{0,12} ?[A-Z]{0,5} ?IN|[0-9]{2}-[A-Z][a-z]{2}-[0-9]{4} [0-9:.]{0,12} queries: info: client @0x1 [0-9a-f.:#]{0,20} \([a-z.]{0,8}\): query: [a-z.]{0,12} IN [A-Z]{0,4} [-+A-Z()0-9]{0,8} \([0-9.:]{0,16}\))",
            1..8,
        )
    ) {
        let data = lines.join("\n");
        check(data.as_bytes(), Reader::with_parser(data.as_bytes(), "fuzz", DnsLogParser::new(sensor())));
    }

    #[test]
    fn eve_junk_line_does_not_stop_the_stream(at in 0usize..40, junk in "[^\n]{0,200}") {
        let text = insert_line(&sample("eve.json"), at, &junk);
        let (ok, _) = check(text.as_bytes(), EveReader::new(text.as_bytes(), "eve", sensor()));
        prop_assert!(ok >= 13);
    }

    #[test]
    fn zeek_junk_line_does_not_stop_the_stream(at in 8usize..16, junk in "[^\n#]{0,200}") {
        let text = insert_line(&sample("conn.log"), at, &junk);
        let (ok, _) = check(text.as_bytes(), ZeekReader::new(text.as_bytes(), "conn", sensor(), None));
        prop_assert!(ok >= 5);
    }

    #[test]
    fn dnslog_junk_line_does_not_stop_the_stream(at in 0usize..10, junk in "[^\n]{0,200}") {
        let text = insert_line(&sample("bind-query.log"), at, &junk);
        let parser = DnsLogParser::new(sensor());
        let (ok, _) = check(text.as_bytes(), Reader::with_parser(text.as_bytes(), "bind", parser));
        prop_assert!(ok >= 4);
    }
}
