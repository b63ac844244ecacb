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
#[cfg_attr(test, derive(Debug, PartialEq))]
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
#[cfg_attr(test, derive(Debug, PartialEq))]
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
#[cfg_attr(test, derive(Debug, PartialEq))]
struct Anomaly<'a> {
    #[serde(borrow, default, rename = "type")]
    kind: LStr<'a>,
    #[serde(borrow, default)]
    event: LStr<'a>,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
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
#[cfg_attr(test, derive(Debug, PartialEq))]
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
#[cfg_attr(test, derive(Debug, PartialEq))]
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
#[cfg_attr(test, derive(Debug, PartialEq))]
struct Http<'a> {
    #[serde(borrow, default)]
    hostname: LStr<'a>,
    #[serde(borrow, default)]
    url: LStr<'a>,
    #[serde(default)]
    status: LNum,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
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
#[cfg_attr(test, derive(Debug, PartialEq))]
struct JaHash<'a> {
    #[serde(borrow, default)]
    hash: LStr<'a>,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
struct FileInfo<'a> {
    #[serde(borrow, default)]
    md5: LStr<'a>,
    #[serde(borrow, default)]
    sha1: LStr<'a>,
    #[serde(borrow, default)]
    sha256: LStr<'a>,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
struct Flow<'a> {
    #[serde(default)]
    pkts_toclient: LNum,
    #[serde(default)]
    bytes_toclient: LNum,
    #[serde(borrow, default)]
    state: LStr<'a>,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
struct Tcp<'a> {
    #[serde(borrow, default)]
    tcp_flags_tc: LStr<'a>,
}

/// Parses an address: a dotted quad directly, anything else with the
/// standard parser (which accepts exactly the same dotted quads).
fn parse_ip(s: &str) -> Result<IpAddr, std::net::AddrParseError> {
    fn quad(b: &[u8]) -> Option<[u8; 4]> {
        let mut out = [0u8; 4];
        let mut i = 0;
        for (n, o) in out.iter_mut().enumerate() {
            if n > 0 {
                if b.get(i) != Some(&b'.') {
                    return None;
                }
                i += 1;
            }
            let start = i;
            let mut v: u32 = 0;
            while i < b.len() && i - start < 3 && b[i].is_ascii_digit() {
                v = v * 10 + u32::from(b[i] - b'0');
                i += 1;
            }
            // No empty octet, no leading zero, at most 255.
            if i == start || (i - start > 1 && b[start] == b'0') || v > 255 {
                return None;
            }
            *o = v as u8;
        }
        (i == b.len()).then_some(out)
    }
    match quad(s.as_bytes()) {
        Some(q) => Ok(IpAddr::from(q)),
        None => s.parse(),
    }
}

