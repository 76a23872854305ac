//! The integration tests, as one binary (zero2prod's `tests/api`): `helpers` starts the
//! app (in-process on a temporary SQLite file, or the real binary) and speaks to it; each
//! module proves one part of the behaviour through the real interfaces.

mod helpers;

mod abuse;
mod admin_cli;
mod auth;
mod bad_input;
mod crash;
mod edges;
mod health;
mod jobs;
mod mock;
mod msteams;
mod observe;
mod openapi;
mod outbox;
mod process;
mod roles;
mod runner;
mod scenario;
mod scoping;
mod simulator;
mod tree_of_authority;
mod ui;
mod update_vrp;
mod wire;
mod wizard;
