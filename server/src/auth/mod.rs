//! Credentials: password hashes and session tokens.

pub mod password;
pub mod token;
