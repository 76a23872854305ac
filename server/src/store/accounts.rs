//! Profiles, administrators and their sessions.

use std::collections::BTreeSet;

use app::api_types::{AdminLevel, Role};
use chrono::{DateTime, Utc};
use sqlx::{Row, SqliteConnection, SqliteExecutor};
use uuid::Uuid;

use super::decode_error;
use super::{Db, now};
use crate::domain::Caller;

/// An administrator row with what signing in needs.
pub struct AdminCredentials {
    pub id: i64,
    pub password_hash: String,
    /// `none`, `email` or `totp`.
    pub two_factor: String,
    pub email: Option<String>,
}

pub async fn upsert_profile(
    db: &Db,
    name: &str,
    description: &str,
    roles: &[Role],
) -> Result<(), sqlx::Error> {
    let mut tx = db.begin_write().await?;
    sqlx::query("INSERT INTO profiles (name, description) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET description = excluded.description")
        .bind(name)
        .bind(description)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM profile_roles WHERE profile = ?")
        .bind(name)
        .execute(&mut *tx)
        .await?;
    for role in roles {
        sqlx::query("INSERT INTO profile_roles (profile, role) VALUES (?, ?)")
            .bind(name)
            .bind(role.as_str())
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

pub struct NewAdmin<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub level: AdminLevel,
    pub node_id: Uuid,
    pub profile: &'a str,
    pub password_hash: String,
}

/// Turns on a second factor for an administrator: e-mail codes to `email`, or TOTP with
/// a sealed shared secret.
pub async fn set_two_factor(
    conn: &mut SqliteConnection,
    username: &str,
    two_factor: &str,
    email: Option<&str>,
    sealed_totp_secret: Option<&[u8]>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE admin_users SET two_factor = ?, email = ?, totp_secret = ?, totp_last_step = NULL WHERE username = ?",
    )
    .bind(two_factor)
    .bind(email)
    .bind(sealed_totp_secret)
    .bind(username)
    .execute(conn)
    .await?;
    Ok(())
}

/// Creates the administrator unless the username exists; returns its id when created.
pub async fn insert_admin_if_missing(
    conn: &mut SqliteConnection,
    admin: NewAdmin<'_>,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO admin_users (username, display_name, level, node_id, profile, password_hash, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(username) DO NOTHING RETURNING id",
    )
    .bind(admin.username)
    .bind(admin.display_name)
    .bind(admin.level.as_str())
    .bind(admin.node_id.to_string())
    .bind(admin.profile)
    .bind(admin.password_hash)
    .bind(now())
    .fetch_optional(conn)
    .await
}

/// How many administrators the database holds.
pub async fn admin_count(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM admin_users")
        .fetch_one(&db.read)
        .await
}

/// An administrator as `server admin list` shows it.
#[derive(Debug, sqlx::FromRow)]
pub struct AdminListing {
    pub username: String,
    pub display_name: String,
    pub level: String,
    pub node_name: String,
    pub profile: String,
    pub two_factor: String,
    pub disabled: bool,
}

/// Every administrator, by username.
pub async fn list_admins(db: &Db) -> Result<Vec<AdminListing>, sqlx::Error> {
    sqlx::query_as(
        "SELECT a.username, a.display_name, a.level, n.name AS node_name, a.profile,
                a.two_factor, a.disabled_at IS NOT NULL AS disabled
         FROM admin_users a JOIN nodes n ON n.id = a.node_id ORDER BY a.username",
    )
    .fetch_all(&db.read)
    .await
}

/// The username of an administrator named so, regardless of case, if one exists.
pub async fn username_taken(db: &Db, username: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT username FROM admin_users WHERE lower(username) = lower(?)")
        .bind(username)
        .fetch_optional(&db.read)
        .await
}

/// The kind of the node (`group`, `distributor`, `reseller`, `tenant`), if it exists.
pub async fn node_kind(db: &Db, node: uuid::Uuid) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT kind FROM nodes WHERE id = ?")
        .bind(node.to_string())
        .fetch_optional(&db.read)
        .await
}

