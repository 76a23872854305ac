//! Login throttling: failures are counted per username, per client network and per
//! (username, network) pair; past a few free failures a key is blocked for a time that
//! doubles with each further failure. An attempt counts as a failure the moment it
//! starts, so a burst of concurrent attempts is throttled as surely as a sequence; a
//! success then takes back its own count and clears the pair, but nothing else (a valid
//! account cannot be used to wash an address's failures away). A *fresh* attempt (no
//! failure on record for its network or its pair) whose password was never checked
//! (the checks were busy) is taken back entirely, so that it keeps its standing (fresh,
//! perhaps a first try) when it tries again; any other attempt turned away busy keeps
//! counting, so a flood from a network that has failed meets its block all the sooner.
//! Known and unknown usernames are counted alike.
//!
//! **Networks.** An IPv4 address counts on its own (an IPv4-mapped IPv6 address as the
//! IPv4 address it maps); an IPv6 address counts as its /64 prefix, since one host or
//! subscriber normally holds a whole /64 and could otherwise pick a new address for
//! every try.
//!
//! **A blocked username does not lock its owner out.** The pair's and the network's
//! blocks always hold, and so does the username's for any attempt from a network or
//! pair with a failure on record. An attempt with no failure on record for its network
//! or its pair (a *fresh* attempt) passes the username's block, but only one per
//! [`ThrottlePolicy::fresh_every`] (5 s) per username; it still counts (its network
//! and pair are no longer fresh, the username's block grows), and it is not a first
//! try, so its password is checked in the lane for attempts after failures, never on
//! the core kept for first tries. A refused fresh attempt is told when the next one
//! may pass.
//!
//! The trade-off: a username's block alone let anyone with a few addresses keep the
//! owner out (20 failures, then one more each time the block ends, renew a block of up
//! to 15 minutes for ever), the owner signing in with the right password from a clean
//! address included. Letting fresh attempts through gives the owner a way in. The price
//! is more guesses for a guesser with many networks: one per fresh network per forget
//! window (15 minutes), and per username at most one per 5 s however many networks it
//! has, so at most 180 per 15 minutes, each spending an IPv4 address or an IPv6 /64
//! that cannot pass that username's block again for 15 minutes. That is more than a
//! strict lockout allows (hence strong administrator passwords matter), bought to end
//! a lockout anyone could cause. Letting every fresh attempt through, unbounded, would
//! have priced a guess at one network alone; bounding them per username also bounds
//! the hashing a blocked username costs. A guesser that takes every 5 s pass does keep
//! an owner's fresh attempt waiting (each told when the next pass opens), at the cost
//! of 180 new networks per 15 minutes. Left as it was: an owner who mistypes while the
//! username is blocked is no longer fresh on that network, and waits out the
//! username's block there (or signs in from another network). Remembering the
//! browsers a username has signed in from (a device cookie) would let the owner past
//! the block without the extra guesses; not done.
//!
//! Not `governor`: a rate limit counts every request, whereas this counts failures and
//! forgives a success, which is what lets a real user in while an attacker is held back.

use std::{
    collections::HashMap,
    net::{IpAddr, Ipv6Addr},
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
    /// While a username is blocked, one fresh attempt (none of its network's or its
    /// pair's failures on record) passes the block per this long; `None`: none does.
    pub fresh_every: Option<Duration>,
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
            fresh_every: Some(Duration::from_secs(5)),
            capacity: 100_000,
        }
    }
}

impl ThrottlePolicy {
    /// For second-factor codes, counted per user: whoever gets that far knows the
    /// password, so no fresh attempt passes a user's block (its owner waits it out, or
    /// changes the password), and a six-digit code gets few guesses.
    pub fn second_factor() -> Self {
        ThrottlePolicy {
            free_per_user: 10,
            fresh_every: None,
            ..ThrottlePolicy::default()
        }
    }
}

/// The network an address is counted as: an IPv4 address itself (an IPv4-mapped IPv6
/// address as its IPv4 address), an IPv6 address its /64 prefix.
pub fn client_network(address: IpAddr) -> IpAddr {
    match address.to_canonical() {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from_bits(v6.to_bits() & !(u128::MAX >> 64))),
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
    /// A username's: when a fresh attempt last passed its block.
    fresh_passed: Option<Instant>,
}

/// What an attempt did to one key, so that it can be taken back.
#[derive(Debug)]
struct Counted {
    key: Key,
    blocked_before: Option<Instant>,
    blocked_after: Option<Instant>,
}

/// A fresh attempt's pass through its username's block.
#[derive(Debug)]
struct FreshPass {
    user: Key,
    at: Instant,
    before: Option<Instant>,
}

