//! Signing in and out, and turning a session token back into its caller.

use std::{net::IpAddr, sync::Arc};

use app::api_types::{CurrentUser, NodeRef};
use chrono::{DateTime, Duration, Utc};

use super::{AppError, Caller};
use crate::{
    auth::{
        password::{PasswordChecks, Standing},
        throttle::LoginThrottle,
        token,
    },
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
    throttle: Arc<LoginThrottle>,
    password_checks: PasswordChecks,
}

const BAD_CREDENTIALS: &str = "Invalid username or password";

impl Accounts {
    pub fn new(db: Db, session_hours: u32) -> Self {
        Accounts {
            db,
            session_ttl: Duration::hours(i64::from(session_hours.max(1))),
            throttle: Arc::default(),
            password_checks: PasswordChecks::for_this_machine(),
        }
    }

    /// Signs in, throttled per username, per client network and per pair (429 past a
    /// few failures; a blocked username still lets an attempt from a network and pair
    /// without failures through now and then, see `auth::throttle`), with at most a
    /// core's worth of password checks at once (503 `busy` when the attempt's queue is
    /// full; a fresh attempt turned away so is not counted).
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        client: Option<IpAddr>,
    ) -> Result<Session, AppError> {
        if username.trim().is_empty() || password.is_empty() {
            return Err(AppError::invalid(
                "validation_failed",
                "username and password are required",
            ));
        }
        if username.len() > 128 || password.len() > 1024 {
            return Err(AppError::Unauthenticated(BAD_CREDENTIALS.into()));
        }
        let attempt = self
            .throttle
            .begin(username, client)
            .map_err(|wait| AppError::TooManyRequests {
                detail: format!(
                    "Too many failed sign-ins for this account or from this address: try again in {} s",
                    // Rounded up, as Retry-After is.
                    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
                ),
                retry_after: wait,
            })?;
        let standing = if attempt.is_first_try() {
            Standing::FirstTry
        } else {
            Standing::AfterFailures
        };
        // A place to check the password first (before the look-up, so that a sign-in
        // turned away costs no read): turned away, nothing is checked, and a fresh
        // attempt is taken back, to try again with the same standing.
        let Ok(admission) = self.password_checks.admit(standing).await else {
            self.throttle.unchecked(attempt);
            return Err(AppError::Unavailable {
                detail: "Too many sign-ins are being checked right now: try again in a moment"
                    .into(),
                retry_after: std::time::Duration::from_secs(1),
            });
        };
        let credentials = match accounts::find_credentials(&self.db, username.trim()).await {
            Ok(credentials) => credentials,
            Err(error) => {
                self.throttle.unchecked(attempt);
                return Err(error);
            }
        };
        let (user_id, phc) = match credentials {
            Some(c) => (Some(c.id), Some(c.password_hash)),
            None => (None, None),
        };
        let matched = admission.check(password.to_owned(), phc).await;
        let user_id = user_id
            .filter(|_| matched)
            .ok_or_else(|| AppError::Unauthenticated(BAD_CREDENTIALS.into()))?;
        self.throttle.succeeded(attempt);

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
