//! DNS server query logs: BIND 9 (`querylog`) and Unbound (`log-queries`,
//! `log-replies`). The format is recognised line by line, so one stream may
//! mix both.
//!
//! BIND, with or without the leading date and category (`print-time`,
//! `print-category`, `print-severity`), with or without the client object
//! address (`@0x...`, BIND 9.10+), with or without a `view NAME:` part:
//!
//! ```text
//! 15-Nov-2023 10:15:30.123 queries: info: client @0x7f5e2c0a1b68 192.0.2.1#53413 (example.com): query: example.com IN A +E(0)K (198.51.100.1)
//! client @0x7f5e2c0a1b68 192.0.2.1#53413 (example.com): query: example.com IN A +E(0)K (198.51.100.1)
//! ```
//!
//! Unbound, with the epoch (`[1700000000]`), `log-time-ascii` or ISO 8601 time:
//!
//! ```text
//! [1700000000] unbound[123:0] info: 192.0.2.1 example.com. A IN
//! [1700000000] unbound[123:0] info: 192.0.2.1 example.com. A IN NOERROR 0.000000 0 56
//! ```
//!
//! Lines without a year (syslog prefixes, `log-time-ascii`) or without any
//! time take the parser's default time ([`DnsLogParser::default_time`]; the
//! time of parsing if none was set). BIND writes local time: set
//! [`DnsLogParser::utc_offset`] when the server's clock is not UTC. Other
//! server messages (start-up, `query-errors`, RPZ) are counted as skipped.

use std::io::BufRead;
use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};

use crate::error::{ErrorKind, RecordError};
use crate::eve::truncate;
use crate::observation::{Kind, Observation, Sensor, Transport};
use crate::reader::{LineParser, Parsed, Reader};
use crate::util::{parse_epoch, parse_iso8601};

/// A reader of BIND and Unbound query logs.
pub type DnsLogReader<R> = Reader<R, DnsLogParser>;

impl<R: BufRead> Reader<R, DnsLogParser> {
    /// Reads a DNS query log from `inner`; `label` names the source in errors.
    /// Use [`Reader::with_parser`] with a configured [`DnsLogParser`] to set
    /// the default time or the server's UTC offset.
    pub fn new(inner: R, label: impl Into<Arc<str>>, sensor: Arc<Sensor>) -> Self {
        Reader::with_parser(inner, label, DnsLogParser::new(sensor))
    }
}

/// Parses BIND and Unbound query log lines.
#[derive(Debug, Clone)]
pub struct DnsLogParser {
    sensor: Arc<Sensor>,
    default_time: Option<DateTime<Utc>>,
    offset: FixedOffset,
}

impl DnsLogParser {
    /// A parser attributing records to `sensor`.
    pub fn new(sensor: Arc<Sensor>) -> Self {
        Self {
            sensor,
            default_time: None,
            offset: FixedOffset::east_opt(0).expect("zero offset"),
        }
    }

    /// The time given to lines that carry none (or no year).
    pub fn default_time(mut self, t: DateTime<Utc>) -> Self {
        self.default_time = Some(t);
        self
    }

    /// The UTC offset of the server's local time, for BIND's dates.
    pub fn utc_offset(mut self, offset: FixedOffset) -> Self {
        self.offset = offset;
        self
    }

    fn fallback(&self) -> DateTime<Utc> {
        self.default_time.unwrap_or_else(Utc::now)
    }

