//! Zeek logs: `conn`, `dns`, `http`, `ssl`, `files`, `notice`, written as TSV
//! with `#` header lines (Zeek's default ASCII writer) or as JSON lines
//! (`LogAscii::use_json = T`).
//!
//! TSV: `#separator` (escaped as `\x09`), `#set_separator`, `#empty_field`,
//! `#unset_field`, `#path` and `#fields` are honoured; `#types`, `#open` and
//! `#close` are read past. Values are unescaped (`\xNN`). A stream may hold
//! several logs one after the other, each with its header.
//!
//! JSON: the log type comes from a `_path` field when the record has one,
//! otherwise from the hint given to the reader (see [`ZeekLog::from_file_name`]).
//! `ts` may be epoch seconds or an ISO 8601 string.
//!
//! Other log types (`weird`, `x509`, ...) are counted as skipped.

use std::borrow::Cow;
use std::fmt;
use std::io::BufRead;
use std::net::IpAddr;
use std::sync::Arc;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use crate::error::{ErrorKind, RecordError};
use crate::eve::truncate;
use crate::observation::{
    FingerprintKind, HashAlgo, Kind, Observation, Outcome, Sensor, Signature, Transport,
};
use crate::reader::{LineParser, Parsed, Reader};
use crate::util::{epoch_from_f64, json_error, parse_epoch, parse_iso8601, LNum, LStr};

/// A reader of Zeek logs.
pub type ZeekReader<R> = Reader<R, ZeekParser>;

impl<R: BufRead> Reader<R, ZeekParser> {
    /// Reads a Zeek log from `inner`. `hint` is the log type for JSON records
    /// without `_path` and TSV records without `#path` (e.g. from
    /// [`ZeekLog::from_file_name`]).
    pub fn new(
        inner: R,
        label: impl Into<Arc<str>>,
        sensor: Arc<Sensor>,
        hint: Option<ZeekLog>,
    ) -> Self {
        Reader::with_parser(inner, label, ZeekParser::new(sensor, hint))
    }
}

/// The Zeek logs this crate normalises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ZeekLog {
    /// `conn.log`: connection summaries.
    Conn,
    /// `dns.log`: DNS queries and answers.
    Dns,
    /// `http.log`: HTTP requests.
    Http,
    /// `ssl.log`: TLS handshakes.
    Ssl,
    /// `files.log`: files seen on the wire.
    Files,
    /// `notice.log`: notices raised by detection scripts.
    Notice,
}

impl ZeekLog {
    /// From a `#path` / `_path` value (`conn`, `dns`, ...). `None` for logs
    /// that are not normalised.
    pub fn from_path(path: &str) -> Option<Self> {
        Some(match path {
            "conn" => ZeekLog::Conn,
            "dns" => ZeekLog::Dns,
            "http" => ZeekLog::Http,
            "ssl" => ZeekLog::Ssl,
            "files" => ZeekLog::Files,
            "notice" => ZeekLog::Notice,
            _ => return None,
        })
    }

    /// From a log file name as Zeek and its log rotation write it:
    /// `conn.log`, `/logs/2024-05-01/dns.09:00:00-10:00:00.log.gz`,
    /// `http.json`.
    pub fn from_file_name(name: &str) -> Option<Self> {
        let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
        let stem = base.split('.').next().unwrap_or(base);
        Self::from_path(stem)
    }

    /// The `#path` name.
    pub fn as_str(self) -> &'static str {
        match self {
            ZeekLog::Conn => "conn",
            ZeekLog::Dns => "dns",
            ZeekLog::Http => "http",
            ZeekLog::Ssl => "ssl",
            ZeekLog::Files => "files",
            ZeekLog::Notice => "notice",
        }
    }

    fn kind(self) -> Kind {
        match self {
            ZeekLog::Conn => Kind::Conn,
            ZeekLog::Dns => Kind::Dns,
            ZeekLog::Http => Kind::Http,
            ZeekLog::Ssl => Kind::Tls,
            ZeekLog::Files => Kind::File,
            ZeekLog::Notice => Kind::Notice,
        }
    }
}

/// The fields read from any of the supported logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Ts,
    OrigH,
    OrigP,
    RespH,
    RespP,
    Proto,
    ConnState,
    RespPkts,
    Query,
    Answers,
    Host,
    Uri,
    StatusCode,
    ServerName,
    Ja3,
    Ja3s,
    Ja4,
    Md5,
    Sha1,
    Sha256,
    Note,
    Msg,
    Src,
    Dst,
    P,
    TxHosts,
    RxHosts,
    Actions,
}