/// An attempt let through: what a success (or an unchecked attempt) must give back.
#[derive(Debug)]
pub struct Attempt {
    pair: Key,
    counted: Vec<Counted>,
    fresh: bool,
    first_try: bool,
    fresh_pass: Option<FreshPass>,
}

impl Attempt {
    /// Whether no failure was on record for its username, network or pair when it
    /// began (such an attempt may use the core kept for first tries).
    pub fn is_first_try(&self) -> bool {
        self.first_try
    }

    /// Whether it was let through its username's block as a fresh attempt.
    pub fn passed_user_block(&self) -> bool {
        self.fresh_pass.is_some()
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

/// A wait as Retry-After states it: at least a second.
fn at_least_a_second(wait: Duration) -> Duration {
    wait.max(Duration::from_secs(1))
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
        let network = address.map(client_network);
        let pair = Key::Pair(user.clone(), network);
        let user_key = Key::User(user);
        let address_key = network.map(Key::Address);
        let own: Vec<&Key> = std::iter::once(&pair).chain(&address_key).collect();
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let blocked_for = |entries: &HashMap<Key, Entry>, key: &Key| {
            let until = entries.get(key)?.blocked_until?;
            (until > now).then(|| until - now)
        };
        let on_record = |entries: &HashMap<Key, Entry>, key: &Key| {
            entries.get(key).is_some_and(|entry| {
                entry.failures > 0 && now.duration_since(entry.last) <= self.policy.forget_after
            })
        };
        // The pair's and the network's blocks hold whatever the username's state.
        if let Some(wait) = own
            .iter()
            .filter_map(|key| blocked_for(&entries, key))
            .max()
        {
            return Err(at_least_a_second(wait));
        }
        let fresh = !own.iter().any(|key| on_record(&entries, key));
        let first_try = fresh && !on_record(&entries, &user_key);
        let mut fresh_pass = None;
        if let Some(wait) = blocked_for(&entries, &user_key) {
            let Some(fresh_every) = self.policy.fresh_every.filter(|_| fresh) else {
                return Err(at_least_a_second(wait));
            };
            let entry = entries
                .get_mut(&user_key)
                .expect("a blocked username is on record");
            if let Some(reopens) = entry.fresh_passed.map(|at| at + fresh_every)
                && reopens > now
            {
                return Err(at_least_a_second(reopens - now));
            }
            fresh_pass = Some(FreshPass {
                user: user_key.clone(),
                at: now,
                before: entry.fresh_passed.replace(now),
            });
        }
        let keys: Vec<Key> = [pair.clone(), user_key]
            .into_iter()
            .chain(address_key)
            .collect();
        if entries.len() + keys.len() > self.policy.capacity {
            self.forget(&mut entries, now);
        }
        let mut counted = Vec::with_capacity(keys.len());
        for key in keys {
            let free = self.free(&key);
            if entries.len() >= self.policy.capacity && !entries.contains_key(&key) {
                continue; // Full of blocked keys: hashing stays bounded by its own limit.
            }
            let entry = entries.entry(key.clone()).or_insert(Entry {
                failures: 0,
                last: now,
                blocked_until: None,
                fresh_passed: None,
            });
            if now.duration_since(entry.last) > self.policy.forget_after {
                entry.failures = 0;
            }
            entry.failures += 1;
            entry.last = now;
            let blocked_before = entry.blocked_until;
            // This attempt is let through; with the free failures used up, the next waits.
            if entry.failures >= free {
                entry.blocked_until = Some(now + self.block(entry.failures + 1 - free));
            }
            counted.push(Counted {
                key,
                blocked_before,
                blocked_after: entry.blocked_until,
            });
        }
        Ok(Attempt {
            pair,
            counted,
            fresh,
            first_try,
            fresh_pass,
        })
    }

    /// The attempt's password was right: its pair starts afresh, and its count is
    /// taken back from the username and the network (their other failures remain), as
    /// is its pass through the username's block.
    pub fn succeeded(&self, attempt: Attempt) {
        self.take_back(attempt, true);
    }

    /// The attempt's password was never checked (the checks were busy): a fresh one is
    /// taken back as if it had not begun, so that trying again is not held against it
    /// (it stays fresh, and a first try stays one); any other keeps counting.
    pub fn unchecked(&self, attempt: Attempt) {
        if attempt.fresh {
            self.take_back(attempt, false);
        }
    }

    fn take_back(&self, attempt: Attempt, clear_pair: bool) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if clear_pair {
            entries.remove(&attempt.pair);
        }
        for counted in attempt.counted {
            if clear_pair && counted.key == attempt.pair {
                continue;
            }
            let free = self.free(&counted.key);
            if let Some(entry) = entries.get_mut(&counted.key) {
                entry.failures = entry.failures.saturating_sub(1);
                // Unless a later failure has set it since, the block is as it was.
                if entry.blocked_until == counted.blocked_after {
                    entry.blocked_until = counted.blocked_before;
                }
                if entry.failures < free {
                    entry.blocked_until = None;
                }
            }
        }
        if let Some(pass) = attempt.fresh_pass
            && let Some(entry) = entries.get_mut(&pass.user)
            && entry.fresh_passed == Some(pass.at)
        {
            entry.fresh_passed = pass.before;
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
            fresh_every: Some(Duration::from_secs(5)),
            capacity: 1000,
        }
    }

