//! Abuse against the real server binary: a storm of wrong logins, from one address or
//! from a hundred, stays bounded in memory and lets real users in; repeated wrong
//! passwords are throttled with Retry-After; a username blocked by guesses from a few
//! addresses still lets its owner in from a clean one; known and unknown usernames take
//! the same time; and slow or idle clients are cut off by the header, body and request
//! deadlines and the connection cap.
//!
//! Clients bind to other loopback addresses (127.0.0.2, 127.0.1.7…) to act as
//! different client addresses for the throttle.

use std::{
    collections::HashMap,
    net::Ipv4Addr,
    time::{Duration, Instant},
};

use crate::helpers::binary::{
    LOGIN, Launch, Server, demo_password,
    http::{self, Answer, LOCALHOST, closed_within, connect, send_slowly},
    login_body, mb, sign_in_trying,
};
use tokio::io::AsyncWriteExt;

/// The tests that measure time or memory run one at a time, so that they do not load
/// the two cores for each other.
static MEASURING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

/// A username no one has, different on every call and in every run.
fn random_username(n: usize) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("storm-{n}-{nanos:x}@nowhere.example")
}

const STORM: usize = 100;

/// A real user signing in during a storm: after how many milliseconds, from where, who.
type RealUser = (u64, Ipv4Addr, &'static str);

/// What a storm did: its answers by status and its wall time, each real user's sign-in
/// (the last answer, the tries, the time from the first try), and the server's resident
/// set before, at its peak and after.
struct Storm {
    counts: HashMap<u16, usize>,
    wall: Duration,
    real: Vec<(std::io::Result<Answer>, usize, Duration)>,
    rss: [u64; 3],
}

/// `STORM` wrong logins at once, each with a username no one has, the `n`th from the
/// address `attacker(n)`; each answer is one of `statuses` (see `tally`). Meanwhile the
/// `real` users sign in, each trying at most `tries` times (again after Retry-After when
/// the checks are busy).
async fn storm(
    server: &Server,
    attacker: impl Fn(usize) -> Ipv4Addr,
    statuses: &[u16],
    real: [RealUser; 3],
    tries: usize,
) -> Storm {
    let before = server.rss();
    let sampler = server.sample_rss();
    let started = Instant::now();
    let to = server.address();
    let storm: Vec<_> = (0..STORM)
        .map(|n| {
            let from = attacker(n);
            let body = login_body(&random_username(n), "wrong-password").to_string();
            tokio::spawn(async move { http::send(to, from, "POST", LOGIN, &[], Some(&body)).await })
        })
        .collect();
    let real = real.map(|(delay, from, username)| {
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(delay)).await;
            sign_in_trying(to, from, username, demo_password(username), tries).await
        })
    });
    let mut answers = Vec::new();
    for task in storm {
        answers.push(task.await.unwrap());
    }
    let wall = started.elapsed();
    let mut signed_in = Vec::new();
    for login in real {
        signed_in.push(login.await.unwrap());
    }
    Storm {
        counts: tally(&answers, statuses),
        wall,
        real: signed_in,
        rss: [before, sampler.peak(), server.rss()],
    }
}

/// How a storm was answered, by status. Each answer is one of `statuses`: 401, 429
/// `too_many_requests`, or 503 `busy` with Retry-After 1.
fn tally(answers: &[std::io::Result<Answer>], statuses: &[u16]) -> HashMap<u16, usize> {
    let mut counts: HashMap<u16, usize> = HashMap::new();
    for answer in answers {
        let answer = answer
            .as_ref()
            .unwrap_or_else(|error| panic!("a storm connection was dropped: {error}"));
        *counts.entry(answer.status).or_default() += 1;
        match answer.status {
            status if !statuses.contains(&status) => panic!("a storm login answered {answer:?}"),
            401 => {}
            429 => {
                answer.assert_problem(429, "too_many_requests");
            }
            503 => {
                answer.assert_problem(503, "busy");
                assert_eq!(answer.header("retry-after"), Some("1"), "{answer:?}");
            }
            _ => panic!("a storm login answered {answer:?}"),
        }
    }
    counts
}

