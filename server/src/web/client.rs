//! The client's address, for login throttling: the socket's peer, or behind a trusted
//! reverse proxy the last `X-Forwarded-For` entry (the one that proxy wrote).

use std::net::IpAddr;

use axum::{
    extract::{Request, State},
    middleware::Next,
    response::Response,
};

pub use app::backend::ClientAddress;

use super::Site;

pub async fn record_address(
    State(site): State<Site>,
    mut request: Request,
    next: Next,
) -> Response {
    let forwarded = site
        .trust_forwarded_for
        .then(|| last_forwarded_for(request.headers()))
        .flatten();
    let address = forwarded.or_else(|| crate::serve::peer_address(&request).map(|peer| peer.ip()));
    if let Some(address) = address {
        request.extensions_mut().insert(ClientAddress(address));
    }
    next.run(request).await
}

fn last_forwarded_for(headers: &axum::http::HeaderMap) -> Option<IpAddr> {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .next_back()
        .and_then(|entry| entry.trim().parse().ok())
}
