//! Credentials: password hashes, session tokens, and the limits on trying them.

pub mod password;
pub mod throttle;
pub mod token;
pub mod totp;
