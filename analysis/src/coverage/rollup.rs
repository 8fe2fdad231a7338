//! Roll-ups of a [`CoverageResult`]: buildings and households per band
//! (≤ 5, ≤ 10, ≤ 15 minutes or any other bands), beyond, unreachable and
//! estimated, % of households covered and the uncovered buildings —
//! overall, per community and per grid.

use std::collections::HashMap;

use gridmap_data::model::{Dataset, Id};
use serde::Serialize;

use super::nearest::{CoverageResult, Status};

/// A distance band, held both ways.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Band {
    pub minutes: f64,
    pub metres: f64,
}

impl Band {
    pub fn from_minutes(minutes: f64, speed_m_s: f64) -> Band {
        Band {
            minutes,
            metres: minutes * 60.0 * speed_m_s,
        }
    }

    pub fn from_metres(metres: f64, speed_m_s: f64) -> Band {
        Band {
            minutes: metres / speed_m_s / 60.0,
            metres,
        }
    }

    /// The life-circle bands 5/10/15 minutes at a speed.
    pub fn life_circles(speed_m_s: f64) -> Vec<Band> {
        [5.0, 10.0, 15.0]
            .into_iter()
            .map(|m| Band::from_minutes(m, speed_m_s))
            .collect()
    }

    /// The GB 50180-2018 distances 300/500/1,000 m at a speed.
    pub fn life_circle_distances(speed_m_s: f64) -> Vec<Band> {
        [300.0, 500.0, 1000.0]
            .into_iter()
            .map(|m| Band::from_metres(m, speed_m_s))
            .collect()
    }
}

/// Counts for one unit (the whole area, a community or a grid).
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Tally {
    pub buildings: u64,
    pub households: u64,
    /// Cumulative: buildings within `bands[i]` (network or estimated).
    pub within_buildings: Vec<u64>,
    pub within_households: Vec<u64>,
    /// A station is reachable, but farther than the last band.
    pub beyond_buildings: u64,
    pub beyond_households: u64,
    /// No selected station on the building's island.
    pub unreachable_buildings: u64,
    pub unreachable_households: u64,
    /// Of all the above, how many distances are straight-line estimates.
    pub estimated_buildings: u64,
    pub estimated_households: u64,
    /// Households within the last band, in % of households (`None` if none).
    pub covered_pct: Option<f64>,
    /// Buildings not within the last band, by id.
    pub uncovered: Vec<Id>,
}

impl Tally {
    fn new(bands: usize) -> Tally {
        Tally {
            within_buildings: vec![0; bands],
            within_households: vec![0; bands],
            ..Tally::default()
        }
    }

    fn add(
        &mut self,
        bands: &[Band],
        id: Id,
        households: u32,
        status: Status,
        metres: Option<f64>,
    ) {
        let h = households as u64;
        self.buildings += 1;
        self.households += h;
        if status == Status::Estimated {
            self.estimated_buildings += 1;
            self.estimated_households += h;
        }
        if status == Status::Unreachable {
            self.unreachable_buildings += 1;
            self.unreachable_households += h;
            self.uncovered.push(id);
            return;
        }
        let m = metres.unwrap_or(f64::INFINITY);
        for (i, b) in bands.iter().enumerate() {
            if m <= b.metres {
                self.within_buildings[i] += 1;
                self.within_households[i] += h;
            }
        }
        let in_last = bands.last().is_some_and(|b| m <= b.metres);
        if !in_last {
            self.beyond_buildings += 1;
            self.beyond_households += h;
            self.uncovered.push(id);
        }
    }

    fn finish(&mut self) {
        self.covered_pct = match (self.households, self.within_households.last()) {
            (0, _) => None,
            (all, Some(w)) => Some(*w as f64 * 100.0 / all as f64),
            (_, None) => Some(0.0),
        };
        self.uncovered.sort_unstable();
    }
}

/// One community or grid with its counts.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct UnitTally {
    pub id: Id,
    pub code: String,
    pub name: String,
    /// For grids: the community they belong to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub community_id: Option<Id>,
    #[serde(flatten)]
    pub tally: Tally,
}

