//! The REST API's request and response bodies, shared by the server and the browser.
//!
//! Field names follow the vendor page (camelCase). Request bodies reject unknown
//! fields. Bodies that carry a secret do not implement `Debug`, so a secret cannot
//! reach a log line through `{:?}`.

mod auth;
mod health;
mod listing;
mod msteams;
mod problem;
mod roles;
mod simulator;
mod whole;
mod wizard;

pub use auth::*;
pub use health::*;
pub use listing::*;
pub use msteams::*;
pub use problem::*;
pub use roles::Role;
pub use simulator::*;
pub use wizard::*;
