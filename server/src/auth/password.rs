//! Argon2id password hashes in PHC string form, and the bounded pool that checks them.

use std::{
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use argon2::{
    Algorithm, Argon2, Block, Params, Version,
    password_hash::{
        Output, PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
    },
};
use tokio::{
    sync::{OwnedSemaphorePermit, Semaphore},
    time::Instant,
};

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

/// `verify` in `memory` (grown as the hash's parameters need and kept by the caller),
/// so that the Argon2 working memory is not allocated anew for every check.
fn verify_in(password: &str, phc: &str, memory: &mut Vec<Block>) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(version), Ok(params)) = (
        Algorithm::try_from(parsed.algorithm),
        parsed
            .version
            .map_or(Ok(Version::default()), Version::try_from),
        Params::try_from(&parsed),
    ) else {
        return false;
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let blocks = params.block_count();
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    let mut computed = vec![0u8; expected.len()];
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(
            password.as_bytes(),
            salt,
            &mut computed,
            &mut memory[..blocks],
        )
        .is_ok()
        // `Output`'s equality takes the same time wherever the bytes differ.
        && Output::new(&computed).is_ok_and(|computed| computed == expected)
}

/// The hash checked when the user does not exist, so that response times do not reveal
/// which usernames are real (made with the same parameters as every stored hash).
fn stand_in() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash("not a real password"))
}

/// The pool is full: the caller should try again shortly.
#[derive(Debug)]
pub struct Busy;

/// Where a sign-in stands with the throttle, which decides its place in the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// No failure is recorded for its username, network or pair: checked on any core,
    /// one of which checks after failures never take, in a queue of its own.
    FirstTry,
    /// After failures (a fresh attempt past a username's block included): such checks
    /// never take the last core, and have their own queue.
    AfterFailures,
}

/// How many checks may wait in each lane's queue (beyond them, `Busy` at once).
#[derive(Clone, Copy, Debug)]
pub struct Queues {
    pub first_tries: usize,
    pub after_failures: usize,
}

/// Checks passwords at most `concurrency` at a time (each Argon2id check holds 19 MiB
/// and a core for tens of milliseconds), in working memory kept for reuse (one block
/// per concurrent check, so memory stays flat however many checks there are). Without
/// this bound a storm of logins fills the blocking pool with hundreds of hashes at once.
///
/// Two lanes, each with a queue of its own, bounded in depth (`Queues`) and in time
/// (`max_wait`); a check that finds its lane's queue full is `Busy` at once (503 with
/// Retry-After, and the throttle takes the attempt back), so that a storm queues no
/// deeper than a second or so of checks ahead of anyone:
/// - checks after failures (a storm from addresses that have failed) go through a lane
///   of `concurrency - 1` (at least 1), so a first try from anyone else finds a core
///   within about one check;
/// - first tries (a storm from many fresh addresses) queue for any core, but only so
///   deep: a real sign-in arriving behind them is either checked within that queue's
///   worth of checks or turned away at once, and once the storm's queue has drained,
///   its retry is checked.
#[derive(Debug, Clone)]
pub struct PasswordChecks {
    permits: Arc<Semaphore>,
    after_failures: Arc<Semaphore>,
    memory: Arc<Mutex<Vec<Vec<Block>>>>,
    first_waiting: Arc<AtomicUsize>,
    after_waiting: Arc<AtomicUsize>,
    queues: Queues,
    max_wait: Duration,
}

/// A place in the queue, given back however the wait ends (a client that hangs up
/// drops it too).
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The permits a check holds while it runs.
struct Admitted {
    _check: OwnedSemaphorePermit,
    _lane: Option<OwnedSemaphorePermit>,
}

impl PasswordChecks {
    pub fn new(concurrency: usize, queues: Queues, max_wait: Duration) -> Self {
        let concurrency = concurrency.max(1);
        PasswordChecks {
            permits: Arc::new(Semaphore::new(concurrency)),
            after_failures: Arc::new(Semaphore::new((concurrency - 1).max(1))),
            memory: Arc::default(),
            first_waiting: Arc::default(),
            after_waiting: Arc::default(),
            queues,
            max_wait,
        }
    }

