//! Grid outlines before and after the barrier-aware, simplified polygons.
//! Usage: `grid_outlines OUT_DIR` (release build).
//!
//! For each Nanjing sample community the engine can partition, and a
//! synthetic community of 5,000 buildings, it partitions afresh (seed 0,
//! default rules) and draws the same assignment three ways:
//! 1. **before**: plain Voronoi cells of the buildings clipped to the
//!    community and merged per grid (the construction the engine used before;
//!    barrier-blind, kept here only for the comparison);
//! 2. **mesh, raw**: the barrier-aware mesh cells merged per grid, unsimplified;
//! 3. **after**: the same, outlines topologically simplified (what the engine
//!    returns).
//!
//! It prints, per drawing, the share of inner grid-boundary length that runs
//! along a barrier (`polygons::barrier_share`, same metric for all three),
//! the mean Polsby–Popper compactness and the outline vertex count, and
//! writes `OUT_DIR/<case>.svg` with the three drawings side by side.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use geo::{
    BooleanOps, BoundingRect, Coord, CoordsIter, LineString, MultiPolygon, Polygon, unary_union,
};
use gridmap_analysis::planning::partition::BARRIER_WITHIN_METRES;
use gridmap_analysis::planning::polygons::{
    SIMPLIFY_METRES, barrier_share, grid_polygons_local_with, polsby_popper,
};
use gridmap_analysis::planning::{
    CommunityInput, GridKey, PartitionOptions, PlanState, Rules, partition, synthetic,
};
use spade::{DelaunayTriangulation, HasPosition, Point2, Triangulation};

#[path = "../tests/coverage_support/mod.rs"]
mod coverage_support;

#[derive(Clone, Copy)]
struct Site {
    x: f64,
    y: f64,
    idx: usize,
}

impl HasPosition for Site {
    type Scalar = f64;
    fn position(&self) -> Point2<f64> {
        Point2::new(self.x, self.y)
    }
}

/// The old construction: Voronoi cells of building points clipped to the
/// community, merged per grid; barriers ignored.
fn plain_voronoi(input: &CommunityInput, plan: &PlanState) -> BTreeMap<GridKey, MultiPolygon<f64>> {
    let boundary = input.projector().fwd_multi(&input.boundary);
    let pts = input.local_points();
    let bbox = boundary.bounding_rect().unwrap();
    let pad = (bbox.width().max(bbox.height()) + 1.0) * 10.0;
    let mut sites: Vec<Site> = (0..pts.len())
        .filter(|&i| input.is_inside(i))
        .map(|i| Site {
            x: pts[i].x,
            y: pts[i].y,
            idx: i,
        })
        .collect();
    for (x, y) in [
        (bbox.min().x - pad, bbox.min().y - pad),
        (bbox.max().x + pad, bbox.min().y - pad),
        (bbox.max().x + pad, bbox.max().y + pad),
        (bbox.min().x - pad, bbox.max().y + pad),
    ] {
        sites.push(Site {
            x,
            y,
            idx: usize::MAX,
        });
    }
    let tri = DelaunayTriangulation::<Site>::bulk_load(sites).unwrap();
    let mut cells: BTreeMap<GridKey, Vec<Polygon<f64>>> = BTreeMap::new();
    for v in tri.vertices() {
        let idx = v.data().idx;
        if idx == usize::MAX {
            continue;
        }
        let Some(key) = plan.assignment.get(&input.buildings[idx].id).copied() else {
            continue;
        };
        let mut ring: Vec<Coord<f64>> = v
            .out_edges()
            .filter_map(|e| e.face().as_inner())
            .map(|f| {
                let c = f.circumcenter();
                Coord { x: c.x, y: c.y }
            })
            .collect();
        if ring.len() < 3 {
            continue;
        }
        ring.push(ring[0]);
        let cell = Polygon::new(LineString(ring), Vec::new());
        cells
            .entry(key)
            .or_default()
            .extend(cell.intersection(&boundary).0);
    }
    cells
        .into_iter()
        .map(|(k, p)| (k, unary_union(p.iter())))
        .collect()
}

fn figures(input: &CommunityInput, polys: &BTreeMap<GridKey, MultiPolygon<f64>>) -> String {
    let share = barrier_share(input, polys, BARRIER_WITHIN_METRES);
    let pp = polys.values().map(polsby_popper).sum::<f64>() / polys.len().max(1) as f64;
    let vertices: usize = polys.values().map(|m| m.coords_count()).sum();
    format!(
        "inner boundary {:.0} m, on barriers {:.1}%, Polsby–Popper {:.3}, {} vertices",
        share.boundary_m,
        100.0 * share.share(),
        pp,
        vertices
    )
}

const COLOURS: [&str; 10] = [
    "#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462", "#b3de69", "#fccde5",
    "#d9d9d9", "#bc80bd",
];

