//! Signing in and out as the platform does it: a password, then (for an administrator
//! with a second factor, from a device not trusted yet) an e-mailed code or a TOTP code;
//! a session of a short-lived access token and a refresh token; and turning a token back
//! into its caller.

use std::{net::IpAddr, sync::Arc};

use app::api_types::{
    ApiRule, CurrentUser, NodeRef, ProfileRules, RefreshedTokens, Role, TwoFactorChallenge,
    TwoFactorOption,
};
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{AppError, Caller};
use crate::{
    auth::{
        password::{PasswordChecks, Standing},
        throttle::{LoginThrottle, ThrottlePolicy, client_network},
        token, totp,
    },
    crypto::{SecretBox, SecretSlot},
    store::{
        Db,
        accounts::{self, AdminCredentials, SessionKind, SessionTokens, TokenKind},
        two_factor::{self, NewChallenge},
    },
};

/// Where a sign-in comes from: the platform trusts a user agent on a network, not a
/// person.
#[derive(Clone, Debug, Default)]
pub struct Device {
    address: Option<IpAddr>,
    user_agent: String,
}

/// The part of a user agent that identifies a device (the rest is not kept).
const USER_AGENT_CHARS: usize = 512;

impl Device {
    pub fn new(address: Option<IpAddr>, user_agent: &str) -> Self {
        Device {
            address,
            user_agent: user_agent.chars().take(USER_AGENT_CHARS).collect(),
        }
    }

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
    /// Failed passwords, per username, network and pair.
    throttle: Arc<LoginThrottle>,
    /// Wrong second-factor codes, per user (by id, so never confused with a username),
    /// network and pair.
    code_throttle: Arc<LoginThrottle>,
    password_checks: PasswordChecks,
}

const BAD_CREDENTIALS: &str = "Invalid username or password";
/// Wrong codes one challenge takes before it ends.
const CHALLENGE_ATTEMPTS: i64 = 5;
/// How often what has ended (sessions, challenges, devices' trust) is forgotten.
const PURGE_EVERY: std::time::Duration = std::time::Duration::from_secs(10 * 60);

impl Accounts {
    pub fn new(db: Db, secrets: SecretBox, settings: SignInSettings) -> Self {
        Accounts {
            db,
            secrets,
            settings,
            throttle: Arc::default(),
            code_throttle: Arc::new(LoginThrottle::new(ThrottlePolicy::second_factor())),
            password_checks: PasswordChecks::for_this_machine(),
        }
    }

    /// Forgets ended sessions, challenges and devices' trust now and every few minutes
    /// (sign-ins forget their own user's too, but a user who never signs in again
    /// would otherwise leave rows for ever).
    pub fn keep_purged(&self) {
        let db = self.db.clone();
        tokio::spawn(async move {
            loop {
                if let Err(error) = accounts::purge_ended(&db).await {
                    tracing::warn!(%error, "forgetting ended sessions failed");
                }
                tokio::time::sleep(PURGE_EVERY).await;
            }
        });
    }

