//! placeholder
pub mod scenario;
pub mod sim;
pub mod trace;