fn svg(input: &CommunityInput, panels: &[(&str, &BTreeMap<GridKey, MultiPolygon<f64>>)]) -> String {
    let boundary = input.projector().fwd_multi(&input.boundary);
    let b = boundary.bounding_rect().unwrap();
    let w = 520.0;
    let scale = w / b.width().max(b.height());
    let h = b.height() * scale;
    let tx = |c: Coord<f64>, i: usize| {
        (
            10.0 + i as f64 * (w + 20.0) + (c.x - b.min().x) * scale,
            40.0 + (b.max().y - c.y) * scale,
        )
    };
    let mut out = String::new();
    let total_w = panels.len() as f64 * (w + 20.0) + 10.0;
    writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{total_w:.0}" height="{:.0}" font-family="sans-serif" font-size="14"><rect width="100%" height="100%" fill="white"/>"#,
        h + 60.0
    )
    .unwrap();
    let barriers: Vec<LineString<f64>> = input
        .barriers
        .iter()
        .map(|l| input.projector().fwd_line(l))
        .collect();
    for (i, (title, polys)) in panels.iter().enumerate() {
        writeln!(
            out,
            r#"<text x="{:.0}" y="24">{title}</text>"#,
            10.0 + i as f64 * (w + 20.0)
        )
        .unwrap();
        writeln!(
            out,
            r#"<clipPath id="c{i}"><rect x="{:.1}" y="40" width="{w:.1}" height="{h:.1}"/></clipPath><g clip-path="url(#c{i})">"#,
            10.0 + i as f64 * (w + 20.0)
        )
        .unwrap();
        for (n, m) in polys.values().enumerate() {
            let mut d = String::new();
            for p in &m.0 {
                for r in std::iter::once(p.exterior()).chain(p.interiors()) {
                    for (j, c) in r.0.iter().enumerate() {
                        let (x, y) = tx(*c, i);
                        write!(d, "{}{x:.1},{y:.1} ", if j == 0 { "M" } else { "L" }).unwrap();
                    }
                    d.push('Z');
                }
            }
            writeln!(
                out,
                r##"<path d="{d}" fill="{}" fill-rule="evenodd" stroke="#333" stroke-width="0.8"/>"##,
                COLOURS[n % COLOURS.len()]
            )
            .unwrap();
        }
        for l in &barriers {
            let pts: Vec<String> =
                l.0.iter()
                    .map(|c| {
                        let (x, y) = tx(*c, i);
                        format!("{x:.1},{y:.1}")
                    })
                    .collect();
            writeln!(
                out,
                r##"<polyline points="{}" fill="none" stroke="#1f5fd6" stroke-width="2.2" stroke-opacity="0.75"/>"##,
                pts.join(" ")
            )
            .unwrap();
        }
        for (j, p) in input.local_points().iter().enumerate() {
            if input.is_inside(j) {
                let (x, y) = tx(*p, i);
                writeln!(
                    out,
                    r#"<circle cx="{x:.1}" cy="{y:.1}" r="1.6" fill="black"/>"#
                )
                .unwrap();
            }
        }
        out.push_str("</g>\n");
    }
    out.push_str("</svg>\n");
    out
}

fn case(out: &std::path::Path, name: &str, input: &CommunityInput, rules: &Rules) {
    let plan = PlanState::empty(input.community_id, &input.community_code);
    let Ok(o) = partition(input, &plan, rules, &PartitionOptions::default()) else {
        return;
    };
    let before = plain_voronoi(input, &o.plan);
    let raw = grid_polygons_local_with(input, &o.plan, 0.0);
    let after = grid_polygons_local_with(input, &o.plan, SIMPLIFY_METRES);
    let (faces, empty) = input.barrier_faces();
    println!(
        "{name}: {} buildings, {} grids, {faces} barrier faces ({empty} without buildings)",
        input.buildings.len(),
        o.plan.grids.len()
    );
    println!("  before (plain Voronoi): {}", figures(input, &before));
    println!("  mesh, unsimplified:     {}", figures(input, &raw));
    println!("  after (simplified):     {}", figures(input, &after));
    if input.buildings.len() <= 2_000 {
        let doc = svg(
            input,
            &[
                ("before: plain Voronoi (barriers ignored)", &before),
                ("barrier-aware mesh, unsimplified", &raw),
                ("after: barrier-aware, simplified", &after),
            ],
        );
        std::fs::write(out.join(format!("{name}.svg")), doc).unwrap();
    }
}

fn main() {
    let out = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "tests/artifacts/grid-outlines".into()),
    );
    std::fs::create_dir_all(&out).unwrap();
    let rules = Rules::default();
    let data = coverage_support::nanjing();
    for c in &data.communities {
        let input = CommunityInput::from_dataset(data, c.id, &rules).unwrap();
        case(&out, &format!("nanjing-{}", c.code), &input, &rules);
    }
    for n in [1_600usize, 5_000] {
        let input = synthetic::community(n, 1, 20, 42).unwrap();
        case(&out, &format!("synthetic-{n}"), &input, &rules);
    }
}
