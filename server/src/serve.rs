//! Serving the router over HTTP/1.1 with the limits `axum::serve` does not set: a
//! deadline for a request's headers (which also closes idle keep-alive connections), a
//! cap on connections served at once and on those one client address holds, and a
//! graceful shutdown with a deadline.

use std::{
    collections::HashMap,
    convert::Infallible,
    net::{IpAddr, SocketAddr},
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use crate::auth::throttle::client_network;
use axum::{Router, body::Body, extract::ConnectInfo};
use hyper::{body::Incoming, server::conn::http1, service::service_fn};
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
};
use tokio::{net::TcpListener, sync::Semaphore};
use tower::ServiceExt;

/// The limits of the listening socket.
#[derive(Clone, Copy, Debug)]
pub struct ServeLimits {
    /// How long a client has to send a request's headers, idle time before it included.
    pub header_timeout: Duration,
    /// Connections served at once; further ones wait in the kernel's listen queue.
    pub max_connections: usize,
    /// Connections one client address (an IPv6 /64) may hold at once, 0 for no limit;
    /// further ones are closed as soon as they are accepted, before they take one of
    /// `max_connections`.
    pub max_connections_per_address: usize,
    /// How long open connections get to finish after `shutdown` resolves.
    pub grace: Duration,
}

/// Serves `router` on `listener` until `shutdown` resolves, then stops accepting and
/// waits (at most `limits.grace`) for open connections to finish their requests.
/// Each request carries the peer's address as `ConnectInfo<SocketAddr>`.
///
/// A connection is accepted, counted against its address's share, and only then waits
/// for one of the `max_connections` slots (holding up the accept loop, so that further
/// connections wait in the listen queue): one address cannot take more than its share
/// of the slots, whatever it does with them (slow headers, idle keep-alive).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ServeLimits,
    shutdown: impl Future<Output = ()>,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let shares = AddressShares::new(limits.max_connections_per_address);
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: back off rather than spin.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(share) = shares.take(peer.ip()) else {
            // Past its address's share: closed at once, without taking a slot.
            tracing::debug!(%peer, "connection refused: too many from this address");
            drop(stream);
            continue;
        };
        let permit = tokio::select! {
            permit = Arc::clone(&permits).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let service = service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            let router = router.clone();
            async move {
                let response = router.oneshot(request.map(Body::new)).await;
                Ok::<_, Infallible>(response.unwrap_or_else(|never| match never {}))
            }
        });
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, %peer, "connection ended with an error");
            }
            drop(permit);
            drop(share);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(limits.grace) => {
            tracing::warn!("connections still open after the shutdown grace period; closing them");
        }
    }
}

/// How many connections each client address holds, against a limit per address. The
/// map holds only addresses with a connection open (an entry goes when its count drops
/// to 0), so it never has more entries than there are open connections.
struct AddressShares {
    limit: usize,
    open: OpenByAddress,
}

type OpenByAddress = Arc<Mutex<HashMap<IpAddr, usize>>>;

/// One open connection counted against its address (nothing without a limit); dropping
/// it gives the place back.
struct Share(Option<(OpenByAddress, IpAddr)>);

impl AddressShares {
    fn new(limit: usize) -> Self {
        AddressShares {
            limit,
            open: Arc::default(),
        }
    }

    /// A place for one more connection from `peer`, unless its address holds its share.
    fn take(&self, peer: IpAddr) -> Option<Share> {
        if self.limit == 0 {
            return Some(Share(None));
        }
        let address = client_network(peer);
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let count = open.entry(address).or_default();
        if *count >= self.limit {
            return None;
        }
        *count += 1;
        Some(Share(Some((Arc::clone(&self.open), address))))
    }
}

impl Drop for Share {
    fn drop(&mut self) {
        let Some((open, address)) = &self.0 else {
            return;
        };
        let mut open = open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = open.get_mut(address) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(address);
            }
        }
    }
}

/// Resolves on SIGTERM or Ctrl-C (SIGINT).
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}

/// The peer address of a request served by `serve`, if any (in-process tests have none).
pub fn peer_address<B>(request: &axum::http::Request<B>) -> Option<SocketAddr> {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| *address)
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::AddressShares;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_address_holds_at_most_its_share_and_the_map_forgets_it_when_it_is_gone() {
        let shares = AddressShares::new(2);
        let first = shares.take(ip("2001:db8::1")).unwrap();
        let second = shares.take(ip("2001:db8::2")).unwrap();
        assert!(shares.take(ip("2001:db8::3")).is_none(), "the same /64");
        let other = shares.take(ip("::ffff:10.0.0.1")).unwrap();
        assert!(shares.take(ip("10.0.0.1")).is_some(), "its second place");
        drop(first);
        let third = shares.take(ip("2001:db8::3")).unwrap();
        assert!(shares.take(ip("2001:db8::4")).is_none());
        drop((second, third, other));
        assert!(shares.open.lock().unwrap().is_empty());
    }

    #[test]
    fn without_a_limit_nothing_is_counted() {
        let shares = AddressShares::new(0);
        let held: Vec<_> = (0..1000).map(|_| shares.take(ip("10.0.0.1"))).collect();
        assert!(held.iter().all(Option::is_some));
        assert!(shares.open.lock().unwrap().is_empty());
    }
}
