//! placeholder
pub mod corpus;
pub mod engine;
pub mod family;
pub mod gen;
pub mod hunt;
mod mapi;
pub mod monitor;
pub mod report;
pub mod scenario;
pub mod sim;
pub mod trace;
pub mod variant;
