//! Accounts: users with a role and a scope, login sessions and script
//! tokens, and the append-only audit log. [`Accounts`] is what a store
//! backend implements; the server owns the policy (who may do what), this
//! module only stores it.
//!
//! Secrets never reach the store in clear: passwords arrive as argon2id PHC
//! strings, session and token secrets as their SHA-256.
//!
//! Every account write takes the [`AuditEntry`] describing it and commits
//! both in one transaction, so a change is never stored without its audit
//! row (and vice versa).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::model::Id;

/// What a user is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including users and the audit log.
    Admin,
    /// Reads analytics for the communities in scope.
    Official,
    /// Edits plans of the communities in scope.
    Planner,
    /// Reads the grids in scope.
    GridWorker,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Official, Role::Planner, Role::GridWorker];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Official => "official",
            Role::Planner => "planner",
            Role::GridWorker => "grid_worker",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which part of the map a user's role applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "ids", rename_all = "snake_case")]
pub enum Scope {
    /// Every community.
    All,
    /// These communities (and every grid in them).
    Communities(Vec<Id>),
    /// These grids only (grid workers).
    Grids(Vec<Id>),
}

impl Scope {
    /// Whether the scope covers this community as a whole.
    pub fn covers_community(&self, community: Id) -> bool {
        match self {
            Scope::All => true,
            Scope::Communities(ids) => ids.contains(&community),
            Scope::Grids(_) => false,
        }
    }

    /// Whether the scope covers this grid (of that community).
    pub fn covers_grid(&self, grid: Id, community: Id) -> bool {
        match self {
            Scope::Grids(ids) => ids.contains(&grid),
            other => other.covers_community(community),
        }
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list = |ids: &[Id]| {
            ids.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(",")
        };
        match self {
            Scope::All => f.write_str("all"),
            Scope::Communities(ids) => write!(f, "communities {}", list(ids)),
            Scope::Grids(ids) => write!(f, "grids {}", list(ids)),
        }
    }
}

/// A stored user (without the password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: Id,
    pub username: String,
    pub role: Role,
    pub scope: Scope,
    pub disabled: bool,
    /// Unix seconds.
    pub created_at: i64,
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub role: Role,
    pub scope: Scope,
    /// argon2id PHC string.
    pub password_hash: String,
}

/// A browser session (cookie) or a script token (bearer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionKind {
    Session,
    Token,
}

impl SessionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionKind::Session => "session",
            SessionKind::Token => "token",
        }
    }

    pub fn parse(s: &str) -> Option<SessionKind> {
        match s {
            "session" => Some(SessionKind::Session),
            "token" => Some(SessionKind::Token),
            _ => None,
        }
    }
}

/// A session to create.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// SHA-256 of the secret the client holds.
    pub token_hash: [u8; 32],
    pub user_id: Id,
    pub kind: SessionKind,
    pub label: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub expires_at: i64,
}

/// A live session and the user it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: Id,
    pub kind: SessionKind,
    pub expires_at: i64,
    pub user: User,
}

/// One audit row to append.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    /// Unix seconds.
    pub at: i64,
    /// `user:<name>`, `cli:<os user>`, `anonymous`, `system`.
    pub actor: String,
    /// Dotted verb, e.g. `login.success`, `user.add`, `import.osm`.
    pub action: String,
    /// What was acted on (a username, a file name …).
    pub target: Option<String>,
    /// Anything else worth keeping, as JSON.
    pub detail: serde_json::Value,
    /// Remote address of the request, when it came over HTTP.
    pub remote: Option<String>,
}

impl AuditEntry {
    /// An entry stamped with the current time, without target, detail or remote.
    pub fn now(actor: impl Into<String>, action: impl Into<String>) -> Self {
        AuditEntry {
            at: unix_now(),
            actor: actor.into(),
            action: action.into(),
            target: None,
            detail: serde_json::Value::Object(serde_json::Map::new()),
            remote: None,
        }
    }

    pub fn target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    pub fn detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = detail;
        self
    }

    pub fn remote(mut self, remote: Option<String>) -> Self {
        self.remote = remote;
        self
    }
}

/// A stored audit row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRecord {
    pub id: Id,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub target: Option<String>,
    pub detail: serde_json::Value,
    pub remote: Option<String>,
}

