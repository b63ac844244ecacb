//! NetFlow v5, NetFlow v9 and IPFIX export datagrams, as a flow collector
//! receives them.
//!
//! Routers, firewalls and probes (softflowd, nProbe, pmacct) summarise traffic
//! into flow records and send them over UDP. [`NetflowCollector`] is the pure
//! half of a collector: the caller owns the socket and feeds every datagram
//! with the exporter's address; each flow record becomes one [`Observation`]
//! of kind [`Kind::Flow`].
//!
//! # Templates per exporter
//!
//! v9 and IPFIX records are laid out by templates that the exporter announces
//! in the same stream. Template ids are only unique per exporter, so the
//! collector keeps one `netflow_parser` parser (wire decoding and template
//! cache) per *exporter key*: the exporter's address and port plus the v9
//! source id or the IPFIX observation domain, as RFC 3954 and RFC 7011 scope
//! them. Two exporters that both use template 256 for different layouts never
//! mix. The collector wraps the parsers itself instead of using the crate's
//! `AutoScopedParser` because it also keeps, per exporter key, the IPFIX
//! `systemInitTimeMilliseconds` (needed to date records stamped in
//! `sysUpTime`) and reads each parser's counters of held data. At most
//! [`DEFAULT_MAX_EXPORTERS`] keys are kept; the least recently heard is
//! forgotten first, so spoofed source addresses cannot grow memory without
//! bound.
//!
//! Data sets whose template is not known yet are **held** (per exporter key: at
//! most 256 KiB, for 10 minutes) and decoded when the template arrives, so a
//! collector that starts in the middle of a stream loses nothing that the
//! exporter re-announces in time. [`NetflowCounts`] says how many sets waited,
//! were decoded later or were given up.
//!
//! # Malformed datagrams
//!
//! Before decoding, the framing of every datagram is checked: header, message
//! length, every set's length and id, every template record. A datagram that
//! fails is reported as one [`ParseError`] whose label is the exporter address,
//! whose line is the datagram's 1-based number in this collector, whose offset
//! is the byte offset in the datagram of the bad field (0 when only the decoder
//! could tell) and whose field names it (`header.version`, `set[1].length`,
//! `flowset[0].template[2].field[5].length`). No record of a malformed
//! datagram is used, nor, when the framing check finds the fault, its
//! templates; the collector goes on with the next datagram.
//!
//! # Time, direction and outcome
//!
//! The observation's time is the flow's end, else its start, else the export
//! time of the datagram. v5 and v9 stamp flows in the exporter's uptime: the
//! time is the header's export time minus (`sys_uptime` − `last`). IPFIX
//! absolute times (`flowEnd{Seconds,Milli,Micro,Nano}seconds`) are used as
//! they are; `flowEndSysUpTime` is added to the exporter's
//! `systemInitTimeMilliseconds` (from the same record or the exporter's options
//! data), and `flowEndDeltaMicroseconds` is taken from the export time.
//!
//! NetFlow records are unidirectional: `src` is the sender of the record's
//! packets, which for the answer direction of a connection is the server.
//! IPFIX biflows (RFC 5103, softflowd `-b`) carry both directions; softflowd
//! orders their ends by address, so the collector puts the initiator first
//! when the record shows it (`biflowDirection` says so, only the reverse side
//! sent packets, or the reverse side sent a SYN without ACK and got no SYN).
//! Ports are kept for TCP, UDP, SCTP, DCCP and UDP-Lite only (ICMP's type and
//! code, which exporters put in the destination port, are not a port).
//! [`NetflowCollector::feed_flows`] gives each record's packet and byte
//! counters too (both directions of a biflow), which the observation model has
//! no field for.
//!
//! The [`Outcome`] comes from TCP flags, the only sign of failure a one-way
//! record carries (a record's flags are all the flags seen in the flow):
//!
//! - TCP with SYN but neither ACK nor RST is `no_reply`: the sender never
//!   completed a handshake (a port scan, a dead or filtered server; the
//!   server's refusal, if any, is its own record);
//! - TCP with SYN and ACK is `answered`: a client sends ACK only after the
//!   server's SYN-ACK, and a server's SYN-ACK is an answer;
//! - TCP with RST and without SYN, FIN and PSH, in at most 2 packets carrying no
//!   payload (at most 60 bytes a packet), is `rejected`: the server's reset in
//!   answer to a SYN;
//! - a biflow whose reverse side sent no packet is `no_reply`, whatever the
//!   protocol; one whose reverse side sent RST without SYN is `rejected`; any
//!   other biflow with reply packets is `answered`;
//! - anything else (SYN with RST but no ACK, as a SYN scan resets an open port;
//!   mid-flow records; one-way records of other protocols) is `unknown`.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use netflow_parser::static_versions::v5::V5;
use netflow_parser::variable_versions::field_value::DurationValue;
use netflow_parser::variable_versions::ipfix::lookup::{IANAIPFixField, ReverseInformationElement};
use netflow_parser::variable_versions::ipfix::FlowSetBody as IpfixBody;
use netflow_parser::variable_versions::v9::FlowSetBody as V9Body;
use netflow_parser::{FieldValue, IpfixField, NetflowPacket, NetflowParser, PendingFlowsConfig};

use crate::error::{Counts, ErrorKind, ParseError, RecordError};
use crate::observation::{Kind, Observation, Outcome, Sensor, Transport};

/// Exporter keys kept by default (see [`NetflowCollector::max_exporters`]).
pub const DEFAULT_MAX_EXPORTERS: usize = 1024;

