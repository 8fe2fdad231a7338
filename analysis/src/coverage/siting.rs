//! Siting: propose `k` new station sites that bring the most households
//! newly within a walking time, existing stations fixed (maximal covering
//! location problem). Each candidate's coverage set — the buildings not yet
//! covered that lie within the time of it — comes from one bounded Dijkstra;
//! sites are then chosen greedily with lazy gain updates (CELF), which for
//! this submodular objective reaches at least (1 − 1/e) of the optimum.

use std::collections::{BinaryHeap, HashMap};

use geo::Point;
use gridmap_data::model::Id;
use serde::Serialize;

use super::dijkstra::{Seed, Workspace, multi_source};
use super::error::CoverageError;
use super::graph::WalkGraph;
use super::nearest::{CoverageResult, Status};

/// Where new stations may go.
#[derive(Debug, Clone, PartialEq)]
pub enum Candidates {
    /// Street vertices (OSM nodes) within the time of at least one uncovered
    /// building; if more than `max`, an evenly spaced sample of `max` of them.
    StreetNodes { max: usize },
    /// Buildings of these `building=*` classes (empty: any class) within the
    /// time of an uncovered building; at most `max`, evenly sampled.
    Buildings { classes: Vec<String>, max: usize },
    /// Points the user supplies (lon/lat), attached like a station.
    Points(Vec<Point<f64>>),
}

/// A siting question.
#[derive(Debug, Clone, PartialEq)]
pub struct SitingOptions {
    /// How many sites to propose.
    pub k: usize,
    /// The walking time a household must be brought within.
    pub minutes: f64,
    pub candidates: Candidates,
    /// Supplied points farther than this (m) from a walkable street are dropped.
    pub max_access_m: f64,
}

impl Default for SitingOptions {
    fn default() -> Self {
        SitingOptions {
            k: 1,
            minutes: 15.0,
            candidates: Candidates::StreetNodes { max: 2_000 },
            max_access_m: 500.0,
        }
    }
}

/// What a proposed site is.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SiteSource {
    StreetNode {
        node: u32,
    },
    Building {
        id: Id,
    },
    /// Index into the supplied point list.
    Point {
        index: usize,
    },
}

/// One proposed site, in the order chosen.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Site {
    /// `[lon, lat]`.
    #[serde(serialize_with = "point_xy")]
    #[schema(value_type = [f64; 2])]
    pub point: Point<f64>,
    pub source: SiteSource,
    /// Households newly within the time, given the sites chosen before it.
    pub gain_households: u64,
    pub gain_buildings: u64,
    /// Those buildings, by id.
    pub buildings: Vec<Id>,
}

fn point_xy<S: serde::Serializer>(p: &Point<f64>, s: S) -> Result<S::Ok, S::Error> {
    serde::Serialize::serialize(&[p.x(), p.y()], s)
}

/// The proposal.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Siting {
    pub minutes: f64,
    pub metres: f64,
    /// Attached buildings not within the time before any new site.
    pub uncovered_buildings: u64,
    pub uncovered_households: u64,
    pub candidates_considered: usize,
    /// At most `k`; fewer when no candidate adds anything.
    pub sites: Vec<Site>,
}

struct Candidate {
    source: SiteSource,
    point: Point<f64>,
    seeds: Vec<(u32, f64)>,
}

