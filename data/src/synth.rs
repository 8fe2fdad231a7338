//! A synthetic city for benchmarks and scale tests (`gridmap synth`): a
//! lattice of 100 m blocks with four buildings each, streets between blocks,
//! grids of two blocks, communities of 8 × 8 blocks and one station per
//! community. Deterministic for a given size and seed.

use geo::{Coord, LineString, MultiPolygon, Point, Rect};

use crate::model::{
    Building, Community, Dataset, Grid, GridKind, HouseholdSource, Person, PersonRole, Road,
    Station, StationTier, StreetOffice,
};

const ORIGIN: Coord<f64> = Coord {
    x: 118.70,
    y: 31.95,
};
const BLOCK_M: f64 = 100.0;
const METRES_PER_DEGREE: f64 = 111_195.0;
const COMMUNITY_BLOCKS: usize = 8;

/// A small deterministic generator (SplitMix64), enough for synthetic data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Generate a city of about `buildings` buildings. Ids are assigned (1-based)
/// and buildings already sit in their grids, as if loaded from a store.
pub fn city(buildings: usize, seed: u64) -> Dataset {
    let blocks = buildings.div_ceil(4).max(1);
    let side = (blocks as f64).sqrt().ceil() as usize;
    let lat = ORIGIN.y.to_radians().cos();
    let dy = BLOCK_M / METRES_PER_DEGREE;
    let dx = dy / lat;
    let corner = |c: usize, r: usize| Coord {
        x: ORIGIN.x + c as f64 * dx,
        y: ORIGIN.y - r as f64 * dy,
    };
    let mut rng = Rng(seed);
    let mut d = Dataset {
        street_offices: vec![StreetOffice {
            id: 1,
            code: "320199001".into(),
            name: "合成街道".into(),
        }],
        ..Dataset::default()
    };
    let communities_per_side = side.div_ceil(COMMUNITY_BLOCKS);
    let rows = blocks.div_ceil(side);
    for cr in 0..rows.div_ceil(COMMUNITY_BLOCKS) {
        for cc in 0..communities_per_side {
            let id = d.communities.len() as i64 + 1;
            let (c0, r0) = (cc * COMMUNITY_BLOCKS, cr * COMMUNITY_BLOCKS);
            let (c1, r1) = (
                (c0 + COMMUNITY_BLOCKS).min(side),
                (r0 + COMMUNITY_BLOCKS).min(rows),
            );
            let (a, b) = (corner(c0, r1), corner(c1, r0));
            d.communities.push(Community {
                id,
                street_office_id: Some(1),
                code: format!("320199{:06}", id % 1_000_000),
                name: format!("合成社区{id}"),
                boundary: MultiPolygon(vec![Rect::new(a, b).to_polygon()]),
            });
            let centre = Rect::new(a, b).center();
            d.stations.push(Station {
                id,
                osm_id: None,
                osm_type: None,
                name: format!("合成党群服务站{id}"),
                tier: StationTier::Station,
                kind: None,
                opening_hours: None,
                point: Point(centre),
            });
        }
    }
    let inset = 0.1;
    let size = 0.3;
    let mut made = 0;
    for block in 0..blocks {
        let (r, c) = (block / side, block % side);
        // Grids are pairs of horizontally adjacent blocks inside one community.
        let community_id =
            ((r / COMMUNITY_BLOCKS) * communities_per_side + c / COMMUNITY_BLOCKS) as i64 + 1;
        let grid_id = if c % 2 == 0 || c % COMMUNITY_BLOCKS == 0 {
            let span = if c + 1 < side && (c + 1) % COMMUNITY_BLOCKS != 0 {
                2
            } else {
                1
            };
            let id = d.grids.len() as i64 + 1;
            let seq = d
                .grids
                .iter()
                .filter(|g| g.community_id == community_id)
                .count()
                + 1;
            d.grids.push(Grid {
                id,
                community_id,
                code: format!("320199{:06}{:03}", community_id % 1_000_000, seq % 1000),
                name: format!("合成网格{id}"),
                kind: GridKind::Basic,
                boundary: MultiPolygon(vec![
                    Rect::new(corner(c, r + 1), corner(c + span, r)).to_polygon(),
                ]),
            });
            d.people.push(Person {
                id,
                grid_id: id,
                name: format!("合成网格员{id}"),
                role: PersonRole::GridWorker,
                phone: Some("000-0000-0000".into()),
                sample: true,
            });
            id
        } else {
            d.grids.len() as i64
        };
        for k in 0..4 {
            if made == buildings {
                break;
            }
            made += 1;
            let (qx, qy) = ((k % 2) as f64 * 0.5, (k / 2) as f64 * 0.5);
            let min = Coord {
                x: ORIGIN.x + (c as f64 + qx + inset) * dx,
                y: ORIGIN.y - (r as f64 + qy + inset + size) * dy,
            };
            let max = Coord {
                x: min.x + size * dx,
                y: min.y + size * dy,
            };
            let footprint = Rect::new(min, max);
            d.buildings.push(Building {
                id: made as i64,
                osm_id: None,
                name: Some(format!("合成{made}号楼")),
                address: Some(format!("合成路{made}号")),
                class: "residential".into(),
                levels: Some(6),
                households: 30 + rng.below(50) as u32,
                household_source: HouseholdSource::Estimated,
                footprint: MultiPolygon(vec![footprint.to_polygon()]),
                point: Point(footprint.center()),
                grid_id: Some(grid_id),
            });
        }
    }
    // Streets along every block edge, with shared node ids at crossings.
    let node = |c: usize, r: usize| -> i64 { (r * (side + 1) + c) as i64 + 1 };
    for r in 0..=rows {
        let line: Vec<Coord<f64>> = (0..=side).map(|c| corner(c, r)).collect();
        let ids = (0..=side).map(|c| node(c, r)).collect();
        d.roads.push(street(d.roads.len() as i64 + 1, line, ids));
    }
    for c in 0..=side {
        let line: Vec<Coord<f64>> = (0..=rows).map(|r| corner(c, r)).collect();
        let ids = (0..=rows).map(|r| node(c, r)).collect();
        d.roads.push(street(d.roads.len() as i64 + 1, line, ids));
    }
    d
}