/// Held data sets of one exporter key: at most this many bytes ...
const HELD_BYTES: usize = 256 * 1024;
/// ... for at most this long ...
const HELD_FOR: Duration = Duration::from_secs(600);
/// ... for at most this many template ids, this many sets each.
const HELD_TEMPLATES: usize = 64;
const HELD_SETS_PER_TEMPLATE: usize = 64;
/// Templates cached per exporter key (least recently used forgotten first).
const TEMPLATES: usize = 1024;

/// Seconds from the NTP epoch (1900) to the Unix epoch (1970).
const NTP_UNIX_OFFSET: i64 = 2_208_988_800;

/// What a collector has received beyond the per-record [`Counts`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct NetflowCounts {
    /// Datagrams fed, malformed ones included.
    pub datagrams: u64,
    /// v9/IPFIX data sets that arrived before their template and were held.
    pub no_template: u64,
    /// Held data sets decoded once their template arrived (their records are
    /// counted in [`Counts::ok`] then).
    pub replayed: u64,
    /// Held data sets given up: expired, over the limits, undecodable with the
    /// template that came, or held by an exporter key that was forgotten.
    pub dropped: u64,
}

/// A flow record: its observation and the exporter's counters, which the
/// observation model has no field for.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowRecord {
    /// The normalised record.
    pub observation: Observation,
    /// Packets the exporter counted (both directions of a biflow).
    pub packets: Option<u64>,
    /// Bytes (IP headers and payload) the exporter counted (both directions of
    /// a biflow).
    pub bytes: Option<u64>,
}

/// The exporter key templates are scoped by (RFC 3954 §5.1, RFC 7011 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct ExporterKey {
    addr: SocketAddr,
    version: u16,
    /// v9 source id or IPFIX observation domain id.
    domain: u32,
}

struct Exporter {
    parser: NetflowParser,
    /// IPFIX `systemInitTimeMilliseconds`, from options data.
    system_init_ms: Option<i64>,
    /// Number of the datagram that last used this key, for forgetting.
    last_used: u64,
}

/// A NetFlow v5 / v9 / IPFIX collector without sockets: feed it datagrams.
///
/// ```
/// use std::net::SocketAddr;
/// use sakimori_sensor::{Kind, NetflowCollector, Outcome, Sensor};
///
/// // A NetFlow v5 datagram with one record: 192.0.2.10:51000 -> 198.51.100.7:22,
/// // TCP, SYN only (flags 0x02).
/// let mut d = vec![0, 5, 0, 1];                         // version 5, 1 record
/// d.extend(10_000u32.to_be_bytes());                    // sys_uptime (ms)
/// d.extend(1_714_521_600u32.to_be_bytes());             // unix_secs
/// d.extend([0; 12]);                                    // nsecs, sequence, engine, sampling
/// d.extend([192, 0, 2, 10, 198, 51, 100, 7, 0, 0, 0, 0]); // src, dst, next hop
/// d.extend([0; 4]);                                     // input, output interfaces
/// d.extend(1u32.to_be_bytes());                         // packets
/// d.extend(60u32.to_be_bytes());                        // bytes
/// d.extend(9_000u32.to_be_bytes());                     // first (uptime ms)
/// d.extend(9_000u32.to_be_bytes());                     // last (uptime ms)
/// d.extend(51_000u16.to_be_bytes());                    // src port
/// d.extend(22u16.to_be_bytes());                        // dst port
/// d.extend([0, 0x02, 6, 0]);                            // pad, TCP flags, protocol, tos
/// d.extend([0; 8]);                                     // AS numbers, masks, pad
///
/// let exporter: SocketAddr = "192.0.2.1:2055".parse().unwrap();
/// let mut collector = NetflowCollector::new(Sensor::new("edge-r1", "tokyo-dc1"));
/// let obs = collector.feed(&d, exporter).remove(0).unwrap();
/// assert_eq!(obs.kind, Kind::Flow);
/// assert_eq!(obs.dst_port, Some(22));
/// assert_eq!(obs.outcome, Outcome::NoReply);
/// assert_eq!(obs.time.timestamp(), 1_714_521_599); // 1 s before the export
/// assert_eq!(collector.counts().ok, 1);
/// ```
pub struct NetflowCollector {
    sensor: Arc<Sensor>,
    exporters: HashMap<ExporterKey, Exporter>,
    max_exporters: usize,
    counts: Counts,
    netflow: NetflowCounts,
}

impl std::fmt::Debug for NetflowCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetflowCollector")
            .field("sensor", &self.sensor)
            .field("exporters", &self.exporters.len())
            .field("max_exporters", &self.max_exporters)
            .field("counts", &self.counts)
            .field("netflow", &self.netflow)
            .finish()
    }
}

impl NetflowCollector {
    /// A collector attributing records to `sensor` (the collector's sensor id
    /// and site; the exporter is in the errors' label).
    pub fn new(sensor: Arc<Sensor>) -> Self {
        Self {
            sensor,
            exporters: HashMap::new(),
            max_exporters: DEFAULT_MAX_EXPORTERS,
            counts: Counts::default(),
            netflow: NetflowCounts::default(),
        }
    }

    /// Sets how many exporter keys (address, port, source id or observation
    /// domain) keep templates; the least recently heard is forgotten first.
    pub fn max_exporters(mut self, n: usize) -> Self {
        self.max_exporters = n.max(1);
        self
    }

    /// Flow records turned into observations (`ok`), malformed datagrams
    /// (`malformed`) and well-formed records not normalised (`skipped`: options
    /// data, records with neither address).
    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// Datagrams and held data sets.
    pub fn netflow_counts(&self) -> NetflowCounts {
        self.netflow
    }

    /// Exporter keys (v9 and IPFIX) whose templates are kept.
    pub fn exporters(&self) -> usize {
        self.exporters.len()
    }

