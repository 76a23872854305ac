//! Signing in and out, and turning a session token back into its caller.

use app::api_types::{CurrentUser, NodeRef};
use chrono::{DateTime, Duration, Utc};

use super::{AppError, Caller};
use crate::{
    auth::{password, token},
    store::{Db, accounts},
};

/// A new session: the token is returned once and only its digest is stored.
pub struct Session {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub caller: Caller,
}

#[derive(Clone, Debug)]
pub struct Accounts {
    db: Db,
    session_ttl: Duration,
}

const BAD_CREDENTIALS: &str = "Invalid username or password";

impl Accounts {
    pub fn new(db: Db, session_hours: u32) -> Self {
        Accounts {
            db,
            session_ttl: Duration::hours(i64::from(session_hours.max(1))),
        }
    }

    pub async fn login(&self, username: &str, password: &str) -> Result<Session, AppError> {
        if username.trim().is_empty() || password.is_empty() {
            return Err(AppError::invalid(
                "validation_failed",
                "username and password are required",
            ));
        }
        if username.len() > 128 || password.len() > 1024 {
            return Err(AppError::Unauthenticated(BAD_CREDENTIALS.into()));
        }
        let credentials = accounts::find_credentials(&self.db, username.trim()).await?;
        let password = password.to_owned();
        // Argon2 is CPU-bound by design: keep it off the async workers.
        let user_id = tokio::task::spawn_blocking(move || match credentials {
            Some(c) if password::verify(&password, &c.password_hash) => Some(c.id),
            Some(_) => None,
            None => {
                password::verify_nothing(&password);
                None
            }
        })
        .await
        .map_err(|e| AppError::Internal(format!("password check: {e}")))?
        .ok_or_else(|| AppError::Unauthenticated(BAD_CREDENTIALS.into()))?;

        let token = token::generate();
        let expires_at = Utc::now() + self.session_ttl;
        accounts::insert_session(&self.db, &token::digest(&token), user_id, expires_at).await?;
        let caller = accounts::caller_for_username(&self.db, username.trim())
            .await?
            .ok_or_else(|| AppError::Internal("user vanished during sign-in".into()))?;
        Ok(Session {
            token,
            expires_at,
            caller,
        })
    }

    pub async fn logout(&self, token: &str) -> Result<(), AppError> {
        accounts::delete_session(&self.db, &token::digest(token)).await
    }

    /// The caller behind a token; 401 when it is unknown or expired.
    pub async fn authenticate(&self, token: &str) -> Result<Caller, AppError> {
        accounts::caller_for_session(&self.db, &token::digest(token))
            .await?
            .ok_or_else(|| {
                AppError::Unauthenticated(
                    "The session is unknown or has expired: sign in again".into(),
                )
            })
    }
}

pub fn current_user(caller: &Caller) -> CurrentUser {
    CurrentUser {
        username: caller.username.clone(),
        display_name: caller.display_name.clone(),
        level: caller.level,
        draas_instance: caller.instance_slug.clone(),
        node: NodeRef {
            id: caller.node_id,
            name: caller.node_name.clone(),
            kind: caller.level,
        },
        profile: caller.profile.clone(),
        roles: caller.roles.iter().cloned().collect(),
    }
}
