//! The GSOC triage pipeline wired end to end (sources → engine → store), in
//! one process or across NATS JetStream.
//!
//! - [`source`]: sensor logs read into sealed [`WireBatch`]es whose id depends
//!   only on their content;
//! - [`Centre`]: the engine kept current with the intelligence store
//!   (indicators added and revoked apply to the next batch), applying each
//!   batch in one transaction;
//! - [`listen`]: a NetFlow v5/v9/IPFIX collector on UDP and log lines over TCP;
//! - [`nats`]: the sensor's [`nats::Publisher`] (disk spool, then JetStream)
//!   and the centre's durable [`nats::consume`]r.
//!
//! In-process (`sakimori ingest FILE`): read → [`Centre::process`]. Distributed
//! (`sakimori sensor run` near the traffic, the centre consuming): read →
//! publisher → JetStream → consumer → [`Centre::process`]. Both give the same
//! events, and a batch delivered twice changes nothing.

pub mod centre;
pub mod listen;
pub mod nats;
pub mod source;

pub use centre::{Centre, CentreConfig, IndicatorState};
pub use nats::{consume, ConsumeOptions, ConsumeStats, NatsConfig, Publisher};
pub use source::{read_batches, Format, Totals, WireBatch, DEFAULT_BATCH};
