//! A synthetic community for benchmarks and tests: `n` buildings on a
//! jittered lattice of blocks (6 × 6 buildings, 20 m apart), with barrier
//! roads between every third row and column of blocks, households drawn
//! from a small deterministic generator, inside one rectangular boundary
//! near Nanjing.

use geo::{Coord, LineString, MultiPolygon, Point, Rect};

use super::error::InputError;
use super::geometry::Projector;
use super::input::{CommunityInput, InputBuilding};

/// A tiny deterministic generator (SplitMix64).
#[derive(Debug, Clone)]
pub struct SplitMix(pub u64);

impl SplitMix {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `[lo, hi]`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `n` buildings with households in `[hh_lo, hh_hi]`.
pub fn community(
    n: usize,
    hh_lo: u64,
    hh_hi: u64,
    seed: u64,
) -> Result<CommunityInput, InputError> {
    const SPACING: f64 = 20.0;
    const PER_BLOCK: usize = 6;
    const STREET: f64 = 30.0;
    let mut rng = SplitMix(seed);
    let blocks = n.div_ceil(PER_BLOCK * PER_BLOCK);
    let cols = (blocks as f64).sqrt().ceil().max(1.0) as usize;
    let block_side = PER_BLOCK as f64 * SPACING + STREET;
    let proj = Projector::new(118.78, 32.04);
    let mut buildings = Vec::with_capacity(n);
    for i in 0..n {
        let b = i / (PER_BLOCK * PER_BLOCK);
        let j = i % (PER_BLOCK * PER_BLOCK);
        let (bx, by) = ((b % cols) as f64, (b / cols) as f64);
        let x = bx * block_side + (j % PER_BLOCK) as f64 * SPACING + rng.unit() * 8.0;
        let y = by * block_side + (j / PER_BLOCK) as f64 * SPACING + rng.unit() * 8.0;
        buildings.push(InputBuilding {
            id: i as i64 + 1,
            households: rng.range(hh_lo, hh_hi),
            point: Point(proj.inv(Coord { x, y })),
        });
    }
    let rows = blocks.div_ceil(cols).max(1);
    let (w, h) = (cols as f64 * block_side, rows as f64 * block_side);
    let m = STREET / 2.0;
    let rect = Rect::new(
        proj.inv(Coord { x: -m, y: -m }),
        proj.inv(Coord { x: w, y: h }),
    );
    let mut barriers = Vec::new();
    for c in (3..cols).step_by(3) {
        let x = c as f64 * block_side - STREET / 2.0;
        barriers.push(LineString(vec![
            proj.inv(Coord { x, y: -m }),
            proj.inv(Coord { x, y: h }),
        ]));
    }
    for r in (3..rows).step_by(3) {
        let y = r as f64 * block_side - STREET / 2.0;
        barriers.push(LineString(vec![
            proj.inv(Coord { x: -m, y }),
            proj.inv(Coord { x: w, y }),
        ]));
    }
    CommunityInput::new(
        1,
        "320104001001".into(),
        MultiPolygon(vec![rect.to_polygon()]),
        buildings,
        barriers,
    )
}
