//! The Fusion domain: typed input, the caller and its roles, and the services that the
//! REST routes and the server functions both call. Every rule lives here, once.

pub mod accounts;
pub mod caller;
pub mod create_app;
pub mod directory;
pub mod error;
pub mod listing;
pub mod mock;
pub mod onboarding;
pub mod roles;
pub mod secrets;
pub mod types;
pub mod voice_routing;
pub mod wizard;
pub mod wizard_steps;

pub use caller::Caller;
pub use error::AppError;
