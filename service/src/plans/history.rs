//! Undo and redo, recomputed from a plan's append-only history.
//!
//! Every `edit` version `v` is an undoable step `(before: v-1, after: v)`
//! (it was made on `v-1`: the store's compare-and-set guarantees it). An
//! `undo` version restores the state of the top step's `before` and moves
//! the step to the redo stack; a `redo` version restores its `after` and
//! moves it back. A new edit clears the redo stack; `create`, `publish` and
//! `rebase` start afresh (a rebase cannot be undone: it would bring back
//! the state another publish replaced). Undo/redo versions store `{"kind": "undo"|"redo",
//! "before": b, "after": a}` as their edit, which is all the replay needs.

use gridmap_data::model::{PlanOp, PlanVersion};
use serde::{Deserialize, Serialize};

/// An undoable step: the versions before and after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Step {
    pub before: i64,
    pub after: i64,
}

/// The undo and redo stacks (top = last).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stacks {
    pub undo: Vec<Step>,
    pub redo: Vec<Step>,
}

/// Replay a history (oldest first) into its stacks.
pub fn stacks(history: &[PlanVersion]) -> Stacks {
    let mut s = Stacks::default();
    for v in history {
        match v.op {
            PlanOp::Create | PlanOp::Publish | PlanOp::Rebase => s = Stacks::default(),
            PlanOp::Edit => {
                s.undo.push(Step {
                    before: v.version - 1,
                    after: v.version,
                });
                s.redo.clear();
            }
            PlanOp::Undo => {
                if let Some(step) = s.undo.pop() {
                    s.redo.push(step);
                }
            }
            PlanOp::Redo => {
                if let Some(step) = s.redo.pop() {
                    s.undo.push(step);
                }
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn v(version: i64, op: PlanOp) -> PlanVersion {
        PlanVersion {
            plan_id: 1,
            version,
            op,
            edit: String::new(),
            state: String::new(),
            author: "t".into(),
            at: 0,
        }
    }

    #[test]
    fn undo_redo_follow_the_history() {
        let mut h = vec![v(1, PlanOp::Create), v(2, PlanOp::Edit), v(3, PlanOp::Edit)];
        let s = stacks(&h);
        assert_eq!(
            s.undo.last(),
            Some(&Step {
                before: 2,
                after: 3
            })
        );
        assert!(s.redo.is_empty());
        h.push(v(4, PlanOp::Undo));
        let s = stacks(&h);
        assert_eq!(
            s.undo.last(),
            Some(&Step {
                before: 1,
                after: 2
            })
        );
        assert_eq!(
            s.redo.last(),
            Some(&Step {
                before: 2,
                after: 3
            })
        );
        h.push(v(5, PlanOp::Undo));
        let s = stacks(&h);
        assert!(s.undo.is_empty());
        assert_eq!(s.redo.len(), 2);
        h.push(v(6, PlanOp::Redo));
        let s = stacks(&h);
        assert_eq!(
            s.undo,
            vec![Step {
                before: 1,
                after: 2
            }]
        );
        assert_eq!(
            s.redo,
            vec![Step {
                before: 2,
                after: 3
            }]
        );
        // A new edit clears the redo stack.
        h.push(v(7, PlanOp::Edit));
        let s = stacks(&h);
        assert!(s.redo.is_empty());
        assert_eq!(
            s.undo.last(),
            Some(&Step {
                before: 6,
                after: 7
            })
        );
        // Publishing starts afresh.
        h.push(v(8, PlanOp::Publish));
        assert_eq!(stacks(&h), Stacks::default());
    }
}