fn street(id: i64, line: Vec<Coord<f64>>, node_ids: Vec<i64>) -> Road {
    Road {
        id,
        osm_id: None,
        class: "residential".into(),
        name: Some(format!("合成路{id}")),
        walkable: true,
        geometry: LineString::new(line),
        node_ids,
    }
}

/// Write a dataset's buildings, streets and stations as OSM XML (for
/// importer scale tests: `gridmap synth --osm city.osm`). Building corners
/// become nodes; streets reuse their node ids.
pub fn write_osm_xml(d: &Dataset, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(out, r#"<osm version="0.6" generator="gridmap synth">"#)?;
    let street_nodes: i64 = d
        .roads
        .iter()
        .flat_map(|r| r.node_ids.iter().copied())
        .max()
        .unwrap_or(0);
    // Street nodes first (ids 1..=street_nodes), then building corners, then stations.
    let mut written = std::collections::HashSet::new();
    for r in &d.roads {
        for (id, c) in r.node_ids.iter().zip(r.geometry.0.iter()) {
            if written.insert(*id) {
                writeln!(
                    out,
                    r#"<node id="{id}" lat="{:.7}" lon="{:.7}"/>"#,
                    c.y, c.x
                )?;
            }
        }
    }
    drop(written);
    let mut next = street_nodes + 1;
    let mut ways = Vec::with_capacity(d.buildings.len());
    for b in &d.buildings {
        let Some(poly) = b.footprint.0.first() else {
            continue;
        };
        let ring = &poly.exterior().0;
        let first = next;
        for c in &ring[..ring.len().saturating_sub(1)] {
            writeln!(
                out,
                r#"<node id="{next}" lat="{:.7}" lon="{:.7}"/>"#,
                c.y, c.x
            )?;
            next += 1;
        }
        ways.push((first, next - first, b.households));
    }
    for s in &d.stations {
        writeln!(
            out,
            r#"<node id="{next}" lat="{:.7}" lon="{:.7}"><tag k="amenity" v="community_centre"/><tag k="name" v="{}"/></node>"#,
            s.point.y(),
            s.point.x(),
            s.name
        )?;
        next += 1;
    }
    let mut way_id = 1i64;
    for (first, n, _) in &ways {
        write!(out, r#"<way id="{way_id}">"#)?;
        for k in 0..*n {
            write!(out, r#"<nd ref="{}"/>"#, first + k)?;
        }
        writeln!(
            out,
            r#"<nd ref="{first}"/><tag k="building" v="residential"/></way>"#
        )?;
        way_id += 1;
    }
    for r in &d.roads {
        write!(out, r#"<way id="{way_id}">"#)?;
        for id in &r.node_ids {
            write!(out, r#"<nd ref="{id}"/>"#)?;
        }
        writeln!(out, r#"<tag k="highway" v="{}"/></way>"#, r.class)?;
        way_id += 1;
    }
    writeln!(out, "</osm>")
}

/// Options for [`city_with`]: the same lattice city as [`city`], with more
/// street detail and a chosen number of stations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CityOptions {
    /// About this many buildings (as in [`city`]).
    pub buildings: usize,
    pub seed: u64,
    /// Extra street nodes inserted, evenly spaced, inside every block edge
    /// (0 keeps [`city`]'s streets). With 1,000,000 buildings, 4 gives
    /// 2,255,001 street nodes.
    pub street_subdivisions: usize,
    /// `None`: one station per community, as in [`city`]. `Some(n)`: `n`
    /// stations at deterministic pseudo-random points inside the city.
    pub stations: Option<usize>,
}

/// [`city`] with intermediate street nodes and a chosen number of stations
/// (for walking-coverage benchmarks). `city_with` with
/// `street_subdivisions: 0, stations: None` equals `city(buildings, seed)`.
pub fn city_with(options: CityOptions) -> Dataset {
    let mut d = city(options.buildings, options.seed);
    let s = options.street_subdivisions;
    if s > 0 {
        let mut next = d
            .roads
            .iter()
            .flat_map(|r| r.node_ids.iter().copied())
            .max()
            .unwrap_or(0)
            + 1;
        for road in &mut d.roads {
            let old = std::mem::take(&mut road.geometry.0);
            let ids = std::mem::take(&mut road.node_ids);
            let mut line = Vec::with_capacity(old.len() + (old.len().saturating_sub(1)) * s);
            let mut node_ids = Vec::with_capacity(line.capacity());
            for (k, (c, id)) in old.iter().zip(ids.iter()).enumerate() {
                if k > 0 {
                    let a = old[k - 1];
                    for j in 1..=s {
                        let f = j as f64 / (s + 1) as f64;
                        line.push(Coord {
                            x: a.x + (c.x - a.x) * f,
                            y: a.y + (c.y - a.y) * f,
                        });
                        node_ids.push(next);
                        next += 1;
                    }
                }
                line.push(*c);
                node_ids.push(*id);
            }
            road.geometry = LineString::new(line);
            road.node_ids = node_ids;
        }
    }
    if let Some(n) = options.stations {
        let (mut min, mut max) = (
            Coord {
                x: f64::MAX,
                y: f64::MAX,
            },
            Coord {
                x: f64::MIN,
                y: f64::MIN,
            },
        );
        for b in &d.buildings {
            min.x = min.x.min(b.point.x());
            min.y = min.y.min(b.point.y());
            max.x = max.x.max(b.point.x());
            max.y = max.y.max(b.point.y());
        }
        let mut rng = Rng(options.seed ^ 0x5EED_57A7_1045);
        let unit = |rng: &mut Rng| (rng.next() >> 11) as f64 / (1u64 << 53) as f64;
        d.stations = (0..n)
            .map(|k| {
                let id = k as i64 + 1;
                let x = min.x + (max.x - min.x) * unit(&mut rng);
                let y = min.y + (max.y - min.y) * unit(&mut rng);
                Station {
                    id,
                    osm_id: None,
                    osm_type: None,
                    name: format!("合成党群服务站{id}"),
                    tier: StationTier::Station,
                    kind: None,
                    opening_hours: None,
                    point: Point::new(x, y),
                }
            })
            .collect();
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::atlas::Atlas;

    #[test]
    fn every_building_lies_in_its_grid() {
        let d = city(1_000, 7);
        assert_eq!(d.buildings.len(), 1_000);
        let atlas = Atlas::build(d.clone(), 1);
        for b in &d.buildings {
            assert_eq!(
                atlas.grid_at(b.point).map(|g| g.id),
                b.grid_id,
                "building {}",
                b.id
            );
            assert!(atlas.community_at(b.point).is_some());
        }
        assert!(d.grids.iter().all(|g| g.code.len() == 15));
    }

    #[test]
    fn city_with_subdivides_streets_and_places_stations() {
        let plain = city(1_000, 7);
        let same = city_with(CityOptions {
            buildings: 1_000,
            seed: 7,
            street_subdivisions: 0,
            stations: None,
        });
        assert_eq!(same.roads, plain.roads);
        assert_eq!(same.stations, plain.stations);
        let d = city_with(CityOptions {
            buildings: 1_000,
            seed: 7,
            street_subdivisions: 4,
            stations: Some(20),
        });
        assert_eq!(d.buildings, plain.buildings);
        assert_eq!(d.stations.len(), 20);
        let nodes = |d: &Dataset| {
            d.roads
                .iter()
                .flat_map(|r| r.node_ids.iter().copied())
                .collect::<std::collections::HashSet<_>>()
                .len()
        };
        let edges: usize = plain.roads.iter().map(|r| r.node_ids.len() - 1).sum();
        assert_eq!(nodes(&d), nodes(&plain) + 4 * edges);
        for r in &d.roads {
            assert_eq!(r.node_ids.len(), r.geometry.0.len());
        }
    }
}