impl Storm {
    /// What the bounded queues promise a real user: answered at once or checked within a
    /// queue's worth of checks; turned away (503, Retry-After 1) only while the queue is
    /// full, and a storm that has been answered leaves room for the retry. What a storm
    /// may cost in memory: under 300 MB at its peak and after it. The server's log: no
    /// panic, and a 503 for each refusal the storm and the real users were told of.
    fn assert_bounded(&self, server: &Server, what: &str) {
        let outcomes: Vec<String> = self
            .real
            .iter()
            .map(|(answer, tries, took)| {
                let status = answer.as_ref().map_or(0, |answer| answer.status);
                format!("{status} after {tries} tries in {took:?}")
            })
            .collect();
        let [before, peak, after] = self.rss;
        eprintln!(
            "login storm ({what}): {:?} in {:?}; real logins: {outcomes:?}; RSS before {:.1} \
             MB, peak {:.1} MB, after {:.1} MB",
            self.counts,
            self.wall,
            mb(before),
            mb(peak),
            mb(after)
        );
        let mut busy_real = 0;
        for (answer, tries, took) in &self.real {
            let answer = answer.as_ref().expect("the real login was answered");
            assert_eq!(answer.status, 200, "a real user was refused: {answer:?}");
            assert!(*tries <= 2, "{tries} tries in {took:?}");
            assert!(*took < Duration::from_secs(2), "a real login took {took:?}");
            busy_real += tries - 1;
        }
        assert!(peak < 300_000_000, "peak RSS {:.1} MB", mb(peak));
        assert!(after < 300_000_000, "RSS after {:.1} MB", mb(after));
        let busy = server.assert_log_clean(&[LOGIN]);
        let refused = self.counts.get(&503).copied().unwrap_or_default();
        assert_eq!(busy, refused + busy_real, "{}", server.log());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_storm_of_wrong_logins_stays_small_in_memory_and_lets_real_users_in() {
    let _alone = MEASURING.lock().await;
    // The 100 connections from one address are all let in (by default past 64 the
    // rest would be closed at once): this is about the sign-in path, not that cap.
    let server = Launch::fresh()
        .env("FUSION_MAX_CONNECTIONS_PER_ADDRESS", "0")
        .start()
        .await;
    // Real users sign in while the storm is being answered, each from an address of
    // their own and once: at once, while the queue is full, and while it drains.
    let real_users = [
        (0, LOCALHOST, "group.admin"),
        (50, Ipv4Addr::new(127, 0, 0, 7), "alpha.admin"),
        (200, Ipv4Addr::new(127, 0, 0, 8), "beta.admin"),
    ];
    let one_address = |_| Ipv4Addr::new(127, 0, 0, 2);
    let storm = storm(&server, one_address, &[401, 429, 503], real_users, 1).await;
    storm.assert_bounded(&server, &format!("{STORM} wrong logins"));
    let throttled = storm.counts.get(&429).copied().unwrap_or_default();
    assert!(throttled > 0, "{:?}", storm.counts);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_passwords_in_a_row_are_answered_429_with_a_retry_after_that_is_enough() {
    let _alone = MEASURING.lock().await;
    let server = Server::start(&[]).await;
    let from = Ipv4Addr::new(127, 0, 0, 3);
    let guess = || server.login_from(from, "alpha.admin", "not-the-password");
    let mut statuses = Vec::new();
    let mut last_retry_after = None;
    for _ in 0..400 {
        let answer = guess().await;
        if answer.status == 429 {
            answer.assert_problem(429, "too_many_requests");
            let seconds = answer.retry_after();
            assert!((1..=900).contains(&seconds), "{answer:?}");
            last_retry_after = Some(seconds);
        }
        statuses.push(answer.status);
    }
    let refused = statuses.iter().filter(|&&s| s == 429).count();
    let checked = statuses.iter().filter(|&&s| s == 401).count();
    eprintln!("400 wrong passwords in a row: {checked} × 401, {refused} × 429");
    assert_eq!(&statuses[..5], &[401; 5], "the first five are checked");
    assert_eq!(statuses[5], 429, "the sixth waits");
    assert_eq!(checked + refused, 400, "{statuses:?}");
    assert!(
        checked <= 10,
        "{checked} passwords were checked: {statuses:?}"
    );

    // Waiting as long as Retry-After says is enough for one more try, and only one.
    let wait = last_retry_after.unwrap();
    tokio::time::sleep(Duration::from_secs(wait) + Duration::from_millis(100)).await;
    let retry = guess().await;
    assert_eq!(retry.status, 401, "after Retry-After ({wait} s): {retry:?}");
    guess().await.assert_status(429);
    // The block counts this pair, not the account everywhere: the owner signs in from
    // another address.
    let owner = Ipv4Addr::new(127, 0, 0, 4);
    let owner = server
        .login_from(owner, "alpha.admin", demo_password("alpha.admin"))
        .await;
    owner.assert_status(200);
    server.assert_log_clean(&[]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_username_blocked_by_guessers_still_lets_its_owner_in_from_a_clean_address() {
    let server = Server::start(&[]).await;
    let attackers = (2..=5).map(|n| Ipv4Addr::new(127, 0, 0, n));
    let attackers: Vec<Ipv4Addr> = attackers.collect();
    let fifth = Ipv4Addr::new(127, 0, 0, 6);
    let guess = |from| server.login_from(from, "group.admin", "guess");
    let started = Instant::now();
    // A fifth attacking address guesses once, then four guess in turn, each as soon as
    // the throttle lets it: the 20th failure blocks the username for 1 s, and each
    // failure when a block has ended doubles it (2, 4, then 8 s after the 23rd).
    guess(fifth).await.assert_status(401);
    let mut failures = 1;
    while failures < 23 {
        let mut refused = 0;
        for from in &attackers {
            let answer = guess(*from).await;
            match answer.status {
                401 => failures += 1,
                429 => refused += 1,
                _ => panic!("a guess answered {answer:?}"),
            }
            if failures == 23 {
                break;
            }
        }
        if refused == attackers.len() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "{failures}");
    }
    let blocked_at = Instant::now();
    eprintln!(
        "{failures} wrong passwords for group.admin from 5 addresses in {:?}",
        started.elapsed()
    );
    // The username is blocked: an address that guessed waits, for as long as the
    // username's block (the fifth's own pair and address have one failure each, far
    // from blocked).
    let waits = guess(fifth).await;
    let retry_after = waits.assert_status(429).retry_after();
    assert!((5..=8).contains(&retry_after), "{waits:?}");
    for from in &attackers {
        guess(*from).await.assert_status(429);
    }

    // The owner, from a clean address, with the right password: in at once.
    let asked = Instant::now();
    let owner = server
        .login_from(Ipv4Addr::new(127, 0, 0, 9), "group.admin", "demo-group")
        .await;
    let took = asked.elapsed();
    eprintln!("the owner signed in from a clean address in {took:?}");
    owner.assert_status(200);
    assert!(took < Duration::from_secs(2), "{took:?}");

    // The fifth attacking address stays refused, whatever password it sends (that
    // is decided before any check, by the address's record alone).
    for password in ["guess", "demo-group"] {
        let answer = server.login_from(fifth, "group.admin", password).await;
        answer.assert_status(429);
    }
    // Fresh addresses pass the block one per 5 s: a guesser with many addresses gets
    // one guess there, the next is told to come back when the next may pass.
    let (fresh, fresher) = (Ipv4Addr::new(127, 0, 0, 11), Ipv4Addr::new(127, 0, 0, 12));
    guess(fresh).await.assert_status(401);
    let second = guess(fresher).await;
    let retry_after = second.assert_status(429).retry_after();
    assert!((1..=5).contains(&retry_after), "{second:?}");
    let again = guess(fresh).await;
    assert_eq!(again.status, 429, "no longer fresh: {again:?}");
    assert!(
        blocked_at.elapsed() < Duration::from_secs(5),
        "all within the username's 8 s block: {:?}",
        blocked_at.elapsed()
    );
    server.assert_log_clean(&[]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_storm_of_first_tries_from_a_hundred_addresses_stays_bounded_and_lets_real_users_in() {
    let _alone = MEASURING.lock().await;
    let server = Server::start(&[]).await;
    // Every storm login is a first try: an unknown username, from an address of its
    // own (127.0.0.10–109) with no failures on record.
    let own_addresses = |n| Ipv4Addr::new(127, 0, 0, 10 + n as u8);
    // Real users sign in during the storm, from addresses of their own, trying again
    // after Retry-After when told the checks are busy: at once, while the queue is
    // full, and while it drains.
    let real_users = [
        (0, Ipv4Addr::new(127, 0, 1, 1), "group.admin"),
        (50, Ipv4Addr::new(127, 0, 1, 2), "alpha.admin"),
        (200, Ipv4Addr::new(127, 0, 1, 3), "beta.admin"),
    ];
    let storm = storm(&server, own_addresses, &[401, 503], real_users, 5).await;
    storm.assert_bounded(
        &server,
        &format!("{STORM} first tries from {STORM} addresses"),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn known_and_unknown_usernames_take_the_same_time_to_refuse() {
    let _alone = MEASURING.lock().await;
    let server = Server::start(&[]).await;
    // Warm up both paths (the stand-in hash for unknown users is made on first use).
    server
        .login_from(Ipv4Addr::new(127, 0, 3, 1), "nobody.here", "wrong")
        .await;
    server
        .login_from(Ipv4Addr::new(127, 0, 3, 2), "beta.admin", "wrong")
        .await;
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    // Interleaved, each from an address of its own, so that the throttle stays out of
    // it and a change in the machine's load touches both alike.
    for n in 1..=10u8 {
        for is_known in [n % 2 == 0, n % 2 != 0] {
            let (from, username) = if is_known {
                (Ipv4Addr::new(127, 0, 1, n), "beta.admin".to_owned())
            } else {
                (Ipv4Addr::new(127, 0, 2, n), format!("beta.admin{n}"))
            };
            let asked = Instant::now();
            let answer = server.login_from(from, &username, "wrong").await;
            let took = asked.elapsed();
            answer.assert_status(401);
            if is_known {
                known.push(took);
            } else {
                unknown.push(took);
            }
        }
    }
    let (known, unknown) = (median(known), median(unknown));
    eprintln!("wrong password, median: known user {known:?}, unknown user {unknown:?}");
    // A password check takes tens of milliseconds and a database look-up well under
    // one: without the stand-in check the unknown user would answer many times faster.
    assert!(
        unknown * 2 >= known && known * 2 >= unknown,
        "known {known:?} vs unknown {unknown:?}"
    );
    server.assert_log_clean(&[]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ins_abandoned_in_the_queue_do_not_keep_a_place_in_it() {
    let _alone = MEASURING.lock().await;
    let server = Server::start(&[]).await;
    let address = server.address();
    // Wrong logins that queue for a password check, whose clients hang up while they wait.
    let quitter = Ipv4Addr::new(127, 0, 0, 5);
    let quitters: Vec<_> = (0..30)
        .map(|n| {
            let body = login_body(&random_username(n), "wrong").to_string();
            tokio::spawn(async move {
                let mut stream = connect(address, quitter).await.unwrap();
                let head = format!(
                    "POST {LOGIN} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
                     Content-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                stream.write_all(head.as_bytes()).await.unwrap();
                tokio::time::sleep(Duration::from_millis(30)).await;
                drop(stream);
            })
        })
        .collect();
    for quitter in quitters {
        quitter.await.unwrap();
    }
    // Let the checks already running end.
    tokio::time::sleep(Duration::from_secs(2)).await;
    // Four people behind one address that has seen a failure sign in at once: they
    // queue for a check, and the places the quitters took must be free again.
    let office = Ipv4Addr::new(127, 0, 0, 6);
    assert_eq!(
        server.login_from(office, "nobody", "wrong").await.status,
        401
    );
    let logins = ["group.admin", "alpha.admin", "beta.admin", "group.admin"].map(|username| {
        let body = login_body(username, demo_password(username)).to_string();
        tokio::spawn(
            async move { http::send(address, office, "POST", LOGIN, &[], Some(&body)).await },
        )
    });
    for login in logins {
        let answer = login.await.unwrap().unwrap();
        answer.assert_status(200);
    }
    // Quitters past the full queue were answered 503 busy before they hung up.
    server.assert_log_clean(&[LOGIN]);
}

const HEADER_START: &str = "GET /api/v01/openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\n";

fn body_start(length: usize) -> String {
    format!(
        "POST {LOGIN} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Content-Length: {length}\r\n\r\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_idle_clients_are_cut_off_while_others_are_served() {
    let server =
        Server::start(&["--header-timeout-secs", "3", "--request-timeout-secs", "5"]).await;
    let to = server.address();
    let second = Duration::from_secs(1);
    let limit = Duration::from_secs(15);
    let header_lines = send_slowly(to, HEADER_START, b"X-Slow: 1\r\n", second, limit);
    let idle = send_slowly(to, "", b"", second, limit);
    // A kept-alive connection after its request is idle like a new one.
    let whole_request = format!("{HEADER_START}\r\n");
    let kept_alive = send_slowly(to, &whole_request, b"", second, limit);
    // The body arrives a byte a second: all of it must arrive within the body deadline
    // (= the header deadline, 3 s), which ends it before the request deadline (5 s).
    let drip_head = body_start(1000);
    let body_drip = send_slowly(to, &drip_head, b" ", second, limit);
    // A body that stops after a few bytes: the body deadline ends it.
    let stall_head = body_start(1000) + "{\"user";
    let body_stall = send_slowly(to, &stall_head, b"", second, limit);
    let others = async {
        let mut slowest = Duration::ZERO;
        for _ in 0..8 {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let asked = Instant::now();
            let answer = server.openapi(LOCALHOST).await;
            slowest = slowest.max(asked.elapsed());
            assert_eq!(answer.unwrap().status, 200);
        }
        let answer = server
            .login_from(LOCALHOST, "beta.admin", "demo-beta")
            .await;
        answer.assert_status(200);
        slowest
    };
    let (header_lines, idle, kept_alive, body_drip, body_stall, slowest) = tokio::join!(
        header_lines,
        idle,
        kept_alive,
        body_drip,
        body_stall,
        others
    );
    eprintln!("header lines a second: {header_lines:?}");
    eprintln!("idle: {idle:?}");
    eprintln!("kept alive: {:?}", kept_alive.after);
    eprintln!("body a byte a second: {body_drip:?}");
    eprintln!("body stalled: {body_stall:?}");
    eprintln!("others were answered within {slowest:?}");

    // The header deadline, which is the body deadline too: 3 s.
    let deadline = Duration::from_millis(2900)..Duration::from_secs(5);
    assert!(deadline.contains(&header_lines.after), "{header_lines:?}");
    assert!(deadline.contains(&idle.after), "{idle:?}");
    // Cut off without an answer: the request never began.
    assert_eq!(header_lines.received, "", "{header_lines:?}");
    assert_eq!(idle.received, "", "{idle:?}");
    assert!(deadline.contains(&kept_alive.after), "{kept_alive:?}");
    assert_eq!(kept_alive.answer().status, 200);

    // The body deadline answers 408 problem+json "timeout" (the client's fault, not a
    // 503) and closes.
    body_drip.answer().assert_problem(408, "timeout");
    assert!(deadline.contains(&body_drip.after), "{body_drip:?}");

    // The body deadline answers the stalled body.
    assert!(deadline.contains(&body_stall.after), "{body_stall:?}");
    body_stall.answer().assert_problem(408, "timeout");

    server.assert_log_clean(&[]);
    assert!(slowest < Duration::from_secs(1), "{slowest:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn by_default_a_client_trickling_header_lines_is_cut_off_after_ten_seconds() {
    let server = Server::start(&[]).await;
    let to = server.address();
    let second = Duration::from_secs(1);
    let limit = Duration::from_secs(20);
    // And a body a byte a second: by default it has ten seconds to arrive whole.
    let drip_head = body_start(1000);
    let (header_lines, idle, body_drip) = tokio::join!(
        send_slowly(to, HEADER_START, b"X-Slow: 1\r\n", second, limit),
        send_slowly(to, "", b"", second, limit),
        send_slowly(to, &drip_head, b" ", second, limit),
    );
    eprintln!("default deadline: header lines {header_lines:?}, idle {idle:?}, body {body_drip:?}");
    let deadline = Duration::from_millis(9900)..Duration::from_secs(12);
    assert!(deadline.contains(&header_lines.after), "{header_lines:?}");
    assert!(deadline.contains(&idle.after), "{idle:?}");
    assert!(deadline.contains(&body_drip.after), "{body_drip:?}");
    body_drip.answer().assert_problem(408, "timeout");
    server.assert_log_clean(&[]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_connection_cap_a_request_waits_for_a_free_slot_and_is_served() {
    let server = Server::start(&["--max-connections", "4", "--header-timeout-secs", "3"]).await;
    let to = server.address();
    // Let the readiness probe's connection end and free its slot.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let mut idle = Vec::new();
    for _ in 0..4 {
        idle.push(connect(to, LOCALHOST).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let fifth = server.openapi(LOCALHOST).await;
    let waited = started.elapsed();
    eprintln!("the fifth connection was served after {waited:?}");
    assert_eq!(fifth.unwrap().status, 200);
    // Served once the header deadline closed the idle ones (3 s), not before.
    assert!(
        (Duration::from_millis(2900)..Duration::from_secs(8)).contains(&waited),
        "{waited:?}"
    );
    for mut connection in idle {
        assert!(
            closed_within(&mut connection, Duration::from_secs(1)).await,
            "the idle connection was closed"
        );
    }
    // And with the slots free again, requests are served at once.
    let asked = Instant::now();
    let answer = server.openapi(LOCALHOST).await;
    assert_eq!(answer.unwrap().status, 200);
    assert!(asked.elapsed() < Duration::from_secs(1));
    server.assert_log_clean(&[]);
}
