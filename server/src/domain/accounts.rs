//! Signing in and out as the platform does it: a password, then (for an administrator
//! with a second factor, from a device not trusted yet) an e-mailed code or a TOTP code;
//! a session of a short-lived access token and a refresh token; and turning a token back
//! into its caller.

use std::{net::IpAddr, sync::Arc};

use app::api_types::{
    ApiRule, CurrentUser, NodeRef, ProfileRules, TwoFactorChallenge, TwoFactorOption,
};
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::{AppError, Caller, roles};
use crate::{
    auth::{
        password::{PasswordChecks, Standing},
        throttle::{LoginThrottle, client_network},
        token, totp,
    },
    crypto::{SecretBox, SecretSlot},
    store::{
        Db,
        accounts::{self, NewSession, TokenKind},
        two_factor,
    },
};

/// Where a sign-in comes from: the platform trusts a user agent on a network, not a
/// person.
#[derive(Clone, Debug, Default)]
pub struct Device {
    pub address: Option<IpAddr>,
    pub user_agent: String,
}

impl Device {
    /// What identifies the device (its network: an IPv6 /64, as for throttling).
    fn fingerprint(&self) -> Vec<u8> {
        let network = self
            .address
            .map(|address| client_network(address).to_string())
            .unwrap_or_default();
        Sha256::digest(format!("fusion-device\0{}\0{network}", self.user_agent)).to_vec()
    }
}

/// A new session: its tokens are returned once and only their digests are stored.
pub struct Session {
    pub access_token: String,
    pub refresh_token: String,
    pub refresh_expires_at: DateTime<Utc>,
    pub caller: Caller,
}

/// What a correct password leads to.
pub enum SignIn {
    Session(Box<Session>),
    /// The device is not trusted: the second factor first.
    SecondFactor(TwoFactorChallenge),
}

/// How long things last.
#[derive(Clone, Copy, Debug)]
pub struct SignInSettings {
    pub access_ttl: Duration,
    /// The refresh token's (and the browser session's) lifetime.
    pub refresh_ttl: Duration,
    pub trusted_device_ttl: Duration,
    /// How long an e-mailed code (and any second-factor challenge) holds.
    pub challenge_ttl: Duration,
}

#[derive(Clone, Debug)]
pub struct Accounts {
    db: Db,
    secrets: SecretBox,
    settings: SignInSettings,
    throttle: Arc<LoginThrottle>,
    password_checks: PasswordChecks,
}

const BAD_CREDENTIALS: &str = "Invalid username or password";
/// Wrong codes one challenge takes before it ends.
const CHALLENGE_ATTEMPTS: i64 = 5;

impl Accounts {
    pub fn new(db: Db, secrets: SecretBox, settings: SignInSettings) -> Self {
        Accounts {
            db,
            secrets,
            settings,
            throttle: Arc::default(),
            password_checks: PasswordChecks::for_this_machine(),
        }
    }

