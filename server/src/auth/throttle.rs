//! Login throttling: failures are counted per username, per client address and per
//! (username, address) pair; past a few free failures a key is blocked for a time that
//! doubles with each further failure. An attempt counts as a failure the moment it
//! starts, so a burst of concurrent attempts is throttled as surely as a sequence; a
//! success then takes back its own count and clears the pair, but nothing else (a valid
//! account cannot be used to wash an address's failures away). Known and unknown
//! usernames are counted alike.
//!
//! Not `governor`: a rate limit counts every request, whereas this counts failures and
//! forgives a success, which is what lets a real user in while an attacker is held back.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::Mutex,
    time::{Duration, Instant},
};

/// The limits; `Default` is what the server uses.
#[derive(Clone, Copy, Debug)]
pub struct ThrottlePolicy {
    /// Failures allowed before the first block, per key kind (`free` attempts in a row
    /// may fail; the next one waits).
    pub free_per_pair: u32,
    pub free_per_user: u32,
    pub free_per_address: u32,
    /// The first block; each further failure doubles it, up to `max_block`.
    pub first_block: Duration,
    pub max_block: Duration,
    /// A key without failures for this long starts again from zero.
    pub forget_after: Duration,
    /// Keys remembered at most; beyond it, the oldest unblocked keys are forgotten.
    pub capacity: usize,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        ThrottlePolicy {
            free_per_pair: 5,
            free_per_user: 20,
            free_per_address: 30,
            first_block: Duration::from_secs(1),
            max_block: Duration::from_secs(15 * 60),
            forget_after: Duration::from_secs(15 * 60),
            capacity: 100_000,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    Pair(String, Option<IpAddr>),
    User(String),
    Address(IpAddr),
}

#[derive(Debug)]
struct Entry {
    failures: u32,
    last: Instant,
    blocked_until: Option<Instant>,
}

/// An attempt let through: what a success must give back.
#[derive(Debug)]
pub struct Attempt {
    keys: Vec<Key>,
    first_try: bool,
}

impl Attempt {
    /// Whether no failure was on record for its username, address or pair when it
    /// began (such an attempt gets a core ahead of a storm of failures).
    pub fn is_first_try(&self) -> bool {
        self.first_try
    }
}

#[derive(Debug)]
pub struct LoginThrottle {
    policy: ThrottlePolicy,
    entries: Mutex<HashMap<Key, Entry>>,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self::new(ThrottlePolicy::default())
    }
}

impl LoginThrottle {
    pub fn new(policy: ThrottlePolicy) -> Self {
        LoginThrottle {
            policy,
            entries: Mutex::default(),
        }
    }

    /// Lets an attempt through (counting it as a failure until it succeeds), or says how
    /// long to wait. A refused attempt is not counted, so waiting is always enough.
    pub fn begin(&self, username: &str, address: Option<IpAddr>) -> Result<Attempt, Duration> {
        self.begin_at(username, address, Instant::now())
    }

    fn begin_at(
        &self,
        username: &str,
        address: Option<IpAddr>,
        now: Instant,
    ) -> Result<Attempt, Duration> {
        let user = username.trim().to_lowercase();
        let mut keys = vec![Key::Pair(user.clone(), address), Key::User(user)];
        keys.extend(address.map(Key::Address));
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let wait = keys
            .iter()
            .filter_map(|key| entries.get(key)?.blocked_until)
            .filter(|until| *until > now)
            .map(|until| until - now)
            .max();
        if let Some(wait) = wait {
            return Err(wait.max(Duration::from_secs(1)));
        }
        if entries.len() + keys.len() > self.policy.capacity {
            self.forget(&mut entries, now);
        }
        let first_try = keys.iter().all(|key| {
            entries.get(key).is_none_or(|entry| {
                entry.failures == 0 || now.duration_since(entry.last) > self.policy.forget_after
            })
        });
        for key in &keys {
            let free = self.free(key);
            if entries.len() >= self.policy.capacity && !entries.contains_key(key) {
                continue; // Full of blocked keys: hashing stays bounded by its own limit.
            }
            let entry = entries.entry(key.clone()).or_insert(Entry {
                failures: 0,
                last: now,
                blocked_until: None,
            });
            if now.duration_since(entry.last) > self.policy.forget_after {
                entry.failures = 0;
            }
            entry.failures += 1;
            entry.last = now;
            // This attempt is let through; with the free failures used up, the next waits.
            if entry.failures >= free {
                entry.blocked_until = Some(now + self.block(entry.failures + 1 - free));
            }
        }
        Ok(Attempt { keys, first_try })
    }

