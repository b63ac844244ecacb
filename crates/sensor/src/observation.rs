//! The one normalised observation model that every sensor format is turned into.
//!
//! An [`Observation`] keeps only what the detection engine needs: when, which
//! sensor at which site, what kind of record, the network tuple, the observables
//! that indicators are matched against (domains, URLs, resolved addresses, file
//! hashes, TLS fingerprints), the detection that fired (for alerts, anomalies and
//! notices) and the visible [`Outcome`] of the attempt, which the noise filter
//! uses to drop attacks that already failed. Raw sensor fields are not kept.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The sensor that produced a record and the site where it sits.
///
/// One `Arc<Sensor>` is shared by every observation of a source, so cloning it
/// per record costs one reference count.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Sensor {
    /// Sensor identifier, unique in the deployment (e.g. `gsoc1-tap-03`).
    pub id: String,
    /// The site the sensor watches (e.g. `kasumigaseki-dc1`).
    pub site: String,
}

impl Sensor {
    /// A sensor with its id and site, ready to be shared by readers.
    pub fn new(id: impl Into<String>, site: impl Into<String>) -> Arc<Self> {
        Arc::new(Self {
            id: id.into(),
            site: site.into(),
        })
    }
}

/// What kind of record the observation came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A signature matched (Suricata `alert`).
    Alert,
    /// A DNS query or response (Suricata `dns`, Zeek `dns.log`, BIND, Unbound).
    Dns,
    /// An HTTP transaction (Suricata `http`, Zeek `http.log`).
    Http,
    /// A TLS handshake (Suricata `tls`, Zeek `ssl.log`).
    Tls,
    /// A flow record from a flow table (Suricata `flow`).
    Flow,
    /// A file seen on the wire (Suricata `fileinfo`, Zeek `files.log`).
    File,
    /// A protocol or decoder anomaly (Suricata `anomaly`).
    Anomaly,
    /// A notice raised by a detection script (Zeek `notice.log`).
    Notice,
    /// A connection summary (Zeek `conn.log`).
    Conn,
}

impl Kind {
    /// The lower-case name used in documents and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Alert => "alert",
            Kind::Dns => "dns",
            Kind::Http => "http",
            Kind::Tls => "tls",
            Kind::Flow => "flow",
            Kind::File => "file",
            Kind::Anomaly => "anomaly",
            Kind::Notice => "notice",
            Kind::Conn => "conn",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Transport protocol of the flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    /// TCP (IP protocol 6).
    Tcp,
    /// UDP (IP protocol 17).
    Udp,
    /// ICMP (IP protocol 1).
    Icmp,
    /// ICMPv6 (IP protocol 58).
    Icmpv6,
    /// SCTP (IP protocol 132).
    Sctp,
    /// Any other IP protocol, by number.
    Other(u8),
}

impl Transport {
    /// From an IP protocol number.
    pub fn from_number(n: u8) -> Self {
        match n {
            6 => Transport::Tcp,
            17 => Transport::Udp,
            1 => Transport::Icmp,
            58 => Transport::Icmpv6,
            132 => Transport::Sctp,
            n => Transport::Other(n),
        }
    }

    /// From a name as Suricata (`TCP`, `IPv6-ICMP`) or Zeek (`tcp`, `icmp`)
    /// writes it, or a decimal protocol number. `None` when unknown
    /// (e.g. Zeek's `unknown_transport`).
    pub fn from_name(s: &str) -> Option<Self> {
        if let Ok(n) = s.parse::<u8>() {
            return Some(Self::from_number(n));
        }
        let t = if s.eq_ignore_ascii_case("tcp") {
            Transport::Tcp
        } else if s.eq_ignore_ascii_case("udp") {
            Transport::Udp
        } else if s.eq_ignore_ascii_case("icmp") {
            Transport::Icmp
        } else if s.eq_ignore_ascii_case("ipv6-icmp") || s.eq_ignore_ascii_case("icmpv6") {
            Transport::Icmpv6
        } else if s.eq_ignore_ascii_case("sctp") {
            Transport::Sctp
        } else {
            return None;
        };
        Some(t)
    }
}

