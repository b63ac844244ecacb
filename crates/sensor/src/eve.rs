//! Suricata EVE JSON, one event per line.
//!
//! Normalised event types: `alert`, `anomaly`, `dns`, `fileinfo`, `flow`,
//! `http`, `tls`. Every other event type (`stats`, `netflow`, `smb`, ...) is
//! well-formed but skipped. Only the fields the observation needs are
//! deserialised, borrowing from the line where the JSON has no escapes.
//!
//! Protocol metadata attached to any event is used: an `alert` or `fileinfo`
//! carrying an `http`, `tls` or `dns` object gets its domains, URLs and
//! fingerprints too.

use std::borrow::Cow;
use std::fmt;
use std::io::BufRead;
use std::net::IpAddr;
use std::sync::Arc;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use crate::error::RecordError;
use crate::observation::{
    FingerprintKind, HashAlgo, Kind, Observation, Outcome, Sensor, Signature, Transport,
};
use crate::reader::{LineParser, Parsed, Reader};
use crate::util::{json_error, parse_iso8601, LNum, LStr};

/// A reader of EVE JSON lines.
pub type EveReader<R> = Reader<R, EveParser>;

impl<R: BufRead> Reader<R, EveParser> {
    /// Reads EVE JSON from `inner`; `label` names the source in errors.
    pub fn new(inner: R, label: impl Into<Arc<str>>, sensor: Arc<Sensor>) -> Self {
        Reader::with_parser(inner, label, EveParser::new(sensor))
    }
}

/// Parses one EVE JSON line at a time.
#[derive(Debug, Clone)]
pub struct EveParser {
    sensor: Arc<Sensor>,
}

impl EveParser {
    /// A parser attributing records to `sensor`.
    pub fn new(sensor: Arc<Sensor>) -> Self {
        Self { sensor }
    }
}

impl LineParser for EveParser {
    fn parse_line(&mut self, line: &[u8]) -> Result<Parsed, RecordError> {
        parse_eve(line, &self.sensor)
    }
}

#[derive(Deserialize)]
struct Eve<'a> {
    #[serde(borrow)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(borrow)]
    event_type: Option<Cow<'a, str>>,
    #[serde(borrow)]
    src_ip: Option<Cow<'a, str>>,
    src_port: Option<u16>,
    #[serde(borrow)]
    dest_ip: Option<Cow<'a, str>>,
    dest_port: Option<u16>,
    #[serde(borrow, default)]
    proto: LStr<'a>,
    #[serde(borrow)]
    alert: Option<Alert<'a>>,
    #[serde(borrow)]
    anomaly: Option<Anomaly<'a>>,
    #[serde(borrow)]
    dns: Option<Dns<'a>>,
    #[serde(borrow)]
    http: Option<Http<'a>>,
    #[serde(borrow)]
    tls: Option<Tls<'a>>,
    #[serde(borrow)]
    fileinfo: Option<FileInfo<'a>>,
    #[serde(borrow)]
    flow: Option<Flow<'a>>,
    #[serde(borrow)]
    tcp: Option<Tcp<'a>>,
}

#[derive(Deserialize)]
struct Alert<'a> {
    #[serde(borrow, default)]
    action: LStr<'a>,
    signature_id: Option<u64>,
    #[serde(borrow, default)]
    signature: LStr<'a>,
    #[serde(borrow, default)]
    category: LStr<'a>,
    #[serde(default)]
    severity: LNum,
}

#[derive(Deserialize)]
struct Anomaly<'a> {
    #[serde(borrow, default, rename = "type")]
    kind: LStr<'a>,
    #[serde(borrow, default)]
    event: LStr<'a>,
}

#[derive(Deserialize)]
struct Dns<'a> {
    /// v1 and v2: the query name of this query or answer.
    #[serde(borrow, default)]
    rrname: LStr<'a>,
    /// v1 answers: one record per event.
    #[serde(borrow, default)]
    rrtype: LStr<'a>,
    #[serde(borrow, default)]
    rdata: LStr<'a>,
    /// v3: the question section.
    #[serde(borrow, default)]
    queries: Vec<Rr<'a>>,
    /// v2 "detailed" and v3: the answer section.
    #[serde(borrow, default)]
    answers: Vec<Rr<'a>>,
    /// v2 and v3 "grouped": rdata by record type.
    #[serde(borrow, default)]
    grouped: Grouped<'a>,
}

#[derive(Deserialize)]
struct Rr<'a> {
    #[serde(borrow, default)]
    rrname: LStr<'a>,
    #[serde(borrow, default)]
    rrtype: LStr<'a>,
    #[serde(borrow, default)]
    rdata: LStr<'a>,
}