    /// Reads one datagram from `exporter`: one observation per flow record
    /// (including held records whose template this datagram brought), or one
    /// error if the datagram is malformed.
    pub fn feed(
        &mut self,
        datagram: &[u8],
        exporter: SocketAddr,
    ) -> Vec<Result<Observation, ParseError>> {
        self.feed_flows(datagram, exporter)
            .into_iter()
            .map(|r| r.map(|f| f.observation))
            .collect()
    }

    /// As [`NetflowCollector::feed`], with each record's packet and byte
    /// counters.
    pub fn feed_flows(
        &mut self,
        datagram: &[u8],
        exporter: SocketAddr,
    ) -> Vec<Result<FlowRecord, ParseError>> {
        self.netflow.datagrams += 1;
        let n = self.netflow.datagrams;
        let frame = match check_frame(datagram) {
            Ok(f) => f,
            Err(bad) => return vec![Err(self.error(exporter, bad))],
        };
        let mut out = Vec::new();
        match frame {
            Frame::V5 => match V5::parse_direct(&datagram[2..]) {
                Ok((_, v5)) => self.v5(&v5, &mut out),
                Err(e) => {
                    let bad = Bad::syntax(0, "", format!("NetFlow v5: {e}"));
                    return vec![Err(self.error(exporter, bad))];
                }
            },
            Frame::V9 { source_id } => {
                let key = ExporterKey {
                    addr: exporter,
                    version: 9,
                    domain: source_id,
                };
                if let Err(bad) = self.templated(key, n, datagram, &mut out) {
                    return vec![Err(self.error(exporter, bad))];
                }
            }
            Frame::Ipfix { domain } => {
                let key = ExporterKey {
                    addr: exporter,
                    version: 10,
                    domain,
                };
                if let Err(bad) = self.templated(key, n, datagram, &mut out) {
                    return vec![Err(self.error(exporter, bad))];
                }
            }
        }
        out
    }

    fn error(&mut self, exporter: SocketAddr, bad: Bad) -> ParseError {
        self.counts.malformed += 1;
        ParseError {
            label: exporter.to_string().into(),
            line: self.netflow.datagrams,
            offset: bad.offset as u64,
            error: RecordError {
                kind: bad.kind,
                field: (!bad.field.is_empty()).then_some(bad.field),
                column: None,
                message: bad.message,
            },
        }
    }

    fn v5(&mut self, v5: &V5, out: &mut Vec<Result<FlowRecord, ParseError>>) {
        let h = &v5.header;
        let clock = Clock::Uptime {
            export_ms: i64::from(h.unix_secs) * 1000 + i64::from(h.unix_nsecs / 1_000_000),
            uptime_ms: h.sys_up_time,
        };
        for r in &v5.flowsets {
            let f = Fields {
                src: Some(IpAddr::V4(r.src_addr)),
                dst: Some(IpAddr::V4(r.dst_addr)),
                src_port: Some(r.src_port),
                dst_port: Some(r.dst_port),
                protocol: Some(r.protocol_number),
                flags: Some(u16::from(r.tcp_flags)),
                packets: Some(u64::from(r.d_pkts)),
                bytes: Some(u64::from(r.d_octets)),
                end_uptime: Some(u64::from(r.last)),
                start_uptime: Some(u64::from(r.first)),
                ..Fields::default()
            };
            self.record(f, clock, out);
        }
    }