/// Ends what an administrator holds open: its sessions and second-factor challenges,
/// and with `untrust` its trusted devices.
async fn end_sessions(
    conn: &mut SqliteConnection,
    user: i64,
    untrust: bool,
) -> Result<(), sqlx::Error> {
    for statement in [
        "DELETE FROM sessions WHERE user_id = ?",
        "DELETE FROM two_factor_challenges WHERE user_id = ?",
    ] {
        sqlx::query(statement)
            .bind(user)
            .execute(&mut *conn)
            .await?;
    }
    if untrust {
        sqlx::query("DELETE FROM trusted_devices WHERE user_id = ?")
            .bind(user)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Gives the administrator a new password hash and ends its sessions; false when no
/// such administrator exists.
pub async fn set_password(db: &Db, username: &str, hash: &str) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let user: Option<i64> = sqlx::query_scalar(
        "UPDATE admin_users SET password_hash = ? WHERE username = ? RETURNING id",
    )
    .bind(hash)
    .bind(username)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(user) = user else {
        return Ok(false);
    };
    end_sessions(&mut tx, user, false).await?;
    tx.commit().await?;
    Ok(true)
}

/// Disables the administrator (it cannot sign in) and ends its sessions, challenges and
/// device trust; false when no such administrator exists.
pub async fn disable(db: &Db, username: &str) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let user: Option<i64> = sqlx::query_scalar(
        "UPDATE admin_users SET disabled_at = COALESCE(disabled_at, ?) WHERE username = ? RETURNING id",
    )
    .bind(now())
    .bind(username)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(user) = user else {
        return Ok(false);
    };
    end_sessions(&mut tx, user, true).await?;
    tx.commit().await?;
    Ok(true)
}

pub async fn find_credentials(
    db: &Db,
    username: &str,
) -> Result<Option<AdminCredentials>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, password_hash, two_factor, email FROM admin_users
         WHERE username = ? AND disabled_at IS NULL",
    )
    .bind(username)
    .fetch_optional(&db.read)
    .await?;
    Ok(row.map(|row| AdminCredentials {
        id: row.get("id"),
        password_hash: row.get("password_hash"),
        two_factor: row.get("two_factor"),
        email: row.get("email"),
    }))
}

/// Who holds a session: a REST client (the access token is its bearer, the refresh token
/// renews it) or a browser (its cookie holds the refresh token). Neither kind's tokens
/// serve as the other's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionKind {
    Api,
    Browser,
}

impl SessionKind {
    fn as_str(self) -> &'static str {
        match self {
            SessionKind::Api => "api",
            SessionKind::Browser => "browser",
        }
    }
}

/// Sessions of each kind a user keeps at most; a sign-in beyond them ends the oldest of
/// its kind (so that signing in in a loop cannot grow the table, nor a script's sign-ins
/// end the user's browser sessions).
pub const SESSIONS_PER_USER: i64 = 50;

/// The hashes and lifetimes of a session's two tokens.
pub struct SessionTokens<'a> {
    pub access_hash: &'a [u8],
    pub access_expires_at: DateTime<Utc>,
    pub refresh_hash: &'a [u8],
    pub refresh_expires_at: DateTime<Utc>,
}

