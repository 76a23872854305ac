//! Second factors: trusted devices, pending challenges, the TOTP step last used, and the
//! simulated mail server's outbox.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, Row, SqliteConnection};

use super::{Db, now};

/// Messages kept per recipient in the outbox; older ones go.
const OUTBOX_PER_USER: i64 = 50;

pub async fn device_trusted(db: &Db, user_id: i64, device: &[u8]) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "SELECT 1 FROM trusted_devices WHERE user_id = ? AND device_hash = ? AND trusted_until > ?",
    )
    .bind(user_id)
    .bind(device)
    .bind(now())
    .fetch_optional(&db.read)
    .await?
    .is_some())
}

/// Devices a user keeps trusted at most; trusting another forgets the one whose trust
/// ends first.
const TRUSTED_DEVICES_PER_USER: i64 = 20;

pub async fn trust_device(
    conn: &mut SqliteConnection,
    user_id: i64,
    device: &[u8],
    until: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO trusted_devices (user_id, device_hash, trusted_until) VALUES (?1, ?2, ?3)
         ON CONFLICT(user_id, device_hash) DO UPDATE SET trusted_until = ?3",
    )
    .bind(user_id)
    .bind(device)
    .bind(until)
    .execute(&mut *conn)
    .await?;
    // Devices whose trust ran out are forgotten, and the oldest beyond the cap.
    sqlx::query(
        "DELETE FROM trusted_devices WHERE user_id = ?1 AND (trusted_until <= ?2 OR device_hash NOT IN
            (SELECT device_hash FROM trusted_devices WHERE user_id = ?1
             ORDER BY trusted_until DESC LIMIT ?3))",
    )
    .bind(user_id)
    .bind(now())
    .bind(TRUSTED_DEVICES_PER_USER)
    .execute(conn)
    .await?;
    Ok(())
}

/// A challenge waiting for its second factor.
#[derive(Debug, FromRow)]
pub struct Challenge {
    pub user_id: i64,
    pub option: String,
    pub code_hash: Option<Vec<u8>>,
    /// The device that signed in: only it may answer.
    pub device_hash: Vec<u8>,
    pub attempts: i64,
    pub expires_at: DateTime<Utc>,
}

/// Challenges a user has open at most; another one ends the oldest.
const OPEN_CHALLENGES_PER_USER: i64 = 10;

/// A challenge to open.
pub struct NewChallenge<'a> {
    pub payload_hash: &'a [u8],
    pub user_id: i64,
    pub option: &'a str,
    pub code_hash: Option<&'a [u8]>,
    pub device_hash: &'a [u8],
    pub expires_at: DateTime<Utc>,
}

/// Opens a challenge (and forgets this user's ended ones and the oldest beyond the cap).
pub async fn insert_challenge(
    conn: &mut SqliteConnection,
    challenge: NewChallenge<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO two_factor_challenges (payload_hash, user_id, option, code_hash, device_hash, expires_at, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(challenge.payload_hash)
    .bind(challenge.user_id)
    .bind(challenge.option)
    .bind(challenge.code_hash)
    .bind(challenge.device_hash)
    .bind(challenge.expires_at)
    .bind(now())
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "DELETE FROM two_factor_challenges WHERE user_id = ?1 AND (expires_at <= ?2 OR payload_hash NOT IN
            (SELECT payload_hash FROM two_factor_challenges WHERE user_id = ?1
             ORDER BY created_at DESC, rowid DESC LIMIT ?3))",
    )
    .bind(challenge.user_id)
    .bind(now())
    .bind(OPEN_CHALLENGES_PER_USER)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn challenge(
    conn: &mut SqliteConnection,
    payload_hash: &[u8],
) -> Result<Option<Challenge>, sqlx::Error> {
    sqlx::query_as(
        "SELECT user_id, option, code_hash, device_hash, attempts, expires_at
         FROM two_factor_challenges WHERE payload_hash = ?",
    )
    .bind(payload_hash)
    .fetch_optional(conn)
    .await
}

/// Counts a wrong code; returns the attempts so far.
pub async fn count_attempt(
    conn: &mut SqliteConnection,
    payload_hash: &[u8],
) -> Result<i64, sqlx::Error> {
    Ok(sqlx::query_scalar(
        "UPDATE two_factor_challenges SET attempts = attempts + 1 WHERE payload_hash = ? RETURNING attempts",
    )
    .bind(payload_hash)
    .fetch_optional(conn)
    .await?
    .unwrap_or(i64::MAX))
}

/// Ends a challenge; returns whether it was still open.
pub async fn delete_challenge(
    conn: &mut SqliteConnection,
    payload_hash: &[u8],
) -> Result<bool, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM two_factor_challenges WHERE payload_hash = ?")
            .bind(payload_hash)
            .execute(conn)
            .await?
            .rows_affected()
            == 1,
    )
}

/// The user's sealed TOTP secret and the last step used.
pub async fn totp(
    conn: &mut SqliteConnection,
    user_id: i64,
) -> Result<Option<(Vec<u8>, Option<i64>)>, sqlx::Error> {
    let row = sqlx::query("SELECT totp_secret, totp_last_step FROM admin_users WHERE id = ? AND totp_secret IS NOT NULL")
        .bind(user_id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|row| (row.get("totp_secret"), row.get("totp_last_step"))))
}

/// Records the TOTP step just used, unless a later one was (a race): returns whether
/// this one is now the last.
pub async fn use_totp_step(
    conn: &mut SqliteConnection,
    user_id: i64,
    step: i64,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE admin_users SET totp_last_step = ?1 WHERE id = ?2 AND (totp_last_step IS NULL OR totp_last_step < ?1)",
    )
    .bind(step)
    .bind(user_id)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// What the platform would have e-mailed.
#[derive(Debug, FromRow)]
pub struct Mail {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// Puts a message in the outbox (keeping the newest few per recipient).
pub async fn send_mail(
    conn: &mut SqliteConnection,
    user_id: i64,
    recipient: &str,
    subject: &str,
    body: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO mail_outbox (user_id, recipient, subject, body, created_at) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(user_id)
    .bind(recipient)
    .bind(subject)
    .bind(body)
    .bind(now())
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "DELETE FROM mail_outbox WHERE user_id = ?1 AND id NOT IN
            (SELECT id FROM mail_outbox WHERE user_id = ?1 ORDER BY id DESC LIMIT ?2)",
    )
    .bind(user_id)
    .bind(OUTBOX_PER_USER)
    .execute(conn)
    .await?;
    Ok(())
}

/// The newest messages to the user `user_id` itself and to administrators whose node
/// lies strictly below `node` (so neither peers on the same node nor another DRaaS
/// instance's administrators show).
pub async fn outbox(
    db: &Db,
    user_id: i64,
    node: &str,
    limit: i64,
) -> Result<Vec<Mail>, sqlx::Error> {
    sqlx::query_as(
        "WITH RECURSIVE below(id) AS (
             SELECT id FROM nodes WHERE parent_id = ?2
             UNION ALL SELECT n.id FROM nodes n JOIN below ON n.parent_id = below.id)
         SELECT m.id, m.recipient, m.subject, m.body, m.created_at
         FROM mail_outbox m LEFT JOIN admin_users u ON u.id = m.user_id
         WHERE m.user_id = ?1 OR u.node_id IN (SELECT id FROM below)
         ORDER BY m.id DESC LIMIT ?3",
    )
    .bind(user_id)
    .bind(node)
    .bind(limit)
    .fetch_all(&db.read)
    .await
}
