//! Grid codes: 15 digits = 12-digit community code + 3-digit sequence,
//! numbered west→east, north→south inside the community. Codes are stable:
//! a grid that survives a redraw (a new grid holds more than half of its
//! buildings) keeps key, code, name and people; retired codes are never
//! handed out again.

use std::collections::{BTreeMap, BTreeSet};

use geo::{Area, Coord};
use gridmap_data::model::{GridKind, Id};

use super::error::EditError;
use super::input::CommunityInput;
use super::plan::{GridKey, PlanGrid, PlanState};

/// Check a grid code's format against its community code; returns its sequence.
pub fn parse_code(code: &str, community_code: &str) -> Result<u16, EditError> {
    let bad = |why: &str| EditError::MalformedCode {
        code: code.to_string(),
        why: why.to_string(),
    };
    if code.len() != 15 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("a grid code is 15 digits"));
    }
    if !code.starts_with(community_code) {
        return Err(bad(&format!(
            "a grid code starts with its community code {community_code}"
        )));
    }
    let seq: u16 = code[12..].parse().map_err(|_| bad("bad sequence"))?;
    if seq == 0 {
        return Err(bad("sequence 000 is not allowed"));
    }
    Ok(seq)
}

/// Codes in use or retired in this plan.
pub fn taken_codes(plan: &PlanState) -> BTreeSet<String> {
    let mut t = plan.retired_codes.clone();
    t.extend(plan.grids.iter().map(|g| g.code.clone()));
    t
}

/// The lowest free code of the plan's community, skipping `taken`.
pub fn next_free_code(community_code: &str, taken: &BTreeSet<String>) -> Result<String, EditError> {
    (1..=999)
        .map(|s| format!("{community_code}{s:03}"))
        .find(|c| !taken.contains(c))
        .ok_or_else(|| EditError::CodesExhausted(community_code.to_string()))
}

/// Order items by reading order: north→south in bands of `band` metres,
/// west→east inside a band. Returns indices into `centres`.
pub fn reading_order(centres: &[Coord<f64>], band: f64) -> Vec<usize> {
    let band = if band > 0.0 { band } else { 1.0 };
    let mut order: Vec<usize> = (0..centres.len()).collect();
    order.sort_by(|&a, &b| {
        let ka = ((-centres[a].y / band).floor() as i64, centres[a].x);
        let kb = ((-centres[b].y / band).floor() as i64, centres[b].x);
        ka.0.cmp(&kb.0).then(ka.1.total_cmp(&kb.1))
    });
    order
}

/// Mean local point of a set of building ids.
pub(crate) fn centre(input: &CommunityInput, ids: &[Id]) -> Coord<f64> {
    let mut s = Coord { x: 0.0, y: 0.0 };
    let mut n = 0.0;
    for id in ids {
        if let Some(i) = input.position(*id) {
            s.x += input.local[i].x;
            s.y += input.local[i].y;
            n += 1.0;
        }
    }
    if n > 0.0 {
        Coord {
            x: s.x / n,
            y: s.y / n,
        }
    } else {
        s
    }
}

/// Band height for reading order: half the side of an average grid.
pub(crate) fn band_for(input: &CommunityInput, grids: usize) -> f64 {
    let area = input.boundary_local.unsigned_area();
    (area / grids.max(1) as f64).sqrt() * 0.5
}

/// Replace the grids `replaced` of `old` by `groups` (building ids each),
/// keeping identity where a group holds more than half of a replaced grid's
/// buildings. Every other grid of `old` is kept as it is. New grids get the
/// lowest free sequence numbers in reading order; codes of replaced grids
/// that did not survive are retired.
pub fn carry_over(
    input: &CommunityInput,
    old: &PlanState,
    replaced: &BTreeSet<GridKey>,
    groups: Vec<Vec<Id>>,
) -> Result<PlanState, EditError> {
    let mut plan = old.clone();
    let old_members = old.members();
    // Which group holds most of each replaced grid.
    let mut group_of: BTreeMap<Id, usize> = BTreeMap::new();
    for (gi, g) in groups.iter().enumerate() {
        for &b in g {
            group_of.insert(b, gi);
        }
    }
    let mut heir: Vec<Option<GridKey>> = vec![None; groups.len()];
    for &key in replaced {
        let members = old_members.get(&key).map(Vec::as_slice).unwrap_or(&[]);
        let mut count: BTreeMap<usize, usize> = BTreeMap::new();
        for b in members {
            if let Some(&gi) = group_of.get(b) {
                *count.entry(gi).or_default() += 1;
            }
        }
        if let Some((&gi, &c)) = count
            .iter()
            .max_by_key(|(gi, c)| (**c, std::cmp::Reverse(**gi)))
            && 2 * c > members.len()
            && heir[gi].is_none()
        {
            heir[gi] = Some(key);
        }
    }
    // Drop replaced grids; survivors are re-inserted below with their identity.
    let mut survivors: BTreeMap<GridKey, PlanGrid> = BTreeMap::new();
    for &key in replaced {
        if let Some(at) = plan.grids.iter().position(|g| g.key == key) {
            let g = plan.grids.remove(at);
            if heir.contains(&Some(key)) {
                survivors.insert(key, g);
            } else {
                plan.retired_codes.insert(g.code);
            }
        }
    }
    plan.assignment.retain(|_, k| !replaced.contains(k));
    let centres: Vec<Coord<f64>> = groups.iter().map(|g| centre(input, g)).collect();
    let band = band_for(input, plan.grids.len() + groups.len());
    let mut taken = taken_codes(&plan);
    taken.extend(survivors.values().map(|g| g.code.clone()));
    for gi in reading_order(&centres, band) {
        let key = match heir[gi] {
            Some(k) => {
                if let Some(mut g) = survivors.remove(&k) {
                    g.locked = false;
                    // Redrawn: its polygon derives from its new buildings.
                    g.outline = None;
                    plan.insert_grid(g);
                }
                k
            }
            None => {
                let key = plan.fresh_key();
                let code = next_free_code(&plan.community_code, &taken)?;
                taken.insert(code.clone());
                let seq = code
                    .get(12..)
                    .unwrap_or("")
                    .trim_start_matches('0')
                    .to_string();
                plan.insert_grid(PlanGrid {
                    key,
                    code,
                    name: format!("第{seq}网格"),
                    kind: GridKind::Basic,
                    locked: false,
                    people: Vec::new(),
                    outline: None,
                });
                key
            }
        };
        for &b in &groups[gi] {
            plan.assignment.insert(b, key);
        }
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_checked_and_numbered_in_reading_order() {
        assert_eq!(parse_code("320104001001007", "320104001001"), Ok(7));
        assert!(parse_code("32010400100100", "320104001001").is_err());
        assert!(parse_code("320104001002007", "320104001001").is_err());
        assert!(parse_code("320104001001000", "320104001001").is_err());
        assert!(parse_code("32010400100100x", "320104001001").is_err());
        let mut taken = BTreeSet::new();
        taken.insert("320104001001001".to_string());
        taken.insert("320104001001003".to_string());
        assert_eq!(
            next_free_code("320104001001", &taken).ok().as_deref(),
            Some("320104001001002")
        );
        // Two rows: north row first, west to east inside it.
        let c = [
            Coord { x: 10.0, y: 0.0 },
            Coord { x: 0.0, y: 120.0 },
            Coord { x: 0.0, y: 0.0 },
            Coord { x: 10.0, y: 130.0 },
        ];
        assert_eq!(reading_order(&c, 50.0), vec![1, 3, 2, 0]);
    }
}
