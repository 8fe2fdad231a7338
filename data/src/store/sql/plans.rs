//! Plan storage for the SQLite store: plans, their append-only versions,
//! community rules and retired grid codes (see migrations/sqlite/0003_plans.sql).

use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, SqliteConnection, SqlitePool, Transaction};

use crate::error::{DataError, Result};
use crate::model::{Grid, Id, Plan, PlanOp, PlanStatus, PlanVersion};
use crate::store::codec;

const PLAN_COLUMNS: &str = "id, community_id, name, status, base_plan_id, version, created_by, created_at, published_at, base_published_id";

fn plan_row(r: &SqliteRow) -> Result<Plan> {
    let id: i64 = r.try_get(0)?;
    let status: String = r.try_get(3)?;
    Ok(Plan {
        id,
        community_id: r.try_get(1)?,
        name: r.try_get(2)?,
        status: PlanStatus::parse(&status).ok_or_else(|| DataError::Corrupt {
            table: "plans",
            column: "status",
            id,
            message: format!("unexpected value `{status}`"),
        })?,
        base_plan_id: r.try_get(4)?,
        version: r.try_get(5)?,
        created_by: r.try_get(6)?,
        created_at: r.try_get(7)?,
        published_at: r.try_get(8)?,
        base_published_id: r.try_get(9)?,
    })
}

fn version_row(r: &SqliteRow, with_state: bool) -> Result<PlanVersion> {
    let plan_id: i64 = r.try_get(0)?;
    let op: String = r.try_get(2)?;
    Ok(PlanVersion {
        plan_id,
        version: r.try_get(1)?,
        op: PlanOp::parse(&op).ok_or_else(|| DataError::Corrupt {
            table: "plan_versions",
            column: "op",
            id: plan_id,
            message: format!("unexpected value `{op}`"),
        })?,
        edit: r.try_get(3)?,
        author: r.try_get(4)?,
        at: r.try_get(5)?,
        state: if with_state {
            r.try_get(6)?
        } else {
            String::new()
        },
    })
}

pub(crate) async fn plans(pool: &SqlitePool, community: Option<Id>) -> Result<Vec<Plan>> {
    let sql = format!(
        "SELECT {PLAN_COLUMNS} FROM plans WHERE (?1 IS NULL OR community_id = ?1) ORDER BY id DESC"
    );
    let rows = sqlx::query(&sql).bind(community).fetch_all(pool).await?;
    rows.iter().map(plan_row).collect()
}

pub(crate) async fn plan(pool: &SqlitePool, id: Id) -> Result<Option<Plan>> {
    let sql = format!("SELECT {PLAN_COLUMNS} FROM plans WHERE id = ?");
    let row = sqlx::query(&sql).bind(id).fetch_optional(pool).await?;
    row.as_ref().map(plan_row).transpose()
}

pub(crate) async fn plan_version(
    pool: &SqlitePool,
    plan: Id,
    version: i64,
) -> Result<Option<PlanVersion>> {
    let row = sqlx::query(
        "SELECT plan_id, version, op, edit, author, at, state FROM plan_versions
         WHERE plan_id = ? AND version = ?",
    )
    .bind(plan)
    .bind(version)
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(|r| version_row(r, true)).transpose()
}

pub(crate) async fn plan_history(pool: &SqlitePool, plan: Id) -> Result<Vec<PlanVersion>> {
    let rows = sqlx::query(
        "SELECT plan_id, version, op, edit, author, at FROM plan_versions
         WHERE plan_id = ? ORDER BY version",
    )
    .bind(plan)
    .fetch_all(pool)
    .await?;
    rows.iter().map(|r| version_row(r, false)).collect()
}

pub(crate) async fn community_rules(pool: &SqlitePool, community: Id) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT rules FROM community_rules WHERE community_id = ?")
            .bind(community)
            .fetch_optional(pool)
            .await?,
    )
}

pub(crate) async fn retired_codes(pool: &SqlitePool, community: Id) -> Result<Vec<String>> {
    Ok(
        sqlx::query_scalar("SELECT code FROM retired_codes WHERE community_id = ? ORDER BY code")
            .bind(community)
            .fetch_all(pool)
            .await?,
    )
}

/// Write side, run inside the store's transaction.
pub(crate) struct PlanWrites<'a>(pub &'a mut Transaction<'static, Sqlite>);

