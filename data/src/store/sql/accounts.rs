//! [`Accounts`] on either backend (tables from the `0002_accounts.sql`
//! migrations; triggers there keep `audit_log` append-only).

use async_trait::async_trait;
use sqlx::{Database, Pool};

use super::{Backend, Stmt, all, execute, first, int};
use crate::error::{DataError, Result};
use crate::model::Id;
use crate::store::Accounts;
use crate::store::accounts::{
    AuditEntry, AuditRecord, LoginLimit, LoginReservation, NewSession, NewUser, Scope, Session,
    User, login_wait,
};
use crate::store::decode::{self, AUDIT_COLUMNS, Columns, SESSION_COLUMNS, USER_COLUMNS};

/// Accounts in a pool: [`crate::store::SqliteAccounts`] or [`crate::store::PgAccounts`].
pub struct SqlAccounts<DB: Database> {
    pool: Pool<DB>,
}

impl<DB: Database> Clone for SqlAccounts<DB> {
    fn clone(&self) -> Self {
        SqlAccounts {
            pool: self.pool.clone(),
        }
    }
}

impl<DB: Database> SqlAccounts<DB> {
    pub fn new(pool: Pool<DB>) -> Self {
        SqlAccounts { pool }
    }
}

/// Append an audit row on a connection (inside the caller's transaction).
pub(crate) async fn insert_audit<DB: Backend>(
    conn: &mut DB::Connection,
    e: &AuditEntry,
) -> Result<Id> {
    let detail = e.detail.to_string();
    let s = Stmt::new(
        "INSERT INTO audit_log (at, actor, action, target, detail, remote)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .int(e.at)
    .text(&e.actor)
    .text(&e.action)
    .opt_text(e.target.as_deref())
    .text(&detail)
    .opt_text(e.remote.as_deref());
    int::<DB>(conn, s).await
}

fn scope_json(scope: &Scope) -> Result<String> {
    serde_json::to_string(scope).map_err(|e| DataError::Account(format!("scope: {e}")))
}

#[async_trait]
impl<DB: Backend> Accounts for SqlAccounts<DB> {
    async fn create_user(&self, user: &NewUser, audit: &AuditEntry) -> Result<Id> {
        let mut tx = self.pool.begin().await?;
        let s = Stmt::new("SELECT id FROM users WHERE username = $1").text(&user.username);
        if first::<DB, _>(&mut *tx, s, |r| r.int(0)).await?.is_some() {
            return Err(DataError::Account(format!(
                "user `{}` already exists",
                user.username
            )));
        }
        let scope = scope_json(&user.scope)?;
        let s = Stmt::new(
            "INSERT INTO users (username, role, scope, password_hash, disabled, created_at)
             VALUES ($1, $2, $3, $4, FALSE, $5) RETURNING id",
        )
        .text(&user.username)
        .text(user.role.as_str())
        .text(&scope)
        .text(&user.password_hash)
        .int(audit.at);
        let id = int::<DB>(&mut *tx, s).await?;
        insert_audit::<DB>(&mut *tx, audit).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn set_password(
        &self,
        username: &str,
        password_hash: &str,
        audit: &AuditEntry,
    ) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let s = Stmt::new("UPDATE users SET password_hash = $1 WHERE username = $2")
            .text(password_hash)
            .text(username);
        if execute::<DB>(&mut *tx, s).await? != 1 {
            return Ok(false);
        }
        let s = Stmt::new(
            "DELETE FROM sessions WHERE kind = 'session'
             AND user_id = (SELECT id FROM users WHERE username = $1)",
        );
        execute::<DB>(&mut *tx, s.text(username)).await?;
        insert_audit::<DB>(&mut *tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn set_disabled(
        &self,
        username: &str,
        disabled: bool,
        audit: &AuditEntry,
    ) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let s = Stmt::new("UPDATE users SET disabled = $1 WHERE username = $2")
            .flag(disabled)
            .text(username);
        if execute::<DB>(&mut *tx, s).await? != 1 {
            return Ok(false);
        }
        if disabled {
            let s = Stmt::new(
                "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = $1)",
            );
            execute::<DB>(&mut *tx, s.text(username)).await?;
        }
        insert_audit::<DB>(&mut *tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn users(&self) -> Result<Vec<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u ORDER BY u.id");
        let mut conn = self.pool.acquire().await?;
        all::<DB, _>(&mut *conn, Stmt::new(&sql), decode::user).await
    }

    async fn credentials(&self, username: &str) -> Result<Option<(User, String)>> {
        let sql =
            format!("SELECT {USER_COLUMNS}, u.password_hash FROM users u WHERE u.username = $1");
        let mut conn = self.pool.acquire().await?;
        first::<DB, _>(&mut *conn, Stmt::new(&sql).text(username), |r| {
            Ok((decode::user(r)?, r.text(6)?))
        })
        .await
    }

    async fn create_session(&self, s: &NewSession, audit: &AuditEntry) -> Result<Id> {
        let mut tx = self.pool.begin().await?;
        let q = Stmt::new(
            "INSERT INTO sessions (token_hash, user_id, kind, label, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .blob(&s.token_hash[..])
        .int(s.user_id)
        .text(s.kind.as_str())
        .opt_text(s.label.as_deref())
        .int(s.created_at)
        .int(s.expires_at);
        let id = int::<DB>(&mut *tx, q).await?;
        insert_audit::<DB>(&mut *tx, audit).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn session(&self, token_hash: &[u8; 32], now: i64) -> Result<Option<Session>> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, {SESSION_COLUMNS}
             FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND NOT u.disabled"
        );
        let s = Stmt::new(&sql).blob(&token_hash[..]).int(now);
        let mut conn = self.pool.acquire().await?;
        first::<DB, _>(&mut *conn, s, decode::session).await
    }

    async fn delete_session(&self, token_hash: &[u8; 32], audit: &AuditEntry) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let s = Stmt::new("DELETE FROM sessions WHERE token_hash = $1").blob(&token_hash[..]);
        if execute::<DB>(&mut *tx, s).await? == 0 {
            return Ok(false);
        }
        insert_audit::<DB>(&mut *tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn purge_expired(&self, now: i64) -> Result<u64> {
        let mut conn = self.pool.acquire().await?;
        let s = Stmt::new("DELETE FROM sessions WHERE expires_at <= $1").int(now);
        let purged = execute::<DB>(&mut *conn, s).await?;
        // Attempts older than a day count for no lockout.
        let s = Stmt::new("DELETE FROM login_attempts WHERE at <= $1")
            .int(now.saturating_sub(86_400).saturating_mul(1_000));
        execute::<DB>(&mut *conn, s).await?;
        Ok(purged)
    }

    async fn reserve_login(
        &self,
        keys: &[String],
        now_ms: i64,
        limit: LoginLimit,
    ) -> Result<LoginReservation> {
        let mut tx = self.pool.begin().await?;
        // Serialise attempts on the same keys across every server of the
        // database, so the count below sees every attempt committed before
        // this one and none can commit in between. PostGIS takes an advisory
        // lock per key (READ COMMITTED alone would let two reservations both
        // count the other as absent), in one order; on SQLite the INSERTs
        // that come first take its one write lock.
        if let Some(lock) = DB::DIALECT.login_lock {
            let mut sorted: Vec<&String> = keys.iter().collect();
            sorted.sort();
            sorted.dedup();
            for key in sorted {
                execute::<DB>(&mut *tx, Stmt::new(lock).text(key)).await?;
            }
        }
        let mut ids = Vec::with_capacity(keys.len());
        for key in keys {
            let s = Stmt::new("INSERT INTO login_attempts (key, at) VALUES ($1, $2) RETURNING id")
                .text(key)
                .int(now_ms);
            ids.push(int::<DB>(&mut *tx, s).await?);
        }
        let since = now_ms.saturating_sub(limit.window_ms);
        let mut wait = 0_i64;
        for key in keys {
            let s = Stmt::new(
                "SELECT COUNT(*), MIN(at) FROM login_attempts WHERE key = $1 AND at > $2",
            )
            .text(key)
            .int(since);
            let counted = first::<DB, _>(&mut *tx, s, |r| Ok((r.int(0)?, r.opt_int(1)?))).await?;
            let (n, oldest) = counted.unwrap_or((0, None));
            // `n` counts this attempt too.
            if n > i64::from(limit.max_failures) {
                wait = wait.max(login_wait(oldest.unwrap_or(now_ms), now_ms, limit));
            }
        }
        if wait > 0 {
            // Rolled back: a refused attempt is not counted.
            return Ok(LoginReservation::Refused {
                retry_after_ms: wait,
            });
        }
        for key in keys {
            let s = Stmt::new("DELETE FROM login_attempts WHERE key = $1 AND at <= $2")
                .text(key)
                .int(since);
            execute::<DB>(&mut *tx, s).await?;
        }
        tx.commit().await?;
        Ok(LoginReservation::Granted(ids))
    }

    async fn release_login(&self, reservation: &[Id], forgive: &[String]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for id in reservation {
            let s = Stmt::new("DELETE FROM login_attempts WHERE id = $1").int(*id);
            execute::<DB>(&mut *tx, s).await?;
        }
        for key in forgive {
            let s = Stmt::new("DELETE FROM login_attempts WHERE key = $1").text(key);
            execute::<DB>(&mut *tx, s).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn append_audit(&self, entry: &AuditEntry) -> Result<Id> {
        let mut conn = self.pool.acquire().await?;
        insert_audit::<DB>(&mut *conn, entry).await
    }

    async fn audit(&self, limit: u32, before: Option<Id>) -> Result<Vec<AuditRecord>> {
        let sql = format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE id < $1 ORDER BY id DESC LIMIT $2"
        );
        let s = Stmt::new(&sql)
            .int(before.unwrap_or(i64::MAX))
            .int(i64::from(limit));
        let mut conn = self.pool.acquire().await?;
        all::<DB, _>(&mut *conn, s, decode::audit_record).await
    }
}
