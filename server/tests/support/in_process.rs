//! A real server on a local port, in this process, on a temporary SQLite file with the
#![allow(dead_code)] // Each user (tests, benches) takes what it needs.
//! demo data: what the benches measure against.

use leptos::prelude::LeptosOptions;
use server::{config::Config, crypto::SecretBox, store::Db};
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
    tokio::spawn(async move {
        axum::serve(listener, server::web::router(state))
            .await
            .expect("serve");
    });
    InProcess {
        port,
        db,
        _dir: dir,
    }
}
