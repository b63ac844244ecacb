//! Domain types and rules of Sakimori (防人), free of I/O.
//!
//! Everything here is pure: the constituency registry and its file formats, the
//! identity model, the one access policy, the asset lookup index and the audit hash
//! chain. Storage (`sakimori-store`) and HTTP (`sakimori-server`) build on it.

pub mod advisory;
pub mod audit;
pub mod classification;
pub mod drill;
pub mod identity;
pub mod lookup;
pub mod pattern;
pub mod policy;
pub mod registry;
pub mod report;
pub mod routing;
pub mod severity;
pub mod stats;
pub mod stix;
pub mod tlp;
pub mod warninglist;

pub use identity::{Actor, Role};
pub use policy::Permission;
