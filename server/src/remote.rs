//! The client's address, from the connection (`ConnectInfo`). Behind a
//! reverse proxy this is the proxy: put per-client limits there, or run
//! gridmap directly on the intranet address.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::Extensions;

/// The peer address of the connection, when the server recorded it (the
/// binary always does; `oneshot` tests do not).
pub fn client_ip(extensions: &Extensions) -> Option<IpAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
}