impl Col {
    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "ts" => Col::Ts,
            "id.orig_h" => Col::OrigH,
            "id.orig_p" => Col::OrigP,
            "id.resp_h" => Col::RespH,
            "id.resp_p" => Col::RespP,
            "proto" => Col::Proto,
            "conn_state" => Col::ConnState,
            "resp_pkts" => Col::RespPkts,
            "query" => Col::Query,
            "answers" => Col::Answers,
            "host" => Col::Host,
            "uri" => Col::Uri,
            "status_code" => Col::StatusCode,
            "server_name" => Col::ServerName,
            "ja3" => Col::Ja3,
            "ja3s" => Col::Ja3s,
            "ja4" => Col::Ja4,
            "md5" => Col::Md5,
            "sha1" => Col::Sha1,
            "sha256" => Col::Sha256,
            "note" => Col::Note,
            "msg" => Col::Msg,
            "src" => Col::Src,
            "dst" => Col::Dst,
            "p" => Col::P,
            "tx_hosts" => Col::TxHosts,
            "rx_hosts" => Col::RxHosts,
            "actions" => Col::Actions,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Col::Ts => "ts",
            Col::OrigH => "id.orig_h",
            Col::OrigP => "id.orig_p",
            Col::RespH => "id.resp_h",
            Col::RespP => "id.resp_p",
            Col::Proto => "proto",
            Col::ConnState => "conn_state",
            Col::RespPkts => "resp_pkts",
            Col::Query => "query",
            Col::Answers => "answers",
            Col::Host => "host",
            Col::Uri => "uri",
            Col::StatusCode => "status_code",
            Col::ServerName => "server_name",
            Col::Ja3 => "ja3",
            Col::Ja3s => "ja3s",
            Col::Ja4 => "ja4",
            Col::Md5 => "md5",
            Col::Sha1 => "sha1",
            Col::Sha256 => "sha256",
            Col::Note => "note",
            Col::Msg => "msg",
            Col::Src => "src",
            Col::Dst => "dst",
            Col::P => "p",
            Col::TxHosts => "tx_hosts",
            Col::RxHosts => "rx_hosts",
            Col::Actions => "actions",
        }
    }
}

/// Parses Zeek log lines, keeping the TSV header state between lines.
#[derive(Debug, Clone)]
pub struct ZeekParser {
    sensor: Arc<Sensor>,
    hint: Option<ZeekLog>,
    separator: u8,
    set_separator: String,
    empty_field: String,
    unset_field: String,
    path: Option<String>,
    columns: Option<Vec<Option<Col>>>,
}

impl ZeekParser {
    /// A parser attributing records to `sensor`; `hint` as for [`ZeekReader::new`].
    pub fn new(sensor: Arc<Sensor>, hint: Option<ZeekLog>) -> Self {
        Self {
            sensor,
            hint,
            separator: b'\t',
            set_separator: ",".into(),
            empty_field: "(empty)".into(),
            unset_field: "-".into(),
            path: None,
            columns: None,
        }
    }