pub async fn insert_session(
    db: &Db,
    user_id: i64,
    kind: SessionKind,
    tokens: SessionTokens<'_>,
) -> Result<(), sqlx::Error> {
    let mut tx = db.begin_write().await?;
    // Sign-in is a natural moment to forget this user's ended sessions.
    sqlx::query("DELETE FROM sessions WHERE user_id = ? AND refresh_expires_at <= ?")
        .bind(user_id)
        .bind(now())
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO sessions (user_id, kind, access_hash, access_expires_at, refresh_hash, refresh_expires_at, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(user_id)
    .bind(kind.as_str())
    .bind(tokens.access_hash)
    .bind(tokens.access_expires_at)
    .bind(tokens.refresh_hash)
    .bind(tokens.refresh_expires_at)
    .bind(now())
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "DELETE FROM sessions WHERE user_id = ?1 AND kind = ?2 AND id NOT IN
            (SELECT id FROM sessions WHERE user_id = ?1 AND kind = ?2 ORDER BY id DESC LIMIT ?3)",
    )
    .bind(user_id)
    .bind(kind.as_str())
    .bind(SESSIONS_PER_USER)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Ends the session that any of its tokens names.
pub async fn delete_session(db: &Db, token_hash: &[u8]) -> Result<(), sqlx::Error> {
    sqlx::query(
        "DELETE FROM sessions WHERE access_hash = ?1 OR refresh_hash = ?1 OR previous_refresh_hash = ?1",
    )
        .bind(token_hash)
        .execute(&db.write)
        .await?;
    Ok(())
}

/// The username of the session any of whose tokens this is, expired or not.
pub async fn session_owner(db: &Db, token_hash: &[u8]) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT u.username FROM sessions s JOIN admin_users u ON u.id = s.user_id
         WHERE s.access_hash = ?1 OR s.refresh_hash = ?1 OR s.previous_refresh_hash = ?1",
    )
    .bind(token_hash)
    .fetch_optional(&db.read)
    .await
}

/// A REST session found by a refresh token, while that is valid.
pub struct RefreshableSession {
    pub id: i64,
    /// When the token used ends.
    pub expires_at: DateTime<Utc>,
    /// Whether it is the token a renewal replaced (it gets no successor).
    pub replaced: bool,
}

pub async fn api_session_by_refresh(
    db: &Db,
    refresh_hash: &[u8],
) -> Result<Option<RefreshableSession>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, refresh_hash = ?1 AS current,
                CASE WHEN refresh_hash = ?1 THEN refresh_expires_at
                     ELSE previous_refresh_expires_at END AS expires_at
         FROM sessions
         WHERE kind = 'api' AND (
             (refresh_hash = ?1 AND refresh_expires_at > ?2)
             OR (previous_refresh_hash = ?1 AND previous_refresh_expires_at > ?2))
           AND user_id IN (SELECT id FROM admin_users WHERE disabled_at IS NULL)",
    )
    .bind(refresh_hash)
    .bind(now())
    .fetch_optional(&db.read)
    .await?;
    Ok(row.map(|row| RefreshableSession {
        id: row.get("id"),
        expires_at: row.get("expires_at"),
        replaced: !row.get::<bool, _>("current"),
    }))
}

/// Gives a session a new access token (the previous one ends), provided the refresh
/// token `used` is still one of the session's: returns whether it did.
pub async fn renew_access(
    db: &Db,
    session: i64,
    used: &[u8],
    access_hash: &[u8],
    access_expires_at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "UPDATE sessions SET access_hash = ?1, access_expires_at = ?2
         WHERE id = ?3 AND (refresh_hash = ?4 OR previous_refresh_hash = ?4)",
    )
    .bind(access_hash)
    .bind(access_expires_at)
    .bind(session)
    .bind(used)
    .execute(&db.write)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Gives a session a new access token and a new refresh token, the current refresh token
/// becoming the replaced one (the one replaced before it ends), provided `current` is
/// still the current one (of two renewals at once, one wins): returns whether it did.
pub async fn renew_refresh(
    db: &Db,
    session: i64,
    current: &[u8],
    access: (&[u8], DateTime<Utc>),
    refresh: (&[u8], DateTime<Utc>),
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "UPDATE sessions SET access_hash = ?1, access_expires_at = ?2,
                previous_refresh_hash = refresh_hash,
                previous_refresh_expires_at = refresh_expires_at,
                refresh_hash = ?3, refresh_expires_at = ?4
         WHERE id = ?5 AND refresh_hash = ?6",
    )
    .bind(access.0)
    .bind(access.1)
    .bind(refresh.0)
    .bind(refresh.1)
    .bind(session)
    .bind(current)
    .execute(&db.write)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Which token of a session authenticates a request.