/// `{"A": ["192.0.2.1"], "CNAME": ["x.example"]}`.
#[derive(Default)]
struct Grouped<'a>(Vec<(LStr<'a>, Vec<LStr<'a>>)>);

impl<'de: 'a, 'a> Deserialize<'de> for Grouped<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Grouped<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of record type to record data")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                let mut v = Vec::new();
                while let Some(e) = a.next_entry::<LStr<'de>, Vec<LStr<'de>>>()? {
                    v.push(e);
                }
                Ok(Grouped(v))
            }
        }
        d.deserialize_map(V)
    }
}

#[derive(Deserialize)]
struct Http<'a> {
    #[serde(borrow, default)]
    hostname: LStr<'a>,
    #[serde(borrow, default)]
    url: LStr<'a>,
    #[serde(default)]
    status: LNum,
}

#[derive(Deserialize)]
struct Tls<'a> {
    #[serde(borrow, default)]
    sni: LStr<'a>,
    #[serde(borrow)]
    ja3: Option<JaHash<'a>>,
    #[serde(borrow)]
    ja3s: Option<JaHash<'a>>,
    #[serde(borrow, default)]
    ja4: LStr<'a>,
}

#[derive(Deserialize)]
struct JaHash<'a> {
    #[serde(borrow, default)]
    hash: LStr<'a>,
}

#[derive(Deserialize)]
struct FileInfo<'a> {
    #[serde(borrow, default)]
    md5: LStr<'a>,
    #[serde(borrow, default)]
    sha1: LStr<'a>,
    #[serde(borrow, default)]
    sha256: LStr<'a>,
}

#[derive(Deserialize)]
struct Flow<'a> {
    #[serde(default)]
    pkts_toclient: LNum,
    #[serde(default)]
    bytes_toclient: LNum,
    #[serde(borrow, default)]
    state: LStr<'a>,
}

#[derive(Deserialize)]
struct Tcp<'a> {
    #[serde(borrow, default)]
    tcp_flags_tc: LStr<'a>,
}

fn ip(field: &str, v: Option<&Cow<'_, str>>) -> Result<Option<IpAddr>, RecordError> {
    match v {
        None => Ok(None),
        Some(s) => s.parse().map(Some).map_err(|_| {
            RecordError::field(field, format!("invalid IP address {:?}", truncate(s)))
        }),
    }
}

