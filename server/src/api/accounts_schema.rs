//! Schemas of the account types the store defines (`data::store::accounts`
//! stays free of documentation attributes): each mirrors the serialised
//! shape of its type, and the test below serialises both to prove it.

use gridmap_data::model::Id;
use serde::Serialize;
use utoipa::ToSchema;

/// What a user is.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = Role)]
#[allow(dead_code)] // documentation only
pub enum RoleSchema {
    Admin,
    Official,
    Planner,
    GridWorker,
}

/// Which part of the map a user's role applies to.
#[derive(Serialize, ToSchema)]
#[serde(tag = "kind", content = "ids", rename_all = "snake_case")]
#[schema(as = Scope)]
#[allow(dead_code)] // documentation only
pub enum ScopeSchema {
    /// Every community.
    All,
    /// These communities (and every grid in them).
    Communities(Vec<Id>),
    /// These grids only (grid workers).
    Grids(Vec<Id>),
}

/// A user (without the password hash).
#[derive(Serialize, ToSchema)]
#[schema(as = User)]
#[allow(dead_code)] // documentation only
pub struct UserSchema {
    id: Id,
    username: String,
    role: RoleSchema,
    scope: ScopeSchema,
    disabled: bool,
    /// Unix seconds.
    created_at: i64,
}

/// One audit row.
#[derive(Serialize, ToSchema)]
#[schema(as = AuditRecord)]
#[allow(dead_code)] // documentation only
pub struct AuditRecordSchema {
    id: Id,
    /// Unix seconds.
    at: i64,
    /// `user:NAME`, `cli:OS_USER` or `anonymous`.
    actor: String,
    action: String,
    target: Option<String>,
    /// What the action did (its shape depends on `action`).
    detail: serde_json::Value,
    remote: Option<String>,
}

#[cfg(test)]
mod tests {
    use gridmap_data::store::accounts::{AuditRecord, Role, Scope, User};
    use serde_json::json;

    use super::*;

    fn role(r: Role) -> RoleSchema {
        match r {
            Role::Admin => RoleSchema::Admin,
            Role::Official => RoleSchema::Official,
            Role::Planner => RoleSchema::Planner,
            Role::GridWorker => RoleSchema::GridWorker,
        }
    }

    fn scope(s: &Scope) -> ScopeSchema {
        match s {
            Scope::All => ScopeSchema::All,
            Scope::Communities(ids) => ScopeSchema::Communities(ids.clone()),
            Scope::Grids(ids) => ScopeSchema::Grids(ids.clone()),
        }
    }

    #[test]
    fn the_mirrors_serialise_as_the_store_types() {
        for r in Role::ALL {
            for s in [
                Scope::All,
                Scope::Communities(vec![1, 2]),
                Scope::Grids(vec![3]),
            ] {
                let user = User {
                    id: 4,
                    username: "u".into(),
                    role: r,
                    scope: s.clone(),
                    disabled: false,
                    created_at: 5,
                };
                let mirror = UserSchema {
                    id: 4,
                    username: "u".into(),
                    role: role(r),
                    scope: scope(&s),
                    disabled: false,
                    created_at: 5,
                };
                assert_eq!(
                    serde_json::to_value(&user).unwrap(),
                    serde_json::to_value(&mirror).unwrap()
                );
            }
        }
        let row = AuditRecord {
            id: 1,
            at: 2,
            actor: "a".into(),
            action: "b".into(),
            target: None,
            detail: json!({"x": 1}),
            remote: Some("127.0.0.1".into()),
        };
        let mirror = AuditRecordSchema {
            id: 1,
            at: 2,
            actor: "a".into(),
            action: "b".into(),
            target: None,
            detail: json!({"x": 1}),
            remote: Some("127.0.0.1".into()),
        };
        assert_eq!(
            serde_json::to_value(&row).unwrap(),
            serde_json::to_value(&mirror).unwrap()
        );
    }
}