#[derive(Clone, Copy, Debug)]
pub enum TokenKind {
    /// `Authorization: Bearer <access token>` of a REST session.
    Access,
    /// The browser's session cookie: a browser session's refresh token.
    Cookie,
}

/// An administrator with its node and instance: what a `Caller` is made of.
const CALLER_ROWS: &str = "SELECT u.id, u.username, u.display_name, n.kind AS level, u.node_id, u.profile, n.name AS node_name,
        i.id AS instance_id, i.slug
    FROM admin_users u
    JOIN nodes n ON n.id = u.node_id AND u.disabled_at IS NULL
    JOIN draas_instances i ON i.id = n.instance_id";

/// The caller behind an unexpired token of this kind, with its roles.
pub async fn caller_for_session(
    db: &Db,
    token_hash: &[u8],
    kind: TokenKind,
) -> Result<Option<Caller>, sqlx::Error> {
    let condition = match kind {
        TokenKind::Access => "s.access_hash = ? AND s.kind = 'api' AND s.access_expires_at > ?",
        TokenKind::Cookie => {
            "s.refresh_hash = ? AND s.kind = 'browser' AND s.refresh_expires_at > ?"
        }
    };
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{CALLER_ROWS} JOIN sessions s ON s.user_id = u.id WHERE {condition}"
    )))
    .bind(token_hash)
    .bind(now())
    .fetch_optional(&db.read)
    .await?;
    let Some(row) = row else { return Ok(None) };
    caller_from_row(&db.read, row).await.map(Some)
}

/// Forgets what has ended: sessions, second-factor challenges, devices' trust. Returns
/// the rows removed.
pub async fn purge_ended(db: &Db) -> Result<u64, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let mut removed = 0;
    for statement in [
        "DELETE FROM sessions WHERE refresh_expires_at <= ?",
        "DELETE FROM two_factor_challenges WHERE expires_at <= ?",
        "DELETE FROM trusted_devices WHERE trusted_until <= ?",
    ] {
        removed += sqlx::query(statement)
            .bind(now())
            .execute(&mut *tx)
            .await?
            .rows_affected();
    }
    tx.commit().await?;
    Ok(removed)
}

/// The caller with this user id (after a second factor, a refresh).
pub async fn caller_for_user(db: &Db, user_id: i64) -> Result<Option<Caller>, sqlx::Error> {
    let sql = format!("{CALLER_ROWS} WHERE u.id = ?");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(user_id)
        .fetch_optional(&db.read)
        .await?;
    let Some(row) = row else { return Ok(None) };
    caller_from_row(&db.read, row).await.map(Some)
}

/// The caller for a username, without a session (seeding, tests).
pub async fn caller_for_username(db: &Db, username: &str) -> Result<Option<Caller>, sqlx::Error> {
    let sql = format!("{CALLER_ROWS} WHERE u.username = ?");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(username)
        .fetch_optional(&db.read)
        .await?;
    let Some(row) = row else { return Ok(None) };
    caller_from_row(&db.read, row).await.map(Some)
}

async fn caller_from_row(
    executor: impl SqliteExecutor<'_>,
    row: sqlx::sqlite::SqliteRow,
) -> Result<Caller, sqlx::Error> {
    let profile: String = row.get("profile");
    let roles: Vec<String> = sqlx::query_scalar("SELECT role FROM profile_roles WHERE profile = ?")
        .bind(&profile)
        .fetch_all(executor)
        .await?;
    let level: String = row.get("level");
    let node_id: String = row.get("node_id");
    Ok(Caller {
        user_id: row.get("id"),
        username: row.get("username"),
        display_name: row.get("display_name"),
        level: AdminLevel::parse(&level)
            .ok_or_else(|| decode_error(format!("bad level {level}")))?,
        node_id: Uuid::parse_str(&node_id)
            .map_err(|_| decode_error(format!("bad node id {node_id}")))?,
        node_name: row.get("node_name"),
        instance_id: row.get("instance_id"),
        instance_slug: row.get("slug"),
        profile,
        roles: roles.into_iter().collect::<BTreeSet<_>>(),
    })
}
