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
//! ```
//! use sakimori_sensor::{EveReader, Sensor};
//!
//! let eve = br#"{"timestamp":"2024-05-01T09:00:00.000000+0900","event_type":"tls","src_ip":"192.0.2.10","src_port":51000,"dest_ip":"198.51.100.7","dest_port":443,"proto":"TCP","tls":{"sni":"Login.Example.COM"}}"#;
//! let mut reader = EveReader::new(&eve[..], "eve.json", Sensor::new("tap-1", "tokyo-dc1"));
//! let obs = reader.next().unwrap().unwrap();
//! assert_eq!(obs.domains, ["login.example.com"]);
//! assert_eq!(reader.counts().ok, 1);
//! ```

pub mod dnslog;
pub mod error;
pub mod eve;
pub mod observation;
pub mod reader;
mod util;
pub mod zeek;

pub use dnslog::{DnsLogParser, DnsLogReader};
pub use error::{Counts, ErrorKind, ParseError, RecordError};
pub use eve::{EveParser, EveReader};
pub use observation::{
    FileHash, Fingerprint, FingerprintKind, HashAlgo, Kind, Observation, Outcome, Sensor,
    Signature, Transport,
};
pub use reader::{LineParser, Parsed, Reader, DEFAULT_MAX_LINE};
pub use util::{parse_epoch, parse_iso8601};
pub use zeek::{ZeekLog, ZeekParser, ZeekReader};
