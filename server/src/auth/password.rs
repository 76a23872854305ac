//! Argon2id password hashes in PHC string form, and the bounded pool that checks them.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use argon2::{
    Argon2,
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng},
};
use tokio::sync::Semaphore;

pub fn hash(password: &str) -> String {
    Argon2::default()
        .hash_password(password.as_bytes(), &SaltString::generate(&mut OsRng))
        .expect("argon2 with default parameters hashes any input")
        .to_string()
}

pub fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// Spend the time of one verification when the user does not exist, so that response
/// times do not reveal which usernames are real.
pub fn verify_nothing(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let phc = DUMMY.get_or_init(|| hash("not a real password"));
    let _ = verify(password, phc);
}

/// The pool is full: the caller should try again shortly.
#[derive(Debug)]
pub struct Busy;

/// Checks passwords at most `concurrency` at a time (each Argon2id check holds 19 MiB
/// and a core for tens of milliseconds), with at most `max_waiting` more queued for at
/// most `max_wait`; beyond that, `Busy`. Without this bound a storm of logins fills the
/// blocking pool with hundreds of hashes at once.
#[derive(Debug, Clone)]
pub struct PasswordChecks {
    permits: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
    max_waiting: usize,
    max_wait: Duration,
}

impl PasswordChecks {
    pub fn new(concurrency: usize, max_waiting: usize, max_wait: Duration) -> Self {
        PasswordChecks {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            waiting: Arc::default(),
            max_waiting,
            max_wait,
        }
    }

    /// One check per core, and a queue a few seconds deep.
    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Self::new(cores, cores * 8, Duration::from_secs(5))
    }

    async fn wait_for_permit(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        let queued = self.waiting.fetch_add(1, Ordering::SeqCst);
        let permit = if queued >= self.max_waiting {
            None
        } else {
            tokio::time::timeout(self.max_wait, Arc::clone(&self.permits).acquire_owned())
                .await
                .ok()
                .and_then(Result::ok)
        };
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        permit
    }

    /// Whether `password` matches `phc`; with no `phc` (unknown user) the same work is
    /// done and the answer is false.
    pub async fn check(&self, password: String, phc: Option<String>) -> Result<bool, Busy> {
        let permit = match Arc::clone(&self.permits).try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => self.wait_for_permit().await.ok_or(Busy)?,
        };
        let matched = tokio::task::spawn_blocking(move || {
            let matched = match phc {
                Some(phc) => verify(&password, &phc),
                None => {
                    verify_nothing(&password);
                    false
                }
            };
            drop(permit);
            matched
        })
        .await
        .unwrap_or(false);
        Ok(matched)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_only_their_password() {
        let phc = super::hash("demo-alpha");
        assert!(phc.starts_with("$argon2id$"));
        assert!(super::verify("demo-alpha", &phc));
        assert!(!super::verify("demo-beta", &phc));
        assert!(!super::verify("demo-alpha", "garbage"));
    }

    #[tokio::test]
    async fn checks_beyond_the_queue_are_turned_away() {
        let checks = PasswordChecks::new(1, 0, Duration::from_secs(1));
        // The one permit is taken and nobody may wait for it.
        let phc = super::hash("right");
        let held = Arc::clone(&checks.permits).acquire_owned().await.unwrap();
        assert!(
            checks
                .check("right".into(), Some(phc.clone()))
                .await
                .is_err()
        );
        drop(held);
        let checks = PasswordChecks::new(1, 4, Duration::from_secs(5));
        assert!(
            checks
                .check("right".into(), Some(phc.clone()))
                .await
                .unwrap()
        );
        assert!(!checks.check("wrong".into(), Some(phc)).await.unwrap());
        assert!(!checks.check("any".into(), None).await.unwrap());
    }
}
