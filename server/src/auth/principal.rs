//! The [`Principal`] extractor: who is calling, by session cookie or bearer
//! token, and [`Principal::require`] to check a [`Permission`].
//!
//! Cookie-authenticated requests with an unsafe method (POST, PUT, PATCH,
//! DELETE) must carry `X-CSRF-Token` equal to the session's CSRF token;
//! bearer requests need none (a browser never attaches them on its own).

use std::net::IpAddr;

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use gridmap_data::store::AuditEntry;
use gridmap_data::store::accounts::{SessionKind, User, unix_now};

use super::token;
use super::{CSRF_HEADER, Permission, SESSION_COOKIE};
use crate::error::ApiError;
use crate::remote::client_ip;
use crate::state::AppState;

/// How the caller proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// Session cookie; carries the session's CSRF token.
    Cookie { csrf_token: String },
    /// `Authorization: Bearer …` (scripts).
    Bearer,
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: User,
    pub via: Via,
    /// When the session or token ends (Unix seconds).
    pub expires_at: i64,
    /// The client's address, for the audit log.
    pub remote: Option<IpAddr>,
    /// SHA-256 of the secret presented (to end this session on logout).
    pub(crate) token_hash: [u8; 32],
}

impl Principal {
    /// `Ok` when the caller may do this, else 403 `forbidden`.
    pub fn require(&self, permission: Permission) -> Result<(), ApiError> {
        if permission.allows(self.user.role, &self.user.scope) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "{} `{}` may not do this ({permission:?})",
                self.user.role, self.user.username
            )))
        }
    }

    /// `user:<name>`, the audit log's actor for this caller.
    pub fn actor(&self) -> String {
        format!("user:{}", self.user.username)
    }

    /// An audit entry for an action by this caller, stamped now, with the
    /// caller's address filled in: `tx.append_audit(&p.audit("plan.publish").target(..))`.
    pub fn audit(&self, action: &str) -> AuditEntry {
        AuditEntry::now(self.actor(), action).remote(self.remote.map(|ip| ip.to_string()))
    }
}

/// The secret a request presents: bearer first, then the session cookie.
pub(crate) fn presented_secret(headers: &HeaderMap) -> Option<(String, SessionKind)> {
    if let Some(auth) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let secret = auth
            .strip_prefix("Bearer ")
            .or_else(|| auth.strip_prefix("bearer "))?;
        return Some((secret.trim().to_owned(), SessionKind::Token));
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| (v.to_owned(), SessionKind::Session))
}

fn unsafe_method(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// `Ok(None)` when the request carries no valid credential; `Err` for a
/// cookie write without the right CSRF token or a store failure.
pub(crate) async fn authenticate(
    parts: &Parts,
    state: &AppState,
) -> Result<Option<Principal>, ApiError> {
    let Some((secret, presented_as)) = presented_secret(&parts.headers) else {
        return Ok(None);
    };
    if !token::well_formed(&secret) {
        return Ok(None);
    }
    let token_hash = token::hash_secret(&secret);
    let Some(session) = state
        .store
        .accounts()
        .session(&token_hash, unix_now())
        .await?
    else {
        return Ok(None);
    };
    // A cookie must hold a browser session and a bearer header a token:
    // a stolen script token is not a cookie and the other way round.
    if session.kind != presented_as {
        return Ok(None);
    }
    let via = match session.kind {
        SessionKind::Token => Via::Bearer,
        SessionKind::Session => {
            let csrf_token = token::csrf_for(&secret);
            if unsafe_method(&parts.method) {
                let sent = parts
                    .headers
                    .get(CSRF_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                if !token::constant_time_eq(sent, &csrf_token) {
                    return Err(ApiError::new(
                        axum::http::StatusCode::FORBIDDEN,
                        "csrf",
                        format!(
                            "a cookie-authenticated write needs the {CSRF_HEADER} header from login"
                        ),
                    ));
                }
            }
            Via::Cookie { csrf_token }
        }
    };
    Ok(Some(Principal {
        user: session.user,
        via,
        expires_at: session.expires_at,
        remote: client_ip(&parts.extensions),
        token_hash,
    }))
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        authenticate(parts, state).await?.ok_or_else(|| {
            ApiError::unauthenticated("log in (POST /api/auth/login) or send a bearer token")
        })
    }
}

impl OptionalFromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, ApiError> {
        authenticate(parts, state).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_wins_over_cookie_and_cookies_parse() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "a=b; gridmap_session=abc; c=d".parse().unwrap(),
        );
        assert_eq!(
            presented_secret(&h),
            Some(("abc".to_owned(), SessionKind::Session))
        );
        h.insert(header::AUTHORIZATION, "Bearer xyz".parse().unwrap());
        assert_eq!(
            presented_secret(&h),
            Some(("xyz".to_owned(), SessionKind::Token))
        );
        h.insert(header::AUTHORIZATION, "Basic xyz".parse().unwrap());
        assert_eq!(presented_secret(&h), None);
    }
}
