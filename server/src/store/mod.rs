//! Persistence: the SQLite database, its migrations, and the queries, one module per table group.

pub mod accounts;
pub mod audit;
pub mod directory;
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
        sqlx::migrate!("../migrations").run(&write).await?;
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

/// A row that holds what no row should (it was written by hand, or a bug): reported as
/// sqlx reports a column it cannot decode.
pub fn decode_error(what: String) -> sqlx::Error {
    sqlx::Error::Decode(what.into())
}

pub fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}
