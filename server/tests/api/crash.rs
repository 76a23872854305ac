//! Crash safety with the real server binary: SIGKILL in the middle of a wizard run, start
//! again on the same database file, and the run completes exactly once with no
//! duplicate objects in the simulator.

use std::{path::Path, time::Duration};

use crate::helpers::binary::{Launch, executed, free_port, open_database};

/// The server on `database` at `port`, both kept across the restart.
fn launch(database: &Path, port: u16) -> Launch {
    Launch::on(database)
        .port(port)
        // Slow enough to be caught mid-run, quick enough for a test.
        .env("FUSION_TIME_SCALE", "0.1")
        .env("FUSION_JOB_LEASE_MS", "1500")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_killed_mid_way_completes_exactly_once_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("fusion.db");
    let port = free_port();
    let server = launch(&database, port).start().await;
    let token = server.login("alpha.admin").await;
    let ms_tenant = server.store_integration(&token, "Crash Test").await;
    let id = server.start_wizard(&token).await;

    // Kill it once four steps are done: step 4's end or step 5 is in flight.
    server
        .wizard_reaches(&token, |state| executed(state) >= 4)
        .await;
    server.kill();

    let server = launch(&database, port).start().await;
    let token = server.login("alpha.admin").await;
    let state = server
        .poll_wizard(
            &token,
            Duration::from_millis(50),
            "the run did not complete after the restart",
            |status, state| {
                assert_eq!(status, 200, "{state}");
                state["running"] == false
            },
        )
        .await;
    assert_eq!(executed(&state), 6, "{state}");

    // Exactly once: one run, one transaction, and one of each object at Microsoft (the
    // license the dummy user held went back).
    server.assert_completed_once(&token, &ms_tenant, id).await;
    drop(server);

    let db = open_database(&database).await;
    let jobs: Vec<(String, Option<String>)> = sqlx::query_as("SELECT state, lease_owner FROM jobs")
        .fetch_all(&db)
        .await
        .unwrap();
    assert_eq!(jobs, [("done".to_owned(), None)]);
}
