//! Geometry assembly: node coordinates, closed ways and multipolygon rings.

use std::collections::HashMap;

use geo::{Contains, Coord, LineString, MultiPolygon, Polygon};

/// Node coordinates in a compact, sorted table (16 bytes a node, fixed
/// point at 1e-7° as OSM stores them), looked up by binary search.
#[derive(Default)]
pub struct NodeCoords {
    ids: Vec<i64>,
    coords: Vec<[i32; 2]>,
    sorted: bool,
}

impl NodeCoords {
    pub fn push(&mut self, id: i64, lon: f64, lat: f64) {
        if self.ids.last().is_some_and(|&last| last >= id) {
            self.sorted = false;
        } else if self.ids.is_empty() {
            self.sorted = true;
        }
        self.ids.push(id);
        self.coords.push([fixed(lon), fixed(lat)]);
    }

    /// Sort if nodes arrived out of id order (most files are sorted).
    pub fn prepare(&mut self) {
        if self.sorted || self.ids.is_empty() {
            self.sorted = true;
            return;
        }
        let mut pairs: Vec<(i64, [i32; 2])> = self
            .ids
            .iter()
            .copied()
            .zip(self.coords.iter().copied())
            .collect();
        pairs.sort_unstable_by_key(|p| p.0);
        pairs.dedup_by_key(|p| p.0);
        self.ids = pairs.iter().map(|p| p.0).collect();
        self.coords = pairs.iter().map(|p| p.1).collect();
        self.sorted = true;
    }

    pub fn get(&self, id: i64) -> Option<Coord<f64>> {
        let i = self.ids.binary_search(&id).ok()?;
        let [x, y] = self.coords[i];
        Some(Coord {
            x: degrees(x),
            y: degrees(y),
        })
    }

    /// The line through `refs`, or the first missing node id.
    pub fn line(&self, refs: &[i64]) -> Result<LineString<f64>, i64> {
        refs.iter()
            .map(|&r| self.get(r).ok_or(r))
            .collect::<Result<Vec<_>, _>>()
            .map(LineString::new)
    }
}

/// A coordinate in OSM's fixed point (1e-7°).
fn fixed(v: f64) -> i32 {
    (v * 1e7).round() as i32
}

fn degrees(v: i32) -> f64 {
    f64::from(v) / 1e7
}

/// A coordinate on OSM's 1e-7° grid, as every vertex is. XML gives the
/// decimal text, PBF `granularity × n` in nanodegrees; their f64 can differ
/// in the last bit, so a node read from one format and then the other would
/// look moved. On the grid both are the same number.
pub fn on_grid(v: f64) -> f64 {
    degrees(fixed(v))
}

/// Join way node lists into closed rings by their shared end nodes.
/// Fails when a ring cannot be closed (a broken multipolygon).
pub fn join_rings(mut ways: Vec<Vec<i64>>) -> Result<Vec<Vec<i64>>, String> {
    ways.retain(|w| w.len() >= 2);
    let mut rings = Vec::new();
    while let Some(mut ring) = ways.pop() {
        while let (Some(&first), Some(&last)) = (ring.first(), ring.last()) {
            if first == last && ring.len() >= 4 {
                break;
            }
            let next = ways
                .iter()
                .position(|w| w.first() == Some(&last) || w.last() == Some(&last));
            let Some(i) = next else {
                return Err(format!(
                    "ring cannot be closed: no member way continues from node {last}"
                ));
            };
            let mut w = ways.swap_remove(i);
            if w.first() != Some(&last) {
                w.reverse();
            }
            ring.extend_from_slice(&w[1..]);
        }
        rings.push(ring);
    }
    Ok(rings)
}

/// Build polygons from rings: each ring not inside another is an outer
/// ring; each ring inside an outer ring is a hole of the smallest such.
pub fn rings_to_multipolygon(rings: Vec<LineString<f64>>) -> MultiPolygon<f64> {
    let polys: Vec<Polygon<f64>> = rings
        .iter()
        .map(|r| Polygon::new(r.clone(), vec![]))
        .collect();
    let area = |p: &Polygon<f64>| geo::Area::unsigned_area(p);
    // parent[i] = index of the smallest ring containing ring i.
    let mut depth = vec![0usize; rings.len()];
    let mut parent: Vec<Option<usize>> = vec![None; rings.len()];
    for (i, ring) in rings.iter().enumerate() {
        let Some(probe) = ring.0.first() else {
            continue;
        };
        for (j, outer) in polys.iter().enumerate() {
            if i != j && outer.contains(probe) {
                depth[i] += 1;
                let better = parent[i].is_none_or(|p| area(&polys[p]) > area(outer));
                if better {
                    parent[i] = Some(j);
                }
            }
        }
    }
    let mut out: HashMap<usize, Polygon<f64>> = HashMap::new();
    let mut order = Vec::new();
    for i in 0..rings.len() {
        if depth[i].is_multiple_of(2) {
            out.insert(i, Polygon::new(rings[i].clone(), vec![]));
            order.push(i);
        }
    }
    for i in 0..rings.len() {
        if depth[i] % 2 == 1
            && let Some(p) = parent[i].and_then(|p| out.get_mut(&p))
        {
            p.interiors_push(rings[i].clone());
        }
    }
    MultiPolygon(order.into_iter().filter_map(|i| out.remove(&i)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_split_rings_in_any_direction() {
        let rings = join_rings(vec![vec![1, 2, 3], vec![1, 4, 3], vec![10, 11, 12, 10]])
            .expect("rings close");
        assert_eq!(rings.len(), 2);
        let big = rings.iter().find(|r| r.len() == 5).expect("joined ring");
        assert_eq!(big.first(), big.last());
    }

    #[test]
    fn open_ring_is_an_error() {
        assert!(join_rings(vec![vec![1, 2, 3], vec![3, 4]]).is_err());
    }

    #[test]
    fn holes_go_inside_their_outer_ring() {
        let outer = LineString::from(vec![(0., 0.), (10., 0.), (10., 10.), (0., 10.), (0., 0.)]);
        let hole = LineString::from(vec![(2., 2.), (4., 2.), (4., 4.), (2., 4.), (2., 2.)]);
        let other = LineString::from(vec![(20., 0.), (30., 0.), (30., 5.), (20., 0.)]);
        let mp = rings_to_multipolygon(vec![hole, outer, other]);
        assert_eq!(mp.0.len(), 2);
        assert_eq!(mp.0.iter().map(|p| p.interiors().len()).sum::<usize>(), 1);
    }

    #[test]
    fn xml_and_pbf_coordinates_meet_on_the_grid() {
        // 118.7812345° as XML text and as PBF computes it (nanodegrees × 1e-9).
        let xml: f64 = "118.7812345".parse().expect("number");
        let pbf = 1e-9 * (100 * 1_187_812_345_i64) as f64;
        assert_eq!(on_grid(xml), xml);
        assert_eq!(on_grid(pbf), xml);
    }

    #[test]
    fn unsorted_nodes_are_found_after_prepare() {
        let mut n = NodeCoords::default();
        n.push(5, 1.0, 2.0);
        n.push(3, 3.0, 4.0);
        n.prepare();
        assert_eq!(n.get(3), Some(Coord { x: 3.0, y: 4.0 }));
        assert_eq!(n.get(4), None);
    }
}