    /// The `#path` of the TSV header read last, if any.
    pub fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }

    fn header(&mut self, line: &str) -> Result<Parsed, RecordError> {
        if let Some(v) = line.strip_prefix("#separator") {
            let v = v.trim_start_matches([' ', '\t']);
            let bytes = unescape(v);
            let [b] = bytes.as_bytes() else {
                return Err(RecordError::header(format!(
                    "#separator must be one byte, found {:?}",
                    truncate(v)
                )));
            };
            self.separator = *b;
            // A new header starts: forget the previous log's fields.
            self.columns = None;
            self.path = None;
            return Ok(Parsed::Meta);
        }
        let sep = self.separator as char;
        let mut parts = line.split(sep);
        let key = parts.next().unwrap_or_default();
        let rest = || line.split_once(sep).map_or("", |(_, r)| r);
        match key {
            "#set_separator" => self.set_separator = unescape(rest()).into_owned(),
            "#empty_field" => self.empty_field = unescape(rest()).into_owned(),
            "#unset_field" => self.unset_field = unescape(rest()).into_owned(),
            "#path" => self.path = Some(unescape(rest()).into_owned()),
            "#fields" => {
                let cols: Vec<Option<Col>> = parts.map(Col::from_name).collect();
                if !cols.contains(&Some(Col::Ts)) {
                    self.columns = None;
                    return Err(RecordError::header("#fields has no ts field"));
                }
                self.columns = Some(cols);
            }
            _ => {} // #types, #open, #close, comments
        }
        Ok(Parsed::Meta)
    }

    fn log_type(&self, path: Option<&str>) -> Result<Option<ZeekLog>, RecordError> {
        match path {
            Some(p) => Ok(ZeekLog::from_path(p)),
            None => match self.hint {
                Some(h) => Ok(Some(h)),
                None => Err(RecordError::field(
                    "_path",
                    "log type unknown: no #path, _path or hint",
                )),
            },
        }
    }

    fn tsv<'a>(&self, line: &'a str) -> Result<Parsed, RecordError> {
        let Some(cols) = &self.columns else {
            return Err(RecordError::header("record before a #fields header"));
        };
        let Some(log) = self.log_type(self.path.as_deref())? else {
            return Ok(Parsed::Skipped);
        };
        let n = line.split(self.separator as char).count();
        if n != cols.len() {
            return Err(RecordError::syntax(format!(
                "expected {} fields, found {n}",
                cols.len()
            )));
        }
        let mut z = Z::default();
        let mut column = 1usize;
        for (raw, col) in line.split(self.separator as char).zip(cols) {
            let at = column;
            column += raw.len() + 1;
            let Some(col) = *col else { continue };
            if raw == self.unset_field || raw == self.empty_field || raw.is_empty() {
                continue;
            }
            let v = unescape(raw);
            let located = |mut e: RecordError| {
                e.column = Some(at);
                e
            };
            match col {
                Col::Ts => {
                    z.ts = Ts::Str(v);
                }
                Col::OrigP | Col::RespP | Col::RespPkts | Col::StatusCode | Col::P => {
                    let num: u64 = v.parse().map_err(|_| {
                        located(RecordError::field(
                            col.name(),
                            format!("invalid number {:?}", truncate(&v)),
                        ))
                    })?;
                    if col != Col::RespPkts && num > u64::from(u16::MAX) {
                        return Err(located(RecordError::field(
                            col.name(),
                            format!("{num} out of range"),
                        )));
                    }
                    *z.num(col) = LNum(Some(num));
                }
                Col::Answers | Col::TxHosts | Col::RxHosts | Col::Actions => {
                    let list: Vec<LStr<'a>> = match v {
                        Cow::Borrowed(s) => s
                            .split(self.set_separator.as_str())
                            .map(|x| LStr(Some(Cow::Borrowed(x))))
                            .collect(),
                        Cow::Owned(s) => s
                            .split(self.set_separator.as_str())
                            .map(|x| LStr(Some(Cow::Owned(x.to_owned()))))
                            .collect(),
                    };
                    *z.list(col) = list;
                }
                _ => *z.string(col) = LStr(Some(v)),
            }
        }
        build(log, &z, &self.sensor).map(Parsed::Record)
    }

    fn json(&self, line: &[u8]) -> Result<Parsed, RecordError> {
        let z: Z<'_> = match serde_json::from_slice(line) {
            Ok(z) => z,
            Err(e) => return Err(json_error::<Z<'_>>(line, e)),
        };
        let Some(log) = self.log_type(z.path.as_deref())? else {
            return Ok(Parsed::Skipped);
        };
        build(log, &z, &self.sensor).map(Parsed::Record)
    }
}

impl LineParser for ZeekParser {
    fn parse_line(&mut self, line: &[u8]) -> Result<Parsed, RecordError> {
        match line.first() {
            Some(b'{') => self.json(line),
            Some(b'#') => {
                let s = std::str::from_utf8(line).map_err(|e| encoding(&e))?;
                self.header(s)
            }
            _ => {
                let s = std::str::from_utf8(line).map_err(|e| encoding(&e))?;
                self.tsv(s)
            }
        }
    }
}

fn encoding(e: &std::str::Utf8Error) -> RecordError {
    RecordError {
        kind: ErrorKind::Encoding,
        field: None,
        column: Some(e.valid_up_to() + 1),
        message: "invalid UTF-8".into(),
    }
}