/// Coverage summed overall, per community and per grid.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rollup {
    pub speed_m_s: f64,
    /// Ascending.
    pub bands: Vec<Band>,
    pub overall: Tally,
    /// In dataset order.
    pub communities: Vec<UnitTally>,
    /// In dataset order.
    pub grids: Vec<UnitTally>,
    /// Buildings in no grid (they still count in `overall`).
    pub outside_grids: Tally,
}

impl Rollup {
    /// Sum a coverage result over the dataset it was computed on. Bands are
    /// sorted ascending; buildings the dataset does not know are skipped.
    pub fn build(result: &CoverageResult, data: &Dataset, bands: &[Band]) -> Rollup {
        let mut bands = bands.to_vec();
        bands.sort_by(|a, b| a.metres.total_cmp(&b.metres));
        let nb = bands.len();
        // The result follows the dataset's building order when computed on
        // it; only otherwise is a lookup table needed.
        let aligned = result.buildings.len() == data.buildings.len()
            && result
                .buildings
                .iter()
                .zip(&data.buildings)
                .all(|(r, b)| r.building_id == b.id);
        let grid_of: HashMap<Id, Option<Id>> = if aligned {
            HashMap::new()
        } else {
            data.buildings.iter().map(|b| (b.id, b.grid_id)).collect()
        };
        let grid_index: HashMap<Id, usize> = data
            .grids
            .iter()
            .enumerate()
            .map(|(i, g)| (g.id, i))
            .collect();
        let community_index: HashMap<Id, usize> = data
            .communities
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id, i))
            .collect();
        let mut overall = Tally::new(nb);
        let mut outside = Tally::new(nb);
        let mut grids: Vec<Tally> = vec![Tally::new(nb); data.grids.len()];
        let mut communities: Vec<Tally> = vec![Tally::new(nb); data.communities.len()];
        for (i, b) in result.buildings.iter().enumerate() {
            let grid = if aligned {
                &data.buildings[i].grid_id
            } else {
                match grid_of.get(&b.building_id) {
                    Some(g) => g,
                    None => continue,
                }
            };
            let add =
                |t: &mut Tally| t.add(&bands, b.building_id, b.households, b.status, b.metres);
            add(&mut overall);
            match grid.and_then(|g| grid_index.get(&g)) {
                Some(&gi) => {
                    add(&mut grids[gi]);
                    if let Some(&ci) = community_index.get(&data.grids[gi].community_id) {
                        add(&mut communities[ci]);
                    }
                }
                None => add(&mut outside),
            }
        }
        overall.finish();
        outside.finish();
        let grids = data
            .grids
            .iter()
            .zip(grids)
            .map(|(g, mut t)| {
                t.finish();
                UnitTally {
                    id: g.id,
                    code: g.code.clone(),
                    name: g.name.clone(),
                    community_id: Some(g.community_id),
                    tally: t,
                }
            })
            .collect();
        let communities = data
            .communities
            .iter()
            .zip(communities)
            .map(|(c, mut t)| {
                t.finish();
                UnitTally {
                    id: c.id,
                    code: c.code.clone(),
                    name: c.name.clone(),
                    community_id: None,
                    tally: t,
                }
            })
            .collect();
        Rollup {
            speed_m_s: result.speed_m_s,
            bands,
            overall,
            communities,
            grids,
            outside_grids: outside,
        }
    }

    /// Grids whose covered share is below `pct` (e.g. 99.0), worst first.
    pub fn grids_short_of(&self, pct: f64) -> Vec<&UnitTally> {
        let mut v: Vec<&UnitTally> = self
            .grids
            .iter()
            .filter(|g| g.tally.covered_pct.is_some_and(|p| p < pct))
            .collect();
        v.sort_by(|a, b| {
            a.tally
                .covered_pct
                .unwrap_or(0.0)
                .total_cmp(&b.tally.covered_pct.unwrap_or(0.0))
                .then(a.id.cmp(&b.id))
        });
        v
    }
}
