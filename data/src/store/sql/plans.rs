//! Plans, their append-only versions, community rules and retired grid
//! codes, on either backend (see the `plans` migrations).

use super::{Backend, Stmt, all, execute, first, int};
use crate::error::{DataError, Result};
use crate::model::{Id, Plan, PlanOp, PlanStatus, PlanVersion};
use crate::store::decode::{self, Columns, PLAN_COLUMNS};

pub(crate) async fn plans<DB: Backend>(
    conn: &mut DB::Connection,
    community: Option<Id>,
) -> Result<Vec<Plan>> {
    let sql = format!(
        "SELECT {PLAN_COLUMNS} FROM plans
         WHERE (CAST($1 AS BIGINT) IS NULL OR community_id = $1) ORDER BY id DESC"
    );
    all::<DB, _>(conn, Stmt::new(&sql).int(community), decode::plan).await
}

pub(crate) async fn plan<DB: Backend>(conn: &mut DB::Connection, id: Id) -> Result<Option<Plan>> {
    let sql = format!("SELECT {PLAN_COLUMNS} FROM plans WHERE id = $1");
    first::<DB, _>(conn, Stmt::new(&sql).int(id), decode::plan).await
}

pub(crate) async fn plan_version<DB: Backend>(
    conn: &mut DB::Connection,
    plan: Id,
    version: i64,
) -> Result<Option<PlanVersion>> {
    let sql = format!(
        "SELECT {} FROM plan_versions WHERE plan_id = $1 AND version = $2",
        decode::plan_version_columns(true)
    );
    let s = Stmt::new(&sql).int(plan).int(version);
    first::<DB, _>(conn, s, |r| decode::plan_version(r, true)).await
}

pub(crate) async fn plan_history<DB: Backend>(
    conn: &mut DB::Connection,
    plan: Id,
) -> Result<Vec<PlanVersion>> {
    let sql = format!(
        "SELECT {} FROM plan_versions WHERE plan_id = $1 ORDER BY version",
        decode::plan_version_columns(false)
    );
    all::<DB, _>(conn, Stmt::new(&sql).int(plan), |r| {
        decode::plan_version(r, false)
    })
    .await
}

pub(crate) async fn community_rules<DB: Backend>(
    conn: &mut DB::Connection,
    community: Id,
) -> Result<Option<String>> {
    let s = Stmt::new("SELECT rules FROM community_rules WHERE community_id = $1").int(community);
    first::<DB, _>(conn, s, |r| r.text(0)).await
}

pub(crate) async fn all_community_rules<DB: Backend>(
    conn: &mut DB::Connection,
) -> Result<Vec<(Id, String)>> {
    let s = Stmt::new("SELECT community_id, rules FROM community_rules ORDER BY community_id");
    all::<DB, _>(conn, s, |r| Ok((r.int(0)?, r.text(1)?))).await
}

pub(crate) async fn retired_codes<DB: Backend>(
    conn: &mut DB::Connection,
    community: Id,
) -> Result<Vec<String>> {
    let s = Stmt::new("SELECT code FROM retired_codes WHERE community_id = $1 ORDER BY code")
        .int(community);
    all::<DB, _>(conn, s, |r| r.text(0)).await
}

pub(crate) async fn retire_code<DB: Backend>(
    conn: &mut DB::Connection,
    community: Id,
    code: &str,
    at: i64,
) -> Result<()> {
    let s = Stmt::new(
        "INSERT INTO retired_codes (code, community_id, retired_at) VALUES ($1, $2, $3)
         ON CONFLICT (code) DO NOTHING",
    );
    execute::<DB>(conn, s.text(code).int(community).int(at)).await?;
    Ok(())
}

pub(crate) async fn set_community_rules<DB: Backend>(
    conn: &mut DB::Connection,
    community: Id,
    rules: &str,
) -> Result<()> {
    let s = Stmt::new(
        "INSERT INTO community_rules (community_id, rules) VALUES ($1, $2)
         ON CONFLICT (community_id) DO UPDATE SET rules = excluded.rules",
    );
    execute::<DB>(conn, s.int(community).text(rules)).await?;
    Ok(())
}

const INSERT_VERSION: &str =
    "INSERT INTO plan_versions (plan_id, version, op, edit, state, author, at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)";

