//! Who may do what: accounts, sessions, roles and scopes.
//!
//! - [`principal`]: the [`Principal`] extractor and [`Permission`] checks.
//! - from gridmap-service (`gridmap_service::auth`), re-exported here:
//!   [`password`] (argon2id), [`token`] (secrets, CSRF tokens),
//!   [`login_limit`] (failed-login lockout) and the [`Permission`] matrix.
//!
//! Protecting a route takes one line in its handler:
//! `principal.require(Permission::EditPlan { community_id })?;` with
//! `principal: Principal` among the handler's arguments (401
//! `unauthenticated` without valid credentials, 403 `forbidden` without the
//! permission, 403 `csrf` for a cookie write without `X-CSRF-Token`).
//!
//! The permission matrix (roles × scopes) is in [`gridmap_service::auth`];
//! admins always have scope `all`. The public (no
//! login) sees only the public routes, whose bodies are built from the
//! types in `api::public` and never carry household counts or people beyond
//! a grid's published contacts.

pub mod principal;

use std::time::Duration;

pub use gridmap_service::auth::{Permission, issue, login_limit, parse_ids, password, token};
pub use principal::{Principal, Via};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "gridmap_session";
/// Header that carries the CSRF token on cookie-authenticated writes.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Session and login settings.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// How long a browser session lives.
    pub session_ttl: Duration,
    /// Add `Secure` to the session cookie (serve over HTTPS, or behind a TLS proxy).
    pub secure_cookies: bool,
    /// Failed logins allowed per address and per username within `login_window`.
    pub max_login_failures: usize,
    pub login_window: Duration,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            session_ttl: Duration::from_secs(8 * 3600),
            secure_cookies: false,
            max_login_failures: 5,
            login_window: Duration::from_secs(5 * 60),
        }
    }
}

/// Auth settings; shared by every request. (The login lockout is counted
/// in the store, see [`login_limit`].)
#[derive(Debug)]
pub struct AuthState {
    pub config: AuthConfig,
}

impl AuthState {
    pub fn new(config: AuthConfig) -> Self {
        AuthState { config }
    }

    /// The login lockout rule.
    pub fn login_limit(&self) -> gridmap_data::store::accounts::LoginLimit {
        login_limit::limit(self.config.max_login_failures, self.config.login_window)
    }

    /// The `Set-Cookie` value that starts a session.
    pub fn session_cookie(&self, secret: &str) -> String {
        format!(
            "{SESSION_COOKIE}={secret}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{}",
            self.config.session_ttl.as_secs(),
            if self.config.secure_cookies {
                "; Secure"
            } else {
                ""
            }
        )
    }

    /// The `Set-Cookie` value that ends it.
    pub fn clear_cookie(&self) -> String {
        format!(
            "{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0{}",
            if self.config.secure_cookies {
                "; Secure"
            } else {
                ""
            }
        )
    }
}