/// Undoes Zeek's `\xNN` escaping.
fn unescape(s: &str) -> Cow<'_, str> {
    if !s.contains("\\x") {
        return Cow::Borrowed(s);
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 3 < b.len() && b[i + 1] == b'x' {
            let hex = std::str::from_utf8(&b[i + 2..i + 4]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 4;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

/// A Zeek `ts`: epoch seconds (number or string) or ISO 8601.
#[derive(Debug, Default)]
enum Ts<'a> {
    #[default]
    None,
    Num(f64),
    Str(Cow<'a, str>),
}

impl<'de: 'a, 'a> Deserialize<'de> for Ts<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Ts<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a timestamp")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Ts::Num(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Ts::Num(v as f64))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Ts::Num(v as f64))
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Ts::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Ts::Str(Cow::Owned(v.to_owned())))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Ts::None)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Ts::None)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Ts::None)
            }
        }
        d.deserialize_any(V)
    }
}

/// The fields of one record of any supported log, from TSV or JSON.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Z<'a> {
    #[serde(borrow)]
    ts: Ts<'a>,
    #[serde(borrow, rename = "_path")]
    path: LStr<'a>,
    #[serde(borrow, rename = "id.orig_h")]
    orig_h: LStr<'a>,
    #[serde(rename = "id.orig_p")]
    orig_p: LNum,
    #[serde(borrow, rename = "id.resp_h")]
    resp_h: LStr<'a>,
    #[serde(rename = "id.resp_p")]
    resp_p: LNum,
    #[serde(borrow)]
    proto: LStr<'a>,
    #[serde(borrow)]
    conn_state: LStr<'a>,
    resp_pkts: LNum,
    #[serde(borrow)]
    query: LStr<'a>,
    #[serde(borrow)]
    answers: Vec<LStr<'a>>,
    #[serde(borrow)]
    host: LStr<'a>,
    #[serde(borrow)]
    uri: LStr<'a>,
    status_code: LNum,
    #[serde(borrow)]
    server_name: LStr<'a>,
    #[serde(borrow)]
    ja3: LStr<'a>,
    #[serde(borrow)]
    ja3s: LStr<'a>,
    #[serde(borrow)]
    ja4: LStr<'a>,
    #[serde(borrow)]
    md5: LStr<'a>,
    #[serde(borrow)]
    sha1: LStr<'a>,
    #[serde(borrow)]
    sha256: LStr<'a>,
    #[serde(borrow)]
    note: LStr<'a>,
    #[serde(borrow)]
    msg: LStr<'a>,
    #[serde(borrow)]
    src: LStr<'a>,
    #[serde(borrow)]
    dst: LStr<'a>,
    p: LNum,
    #[serde(borrow)]
    tx_hosts: Vec<LStr<'a>>,
    #[serde(borrow)]
    rx_hosts: Vec<LStr<'a>>,
    #[serde(borrow)]
    actions: Vec<LStr<'a>>,
}

impl<'a> Z<'a> {
    fn num(&mut self, c: Col) -> &mut LNum {
        match c {
            Col::OrigP => &mut self.orig_p,
            Col::RespP => &mut self.resp_p,
            Col::RespPkts => &mut self.resp_pkts,
            Col::StatusCode => &mut self.status_code,
            _ => &mut self.p,
        }
    }

    fn list(&mut self, c: Col) -> &mut Vec<LStr<'a>> {
        match c {
            Col::Answers => &mut self.answers,
            Col::TxHosts => &mut self.tx_hosts,
            Col::RxHosts => &mut self.rx_hosts,
            _ => &mut self.actions,
        }
    }

    fn string(&mut self, c: Col) -> &mut LStr<'a> {
        match c {
            Col::OrigH => &mut self.orig_h,
            Col::RespH => &mut self.resp_h,
            Col::Proto => &mut self.proto,
            Col::ConnState => &mut self.conn_state,
            Col::Query => &mut self.query,
            Col::Host => &mut self.host,
            Col::Uri => &mut self.uri,
            Col::ServerName => &mut self.server_name,
            Col::Ja3 => &mut self.ja3,
            Col::Ja3s => &mut self.ja3s,
            Col::Ja4 => &mut self.ja4,
            Col::Md5 => &mut self.md5,
            Col::Sha1 => &mut self.sha1,
            Col::Sha256 => &mut self.sha256,
            Col::Note => &mut self.note,
            Col::Msg => &mut self.msg,
            Col::Src => &mut self.src,
            _ => &mut self.dst,
        }
    }
}

fn ip(field: &str, v: Option<&str>) -> Result<Option<IpAddr>, RecordError> {
    match v {
        None | Some("-") | Some("") => Ok(None),
        Some(s) => s.parse().map(Some).map_err(|_| {
            RecordError::field(field, format!("invalid IP address {:?}", truncate(s)))
        }),
    }
}

