//! Crash safety with the real server binary: SIGKILL in the middle of a wizard run, start
//! again on the same database file, and the run completes exactly once with no
//! duplicate objects in the simulator.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

#[path = "support/http.rs"]
mod http;

use http::request;
use serde_json::{Value, json};

const GLOBEX: &str = "40000000-0000-4000-8000-000000000002";

struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(database: &Path, port: u16) -> Self {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        let child = Command::new(env!("CARGO_BIN_EXE_server"))
            .current_dir(&root)
            .env("DATABASE_URL", format!("sqlite://{}", database.display()))
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("LEPTOS_SITE_ROOT", "target/site")
            .env("FUSION_DEMO", "true")
            // Slow enough to be caught mid-run, quick enough for a test.
            .env("FUSION_TIME_SCALE", "0.1")
            .env("FUSION_JOB_LEASE_MS", "1500")
            // Both processes share one throw-away key, never a key file in the home folder.
            .env("FUSION_SECRET_KEY", "c3".repeat(32))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("server binary starts");
        Server { child, port }
    }

    /// SIGKILL: no shutdown, no cleanup, leases left behind.
    fn kill(mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("reaped");
    }

    async fn ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while request(self.port, "GET", "/api/v01/openapi.json", None, None)
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "the server did not come up");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        request(self.port, method, path, token, body)
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("address")
        .port()
}

fn wizard_path(tail: &str) -> String {
    format!("/api/v01/draas/demo/tenants/{GLOBEX}/subscriptions/3/{tail}")
}

async fn login(server: &Server) -> String {
    let (status, body) = server
        .call(
            "POST",
            "/api/v01/auth/login",
            None,
            Some(json!({"username": "alpha.admin", "password": "demo-alpha"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

fn executed(state: &Value) -> usize {
    state["wizardSteps"].as_array().map_or(0, |steps| {
        steps.iter().filter(|s| s["executed"] == true).count()
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_killed_mid_way_completes_exactly_once_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("fusion.db");
    let port = free_port();
    let server = Server::start(&database, port);
    server.ready().await;
    let token = login(&server).await;

    let (status, tenant) = server
        .call(
            "POST",
            "/sim/v1/tenants",
            Some(&token),
            Some(json!({"name": "Crash Test"})),
        )
        .await;
    assert_eq!(status, 201, "{tenant}");
    let ms_tenant = tenant["msTenantId"].as_str().unwrap().to_owned();
    let (_, minted) = server
        .call(
            "POST",
            &format!("/sim/v1/tenants/{ms_tenant}/create_app"),
            Some(&token),
            Some(json!({})),
        )
        .await;
    let (status, _) = server
        .call(
            "POST",
            &wizard_path("msteams/applications"),
            Some(&token),
            Some(json!({"msTeamsTenantId": ms_tenant, "applicationId": minted["applicationId"], "secret": minted["secret"]})),
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = server
        .call(
            "PUT",
            &wizard_path("msteams/administrator"),
            Some(&token),
            Some(json!({"username": "admin@crashtest.onmicrosoft.com", "password": "Adm1n-Passw0rd"})),
        )
        .await;
    assert_eq!(status, 204);
    let (status, started) = server
        .call("POST", &wizard_path("msteams/wizard"), Some(&token), None)
        .await;
    assert_eq!(status, 200, "{started}");
    let id = started["id"].as_i64().unwrap();

    // Kill it once four steps are done: step 4's end or step 5 is in flight.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, state) = server
            .call("GET", &wizard_path("msteams/wizard"), Some(&token), None)
            .await;
        assert!(status == 200 || status == 404, "{status}: {state}");
        assert!(
            state["running"] != false,
            "the run ended before the kill: {state}"
        );
        if executed(&state) >= 4 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the run did not progress: {state}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.kill();

    let server = Server::start(&database, port);
    server.ready().await;
    let token = login(&server).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    let state = loop {
        let (status, state) = server
            .call("GET", &wizard_path("msteams/wizard"), Some(&token), None)
            .await;
        assert_eq!(status, 200, "{state}");
        if state["running"] == false {
            break state;
        }
        assert!(
            Instant::now() < deadline,
            "the run did not complete after the restart: {state}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(executed(&state), 6, "{state}");

    // Exactly once: one run, one transaction, and one of each object at Microsoft.
    let (_, transaction) = server
        .call(
            "GET",
            &format!("/api/v01/transactions/{id}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(transaction["status"], "succeeded");
    let (_, sim) = server
        .call(
            "GET",
            &format!("/sim/v1/tenants/{ms_tenant}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(sim["domains"].as_array().unwrap().len(), 1, "{sim}");
    assert_eq!(sim["dnsRecords"].as_array().unwrap().len(), 4, "{sim}");
    assert_eq!(sim["users"].as_array().unwrap().len(), 1, "{sim}");
    assert_eq!(sim["users"][0]["licenses"], json!([]), "{sim}");
    assert!(
        sim["licenses"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["consumedUnits"] == 0),
        "{sim}"
    );
    assert_eq!(sim["voiceObjects"].as_array().unwrap().len(), 3, "{sim}");
    let (_, journal) = server
        .call(
            "GET",
            &format!("/sim/v1/tenants/{ms_tenant}/journal?limit=1000"),
            Some(&token),
            None,
        )
        .await;
    let created = |operation: &str| {
        journal
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["operation"] == operation && e["outcome"] == "created")
            .count()
    };
    for operation in [
        "POST /domains",
        "POST /users",
        "New-CsOnlineVoiceRoute",
        "New-CsOnlineVoiceRoutingPolicy",
    ] {
        assert_eq!(created(operation), 1, "{operation} created once: {journal}");
    }
    drop(server);

    let db = sqlx::SqlitePool::connect(&format!("sqlite://{}", database.display()))
        .await
        .unwrap();
    let jobs: Vec<(String, Option<String>)> = sqlx::query_as("SELECT state, lease_owner FROM jobs")
        .fetch_all(&db)
        .await
        .unwrap();
    assert_eq!(jobs, [("done".to_owned(), None)]);
}