    /// The time in the part of a line before the message.
    fn prefix_time(&self, prefix: &str) -> DateTime<Utc> {
        let mut tokens = prefix.split_ascii_whitespace();
        let first = tokens.next().unwrap_or_default();
        if let Some(epoch) = first.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            if let Some(t) = parse_epoch(epoch) {
                return t;
            }
        }
        if let Some(t) = parse_iso8601(first) {
            return t;
        }
        // BIND: 15-Nov-2023 10:15:30.123, local time.
        if first.len() == 11 && first.as_bytes().get(2) == Some(&b'-') {
            if let Some(second) = tokens.next() {
                let s = format!("{first} {second}");
                if let Ok(naive) = NaiveDateTime::parse_from_str(&s, "%d-%b-%Y %H:%M:%S%.f") {
                    if let Some(t) = self.offset.from_local_datetime(&naive).single() {
                        return t.with_timezone(&Utc);
                    }
                }
            }
        }
        self.fallback()
    }

    fn bind(&self, line: &str, client_at: usize) -> Result<Parsed, RecordError> {
        let err = |col: usize, field: &str, msg: String| RecordError {
            kind: ErrorKind::Field,
            field: Some(field.to_owned()),
            column: Some(col + 1),
            message: msg,
        };
        let time = self.prefix_time(&line[..client_at]);
        let mut pos = client_at + "client ".len();
        let mut rest = &line[pos..];
        if rest.starts_with('@') {
            let n = rest.find(' ').unwrap_or(rest.len());
            pos += n + 1;
            rest = rest.get(n + 1..).unwrap_or_default();
        }
        let addr = rest.split(' ').next().unwrap_or_default();
        let (ip, port) = match addr.rsplit_once('#') {
            Some((ip, port)) => (ip, Some(port)),
            None => (addr.trim_end_matches(':'), None),
        };
        let ip: IpAddr = ip.parse().map_err(|_| {
            err(
                pos,
                "client",
                format!("invalid client address {:?}", truncate(addr)),
            )
        })?;
        let port = match port {
            Some(p) => Some(p.trim_end_matches(':').parse::<u16>().map_err(|_| {
                err(
                    pos,
                    "client",
                    format!("invalid client port {:?}", truncate(p)),
                )
            })?),
            None => None,
        };
        let q = line[pos..]
            .find(" query: ")
            .map(|i| pos + i + " query: ".len())
            .ok_or_else(|| RecordError::syntax("no \"query:\" part"))?;
        let mut parts = line[q..].split_ascii_whitespace();
        let (Some(name), Some(_class), Some(_qtype)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(err(q, "query", "expected \"NAME CLASS TYPE\"".into()));
        };
        let flags = parts.next().unwrap_or_default();
        let server = parts
            .next()
            .and_then(|s| s.strip_prefix('(')?.strip_suffix(')'));
        let mut o = Observation::new(time, self.sensor.clone(), Kind::Dns);
        o.src_ip = Some(ip);
        o.src_port = port;
        o.dst_ip = server.and_then(|s| s.parse().ok());
        // Flags: + or - (recursion), S signed, E(n) EDNS, T TCP, D DO, C CD, V/K cookie.
        let tcp = flags
            .split_once(')')
            .map_or(flags, |(_, after)| after)
            .contains('T')
            || flags.split('(').next().unwrap_or_default().contains('T');
        o.transport = Some(if tcp { Transport::Tcp } else { Transport::Udp });
        if !o.add_domain(name) && name != "." {
            return Err(err(
                q,
                "query",
                format!("invalid query name {:?}", truncate(name)),
            ));
        }
        Ok(Parsed::Record(o))
    }

    fn unbound(&self, line: &str, info_at: usize) -> Result<Parsed, RecordError> {
        let start = info_at + " info: ".len();
        let mut parts = line[start..].split_ascii_whitespace();
        let client = parts.next().unwrap_or_default();
        let (ip, port) = match client.split_once(['@', '#']) {
            Some((ip, port)) => (ip, port.parse::<u16>().ok()),
            None => (client, None),
        };
        let Ok(ip) = ip.parse::<IpAddr>() else {
            // "info: start of service", "info: server stats ...", ...
            return Ok(Parsed::Skipped);
        };
        let (Some(name), Some(_qtype), Some(_class)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(RecordError {
                kind: ErrorKind::Syntax,
                field: Some("query".into()),
                column: Some(start + client.len() + 2),
                message: "expected \"NAME TYPE CLASS\" after the client address".into(),
            });
        };
        let time = self.prefix_time(&line[..info_at]);
        let mut o = Observation::new(time, self.sensor.clone(), Kind::Dns);
        o.src_ip = Some(ip);
        o.src_port = port;
        if !o.add_domain(name) && name != "." {
            return Err(RecordError::field(
                "query",
                format!("invalid query name {:?}", truncate(name)),
            ));
        }
        Ok(Parsed::Record(o))
    }
}

impl LineParser for DnsLogParser {
    fn parse_line(&mut self, line: &[u8]) -> Result<Parsed, RecordError> {
        let line = std::str::from_utf8(line).map_err(|e| RecordError {
            kind: ErrorKind::Encoding,
            field: None,
            column: Some(e.valid_up_to() + 1),
            message: "invalid UTF-8".into(),
        })?;
        if let Some(at) = find_token(line, "client ") {
            if line[at..].contains(" query: ") {
                return self.bind(line, at);
            }
            return Ok(Parsed::Skipped);
        }
        if let Some(at) = line.find(" info: ") {
            if line[..at].contains("unbound") {
                return self.unbound(line, at);
            }
        }
        Ok(Parsed::Skipped)
    }
}

/// `needle` at the start of the line or after a space.
fn find_token(line: &str, needle: &str) -> Option<usize> {
    if line.starts_with(needle) {
        return Some(0);
    }
    line.find(&format!(" {needle}")[..]).map(|i| i + 1)
}