fn port(field: &str, v: LNum) -> Result<Option<u16>, RecordError> {
    match v.0 {
        None => Ok(None),
        Some(n) => u16::try_from(n)
            .map(Some)
            .map_err(|_| RecordError::field(field, format!("port {n} out of range"))),
    }
}

fn build(log: ZeekLog, z: &Z<'_>, sensor: &Arc<Sensor>) -> Result<Observation, RecordError> {
    let time = match &z.ts {
        Ts::None => return Err(RecordError::field("ts", "missing")),
        Ts::Num(f) => epoch_from_f64(*f),
        Ts::Str(s) => parse_epoch(s).or_else(|| parse_iso8601(s)),
    }
    .ok_or_else(|| {
        let shown = match &z.ts {
            Ts::Str(s) => truncate(s).to_owned(),
            Ts::Num(f) => f.to_string(),
            Ts::None => String::new(),
        };
        RecordError::field("ts", format!("invalid timestamp {shown:?}"))
    })?;
    let mut o = Observation::new(time, sensor.clone(), log.kind());
    o.src_ip = ip("id.orig_h", z.orig_h.as_deref())?;
    o.dst_ip = ip("id.resp_h", z.resp_h.as_deref())?;
    o.src_port = port("id.orig_p", z.orig_p)?;
    o.dst_port = port("id.resp_p", z.resp_p)?;
    o.transport = z.proto.as_deref().and_then(Transport::from_name);

    match log {
        ZeekLog::Conn => {
            o.outcome = match (z.conn_state.as_deref(), z.resp_pkts.0) {
                (Some(s), _) => Outcome::from_zeek_conn_state(s),
                (None, Some(0)) => Outcome::NoReply,
                _ => Outcome::Unknown,
            };
        }
        ZeekLog::Dns => {
            if let Some(q) = z.query.as_deref() {
                o.add_domain(q);
            }
            for a in &z.answers {
                let Some(a) = a.as_deref() else { continue };
                match a.parse::<IpAddr>() {
                    Ok(ip) => o.add_resolved(ip),
                    // CNAMEs and PTR names; TXT answers carry spaces and are ignored.
                    Err(_) => {
                        o.add_domain(a);
                    }
                }
            }
        }
        ZeekLog::Http => {
            if let Some(h) = z.host.as_deref() {
                o.add_http_host(h);
            }
            o.add_http_url(z.host.as_deref(), z.uri.as_deref());
            o.http_status = port("status_code", z.status_code)?;
        }
        ZeekLog::Ssl => {
            if let Some(s) = z.server_name.as_deref() {
                o.add_domain(s);
            }
            for (kind, v) in [
                (FingerprintKind::Ja3, &z.ja3),
                (FingerprintKind::Ja3s, &z.ja3s),
                (FingerprintKind::Ja4, &z.ja4),
            ] {
                if let Some(v) = v.as_deref() {
                    o.add_fingerprint(kind, v);
                }
            }
        }
        ZeekLog::Files => {
            if o.src_ip.is_none() && o.dst_ip.is_none() {
                // Before Zeek 6 files.log had no conn id: sender -> receiver.
                let first =
                    |l: &[LStr<'_>]| l.first().and_then(|v| v.as_deref().map(str::to_owned));
                o.src_ip = ip("tx_hosts", first(&z.tx_hosts).as_deref())?;
                o.dst_ip = ip("rx_hosts", first(&z.rx_hosts).as_deref())?;
            }
            for (algo, field, v) in [
                (HashAlgo::Md5, "md5", &z.md5),
                (HashAlgo::Sha1, "sha1", &z.sha1),
                (HashAlgo::Sha256, "sha256", &z.sha256),
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
        ZeekLog::Notice => {
            if o.src_ip.is_none() {
                o.src_ip = ip("src", z.src.as_deref())?;
            }
            if o.dst_ip.is_none() {
                o.dst_ip = ip("dst", z.dst.as_deref())?;
            }
            if o.dst_port.is_none() {
                o.dst_port = port("p", z.p)?;
            }
            let Some(note) = z.note.as_deref() else {
                return Err(RecordError::field("note", "missing"));
            };
            o.signature = Some(Box::new(Signature {
                id: None,
                name: note.to_owned(),
                category: None,
                severity: None,
                message: z.msg.as_deref().map(str::to_owned),
            }));
            if z.actions
                .iter()
                .any(|a| a.as_deref() == Some("Notice::ACTION_DROP"))
            {
                o.outcome = Outcome::Blocked;
            }
        }
    }
    Ok(o)
}