/// Propose sites (see the module docs). `result` gives the current coverage
/// (existing stations, fixed) and the walking speed.
pub fn siting(
    graph: &WalkGraph,
    result: &CoverageResult,
    options: &SitingOptions,
) -> Result<Siting, CoverageError> {
    if !(options.minutes.is_finite() && options.minutes >= 0.0) {
        return Err(CoverageError::InvalidOption("minutes must be ≥ 0".into()));
    }
    let limit = options.minutes * 60.0 * result.speed_m_s;
    // Uncovered, attached buildings, grouped by attachment node.
    let mut uncovered: Vec<(u32, u32)> = Vec::new(); // (node, building index)
    let mut seeds = Vec::new();
    let (mut ub, mut uh) = (0u64, 0u64);
    for (i, (b, c)) in graph.buildings().iter().zip(&result.buildings).enumerate() {
        let Some(a) = b.attachment else { continue };
        let covered = c.status == Status::Network && c.metres.is_some_and(|m| m <= limit);
        if !covered {
            uncovered.push((a.node, i as u32));
            seeds.push(Seed {
                node: a.node,
                dist: a.access_m,
                label: i as u32,
            });
            ub += 1;
            uh += b.households as u64;
        }
    }
    uncovered.sort_unstable();
    let mut at_node: HashMap<u32, (usize, usize)> = HashMap::new();
    for (k, &(node, _)) in uncovered.iter().enumerate() {
        at_node.entry(node).or_insert((k, k)).1 = k + 1;
    }
    let candidates = gather(graph, options, &seeds, limit);
    // Coverage set of each candidate.
    let mut ws = Workspace::new(graph);
    let mut sets: Vec<Vec<u32>> = Vec::with_capacity(candidates.len());
    for c in &candidates {
        ws.run(graph, &c.seeds, limit);
        let mut set = Vec::new();
        for &node in ws.reached() {
            if let Some(&(lo, hi)) = at_node.get(&node) {
                let d = ws.dist(node);
                for &(_, bi) in &uncovered[lo..hi] {
                    let access = graph.buildings()[bi as usize]
                        .attachment
                        .map_or(f64::INFINITY, |a| a.access_m);
                    if d + access <= limit {
                        set.push(bi);
                    }
                }
            }
        }
        set.sort_unstable();
        sets.push(set);
    }
    // Greedy with lazy gain updates (CELF).
    let households = |bi: u32| graph.buildings()[bi as usize].households as u64;
    let mut covered = vec![false; graph.buildings().len()];
    let mut heap: BinaryHeap<(u64, std::cmp::Reverse<usize>, usize)> = sets
        .iter()
        .enumerate()
        .map(|(ci, s)| {
            (
                s.iter().map(|&b| households(b)).sum(),
                std::cmp::Reverse(ci),
                0,
            )
        })
        .collect();
    let mut sites = Vec::new();
    while sites.len() < options.k {
        let Some((gain, std::cmp::Reverse(ci), round)) = heap.pop() else {
            break;
        };
        if round == sites.len() {
            let fresh: Vec<u32> = sets[ci]
                .iter()
                .copied()
                .filter(|&b| !covered[b as usize])
                .collect();
            if gain == 0 || fresh.is_empty() {
                break;
            }
            for &b in &fresh {
                covered[b as usize] = true;
            }
            let c = &candidates[ci];
            sites.push(Site {
                point: c.point,
                source: c.source,
                gain_households: gain,
                gain_buildings: fresh.len() as u64,
                buildings: fresh
                    .iter()
                    .map(|&b| graph.buildings()[b as usize].id)
                    .collect(),
            });
        } else {
            let g = sets[ci]
                .iter()
                .filter(|&&b| !covered[b as usize])
                .map(|&b| households(b))
                .sum();
            heap.push((g, std::cmp::Reverse(ci), sites.len()));
        }
    }
    Ok(Siting {
        minutes: options.minutes,
        metres: limit,
        uncovered_buildings: ub,
        uncovered_households: uh,
        candidates_considered: candidates.len(),
        sites,
    })
}

/// Evenly spaced sample of at most `max` items, in order.
fn sample<T>(items: Vec<T>, max: usize) -> Vec<T> {
    let n = items.len();
    if n <= max {
        return items;
    }
    let mut keep = vec![false; n];
    for i in 0..max {
        keep[i * n / max] = true;
    }
    items
        .into_iter()
        .zip(keep)
        .filter_map(|(x, k)| k.then_some(x))
        .collect()
}

fn gather(
    graph: &WalkGraph,
    options: &SitingOptions,
    uncovered: &[Seed],
    limit: f64,
) -> Vec<Candidate> {
    let near = || multi_source(graph, uncovered, limit).dist;
    match &options.candidates {
        Candidates::StreetNodes { max } => {
            let dist = near();
            let street = graph.report().street_nodes as usize;
            let nodes: Vec<u32> = (0..street.min(dist.len()))
                .filter(|&n| dist[n].is_finite())
                .map(|n| n as u32)
                .collect();
            sample(nodes, *max)
                .into_iter()
                .map(|node| Candidate {
                    source: SiteSource::StreetNode { node },
                    point: Point(graph.coord(node)),
                    seeds: vec![(node, 0.0)],
                })
                .collect()
        }
        Candidates::Buildings { classes, max } => {
            let dist = near();
            let picked: Vec<Candidate> = graph
                .buildings()
                .iter()
                .enumerate()
                .filter(|(i, _)| {
                    classes.is_empty() || classes.iter().any(|c| c == graph.building_class(*i))
                })
                .filter_map(|(_, b)| {
                    let a = b.attachment?;
                    (dist[a.node as usize] + a.access_m <= limit).then(|| Candidate {
                        source: SiteSource::Building { id: b.id },
                        point: Point(b.point),
                        seeds: vec![(a.node, a.access_m)],
                    })
                })
                .collect();
            sample(picked, *max)
        }
        Candidates::Points(points) => points
            .iter()
            .enumerate()
            .filter_map(|(index, p)| {
                let a = graph.attach_point(p.0, options.max_access_m)?;
                Some(Candidate {
                    source: SiteSource::Point { index },
                    point: *p,
                    seeds: a.seeds,
                })
            })
            .collect(),
    }
}
