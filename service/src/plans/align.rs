//! Comparing plans of different lineages. Grid keys are only stable within
//! one lineage (a draft and its versions); a draft made later from the
//! published grids, or imported from CSV, numbers its keys afresh. Grid
//! codes, however, are stable and never reused, so before a diff the second
//! plan's keys are rewritten onto the first plan's by code.

use std::collections::BTreeMap;

use gridmap_analysis::planning::{GridKey, PlanState};

/// `b` with each grid's key replaced by the key of the grid with the same
/// code in `a`; grids whose code `a` lacks get keys unused by both.
pub fn align_by_code(a: &PlanState, b: &PlanState) -> PlanState {
    let by_code: BTreeMap<&str, GridKey> =
        a.grids.iter().map(|g| (g.code.as_str(), g.key)).collect();
    let mut next = a
        .grids
        .iter()
        .chain(&b.grids)
        .map(|g| g.key)
        .max()
        .unwrap_or(0)
        .max(a.next_key)
        .max(b.next_key)
        + 1;
    let mut rekey: BTreeMap<GridKey, GridKey> = BTreeMap::new();
    for g in &b.grids {
        let key = match by_code.get(g.code.as_str()) {
            Some(&k) => k,
            None => {
                next += 1;
                next - 1
            }
        };
        rekey.insert(g.key, key);
    }
    let mut out = b.clone();
    for g in &mut out.grids {
        g.key = rekey.get(&g.key).copied().unwrap_or(g.key);
    }
    out.grids.sort_by_key(|g| g.key);
    for k in out.assignment.values_mut() {
        *k = rekey.get(k).copied().unwrap_or(*k);
    }
    out.next_key = next;
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use gridmap_analysis::planning::PlanGrid;
    use gridmap_data::model::GridKind;

    use super::*;

    fn plan(grids: &[(GridKey, &str)], assignment: &[(i64, GridKey)]) -> PlanState {
        let mut p = PlanState::empty(1, "320104001001");
        for (key, code) in grids {
            p.insert_grid(PlanGrid {
                key: *key,
                code: (*code).to_owned(),
                name: format!("g{key}"),
                kind: GridKind::Basic,
                locked: false,
                people: Vec::new(),
                outline: None,
            });
        }
        p.assignment = assignment.iter().copied().collect();
        p.next_key = grids.iter().map(|g| g.0).max().unwrap_or(0) + 1;
        p
    }

    #[test]
    fn same_codes_get_the_first_plans_keys() {
        let a = plan(&[(1, "C1"), (2, "C2")], &[(10, 1), (11, 2)]);
        // The same grids numbered the other way round, plus a new one.
        let b = plan(
            &[(1, "C2"), (2, "C1"), (3, "C3")],
            &[(10, 2), (11, 1), (12, 3)],
        );
        let aligned = align_by_code(&a, &b);
        assert_eq!(aligned.grid(1).unwrap().code, "C1");
        assert_eq!(aligned.grid(2).unwrap().code, "C2");
        assert_eq!(aligned.assignment[&10], 1);
        assert_eq!(aligned.assignment[&11], 2);
        let new = aligned.assignment[&12];
        assert!(new > 3, "a fresh key, not one of a's: {new}");
        assert_eq!(aligned.grid(new).unwrap().code, "C3");
        // Building for building, the codes are unchanged by the rewrite.
        for (bid, k) in &b.assignment {
            assert_eq!(
                b.grid(*k).unwrap().code,
                aligned.grid(aligned.assignment[bid]).unwrap().code
            );
        }
    }
}
