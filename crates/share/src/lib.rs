//! Intelligence sharing codecs of Sakimori: the STIX 2.1, TAXII 2.1 and MISP
//! room of the architecture.
//!
//! Sakimori holds shared intelligence as STIX 2.1 objects under TLP 2.0
//! markings; the modules here translate between that and what other
//! communities exchange, without I/O of their own: [`misp`] reads and writes
//! MISP event JSON; [`taxii_client`] pulls from and pushes to TAXII 2.1 servers.

pub mod misp;
pub mod taxii_client;