impl PlanWrites<'_> {
    fn conn(&mut self) -> &mut SqliteConnection {
        &mut *self.0
    }

    pub async fn update_grid(&mut self, g: &Grid) -> Result<bool> {
        let r =
            sqlx::query("UPDATE grids SET code = ?, name = ?, kind = ?, boundary = ? WHERE id = ?")
                .bind(&g.code)
                .bind(&g.name)
                .bind(g.kind.as_str())
                .bind(codec::encode_multipolygon(&g.boundary)?)
                .bind(g.id)
                .execute(self.conn())
                .await?;
        Ok(r.rows_affected() == 1)
    }

    pub async fn delete_grid(&mut self, id: Id) -> Result<bool> {
        sqlx::query("UPDATE buildings SET grid_id = NULL WHERE grid_id = ?")
            .bind(id)
            .execute(self.conn())
            .await?;
        sqlx::query("DELETE FROM people WHERE grid_id = ?")
            .bind(id)
            .execute(self.conn())
            .await?;
        let r = sqlx::query("DELETE FROM grids WHERE id = ?")
            .bind(id)
            .execute(self.conn())
            .await?;
        Ok(r.rows_affected() == 1)
    }

    pub async fn delete_grid_people(&mut self, grid: Id) -> Result<u64> {
        let r = sqlx::query("DELETE FROM people WHERE grid_id = ?")
            .bind(grid)
            .execute(self.conn())
            .await?;
        Ok(r.rows_affected())
    }

    pub async fn retire_code(&mut self, community: Id, code: &str, at: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO retired_codes (code, community_id, retired_at) VALUES (?, ?, ?)
             ON CONFLICT(code) DO NOTHING",
        )
        .bind(code)
        .bind(community)
        .bind(at)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    pub async fn set_community_rules(&mut self, community: Id, rules: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO community_rules (community_id, rules) VALUES (?, ?)
             ON CONFLICT(community_id) DO UPDATE SET rules = excluded.rules",
        )
        .bind(community)
        .bind(rules)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    pub async fn insert_plan(&mut self, p: &Plan, edit: &str, state: &str) -> Result<Id> {
        let r = sqlx::query(
            "INSERT INTO plans (community_id, name, status, base_plan_id, version, created_by,
                                created_at, published_at, base_published_id)
             VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?)",
        )
        .bind(p.community_id)
        .bind(&p.name)
        .bind(p.status.as_str())
        .bind(p.base_plan_id)
        .bind(&p.created_by)
        .bind(p.created_at)
        .bind(p.published_at)
        .bind(p.base_published_id)
        .execute(self.conn())
        .await?;
        let id = r.last_insert_rowid();
        sqlx::query(
            "INSERT INTO plan_versions (plan_id, version, op, edit, state, author, at)
             VALUES (?, 1, 'create', ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(edit)
        .bind(state)
        .bind(&p.created_by)
        .bind(p.created_at)
        .execute(self.conn())
        .await?;
        Ok(id)
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn append_plan_version(
        &mut self,
        plan: Id,
        expected: i64,
        op: PlanOp,
        edit: &str,
        state: &str,
        author: &str,
        at: i64,
    ) -> Result<i64> {
        // The compare-and-set on `plans.version` is the concurrency guard:
        // of two edits made on the same version exactly one matches.
        let r = sqlx::query("UPDATE plans SET version = version + 1 WHERE id = ? AND version = ?")
            .bind(plan)
            .bind(expected)
            .execute(self.conn())
            .await?;
        if r.rows_affected() != 1 {
            let actual: Option<i64> = sqlx::query_scalar("SELECT version FROM plans WHERE id = ?")
                .bind(plan)
                .fetch_optional(self.conn())
                .await?;
            return Err(match actual {
                Some(actual) => DataError::Conflict {
                    plan,
                    expected,
                    actual,
                },
                None => DataError::NotFound {
                    what: "plan",
                    id: plan,
                },
            });
        }
        let version = expected + 1;
        sqlx::query(
            "INSERT INTO plan_versions (plan_id, version, op, edit, state, author, at)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(plan)
        .bind(version)
        .bind(op.as_str())
        .bind(edit)
        .bind(state)
        .bind(author)
        .bind(at)
        .execute(self.conn())
        .await?;
        Ok(version)
    }

    pub async fn copy_plan(&mut self, p: &Plan, versions: &[PlanVersion]) -> Result<()> {
        sqlx::query(
            "INSERT INTO plans (id, community_id, name, status, base_plan_id, version, created_by,
                                created_at, published_at, base_published_id)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(p.id)
        .bind(p.community_id)
        .bind(&p.name)
        .bind(p.status.as_str())
        .bind(p.base_plan_id)
        .bind(p.version)
        .bind(&p.created_by)
        .bind(p.created_at)
        .bind(p.published_at)
        .bind(p.base_published_id)
        .execute(self.conn())
        .await?;
        for v in versions {
            sqlx::query(
                "INSERT INTO plan_versions (plan_id, version, op, edit, state, author, at)
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(p.id)
            .bind(v.version)
            .bind(v.op.as_str())
            .bind(&v.edit)
            .bind(&v.state)
            .bind(&v.author)
            .bind(v.at)
            .execute(self.conn())
            .await?;
        }
        Ok(())
    }

    pub async fn archive_published(&mut self, community: Id, expected: Option<Id>) -> Result<()> {
        // A write first, so this transaction holds SQLite's one write lock
        // before it looks: nothing can publish in between.
        let archived: Vec<Id> = sqlx::query_scalar(
            "UPDATE plans SET status = 'archived'
             WHERE community_id = ? AND status = 'published' RETURNING id",
        )
        .bind(community)
        .fetch_all(self.conn())
        .await?;
        let actual = archived.first().copied();
        if actual != expected {
            // Put it back: a failed compare-and-set changes nothing.
            for id in &archived {
                sqlx::query("UPDATE plans SET status = 'published' WHERE id = ?")
                    .bind(id)
                    .execute(self.conn())
                    .await?;
            }
            return Err(DataError::PublishedChanged {
                community,
                expected,
                actual,
            });
        }
        Ok(())
    }

    pub async fn set_plan_base(&mut self, plan: Id, base: Option<Id>) -> Result<()> {
        let r = sqlx::query("UPDATE plans SET base_published_id = ? WHERE id = ?")
            .bind(base)
            .bind(plan)
            .execute(self.conn())
            .await?;
        if r.rows_affected() != 1 {
            return Err(DataError::NotFound {
                what: "plan",
                id: plan,
            });
        }
        Ok(())
    }

    pub async fn set_plan_status(&mut self, plan: Id, status: PlanStatus, at: i64) -> Result<()> {
        let r = sqlx::query(
            "UPDATE plans SET status = ?,
                    published_at = CASE WHEN ? = 'published' THEN ? ELSE published_at END
             WHERE id = ?",
        )
        .bind(status.as_str())
        .bind(status.as_str())
        .bind(at)
        .bind(plan)
        .execute(self.conn())
        .await?;
        if r.rows_affected() != 1 {
            return Err(DataError::NotFound {
                what: "plan",
                id: plan,
            });
        }
        Ok(())
    }
}
