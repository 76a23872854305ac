//! The embedded Microsoft simulator (Azure AD, Graph, Office 365 DNS, Teams voice),
//! persisted in the same database: its state, its control API, and the implementation
//! of the `microsoft` traits the wizard calls.

pub mod api;
pub mod cloud;
pub mod control;
mod graph;
mod store;
mod teams;

pub use cloud::{SimSettings, SimulatedMicrosoft};
pub use control::SimulatorControl;