    /// Signs in, throttled per username, per client network and per pair (429 past a
    /// few failures; a blocked username still lets an attempt from a network and pair
    /// without failures through now and then, see `auth::throttle`), with at most a
    /// core's worth of password checks at once (503 `busy` when the attempt's queue is
    /// full; a fresh attempt turned away so is not counted). A user with a second factor
    /// signing in from a device not trusted gets a challenge instead of a session.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        device: &Device,
    ) -> Result<SignIn, AppError> {
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
            .begin(username, device.address)
            .map_err(too_many)?;
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
        let phc = credentials.as_ref().map(|c| c.password_hash.clone());
        let matched = admission.check(password.to_owned(), phc).await;
        let credentials = credentials
            .filter(|_| matched)
            .ok_or_else(|| AppError::Unauthenticated(BAD_CREDENTIALS.into()))?;
        self.throttle.succeeded(attempt);

        let option = TwoFactorOption::parse(&credentials.two_factor);
        let fingerprint = device.fingerprint();
        match option {
            Some(option)
                if !two_factor::device_trusted(&self.db, credentials.id, &fingerprint).await? =>
            {
                let challenge = self
                    .challenge(credentials.id, option, credentials.email.as_deref())
                    .await?;
                Ok(SignIn::SecondFactor(challenge))
            }
            _ => Ok(SignIn::Session(Box::new(
                self.open_session(credentials.id).await?,
            ))),
        }
    }

    /// Opens a second-factor challenge; for e-mail, the code goes to the outbox.
    async fn challenge(
        &self,
        user_id: i64,
        option: TwoFactorOption,
        email: Option<&str>,
    ) -> Result<TwoFactorChallenge, AppError> {
        let payload = token::generate();
        let payload_hash = token::digest(&payload);
        let expires_at = Utc::now() + self.settings.challenge_ttl;
        let code = (option == TwoFactorOption::Email).then(six_digits);
        let code_hash = code.as_deref().map(|code| code_digest(&payload, code));
        let mut tx = self.db.begin_write().await?;
        two_factor::insert_challenge(
            &mut tx,
            &payload_hash,
            user_id,
            option.as_str(),
            code_hash.as_deref(),
            expires_at,
        )
        .await?;
        if let Some(code) = &code {
            let recipient = email.ok_or_else(|| {
                AppError::Internal(format!("user {user_id} has e-mail codes but no address"))
            })?;
            let minutes = self.settings.challenge_ttl.num_minutes();
            two_factor::send_mail(
                &mut tx,
                user_id,
                recipient,
                "Your Fusion sign-in code",
                &format!(
                    "Your sign-in code is {code}. It is valid for {minutes} minutes.\n\
                     If you did not just sign in, change your password."
                ),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(TwoFactorChallenge { payload, option })
    }

    /// Answers a challenge: the right code opens the session (and, with `trust`, the
    /// device needs no second factor for a while). Wrong codes are throttled like
    /// passwords, and a challenge takes only a few.
    pub async fn second_factor(
        &self,
        option: TwoFactorOption,
        payload: &str,
        code: &str,
        trust: bool,
        device: &Device,
    ) -> Result<Session, AppError> {
        let expired = || {
            AppError::Unauthenticated(
                "This sign-in has expired or does not exist: sign in again".into(),
            )
        };
        if payload.is_empty() || payload.len() > 200 {
            return Err(expired());
        }
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AppError::invalid(
                "validation_failed",
                "code must be the six digits received",
            ));
        }
        let payload_hash = token::digest(payload);
        let mut conn = self.db.read.acquire().await?;
        let challenge = two_factor::challenge(&mut conn, &payload_hash)
            .await?
            .filter(|challenge| challenge.expires_at > Utc::now())
            .ok_or_else(expired)?;
        drop(conn);
        if challenge.option != option.as_str() {
            return Err(AppError::invalid(
                "wrong_second_factor",
                format!(
                    "This sign-in expects a code {}: send it to {}",
                    match challenge.option.as_str() {
                        "totp" => "from the authenticator app",
                        _ => "from the e-mail",
                    },
                    match challenge.option.as_str() {
                        "totp" => "/api/v01/auth/2fa_totp",
                        _ => "/api/v01/auth/2fa",
                    }
                ),
            ));
        }
        let attempt = self
            .throttle
            .begin(&format!("2fa:{}", challenge.user_id), device.address)
            .map_err(too_many)?;
        let mut tx = self.db.begin_write().await?;
        let right = match option {
            TwoFactorOption::Email => challenge
                .code_hash
                .as_deref()
                .is_some_and(|hash| hash == code_digest(payload, code).as_slice()),
            TwoFactorOption::Totp => self.totp_matches(&mut tx, challenge.user_id, code).await?,
        };
        if !right {
            if two_factor::count_attempt(&mut tx, &payload_hash).await? >= CHALLENGE_ATTEMPTS {
                two_factor::delete_challenge(&mut tx, &payload_hash).await?;
            }
            tx.commit().await?;
            return Err(AppError::Unauthenticated(
                "Invalid code: check it and try again".into(),
            ));
        }
        two_factor::delete_challenge(&mut tx, &payload_hash).await?;
        if trust {
            let until = Utc::now() + self.settings.trusted_device_ttl;
            two_factor::trust_device(&mut tx, challenge.user_id, &device.fingerprint(), until)
                .await?;
        }
        tx.commit().await?;
        self.throttle.succeeded(attempt);
        self.open_session(challenge.user_id).await
    }

    /// Whether `code` is the user's TOTP code now (and not used before); records its step.
    async fn totp_matches(
        &self,
        tx: &mut sqlx::SqliteConnection,
        user_id: i64,
        code: &str,
    ) -> Result<bool, AppError> {
        let Some((sealed, last_step)) = two_factor::totp(tx, user_id).await? else {
            return Ok(false);
        };
        let secret = self
            .secrets
            .open(SecretSlot::TotpSecret { user: user_id }, &sealed)?;
        let secret = totp::decode_base32(secret.expose())
            .ok_or_else(|| AppError::Internal(format!("user {user_id}'s TOTP secret")))?;
        let now_step = totp::step_of(Utc::now().timestamp());
        match totp::matching_step(&secret, code, now_step, last_step) {
            Some(step) => two_factor::use_totp_step(tx, user_id, step).await,
            None => Ok(false),
        }
    }

    async fn open_session(&self, user_id: i64) -> Result<Session, AppError> {
        let access_token = token::generate();
        let refresh_token = token::generate();
        let now = Utc::now();
        let refresh_expires_at = now + self.settings.refresh_ttl;
        accounts::insert_session(
            &self.db,
            NewSession {
                user_id,
                access_hash: &token::digest(&access_token),
                access_expires_at: now + self.settings.access_ttl.min(self.settings.refresh_ttl),
                refresh_hash: &token::digest(&refresh_token),
                refresh_expires_at,
            },
        )
        .await?;
        let caller = accounts::caller_for_user(&self.db, user_id)
            .await?
            .ok_or_else(|| AppError::Internal("user vanished during sign-in".into()))?;
        Ok(Session {
            access_token,
            refresh_token,
            refresh_expires_at,
            caller,
        })
    }

    /// A new access token for a valid refresh token; also a new session (refresh token
    /// included) when the refresh token has less than a quarter of its life left, the
    /// current one staying good until its end.
    pub async fn refresh(&self, refresh_token: &str) -> Result<(String, Option<String>), AppError> {
        let session = accounts::session_by_refresh(&self.db, &token::digest(refresh_token))
            .await?
            .ok_or_else(|| {
                AppError::Unauthenticated(
                    "The refresh token is unknown or has expired: sign in again".into(),
                )
            })?;
        let left = session.refresh_expires_at - Utc::now();
        if left * 4 < self.settings.refresh_ttl {
            let renewed = self.open_session(session.user_id).await?;
            return Ok((renewed.access_token, Some(renewed.refresh_token)));
        }
        let access_token = token::generate();
        let expires_at = (Utc::now() + self.settings.access_ttl).min(session.refresh_expires_at);
        accounts::replace_access(
            &self.db,
            session.id,
            &token::digest(&access_token),
            expires_at,
        )
        .await?;
        Ok((access_token, None))
    }

    /// Ends the session either of whose tokens this is (nothing when it is unknown).
    pub async fn logout(&self, token: &str) -> Result<(), AppError> {
        accounts::delete_session(&self.db, &token::digest(token)).await
    }

    /// The caller behind an access token (`Authorization: Bearer`) or, for the browser's
    /// cookie, a refresh token; 401 when it is unknown or expired.
    pub async fn authenticate(&self, token: &str, kind: TokenKind) -> Result<Caller, AppError> {
        accounts::caller_for_session(&self.db, &token::digest(token), kind)
            .await?
            .ok_or_else(|| {
                AppError::Unauthenticated(
                    "The session is unknown or has expired: sign in again (or refresh the access token)"
                        .into(),
                )
            })
    }
}

