//! Who may do what, without HTTP: passwords, secrets, the login lockout
//! and the permission matrix. Sessions over HTTP (cookies, CSRF, the
//! `Principal` extractor) are gridmap-server's.
//!
//! - [`password`]: argon2id hashing, constant-cost verification.
//! - [`token`]: session/token secrets (stored as SHA-256) and CSRF tokens.
//! - [`permission`]: the [`Permission`] matrix.
//! - [`login_limit`]: failed-login lockout per address and per username.
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
//! of grid ids (grid workers); admins always have `all`.

pub mod login_limit;
pub mod password;
pub mod permission;
pub mod token;

use std::time::Duration;

use gridmap_data::model::Id;
use gridmap_data::store::accounts::{NewSession, SessionKind, User, unix_now};
use gridmap_data::store::{AuditEntry, Store};

pub use permission::Permission;

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
