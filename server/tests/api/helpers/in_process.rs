//! A real server on a local port, in this process, on a temporary SQLite file with the
//! demo data: what the benches measure against. It is served as the binary serves it
//! (`serve::serve`: header deadline, connection caps), except that one client address
//! may hold any number of connections, as behind a reverse proxy: every bench client is
//! 127.0.0.1 (a bench may set `max_connections_per_address` to measure the cap).
#![allow(dead_code)] // Only the benches include it; each takes what it needs.

use leptos::prelude::LeptosOptions;
use server::{
    config::Config,
    crypto::SecretBox,
    serve::{self, ServeLimits},
    store::Db,
};
use tempfile::TempDir;

pub struct InProcess {
    pub port: u16,
    pub db: Db,
    _dir: TempDir,
}

/// Starts the server with the default configuration changed by `adjust`.
pub async fn serve(adjust: impl FnOnce(&mut Config)) -> InProcess {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let mut config = Config::for_database(url.clone());
    config.max_connections_per_address = 0;
    adjust(&mut config);
    let db = Db::connect(&url).await.expect("database");
    let options = LeptosOptions::builder()
        .output_name("fusion-teams-onboarding")
        .build();
    let state = server::start_with(&config, options, db.clone(), SecretBox::random())
        .await
        .expect("start")
        .state;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("listen");
    let port = listener.local_addr().expect("address").port();
    let limits = ServeLimits {
        header_timeout: config.header_timeout(),
        max_connections: config.max_connections,
        max_connections_per_address: config.max_connections_per_address,
        grace: config.shutdown_grace(),
    };
    let router = server::web::router(state);
    // Served until the process ends.
    tokio::spawn(serve::serve(
        listener,
        router,
        limits,
        std::future::pending(),
    ));
    InProcess {
        port,
        db,
        _dir: dir,
    }
}
