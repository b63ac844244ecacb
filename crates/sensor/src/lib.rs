//! Sensor formats of Sakimori: the ingest end of the GSOC triage pipeline.
//!
//! Sensors near the traffic write Suricata EVE JSON, Zeek logs and DNS server
//! query logs. This crate reads them line by line from any [`std::io::BufRead`]
//! and turns every record into one normalised [`Observation`]: when, which
//! sensor at which site, what kind of record, the network tuple, the
//! observables that indicators are matched against (domains, URLs, resolved
//! addresses, file hashes, JA3/JA3S/JA4) and whether the attempt visibly
//! failed ([`Outcome`]), which the noise filter uses.
//!
//! Readers never stop on a malformed record: each yields
//! `Result<Observation, ParseError>`, where a [`ParseError`] names the source,
//! the 1-based line, the byte offset and the field, and keeps [`Counts`] of
//! records read, malformed and skipped. The crate does no I/O of its own
//! beyond the reader it is given: no network, no database.
//!
//! - [`EveReader`]: Suricata EVE (`alert`, `anomaly`, `dns`, `fileinfo`,
//!   `flow`, `http`, `tls`);
//! - [`ZeekReader`]: Zeek `conn`, `dns`, `http`, `ssl`, `files`, `notice`
//!   logs, TSV with headers or JSON lines;
//! - [`DnsLogReader`]: BIND and Unbound query logs.
//!
//! Flow exporters send datagrams rather than write lines:
//! [`NetflowCollector`] is fed NetFlow v5, v9 and IPFIX datagrams with the
//! exporter's address (the caller owns the socket), keeps v9/IPFIX templates
//! per exporter and observation domain, holds data that comes before its
//! template, and turns every flow record into a `flow` observation whose
//! [`Outcome`] comes from the TCP flags ([`FlowRecord`] adds the packet and
//! byte counters). A malformed datagram is one [`ParseError`] (label: the
//! exporter; line: the datagram's number; offset: the byte in the datagram)
//! and never stops the collector.
//!
//! Then the triage itself, also free of I/O: [`noise`] drops failed attempts,
//! research scanners, warninglisted matches and suppressed records;
//! [`detect`] matches what is left against every active indicator;
//! [`triage`] bundles similar attempts into events requiring confirmation;
//! [`Engine`] runs the three over a batch.
//!
//! ```
//! use sakimori_sensor::{EveReader, Sensor};
//!
//! let eve = br#"{"timestamp":"2024-05-01T09:00:00.000000+0900","event_type":"tls","src_ip":"192.0.2.10","src_port":51000,"dest_ip":"198.51.100.7","dest_port":443,"proto":"TCP","tls":{"sni":"Login.Example.COM"}}"#;
//! let mut reader = EveReader::new(&eve[..], "eve.json", Sensor::new("tap-1", "tokyo-dc1"));
//! let obs = reader.next().unwrap().unwrap();
//! assert_eq!(obs.domains, ["login.example.com"]);
//! assert_eq!(reader.counts().ok, 1);
//! ```

pub mod detect;
pub mod dnslog;
pub mod engine;
pub mod error;
pub mod eve;
pub mod netflow;
pub mod noise;
pub mod observation;
pub mod reader;
pub mod triage;
mod util;
pub mod zeek;

pub use detect::{Hit, Matcher};
pub use dnslog::{DnsLogParser, DnsLogReader};
pub use engine::{Batch, Engine, Tally};
pub use error::{Counts, ErrorKind, ParseError, RecordError};
pub use eve::{EveParser, EveReader};
pub use netflow::{FlowRecord, NetflowCollector, NetflowCounts};
pub use observation::{
    FileHash, Fingerprint, FingerprintKind, HashAlgo, Kind, Observation, Outcome, Sensor,
    Signature, Transport,
};
pub use reader::{LineParser, Parsed, Reader, DEFAULT_MAX_LINE};
pub use util::{parse_epoch, parse_iso8601};
pub use zeek::{ZeekLog, ZeekParser, ZeekReader};
