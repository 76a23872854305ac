//! The real server binary as an operator runs it: one process per database file, a
//! graceful stop on SIGTERM (in the middle of a wizard run too), key rotation, and the
//! key file. Every process gets a throw-away HOME, so nothing lands in the real one.

use std::{
    fs,
    path::{Path, PathBuf},
    process::ExitStatus,
    time::{Duration, Instant},
};

use crate::helpers::binary::{Launch, executed, open_database};
use server::{crypto::SecretBox, domain::types::Secret};
use sha2::{Digest, Sha256};

const KEY_A: &str = "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1";
const KEY_B: &str = "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2";
const WRONG_KEY: &str = "e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5";

/// A temporary folder with the database, a home for the process, and the logs.
struct Place {
    dir: tempfile::TempDir,
    launches: std::cell::Cell<u32>,
}

impl Place {
    fn new() -> Self {
        Place {
            dir: tempfile::tempdir().unwrap(),
            launches: std::cell::Cell::new(0),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn database(&self) -> PathBuf {
        self.path("data/fusion.db")
    }

    /// The server on this place's database, on a free port, with nothing in the
    /// environment about keys but what `key` says, and a log of its own.
    fn launch(&self, key: Option<&str>) -> Launch {
        self.launches.set(self.launches.get() + 1);
        Launch::on(&self.database())
            .secret_key(key)
            .env("FUSION_TIME_SCALE", "0.01")
            .env("FUSION_JOB_LEASE_MS", "1500")
            .env("HOME", self.path("home"))
            .env("XDG_CONFIG_HOME", self.path("xdg"))
            .env("RUST_LOG", "info,sqlx=warn")
            .log_to(&self.path(&format!("server-{}.log", self.launches.get())))
    }
}

/// Every stored secret's row and ciphertext.
async fn sealed_rows(database: &Path) -> Vec<(String, i64, Vec<u8>)> {
    let db = open_database(database).await;
    let rows = sqlx::query_as(
        "SELECT 'application', msteams_tenant_id, secret_ciphertext FROM msteams_applications
         UNION ALL
         SELECT 'administrator', msteams_tenant_id, password_ciphertext FROM msteams_administrators
         ORDER BY 1, 2",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    db.close().await;
    rows
}

fn key_bytes(hex_key: &str) -> [u8; 32] {
    hex::decode(hex_key).unwrap().try_into().unwrap()
}

/// The key id a ciphertext names: the first 4 bytes of SHA-256("fusion-secret-key-id:" || key).
fn key_id(hex_key: &str) -> Vec<u8> {
    Sha256::digest([b"fusion-secret-key-id:".as_slice(), &key_bytes(hex_key)].concat())[..4]
        .to_vec()
}

fn assert_sealed_by(rows: &[(String, i64, Vec<u8>)], hex_key: &str) {
    let keys = SecretBox::new(key_bytes(hex_key));
    let header = [b"fk1".as_slice(), &key_id(hex_key)].concat();
    for (table, row, sealed) in rows {
        assert!(
            sealed.starts_with(&header) && keys.is_current(sealed),
            "{table} of tenant row {row} is not sealed by the expected key"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_server_on_the_same_database_refuses_to_start_and_the_first_keeps_serving() {
    let place = Place::new();
    let first = place.launch(Some(KEY_A)).start().await;

    let started = Instant::now();
    let (status, log) = place.launch(Some(KEY_A)).refused();
    assert!(!status.success(), "the second server exited with {status}");
    assert_eq!(status.code(), Some(1));
    assert!(
        log.contains("another server is already running") && log.contains("fusion.db.lock"),
        "the refusal names the lock: {log}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "refused at once"
    );

    // The first one serves on as before.
    let token = first.login("group.admin").await;
    first
        .get("/api/v01/draas/demo/tenants?page=1&page_size=25", &token)
        .await
        .assert_status(200);

    // A killed server's lock goes with it: the next one starts on the same file.
    drop(first);
    let next = place.launch(Some(KEY_A)).start().await;
    next.login("group.admin").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stopping_server_keeps_its_database_locked_until_it_has_drained_its_requests() {
    let place = Place::new();
    let mut first = place
        .launch(Some(KEY_A))
        .env("FUSION_SHUTDOWN_GRACE_SECS", "3")
        .start()
        .await;
    // A request still in flight: its body never arrives in full.
    let mut stalled = tokio::net::TcpStream::connect(("127.0.0.1", first.port))
        .await
        .unwrap();
    tokio::io::AsyncWriteExt::write_all(
        &mut stalled,
        b"POST /api/v01/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"username\"",
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let signalled = first.sigterm();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(first.running(), "it drains the request in flight");
    let (status, log) = place.launch(Some(KEY_A)).refused();
    assert_eq!(
        status.code(),
        Some(1),
        "refused while the first still serves: {log}"
    );
    assert!(log.contains("another server is already running"), "{log}");
    assert!(first.running(), "still draining");

    // The request never completes: the drain ends with the grace period.
    let (status, took, log) = first.exit_since(signalled);
    assert_eq!(status.code(), Some(0), "{log}");
    assert!(
        took >= Duration::from_millis(2_900) && took < Duration::from_secs(4),
        "drained for the grace period (3 s): {took:?}"
    );
    eprintln!("SIGTERM with a request stuck in flight (grace 3 s): exited in {took:?}");
    drop(stalled);
    place.launch(Some(KEY_A)).start().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_idle_server_stops_promptly_on_sigterm() {
    let place = Place::new();
    let server = place.launch(Some(KEY_A)).start().await;
    let (status, took, log) = server.terminate();
    assert_eq!(status.code(), Some(0), "{log}");
    assert!(took < Duration::from_secs(2), "stopped in {took:?}");
    assert!(log.contains("shutting down"), "{log}");
}

/// A server at time scale 0.1 with this shutdown grace, a wizard run started on
/// subscription 3, and SIGTERM sent while step 5 (about 0.65 s here: the Teams sign-in
/// and three cmdlets) is in hand. Returns the place, the MS tenant, the run, and the exit.
async fn stopped_during_step_5(
    grace_secs: &str,
) -> (Place, String, i64, ExitStatus, Duration, String) {
    let place = Place::new();
    let server = place
        .launch(Some(KEY_A))
        .env("FUSION_TIME_SCALE", "0.1")
        .env("FUSION_SHUTDOWN_GRACE_SECS", grace_secs)
        // Long: a restart that had to wait for it would show.
        .env("FUSION_JOB_LEASE_MS", "20000")
        .start()
        .await;
    let token = server.login("alpha.admin").await;
    let ms_tenant = server.store_integration(&token, "Process Test").await;
    let id = server.start_wizard(&token).await;
    server
        .wizard_reaches(&token, |state| executed(state) == 5)
        .await;
    let (status, took, log) = server.terminate();
    (place, ms_tenant, id, status, took, log)
}

/// The wizard's job: state, cursor, attempts, lease owner.
async fn job(database: &Path, id: i64) -> (String, i64, i64, Option<String>) {
    let db = open_database(database).await;
    let row = sqlx::query_as("SELECT state, cursor, attempts, lease_owner FROM jobs WHERE id = ?")
        .bind(id)
        .fetch_one(&db)
        .await
        .unwrap();
    db.close().await;
    row
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_mid_step_lets_the_step_finish_within_grace_and_exits_0() {
    let (place, ms_tenant, id, status, took, log) = stopped_during_step_5("3").await;
    assert_eq!(status.code(), Some(0), "{log}");
    assert!(
        took < Duration::from_secs(3),
        "stopped in {took:?}, beyond the grace period"
    );
    eprintln!("SIGTERM with step 5 in hand (grace 3 s): exited in {took:?}");
    // Step 5 was let finish and was recorded: the run is over, nothing left leased.
    let (state, _, _, lease) = job(&place.database(), id).await;
    assert_eq!((state.as_str(), lease), ("done", None), "{log}");

    let server = place
        .launch(Some(KEY_A))
        .env("FUSION_TIME_SCALE", "0.1")
        .start()
        .await;
    let token = server.login("alpha.admin").await;
    server.assert_completed_once(&token, &ms_tenant, id).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_without_grace_gives_the_step_back_and_a_restart_completes_the_run_once() {
    let (place, ms_tenant, id, status, took, log) = stopped_during_step_5("0").await;
    assert_eq!(status.code(), Some(0), "{log}");
    assert!(took < Duration::from_secs(1), "stopped in {took:?}");
    eprintln!("SIGTERM with step 5 in hand (grace 0 s): exited in {took:?}");
    assert!(log.contains("gave back unfinished wizard steps"), "{log}");
    // Given back: due at once for the next process, the interrupted try not counted.
    let (state, cursor, attempts, lease) = job(&place.database(), id).await;
    assert_eq!(
        (state.as_str(), cursor, attempts, lease),
        ("ready", 5, 0, None)
    );

    let server = place
        .launch(Some(KEY_A))
        .env("FUSION_TIME_SCALE", "0.1")
        .env("FUSION_JOB_LEASE_MS", "20000")
        .start()
        .await;
    let token = server.login("alpha.admin").await;
    let resumed = Instant::now();
    server.assert_completed_once(&token, &ms_tenant, id).await;
    // No lease to wait out (20 s here): step 5 ran again at once.
    let took = resumed.elapsed();
    eprintln!("the restart completed the run in {took:?}");
    assert!(took < Duration::from_secs(10), "{took:?}");
    let (status, took, log) = server.terminate();
    assert_eq!(status.code(), Some(0), "{log}");
    assert!(took < Duration::from_secs(2), "idle stop took {took:?}");
    assert_eq!(
        job(&place.database(), id).await,
        ("done".into(), 5, 1, None)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rotating_the_key_re_seals_every_secret_and_a_wrong_key_changes_nothing() {
    let place = Place::new();
    let server = place.launch(Some(KEY_A)).start().await;
    let token = server.login("group.admin").await;
    server.store_integration(&token, "Process Test").await;
    let (status, _, log) = server.terminate();
    assert_eq!(status.code(), Some(0), "{log}");
    let sealed = sealed_rows(&place.database()).await;
    // The demo's onboarded tenants and subscription 3: applications and administrators.
    assert!(sealed.len() >= 4, "{sealed:?}");
    assert_sealed_by(&sealed, KEY_A);
    // Subscription 3's administrator password as an earlier version sealed it (no key
    // id, no row bound): it must open, and be re-sealed, like the others.
    let db = open_database(&place.database()).await;
    let legacy = SecretBox::new(key_bytes(KEY_A))
        .seal_legacy(&Secret::parse("password", "Adm1n-Passw0rd".into()).unwrap());
    sqlx::query(
        "UPDATE msteams_administrators SET password_ciphertext = ? WHERE msteams_tenant_id =
         (SELECT id FROM msteams_tenants WHERE owner_subscription_id = 3)",
    )
    .bind(&legacy)
    .execute(&db)
    .await
    .unwrap();
    db.close().await;
    let sealed = sealed_rows(&place.database()).await;
    assert!(
        sealed
            .iter()
            .any(|(_, _, ciphertext)| *ciphertext == legacy)
    );

    // A wrong key: refused, with what to do about it, and nothing changed.
    let (status, log) = place.launch(Some(WRONG_KEY)).refused();
    assert_eq!(status.code(), Some(1), "{log}");
    assert!(
        log.contains("opens with neither the current key nor the old one")
            && log.contains("FUSION_OLD_SECRET_KEY"),
        "a clear message: {log}"
    );
    assert_eq!(sealed_rows(&place.database()).await, sealed);

    // The new key, with the old one to open what it sealed: everything is re-sealed.
    let server = place
        .launch(Some(KEY_B))
        .env("FUSION_OLD_SECRET_KEY", KEY_A)
        .start()
        .await;
    let (status, _, log) = server.terminate();
    assert_eq!(status.code(), Some(0), "{log}");
    assert!(log.contains("re-encrypted stored secrets"), "{log}");
    let resealed = sealed_rows(&place.database()).await;
    assert_eq!(resealed.len(), sealed.len());
    assert_sealed_by(&resealed, KEY_B);

    // The old key alone no longer opens them.
    let (status, log) = place.launch(Some(KEY_A)).refused();
    assert_eq!(status.code(), Some(1), "{log}");
    assert!(log.contains("opens with neither"), "{log}");
    assert_eq!(sealed_rows(&place.database()).await, resealed);

    // The new key alone: the re-sealed secrets work (the wizard signs in with both).
    let server = place.launch(Some(KEY_B)).start().await;
    let token = server.login("group.admin").await;
    server.start_wizard(&token).await;
    let state = server.wizard_end(&token).await;
    assert_eq!(executed(&state), 6, "{state}");
    let (status, _, log) = server.terminate();
    assert_eq!(status.code(), Some(0), "{log}");
    assert_sealed_by(&sealed_rows(&place.database()).await, KEY_B);
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn the_key_file_is_created_private_and_reused_and_a_legacy_key_moves_out_of_the_data_folder()
{
    // --secret-key-file: created 0600 (with its folder) on the first start, reused after.
    let place = Place::new();
    let key_file = place.path("k/secret.key");
    let with_file = || place.launch(None).arg("--secret-key-file").arg(&key_file);
    let server = with_file().start().await;
    let (status, _, log) = server.terminate();
    assert_eq!(status.code(), Some(0), "{log}");
    let key = fs::read_to_string(&key_file).expect("the key file was created");
    let key = key.trim().to_owned();
    assert_eq!(key.len(), 64);
    assert!(key.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(mode(&key_file), 0o600);
    assert_sealed_by(&sealed_rows(&place.database()).await, &key);
    // Nothing beside the database, nothing in the (throw-away) home.
    assert!(!place.path("data/secret.key").exists());
    assert!(!place.path("xdg").exists() && !place.path("home").exists());

    // The restart reuses it: the secrets it sealed open (else the start would fail).
    let server = with_file().start().await;
    let token = server.login("group.admin").await;
    assert!(!token.is_empty());
    let (status, _, log) = server.terminate();
    assert_eq!(status.code(), Some(0), "{log}");
    assert_eq!(fs::read_to_string(&key_file).unwrap().trim(), key);
    assert!(!log.contains("created the key"), "{log}");

    // A key file of an earlier version beside the database, no --secret-key-file: it
    // moves to the configuration folder (under XDG_CONFIG_HOME) and is used from there.
    let place = Place::new();
    let server = place.launch(Some(KEY_A)).start().await;
    server.terminate();
    let legacy = place.path("data/secret.key");
    fs::write(&legacy, format!("{KEY_A}\n")).unwrap();
    let server = place.launch(None).start().await;
    let (status, _, log) = server.terminate();
    assert_eq!(status.code(), Some(0), "{log}");
    assert!(
        !legacy.exists(),
        "the legacy key is gone from the data folder"
    );
    let moved = place.path("xdg/fusion-teams-onboarding/secret.key");
    assert_eq!(fs::read_to_string(&moved).unwrap().trim(), KEY_A);
    assert_eq!(mode(&moved), 0o600);
    assert!(
        log.contains("moved the secret key out of the data folder"),
        "{log}"
    );
    assert_sealed_by(&sealed_rows(&place.database()).await, KEY_A);
}