fn ip(field: &str, v: Option<&Cow<'_, str>>) -> Result<Option<IpAddr>, RecordError> {
    match v {
        None => Ok(None),
        Some(s) => parse_ip(s).map(Some).map_err(|_| {
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
    let eve: Eve<'_> = match scan::eve(line) {
        Some(e) => e,
        None => match serde_json::from_slice(line) {
            Ok(e) => e,
            Err(e) => return Err(json_error::<Eve<'_>>(line, e)),
        },
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
            if let Ok(ip) = parse_ip(r) {
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

/// The fast path of [`parse_eve`]: one pass over the line that builds the
/// same [`Eve`] as serde would, for lines of the usual shape, skipping the
/// fields it does not need without decoding them.
///
/// It gives up (`None`) on anything unusual, and [`parse_eve`] then takes the
/// serde path, which gives the same result or the precise error: invalid
/// UTF-8 or a control character anywhere in the line, a key with an escape,
/// a `\u` escape in a kept string, a value of an unexpected type (a port that
/// is a string, a struct given as an array, a count written as a float), a
/// known field twice, nesting deeper than 100, or anything that is not JSON.
mod scan {
    use std::borrow::Cow;

    use super::{Alert, Anomaly, Dns, Eve, FileInfo, Flow, Grouped, Http, JaHash, Rr, Tcp, Tls};
    use crate::util::{LNum, LStr};

    /// `None`: leave it to serde.
    type R<T> = Option<T>;

    const MAX_DEPTH: u32 = 100;

    pub(super) fn eve(line: &[u8]) -> Option<Eve<'_>> {
        // Control characters (raw tabs, newlines) and invalid UTF-8 are
        // rare: serde decides what they mean.
        if has_control(line) {
            return None;
        }
        let s = std::str::from_utf8(line).ok()?;
        let mut p = Scan {
            s,
            b: line,
            i: 0,
            depth: 0,
        };
        let eve = p.top()?;
        p.ws();
        (p.i == p.b.len()).then_some(eve)
    }

    /// Whether any byte is below 0x20, eight bytes at a time without an
    /// early exit (lines are short; the test is exact for presence).
    pub(super) fn has_control(line: &[u8]) -> bool {
        const ONES: u64 = u64::MAX / 255;
        let mut acc = 0u64;
        let mut words = line.chunks_exact(8);
        for w in &mut words {
            let w = u64::from_le_bytes(w.try_into().expect("8 bytes"));
            acc |= w.wrapping_sub(ONES * 0x20) & !w;
        }
        acc & (ONES << 7) != 0 || words.remainder().iter().any(|&b| b < 0x20)
    }

    /// The first `"` or `\\` in `b`, eight bytes at a time: strings in EVE
    /// are short, shorter than a vector search takes to set up.
    #[inline]
    fn special(b: &[u8]) -> Option<usize> {
        const ONES: u64 = u64::MAX / 255;
        const HIGH: u64 = ONES << 7;
        let mut i = 0;
        while i + 8 <= b.len() {
            let w = u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
            let q = w ^ (ONES * u64::from(b'"'));
            let s = w ^ (ONES * u64::from(b'\\'));
            // The lowest flagged byte is exact (borrows only run upwards).
            let m = ((q.wrapping_sub(ONES) & !q) | (s.wrapping_sub(ONES) & !s)) & HIGH;
            if m != 0 {
                return Some(i + (m.trailing_zeros() / 8) as usize);
            }
            i += 8;
        }
        b[i..]
            .iter()
            .position(|&c| c == b'"' || c == b'\\')
            .map(|j| i + j)
    }

    struct Scan<'a> {
        s: &'a str,
        b: &'a [u8],
        i: usize,
        depth: u32,
    }

    /// Marks a known field as seen; `None` on a duplicate (a serde error).
    fn once(seen: &mut u32, bit: u32) -> R<()> {
        if *seen & bit != 0 {
            return None;
        }
        *seen |= bit;
        Some(())
    }

    impl<'a> Scan<'a> {
        #[inline]
        fn ws(&mut self) {
            while self.b.get(self.i) == Some(&b' ') {
                self.i += 1;
            }
        }

        #[inline]
        fn peek(&mut self) -> R<u8> {
            self.ws();
            self.b.get(self.i).copied()
        }

        /// An object's members: `field` is called with each key, the cursor
        /// on its value, and must consume the value.
        #[inline]
        fn object(&mut self, mut field: impl FnMut(&mut Self, &'a str) -> R<()>) -> R<()> {
            if self.peek()? != b'{' {
                return None;
            }
            self.i += 1;
            if self.peek()? == b'}' {
                self.i += 1;
                return Some(());
            }
            loop {
                if self.peek()? != b'"' {
                    return None;
                }
                let key = self.plain_string()?;
                if self.peek()? != b':' {
                    return None;
                }
                self.i += 1;
                self.ws();
                field(self, key)?;
                match self.peek()? {
                    b',' => self.i += 1,
                    b'}' => {
                        self.i += 1;
                        return Some(());
                    }
                    _ => return None,
                }
            }
        }

        /// An array's elements: `element` is called with the cursor on each.
        #[inline]
        fn array(&mut self, mut element: impl FnMut(&mut Self) -> R<()>) -> R<()> {
            if self.peek()? != b'[' {
                return None;
            }
            self.i += 1;
            if self.peek()? == b']' {
                self.i += 1;
                return Some(());
            }
            loop {
                self.ws();
                element(self)?;
                match self.peek()? {
                    b',' => self.i += 1,
                    b']' => {
                        self.i += 1;
                        return Some(());
                    }
                    _ => return None,
                }
            }
        }

        /// A string without escapes, borrowed (the cursor on its quote).
        #[inline]
        fn plain_string(&mut self) -> R<&'a str> {
            let start = self.i + 1;
            let j = special(self.b.get(start..)?)?;
            if self.b[start + j] != b'"' {
                return None;
            }
            self.i = start + j + 1;
            Some(&self.s[start..start + j])
        }

        /// A string, unescaped; `None` on a `\u` escape (serde checks
        /// surrogates).
        #[inline]
        fn string(&mut self) -> R<Cow<'a, str>> {
            let start = self.i + 1;
            let j = special(self.b.get(start..)?)?;
            if self.b[start + j] == b'"' {
                self.i = start + j + 1;
                return Some(Cow::Borrowed(&self.s[start..start + j]));
            }
            let mut out = String::with_capacity(j + 16);
            out.push_str(&self.s[start..start + j]);
            let mut k = start + j;
            loop {
                // At a backslash.
                out.push(match *self.b.get(k + 1)? {
                    b'"' => '"',
                    b'\\' => '\\',
                    b'/' => '/',
                    b'b' => '\u{8}',
                    b'f' => '\u{c}',
                    b'n' => '\n',
                    b'r' => '\r',
                    b't' => '\t',
                    _ => return None,
                });
                k += 2;
                let j = special(self.b.get(k..)?)?;
                out.push_str(&self.s[k..k + j]);
                k += j;
                if self.b[k] == b'"' {
                    self.i = k + 1;
                    return Some(Cow::Owned(out));
                }
            }
        }

        /// Skips a string as serde does (any valid escape).
        #[inline]
        fn skip_string(&mut self) -> R<()> {
            let mut k = self.i + 1;
            loop {
                k += special(self.b.get(k..)?)?;
                if self.b[k] == b'"' {
                    self.i = k + 1;
                    return Some(());
                }
                match *self.b.get(k + 1)? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => k += 2,
                    b'u' => {
                        let hex = self.b.get(k + 2..k + 6)?;
                        if !hex.iter().all(u8::is_ascii_hexdigit) {
                            return None;
                        }
                        k += 6;
                    }
                    _ => return None,
                }
            }
        }

        #[inline]
        fn literal(&mut self, word: &[u8]) -> R<()> {
            if self.b.get(self.i..self.i + word.len())? != word {
                return None;
            }
            self.i += word.len();
            Some(())
        }

        #[inline]
        fn digits(&mut self) -> usize {
            let start = self.i;
            while self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
                self.i += 1;
            }
            self.i - start
        }

        /// Skips a number, with serde's grammar.
        fn skip_number(&mut self) -> R<()> {
            if self.b[self.i] == b'-' {
                self.i += 1;
            }
            match self.b.get(self.i)? {
                b'0' => {
                    self.i += 1;
                    if self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
                        return None;
                    }
                }
                b'1'..=b'9' => {
                    self.digits();
                }
                _ => return None,
            }
            if self.b.get(self.i) == Some(&b'.') {
                self.i += 1;
                if self.digits() == 0 {
                    return None;
                }
            }
            if matches!(self.b.get(self.i), Some(b'e' | b'E')) {
                self.i += 1;
                if matches!(self.b.get(self.i), Some(b'+' | b'-')) {
                    self.i += 1;
                }
                if self.digits() == 0 {
                    return None;
                }
            }
            Some(())
        }

        /// A non-negative integer written plainly (no sign, fraction or
        /// exponent), as serde reads into an unsigned field.
        #[inline]
        fn unsigned(&mut self) -> R<u64> {
            let start = self.i;
            let n = self.digits();
            if n == 0 || n > 19 || (n > 1 && self.b[start] == b'0') {
                return None;
            }
            if matches!(self.b.get(self.i), Some(b'.' | b'e' | b'E')) {
                return None;
            }
            self.s[start..self.i].parse().ok()
        }

        fn skip_value(&mut self) -> R<()> {
            match *self.b.get(self.i)? {
                b'"' => self.skip_string(),
                b'{' | b'[' => {
                    self.depth += 1;
                    if self.depth > MAX_DEPTH {
                        return None;
                    }
                    if self.b[self.i] == b'{' {
                        self.object(|p, _| p.skip_value())?;
                    } else {
                        self.array(|p| p.skip_value())?;
                    }
                    self.depth -= 1;
                    Some(())
                }
                b't' => self.literal(b"true"),
                b'f' => self.literal(b"false"),
                b'n' => self.literal(b"null"),
                b'-' | b'0'..=b'9' => self.skip_number(),
                _ => None,
            }
        }

        #[inline]
        fn is_null(&mut self) -> R<bool> {
            if self.b.get(self.i) == Some(&b'n') {
                self.literal(b"null")?;
                return Some(true);
            }
            Some(false)
        }

        /// `Option<Cow<str>>`: a string or null.
        #[inline]
        fn opt_str(&mut self) -> R<Option<Cow<'a, str>>> {
            match *self.b.get(self.i)? {
                b'"' => self.string().map(Some),
                b'n' => self.literal(b"null").map(|_| None),
                _ => None,
            }
        }

        /// [`LStr`]: a string, or anything else ignored.
        #[inline]
        fn lstr(&mut self) -> R<LStr<'a>> {
            if self.b.get(self.i) == Some(&b'"') {
                return self.string().map(|s| LStr(Some(s)));
            }
            self.skip_value()?;
            Some(LStr(None))
        }

        /// [`LNum`] and `Option<u64>`: a plain integer or null.
        #[inline]
        fn opt_u64(&mut self) -> R<Option<u64>> {
            if self.is_null()? {
                return Some(None);
            }
            self.unsigned().map(Some)
        }

        fn lnum(&mut self) -> R<LNum> {
            self.opt_u64().map(LNum)
        }

        fn opt_u16(&mut self) -> R<Option<u16>> {
            match self.opt_u64()? {
                None => Some(None),
                Some(n) => u16::try_from(n).ok().map(Some),
            }
        }

        /// An `Option<T>` of a struct: an object or null.
        fn opt<T>(&mut self, f: impl FnOnce(&mut Self) -> R<T>) -> R<Option<T>> {
            if self.is_null()? {
                return Some(None);
            }
            if self.b.get(self.i) != Some(&b'{') {
                return None;
            }
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return None;
            }
            let v = f(self)?;
            self.depth -= 1;
            Some(Some(v))
        }

        fn top(&mut self) -> R<Eve<'a>> {
            let mut e = Eve {
                timestamp: None,
                event_type: None,
                src_ip: None,
                src_port: None,
                dest_ip: None,
                dest_port: None,
                proto: LStr::default(),
                alert: None,
                anomaly: None,
                dns: None,
                http: None,
                tls: None,
                fileinfo: None,
                flow: None,
                tcp: None,
            };
            let mut seen = 0u32;
            self.object(|p, key| {
                match key {
                    "timestamp" => {
                        once(&mut seen, 1)?;
                        e.timestamp = p.opt_str()?;
                    }
                    "event_type" => {
                        once(&mut seen, 1 << 1)?;
                        e.event_type = p.opt_str()?;
                    }
                    "src_ip" => {
                        once(&mut seen, 1 << 2)?;
                        e.src_ip = p.opt_str()?;
                    }
                    "src_port" => {
                        once(&mut seen, 1 << 3)?;
                        e.src_port = p.opt_u16()?;
                    }
                    "dest_ip" => {
                        once(&mut seen, 1 << 4)?;
                        e.dest_ip = p.opt_str()?;
                    }
                    "dest_port" => {
                        once(&mut seen, 1 << 5)?;
                        e.dest_port = p.opt_u16()?;
                    }
                    "proto" => {
                        once(&mut seen, 1 << 6)?;
                        e.proto = p.lstr()?;
                    }
                    "alert" => {
                        once(&mut seen, 1 << 7)?;
                        e.alert = p.opt(Self::alert)?;
                    }
                    "anomaly" => {
                        once(&mut seen, 1 << 8)?;
                        e.anomaly = p.opt(Self::anomaly)?;
                    }
                    "dns" => {
                        once(&mut seen, 1 << 9)?;
                        e.dns = p.opt(Self::dns)?;
                    }
                    "http" => {
                        once(&mut seen, 1 << 10)?;
                        e.http = p.opt(Self::http)?;
                    }
                    "tls" => {
                        once(&mut seen, 1 << 11)?;
                        e.tls = p.opt(Self::tls)?;
                    }
                    "fileinfo" => {
                        once(&mut seen, 1 << 12)?;
                        e.fileinfo = p.opt(Self::fileinfo)?;
                    }
                    "flow" => {
                        once(&mut seen, 1 << 13)?;
                        e.flow = p.opt(Self::flow)?;
                    }
                    "tcp" => {
                        once(&mut seen, 1 << 14)?;
                        e.tcp = p.opt(Self::tcp)?;
                    }
                    _ => p.skip_value()?,
                }
                Some(())
            })?;
            Some(e)
        }

        fn alert(&mut self) -> R<Alert<'a>> {
            let mut a = Alert {
                action: LStr::default(),
                signature_id: None,
                signature: LStr::default(),
                category: LStr::default(),
                severity: LNum::default(),
            };
            let mut seen = 0u32;
            self.object(|p, key| {
                match key {
                    "action" => {
                        once(&mut seen, 1)?;
                        a.action = p.lstr()?;
                    }
                    "signature_id" => {
                        once(&mut seen, 1 << 1)?;
                        a.signature_id = p.opt_u64()?;
                    }
                    "signature" => {
                        once(&mut seen, 1 << 2)?;
                        a.signature = p.lstr()?;
                    }
                    "category" => {
                        once(&mut seen, 1 << 3)?;
                        a.category = p.lstr()?;
                    }
                    "severity" => {
                        once(&mut seen, 1 << 4)?;
                        a.severity = p.lnum()?;
                    }
                    _ => p.skip_value()?,
                }
                Some(())
            })?;
            Some(a)
        }

        fn anomaly(&mut self) -> R<Anomaly<'a>> {
            let mut a = Anomaly {
                kind: LStr::default(),
                event: LStr::default(),
            };
            let mut seen = 0u32;
            self.object(|p, key| {
                match key {
                    "type" => {
                        once(&mut seen, 1)?;
                        a.kind = p.lstr()?;
                    }
                    "event" => {
                        once(&mut seen, 1 << 1)?;
                        a.event = p.lstr()?;
                    }
                    _ => p.skip_value()?,
                }
                Some(())
            })?;
            Some(a)
        }

        fn rr(&mut self) -> R<Rr<'a>> {
            if self.b.get(self.i) != Some(&b'{') {
                return None;
            }
            let mut r = Rr {
                rrname: LStr::default(),
                rrtype: LStr::default(),
                rdata: LStr::default(),
            };
            let mut seen = 0u32;
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return None;
            }
            self.object(|p, key| {
                match key {
                    "rrname" => {
                        once(&mut seen, 1)?;
                        r.rrname = p.lstr()?;
                    }
                    "rrtype" => {
                        once(&mut seen, 1 << 1)?;
                        r.rrtype = p.lstr()?;
                    }
                    "rdata" => {
                        once(&mut seen, 1 << 2)?;
                        r.rdata = p.lstr()?;
                    }
                    _ => p.skip_value()?,
                }
                Some(())
            })?;
            self.depth -= 1;
            Some(r)
        }

        fn rrs(&mut self) -> R<Vec<Rr<'a>>> {
            let mut v = Vec::new();
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return None;
            }
            self.array(|p| {
                v.push(p.rr()?);
                Some(())
            })?;
            self.depth -= 1;
            Some(v)
        }

        fn grouped(&mut self) -> R<Grouped<'a>> {
            let mut g = Vec::new();
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return None;
            }
            self.object(|p, key| {
                let mut values = Vec::new();
                p.depth += 1;
                if p.depth > MAX_DEPTH {
                    return None;
                }
                p.array(|p| {
                    values.push(p.lstr()?);
                    Some(())
                })?;
                p.depth -= 1;
                g.push((LStr(Some(Cow::Borrowed(key))), values));
                Some(())
            })?;
            self.depth -= 1;
            Some(Grouped(g))
        }

        fn dns(&mut self) -> R<Dns<'a>> {
            let mut d = Dns {
                rrname: LStr::default(),
                rrtype: LStr::default(),
                rdata: LStr::default(),
                queries: Vec::new(),
                answers: Vec::new(),
                grouped: Grouped::default(),
            };
            let mut seen = 0u32;
            self.object(|p, key| {
                match key {
                    "rrname" => {
                        once(&mut seen, 1)?;
                        d.rrname = p.lstr()?;
                    }
                    "rrtype" => {
                        once(&mut seen, 1 << 1)?;
                        d.rrtype = p.lstr()?;
                    }
                    "rdata" => {
                        once(&mut seen, 1 << 2)?;
                        d.rdata = p.lstr()?;
                    }
                    "queries" => {
                        once(&mut seen, 1 << 3)?;
                        d.queries = p.rrs()?;
                    }
                    "answers" => {
                        once(&mut seen, 1 << 4)?;
                        d.answers = p.rrs()?;
                    }
                    "grouped" => {
                        once(&mut seen, 1 << 5)?;
                        d.grouped = p.grouped()?;
                    }
                    _ => p.skip_value()?,
                }
                Some(())
            })?;
            Some(d)
        }

        fn http(&mut self) -> R<Http<'a>> {
            let mut h = Http {
                hostname: LStr::default(),
                url: LStr::default(),
                status: LNum::default(),
            };
            let mut seen = 0u32;
            self.object(|p, key| {
                match key {
                    "hostname" => {
                        once(&mut seen, 1)?;
                        h.hostname = p.lstr()?;
                    }
                    "url" => {
                        once(&mut seen, 1 << 1)?;
                        h.url = p.lstr()?;
                    }
                    "status" => {
                        once(&mut seen, 1 << 2)?;
                        h.status = p.lnum()?;
                    }
                    _ => p.skip_value()?,
                }
                Some(())
            })?;
            Some(h)
        }

        fn ja_hash(&mut self) -> R<JaHash<'a>> {
            let mut j = JaHash {
                hash: LStr::default(),
            };
            let mut seen = 0u32;
            self.object(|p, key| {
                match key {
                    "hash" => {
                        once(&mut seen, 1)?;
                        j.hash = p.lstr()?;
                    }
                    _ => p.skip_value()?,
                }
                Some(())
            })?;
            Some(j)
        }

        fn tls(&mut self) -> R<Tls<'a>> {
            let mut t = Tls {
                sni: LStr::default(),
                ja3: None,
                ja3s: None,
                ja4: LStr::default(),
            };
            let mut seen = 0u32;
            self.object(|p, key| {
                match key {
                    "sni" => {
                        once(&mut seen, 1)?;
                        t.sni = p.lstr()?;
                    }
                    "ja3" => {
                        once(&mut seen, 1 << 1)?;
                        t.ja3 = p.opt(Self::ja_hash)?;
                    }
                    "ja3s" => {
                        once(&mut seen, 1 << 2)?;
                        t.ja3s = p.opt(Self::ja_hash)?;
                    }
                    "ja4" => {
                        once(&mut seen, 1 << 3)?;
                        t.ja4 = p.lstr()?;
                    }
                    _ => p.skip_value()?,
                }
                Some(())
            })?;
            Some(t)
        }

        fn fileinfo(&mut self) -> R<FileInfo<'a>> {
            let mut f = FileInfo {
                md5: LStr::default(),
                sha1: LStr::default(),
                sha256: LStr::default(),
            };
            let mut seen = 0u32;
            self.object(|p, key| {
                match key {
                    "md5" => {
                        once(&mut seen, 1)?;
                        f.md5 = p.lstr()?;
                    }
                    "sha1" => {
                        once(&mut seen, 1 << 1)?;
                        f.sha1 = p.lstr()?;
                    }
                    "sha256" => {
                        once(&mut seen, 1 << 2)?;
                        f.sha256 = p.lstr()?;
                    }
                    _ => p.skip_value()?,
                }
                Some(())
            })?;
            Some(f)
        }

        fn flow(&mut self) -> R<Flow<'a>> {
            let mut f = Flow {
                pkts_toclient: LNum::default(),
                bytes_toclient: LNum::default(),
                state: LStr::default(),
            };
            let mut seen = 0u32;
            self.object(|p, key| {
                match key {
                    "pkts_toclient" => {
                        once(&mut seen, 1)?;
                        f.pkts_toclient = p.lnum()?;
                    }
                    "bytes_toclient" => {
                        once(&mut seen, 1 << 1)?;
                        f.bytes_toclient = p.lnum()?;
                    }
                    "state" => {
                        once(&mut seen, 1 << 2)?;
                        f.state = p.lstr()?;
                    }
                    _ => p.skip_value()?,
                }
                Some(())
            })?;
            Some(f)
        }

        fn tcp(&mut self) -> R<Tcp<'a>> {
            let mut t = Tcp {
                tcp_flags_tc: LStr::default(),
            };
            let mut seen = 0u32;
            self.object(|p, key| {
                match key {
                    "tcp_flags_tc" => {
                        once(&mut seen, 1)?;
                        t.tcp_flags_tc = p.lstr()?;
                    }
                    _ => p.skip_value()?,
                }
                Some(())
            })?;
            Some(t)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The fast path either gives up or agrees with serde.
    fn agree(line: &[u8]) -> bool {
        let Some(fast) = scan::eve(line) else {
            return false;
        };
        let slow = serde_json::from_slice::<Eve<'_>>(line);
        assert!(
            slow.is_ok(),
            "fast path accepted what serde rejects: {:?}: {:?}",
            String::from_utf8_lossy(line),
            slow.err()
        );
        assert_eq!(fast, slow.unwrap(), "{:?}", String::from_utf8_lossy(line));
        true
    }

    const KEYS: &[&str] = &[
        "timestamp",
        "event_type",
        "src_ip",
        "src_port",
        "dest_ip",
        "dest_port",
        "proto",
        "alert",
        "anomaly",
        "dns",
        "http",
        "tls",
        "fileinfo",
        "flow",
        "tcp",
        "action",
        "signature_id",
        "signature",
        "category",
        "severity",
        "type",
        "event",
        "rrname",
        "rrtype",
        "rdata",
        "queries",
        "answers",
        "grouped",
        "A",
        "CNAME",
        "hostname",
        "url",
        "status",
        "sni",
        "ja3",
        "ja3s",
        "ja4",
        "hash",
        "md5",
        "sha1",
        "sha256",
        "pkts_toclient",
        "bytes_toclient",
        "state",
        "tcp_flags_tc",
        "flow_id",
        "x",
        "",
        "\\u0061lert",
        "tl\\ns",
    ];

    fn string_lit() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            proptest::sample::select(vec![
                "a",
                "é",
                "日本",
                "\\/",
                "\\n",
                "\\\"",
                "\\\\",
                "\\u0041",
                "\\ud800",
                "\\x",
                "/",
                " ",
                "192.0.2.1",
                "2001:db8::1",
                "2024-05-01T00:00:00.5+0900",
                "A",
                "CNAME",
                "Evil.Example.",
                "1b",
                "14",
            ]),
            0..4,
        )
        .prop_map(|p| format!("\"{}\"", p.concat()))
    }

    fn number_lit() -> impl Strategy<Value = String> {
        proptest::sample::select(vec![
            "0",
            "1",
            "80",
            "65535",
            "65536",
            "-1",
            "-0",
            "1.5",
            "5.0",
            "1e3",
            "1E+2",
            "2e-1",
            "01",
            "1.",
            "-",
            "18446744073709551615",
            "18446744073709551616",
            "99999999999999999999",
        ])
        .prop_map(str::to_owned)
    }

    fn json_text() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            4 => string_lit(),
            2 => number_lit(),
            1 => proptest::sample::select(vec!["true", "false", "null", "nul", "tru"])
                .prop_map(str::to_owned),
        ];
        leaf.prop_recursive(5, 64, 6, |inner| {
            prop_oneof![
                3 => proptest::collection::vec(
                    (proptest::sample::select(KEYS), inner.clone(), any::<bool>()),
                    0..6,
                )
                .prop_map(|members| {
                    let m: Vec<String> = members
                        .into_iter()
                        .map(|(k, v, sp)| {
                            if sp {
                                format!(" \"{k}\" : {v} ")
                            } else {
                                format!("\"{k}\":{v}")
                            }
                        })
                        .collect();
                    format!("{{{}}}", m.join(","))
                }),
                1 => proptest::collection::vec(inner, 0..4)
                    .prop_map(|v| format!("[{}]", v.join(","))),
            ]
        })
    }

    fn sample_lines() -> Vec<String> {
        include_str!("../tests/data/eve.json")
            .lines()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn dotted_quads_parse_as_the_standard_parser_does() {
        for s in [
            "0.0.0.0",
            "255.255.255.255",
            "192.0.2.1",
            "1.2.3",
            "1.2.3.4.5",
            "01.2.3.4",
            "1.2.3.04",
            "256.1.1.1",
            "1.2.3.4 ",
            " 1.2.3.4",
            "1..2.3",
            "1.2.3.",
            "1.2.3.1000",
            "1.2.3.a",
            "",
            "::1",
            "::ffff:1.2.3.4",
            "2001:db8::1",
            "1.2.3.-4",
            "+1.2.3.4",
        ] {
            assert_eq!(parse_ip(s).ok(), s.parse::<IpAddr>().ok(), "{s:?}");
        }
    }

    proptest! {
        #[test]
        fn ip_parsing_agrees_with_std(s in "[0-9.:a-f]{0,16}") {
            prop_assert_eq!(parse_ip(&s).ok(), s.parse::<IpAddr>().ok());
        }

        #[test]
        fn control_bytes_are_found(mut b in proptest::collection::vec(0x20u8..=0xff, 0..40), at in any::<prop::sample::Index>(), c in 0u8..0x20) {
            prop_assert!(!scan::has_control(&b));
            if !b.is_empty() {
                let i = at.index(b.len());
                b[i] = c;
                prop_assert!(scan::has_control(&b));
            }
        }
    }

    #[test]
    fn sample_lines_take_the_fast_path() {
        let lines = sample_lines();
        let fast = lines.iter().filter(|l| agree(l.as_bytes())).count();
        // The malformed ones and the one with `\/` in a URL... all but the
        // malformed lines and the blank one.
        assert!(fast >= 14, "{fast} of {}", lines.len());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn fast_path_agrees_with_serde(text in json_text(), trailer in "( |x|,|\\}|)") {
            agree(text.as_bytes());
            agree(format!("{text}{trailer}").as_bytes());
            // As the value of a known field of an event.
            for k in ["alert", "dns", "tls", "flow", "src_port", "timestamp", "answers"] {
                let line = format!(r#"{{"event_type":"dns","{k}":{text},"dns":{{"grouped":{{"A":[{text}]}},"answers":[{{"rdata":{text}}}]}}}}"#);
                agree(line.as_bytes());
            }
        }

        #[test]
        fn fast_path_agrees_on_mutated_sample_lines(
            which in 0usize..19,
            edits in proptest::collection::vec(
                (any::<prop::sample::Index>(), proptest::option::of(proptest::sample::select(
                    vec!['"', '{', '}', '[', ']', ',', ':', '\\', ' ', '0', '9', '-', '.', 'e', 'n', '\t', 'é'],
                ))),
                1..4,
            ),
        ) {
            let lines = sample_lines();
            let mut line: Vec<char> = lines[which % lines.len()].chars().collect();
            for (at, c) in edits {
                if line.is_empty() {
                    break;
                }
                let i = at.index(line.len());
                match c {
                    Some(c) => line.insert(i, c),
                    None => {
                        line.remove(i);
                    }
                }
            }
            let line: String = line.into_iter().collect();
            agree(line.as_bytes());
        }
    }
}
