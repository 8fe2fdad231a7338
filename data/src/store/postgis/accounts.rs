//! [`Accounts`] on the PostGIS store (tables from migration
//! `postgis/0002_accounts.sql`; a trigger there keeps `audit_log` append-only).

use async_trait::async_trait;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool, Row};

use crate::store::Accounts;
use crate::store::accounts::{
    AuditEntry, AuditRecord, LoginLimit, LoginReservation, NewSession, NewUser, Role, Scope,
    Session, SessionKind, User, login_wait,
};
use crate::error::{DataError, Result};
use crate::model::Id;

/// Accounts in a PostgreSQL pool.
#[derive(Clone)]
pub struct PgAccounts {
    pool: PgPool,
}

impl PgAccounts {
    pub fn new(pool: PgPool) -> Self {
        PgAccounts { pool }
    }
}

/// Append an audit row on a connection (inside the caller's transaction).
pub(super) async fn insert_audit(conn: &mut PgConnection, e: &AuditEntry) -> Result<Id> {
    let id: Id = sqlx::query_scalar(
        "INSERT INTO audit_log (at, actor, action, target, detail, remote)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(e.at)
    .bind(&e.actor)
    .bind(&e.action)
    .bind(&e.target)
    .bind(e.detail.to_string())
    .bind(&e.remote)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

fn corrupt(table: &'static str, column: &'static str, id: Id, message: String) -> DataError {
    DataError::Corrupt {
        table,
        column,
        id,
        message,
    }
}

const USER_COLUMNS: &str = "u.id, u.username, u.role, u.scope, u.disabled, u.created_at";

/// A user from the first six columns of a row (`USER_COLUMNS`).
fn user_from(r: &PgRow) -> Result<User> {
    let id: Id = r.try_get(0)?;
    let role: String = r.try_get(2)?;
    let scope: String = r.try_get(3)?;
    Ok(User {
        id,
        username: r.try_get(1)?,
        role: Role::parse(&role)
            .ok_or_else(|| corrupt("users", "role", id, format!("unknown role `{role}`")))?,
        scope: serde_json::from_str::<Scope>(&scope)
            .map_err(|e| corrupt("users", "scope", id, e.to_string()))?,
        disabled: r.try_get::<bool, _>(4)?,
        created_at: r.try_get(5)?,
    })
}

fn scope_json(scope: &Scope) -> Result<String> {
    serde_json::to_string(scope).map_err(|e| DataError::Account(format!("scope: {e}")))
}

#[async_trait]
impl Accounts for PgAccounts {
    async fn create_user(&self, user: &NewUser, audit: &AuditEntry) -> Result<Id> {
        let mut tx = self.pool.begin().await?;
        let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
            .bind(&user.username)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(DataError::Account(format!(
                "user `{}` already exists",
                user.username
            )));
        }
        let id: Id = sqlx::query_scalar(
            "INSERT INTO users (username, role, scope, password_hash, disabled, created_at)
             VALUES ($1, $2, $3, $4, false, $5) RETURNING id",
        )
        .bind(&user.username)
        .bind(user.role.as_str())
        .bind(scope_json(&user.scope)?)
        .bind(&user.password_hash)
        .bind(audit.at)
        .fetch_one(&mut *tx)
        .await?;
        insert_audit(&mut tx, audit).await?;
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
        let r = sqlx::query("UPDATE users SET password_hash = $1 WHERE username = $2")
            .bind(password_hash)
            .bind(username)
            .execute(&mut *tx)
            .await?;
        if r.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query(
            "DELETE FROM sessions WHERE kind = 'session'
             AND user_id = (SELECT id FROM users WHERE username = $1)",
        )
        .bind(username)
        .execute(&mut *tx)
        .await?;
        insert_audit(&mut tx, audit).await?;
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
        let r = sqlx::query("UPDATE users SET disabled = $1 WHERE username = $2")
            .bind(disabled)
            .bind(username)
            .execute(&mut *tx)
            .await?;
        if r.rows_affected() != 1 {
            return Ok(false);
        }
        if disabled {
            sqlx::query(
                "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = $1)",
            )
            .bind(username)
            .execute(&mut *tx)
            .await?;
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn users(&self) -> Result<Vec<User>> {
        let rows = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users u ORDER BY u.id"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(user_from).collect()
    }

    async fn credentials(&self, username: &str) -> Result<Option<(User, String)>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, u.password_hash FROM users u WHERE u.username = $1"
        ))
        .bind(username)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(r) => Ok(Some((user_from(&r)?, r.try_get(6)?))),
            None => Ok(None),
        }
    }

    async fn create_session(&self, s: &NewSession, audit: &AuditEntry) -> Result<Id> {
        let mut tx = self.pool.begin().await?;
        let id: Id = sqlx::query_scalar(
            "INSERT INTO sessions (token_hash, user_id, kind, label, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(&s.token_hash[..])
        .bind(s.user_id)
        .bind(s.kind.as_str())
        .bind(&s.label)
        .bind(s.created_at)
        .bind(s.expires_at)
        .fetch_one(&mut *tx)
        .await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn session(&self, token_hash: &[u8; 32], now: i64) -> Result<Option<Session>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, s.id, s.kind, s.expires_at
             FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND NOT u.disabled"
        ))
        .bind(&token_hash[..])
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let id: Id = r.try_get(6)?;
        let kind: String = r.try_get(7)?;
        Ok(Some(Session {
            id,
            kind: SessionKind::parse(&kind)
                .ok_or_else(|| corrupt("sessions", "kind", id, format!("unknown kind `{kind}`")))?,
            expires_at: r.try_get(8)?,
            user: user_from(&r)?,
        }))
    }

    async fn delete_session(&self, token_hash: &[u8; 32], audit: &AuditEntry) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let r = sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(&token_hash[..])
            .execute(&mut *tx)
            .await?;
        if r.rows_affected() == 0 {
            return Ok(false);
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn purge_expired(&self, now: i64) -> Result<u64> {
        let r = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        // Attempts older than a day count for no lockout.
        sqlx::query("DELETE FROM login_attempts WHERE at <= $1")
            .bind(now.saturating_sub(86_400).saturating_mul(1_000))
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected())
    }

    async fn reserve_login(
        &self,
        keys: &[String],
        now_ms: i64,
        limit: LoginLimit,
    ) -> Result<LoginReservation> {
        let mut tx = self.pool.begin().await?;
        // Serialise attempts on the same keys across every server of this
        // database (READ COMMITTED alone would let two reservations both
        // count the other as absent).
        let mut sorted: Vec<&String> = keys.iter().collect();
        sorted.sort();
        sorted.dedup();
        for key in sorted {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 7))")
                .bind(key)
                .execute(&mut *tx)
                .await?;
        }
        let mut ids = Vec::with_capacity(keys.len());
        for key in keys {
            let id: Id = sqlx::query_scalar(
                "INSERT INTO login_attempts (key, at) VALUES ($1, $2) RETURNING id",
            )
            .bind(key)
            .bind(now_ms)
            .fetch_one(&mut *tx)
            .await?;
            ids.push(id);
        }
        let since = now_ms.saturating_sub(limit.window_ms);
        let mut wait = 0_i64;
        for key in keys {
            let (n, oldest): (i64, Option<i64>) = sqlx::query_as(
                "SELECT COUNT(*), MIN(at) FROM login_attempts WHERE key = $1 AND at > $2",
            )
            .bind(key)
            .bind(since)
            .fetch_one(&mut *tx)
            .await?;
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
            sqlx::query("DELETE FROM login_attempts WHERE key = $1 AND at <= $2")
                .bind(key)
                .bind(since)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(LoginReservation::Granted(ids))
    }

    async fn release_login(&self, reservation: &[Id], forgive: &[String]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for id in reservation {
            sqlx::query("DELETE FROM login_attempts WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        for key in forgive {
            sqlx::query("DELETE FROM login_attempts WHERE key = $1")
                .bind(key)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn append_audit(&self, entry: &AuditEntry) -> Result<Id> {
        let mut conn = self.pool.acquire().await?;
        insert_audit(&mut conn, entry).await
    }

    async fn audit(&self, limit: u32, before: Option<Id>) -> Result<Vec<AuditRecord>> {
        let rows = sqlx::query(
            "SELECT id, at, actor, action, target, detail, remote FROM audit_log
             WHERE id < $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(before.unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let id: Id = r.try_get(0)?;
                let detail: String = r.try_get(5)?;
                Ok(AuditRecord {
                    id,
                    at: r.try_get(1)?,
                    actor: r.try_get(2)?,
                    action: r.try_get(3)?,
                    target: r.try_get(4)?,
                    detail: serde_json::from_str(&detail)
                        .map_err(|e| corrupt("audit_log", "detail", id, e.to_string()))?,
                    remote: r.try_get(6)?,
                })
            })
            .collect()
    }
}
