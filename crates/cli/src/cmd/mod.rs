//! One module per top-level command.

pub mod advisory;
pub mod audit;
pub mod config;
pub mod db;
pub mod drill;
pub mod intel;
pub mod registry;
pub mod report;
pub mod sensor;
pub mod serve;
pub mod token;
pub mod user;