    /// Decodes a framed v9 or IPFIX datagram with the exporter key's parser.
    fn templated(
        &mut self,
        key: ExporterKey,
        n: u64,
        datagram: &[u8],
        out: &mut Vec<Result<FlowRecord, ParseError>>,
    ) -> Result<(), Bad> {
        if !self.exporters.contains_key(&key) {
            self.make_room();
        }
        let exporter = self.exporters.entry(key).or_insert_with(|| Exporter {
            parser: new_parser(),
            system_init_ms: None,
            last_used: n,
        });
        exporter.last_used = n;
        let before = held(&exporter.parser);
        let result = exporter.parser.parse_bytes(datagram);
        let after = held(&exporter.parser);
        self.netflow.no_template += after.cached.saturating_sub(before.cached);
        self.netflow.replayed += after.replayed.saturating_sub(before.replayed);
        self.netflow.dropped += after.dropped.saturating_sub(before.dropped);
        if let Some(e) = result.error {
            return Err(Bad::syntax(0, "", e.to_string()));
        }
        let mut system_init_ms = exporter.system_init_ms;
        for packet in &result.packets {
            match packet {
                NetflowPacket::V9(v9) => {
                    let clock = Clock::Uptime {
                        export_ms: i64::from(v9.header.unix_secs) * 1000,
                        uptime_ms: v9.header.sys_up_time,
                    };
                    for set in &v9.flowsets {
                        match &set.body {
                            V9Body::Data(data) => {
                                for rec in &data.fields {
                                    self.record(v9_fields(rec), clock, out);
                                }
                            }
                            V9Body::OptionsData(data) => {
                                self.counts.skipped += data.fields.len() as u64;
                            }
                            V9Body::NoTemplate(_) => self.not_held(),
                            _ => {}
                        }
                    }
                }
                NetflowPacket::IPFix(ipfix) => {
                    let export_ms = i64::from(ipfix.header.export_time) * 1000;
                    // Options data (softflowd sends it first) may date the
                    // records that follow in the same message.
                    for set in &ipfix.flowsets {
                        if let IpfixBody::OptionsData(data) = &set.body {
                            for rec in &data.fields {
                                if let Some(t) = ipfix_fields(rec).system_init_ms {
                                    system_init_ms = Some(t);
                                }
                            }
                        }
                    }
                    let clock = Clock::Ipfix {
                        export_ms,
                        system_init_ms,
                    };
                    for set in &ipfix.flowsets {
                        match &set.body {
                            IpfixBody::Data(data) => {
                                for rec in &data.fields {
                                    self.record(ipfix_fields(rec), clock, out);
                                }
                            }
                            IpfixBody::V9Data(data) => {
                                for rec in &data.fields {
                                    self.record(v9_fields(rec), clock, out);
                                }
                            }
                            IpfixBody::OptionsData(data) => {
                                self.counts.skipped += data.fields.len() as u64;
                            }
                            IpfixBody::V9OptionsData(data) => {
                                self.counts.skipped += data.fields.len() as u64;
                            }
                            IpfixBody::NoTemplate(_) => self.not_held(),
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        if let Some(e) = self.exporters.get_mut(&key) {
            e.system_init_ms = system_init_ms;
        }
        Ok(())
    }

    /// A data set without template that the parser could not hold (over a
    /// limit); the parser counted it as dropped.
    fn not_held(&mut self) {
        self.netflow.no_template += 1;
    }

    /// Forgets the least recently heard exporter key when the table is full.
    fn make_room(&mut self) {
        while self.exporters.len() >= self.max_exporters {
            let Some(oldest) = self
                .exporters
                .iter()
                .min_by_key(|(_, e)| e.last_used)
                .map(|(k, _)| *k)
            else {
                return;
            };
            if let Some(e) = self.exporters.remove(&oldest) {
                let p = &e.parser;
                let waiting =
                    p.v9_cache_info().pending_flow_count + p.ipfix_cache_info().pending_flow_count;
                self.netflow.dropped += waiting as u64;
            }
        }
    }

    fn record(
        &mut self,
        mut f: Fields,
        clock: Clock,
        out: &mut Vec<Result<FlowRecord, ParseError>>,
    ) {
        if f.src.is_none() && f.dst.is_none() {
            self.counts.skipped += 1;
            return;
        }
        f.finish();
        let mut o = Observation::new(f.time(clock), self.sensor.clone(), Kind::Flow);
        o.src_ip = f.src;
        o.dst_ip = f.dst;
        if f.protocol.is_none_or(has_ports) {
            o.src_port = f.src_port;
            o.dst_port = f.dst_port;
        }
        o.transport = f.protocol.map(Transport::from_number);
        o.outcome = f.outcome();
        self.counts.ok += 1;
        out.push(Ok(FlowRecord {
            observation: o,
            packets: sum(f.packets, f.reverse_packets),
            bytes: sum(f.bytes, f.reverse_bytes),
        }));
    }
}

/// Both directions of a biflow, or the one direction of a flow.
fn sum(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.saturating_add(b)),
        (a, b) => a.or(b),
    }
}

/// The parser of one exporter key.
fn new_parser() -> NetflowParser {
    let mut held = PendingFlowsConfig::with_ttl(HELD_TEMPLATES, HELD_FOR);
    held.max_entries_per_template = HELD_SETS_PER_TEMPLATE;
    held.max_total_bytes = HELD_BYTES;
    NetflowParser::builder()
        .with_allowed_versions(&[9, 10])
        .with_cache_size(TEMPLATES)
        .with_pending_flows(held)
        .build()
        .expect("the collector's constant parser configuration is valid")
}

#[derive(Default)]
struct Held {
    cached: u64,
    replayed: u64,
    dropped: u64,
}

/// The parser's counters of held data sets, v9 and IPFIX together.
fn held(p: &NetflowParser) -> Held {
    let (a, b) = (p.v9_cache_info().metrics, p.ipfix_cache_info().metrics);
    Held {
        cached: a.pending_cached + b.pending_cached,
        replayed: a.pending_replayed + b.pending_replayed,
        dropped: a.pending_dropped
            + b.pending_dropped
            + a.pending_replay_failed
            + b.pending_replay_failed,
    }
}

/// IP protocols whose records carry real ports.
fn has_ports(protocol: u8) -> bool {
    matches!(protocol, 6 | 17 | 33 | 132 | 136)
}

/// How a record's times map to UTC.
#[derive(Debug, Clone, Copy)]
enum Clock {
    /// v5, v9: times are the exporter's uptime in ms; the header gives the
    /// export time and the uptime at export.
    Uptime { export_ms: i64, uptime_ms: u32 },
    /// IPFIX: export time, and the exporter's boot time when known.
    Ipfix {
        export_ms: i64,
        system_init_ms: Option<i64>,
    },
}

/// The fields of one flow record that an observation needs.
#[derive(Debug, Default)]
struct Fields {
    src: Option<IpAddr>,
    dst: Option<IpAddr>,
    src_port: Option<u16>,
    dst_port: Option<u16>,
    protocol: Option<u8>,
    flags: Option<u16>,
    packets: Option<u64>,
    bytes: Option<u64>,
    /// Total counters (and v9 `OUT_*`), used when the delta counters are absent.
    packets_total: Option<u64>,
    bytes_total: Option<u64>,
    /// Reverse direction of an IPFIX biflow (RFC 5103).
    reverse_packets: Option<u64>,
    reverse_bytes: Option<u64>,
    reverse_flags: Option<u16>,
    /// IPFIX `biflowDirection`: 1 initiator, 2 reverse initiator.
    biflow_direction: Option<u8>,
    /// Absolute times, Unix ms.
    end_ms: Option<i64>,
    start_ms: Option<i64>,
    /// Uptime-relative times (v9 `LAST_SWITCHED`, IPFIX `flowEndSysUpTime`), ms.
    end_uptime: Option<u64>,
    start_uptime: Option<u64>,
    /// IPFIX `flow{End,Start}DeltaMicroseconds`: before the export time.
    end_delta_us: Option<u64>,
    start_delta_us: Option<u64>,
    /// IPFIX `systemInitTimeMilliseconds`, Unix ms.
    system_init_ms: Option<i64>,
}

impl Fields {
    /// Sets one field from its IANA / NetFlow v9 element id (the same numbers
    /// for everything read here); the first occurrence wins.
    fn set(&mut self, id: u16, v: &FieldValue) {
        let ms = |v| number(v).and_then(|n| i64::try_from(n).ok());
        match id {
            1 => first(&mut self.bytes, number(v)),
            2 => first(&mut self.packets, number(v)),
            4 => first(
                &mut self.protocol,
                number(v).and_then(|n| n.try_into().ok()),
            ),
            6 => first(&mut self.flags, number(v).map(|n| n as u16)),
            7 | 180 | 182 => first(
                &mut self.src_port,
                number(v).and_then(|n| n.try_into().ok()),
            ),
            11 | 181 | 183 => first(
                &mut self.dst_port,
                number(v).and_then(|n| n.try_into().ok()),
            ),
            8 | 27 => address(&mut self.src, v),
            12 | 28 => address(&mut self.dst, v),
            21 => first(&mut self.end_uptime, number(v)),
            22 => first(&mut self.start_uptime, number(v)),
            23 | 85 => first(&mut self.bytes_total, number(v)),
            24 | 86 => first(&mut self.packets_total, number(v)),
            150 => first(&mut self.start_ms, ms(v).and_then(|s| s.checked_mul(1000))),
            151 => first(&mut self.end_ms, ms(v).and_then(|s| s.checked_mul(1000))),
            152 => first(&mut self.start_ms, ms(v)),
            153 => first(&mut self.end_ms, ms(v)),
            154 | 156 => first(&mut self.start_ms, ntp_ms(v)),
            155 | 157 => first(&mut self.end_ms, ntp_ms(v)),
            158 => first(&mut self.start_delta_us, number(v)),
            159 => first(&mut self.end_delta_us, number(v)),
            160 => first(&mut self.system_init_ms, ms(v)),
            239 => first(&mut self.biflow_direction, number(v).map(|n| n as u8)),
            _ => {}
        }
    }

    /// The flow's end, else its start, else the export time.
    fn time(&self, clock: Clock) -> DateTime<Utc> {
        let export_ms = match clock {
            Clock::Uptime { export_ms, .. } | Clock::Ipfix { export_ms, .. } => export_ms,
        };
        let ms = self
            .end_ms
            .or_else(|| self.relative(clock, self.end_uptime, self.end_delta_us))
            .or(self.start_ms)
            .or_else(|| self.relative(clock, self.start_uptime, self.start_delta_us));
        ms.and_then(DateTime::from_timestamp_millis)
            .or_else(|| DateTime::from_timestamp_millis(export_ms))
            .unwrap_or_default()
    }

    /// Unix ms of an uptime-relative or export-relative time.
    fn relative(&self, clock: Clock, uptime: Option<u64>, delta_us: Option<u64>) -> Option<i64> {
        match clock {
            Clock::Uptime {
                export_ms,
                uptime_ms,
            } => {
                // The uptime counter wraps after 49.7 days: read the distance
                // from the export as a signed 32-bit number of milliseconds.
                let at = u32::try_from(uptime?).ok()?;
                let ago = uptime_ms.wrapping_sub(at) as i32;
                export_ms.checked_sub(i64::from(ago))
            }
            Clock::Ipfix {
                export_ms,
                system_init_ms,
            } => {
                let init = self.system_init_ms.or(system_init_ms);
                if let (Some(up), Some(init)) = (uptime, init) {
                    return init.checked_add(i64::try_from(up).ok()?);
                }
                export_ms.checked_sub(i64::try_from(delta_us? / 1000).ok()?)
            }
        }
    }

    /// Folds the total counters in where delta counters are missing, and puts
    /// the initiator of an IPFIX biflow first when the record shows it.
    fn finish(&mut self) {
        self.packets = self.packets.or(self.packets_total);
        self.bytes = self.bytes.or(self.bytes_total);
        let Some(reply) = self.reverse_packets else {
            return;
        };
        let (flags, reply_flags) = (self.flags.unwrap_or(0), self.reverse_flags.unwrap_or(0));
        // biflowDirection 2: reverseInitiator. Otherwise: only the reverse side
        // sent anything, or it sent a SYN without ACK and got no SYN back.
        let swap = self.biflow_direction == Some(2)
            || (self.packets == Some(0) && reply > 0)
            || (self.protocol == Some(6) && reply_flags & (SYN | ACK) == SYN && flags & SYN == 0);
        if swap {
            std::mem::swap(&mut self.src, &mut self.dst);
            std::mem::swap(&mut self.src_port, &mut self.dst_port);
            std::mem::swap(&mut self.flags, &mut self.reverse_flags);
            std::mem::swap(&mut self.bytes, &mut self.reverse_bytes);
            let packets = self.packets.take();
            self.packets = Some(reply);
            self.reverse_packets = Some(packets.unwrap_or(0));
        }
    }

    /// The outcome rule of the module documentation.
    fn outcome(&self) -> Outcome {
        let tcp = self.protocol == Some(6);
        if let Some(reply) = self.reverse_packets {
            let reply_flags = self.reverse_flags.unwrap_or(0);
            return if reply == 0 {
                Outcome::NoReply
            } else if tcp && reply_flags & (SYN | RST) == RST {
                Outcome::Rejected
            } else {
                Outcome::Answered
            };
        }
        let Some(flags) = self.flags.filter(|_| tcp) else {
            return Outcome::Unknown;
        };
        if flags & SYN != 0 {
            return if flags & ACK != 0 {
                Outcome::Answered
            } else if flags & RST == 0 {
                Outcome::NoReply
            } else {
                Outcome::Unknown
            };
        }
        if flags & (RST | FIN | PSH) == RST {
            if let (Some(p @ 1..=2), Some(b)) = (self.packets, self.bytes) {
                if b <= p * 60 {
                    return Outcome::Rejected;
                }
            }
        }
        Outcome::Unknown
    }
}

const FIN: u16 = 0x01;
const SYN: u16 = 0x02;
const RST: u16 = 0x04;
const PSH: u16 = 0x08;
const ACK: u16 = 0x10;

fn first<T>(slot: &mut Option<T>, v: Option<T>) {
    if slot.is_none() {
        *slot = v;
    }
}

/// An address field; a zero address (an exporter's unused IPv4 or IPv6 column)
/// gives way to a real one.
fn address(slot: &mut Option<IpAddr>, v: &FieldValue) {
    let ip = match v {
        FieldValue::Ip4Addr(a) => IpAddr::V4(*a),
        FieldValue::Ip6Addr(a) => IpAddr::V6(*a),
        FieldValue::Vec(b) => match <[u8; 4]>::try_from(b.as_slice()) {
            Ok(b4) => IpAddr::V4(Ipv4Addr::from(b4)),
            Err(_) => match <[u8; 16]>::try_from(b.as_slice()) {
                Ok(b16) => IpAddr::V6(Ipv6Addr::from(b16)),
                Err(_) => return,
            },
        },
        _ => return,
    };
    match slot {
        None => *slot = Some(ip),
        Some(cur) if cur.is_unspecified() && !ip.is_unspecified() => *slot = Some(ip),
        Some(_) => {}
    }
}

/// An unsigned value in its element's own unit, however the parser typed it.
fn number(v: &FieldValue) -> Option<u64> {
    match v {
        FieldValue::DataNumber(n) => n.as_u64().or_else(|| match n {
            netflow_parser::DataNumber::Vec(b) => be_bytes(b),
            _ => None,
        }),
        FieldValue::Duration(DurationValue::Seconds { value, .. })
        | FieldValue::Duration(DurationValue::Millis { value, .. }) => Some(*value),
        FieldValue::ProtocolType(p) => Some(u64::from(u8::from(*p))),
        FieldValue::TcpControlBits(bits, _) => Some(u64::from(u16::from(*bits))),
        FieldValue::Vec(b) => be_bytes(b),
        _ => None,
    }
}

fn be_bytes(b: &[u8]) -> Option<u64> {
    (!b.is_empty() && b.len() <= 8).then(|| b.iter().fold(0u64, |n, x| n << 8 | u64::from(*x)))
}

/// Unix ms of an NTP timestamp (IPFIX `dateTimeMicroseconds`, `...Nanoseconds`).
fn ntp_ms(v: &FieldValue) -> Option<i64> {
    let (seconds, fraction) = match v {
        FieldValue::Duration(DurationValue::MicrosNtp { seconds, fraction })
        | FieldValue::Duration(DurationValue::NanosNtp { seconds, fraction }) => {
            (*seconds, *fraction)
        }
        other => {
            let n = number(other)?;
            ((n >> 32) as u32, n as u32)
        }
    };
    let ms = (u64::from(fraction) * 1000) >> 32;
    Some((i64::from(seconds) - NTP_UNIX_OFFSET) * 1000 + ms as i64)
}

fn v9_fields(rec: &[(netflow_parser::V9Field, FieldValue)]) -> Fields {
    let mut f = Fields::default();
    for (k, v) in rec {
        f.set(u16::from(*k), v);
    }
    f
}

fn ipfix_fields(rec: &[(IpfixField, FieldValue)]) -> Fields {
    use ReverseInformationElement as R;
    let mut f = Fields::default();
    for (k, v) in rec {
        match k {
            IpfixField::IANA(e) => {
                if let Some(id) = iana_id(*e) {
                    f.set(id, v);
                }
            }
            IpfixField::ReverseInformationElement(R::ReversePacketDeltaCount)
            | IpfixField::ReverseInformationElement(R::ReversePacketTotalCount) => {
                first(&mut f.reverse_packets, number(v));
            }
            IpfixField::ReverseInformationElement(R::ReverseOctetDeltaCount)
            | IpfixField::ReverseInformationElement(R::ReverseOctetTotalCount) => {
                first(&mut f.reverse_bytes, number(v));
            }
            IpfixField::ReverseInformationElement(R::ReverseTcpControlBits) => {
                first(&mut f.reverse_flags, number(v).map(|n| n as u16));
            }
            _ => {}
        }
    }
    f
}

/// The element id of the IANA elements [`Fields::set`] reads (the parser's
/// enum has no conversion back to the number).
fn iana_id(e: IANAIPFixField) -> Option<u16> {
    use IANAIPFixField as I;
    Some(match e {
        I::OctetDeltaCount => 1,
        I::PacketDeltaCount => 2,
        I::ProtocolIdentifier => 4,
        I::TcpControlBits => 6,
        I::SourceTransportPort => 7,
        I::SourceIpv4address => 8,
        I::DestinationTransportPort => 11,
        I::DestinationIpv4address => 12,
        I::FlowEndSysUpTime => 21,
        I::FlowStartSysUpTime => 22,
        I::PostOctetDeltaCount => 23,
        I::PostPacketDeltaCount => 24,
        I::SourceIpv6address => 27,
        I::DestinationIpv6address => 28,
        I::OctetTotalCount => 85,
        I::PacketTotalCount => 86,
        I::FlowStartSeconds => 150,
        I::FlowEndSeconds => 151,
        I::FlowStartMilliseconds => 152,
        I::FlowEndMilliseconds => 153,
        I::FlowStartMicroseconds => 154,
        I::FlowEndMicroseconds => 155,
        I::FlowStartNanoseconds => 156,
        I::FlowEndNanoseconds => 157,
        I::FlowStartDeltaMicroseconds => 158,
        I::FlowEndDeltaMicroseconds => 159,
        I::SystemInitTimeMilliseconds => 160,
        I::UdpSourcePort => 180,
        I::UdpDestinationPort => 181,
        I::TcpSourcePort => 182,
        I::TcpDestinationPort => 183,
        I::BiflowDirection => 239,
        I::Unknown(n) => n,
        _ => return None,
    })
}

// ---------------------------------------------------------------------------
// Framing checks: every length and id is checked before decoding, so that an
// error can name the byte offset and the field.

/// A framing error: where in the datagram, which field, what.
#[derive(Debug)]
struct Bad {
    offset: usize,
    kind: ErrorKind,
    field: String,
    message: String,
}

impl Bad {
    fn syntax(offset: usize, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            offset,
            kind: ErrorKind::Syntax,
            field: field.into(),
            message: message.into(),
        }
    }

    fn field(offset: usize, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Field,
            ..Self::syntax(offset, field, message)
        }
    }
}

/// A well-framed datagram.
#[derive(Debug, Clone, Copy)]
enum Frame {
    V5,
    V9 { source_id: u32 },
    Ipfix { domain: u32 },
}

fn be16(d: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([d[at], d[at + 1]])
}

fn be32(d: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([d[at], d[at + 1], d[at + 2], d[at + 3]])
}

fn check_frame(d: &[u8]) -> Result<Frame, Bad> {
    if d.len() < 2 {
        return Err(Bad::syntax(
            0,
            "header.version",
            format!("datagram of {} bytes has no version", d.len()),
        ));
    }
    let header = |len: usize, name: &str| {
        if d.len() < len {
            Err(Bad::syntax(
                d.len(),
                "header",
                format!(
                    "{name} header needs {len} bytes, the datagram has {}",
                    d.len()
                ),
            ))
        } else {
            Ok(())
        }
    };
    match be16(d, 0) {
        5 => {
            header(24, "NetFlow v5")?;
            let count = usize::from(be16(d, 2));
            if !(1..=30).contains(&count) {
                return Err(Bad::field(
                    2,
                    "header.count",
                    format!("{count} records (1 to 30 fit a v5 datagram)"),
                ));
            }
            let want = 24 + 48 * count;
            if d.len() < want {
                return Err(Bad::syntax(
                    d.len(),
                    format!("record[{}]", (d.len() - 24) / 48),
                    format!(
                        "{count} records need {want} bytes, the datagram has {}",
                        d.len()
                    ),
                ));
            }
            if d.len() > want {
                return Err(Bad::syntax(
                    want,
                    "",
                    format!("{} bytes after the last of {count} records", d.len() - want),
                ));
            }
            Ok(Frame::V5)
        }
        9 => {
            header(20, "NetFlow v9")?;
            if d.len() == 20 {
                return Err(Bad::syntax(20, "flowset[0]", "no flowset after the header"));
            }
            check_sets(d, 20, d.len(), false)?;
            Ok(Frame::V9 {
                source_id: be32(d, 16),
            })
        }
        10 => {
            header(16, "IPFIX")?;
            let len = usize::from(be16(d, 2));
            if len < 16 {
                return Err(Bad::field(
                    2,
                    "header.length",
                    format!("message length {len} is shorter than the 16-byte header"),
                ));
            }
            if len != d.len() {
                let what = if len > d.len() {
                    "the message is truncated"
                } else {
                    "bytes follow the message"
                };
                return Err(Bad::syntax(
                    2,
                    "header.length",
                    format!("message length {len}, datagram {} bytes: {what}", d.len()),
                ));
            }
            check_sets(d, 16, len, true)?;
            Ok(Frame::Ipfix {
                domain: be32(d, 12),
            })
        }
        v => Err(Bad::field(
            0,
            "header.version",
            format!("unsupported version {v} (NetFlow 5 and 9, IPFIX 10 are read)"),
        )),
    }
}

/// Checks the sets (v9: flowsets) of a message between `at` and `end`.
fn check_sets(d: &[u8], mut at: usize, end: usize, ipfix: bool) -> Result<(), Bad> {
    let word = if ipfix { "set" } else { "flowset" };
    let mut i = 0;
    while at < end {
        let name = format!("{word}[{i}]");
        if end - at < 4 {
            return Err(Bad::syntax(
                at,
                name,
                format!("{} bytes left, too few for a set header", end - at),
            ));
        }
        let id = be16(d, at);
        let len = usize::from(be16(d, at + 2));
        if len < 4 {
            return Err(Bad::field(
                at + 2,
                format!("{name}.length"),
                format!("length {len} is shorter than the 4-byte set header"),
            ));
        }
        if len > end - at {
            return Err(Bad::syntax(
                at + 2,
                format!("{name}.length"),
                format!(
                    "length {len} runs past the message ({} bytes left)",
                    end - at
                ),
            ));
        }
        let body = &d[at + 4..at + len];
        let base = at + 4;
        match id {
            // IPFIX messages may carry v9-style templates too (the parser reads them).
            0 => check_templates(body, base, &name, false)?,
            1 => check_v9_options(body, base, &name)?,
            2 if ipfix => check_templates(body, base, &name, true)?,
            3 if ipfix => check_ipfix_options(body, base, &name)?,
            256.. => {}
            _ => {
                return Err(Bad::field(
                    at,
                    format!("{name}.id"),
                    format!("reserved set id {id}"),
                ))
            }
        }
        at += len;
        i += 1;
    }
    Ok(())
}

/// True when the rest of a set is padding (RFC 3954 §5.3, RFC 7011 §3.3.1).
fn padding(rest: &[u8], record_header: usize) -> bool {
    rest.len() < record_header || rest.iter().all(|b| *b == 0)
}

fn template_id(body: &[u8], at: usize, base: usize, name: &str) -> Result<(), Bad> {
    let id = be16(body, at);
    if id < 256 {
        return Err(Bad::field(
            base + at,
            format!("{name}.id"),
            format!("template id {id} is below 256"),
        ));
    }
    Ok(())
}

/// Template records (set 0 of v9, set 2 of IPFIX).
fn check_templates(body: &[u8], base: usize, set: &str, ipfix: bool) -> Result<(), Bad> {
    let mut at = 0;
    let mut n = 0;
    while !padding(&body[at..], 4) {
        let name = format!("{set}.template[{n}]");
        template_id(body, at, base, &name)?;
        let count = be16(body, at + 2);
        at += 4;
        if count == 0 {
            if ipfix {
                n += 1;
                continue; // a template withdrawal (RFC 7011 §8.1)
            }
            return Err(Bad::field(
                base + at - 2,
                format!("{name}.field_count"),
                "template without fields",
            ));
        }
        check_fields(body, &mut at, base, &name, "field", count, ipfix)?.check(base + at, &name)?;
        n += 1;
    }
    Ok(())
}

/// v9 options template records (set 1).
fn check_v9_options(body: &[u8], base: usize, set: &str) -> Result<(), Bad> {
    let mut at = 0;
    let mut n = 0;
    while !padding(&body[at..], 6) {
        let name = format!("{set}.options_template[{n}]");
        template_id(body, at, base, &name)?;
        let scope = be16(body, at + 2);
        let options = be16(body, at + 4);
        for (value, off, what) in [(scope, 2, "scope_length"), (options, 4, "option_length")] {
            if value % 4 != 0 {
                return Err(Bad::field(
                    base + at + off,
                    format!("{name}.{what}"),
                    format!("{value} is not a multiple of 4 bytes"),
                ));
            }
        }
        if scope == 0 {
            return Err(Bad::field(
                base + at + 2,
                format!("{name}.scope_length"),
                "options template without a scope field",
            ));
        }
        at += 6;
        let mut sizes = check_fields(body, &mut at, base, &name, "scope", scope / 4, false)?;
        sizes.add(check_fields(
            body,
            &mut at,
            base,
            &name,
            "field",
            options / 4,
            false,
        )?);
        sizes.check(base + at, &name)?;
        n += 1;
    }
    Ok(())
}

/// IPFIX options template records (set 3).
fn check_ipfix_options(body: &[u8], base: usize, set: &str) -> Result<(), Bad> {
    let mut at = 0;
    let mut n = 0;
    while !padding(&body[at..], 4) {
        let name = format!("{set}.options_template[{n}]");
        template_id(body, at, base, &name)?;
        let count = be16(body, at + 2);
        if count == 0 {
            at += 4;
            n += 1;
            continue; // a withdrawal
        }
        if body.len() - at < 6 {
            return Err(Bad::syntax(
                base + at,
                format!("{name}.scope_field_count"),
                "options template record cut short",
            ));
        }
        let scope = be16(body, at + 4);
        if scope == 0 || scope >= count {
            return Err(Bad::field(
                base + at + 4,
                format!("{name}.scope_field_count"),
                format!("{scope} scope fields of {count}: needs at least one of each kind"),
            ));
        }
        at += 6;
        check_fields(body, &mut at, base, &name, "field", count, true)?.check(base + at, &name)?;
        n += 1;
    }
    Ok(())
}

/// The record size of a template, added up over its field lists.
#[derive(Default)]
struct Sizes {
    fixed: usize,
    variable: bool,
}

impl Sizes {
    fn add(&mut self, other: Sizes) {
        self.fixed += other.fixed;
        self.variable |= other.variable;
    }