fn too_many(wait: std::time::Duration) -> AppError {
    AppError::TooManyRequests {
        detail: format!(
            "Too many failed sign-ins for this account or from this address: try again in {} s",
            // Rounded up, as Retry-After is.
            (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
        ),
        retry_after: wait,
    }
}

fn six_digits() -> String {
    let value = rand::rngs::OsRng.next_u32() % 1_000_000;
    format!("{value:06}")
}

fn code_digest(payload: &str, code: &str) -> Vec<u8> {
    Sha256::digest(format!("{payload}:{code}")).to_vec()
}

/// The signed-in administrator as `GET /api/v01/system/users/local` shows it: every
/// role this server knows, with whether the profile grants it.
pub fn current_user(caller: &Caller) -> CurrentUser {
    let known: std::collections::BTreeSet<&str> = roles::ALL
        .iter()
        .copied()
        .chain(caller.roles.iter().map(String::as_str))
        .collect();
    let api_rules = known
        .into_iter()
        .map(|role| ApiRule {
            name: role.to_owned(),
            allowed: caller.roles.contains(role),
        })
        .collect();
    CurrentUser {
        username: caller.username.clone(),
        level: caller.level,
        profile: ProfileRules {
            name: caller.profile.clone(),
            api_rules,
        },
        display_name: caller.display_name.clone(),
        draas_instance: caller.instance_slug.clone(),
        node: NodeRef {
            id: caller.node_id,
            name: caller.node_name.clone(),
            kind: caller.level,
        },
    }
}