    fn ip(last: u8) -> Option<IpAddr> {
        Some(IpAddr::from([10, 0, 0, last]))
    }

    fn v6(address: &str) -> Option<IpAddr> {
        Some(address.parse().unwrap())
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
        // Each attempt is dropped unfinished, which records a failure.
        let first_try = |user: &str, address: u8, at| {
            throttle
                .begin_at(user, ip(address), at)
                .unwrap()
                .is_first_try()
        };
        assert!(first_try("dave", 4, now));
        // The pair, the username and the address each have a failure now.
        for (user, address) in [("dave", 4), ("dave", 5), ("erin", 4)] {
            assert!(!first_try(user, address, now), "{user} from {address}");
        }
        assert!(first_try("grace", 7, now));
        // A success takes its failure back.
        let fresh = throttle.begin_at("frank", ip(6), now).unwrap();
        throttle.succeeded(fresh);
        assert!(first_try("frank", 6, now));
        // And failures are forgotten after a quiet while.
        assert!(first_try("dave", 4, now + Duration::from_secs(601)));
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

    /// `username` blocked: `free_per_user` failures from ip(1) and ip(2), with a first
    /// block long enough to outlast each test.
    fn blocked(username: &str, now: Instant) -> LoginThrottle {
        let throttle = LoginThrottle::new(ThrottlePolicy {
            first_block: Duration::from_secs(60),
            max_block: Duration::from_secs(600),
            ..policy()
        });
        for n in 0..5 {
            throttle
                .begin_at(username, ip(1 + n % 2), now)
                .expect("the free failures");
        }
        throttle
    }

    #[test]
    fn a_blocked_username_lets_fresh_attempts_through_one_per_interval() {
        let now = Instant::now();
        let throttle = blocked("admin", now);
        // The networks that failed wait for the username's block: ip(2) has only two
        // failures of its own, so it is the username's block that holds it.
        assert_eq!(
            throttle.begin_at("admin", ip(2), now).unwrap_err(),
            Duration::from_secs(60)
        );
        // A network with no failure for this username, but failures for another, is
        // not fresh either.
        throttle.begin_at("someone", ip(3), now).unwrap();
        assert!(throttle.begin_at("admin", ip(3), now).is_err());
        // A fresh attempt passes, but not as a first try.
        let fresh = throttle.begin_at("Admin", ip(9), now).expect("fresh");
        assert!(fresh.passed_user_block());
        assert!(!fresh.is_first_try());
        // One per five seconds per username: the next fresh network is told when.
        let soon = now + Duration::from_secs(2);
        assert_eq!(
            throttle.begin_at("admin", ip(10), soon).unwrap_err(),
            Duration::from_secs(3)
        );
        // The pass counted: ip(9) is no longer fresh, and the block grew.
        assert_eq!(
            throttle.begin_at("admin", ip(9), soon).unwrap_err(),
            Duration::from_secs(118)
        );
        let later = now + Duration::from_secs(5);
        assert!(throttle.begin_at("admin", ip(10), later).is_ok());
        assert!(throttle.begin_at("admin", ip(11), later).is_err());
        // Other usernames are not held back by this one's block or its interval.
        assert!(
            throttle
                .begin_at("other", ip(12), later)
                .unwrap()
                .is_first_try()
        );
    }

    #[test]
    fn without_fresh_passes_a_blocked_user_holds_every_network() {
        let now = Instant::now();
        let throttle = LoginThrottle::new(ThrottlePolicy {
            first_block: Duration::from_secs(60),
            fresh_every: None,
            ..policy()
        });
        for n in 0..5 {
            throttle.begin_at("7", ip(1 + n % 2), now).unwrap();
        }
        assert_eq!(
            throttle.begin_at("7", ip(9), now).unwrap_err(),
            Duration::from_secs(60)
        );
        let later = now + Duration::from_secs(30);
        assert!(throttle.begin_at("7", ip(10), later).is_err());
        assert!(throttle.begin_at("8", ip(10), later).is_ok());
    }

    #[test]
    fn a_fresh_attempt_that_succeeds_or_goes_unchecked_gives_its_pass_back() {
        let now = Instant::now();
        let throttle = blocked("admin", now);
        let owner = throttle.begin_at("admin", ip(9), now).unwrap();
        throttle.succeeded(owner);
        // The owner's success took its failure back: the block is the one before, and
        // the next fresh network may pass at once.
        assert_eq!(
            throttle.begin_at("admin", ip(2), now).unwrap_err(),
            Duration::from_secs(60)
        );
        let busy = throttle.begin_at("admin", ip(10), now).unwrap();
        throttle.unchecked(busy);
        // Unchecked, it left nothing behind: ip(10) is still fresh and passes again.
        let again = throttle.begin_at("admin", ip(10), now).unwrap();
        assert!(again.passed_user_block());
        assert!(throttle.begin_at("admin", ip(11), now).is_err());
    }

    #[test]
    fn an_unchecked_fresh_attempt_is_not_held_against_it_but_others_count() {
        let throttle = LoginThrottle::new(policy());
        let now = Instant::now();
        // A first try that went unchecked is a first try again, and left nothing.
        let first = throttle.begin_at("dan", ip(4), now).unwrap();
        assert!(first.is_first_try());
        throttle.unchecked(first);
        assert!(throttle.begin_at("dan", ip(4), now).unwrap().is_first_try());
        // From a pair with failures on record, unchecked attempts count on: the third
        // blocks the pair as a checked one would.
        let throttle = LoginThrottle::new(policy());
        throttle.begin_at("carol", ip(3), now).unwrap();
        for _ in 0..2 {
            let busy = throttle.begin_at("carol", ip(3), now).unwrap();
            throttle.unchecked(busy);
        }
        assert!(throttle.begin_at("carol", ip(3), now).is_err());
    }

    #[test]
    fn ipv6_addresses_count_by_their_64_prefix() {
        assert_eq!(
            client_network("2001:db8:1:2:aaaa:bbbb:cccc:dddd".parse().unwrap()),
            "2001:db8:1:2::".parse::<IpAddr>().unwrap()
        );
        let throttle = LoginThrottle::new(policy());
        let now = Instant::now();
        // The pair: three failures from three addresses of one /64 block it.
        for n in 1..=3 {
            let from = v6(&format!("2001:db8:1:2::{n}"));
            throttle.begin_at("erin", from, now).unwrap();
        }
        assert!(
            throttle
                .begin_at("erin", v6("2001:db8:1:2:ffff::9"), now)
                .is_err()
        );
        assert!(
            throttle
                .begin_at("erin", v6("2001:db8:1:3::1"), now)
                .is_ok()
        );
        // The network: eight failures for eight usernames from eight addresses.
        for n in 1..=4 {
            let from = v6(&format!("2001:db8:5:6::{n}:1"));
            throttle.begin_at(&format!("user{n}"), from, now).unwrap();
        }
        let busy = throttle
            .begin_at("user5", v6("2001:db8:5:6:1::"), now)
            .unwrap();
        assert!(!busy.is_first_try(), "the /64 has failures");
        for n in 6..=8 {
            let from = v6(&format!("2001:db8:5:6:{n}::{n}"));
            throttle.begin_at(&format!("user{n}"), from, now).unwrap();
        }
        assert!(
            throttle
                .begin_at("user9", v6("2001:db8:5:6::99"), now)
                .is_err()
        );
        assert!(
            throttle
                .begin_at("user9", v6("2001:db8:5:7::99"), now)
                .is_ok()
        );
        // A fresh attempt past a username's block needs a fresh /64, not a new address.
        let now = now + Duration::from_secs(1000);
        for n in 0..5u8 {
            let from = v6(&format!("2001:db8:9:{}::1", n % 2));
            throttle.begin_at("frank", from, now).unwrap();
        }
        assert!(
            throttle
                .begin_at("frank", v6("2001:db8:9:1::2"), now)
                .is_err()
        );
        assert!(
            throttle
                .begin_at("frank", v6("2001:db8:9:2::1"), now)
                .is_ok()
        );
    }

    #[test]
    fn ipv4_mapped_addresses_count_as_their_ipv4_address() {
        let mapped = v6("::ffff:10.0.0.1");
        assert_eq!(client_network(mapped.unwrap()), ip(1).unwrap());
        let throttle = LoginThrottle::new(policy());
        let now = Instant::now();
        throttle.begin_at("grace", mapped, now).unwrap();
        throttle.begin_at("grace", ip(1), now).unwrap();
        throttle.begin_at("grace", mapped, now).unwrap();
        assert!(throttle.begin_at("grace", ip(1), now).is_err());
        // Other IPv4 addresses stay apart, and are not grouped by any prefix.
        assert!(
            throttle
                .begin_at("heidi", ip(2), now)
                .unwrap()
                .is_first_try()
        );
    }
}