    fn check(&self, offset: usize, name: &str) -> Result<(), Bad> {
        if self.fixed == 0 && !self.variable {
            return Err(Bad::field(
                offset,
                name,
                "records of this template are empty",
            ));
        }
        if self.fixed > usize::from(u16::MAX) {
            return Err(Bad::field(
                offset,
                name,
                format!("records of {} bytes cannot fit a datagram", self.fixed),
            ));
        }
        Ok(())
    }
}

/// `count` field specifiers from `at`: type, length and (IPFIX, enterprise
/// bit set) the enterprise number.
fn check_fields(
    body: &[u8],
    at: &mut usize,
    base: usize,
    name: &str,
    what: &str,
    count: u16,
    ipfix: bool,
) -> Result<Sizes, Bad> {
    let mut sizes = Sizes::default();
    for k in 0..count {
        let field = format!("{name}.{what}[{k}]");
        let enterprise = ipfix && body.len() - *at >= 2 && body[*at] & 0x80 != 0;
        let need = if enterprise { 8 } else { 4 };
        if body.len() - *at < need {
            return Err(Bad::syntax(
                base + *at,
                field,
                format!("{count} field specifiers run past the end of the set"),
            ));
        }
        let len = be16(body, *at + 2);
        match len {
            u16::MAX if ipfix => sizes.variable = true,
            u16::MAX => {
                return Err(Bad::field(
                    base + *at + 2,
                    format!("{field}.length"),
                    "NetFlow v9 has no variable-length fields",
                ))
            }
            0 if ipfix => {
                return Err(Bad::field(
                    base + *at + 2,
                    format!("{field}.length"),
                    "zero-length field",
                ))
            }
            len => sizes.fixed += usize::from(len),
        }
        *at += need;
    }
    Ok(sizes)
}
