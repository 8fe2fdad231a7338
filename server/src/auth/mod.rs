//! Who may do what: accounts, sessions, roles and scopes.
//!
//! - [`password`]: argon2id hashing, constant-cost verification.
//! - [`token`]: session/token secrets (stored as SHA-256) and CSRF tokens.
//! - [`principal`]: the [`Principal`] extractor and [`Permission`] checks.
//! - [`login_limit`]: failed-login lockout per address and per username.
//!
//! Protecting a route takes one line in its handler:
//! `principal.require(Permission::EditPlan { community_id })?;` with
//! `principal: Principal` among the handler's arguments (401
//! `unauthenticated` without valid credentials, 403 `forbidden` without the
//! permission, 403 `csrf` for a cookie write without `X-CSRF-Token`).
//!
//! # Permission matrix
//!
//! | permission                  | admin | official        | planner         | grid_worker   | public |
//! |-----------------------------|-------|-----------------|-----------------|---------------|--------|
//! | `ManageUsers`, `ReadAudit`  | yes   | –               | –               | –             | –      |
//! | `ReadAnalytics{community}`  | yes   | community in scope | –            | –             | –      |
//! | `ReadPlans{community}`      | yes   | community in scope | community in scope | –      | –      |
//! | `EditPlan{community}`       | yes   | –               | community in scope | –          | –      |
//! | `ReadGrid{grid, community}` | yes   | community in scope | community in scope | grid in scope | – |
//!
//! A scope is `all`, a list of community ids (officials, planners) or a list
//! of grid ids (grid workers); admins always have `all`. The public (no
//! login) sees only the public routes, whose bodies are built from the
//! types in `api::public` and never carry household counts or people beyond
//! a grid's published contacts.

pub mod login_limit;
pub mod password;
pub mod principal;
pub mod token;

use std::time::Duration;

use gridmap_data::model::Id;
use gridmap_data::store::accounts::{NewSession, SessionKind, User, unix_now};
use gridmap_data::store::{AuditEntry, Store};

pub use principal::{Permission, Principal, Via};

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

/// Start a browser session or issue a script token for `user`, audited
/// with `audit`. Returns the secret (shown once, stored only hashed) and
/// when it expires (Unix seconds).
pub async fn issue(
    store: &dyn Store,
    user: &User,
    kind: SessionKind,
    ttl: Duration,
    label: Option<String>,
    audit: &AuditEntry,
) -> gridmap_data::Result<(String, i64)> {
    let secret = token::new_secret();
    let now = unix_now();
    let expires_at = now.saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX));
    store
        .accounts()
        .create_session(
            &NewSession {
                token_hash: token::hash_secret(&secret),
                user_id: user.id,
                kind,
                label,
                created_at: now,
                expires_at,
            },
            audit,
        )
        .await?;
    Ok((secret, expires_at))
}

/// Parse a CLI id list: `all` or `1,2,3`.
pub fn parse_ids(text: &str) -> Result<Option<Vec<Id>>, String> {
    if text.trim().eq_ignore_ascii_case("all") {
        return Ok(None);
    }
    text.split(',')
        .map(|s| {
            s.trim()
                .parse::<Id>()
                .map_err(|_| format!("`{s}` is not an id (expected `all` or ids like 1,2,3)"))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}