/// Whether the attempt visibly failed, as far as the record can tell.
///
/// `Blocked`, `NoReply` and `Rejected` are failures ([`Outcome::failed`]); the
/// noise filter may drop them. `Answered` means the responder took part;
/// `Unknown` means the record does not say.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The record does not say.
    #[default]
    Unknown,
    /// An inline sensor dropped the traffic (Suricata alert `action: blocked`).
    Blocked,
    /// The responder never answered (flow without packets to the client; Zeek
    /// `S0`, `SH`, `RSTOS0`).
    NoReply,
    /// The responder refused the connection (Zeek `REJ`).
    Rejected,
    /// The responder answered (established flow with reply traffic; Zeek `SF`,
    /// `S1`, `S2`, `S3`, `RSTO`, `RSTR`).
    Answered,
}

impl Outcome {
    /// True when the attempt visibly failed: blocked, unanswered or rejected.
    pub fn failed(self) -> bool {
        matches!(
            self,
            Outcome::Blocked | Outcome::NoReply | Outcome::Rejected
        )
    }

    /// From a Zeek `conn_state` value.
    pub fn from_zeek_conn_state(s: &str) -> Self {
        match s {
            "S0" | "SH" | "RSTOS0" => Outcome::NoReply,
            "REJ" => Outcome::Rejected,
            "SF" | "S1" | "S2" | "S3" | "RSTO" | "RSTR" => Outcome::Answered,
            // RSTRH, SHR, OTH: only the responder's side or mid-stream traffic was seen.
            _ => Outcome::Unknown,
        }
    }
}

/// Hash algorithm of a [`FileHash`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HashAlgo {
    /// MD5 (32 hex digits).
    Md5,
    /// SHA-1 (40 hex digits).
    Sha1,
    /// SHA-256 (64 hex digits).
    Sha256,
}

/// A file hash, lower-case hex.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FileHash {
    /// The algorithm.
    pub algo: HashAlgo,
    /// The digest in lower-case hex.
    pub hex: String,
}

/// Kind of a TLS [`Fingerprint`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FingerprintKind {
    /// JA3 client fingerprint (MD5 hex).
    Ja3,
    /// JA3S server fingerprint (MD5 hex).
    Ja3s,
    /// JA4 client fingerprint (`t13d1516h2_8daaf6152771_b186095e22b6` form).
    Ja4,
}

/// A TLS client or server fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Fingerprint {
    /// Which fingerprint.
    pub kind: FingerprintKind,
    /// Its value as the sensor wrote it (JA3/JA3S lower-cased).
    pub value: String,
}

/// The detection that fired: a Suricata alert signature, a Suricata anomaly or
/// a Zeek notice.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Signature {
    /// Signature id (Suricata `signature_id`); `None` for anomalies and notices.
    pub id: Option<u64>,
    /// Signature text (Suricata `signature`), anomaly event name, or Zeek `note`.
    pub name: String,
    /// Classification (Suricata `category`, anomaly `type`).
    pub category: Option<String>,
    /// Severity, 1 (highest) to 255, as Suricata writes it.
    pub severity: Option<u8>,
    /// Free-text message (Zeek notice `msg`).
    pub message: Option<String>,
}

/// One normalised sensor record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// When the sensor saw it (the record's timestamp, UTC).
    pub time: DateTime<Utc>,
    /// Which sensor at which site.
    #[serde(with = "arc_sensor")]
    pub sensor: Arc<Sensor>,
    /// What kind of record.
    pub kind: Kind,
    /// Source (originator) address.
    pub src_ip: Option<IpAddr>,
    /// Source port.
    pub src_port: Option<u16>,
    /// Destination (responder) address.
    pub dst_ip: Option<IpAddr>,
    /// Destination port.
    pub dst_port: Option<u16>,
    /// Transport protocol.
    pub transport: Option<Transport>,
    /// Domain names: DNS query and CNAME-style answers, HTTP host, TLS SNI.
    /// Lower-case, without the trailing dot, no duplicates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub domains: Vec<String>,
    /// Addresses in DNS answers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resolved: Vec<IpAddr>,
    /// URLs (`http://` + HTTP host + URI, or the absolute URI a proxy saw).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<String>,
    /// HTTP response status, when the record has one.
    pub http_status: Option<u16>,
    /// File hashes (MD5, SHA-1, SHA-256) of a file seen on the wire.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hashes: Vec<FileHash>,
    /// TLS fingerprints (JA3, JA3S, JA4).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fingerprints: Vec<Fingerprint>,
    /// The detection that fired, for alerts, anomalies and notices.
    pub signature: Option<Box<Signature>>,
    /// Whether the attempt visibly failed.
    pub outcome: Outcome,
}