pub(crate) async fn insert_plan<DB: Backend>(
    conn: &mut DB::Connection,
    p: &Plan,
    edit: &str,
    state: &str,
) -> Result<Id> {
    let s = Stmt::new(
        "INSERT INTO plans (community_id, name, status, base_plan_id, version, created_by,
                            created_at, published_at, base_published_id)
         VALUES ($1, $2, $3, $4, 1, $5, $6, $7, $8) RETURNING id",
    )
    .int(p.community_id)
    .text(&p.name)
    .text(p.status.as_str())
    .int(p.base_plan_id)
    .text(&p.created_by)
    .int(p.created_at)
    .int(p.published_at)
    .int(p.base_published_id);
    let id = int::<DB>(conn, s).await?;
    let first = Stmt::new(INSERT_VERSION)
        .int(id)
        .int(1)
        .text(PlanOp::Create.as_str())
        .text(edit)
        .text(state)
        .text(&p.created_by)
        .int(p.created_at);
    execute::<DB>(conn, first).await?;
    Ok(id)
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn append_plan_version<DB: Backend>(
    conn: &mut DB::Connection,
    plan: Id,
    expected: i64,
    op: PlanOp,
    edit: &str,
    state: &str,
    author: &str,
    at: i64,
) -> Result<i64> {
    // The compare-and-set on `plans.version` is the concurrency guard: of
    // two edits made on the same version exactly one matches (SQLite: one
    // writer at a time; PostgreSQL under READ COMMITTED: a concurrent UPDATE
    // of the row waits for the other transaction, then re-checks the WHERE).
    let s = Stmt::new("UPDATE plans SET version = version + 1 WHERE id = $1 AND version = $2");
    if execute::<DB>(conn, s.int(plan).int(expected)).await? != 1 {
        let s = Stmt::new("SELECT version FROM plans WHERE id = $1").int(plan);
        return Err(match first::<DB, _>(conn, s, |r| r.int(0)).await? {
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
    let s = Stmt::new(INSERT_VERSION)
        .int(plan)
        .int(version)
        .text(op.as_str())
        .text(edit)
        .text(state)
        .text(author)
        .int(at);
    execute::<DB>(conn, s).await?;
    Ok(version)
}

/// A plan with its id and its whole history (`gridmap migrate`).
pub(crate) async fn copy_plan<DB: Backend>(
    conn: &mut DB::Connection,
    p: &Plan,
    versions: &[PlanVersion],
) -> Result<()> {
    let s = Stmt::new(
        "INSERT INTO plans (id, community_id, name, status, base_plan_id, version, created_by,
                            created_at, published_at, base_published_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .int(p.id)
    .int(p.community_id)
    .text(&p.name)
    .text(p.status.as_str())
    .int(p.base_plan_id)
    .int(p.version)
    .text(&p.created_by)
    .int(p.created_at)
    .int(p.published_at)
    .int(p.base_published_id);
    execute::<DB>(conn, s).await?;
    for v in versions {
        let s = Stmt::new(INSERT_VERSION)
            .int(p.id)
            .int(v.version)
            .text(v.op.as_str())
            .text(&v.edit)
            .text(&v.state)
            .text(&v.author)
            .int(v.at);
        execute::<DB>(conn, s).await?;
    }
    Ok(())
}

pub(crate) async fn archive_published<DB: Backend>(
    conn: &mut DB::Connection,
    community: Id,
    expected: Option<Id>,
) -> Result<()> {
    // A compare-and-set. A write first: on SQLite it takes the one write
    // lock before looking, so nothing can publish in between. Under
    // PostgreSQL's READ COMMITTED a concurrent publish that archived the
    // same plan first makes this UPDATE wait, re-check the row (now
    // archived) and match nothing; the plan it published is not visible to
    // this statement either. So the second of two publishes over one plan
    // finds no published plan and fails here.
    let s = Stmt::new(
        "UPDATE plans SET status = 'archived'
         WHERE community_id = $1 AND status = 'published' RETURNING id",
    );
    let archived = all::<DB, _>(conn, s.int(community), |r| r.int(0)).await?;
    let mut actual = archived.first().copied();
    if actual == expected {
        return Ok(());
    }
    // Put it back: a failed compare-and-set changes nothing.
    for id in &archived {
        let s = Stmt::new("UPDATE plans SET status = 'published' WHERE id = $1");
        execute::<DB>(conn, s.int(*id)).await?;
    }
    if actual.is_none() {
        // The plan another publish just made current (committed by now).
        let s = Stmt::new("SELECT id FROM plans WHERE community_id = $1 AND status = 'published'");
        actual = first::<DB, _>(conn, s.int(community), |r| r.int(0)).await?;
    }
    Err(DataError::PublishedChanged {
        community,
        expected,
        actual,
    })
}

fn found(rows: u64, plan: Id) -> Result<()> {
    if rows == 1 {
        Ok(())
    } else {
        Err(DataError::NotFound {
            what: "plan",
            id: plan,
        })
    }
}

pub(crate) async fn set_plan_base<DB: Backend>(
    conn: &mut DB::Connection,
    plan: Id,
    base: Option<Id>,
) -> Result<()> {
    let s = Stmt::new("UPDATE plans SET base_published_id = $1 WHERE id = $2");
    found(execute::<DB>(conn, s.int(base).int(plan)).await?, plan)
}

pub(crate) async fn set_plan_status<DB: Backend>(
    conn: &mut DB::Connection,
    plan: Id,
    status: PlanStatus,
    at: i64,
) -> Result<()> {
    let s = Stmt::new(
        "UPDATE plans SET status = $1,
                published_at = CASE WHEN $1 = 'published' THEN $2 ELSE published_at END
         WHERE id = $3",
    );
    let rows = execute::<DB>(conn, s.text(status.as_str()).int(at).int(plan)).await?;
    found(rows, plan)
}
