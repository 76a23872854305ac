//! The embedded Microsoft simulator (Azure AD, Graph, Office 365 DNS, Teams voice),
//! persisted in the same database. This slice holds its state and its control API;
//! the provisioning boundary the wizard calls comes with the job runner.

pub mod api;
pub mod control;
mod store;
pub mod teams;

pub use control::SimulatorControl;
pub use teams::SimulatedMicrosoft;
