//! Persistence: the SQLite database, its migrations, and the queries, one module per table group.

pub mod accounts;
pub mod audit;
pub mod directory;
pub mod mock;
pub mod msteams;
pub mod two_factor;
pub mod wizard;

use std::{path::PathBuf, str::FromStr, time::Duration};

use sqlx::{
    Sqlite, Transaction,
    sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
    },
};

/// Every migration this binary embeds: applied at start (`Db::connect`), and compared
/// with `_sqlx_migrations` by the readiness check (`api::health`).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// Two pools on one file: readers in parallel, and a single writer connection so that
/// writes queue in-process instead of failing with SQLITE_BUSY.
#[derive(Clone, Debug)]
pub struct Db {
    pub read: SqlitePool,
    pub write: SqlitePool,
}

impl Db {
    pub async fn connect(database_url: &str) -> Result<Self, sqlx::Error> {
        if let Some(dir) =
            sqlite_file_path(database_url).and_then(|p| p.parent().map(PathBuf::from))
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(&dir).map_err(sqlx::Error::Io)?;
        }
        let options = SqliteConnectOptions::from_str(database_url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await?;
        accept_edited_migrations(&write, &MIGRATOR).await?;
        MIGRATOR.run(&write).await?;
        let read = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.read_only(true))
            .await?;
        Ok(Db { read, write })
    }

    /// A write transaction that takes SQLite's write lock at `BEGIN` (IMMEDIATE), so it
    /// waits for the lock (busy timeout) instead of failing half-way with SQLITE_BUSY.
    pub async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
        self.write.begin_with("BEGIN IMMEDIATE").await
    }
}

/// An exclusive lock on `<database>.lock`, held for the life of the process: two servers
/// on one database file would each run their own job runner and simulator over it.
#[derive(Debug)]
pub struct DatabaseLock {
    _file: std::fs::File,
}

impl DatabaseLock {
    /// Takes the lock, or explains who holds it. `None` for an in-memory database.
    pub fn acquire(database_url: &str) -> Result<Option<Self>, String> {
        let Some(database) = sqlite_file_path(database_url) else {
            return Ok(None);
        };
        let mut path = database.clone().into_os_string();
        path.push(".lock");
        let path = PathBuf::from(path);
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        match file.try_lock() {
            Ok(()) => Ok(Some(DatabaseLock { _file: file })),
            Err(std::fs::TryLockError::WouldBlock) => Err(format!(
                "another server is already running on {} (it holds {}); stop it first, or give this one its own --database-url",
                database.display(),
                path.display()
            )),
            Err(std::fs::TryLockError::Error(error)) => {
                Err(format!("{}: cannot lock: {error}", path.display()))
            }
        }
    }
}

/// The file behind a `sqlite:` URL, if it names one (not `:memory:`).
pub fn sqlite_file_path(database_url: &str) -> Option<PathBuf> {
    let rest = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

/// Migrations edited after they had shipped, with the checksum (SHA-384 of the text) each
/// had before: 0004 gained `UPDATE sim_application_secrets SET hint = ''`, which 0007
/// applies again to every database.
const EDITED_MIGRATIONS: &[(i64, &str)] = &[(
    4,
    "ed809abacaef5fe7b31abfef8b1d2e925687e0295fd31484c0e4bf75feb381c307a09e272f3ab468125a8ed4b5bdf1a6",
)];

/// A database that applied an earlier text of an edited migration is told the current
/// checksum, so it still starts (sqlx refuses a changed migration) and takes the later
/// migrations that carry the edit.
async fn accept_edited_migrations(
    write: &SqlitePool,
    migrator: &sqlx::migrate::Migrator,
) -> Result<(), sqlx::Error> {
    let migrated: bool = sqlx::query_scalar(
        "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_one(write)
    .await?;
    if !migrated {
        return Ok(());
    }
    for (version, earlier) in EDITED_MIGRATIONS {
        let Some(current) = migrator.iter().find(|m| m.version == *version) else {
            continue;
        };
        let earlier = hex::decode(earlier).map_err(|error| sqlx::Error::Decode(error.into()))?;
        sqlx::query("UPDATE _sqlx_migrations SET checksum = ? WHERE version = ? AND checksum = ?")
            .bind(current.checksum.as_ref())
            .bind(version)
            .bind(earlier)
            .execute(write)
            .await?;
    }
    Ok(())
}

/// A row that holds what no row should (it was written by hand, or a bug): reported as
/// sqlx reports a column it cannot decode.
pub fn decode_error(what: String) -> sqlx::Error {
    sqlx::Error::Decode(what.into())
}

pub fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

#[cfg(test)]
mod tests {
    use super::{Db, EDITED_MIGRATIONS};

    /// A database that applied 0004 before it was edited still starts, and its record
    /// of 0004 becomes the current one.
    #[tokio::test]
    async fn a_database_migrated_with_an_earlier_text_of_an_edited_migration_starts() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("old.db").display());
        let db = Db::connect(&url).await.unwrap();
        let (version, earlier) = EDITED_MIGRATIONS[0];
        let current: Vec<u8> =
            sqlx::query_scalar("SELECT checksum FROM _sqlx_migrations WHERE version = ?")
                .bind(version)
                .fetch_one(&db.write)
                .await
                .unwrap();
        sqlx::query("UPDATE _sqlx_migrations SET checksum = ? WHERE version = ?")
            .bind(hex::decode(earlier).unwrap())
            .bind(version)
            .execute(&db.write)
            .await
            .unwrap();
        db.write.close().await;
        db.read.close().await;

        let again = Db::connect(&url).await.expect("starts");
        let recorded: Vec<u8> =
            sqlx::query_scalar("SELECT checksum FROM _sqlx_migrations WHERE version = ?")
                .bind(version)
                .fetch_one(&again.write)
                .await
                .unwrap();
        assert_eq!(recorded, current);
    }
}