    /// Signs in, throttled per username, per client network and per pair (429 past a
    /// few failures; a blocked username still lets an attempt from a network and pair
    /// without failures through now and then, see `auth::throttle`), with at most a
    /// core's worth of password checks at once (503 `busy` when the attempt's queue is
    /// full; a fresh attempt turned away so is not counted). A user with a second factor
    /// signing in from a device not trusted gets a challenge instead of a session.
    #[tracing::instrument(skip_all)]
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        device: &Device,
        kind: SessionKind,
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
        let credentials = self.check_password(username, password, device).await?;
        self.session_or_challenge(credentials, device, kind).await
    }

    /// The user's credentials when `password` is theirs (401 otherwise), throttled and
    /// with a place in the password checks as `login` says.
    async fn check_password(
        &self,
        username: &str,
        password: &str,
        device: &Device,
    ) -> Result<AdminCredentials, AppError> {
        let attempt = self
            .throttle
            .begin(username, device.address)
            .map_err(too_many("failed sign-ins"))?;
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
                return Err(error.into());
            }
        };
        let phc = credentials.as_ref().map(|c| c.password_hash.clone());
        let matched = admission.check(password.to_owned(), phc).await;
        let credentials = credentials
            .filter(|_| matched)
            .ok_or_else(|| AppError::Unauthenticated(BAD_CREDENTIALS.into()))?;
        self.throttle.succeeded(attempt);
        Ok(credentials)
    }

    /// What a correct password leads to: a challenge for a user with a second factor on
    /// a device not trusted yet, a session for anyone else.
    async fn session_or_challenge(
        &self,
        credentials: AdminCredentials,
        device: &Device,
        kind: SessionKind,
    ) -> Result<SignIn, AppError> {
        let option = TwoFactorOption::parse(&credentials.two_factor);
        let fingerprint = device.fingerprint();
        match option {
            Some(option)
                if !two_factor::device_trusted(&self.db, credentials.id, &fingerprint).await? =>
            {
                let challenge = self
                    .challenge(
                        credentials.id,
                        option,
                        credentials.email.as_deref(),
                        &fingerprint,
                    )
                    .await?;
                Ok(SignIn::SecondFactor(challenge))
            }
            _ => Ok(SignIn::Session(Box::new(
                self.open_session(credentials.id, kind).await?,
            ))),
        }
    }

    /// Opens a second-factor challenge for the device signing in; for e-mail, the code
    /// goes to the outbox.
    async fn challenge(
        &self,
        user_id: i64,
        option: TwoFactorOption,
        email: Option<&str>,
        device_hash: &[u8],
    ) -> Result<TwoFactorChallenge, AppError> {
        let payload = token::generate();
        let payload_hash = token::digest(&payload);
        let expires_at = Utc::now() + self.settings.challenge_ttl;
        let code = (option == TwoFactorOption::Email).then(six_digits);
        let code_hash = code.as_deref().map(|code| code_digest(&payload, code));
        let mut tx = self.db.begin_write().await?;
        two_factor::insert_challenge(
            &mut tx,
            NewChallenge {
                payload_hash: &payload_hash,
                user_id,
                option: option.as_str(),
                code_hash: code_hash.as_deref(),
                device_hash,
                expires_at,
            },
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

    /// Answers a challenge from the device that signed in: the right code opens the
    /// session (and, with `trust`, the device needs no second factor for a while).
    /// Wrong codes are throttled like passwords (per user, network and pair), and a
    /// challenge takes only a few.
    #[tracing::instrument(skip_all)]
    pub async fn second_factor(
        &self,
        answer: SecondFactorAnswer<'_>,
        device: &Device,
        kind: SessionKind,
    ) -> Result<Session, AppError> {
        // The form and a script may send the code with spaces around it, as typed.
        let answer = SecondFactorAnswer {
            code: answer.code.trim(),
            ..answer
        };
        let SecondFactorAnswer { payload, code, .. } = answer;
        if payload.is_empty() || payload.len() > 200 {
            return Err(challenge_ended());
        }
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AppError::invalid(
                "validation_failed",
                "code must be the six digits received",
            ));
        }
        let payload_hash = token::digest(payload);
        let fingerprint = device.fingerprint();
        // A look without the write lock first: an unknown payload (anyone can send one)
        // costs a read only.
        let mut conn = self.db.read.acquire().await?;
        let seen = two_factor::challenge(&mut conn, &payload_hash).await?;
        drop(conn);
        let user_id = open_challenge(seen, answer.option, &fingerprint)?.user_id;
        let attempt = self
            .code_throttle
            .begin(&user_id.to_string(), device.address)
            .map_err(too_many("wrong codes"))?;
        let user_id = self
            .answer_challenge(&answer, &payload_hash, &fingerprint)
            .await?;
        self.code_throttle.succeeded(attempt);
        self.open_session(user_id, kind).await
    }

    /// Decides the answer under the write lock, on the challenge as it is then: two
    /// answers at once cannot both use it, nor go past its attempts. A right code ends
    /// the challenge (trusting the device if asked) and returns whose it was; a wrong
    /// one counts against the challenge.
    async fn answer_challenge(
        &self,
        answer: &SecondFactorAnswer<'_>,
        payload_hash: &[u8],
        device_hash: &[u8],
    ) -> Result<i64, AppError> {
        let mut tx = self.db.begin_write().await?;
        let challenge = open_challenge(
            two_factor::challenge(&mut tx, payload_hash).await?,
            answer.option,
            device_hash,
        )?;
        let right = match answer.option {
            TwoFactorOption::Email => challenge.code_hash.as_deref().is_some_and(|hash| {
                bool::from(hash.ct_eq(&code_digest(answer.payload, answer.code)))
            }),
            TwoFactorOption::Totp => {
                self.totp_matches(&mut tx, challenge.user_id, answer.code)
                    .await?
            }
        };
        if !right {
            if two_factor::count_attempt(&mut tx, payload_hash).await? >= CHALLENGE_ATTEMPTS {
                two_factor::delete_challenge(&mut tx, payload_hash).await?;
            }
            tx.commit().await?;
            return Err(AppError::Unauthenticated(
                "Invalid code: check it and try again".into(),
            ));
        }
        if !two_factor::delete_challenge(&mut tx, payload_hash).await? {
            return Err(challenge_ended());
        }
        if answer.trust {
            let until = Utc::now() + self.settings.trusted_device_ttl;
            two_factor::trust_device(&mut tx, challenge.user_id, device_hash, until).await?;
        }
        tx.commit().await?;
        Ok(challenge.user_id)
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
            Some(step) => Ok(two_factor::use_totp_step(tx, user_id, step).await?),
            None => Ok(false),
        }
    }

    async fn open_session(&self, user_id: i64, kind: SessionKind) -> Result<Session, AppError> {
        let access_token = token::generate();
        let refresh_token = token::generate();
        let now = Utc::now();
        let refresh_expires_at = now + self.settings.refresh_ttl;
        accounts::insert_session(
            &self.db,
            user_id,
            kind,
            SessionTokens {
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

    /// A new access token for a valid refresh token of a REST session; a new refresh
    /// token too when the current one has less than a quarter of its life left, so that
    /// a client that keeps refreshing never has to sign in again. The token it replaces
    /// goes on getting access tokens until its own end (a client that keeps its first
    /// refresh token, as the vendor's portal does, goes on working), but never another
    /// successor: a session holds two refresh tokens at most.
    #[tracing::instrument(skip_all)]
    pub async fn refresh(&self, refresh_token: &str) -> Result<RefreshedTokens, AppError> {
        let used = token::digest(refresh_token);
        // A renewal that loses a race with another (which replaced the token) tries
        // once more, as the replaced token it now is.
        for _ in 0..2 {
            if let Some(renewed) = self.try_refresh(&used).await? {
                return Ok(renewed);
            }
        }
        Err(AppError::Unauthenticated(
            "The refresh token is unknown or has expired: sign in again".into(),
        ))
    }

    /// One renewal: `None` when the token is unknown or another renewal changed the
    /// session first.
    async fn try_refresh(&self, used: &[u8]) -> Result<Option<RefreshedTokens>, AppError> {
        let Some(session) = accounts::api_session_by_refresh(&self.db, used).await? else {
            return Ok(None);
        };
        let now = Utc::now();
        let access_token = token::generate();
        let access_hash = token::digest(&access_token);
        let near_end = (session.expires_at - now) * 4 < self.settings.refresh_ttl;
        let (renewed, refresh_token) = if near_end && !session.replaced {
            let refresh_token = token::generate();
            let access_expires_at = now + self.settings.access_ttl.min(self.settings.refresh_ttl);
            let renewed = accounts::renew_refresh(
                &self.db,
                session.id,
                used,
                (&access_hash, access_expires_at),
                (
                    &token::digest(&refresh_token),
                    now + self.settings.refresh_ttl,
                ),
            )
            .await?;
            (renewed, Some(refresh_token))
        } else {
            let expires_at = (now + self.settings.access_ttl).min(session.expires_at);
            let renewed =
                accounts::renew_access(&self.db, session.id, used, &access_hash, expires_at)
                    .await?;
            (renewed, None)
        };
        Ok(renewed.then_some(RefreshedTokens {
            access_token,
            refresh_token,
        }))
    }

    /// Ends the session any of whose tokens this is; returns whose it was (nothing
    /// when it is unknown).
    #[tracing::instrument(skip_all)]
    pub async fn logout(&self, token: &str) -> Result<Option<String>, AppError> {
        let token_hash = token::digest(token);
        let owner = accounts::session_owner(&self.db, &token_hash).await?;
        accounts::delete_session(&self.db, &token_hash).await?;
        Ok(owner)
    }

    /// The caller behind a REST session's access token (`Authorization: Bearer`) or a
    /// browser session's cookie (its refresh token); 401 when it is unknown or expired.
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

/// A second factor's answer: the code for the challenge `payload`.
pub struct SecondFactorAnswer<'a> {
    pub option: TwoFactorOption,
    pub payload: &'a str,
    pub code: &'a str,
    pub trust: bool,
}

fn challenge_ended() -> AppError {
    AppError::Unauthenticated("This sign-in has expired or does not exist: sign in again".into())
}

/// The challenge if it is open, for this option, from this device, with attempts left.
fn open_challenge(
    challenge: Option<two_factor::Challenge>,
    option: TwoFactorOption,
    device_hash: &[u8],
) -> Result<two_factor::Challenge, AppError> {
    let challenge = challenge
        .filter(|challenge| {
            challenge.expires_at > Utc::now() && challenge.attempts < CHALLENGE_ATTEMPTS
        })
        .ok_or_else(challenge_ended)?;
    if challenge.device_hash != device_hash {
        return Err(AppError::Unauthenticated(
            "This sign-in was started from another device or network: sign in again here".into(),
        ));
    }
    if challenge.option != option.as_str() {
        let (source, path) = match challenge.option.as_str() {
            "totp" => ("from the authenticator app", "/api/v01/auth/2fa_totp"),
            _ => ("from the e-mail", "/api/v01/auth/2fa"),
        };
        return Err(AppError::invalid(
            "wrong_second_factor",
            format!("This sign-in expects a code {source}: send it to {path}"),
        ));
    }
    Ok(challenge)
}

/// A 429 for `what` (failed sign-ins, wrong codes) past the throttle's limit.
fn too_many(what: &'static str) -> impl Fn(std::time::Duration) -> AppError {
    move |wait| AppError::TooManyRequests {
        detail: format!(
            "Too many {what} for this account or from this address: try again in {} s",
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
    let known: std::collections::BTreeSet<&str> = Role::ALL
        .iter()
        .map(|role| role.as_str())
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
