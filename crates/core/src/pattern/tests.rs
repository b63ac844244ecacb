use super::*;
use chrono::TimeDelta;
use serde_json::{json, Value};

fn parse(text: &str) -> Pattern {
    Pattern::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn time(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

/// One observation at `at` (seconds after 2016-06-15T00:00:00Z).
fn obs(at: i64, objects: Vec<Value>) -> Observation {
    let t = time("2016-06-15T00:00:00Z") + TimeDelta::seconds(at);
    Observation {
        first_observed: t,
        last_observed: t,
        number_observed: 1,
        objects,
    }
}

fn obs_span(first: i64, last: i64, count: u64, objects: Vec<Value>) -> Observation {
    Observation {
        last_observed: obs(last, vec![]).last_observed,
        number_observed: count,
        ..obs(first, objects)
    }
}

fn matches(pattern: &str, observations: &[Observation]) -> bool {
    parse(pattern).matches(observations)
}

fn error(text: &str) -> PatternError {
    match Pattern::parse(text) {
        Ok(p) => panic!("{text} parsed as {p}"),
        Err(e) => e,
    }
}

const SHA: &str = "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f";

fn file(props: Value) -> Value {
    let mut object = json!({"type": "file", "id": "file--1"});
    object
        .as_object_mut()
        .unwrap()
        .extend(props.as_object().unwrap().clone());
    object
}

fn ipv4(id: &str, value: &str) -> Value {
    json!({"type": "ipv4-addr", "id": id, "value": value})
}

fn domain(id: &str, value: &str) -> Value {
    json!({"type": "domain-name", "id": id, "value": value})
}

fn traffic_to(target: Value) -> Vec<Value> {
    let id = target["id"].clone();
    vec![
        json!({"type": "network-traffic", "id": "network-traffic--1", "dst_ref": id, "protocols": ["tcp"]}),
        target,
    ]
}

// ---------------------------------------------------------------------------
// The examples of STIX 2.1 section 9.9, each with matching and non-matching data.

#[test]
fn spec_file_hash() {
    let p = "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']";
    assert!(matches(
        p,
        &[obs(0, vec![file(json!({"hashes": {"SHA-256": SHA}}))])]
    ));
    assert!(!matches(
        p,
        &[obs(0, vec![file(json!({"hashes": {"MD5": SHA}}))])]
    ));
    assert!(!matches(p, &[obs(0, vec![file(json!({"name": "a.exe"}))])]));
    assert!(!matches(
        p,
        &[obs(
            0,
            vec![json!({"type": "artifact", "hashes": {"SHA-256": SHA}})]
        )]
    ));
    assert!(!matches(p, &[]));
}

#[test]
fn spec_email_with_references() {
    let p = r"[email-message:from_ref.value MATCHES '.+\\@example\\.com$' AND email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\.exe$']";
    let email = |from: &str, attachment: &str| {
        obs(
            0,
            vec![
                json!({"type": "email-message", "id": "email-message--1", "is_multipart": true,
                       "from_ref": "email-addr--1",
                       "body_multipart": [{"body": "see attached"}, {"body_raw_ref": "file--1"}]}),
                json!({"type": "email-addr", "id": "email-addr--1", "value": from}),
                file(json!({"name": attachment})),
            ],
        )
    };
    assert!(matches(
        p,
        &[email("jdoe@example.com", "Final Report 2016.exe")]
    ));
    assert!(!matches(
        p,
        &[email("jdoe@example.org", "Final Report 2016.exe")]
    ));
    assert!(!matches(
        p,
        &[email("jdoe@example.com", "Final Report.pdf")]
    ));
    // An unresolved reference selects nothing.
    let mut dangling = email("jdoe@example.com", "Final Report 2016.exe");
    dangling.objects.truncate(2);
    assert!(!matches(p, &[dangling]));
}

#[test]
fn spec_hash_and_mime_type_on_the_same_file() {
    let p = "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f' AND file:mime_type = 'application/x-pdf']";
    let both = file(json!({"hashes": {"SHA-256": SHA}, "mime_type": "application/x-pdf"}));
    assert!(matches(p, &[obs(0, vec![both])]));
    // Each test holds for a different file of the observation: no match.
    let split = vec![
        file(json!({"hashes": {"SHA-256": SHA}})),
        json!({"type": "file", "id": "file--2", "mime_type": "application/x-pdf"}),
    ];
    assert!(!matches(p, &[obs(0, split)]));
}

#[test]
fn spec_two_observations_joined_by_and() {
    let p = "[file:hashes.'SHA-256' = 'bf07a7fbb825fc0aae7bf4a1177b2b31fcf8a3feeaf7092761e18c859ee52a9c' OR file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f'] AND [file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']";
    let md5 = file(json!({"hashes": {"MD5": "cead3f77f6cda6ec00f57d76c9a6879f"}}));
    let sha = file(json!({"hashes": {"SHA-256": SHA}}));
    assert!(matches(
        p,
        &[obs(0, vec![md5.clone()]), obs(9, vec![sha.clone()])]
    ));
    assert!(!matches(
        p,
        &[obs(0, vec![sha.clone()]), obs(9, vec![sha.clone()])]
    ));
    // Observation AND needs distinct observations, as in the reference matcher.
    let mut other = md5.clone();
    other["id"] = json!("file--2");
    assert!(!matches(p, &[obs(0, vec![md5.clone(), sha.clone()])]));
    assert!(matches(p, &[obs_span(0, 0, 2, vec![other, sha])]));
}

#[test]
fn spec_followed_by_within() {
    let p = r"([file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4'] FOLLOWEDBY [windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\foo\\bar']) WITHIN 300 SECONDS";
    let f = || {
        vec![file(
            json!({"hashes": {"MD5": "79054025255fb1a26e4bc422aef54eb4"}}),
        )]
    };
    let key =
        || vec![json!({"type": "windows-registry-key", "key": r"HKEY_LOCAL_MACHINE\foo\bar"})];
    assert!(matches(p, &[obs(0, f()), obs(100, key())]));
    assert!(matches(p, &[obs(0, f()), obs(300, key())]));
    assert!(matches(p, &[obs(50, key()), obs(0, f())]));
    assert!(!matches(p, &[obs(0, f()), obs(301, key())]));
    assert!(!matches(p, &[obs(100, f()), obs(0, key())]));
    assert!(!matches(p, &[obs(0, f())]));
}

#[test]
fn spec_three_user_accounts() {
    let p = "[user-account:account_type = 'unix' AND user-account:user_id = '1007' AND user-account:account_login = 'Peter'] AND [user-account:account_type = 'unix' AND user-account:user_id = '1008' AND user-account:account_login = 'Paul'] AND [user-account:account_type = 'unix' AND user-account:user_id = '1009' AND user-account:account_login = 'Mary']";
    let user = |id: &str, login: &str| {
        vec![
            json!({"type": "user-account", "account_type": "unix", "user_id": id, "account_login": login}),
        ]
    };
    let all = [
        obs(0, user("1007", "Peter")),
        obs(1, user("1008", "Paul")),
        obs(2, user("1009", "Mary")),
    ];
    assert!(matches(p, &all));
    assert!(!matches(p, &all[..2]));
    assert!(!matches(
        p,
        &[
            obs(0, user("1007", "Peter")),
            obs(1, user("1008", "Paul")),
            obs(2, user("1009", "Marie"))
        ]
    ));
}

#[test]
fn spec_binary_payload() {
    let p = r"[artifact:mime_type = 'application/vnd.tcpdump.pcap' AND artifact:payload_bin MATCHES '\\xd4\\xc3\\xb2\\xa1\\x02\\x00\\x04\\x00']";
    let artifact = |bytes: &[u8]| {
        vec![
            json!({"type": "artifact", "mime_type": "application/vnd.tcpdump.pcap",
                    "payload_bin": literal::encode_base64(bytes)}),
        ]
    };
    let pcap = [0xd4, 0xc3, 0xb2, 0xa1, 0x02, 0x00, 0x04, 0x00, 0xff, 0x10];
    assert!(matches(p, &[obs(0, artifact(&pcap))]));
    assert!(matches(
        p,
        &[obs(0, artifact(&[&[0x00, 0xfe][..], &pcap].concat()))]
    ));
    assert!(!matches(p, &[obs(0, artifact(&pcap[1..]))]));
}

#[test]
fn spec_parent_directory_reference() {
    let p = r"[file:name = 'foo.dll' AND file:parent_directory_ref.path = 'C:\\Windows\\System32']";
    let data = |dir: &str| {
        vec![
            file(json!({"name": "foo.dll", "parent_directory_ref": "directory--1"})),
            json!({"type": "directory", "id": "directory--1", "path": dir}),
        ]
    };
    assert!(matches(p, &[obs(0, data(r"C:\Windows\System32"))]));
    assert!(!matches(p, &[obs(0, data(r"C:\Windows\Temp"))]));
}

#[test]
fn spec_pe_section_entropy() {
    let p = "[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]";
    let pe = |entropies: &[f64]| {
        let sections: Vec<Value> = entropies
            .iter()
            .map(|e| json!({"name": ".text", "entropy": e}))
            .collect();
        vec![file(
            json!({"extensions": {"windows-pebinary-ext": {"pe_type": "exe", "sections": sections}}}),
        )]
    };
    assert!(matches(p, &[obs(0, pe(&[5.1, 7.5]))]));
    assert!(!matches(p, &[obs(0, pe(&[5.1, 7.0]))]));
    assert!(!matches(p, &[obs(0, pe(&[]))]));
    assert!(matches(
        "[file:extensions.'windows-pebinary-ext'.sections[1].entropy > 7]",
        &[obs(0, pe(&[5.1, 7.5]))]
    ));
    assert!(!matches(
        "[file:extensions.'windows-pebinary-ext'.sections[0].entropy > 7]",
        &[obs(0, pe(&[5.1, 7.5]))]
    ));
    assert!(!matches(
        "[file:extensions.'windows-pebinary-ext'.sections[2].entropy > 7]",
        &[obs(0, pe(&[5.1, 7.5]))]
    ));
}

#[test]
fn spec_magic_number_hex() {
    let p = "[file:mime_type = 'image/bmp' AND file:magic_number_hex = h'ffd8']";
    let f = |magic: &str| {
        vec![file(
            json!({"mime_type": "image/bmp", "magic_number_hex": magic}),
        )]
    };
    assert!(matches(p, &[obs(0, f("FFD8"))]));
    assert!(matches(p, &[obs(0, f("ffd8"))]));
    assert!(!matches(p, &[obs(0, f("ffd9"))]));
    assert!(!matches(p, &[obs(0, f("not hex"))]));
    assert!(matches(
        "[file:magic_number_hex = b'/9g=']",
        &[obs(0, f("ffd8"))]
    ));
}

#[test]
fn spec_network_traffic_destination() {
    let p = "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '203.0.113.33/32']";
    assert!(matches(
        p,
        &[obs(0, traffic_to(ipv4("ipv4-addr--1", "203.0.113.33/32")))]
    ));
    assert!(!matches(
        p,
        &[obs(0, traffic_to(ipv4("ipv4-addr--1", "203.0.113.34/32")))]
    ));
    assert!(!matches(
        p,
        &[obs(
            0,
            traffic_to(domain("domain-name--1", "203.0.113.33/32"))
        )]
    ));
}

#[test]
fn spec_repeats_within() {
    let p = "[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = 'example.com'] REPEATS 5 TIMES WITHIN 1800 SECONDS";
    let hit = |at: i64| obs(at, traffic_to(domain("domain-name--1", "example.com")));
    let miss = |at: i64| obs(at, traffic_to(domain("domain-name--1", "example.org")));
    let five: Vec<_> = (0..5).map(|i| hit(i * 400)).collect();
    assert!(matches(p, &five));
    assert!(!matches(p, &five[..4]));
    // Five hits, but never five within 30 minutes.
    let spread: Vec<_> = (0..5).map(|i| hit(i * 600)).collect();
    assert!(!matches(p, &spread));
    // A sixth hit makes a window of five: the search finds it.
    let mut six = spread.clone();
    six.push(hit(1500));
    assert!(matches(p, &six));
    let mut noisy: Vec<_> = (0..4).map(|i| hit(i * 100)).collect();
    noisy.extend((0..20).map(|i| miss(i * 10)));
    assert!(!matches(p, &noisy));
    // One observed-data seen five times counts as five observations.
    assert!(matches(
        p,
        &[obs_span(
            0,
            60,
            5,
            traffic_to(domain("domain-name--1", "example.com"))
        )]
    ));
    assert!(!matches(
        p,
        &[obs_span(
            0,
            60,
            4,
            traffic_to(domain("domain-name--1", "example.com"))
        )]
    ));
}

#[test]
fn spec_ipv6_subset() {
    let p = "[network-traffic:dst_ref.value ISSUBSET '2001:0db8:dead:beef:0000:0000:0000:0000/64']";
    let v6 = |v: &str| traffic_to(json!({"type": "ipv6-addr", "id": "ipv6-addr--1", "value": v}));
    assert!(matches(p, &[obs(0, v6("2001:db8:dead:beef::1"))]));
    assert!(matches(p, &[obs(0, v6("2001:db8:dead:beef:8000::/65"))]));
    assert!(!matches(p, &[obs(0, v6("2001:db8:dead:bef0::1"))]));
    assert!(!matches(p, &[obs(0, v6("2001:db8:dead::/48"))]));
    assert!(!matches(
        p,
        &[obs(0, traffic_to(ipv4("ipv4-addr--1", "192.0.2.1")))]
    ));
}

#[test]
fn spec_domain_resolving_to() {
    let p = "[domain-name:value = 'www.5z8.info' AND domain-name:resolves_to_refs[*].value = '198.51.100.1/32']";
    let data = |address: &str| {
        vec![
            json!({"type": "domain-name", "id": "domain-name--1", "value": "www.5z8.info",
                   "resolves_to_refs": ["ipv4-addr--1", "ipv4-addr--2", "ipv4-addr--missing"]}),
            ipv4("ipv4-addr--1", "203.0.113.7/32"),
            ipv4("ipv4-addr--2", address),
        ]
    };
    assert!(matches(p, &[obs(0, data("198.51.100.1/32"))]));
    assert!(!matches(p, &[obs(0, data("198.51.100.2/32"))]));
}

#[test]
fn spec_alternatives_in_one_observation() {
    let p = "[url:value = 'http://example.com/foo' OR url:value = 'http://example.com/bar']";
    let url = |v: &str| vec![json!({"type": "url", "value": v})];
    assert!(matches(p, &[obs(0, url("http://example.com/bar"))]));
    assert!(!matches(p, &[obs(0, url("http://example.com/baz"))]));

    let p = "[x509-certificate:issuer = 'CN=WEBMAIL' AND x509-certificate:serial_number = '4c:0b:1d:19:74:86:a7:66:b4:1a:bf:40:27:21:76:28']";
    let cert = |serial: &str| {
        vec![json!({"type": "x509-certificate", "issuer": "CN=WEBMAIL", "serial_number": serial})]
    };
    assert!(matches(
        p,
        &[obs(
            0,
            cert("4c:0b:1d:19:74:86:a7:66:b4:1a:bf:40:27:21:76:28")
        )]
    ));
    assert!(!matches(
        p,
        &[obs(
            0,
            cert("4c:0b:1d:19:74:86:a7:66:b4:1a:bf:40:27:21:76:29")
        )]
    ));

    let p = r"[windows-registry-key:key = 'HKEY_CURRENT_USER\\Software\\CryptoLocker\\Files' OR windows-registry-key:key = 'HKEY_CURRENT_USER\\Software\\Microsoft\\CurrentVersion\\Run\\CryptoLocker_0388']";
    let key = |k: &str| vec![json!({"type": "windows-registry-key", "key": k})];
    assert!(matches(
        p,
        &[obs(
            0,
            key(r"HKEY_CURRENT_USER\Software\CryptoLocker\Files")
        )]
    ));
    assert!(!matches(
        p,
        &[obs(0, key(r"HKEY_CURRENT_USER\Software\CryptoLocker"))]
    ));
}

#[test]
fn spec_grouping_and_timestamp() {
    let p = "[(file:name = 'pdf.exe' OR file:size = '371712') AND file:created = t'2014-01-13T07:03:17Z']";
    let f = |name: &str, size: u64, created: &str| {
        vec![file(
            json!({"name": name, "size": size, "created": created}),
        )]
    };
    assert!(matches(
        p,
        &[obs(0, f("pdf.exe", 1, "2014-01-13T07:03:17Z"))]
    ));
    assert!(matches(
        p,
        &[obs(0, f("pdf.exe", 1, "2014-01-13T07:03:17.000Z"))]
    ));
    assert!(!matches(
        p,
        &[obs(0, f("pdf.exe", 1, "2014-01-13T07:03:18Z"))]
    ));
    // A number is not equal to the string '371712'.
    assert!(!matches(
        p,
        &[obs(0, f("a.exe", 371_712, "2014-01-13T07:03:17Z"))]
    ));
}

#[test]
fn spec_email_sender_and_custom_object() {
    let p = "[email-message:sender_ref.value = 'jdoe@example.com' AND email-message:subject = 'Conference Info']";
    let email = |subject: &str| {
        vec![
            json!({"type": "email-message", "sender_ref": "email-addr--1", "subject": subject, "is_multipart": false}),
            json!({"type": "email-addr", "id": "email-addr--1", "value": "jdoe@example.com"}),
        ]
    };
    assert!(matches(p, &[obs(0, email("Conference Info"))]));
    assert!(!matches(p, &[obs(0, email("Re: Conference Info"))]));

    let p = "[x-usb-device:usbdrive.serial_number = '575833344E30314130304630']";
    let usb =
        |serial: &str| vec![json!({"type": "x-usb-device", "usbdrive": {"serial_number": serial}})];
    assert!(matches(p, &[obs(0, usb("575833344E30314130304630"))]));
    assert!(!matches(p, &[obs(0, usb("575833344E30314130304631"))]));
}

#[test]
fn spec_process_command_lines_followed_by() {
    let p = "([process:command_line MATCHES '^.+>-add GlobalSign.cer -c -s -r localMachine Root$'] FOLLOWEDBY [process:command_line MATCHES '^.+>-add GlobalSign.cer -c -s -r localMachineTrustedPublisher$']) WITHIN 300 SECONDS";
    let cmd = |line: &str| vec![json!({"type": "process", "command_line": line})];
    let first = cmd(r"C:\>-add GlobalSign.cer -c -s -r localMachine Root");
    let second = cmd(r"C:\>-add GlobalSign.cer -c -s -r localMachineTrustedPublisher");
    assert!(matches(
        p,
        &[obs(0, first.clone()), obs(60, second.clone())]
    ));
    assert!(!matches(
        p,
        &[obs(60, first.clone()), obs(0, second.clone())]
    ));
    assert!(!matches(p, &[obs(0, first), obs(600, second)]));
}

#[test]
fn spec_start_stop() {
    let p = r"[file:name = 'foo.dll' AND file:parent_directory_ref.path = 'C:\\Windows\\System32'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'";
    let data = || {
        vec![
            file(json!({"name": "foo.dll", "parent_directory_ref": "directory--1"})),
            json!({"type": "directory", "id": "directory--1", "path": r"C:\Windows\System32"}),
        ]
    };
    assert!(matches(p, &[obs(0, data())]));
    let day = 86_400;
    assert!(!matches(p, &[obs(20 * day, data())]));
    assert!(!matches(p, &[obs(-15 * day, data())]));
    // Overlapping the range is enough; touching STOP is not (the range is half-open).
    assert!(matches(p, &[obs_span(-20 * day, -14 * day, 1, data())]));
    assert!(!matches(
        p,
        &[obs_span(-20 * day, -14 * day - 3600, 1, data())]
    ));
    assert!(!matches(p, &[obs_span(16 * day, 17 * day, 1, data())]));
}

#[test]
fn spec_ip_then_domain_within() {
    let p = "([ipv4-addr:value = '198.51.100.1/32'] FOLLOWEDBY [domain-name:value = 'example.com']) WITHIN 600 SECONDS";
    let ip = || vec![ipv4("ipv4-addr--1", "198.51.100.1/32")];
    let dn = || vec![domain("domain-name--1", "example.com")];
    assert!(matches(p, &[obs(0, ip()), obs(600, dn())]));
    assert!(matches(p, &[obs(0, ip()), obs(0, dn())]));
    assert!(!matches(p, &[obs(0, ip()), obs(601, dn())]));
    assert!(!matches(p, &[obs(10, ip()), obs(0, dn())]));
    // A third observation gives a valid pair.
    assert!(matches(p, &[obs(10, ip()), obs(0, dn()), obs(500, dn())]));
}

#[test]
fn spec_ipv4_subset() {
    let p = "[ipv4-addr:value ISSUBSET '198.51.100.0/24']";
    let ip = |v: &str| vec![ipv4("ipv4-addr--1", v)];
    assert!(matches(p, &[obs(0, ip("198.51.100.7"))]));
    assert!(matches(p, &[obs(0, ip("198.51.100.0/25"))]));
    assert!(matches(p, &[obs(0, ip("198.51.100.0/24"))]));
    assert!(!matches(p, &[obs(0, ip("198.51.101.7"))]));
    assert!(!matches(p, &[obs(0, ip("198.51.0.0/16"))]));
    assert!(!matches(p, &[obs(0, ip("not an address"))]));
    assert!(!matches(
        "[ipv4-addr:value NOT ISSUBSET '198.51.100.0/24']",
        &[obs(0, ip("198.51.100.7"))]
    ));
    assert!(matches(
        "[ipv4-addr:value NOT ISSUBSET '198.51.100.0/24']",
        &[obs(0, ip("198.51.101.7"))]
    ));
    assert!(matches(
        "[ipv4-addr:value ISSUPERSET '198.51.100.7']",
        &[obs(0, ip("198.51.100.0/24"))]
    ));
    assert!(!matches(
        "[ipv4-addr:value ISSUPERSET '198.51.0.0/16']",
        &[obs(0, ip("198.51.100.0/24"))]
    ));
}

// ---------------------------------------------------------------------------
// Comparison operators.

fn thing(props: Value) -> Vec<Observation> {
    let mut object = json!({"type": "x-thing", "id": "x-thing--1"});
    object
        .as_object_mut()
        .unwrap()
        .extend(props.as_object().unwrap().clone());
    vec![obs(0, vec![object])]
}

#[test]
fn equality_and_inequality() {
    let data = thing(
        json!({"s": "abc", "n": 5, "f": 2.5, "b": true, "big": u64::MAX, "list": ["a"], "nul": null}),
    );
    for (pattern, expected) in [
        ("[x-thing:s = 'abc']", true),
        ("[x-thing:s == 'abc']", true),
        ("[x-thing:s = 'ABC']", false),
        ("[x-thing:s != 'ABC']", true),
        ("[x-thing:s <> 'abc']", false),
        ("[x-thing:s NOT = 'abc']", false),
        ("[x-thing:s NOT != 'abc']", true),
        ("[x-thing:n = 5]", true),
        ("[x-thing:n = 5.0]", true),
        ("[x-thing:n = +5]", true),
        ("[x-thing:n = -5]", false),
        ("[x-thing:f = 2.5]", true),
        ("[x-thing:b = true]", true),
        ("[x-thing:b = false]", false),
        ("[x-thing:b != false]", true),
        ("[x-thing:big = 18446744073709551615]", true),
        // Different kinds are never equal.
        ("[x-thing:n = '5']", false),
        ("[x-thing:n != '5']", true),
        ("[x-thing:b = 1]", false),
        ("[x-thing:list = 'a']", false),
        ("[x-thing:nul = 'a']", false),
        // A missing property makes every test false.
        ("[x-thing:missing = 'a']", false),
        ("[x-thing:missing != 'a']", false),
        ("[x-thing:missing NOT = 'a']", false),
        ("[x-thing:s.deeper = 'a']", false),
        ("[x-other:s = 'abc']", false),
    ] {
        assert_eq!(matches(pattern, &data), expected, "{pattern}");
    }
}

#[test]
fn ordering() {
    let data = thing(
        json!({"s": "m", "n": 5, "f": 2.5, "t": "2016-01-20T12:31:12Z", "b": true, "bytes_hex": "0a0b"}),
    );
    for (pattern, expected) in [
        ("[x-thing:n > 4]", true),
        ("[x-thing:n > 5]", false),
        ("[x-thing:n >= 5]", true),
        ("[x-thing:n < 5.5]", true),
        ("[x-thing:n <= 4]", false),
        ("[x-thing:n NOT <= 4]", true),
        ("[x-thing:f < 3]", true),
        ("[x-thing:f > -1.5]", true),
        ("[x-thing:s > 'a']", true),
        ("[x-thing:s < 'a']", false),
        ("[x-thing:t > t'2016-01-20T12:31:11.999Z']", true),
        ("[x-thing:t < t'2016-01-20T12:31:12Z']", false),
        ("[x-thing:t <= t'2016-01-20T12:31:12Z']", true),
        ("[x-thing:bytes_hex > h'0a0a']", true),
        ("[x-thing:bytes_hex < b'CgwA']", true),
        // Unordered kinds: false, with or without NOT.
        ("[x-thing:s > 5]", false),
        ("[x-thing:s NOT > 5]", false),
        ("[x-thing:n < 'z']", false),
        ("[x-thing:s < t'2016-01-20T12:31:12Z']", false),
    ] {
        assert_eq!(matches(pattern, &data), expected, "{pattern}");
    }
}

#[test]
fn set_membership() {
    let data = thing(json!({"port": 443, "s": "b", "t": "2016-01-01T00:00:00Z"}));
    for (pattern, expected) in [
        ("[x-thing:port IN (80, 443, 8443)]", true),
        ("[x-thing:port IN (80, 8080)]", false),
        ("[x-thing:port NOT IN (80, 8080)]", true),
        ("[x-thing:port NOT IN (80, 443)]", false),
        ("[x-thing:port IN ()]", false),
        ("[x-thing:port NOT IN ()]", true),
        ("[x-thing:s IN ('a', 'b')]", true),
        ("[x-thing:s IN (1, 'b', true)]", true),
        ("[x-thing:t IN (t'2016-01-01T00:00:00Z')]", true),
        ("[x-thing:missing NOT IN (1)]", false),
    ] {
        assert_eq!(matches(pattern, &data), expected, "{pattern}");
    }
}

#[test]
fn like_and_matches() {
    let data = thing(
        json!({"s": "Setup_v2.EXE", "n": 12, "payload_bin": literal::encode_base64(b"MZ\x90\x00")}),
    );
    for (pattern, expected) in [
        ("[x-thing:s LIKE 'Setup%']", true),
        ("[x-thing:s LIKE '%.EXE']", true),
        ("[x-thing:s LIKE 'Setup_v_.EXE']", true),
        ("[x-thing:s LIKE 'setup%']", false),
        ("[x-thing:s LIKE 'Setup']", false),
        ("[x-thing:s NOT LIKE 'Setup']", true),
        ("[x-thing:n LIKE '12']", false),
        ("[x-thing:n NOT LIKE '12']", false),
        ("[x-thing:s MATCHES 'v[0-9]']", true),
        ("[x-thing:s MATCHES '^v[0-9]']", false),
        ("[x-thing:s MATCHES '(?i)^setup']", true),
        ("[x-thing:s NOT MATCHES 'v[0-9]']", false),
        ("[x-thing:n MATCHES '1']", false),
        (r"[x-thing:payload_bin MATCHES '^MZ\\x90']", true),
        (r"[x-thing:payload_bin MATCHES '^MZ\\x91']", false),
    ] {
        assert_eq!(matches(pattern, &data), expected, "{pattern}");
    }
}

#[test]
fn binary_and_string_comparisons() {
    let data = thing(json!({"s": "AB", "u": "Å", "raw_hex": "4142", "x_bin": "QUI="}));
    for (pattern, expected) in [
        ("[x-thing:s = h'4142']", true),
        ("[x-thing:s = b'QUI=']", true),
        ("[x-thing:u = h'c5']", true),
        ("[x-thing:raw_hex = 'AB']", true),
        ("[x-thing:raw_hex = h'4142']", true),
        ("[x-thing:x_bin = h'4142']", true),
        ("[x-thing:raw_hex = h'4143']", false),
        ("[x-thing:raw_hex != 'ファ']", true),
    ] {
        assert_eq!(matches(pattern, &data), expected, "{pattern}");
    }
}

#[test]
fn and_within_brackets_needs_one_object_or_does_not() {
    let two = vec![obs(
        0,
        vec![
            json!({"type": "file", "name": "a.exe", "size": 1}),
            json!({"type": "file", "name": "b.exe", "size": 2}),
            json!({"type": "process", "pid": 4}),
        ],
    )];
    assert!(matches("[file:name = 'a.exe' AND file:size = 1]", &two));
    assert!(!matches("[file:name = 'a.exe' AND file:size = 2]", &two));
    assert!(matches("[file:name = 'a.exe' OR file:size = 7]", &two));
    assert!(matches("[file:name = 'x.exe' OR process:pid = 4]", &two));
    assert!(!matches("[file:name = 'a.exe' AND process:pid = 4]", &two));
    assert!(matches(
        "[file:size = 1 AND (file:name = 'x' OR file:name = 'a.exe')]",
        &two
    ));
    assert!(matches(
        "[file:size = 7 OR file:size = 2 AND file:name = 'b.exe']",
        &two
    ));
    assert!(!matches(
        "[(file:size = 7 OR file:size = 2) AND file:name = 'a.exe']",
        &two
    ));
}

#[test]
fn list_indexes_and_reference_lists() {
    let data = vec![obs(
        0,
        vec![
            json!({"type": "email-message", "to_refs": ["email-addr--1", "email-addr--2"], "x_list": [[1, 2], [3]]}),
            json!({"type": "email-addr", "id": "email-addr--1", "value": "a@example.com"}),
            json!({"type": "email-addr", "id": "email-addr--2", "value": "b@example.com"}),
        ],
    )];
    for (pattern, expected) in [
        ("[email-message:to_refs[*].value = 'b@example.com']", true),
        ("[email-message:to_refs[0].value = 'a@example.com']", true),
        ("[email-message:to_refs[0].value = 'b@example.com']", false),
        ("[email-message:to_refs[1].value = 'b@example.com']", true),
        ("[email-message:to_refs.value = 'a@example.com']", false),
        ("[email-message:x_list[*][*] = 3]", true),
        ("[email-message:x_list[0][1] = 2]", true),
        ("[email-message:x_list[*] = 3]", false),
        ("[email-message:x_list[*][*] NOT = 3]", true),
        ("[email-message:'x_list'[1][0] = 3]", true),
    ] {
        assert_eq!(matches(pattern, &data), expected, "{pattern}");
    }
}

// ---------------------------------------------------------------------------
// Observation operators and qualifiers.

fn a() -> Vec<Value> {
    vec![json!({"type": "x-a", "v": 1})]
}
fn b() -> Vec<Value> {
    vec![json!({"type": "x-b", "v": 1})]
}
fn c() -> Vec<Value> {
    vec![json!({"type": "x-c", "v": 1})]
}

const A: &str = "[x-a:v = 1]";
const B: &str = "[x-b:v = 1]";

#[test]
fn observation_and_or_followed_by() {
    let ab = [obs(0, a()), obs(10, b())];
    assert!(matches(&format!("{A} AND {B}"), &ab));
    assert!(matches(&format!("{B} AND {A}"), &ab));
    assert!(!matches(&format!("{A} AND {B}"), &ab[..1]));
    assert!(matches(&format!("{A} OR {B}"), &ab[..1]));
    assert!(matches(&format!("{B} OR {A}"), &ab[..1]));
    assert!(!matches(&format!("{B} OR {B}"), &ab[..1]));
    assert!(matches(&format!("{A} FOLLOWEDBY {B}"), &ab));
    assert!(!matches(&format!("{B} FOLLOWEDBY {A}"), &ab));
    // The same time is not "earlier", but FOLLOWEDBY allows equal times.
    assert!(matches(
        &format!("{B} FOLLOWEDBY {A}"),
        &[obs(0, a()), obs(0, b())]
    ));
    // One observation cannot match both sides.
    let both = [obs(0, [a(), b()].concat())];
    assert!(!matches(&format!("{A} AND {B}"), &both));
    assert!(!matches(&format!("{A} AND {A}"), &[obs(0, a())]));
    assert!(matches(
        &format!("{A} AND {A}"),
        &[obs(0, a()), obs(0, a())]
    ));
    assert!(matches(&format!("{A} AND {A}"), &[obs_span(0, 0, 2, a())]));
}

#[test]
fn observation_precedence() {
    // AND binds tighter than OR, OR tighter than FOLLOWEDBY (the 2.1 grammar).
    let only_a = [obs(0, a())];
    assert!(matches(&format!("{A} OR {B} AND [x-c:v = 1]"), &only_a));
    assert!(!matches(&format!("({A} OR {B}) AND [x-c:v = 1]"), &only_a));
    let b_then_a = [obs(0, b()), obs(10, a())];
    // (A OR B) FOLLOWEDBY A: B then A.
    assert!(matches(&format!("{A} OR {B} FOLLOWEDBY {A}"), &b_then_a));
    assert!(!matches(
        &format!("{A} OR ({B} FOLLOWEDBY {B})"),
        &b_then_a[..1]
    ));
    // A qualifier applies to the expression just before it.
    let far = [obs(0, a()), obs(100, b())];
    assert!(matches(&format!("{A} AND {B} WITHIN 10 SECONDS"), &far));
    assert!(!matches(&format!("({A} AND {B}) WITHIN 10 SECONDS"), &far));
}

#[test]
fn followed_by_chains_are_left_associative() {
    let p = format!("{A} FOLLOWEDBY {B} FOLLOWEDBY [x-c:v = 1]");
    assert!(matches(&p, &[obs(0, a()), obs(1, b()), obs(2, c())]));
    assert!(!matches(&p, &[obs(0, a()), obs(2, b()), obs(1, c())]));
    assert!(!matches(&p, &[obs(2, a()), obs(1, b()), obs(3, c())]));
    // Intervals: a can be placed before b and both before c.
    let overlapping = [
        obs_span(0, 10, 1, a()),
        obs_span(5, 6, 1, b()),
        obs_span(8, 20, 1, c()),
    ];
    assert!(matches(&p, &overlapping));
    assert!(matches(
        &format!("({A} FOLLOWEDBY {B}) FOLLOWEDBY [x-c:v = 1]"),
        &overlapping
    ));
}

#[test]
fn within_uses_first_and_last_observed() {
    let p = format!("({A} AND {B}) WITHIN 60 SECONDS");
    assert!(matches(&p, &[obs(0, a()), obs(60, b())]));
    assert!(!matches(&p, &[obs(0, a()), obs(61, b())]));
    // Long observations overlap a short window.
    assert!(matches(&p, &[obs_span(0, 3600, 1, a()), obs(3000, b())]));
    assert!(matches(
        &format!("({A} AND {B}) WITHIN 0.5 SECONDS"),
        &[obs_span(0, 10, 1, a()), obs_span(10, 20, 1, b())]
    ));
    assert!(!matches(
        &format!("({A} AND {B}) WITHIN 0.5 SECONDS"),
        &[obs_span(0, 9, 1, a()), obs_span(10, 20, 1, b())]
    ));
    // A single observation is always within any window.
    assert!(matches(
        &format!("{A} WITHIN 1 SECONDS"),
        &[obs_span(0, 3600, 1, a())]
    ));
    assert!(matches(
        &format!("({A} AND {B}) WITHIN 99999999999999999999 SECONDS"),
        &[obs(-1_000_000_000, a()), obs(1_000_000_000, b())]
    ));
}

#[test]
fn repeats_counts_distinct_observations() {
    let p = format!("{A} REPEATS 3 TIMES");
    assert!(matches(&p, &[obs(0, a()), obs(1, a()), obs(2, a())]));
    assert!(!matches(&p, &[obs(0, a()), obs(1, a()), obs(2, b())]));
    assert!(matches(&p, &[obs_span(0, 5, 2, a()), obs(1, a())]));
    assert!(matches(&p, &[obs_span(0, 5, 1_000_000, a())]));
    assert!(!matches(
        &format!("{A} REPEATS 18446744073709551615 TIMES"),
        &[obs_span(0, 5, 1_000_000, a())]
    ));
    // Repetitions of an OR may take different operands.
    let mixed = [obs(0, a()), obs(1, b()), obs(2, a())];
    assert!(matches(&format!("({A} OR {B}) REPEATS 3 TIMES"), &mixed));
    assert!(!matches(&format!("({A} OR {B}) REPEATS 4 TIMES"), &mixed));
    assert!(matches(&format!("({A} AND {B}) REPEATS 1 TIMES"), &mixed));
    assert!(!matches(&format!("({A} AND {B}) REPEATS 2 TIMES"), &mixed));
}

#[test]
fn repeats_of_compound_expressions() {
    let p = format!("({A} FOLLOWEDBY {B}) REPEATS 2 TIMES");
    assert!(matches(
        &p,
        &[obs(0, a()), obs(1, b()), obs(2, a()), obs(3, b())]
    ));
    assert!(matches(
        &p,
        &[obs(0, a()), obs(1, a()), obs(2, b()), obs(3, b())]
    ));
    assert!(!matches(&p, &[obs(0, a()), obs(1, b()), obs(2, a())]));
    assert!(!matches(
        &p,
        &[obs(0, a()), obs(1, b()), obs(2, b()), obs(3, a())]
    ));
    // Each repetition has its own window.
    let p = format!("(({A} AND {B}) WITHIN 10 SECONDS) REPEATS 2 TIMES");
    assert!(matches(
        &p,
        &[obs(0, a()), obs(5, b()), obs(1000, a()), obs(1005, b())]
    ));
    assert!(!matches(
        &p,
        &[obs(0, a()), obs(5, b()), obs(1000, a()), obs(2005, b())]
    ));
    // The OR spreads repetitions over a simple and a compound operand.
    let p = format!("({A} OR ([x-c:v = 1] FOLLOWEDBY {B})) REPEATS 2 TIMES");
    assert!(matches(&p, &[obs(0, a()), obs(5, c()), obs(6, b())]));
    assert!(matches(
        &p,
        &[obs(0, c()), obs(1, b()), obs(5, c()), obs(6, b())]
    ));
    assert!(!matches(&p, &[obs(0, a()), obs(5, b()), obs(6, c())]));
}

#[test]
fn start_stop_bounds() {
    let p = format!("{A} START t'2016-06-15T00:00:00Z' STOP t'2016-06-15T00:01:00Z'");
    assert!(matches(&p, &[obs(0, a())]));
    assert!(matches(&p, &[obs(59, a())]));
    assert!(!matches(&p, &[obs(60, a())]));
    assert!(!matches(&p, &[obs(-1, a())]));
    assert!(matches(&p, &[obs_span(-10, 0, 1, a())]));
    // STOP before START never matches.
    assert!(!matches(
        &format!("{A} START t'2016-06-16T00:00:00Z' STOP t'2016-06-15T00:00:00Z'"),
        &[obs(0, a())]
    ));
    // Qualifiers compose: REPEATS inside a START/STOP range.
    let p =
        format!("{A} REPEATS 2 TIMES START t'2016-06-15T00:00:00Z' STOP t'2016-06-15T00:01:00Z'");
    assert!(matches(&p, &[obs(0, a()), obs(30, a()), obs(90, a())]));
    assert!(!matches(&p, &[obs(0, a()), obs(60, a()), obs(90, a())]));
}

#[test]
fn evaluation_is_bounded() {
    // Many alternatives, windows and observations: the search stays bounded.
    let p = parse(&format!(
        "(({A} OR {B}) FOLLOWEDBY ({A} OR {B}) FOLLOWEDBY ({A} OR {B}) FOLLOWEDBY [x-c:v = 1]) WITHIN 5 SECONDS"
    ));
    let many: Vec<_> = (0..300)
        .map(|i| obs(i * 10, if i % 2 == 0 { a() } else { b() }))
        .collect();
    let start = std::time::Instant::now();
    assert!(!p.matches(&many));
    assert!(start.elapsed() < std::time::Duration::from_secs(20));
    // A long AND of simple expressions is no deep search.
    let text = vec![A; 1000].join(" AND ");
    let observations: Vec<_> = (0..1000).map(|i| obs(i, a())).collect();
    assert!(parse(&text).matches(&observations));
    assert!(!parse(&text).matches(&observations[1..]));
}

#[test]
fn deep_searches_give_up_instead_of_overflowing() {
    // Each operand needs its own split point: the search nests one level per operand.
    let chain = |n: usize| {
        let text = (0..n)
            .map(|i| format!("([x-a{i}:v = 1] FOLLOWEDBY [x-b{i}:v = 1])"))
            .collect::<Vec<_>>()
            .join(" AND ");
        let data: Vec<_> = (0..n as i64)
            .flat_map(|i| {
                [
                    obs(i, vec![json!({"type": format!("x-a{i}"), "v": 1})]),
                    obs(i + 1, vec![json!({"type": format!("x-b{i}"), "v": 1})]),
                ]
            })
            .collect();
        parse(&text).matches(&data)
    };
    assert!(chain(50));
    assert!(!chain(400));
}

// ---------------------------------------------------------------------------
// Parsing: canonical form, errors, accessors.

#[test]
fn canonical_form() {
    for (text, canonical) in [
        ("[file:name=='a']", "[file:name = 'a']"),
        ("[ file : name <> 'a' ]", "[file:name != 'a']"),
        (
            "[file:hashes.'SHA-256' = 'x']",
            "[file:hashes.'SHA-256' = 'x']",
        ),
        ("[file:'name' = 'x']", "[file:name = 'x']"),
        (
            "[file:x.'AND'.'with space'[0][*] = 'x']",
            "[file:x.'AND'.'with space'[0][*] = 'x']",
        ),
        (
            r"[file:name = 'it\'s \\ ok']",
            r"[file:name = 'it\'s \\ ok']",
        ),
        ("[x:n = +5] OR [x:n = -0.50]", "[x:n = 5] OR [x:n = -0.5]"),
        ("[x:n IN (1,2 , 'a')]", "[x:n IN (1, 2, 'a')]"),
        (
            "[x:t = t'2016-01-20T12:31:12.120Z']",
            "[x:t = t'2016-01-20T12:31:12.12Z']",
        ),
        (
            "[x:h = h'FFd8'] AND [x:b = b'/9g=']",
            "[x:h = h'ffd8'] AND [x:b = b'/9g=']",
        ),
        ("/* c */ [x:a = 1] // trailing\n", "[x:a = 1]"),
        ("(([x:a = 1]))", "[x:a = 1]"),
        ("[(x:a = 1)]", "[x:a = 1]"),
        (
            "([x:a = 1] AND [x:b = 1]) AND [x:c = 1]",
            "([x:a = 1] AND [x:b = 1]) AND [x:c = 1]",
        ),
        (
            "[x:a = 1] AND ([x:b = 1] OR [x:c = 1])",
            "[x:a = 1] AND ([x:b = 1] OR [x:c = 1])",
        ),
        (
            "[x:a = 1] AND [x:b = 1] OR [x:c = 1]",
            "[x:a = 1] AND [x:b = 1] OR [x:c = 1]",
        ),
        (
            "[x:a = 1 OR x:b = 1 AND x:c = 1]",
            "[x:a = 1 OR x:b = 1 AND x:c = 1]",
        ),
        (
            "[(x:a = 1 OR x:b = 1) AND x:c = 1]",
            "[(x:a = 1 OR x:b = 1) AND x:c = 1]",
        ),
        (
            "([x:a = 1] WITHIN 5 SECONDS) REPEATS 2 TIMES",
            "[x:a = 1] WITHIN 5 SECONDS REPEATS 2 TIMES",
        ),
        (
            "([x:a = 1] OR [x:b = 1]) WITHIN 5.0 SECONDS",
            "([x:a = 1] OR [x:b = 1]) WITHIN 5 SECONDS",
        ),
        (
            "[x:a = 1] WITHIN 0.25 SECONDS",
            "[x:a = 1] WITHIN 0.25 SECONDS",
        ),
        (
            "[x:a NOT LIKE 'a%'] START t'2016-01-01T00:00:00Z' STOP t'2016-12-31T23:59:60Z'",
            "[x:a NOT LIKE 'a%'] START t'2016-01-01T00:00:00Z' STOP t'2016-12-31T23:59:60Z'",
        ),
    ] {
        let p = parse(text);
        assert_eq!(p.to_string(), canonical, "{text}");
        assert_eq!(parse(canonical), p, "{text}");
    }
}

#[test]
fn error_offsets() {
    for (text, offset, message) in [
        ("", 0, "expected '[' or '('"),
        ("[file:name = 'foo'", 18, "expected ']'"),
        ("[file:name LIK 'foo']", 11, "unknown operator 'LIK'"),
        ("[file:name like 'foo']", 11, "unknown operator 'like'"),
        ("[file:name = 'foo]", 13, "unterminated string"),
        (r"[file:name = 'a\qb']", 15, "invalid escape '\\q'"),
        (
            "[file:hashes.SHA-256 = 'x']",
            13,
            "property name 'SHA-256' contains '-'",
        ),
        (
            "[file:name = 'x'] WITHIN 0 SECONDS",
            25,
            "expected a positive number of seconds",
        ),
        ("[file:name = 'x'] WITHIN 5 MINUTES", 27, "expected SECONDS"),
        (
            "[file:name = 'x'] REPEATS TIMES",
            26,
            "expected a positive integer after REPEATS",
        ),
        (
            "[file:name = 'x'] START '2016-01-01T00:00:00Z' STOP t'2016-01-01T00:00:00Z'",
            24,
            "expected a timestamp",
        ),
        (
            "[file:created = t'2016-13-01T00:00:00Z']",
            16,
            "invalid timestamp",
        ),
        (
            "[file:name = 'x'] [file:name = 'y']",
            18,
            "expected AND, OR, FOLLOWEDBY",
        ),
        ("[file:name = 'x'] AND", 21, "expected '[' or '('"),
        ("[file:name = 'x' AND]", 20, "expected an object type"),
        ("[file:name]", 10, "expected a comparison operator"),
        (
            "[file:name NOT]",
            14,
            "expected a comparison operator after NOT",
        ),
        ("[file:name = ]", 13, "expected a constant"),
        ("[file:size < true]", 13, "booleans cannot be ordered"),
        ("[file:name LIKE 5]", 16, "expected a string after LIKE"),
        (
            "[file:name MATCHES '(unclosed']",
            19,
            "invalid regular expression",
        ),
        (
            "[ipv4-addr:value ISSUBSET '10.0.0.0/33']",
            26,
            "invalid IP address or CIDR block",
        ),
        (
            "[file:names[-1] = 'x']",
            12,
            "list indexes must not be negative",
        ),
        ("[file:names[a] = 'x']", 12, "expected a list index or '*'"),
        ("[AND:name = 'x']", 1, "found the keyword 'AND'"),
        ("[file name = 'x']", 6, "expected ':' after the object type"),
        ("[file:name IN (1, 2]", 19, "expected ',' or ')'"),
        ("[file:n = 007]", 10, "leading zeros"),
        (
            "[file:n = 1701411834604692317316873037158841057280]",
            10,
            "integer out of range",
        ),
        ("[file:name = h'abc']", 13, "invalid hex constant"),
        ("[file:name = b'abc']", 13, "invalid binary constant"),
        ("[file:name = 'x'] /* open", 18, "unterminated comment"),
        ("[file:name # 'x']", 11, "unexpected character '#'"),
        // Offsets count characters, not bytes.
        (
            "[file:name = 'ファイル' AND]",
            23,
            "expected an object type",
        ),
        ("[file:'名前' LIK 'x']", 11, "unknown operator 'LIK'"),
    ] {
        let e = error(text);
        assert_eq!(e.offset, offset, "{text}: {e}");
        assert!(e.message.contains(message), "{text}: {e}");
    }
    assert_eq!(
        error("[file:name LIK 'foo']").to_string(),
        "pattern error at character 11: unknown operator 'LIK'"
    );
}

#[test]
fn nesting_and_size_limits() {
    let deep = format!("{}[x:a = 1]{}", "(".repeat(63), ")".repeat(63));
    assert!(Pattern::parse(&deep).is_ok());
    let e = error(&format!(
        "{}[x:a = 1]{}",
        "(".repeat(100_000),
        ")".repeat(100_000)
    ));
    assert_eq!(e.offset, 64);
    assert!(e.message.contains("nesting deeper than 64 levels"));
    let e = error(&format!("[{}x:a = 1{}]", "(".repeat(64), ")".repeat(64)));
    assert_eq!(e.offset, 64);
    let qualifiers = " WITHIN 1 SECONDS".repeat(65);
    let e = error(&format!("[x:a = 1]{qualifiers}"));
    assert_eq!(e.offset, 9 + 64 * 17 + 1);
    assert!(e.message.contains("too many qualifiers"));
    // Long flat expressions are no nesting.
    let wide = vec!["[x:a = 1 OR x:b = 2]"; 20_000].join(" OR ");
    assert_eq!(parse(&wide).to_string(), wide);
}

#[test]
fn equality_terms_and_object_types() {
    let p = parse(
        "[file:hashes.'SHA-256' = 'abc' AND file:name != 'x'] OR ([network-traffic:dst_ref.value = '10.0.0.1' OR file:hashes.'SHA-256' = 'abc'] \
         FOLLOWEDBY [ipv4-addr:value NOT = '10.0.0.2' OR ipv4-addr:value = 10 OR file:size IN ('1')]) WITHIN 5 SECONDS",
    );
    assert_eq!(
        p.equality_terms(),
        vec![
            ("file".into(), "hashes.'SHA-256'".into(), "abc".into()),
            (
                "network-traffic".into(),
                "dst_ref.value".into(),
                "10.0.0.1".into()
            ),
        ]
    );
    assert_eq!(p.object_types(), ["file", "network-traffic", "ipv4-addr"]);
    assert!(matches!(p.root(), ObservationExpr::Or(_)));
    assert_eq!("[x:a = 1]".parse::<Pattern>(), Ok(parse("[x:a = 1]")));
}

// ---------------------------------------------------------------------------
// Properties.

mod properties {
    use super::*;
    use ipnet::Ipv4Net;
    use proptest::prelude::*;
    use std::net::Ipv4Addr;

    const EXAMPLES: &[&str] = &[
        "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
        r"[email-message:from_ref.value MATCHES '.+\\@example\\.com$' AND email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\.exe$']",
        "[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = 'example.com'] REPEATS 5 TIMES WITHIN 1800 SECONDS",
        r"[file:name = 'foo.dll' AND file:parent_directory_ref.path = 'C:\\Windows\\System32'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'",
        "([ipv4-addr:value = '198.51.100.1/32'] FOLLOWEDBY [domain-name:value = 'example.com']) WITHIN 600 SECONDS",
        "[(file:name = 'pdf.exe' OR file:size IN (371712, 1.5)) AND file:created > t'2014-01-13T07:03:17.5Z'] AND [x:y = h'ff' OR x:z != b'/9g=']",
    ];

    /// Mutations of valid patterns: delete, insert or duplicate pieces.
    fn mutated() -> impl Strategy<Value = String> {
        let pieces = prop::sample::select(vec![
            "[",
            "]",
            "(",
            ")",
            "'",
            "\\",
            ".",
            ":",
            "*",
            "=",
            "!=",
            " ",
            "AND ",
            "OR ",
            "NOT ",
            "FOLLOWEDBY ",
            "WITHIN ",
            "REPEATS ",
            "START ",
            "t'",
            "h'",
            "b'",
            "0",
            "-1",
            "9.5",
            "/*",
            "//",
            "ファ",
            "\u{0}",
            "_ref",
            "[*]",
        ]);
        let edit = (any::<prop::sample::Index>(), 0usize..8, pieces, 0u8..3);
        (
            prop::sample::select(EXAMPLES),
            prop::collection::vec(edit, 1..6),
        )
            .prop_map(|(text, edits)| {
                let mut chars: Vec<char> = text.chars().collect();
                for (at, len, piece, kind) in edits {
                    let i = at.index(chars.len() + 1);
                    match kind {
                        0 => {
                            let end = (i + len).min(chars.len());
                            chars.drain(i..end);
                        }
                        1 => {
                            chars.splice(i..i, piece.chars());
                        }
                        _ => {
                            let end = (i + len).min(chars.len());
                            let copy: Vec<char> = chars[i..end].to_vec();
                            chars.splice(i..i, copy);
                        }
                    }
                }
                chars.into_iter().collect()
            })
    }

    fn round_trips(text: &str) -> Result<(), TestCaseError> {
        if let Ok(p) = Pattern::parse(text) {
            let canonical = p.to_string();
            prop_assert_eq!(
                Pattern::parse(&canonical),
                Ok(p),
                "{} -> {}",
                text,
                canonical
            );
        }
        Ok(())
    }

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z_][a-z0-9_]{0,6}",
            prop::sample::select(vec![
                "AND",
                "true",
                "SHA-256",
                "",
                "with space",
                "it's",
                "a\\b",
                "名前"
            ])
            .prop_map(String::from),
            ".{0,4}",
        ]
    }

    fn path() -> impl Strategy<Value = ObjectPath> {
        let object_type = "[a-z][a-z0-9-]{0,8}".prop_filter("keyword", |t| !lexer::is_keyword(t));
        let step = prop_oneof![
            key().prop_map(PathStep::Key),
            (0u64..1000).prop_map(PathStep::Index),
            Just(PathStep::AnyIndex),
        ];
        (object_type, key(), prop::collection::vec(step, 0..3)).prop_map(
            |(object_type, property, steps)| ObjectPath {
                object_type,
                property,
                steps,
            },
        )
    }

    fn timestamp() -> impl Strategy<Value = DateTime<Utc>> {
        // Years 0000 to 9999, any nanosecond.
        (-62_167_219_200i64..253_402_300_799, 0u32..1_000_000_000)
            .prop_map(|(s, n)| DateTime::from_timestamp(s, n).unwrap())
    }

    fn literal(orderable: bool) -> BoxedStrategy<Literal> {
        let mut options = vec![
            ".{0,8}".prop_map(Literal::String).boxed(),
            any::<i128>().prop_map(Literal::Int).boxed(),
            any::<f64>()
                .prop_filter("finite", |x| x.is_finite())
                .prop_map(Literal::Float)
                .boxed(),
            timestamp().prop_map(Literal::Timestamp).boxed(),
            prop::collection::vec(any::<u8>(), 0..6)
                .prop_map(Literal::Hex)
                .boxed(),
            prop::collection::vec(any::<u8>(), 0..6)
                .prop_map(Literal::Base64)
                .boxed(),
        ];
        if !orderable {
            options.push(any::<bool>().prop_map(Literal::Bool).boxed());
        }
        prop::strategy::Union::new(options).boxed()
    }

    fn test() -> impl Strategy<Value = Test> {
        let cidr = (any::<u32>(), 0u8..=32).prop_map(|(a, p)| {
            Cidr::parse(&Ipv4Net::new(Ipv4Addr::from(a), p).unwrap().to_string()).unwrap()
        });
        let regex = prop::sample::select(vec!["^a.+b$", r"\d{2,}", "(?i)x|y", ""])
            .prop_map(|s| Regex::new(s).unwrap());
        prop_oneof![
            literal(false).prop_map(Test::Eq),
            literal(false).prop_map(Test::Ne),
            literal(true).prop_map(Test::Lt),
            literal(true).prop_map(Test::Le),
            literal(true).prop_map(Test::Gt),
            literal(true).prop_map(Test::Ge),
            prop::collection::vec(literal(false), 0..3).prop_map(Test::In),
            ".{0,6}".prop_map(Test::Like),
            regex.prop_map(Test::Matches),
            cidr.clone().prop_map(Test::IsSubset),
            cidr.prop_map(Test::IsSuperset),
        ]
    }

    fn comparison_expr() -> impl Strategy<Value = ComparisonExpr> {
        let leaf = (path(), any::<bool>(), test()).prop_map(|(path, negated, test)| {
            ComparisonExpr::Test(Comparison {
                path,
                negated,
                test,
            })
        });
        leaf.prop_recursive(3, 12, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 2..4).prop_map(ComparisonExpr::And),
                prop::collection::vec(inner, 2..4).prop_map(ComparisonExpr::Or),
            ]
        })
    }

    fn qualifier() -> impl Strategy<Value = Qualifier> {
        prop_oneof![
            (1u32..1_000_000).prop_map(|n| Qualifier::Within(f64::from(n))),
            (1u32..1_000_000).prop_map(|n| Qualifier::Within(f64::from(n) / 1024.0)),
            (1e15f64..1e300).prop_map(Qualifier::Within),
            (1u64..u64::MAX).prop_map(Qualifier::Repeats),
            (timestamp(), timestamp()).prop_map(|(a, b)| Qualifier::StartStop(a, b)),
        ]
    }

    fn observation_expr() -> impl Strategy<Value = ObservationExpr> {
        let leaf = comparison_expr().prop_map(ObservationExpr::Comparison);
        leaf.prop_recursive(4, 16, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 2..4).prop_map(ObservationExpr::And),
                prop::collection::vec(inner.clone(), 2..4).prop_map(ObservationExpr::Or),
                prop::collection::vec(inner.clone(), 2..4).prop_map(ObservationExpr::FollowedBy),
                (inner, prop::collection::vec(qualifier(), 1..3)).prop_map(|(e, qs)| match e {
                    ObservationExpr::Qualified(e, mut earlier) => {
                        earlier.extend(qs);
                        ObservationExpr::Qualified(e, earlier)
                    }
                    e => ObservationExpr::Qualified(Box::new(e), qs),
                }),
            ]
        })
    }

    proptest! {
        #[test]
        fn parsing_arbitrary_text_never_panics(text in ".{0,200}") {
            round_trips(&text)?;
        }

        #[test]
        fn parsing_pattern_like_text_never_panics(
            text in r"[\[\]():.'\\*=!<> a-zA-Z0-9_\-+/ぁ-ゖ]{0,80}"
        ) {
            round_trips(&text)?;
        }

        #[test]
        fn parsing_mutated_patterns_never_panics(text in mutated()) {
            round_trips(&text)?;
            if let Ok(p) = Pattern::parse(&text) {
                let _ = p.matches(&[obs(0, a())]);
            }
        }

        #[test]
        fn generated_patterns_round_trip(root in observation_expr()) {
            let pattern = Pattern { root };
            let text = pattern.to_string();
            prop_assert_eq!(Pattern::parse(&text), Ok(pattern), "{}", text);
        }

        #[test]
        fn issubset_is_cidr_containment(address in any::<u32>(), network in any::<u32>(), prefix in 0u8..=32) {
            let net = Ipv4Net::new(Ipv4Addr::from(network), prefix).unwrap();
            let address = Ipv4Addr::from(address);
            let p = parse(&format!("[ipv4-addr:value ISSUBSET '{net}']"));
            let data = [obs(0, vec![ipv4("ipv4-addr--1", &address.to_string())])];
            prop_assert_eq!(p.matches(&data), net.contains(&address));
            let p = parse(&format!("[ipv4-addr:value NOT ISSUBSET '{net}']"));
            prop_assert_eq!(p.matches(&data), !net.contains(&address));
        }
    }
}