impl Observation {
    /// An observation with only time, sensor and kind set.
    pub fn new(time: DateTime<Utc>, sensor: Arc<Sensor>, kind: Kind) -> Self {
        Self {
            time,
            sensor,
            kind,
            src_ip: None,
            src_port: None,
            dst_ip: None,
            dst_port: None,
            transport: None,
            domains: Vec::new(),
            resolved: Vec::new(),
            urls: Vec::new(),
            http_status: None,
            hashes: Vec::new(),
            fingerprints: Vec::new(),
            signature: None,
            outcome: Outcome::Unknown,
        }
    }

    /// Adds a domain name: trims whitespace and the trailing dot, lower-cases,
    /// and ignores empty names, `-`, IP address literals and duplicates.
    /// Returns whether it was added.
    pub fn add_domain(&mut self, name: &str) -> bool {
        let name = name.trim().trim_end_matches('.');
        if name.is_empty()
            || name == "-"
            || name.contains(char::is_whitespace)
            || name.parse::<IpAddr>().is_ok()
        {
            return false;
        }
        if self.domains.iter().any(|d| d.eq_ignore_ascii_case(name)) {
            return false;
        }
        self.domains.push(name.to_ascii_lowercase());
        true
    }

    /// Adds a resolved address unless it is already there.
    pub fn add_resolved(&mut self, ip: IpAddr) {
        if !self.resolved.contains(&ip) {
            self.resolved.push(ip);
        }
    }

    /// Adds a file hash if `hex` is non-empty hex of the algorithm's length.
    /// Returns whether it was valid.
    pub fn add_hash(&mut self, algo: HashAlgo, hex: &str) -> bool {
        let len = match algo {
            HashAlgo::Md5 => 32,
            HashAlgo::Sha1 => 40,
            HashAlgo::Sha256 => 64,
        };
        if hex.len() != len || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return false;
        }
        self.hashes.push(FileHash {
            algo,
            hex: hex.to_ascii_lowercase(),
        });
        true
    }

    /// Adds a TLS fingerprint unless empty or `-`.
    pub fn add_fingerprint(&mut self, kind: FingerprintKind, value: &str) {
        let value = value.trim();
        if value.is_empty() || value == "-" {
            return;
        }
        let value = match kind {
            FingerprintKind::Ja3 | FingerprintKind::Ja3s => value.to_ascii_lowercase(),
            FingerprintKind::Ja4 => value.to_owned(),
        };
        self.fingerprints.push(Fingerprint { kind, value });
    }

    /// Adds the URL of an HTTP request from its host and URI. An absolute URI
    /// (as a proxy sees it) is kept as is; otherwise `http://host` + URI.
    pub fn add_http_url(&mut self, host: Option<&str>, uri: Option<&str>) {
        let uri = uri.map(str::trim).filter(|u| !u.is_empty() && *u != "-");
        if let Some(u) = uri {
            if u.starts_with("http://") || u.starts_with("https://") {
                self.urls.push(u.to_owned());
                return;
            }
        }
        let host = host.map(str::trim).filter(|h| !h.is_empty() && *h != "-");
        if let Some(h) = host {
            let mut url = String::with_capacity(7 + h.len() + uri.map_or(1, str::len));
            url.push_str("http://");
            url.push_str(&h.to_ascii_lowercase());
            match uri {
                Some(u) if u.starts_with('/') => url.push_str(u),
                Some(u) => {
                    url.push('/');
                    url.push_str(u);
                }
                None => url.push('/'),
            }
            self.urls.push(url);
        }
    }

    /// Adds the domain of an HTTP `Host` value, without its port
    /// (`example.com:8080`) and ignoring address literals (`[2001:db8::1]:80`).
    pub fn add_http_host(&mut self, host: &str) -> bool {
        let host = host.trim();
        if host.starts_with('[') {
            return false;
        }
        let host = match host.rsplit_once(':') {
            Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
            _ => host,
        };
        self.add_domain(host)
    }

    /// True when the attempt visibly failed (see [`Outcome::failed`]).
    pub fn failed(&self) -> bool {
        self.outcome.failed()
    }
}

/// Serde for `Arc<Sensor>` without serde's `rc` feature.
mod arc_sensor {
    use super::Sensor;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::sync::Arc;

    pub fn serialize<S: Serializer>(s: &Arc<Sensor>, ser: S) -> Result<S::Ok, S::Error> {
        Sensor::serialize(s, ser)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<Sensor>, D::Error> {
        Sensor::deserialize(d).map(Arc::new)
    }
}