    /// One check per core, and queues of 8 checks per core: a check (about 20–50 ms)
    /// at the back of a full queue waits well under a second.
    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        // Make the stand-in hash now, not in the first unknown user's sign-in.
        std::thread::spawn(|| {
            stand_in();
        });
        Self::new(
            cores,
            Queues {
                first_tries: cores * 8,
                after_failures: cores * 8,
            },
            Duration::from_secs(5),
        )
    }

    /// A permit of `semaphore`: at once, else by waiting until `deadline`, in a queue
    /// (`waiting` deep) that takes at most `max_waiting`; with no queue, uncounted.
    async fn acquire(
        &self,
        semaphore: &Arc<Semaphore>,
        queue: Option<(&AtomicUsize, usize)>,
        deadline: Instant,
    ) -> Option<OwnedSemaphorePermit> {
        if let Ok(permit) = Arc::clone(semaphore).try_acquire_owned() {
            return Some(permit);
        }
        let _place = match queue {
            Some((waiting, max_waiting)) => {
                let ahead = waiting.fetch_add(1, Ordering::SeqCst);
                let place = Waiting(waiting);
                if ahead >= max_waiting {
                    return None;
                }
                Some(place)
            }
            None => None,
        };
        tokio::time::timeout_at(deadline, Arc::clone(semaphore).acquire_owned())
            .await
            .ok()?
            .ok()
    }

    async fn enter(&self, standing: Standing) -> Option<Admitted> {
        let deadline = Instant::now() + self.max_wait;
        match standing {
            Standing::FirstTry => {
                let queue = (&*self.first_waiting, self.queues.first_tries);
                let check = self.acquire(&self.permits, Some(queue), deadline).await?;
                Some(Admitted {
                    _check: check,
                    _lane: None,
                })
            }
            Standing::AfterFailures => {
                let queue = (&*self.after_waiting, self.queues.after_failures);
                let lane = self
                    .acquire(&self.after_failures, Some(queue), deadline)
                    .await?;
                // At most `concurrency - 1` lane holders wait here: no queue of its own.
                let check = self.acquire(&self.permits, None, deadline).await?;
                Some(Admitted {
                    _check: check,
                    _lane: Some(lane),
                })
            }
        }
    }

    /// A place to check one password, once waiting for it in `standing`'s lane is
    /// over; `Busy` when that lane's queue is full or no core comes free within
    /// `max_wait`. Taken before the hash is looked up, so that a sign-in turned away
    /// costs no database read.
    pub async fn admit(&self, standing: Standing) -> Result<Admission, Busy> {
        let permits = self.enter(standing).await.ok_or(Busy)?;
        Ok(Admission {
            permits,
            memory: Arc::clone(&self.memory),
        })
    }

    /// `admit`, then `Admission::check`.
    pub async fn check(
        &self,
        password: String,
        phc: Option<String>,
        standing: Standing,
    ) -> Result<bool, Busy> {
        Ok(self.admit(standing).await?.check(password, phc).await)
    }
}

/// A core (and a lane) held for one password check, given back when the check is done
/// or when this is dropped unused.
pub struct Admission {
    permits: Admitted,
    memory: Arc<Mutex<Vec<Vec<Block>>>>,
}

impl Admission {
    /// Whether `password` matches `phc`; with no `phc` (unknown user) the same work is
    /// done and the answer is false.
    pub async fn check(self, password: String, phc: Option<String>) -> bool {
        let Admission { permits, memory } = self;
        tokio::task::spawn_blocking(move || {
            // At most one block of memory per permit exists: it is taken and given
            // back while the permit is held.
            let mut blocks = memory
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop()
                .unwrap_or_default();
            let matched = match phc {
                Some(phc) => verify_in(&password, &phc, &mut blocks),
                None => {
                    verify_in(&password, stand_in(), &mut blocks);
                    false
                }
            };
            memory
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(blocks);
            drop(permits);
            matched
        })
        .await
        .unwrap_or(false)
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

    #[test]
    fn checks_in_kept_memory_agree_with_the_plain_check_and_reuse_it() {
        let phc = super::hash("demo-alpha");
        let mut memory = Vec::new();
        assert!(verify_in("demo-alpha", &phc, &mut memory));
        let (length, address) = (memory.len(), memory.as_ptr());
        assert!(!verify_in("demo-beta", &phc, &mut memory));
        assert!(!verify_in("demo-alpha", "garbage", &mut memory));
        assert!(!verify_in("", &phc, &mut memory));
        assert_eq!((memory.len(), memory.as_ptr()), (length, address));
        // Hashes with other parameters still verify.
        let params = Params::new(8 * 1024, 1, 1, None).unwrap();
        let other = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password(b"small", &SaltString::generate(&mut OsRng))
            .unwrap()
            .to_string();
        assert!(verify_in("small", &other, &mut memory));
        assert!(!verify_in("large", &other, &mut memory));
    }

    fn queues(first_tries: usize, after_failures: usize) -> Queues {
        Queues {
            first_tries,
            after_failures,
        }
    }

    #[tokio::test]
    async fn checks_after_failures_beyond_their_queue_are_turned_away_but_not_first_tries() {
        let checks = PasswordChecks::new(2, queues(0, 0), Duration::from_secs(5));
        let phc = super::hash("right");
        // The lane for checks after failures (one of the two cores) is taken, and
        // nobody may wait for it.
        let held = Arc::clone(&checks.after_failures)
            .acquire_owned()
            .await
            .unwrap();
        let started = std::time::Instant::now();
        let after_failures = checks
            .check("right".into(), Some(phc.clone()), Standing::AfterFailures)
            .await;
        assert!(after_failures.is_err());
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "turned away at once"
        );
        // The other core is there for a first try.
        let first = checks
            .check("right".into(), Some(phc.clone()), Standing::FirstTry)
            .await;
        assert!(first.unwrap());
        drop(held);
        for standing in [Standing::FirstTry, Standing::AfterFailures] {
            assert!(
                checks
                    .check("right".into(), Some(phc.clone()), standing)
                    .await
                    .unwrap()
            );
            assert!(
                !checks
                    .check("wrong".into(), Some(phc.clone()), standing)
                    .await
                    .unwrap()
            );
            assert!(!checks.check("any".into(), None, standing).await.unwrap());
        }
        assert!(
            checks.memory.lock().unwrap().len() <= 2,
            "one block per core"
        );
    }