/// The login lockout rule: at most `max_failures` attempts counted per key
/// (an address, a username) within `window_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginLimit {
    pub max_failures: u32,
    pub window_ms: i64,
}

/// The answer to [`Accounts::reserve_login`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginReservation {
    /// The attempt is counted as a failure until [`Accounts::release_login`]
    /// (on success) removes it: go on and check the password.
    Granted(Vec<Id>),
    /// Locked out: try again in this many milliseconds (at least 1).
    Refused { retry_after_ms: i64 },
}

/// The keys a login attempt is counted under: its address and its username,
/// each as the hex SHA-256 of `ip:<address>` / `user:<name>` (fixed size
/// whatever a client sends).
pub fn login_keys(remote: Option<&str>, username: &str) -> [String; 2] {
    use sha2::{Digest, Sha256};
    let hex = |s: String| {
        Sha256::digest(s.as_bytes())
            .iter()
            .fold(String::with_capacity(64), |mut out, b| {
                use std::fmt::Write;
                let _ = write!(out, "{b:02x}");
                out
            })
    };
    [
        hex(format!("ip:{}", remote.unwrap_or("unknown"))),
        hex(format!("user:{username}")),
    ]
}

/// How long a refused key must wait, given its oldest counted attempt.
pub(crate) fn login_wait(oldest_ms: i64, now_ms: i64, limit: LoginLimit) -> i64 {
    (oldest_ms.saturating_add(limit.window_ms) - now_ms).max(1)
}

/// Milliseconds since the Unix epoch (0 if the clock is before it).
pub fn unix_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Seconds since the Unix epoch (0 if the clock is before it).
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Users, sessions and the audit log of one store.
#[async_trait]
pub trait Accounts: Send + Sync {
    /// Create a user; fails with [`crate::DataError::Account`] when the name is taken.
    async fn create_user(&self, user: &NewUser, audit: &AuditEntry) -> Result<Id>;
    /// Replace a user's password hash; false when no such user. Ends the
    /// user's browser sessions (tokens stay).
    async fn set_password(
        &self,
        username: &str,
        password_hash: &str,
        audit: &AuditEntry,
    ) -> Result<bool>;
    /// Disable or re-enable a user; disabling ends all their sessions and
    /// tokens. False when no such user.
    async fn set_disabled(
        &self,
        username: &str,
        disabled: bool,
        audit: &AuditEntry,
    ) -> Result<bool>;
    /// Every user, by id.
    async fn users(&self) -> Result<Vec<User>>;
    /// A user and their password hash, by name.
    async fn credentials(&self, username: &str) -> Result<Option<(User, String)>>;
    /// Store a new session or token.
    async fn create_session(&self, session: &NewSession, audit: &AuditEntry) -> Result<Id>;
    /// The live session for this secret hash: not expired at `now`, user not disabled.
    async fn session(&self, token_hash: &[u8; 32], now: i64) -> Result<Option<Session>>;
    /// End a session; false when it was not there.
    async fn delete_session(&self, token_hash: &[u8; 32], audit: &AuditEntry) -> Result<bool>;
    /// Forget sessions expired before `now`; returns how many.
    async fn purge_expired(&self, now: i64) -> Result<u64>;
    /// Count a login attempt under `keys` before its password is checked, in
    /// one atomic step with the check of the limit: granted only while every
    /// key has fewer than `limit.max_failures` attempts counted within the
    /// window (failures and attempts still being checked, from every server
    /// sharing the store). Parallel guesses are therefore refused before
    /// they are verified.
    async fn reserve_login(
        &self,
        keys: &[String],
        now_ms: i64,
        limit: LoginLimit,
    ) -> Result<LoginReservation>;
    /// A login succeeded: remove its reservation rows and forgive the
    /// failures counted under `forgive` (the username's key).
    async fn release_login(&self, reservation: &[Id], forgive: &[String]) -> Result<()>;
    /// Append one audit row on its own (e.g. a failed login).
    async fn append_audit(&self, entry: &AuditEntry) -> Result<Id>;
    /// Newest first: at most `limit` rows with id below `before` (if given).
    async fn audit(&self, limit: u32, before: Option<Id>) -> Result<Vec<AuditRecord>>;
}