pub(crate) fn truncate(s: &str) -> &str {
    match s.char_indices().nth(64) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Parses one EVE line: `Skipped` for event types that are not normalised.
pub fn parse_eve(line: &[u8], sensor: &Arc<Sensor>) -> Result<Parsed, RecordError> {
    let eve: Eve<'_> = match serde_json::from_slice(line) {
        Ok(e) => e,
        Err(e) => return Err(json_error::<Eve<'_>>(line, e)),
    };
    let Some(event_type) = eve.event_type.as_deref() else {
        return Err(RecordError::field("event_type", "missing"));
    };
    let kind = match event_type {
        "alert" => Kind::Alert,
        "anomaly" => Kind::Anomaly,
        "dns" => Kind::Dns,
        "fileinfo" => Kind::File,
        "flow" => Kind::Flow,
        "http" => Kind::Http,
        "tls" => Kind::Tls,
        _ => return Ok(Parsed::Skipped),
    };
    let Some(ts) = eve.timestamp.as_deref() else {
        return Err(RecordError::field("timestamp", "missing"));
    };
    let time = parse_iso8601(ts).ok_or_else(|| {
        RecordError::field("timestamp", format!("invalid timestamp {:?}", truncate(ts)))
    })?;
    let mut o = Observation::new(time, sensor.clone(), kind);
    o.src_ip = ip("src_ip", eve.src_ip.as_ref())?;
    o.dst_ip = ip("dest_ip", eve.dest_ip.as_ref())?;
    o.src_port = eve.src_port;
    o.dst_port = eve.dest_port;
    o.transport = eve.proto.as_deref().and_then(Transport::from_name);

    if let Some(a) = &eve.alert {
        o.signature = Some(Box::new(Signature {
            id: a.signature_id,
            name: a.signature.as_deref().unwrap_or_default().to_owned(),
            category: a.category.as_deref().map(str::to_owned),
            severity: a.severity.0.map(|s| s.min(255) as u8),
            message: None,
        }));
        if kind == Kind::Alert
            && matches!(a.action.as_deref(), Some("blocked" | "drop" | "rejected"))
        {
            o.outcome = Outcome::Blocked;
        }
    }
    if let Some(a) = &eve.anomaly {
        if kind == Kind::Anomaly {
            o.signature = Some(Box::new(Signature {
                id: None,
                name: a.event.as_deref().unwrap_or_default().to_owned(),
                category: a.kind.as_deref().map(str::to_owned),
                severity: None,
                message: None,
            }));
        }
    }
    if let Some(d) = &eve.dns {
        add_dns(&mut o, d);
    }
    if let Some(h) = &eve.http {
        if let Some(host) = h.hostname.as_deref() {
            o.add_http_host(host);
        }
        o.add_http_url(h.hostname.as_deref(), h.url.as_deref());
        o.http_status = h.status.0.and_then(|s| u16::try_from(s).ok());
    }
    if let Some(t) = &eve.tls {
        if let Some(sni) = t.sni.as_deref() {
            o.add_domain(sni);
        }
        if let Some(h) = t.ja3.as_ref().and_then(|j| j.hash.as_deref()) {
            o.add_fingerprint(FingerprintKind::Ja3, h);
        }
        if let Some(h) = t.ja3s.as_ref().and_then(|j| j.hash.as_deref()) {
            o.add_fingerprint(FingerprintKind::Ja3s, h);
        }
        if let Some(h) = t.ja4.as_deref() {
            o.add_fingerprint(FingerprintKind::Ja4, h);
        }
    }
    if let Some(f) = &eve.fileinfo {
        for (algo, field, v) in [
            (HashAlgo::Md5, "fileinfo.md5", &f.md5),
            (HashAlgo::Sha1, "fileinfo.sha1", &f.sha1),
            (HashAlgo::Sha256, "fileinfo.sha256", &f.sha256),
        ] {
            if let Some(h) = v.as_deref() {
                if !o.add_hash(algo, h) {
                    return Err(RecordError::field(
                        field,
                        format!("invalid hash {:?}", truncate(h)),
                    ));
                }
            }
        }
    }
    if kind == Kind::Flow {
        if let Some(f) = &eve.flow {
            o.outcome = flow_outcome(f, eve.tcp.as_ref());
        }
    }
    Ok(Parsed::Record(o))
}

fn add_dns(o: &mut Observation, d: &Dns<'_>) {
    if let Some(n) = d.rrname.as_deref() {
        o.add_domain(n);
    }
    for q in &d.queries {
        if let Some(n) = q.rrname.as_deref() {
            o.add_domain(n);
        }
    }
    // v1: a single answer record in the event itself.
    add_rdata(o, d.rrtype.as_deref(), d.rdata.as_deref());
    for a in &d.answers {
        if let Some(n) = a.rrname.as_deref() {
            o.add_domain(n);
        }
        add_rdata(o, a.rrtype.as_deref(), a.rdata.as_deref());
    }
    for (rrtype, values) in &d.grouped.0 {
        for v in values {
            add_rdata(o, rrtype.as_deref(), v.as_deref());
        }
    }
}

/// Addresses from A/AAAA records, names from CNAME/DNAME/NS/MX/PTR records.
fn add_rdata(o: &mut Observation, rrtype: Option<&str>, rdata: Option<&str>) {
    let (Some(t), Some(r)) = (rrtype, rdata) else {
        return;
    };
    match t {
        "A" | "AAAA" => {
            if let Ok(ip) = r.parse() {
                o.add_resolved(ip);
            }
        }
        "CNAME" | "DNAME" | "NS" | "MX" | "PTR" => {
            o.add_domain(r);
        }
        _ => {}
    }
}

fn flow_outcome(f: &Flow<'_>, tcp: Option<&Tcp<'_>>) -> Outcome {
    match f.pkts_toclient.0 {
        Some(0) => return Outcome::NoReply,
        None => return Outcome::Unknown,
        Some(_) => {}
    }
    if let Some(flags) = tcp
        .and_then(|t| t.tcp_flags_tc.as_deref())
        .and_then(|s| u8::from_str_radix(s, 16).ok())
    {
        const SYN: u8 = 0x02;
        const RST: u8 = 0x04;
        if flags & SYN != 0 {
            return Outcome::Answered;
        }
        if flags & RST != 0 {
            return Outcome::Rejected;
        }
    }
    match (f.state.as_deref(), f.bytes_toclient.0) {
        (Some("established" | "closed"), Some(b)) if b > 0 => Outcome::Answered,
        _ => Outcome::Unknown,
    }
}