    /// The attempt's password was right: its pair starts afresh, and its count is
    /// taken back from the username and the address (their other failures remain).
    pub fn succeeded(&self, attempt: Attempt) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        for key in attempt.keys {
            if matches!(key, Key::Pair(..)) {
                entries.remove(&key);
                continue;
            }
            let free = self.free(&key);
            if let Some(entry) = entries.get_mut(&key) {
                entry.failures = entry.failures.saturating_sub(1);
                if entry.failures < free {
                    entry.blocked_until = None;
                }
            }
        }
    }

    /// Keys remembered now (for tests and metrics).
    pub fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or_default()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn free(&self, key: &Key) -> u32 {
        match key {
            Key::Pair(..) => self.policy.free_per_pair,
            Key::User(_) => self.policy.free_per_user,
            Key::Address(_) => self.policy.free_per_address,
        }
    }

    fn block(&self, over: u32) -> Duration {
        let doublings = over.saturating_sub(1).min(20);
        self.policy
            .first_block
            .saturating_mul(1 << doublings)
            .min(self.policy.max_block)
    }

    /// Drops keys that are not blocked and have had no failure for a while, then, if
    /// still full, every key that is not blocked.
    fn forget(&self, entries: &mut HashMap<Key, Entry>, now: Instant) {
        let blocked = |entry: &Entry| entry.blocked_until.is_some_and(|until| until > now);
        entries.retain(|_, entry| {
            blocked(entry) || now.duration_since(entry.last) <= self.policy.forget_after
        });
        if entries.len() >= self.policy.capacity {
            entries.retain(|_, entry| blocked(entry));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> ThrottlePolicy {
        ThrottlePolicy {
            free_per_pair: 3,
            free_per_user: 5,
            free_per_address: 8,
            first_block: Duration::from_secs(1),
            max_block: Duration::from_secs(60),
            forget_after: Duration::from_secs(600),
            capacity: 1000,
        }
    }

    fn ip(last: u8) -> Option<IpAddr> {
        Some(IpAddr::from([10, 0, 0, last]))
    }

    #[test]
    fn a_pair_is_blocked_past_its_free_failures_with_a_doubling_wait() {
        let throttle = LoginThrottle::new(policy());
        let now = Instant::now();
        for _ in 0..3 {
            throttle.begin_at("alice", ip(1), now).expect("free tries");
        }
        // The free three are used: the fourth waits for the first block.
        let wait = throttle.begin_at("alice", ip(1), now).unwrap_err();
        assert_eq!(wait, Duration::from_secs(1));
        let later = now + Duration::from_secs(2);
        throttle
            .begin_at("alice", ip(1), later)
            .expect("after the wait");
        let wait = throttle.begin_at("alice", ip(1), later).unwrap_err();
        assert_eq!(wait, Duration::from_secs(2), "the block doubles");
        // Another address is not blocked by this pair.
        throttle
            .begin_at("ALICE ", ip(2), later)
            .expect("other address");
    }

    #[test]
    fn only_an_attempt_without_failures_on_record_is_a_first_try() {
        let throttle = LoginThrottle::new(policy());
        let now = Instant::now();
        assert!(
            throttle
                .begin_at("dave", ip(4), now)
                .unwrap()
                .is_first_try()
        );
        // The pair, the username and the address each have a failure now.
        assert!(
            !throttle
                .begin_at("dave", ip(4), now)
                .unwrap()
                .is_first_try()
        );
        assert!(
            !throttle
                .begin_at("dave", ip(5), now)
                .unwrap()
                .is_first_try()
        );
        assert!(
            !throttle
                .begin_at("erin", ip(4), now)
                .unwrap()
                .is_first_try()
        );
        assert!(
            throttle
                .begin_at("grace", ip(7), now)
                .unwrap()
                .is_first_try()
        );
        // A success takes its failure back.
        let fresh = throttle.begin_at("frank", ip(6), now).unwrap();
        throttle.succeeded(fresh);
        assert!(
            throttle
                .begin_at("frank", ip(6), now)
                .unwrap()
                .is_first_try()
        );
        // And failures are forgotten after a quiet while.
        let much_later = now + Duration::from_secs(601);
        assert!(
            throttle
                .begin_at("dave", ip(4), much_later)
                .unwrap()
                .is_first_try()
        );
    }

    #[test]
    fn concurrent_attempts_count_before_they_finish() {
        let throttle = LoginThrottle::new(policy());
        let now = Instant::now();
        let held: Vec<_> = (0..3)
            .map(|_| throttle.begin_at("bob", ip(1), now).expect("let through"))
            .collect();
        assert!(throttle.begin_at("bob", ip(1), now).is_err());
        drop(held);
    }

    #[test]
    fn a_success_clears_its_pair_but_not_the_address() {
        let throttle = LoginThrottle::new(policy());
        let now = Instant::now();
        // Seven failures for seven usernames from one address, then a valid login.
        for n in 0..7 {
            throttle.begin_at(&format!("user{n}"), ip(9), now).unwrap();
        }
        let valid = throttle.begin_at("owner", ip(9), now).unwrap();
        throttle.succeeded(valid);
        // The address still holds its seven failures: one more is free, then blocked.
        throttle.begin_at("user8", ip(9), now).unwrap();
        assert!(throttle.begin_at("user9", ip(9), now).is_err());
        // A success does not unblock the address it came from.
        assert!(throttle.begin_at("owner", ip(9), now).is_err());
    }

    #[test]
    fn unknown_and_known_usernames_are_counted_alike_and_memory_is_bounded() {
        let throttle = LoginThrottle::new(ThrottlePolicy {
            capacity: 50,
            ..policy()
        });
        let now = Instant::now();
        for n in 0..500 {
            let _ = throttle.begin_at(&format!("sprayed{n}"), ip((n % 200) as u8), now);
        }
        assert!(throttle.len() <= 50, "{} keys", throttle.len());
    }

    #[test]
    fn failures_are_forgotten_after_a_quiet_while() {
        let throttle = LoginThrottle::new(policy());
        let now = Instant::now();
        for _ in 0..3 {
            throttle.begin_at("carol", ip(3), now).unwrap();
        }
        let much_later = now + Duration::from_secs(601);
        for _ in 0..3 {
            throttle.begin_at("carol", ip(3), much_later).unwrap();
        }
    }
}
