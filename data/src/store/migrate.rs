//! Copy a whole store into an empty one (`gridmap migrate --from A --to B`,
//! e.g. SQLite to PostGIS), keeping every id, then verify the copy by row
//! counts and a SHA-256 checksum of everything loaded back.
//!
//! Copied: the domain model, plans with their whole history, community rules,
//! retired codes, users (with their password hashes and disabled flag) and
//! the audit log (in order; the copy gets new row ids). Not copied: live
//! sessions and tokens (people sign in again) and the store identity (the
//! target keeps its own, so tile ETags of the two never collide).

use std::fmt::Write as _;

use sha2::{Digest, Sha256};

use super::accounts::{AuditEntry, NewUser};
use super::{Store, write_dataset};
use crate::error::{DataError, Result};
use crate::model::{Counts, Dataset};

/// What a migration copied, and the checksum both stores agree on.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MigrateReport {
    pub counts: Counts,
    pub plans: u64,
    pub plan_versions: u64,
    pub users: u64,
    pub audit_entries: u64,
    /// SHA-256 of the loaded dataset, equal on both sides.
    pub checksum: String,
}

/// SHA-256 over a canonical text form of a dataset (every field, every
/// coordinate in Rust's shortest round-trip float format), streamed.
pub fn checksum(d: &Dataset) -> String {
    struct Hashing(Sha256);
    impl std::fmt::Write for Hashing {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.0.update(s.as_bytes());
            Ok(())
        }
    }
    let mut h = Hashing(Sha256::new());
    // Writing into a hasher cannot fail.
    let _ = write!(h, "{:?}{:?}", d.street_offices, d.communities);
    let _ = write!(h, "{:?}", d.grids);
    for b in &d.buildings {
        let _ = write!(h, "{b:?}");
    }
    let _ = write!(h, "{:?}{:?}", d.stations, d.people);
    for r in &d.roads {
        let _ = write!(h, "{r:?}");
    }
    let _ = write!(h, "{:?}", d.areas);
    let digest = h.0.finalize();
    digest.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

async fn is_empty(s: &dyn Store) -> Result<bool> {
    Ok(s.counts().await? == Counts::default()
        && s.plans(None).await?.is_empty()
        && s.accounts().users().await?.is_empty())
}

/// Copy `from` into the empty store `to`; `progress` hears each step.
pub async fn migrate(
    from: &dyn Store,
    to: &dyn Store,
    actor: &str,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<MigrateReport> {
    if !is_empty(to).await? {
        return Err(DataError::Copy(
            "the target store is not empty; migrate copies into an empty store only".into(),
        ));
    }
    progress("loading the source");
    let data = from.load().await?;
    let source_sum = checksum(&data);
    let plans = from.plans(None).await?;

    progress("copying the model and plans");
    let mut tx = to.begin().await?;
    tx.keep_ids();
    write_dataset(tx.as_mut(), &data).await?;
    if let Some(v) = from.meta("sample_bootstrap").await? {
        tx.set_meta("sample_bootstrap", &v).await?;
    }
    let mut plan_versions = 0u64;
    for p in plans.iter().rev() {
        let mut versions = Vec::new();
        for v in 1..=p.version {
            if let Some(v) = from.plan_version(p.id, v).await? {
                versions.push(v);
            }
        }
        plan_versions += versions.len() as u64;
        tx.copy_plan(p, &versions).await?;
    }
    for c in &data.communities {
        if let Some(rules) = from.community_rules(c.id).await? {
            tx.set_community_rules(c.id, &rules).await?;
        }
        for code in from.retired_codes(c.id).await? {
            tx.retire_code(c.id, &code, super::accounts::unix_now())
                .await?;
        }
    }
    tx.commit().await?;

    progress("copying the audit log");
    let mut audit = Vec::new();
    let mut before = None;
    loop {
        let page = from.accounts().audit(1000, before).await?;
        let Some(last) = page.last() else { break };
        before = Some(last.id);
        audit.extend(page);
    }
    for r in audit.iter().rev() {
        to.accounts()
            .append_audit(&AuditEntry {
                at: r.at,
                actor: r.actor.clone(),
                action: r.action.clone(),
                target: r.target.clone(),
                detail: r.detail.clone(),
                remote: r.remote.clone(),
            })
            .await?;
    }

    progress("copying users");
    let users = from.accounts().users().await?;
    for u in &users {
        let Some((_, hash)) = from.accounts().credentials(&u.username).await? else {
            continue;
        };
        let entry = AuditEntry::now(actor, "user.copy").target(u.username.clone());
        to.accounts()
            .create_user(
                &NewUser {
                    username: u.username.clone(),
                    role: u.role,
                    scope: u.scope.clone(),
                    password_hash: hash,
                },
                &entry,
            )
            .await?;
        if u.disabled {
            to.accounts()
                .set_disabled(&u.username, true, &entry)
                .await?;
        }
    }

    progress("verifying");
    let back = to.load().await?;
    let counts = to.counts().await?;
    let target_sum = checksum(&back);
    if counts != from.counts().await? || target_sum != source_sum {
        return Err(DataError::Copy(format!(
            "the copy differs from the source (checksums {source_sum} / {target_sum})"
        )));
    }
    let copied_versions: usize = {
        let mut n = 0;
        for p in to.plans(None).await? {
            n += to.plan_history(p.id).await?.len();
        }
        n
    };
    if copied_versions as u64 != plan_versions || to.plans(None).await?.len() != plans.len() {
        return Err(DataError::Copy("the plans differ after the copy".into()));
    }
    to.accounts()
        .append_audit(
            &AuditEntry::now(actor, "store.migrate")
                .detail(serde_json::json!({"checksum": source_sum, "buildings": counts.buildings})),
        )
        .await?;
    Ok(MigrateReport {
        counts,
        plans: plans.len() as u64,
        plan_versions,
        users: users.len() as u64,
        audit_entries: audit.len() as u64,
        checksum: source_sum,
    })
}