    #[tokio::test]
    async fn first_tries_beyond_their_queue_are_turned_away_at_once() {
        let checks = PasswordChecks::new(2, queues(3, 3), Duration::from_secs(5));
        let phc = super::hash("right");
        // Both cores are busy.
        let held = Arc::clone(&checks.permits)
            .acquire_many_owned(2)
            .await
            .unwrap();
        let queued: Vec<_> = (0..3)
            .map(|_| {
                let (checks, phc) = (checks.clone(), phc.clone());
                tokio::spawn(async move {
                    checks
                        .check("right".into(), Some(phc), Standing::FirstTry)
                        .await
                })
            })
            .collect();
        while checks.first_waiting.load(Ordering::SeqCst) < 3 {
            tokio::task::yield_now().await;
        }
        let started = std::time::Instant::now();
        let turned_away = checks
            .check("right".into(), Some(phc.clone()), Standing::FirstTry)
            .await;
        assert!(turned_away.is_err(), "the first tries' queue is full");
        assert!(started.elapsed() < Duration::from_secs(1), "at once");
        // The lane for checks after failures has a queue of its own.
        let after_failures = tokio::spawn({
            let (checks, phc) = (checks.clone(), phc.clone());
            async move {
                checks
                    .check("right".into(), Some(phc), Standing::AfterFailures)
                    .await
            }
        });
        while checks.after_waiting.load(Ordering::SeqCst) == 0
            && checks.after_failures.available_permits() > 0
        {
            tokio::task::yield_now().await;
        }
        drop(held);
        for check in queued {
            assert!(check.await.unwrap().unwrap(), "the queued ones are checked");
        }
        assert!(after_failures.await.unwrap().unwrap());
        assert!(
            checks.memory.lock().unwrap().len() <= 2,
            "one block per core"
        );
        assert_eq!(checks.first_waiting.load(Ordering::SeqCst), 0);
        assert_eq!(checks.after_waiting.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn a_first_try_waits_for_a_core_until_the_deadline() {
        let checks = PasswordChecks::new(1, queues(1, 0), Duration::from_millis(300));
        let phc = super::hash("right");
        let held = Arc::clone(&checks.permits).acquire_owned().await.unwrap();
        let turned_away = checks
            .check("right".into(), Some(phc.clone()), Standing::FirstTry)
            .await;
        assert!(turned_away.is_err(), "no core within the deadline");
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            drop(held);
        });
        let waited = checks
            .check("right".into(), Some(phc), Standing::FirstTry)
            .await;
        assert!(waited.unwrap(), "a core freed within the deadline");
    }

    #[tokio::test]
    async fn a_check_given_up_while_waiting_leaves_the_queue() {
        let checks = PasswordChecks::new(1, queues(2, 2), Duration::from_secs(5));
        let held = Arc::clone(&checks.permits).acquire_owned().await.unwrap();
        let held_lane = Arc::clone(&checks.after_failures)
            .acquire_owned()
            .await
            .unwrap();
        for standing in [Standing::FirstTry, Standing::AfterFailures] {
            for _ in 0..5 {
                // The client hangs up: the waiting check is dropped.
                let abandoned = tokio::time::timeout(
                    Duration::from_millis(10),
                    checks.check("x".into(), None, standing),
                )
                .await;
                assert!(abandoned.is_err());
            }
        }
        assert_eq!(checks.first_waiting.load(Ordering::SeqCst), 0);
        assert_eq!(checks.after_waiting.load(Ordering::SeqCst), 0);
        drop((held, held_lane));
        for standing in [Standing::FirstTry, Standing::AfterFailures] {
            assert!(!checks.check("x".into(), None, standing).await.unwrap());
        }
    }
}
