//! The permission matrix: what a role with a scope may do (see the table
//! in [`crate::auth`]). Checking a caller against it is the HTTP layer's
//! job (`Principal::require` in gridmap-server).

use gridmap_data::model::Id;
use gridmap_data::store::accounts::{Role, Scope};

/// Something a caller may or may not do. See the matrix in [`crate::auth`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Add, change or disable users; list them.
    ManageUsers,
    /// Read the audit log.
    ReadAudit,
    /// Read coverage and other analytics of a community.
    ReadAnalytics { community_id: Id },
    /// Read the plans (drafts included) of a community.
    ReadPlans { community_id: Id },
    /// Edit and publish plans of a community.
    EditPlan { community_id: Id },
    /// Read non-public data (household counts, people) of one grid.
    ReadGrid { grid_id: Id, community_id: Id },
}

impl Permission {
    /// Whether a user with this role and scope has the permission.
    pub fn allows(self, role: Role, scope: &Scope) -> bool {
        match (role, self) {
            (Role::Admin, _) => true,
            (_, Permission::ManageUsers | Permission::ReadAudit) => false,
            (Role::Official, Permission::ReadAnalytics { community_id })
            | (Role::Official | Role::Planner, Permission::ReadPlans { community_id })
            | (Role::Planner, Permission::EditPlan { community_id }) => {
                scope.covers_community(community_id)
            }
            (
                Role::Official | Role::Planner | Role::GridWorker,
                Permission::ReadGrid {
                    grid_id,
                    community_id,
                },
            ) => scope.covers_grid(grid_id, community_id),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Permission::*;

    #[test]
    fn the_permission_matrix() {
        let c1 = Scope::Communities(vec![1]);
        let g10 = Scope::Grids(vec![10]);
        let all = Scope::All;
        let in1 = ReadGrid {
            grid_id: 10,
            community_id: 1,
        };
        let in2 = ReadGrid {
            grid_id: 20,
            community_id: 2,
        };
        let cases: Vec<(Role, &Scope, Permission, bool)> = vec![
            (Role::Admin, &all, ManageUsers, true),
            (Role::Admin, &all, EditPlan { community_id: 9 }, true),
            (Role::Official, &all, ManageUsers, false),
            (Role::Official, &all, ReadAudit, false),
            (Role::Official, &c1, ReadAnalytics { community_id: 1 }, true),
            (
                Role::Official,
                &c1,
                ReadAnalytics { community_id: 2 },
                false,
            ),
            (
                Role::Official,
                &all,
                ReadAnalytics { community_id: 2 },
                true,
            ),
            (Role::Official, &c1, ReadPlans { community_id: 1 }, true),
            (Role::Official, &all, EditPlan { community_id: 1 }, false),
            (Role::Official, &c1, in1, true),
            (Role::Official, &c1, in2, false),
            (Role::Planner, &c1, EditPlan { community_id: 1 }, true),
            (Role::Planner, &c1, EditPlan { community_id: 2 }, false),
            (Role::Planner, &c1, ReadPlans { community_id: 2 }, false),
            (Role::Planner, &c1, ReadAnalytics { community_id: 1 }, false),
            (Role::Planner, &c1, in1, true),
            (Role::GridWorker, &g10, in1, true),
            (Role::GridWorker, &g10, in2, false),
            (
                Role::GridWorker,
                &g10,
                ReadAnalytics { community_id: 1 },
                false,
            ),
            (Role::GridWorker, &g10, EditPlan { community_id: 1 }, false),
            (Role::GridWorker, &g10, ReadPlans { community_id: 1 }, false),
            // A grid scope never covers a whole community.
            (
                Role::Official,
                &g10,
                ReadAnalytics { community_id: 1 },
                false,
            ),
        ];
        for (role, scope, p, expected) in cases {
            assert_eq!(p.allows(role, scope), expected, "{role} {scope} {p:?}");
        }
    }
}
