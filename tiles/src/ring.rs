//! Snapping to the integer tile grid and checks on snapped rings.
//!
//! [`is_valid`] is a cheap, conservative OGC validity check: when it says
//! `true` the rings are valid; when it says `false` (or the polygon is too
//! big to check) the caller repairs them with the integer overlay. Small
//! polygons (buildings, plots) are checked pair by pair, big ones (grids and
//! land use cut at the tile edge) with a sweep along x.

use geo::Coord;
use i_overlay::i_float::int::point::IntPoint;

/// One snapped ring: `points[start..end]`, without its closing point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RingSpan {
    pub start: usize,
    pub end: usize,
    pub hole: bool,
}

/// Up to this many segments in a feature [`is_valid`] compares every pair;
/// above it, a sweep along x compares only segments whose x ranges overlap.
const MAX_BRUTE_SEGMENTS: usize = 6;

/// Above this many segments, or this many rings, in a feature [`is_valid`]
/// gives up (returns `false`) and lets the overlay decide.
const MAX_CHECKED_SEGMENTS: usize = 1 << 16;
const MAX_CHECKED_RINGS: usize = 64;

#[inline]
pub(crate) fn snap(c: Coord<f64>) -> IntPoint {
    IntPoint::new(round_i32(c.x), round_i32(c.y))
}

/// `v.round() as i32` (half away from zero, saturating), without the call
/// to a software `round` that baseline x86-64 makes of `f64::round`.
#[inline]
fn round_i32(v: f64) -> i32 {
    if v.abs() < 2_147_483_647.0 {
        // Both exact: `t` is `v` truncated, and `v - t` loses no bits
        // (Sterbenz), so the halfway test matches `f64::round`.
        let t = v as i64;
        let f = v - t as f64;
        (t + i64::from(f >= 0.5) - i64::from(f <= -0.5)) as i32
    } else {
        // Saturating casts: callers only snap points inside the clip box.
        v.round() as i32
    }
}

/// Snaps a polyline, appending to `out` without consecutive duplicates.
/// Returns how many points were appended.
pub(crate) fn snap_line(src: &[Coord<f64>], out: &mut Vec<IntPoint>) -> usize {
    let start = out.len();
    for &c in src {
        let p = snap(c);
        if out.len() == start || out.last() != Some(&p) {
            out.push(p);
        }
    }
    out.len() - start
}

/// Snaps a ring (given without its closing point), appending to `out`
/// without consecutive duplicates nor a repeated closing point. Returns how
/// many points were appended.
pub(crate) fn snap_ring(src: &[Coord<f64>], out: &mut Vec<IntPoint>) -> usize {
    let start = out.len();
    snap_line(src, out);
    while out.len() > start + 1 && out.last() == out.get(start) {
        out.pop();
    }
    out.len() - start
}

/// Twice the signed shoelace area; positive for exterior rings in MVT (y
/// down, clockwise on screen).
pub(crate) fn area2(ring: &[IntPoint]) -> i64 {
    let Some(&last) = ring.last() else {
        return 0;
    };
    let mut prev = last;
    let mut sum = 0i64;
    for &p in ring {
        sum += i64::from(prev.x) * i64::from(p.y) - i64::from(p.x) * i64::from(prev.y);
        prev = p;
    }
    sum
}

#[inline]
fn orient(a: IntPoint, b: IntPoint, c: IntPoint) -> i64 {
    (i64::from(b.x) - i64::from(a.x)) * (i64::from(c.y) - i64::from(a.y))
        - (i64::from(b.y) - i64::from(a.y)) * (i64::from(c.x) - i64::from(a.x))
}

/// `c` collinear with `a`–`b` lies within their bbox.
#[inline]
fn within(a: IntPoint, b: IntPoint, c: IntPoint) -> bool {
    c.x >= a.x.min(b.x) && c.x <= a.x.max(b.x) && c.y >= a.y.min(b.y) && c.y <= a.y.max(b.y)
}

/// Whether two closed segments share any point.
fn segments_touch(a: IntPoint, b: IntPoint, c: IntPoint, d: IntPoint) -> bool {
    if a.x.max(b.x) < c.x.min(d.x)
        || c.x.max(d.x) < a.x.min(b.x)
        || a.y.max(b.y) < c.y.min(d.y)
        || c.y.max(d.y) < a.y.min(b.y)
    {
        return false;
    }
    let o1 = orient(a, b, c).signum();
    let o2 = orient(a, b, d).signum();
    let o3 = orient(c, d, a).signum();
    let o4 = orient(c, d, b).signum();
    if o1 * o2 < 0 && o3 * o4 < 0 {
        return true;
    }
    (o1 == 0 && within(a, b, c))
        || (o2 == 0 && within(a, b, d))
        || (o3 == 0 && within(c, d, a))
        || (o4 == 0 && within(c, d, b))
}

/// Segments `a`→`b`→`c` fold back on themselves (a zero-width spike).
#[inline]
fn folds(a: IntPoint, b: IntPoint, c: IntPoint) -> bool {
    if orient(a, b, c) != 0 {
        return false;
    }
    let dot = (i64::from(b.x) - i64::from(a.x)) * (i64::from(c.x) - i64::from(b.x))
        + (i64::from(b.y) - i64::from(a.y)) * (i64::from(c.y) - i64::from(b.y));
    dot < 0
}

/// Crossing-number test for a point known not to lie on the ring.
fn contains(ring: &[IntPoint], v: IntPoint) -> bool {
    let Some(&last) = ring.last() else {
        return false;
    };
    let mut inside = false;
    let mut b = last;
    for &a in ring {
        if (a.y > v.y) != (b.y > v.y) {
            // Sign of (x of the crossing - v.x), times sign of (b.y - a.y).
            let num = (i64::from(a.x) - i64::from(v.x)) * (i64::from(b.y) - i64::from(a.y))
                + (i64::from(v.y) - i64::from(a.y)) * (i64::from(b.x) - i64::from(a.x));
            if (num > 0) == (b.y > a.y) && num != 0 {
                inside = !inside;
            }
        }
        b = a;
    }
    inside
}

/// Conservative validity check of oriented rings (exteriors positive, each
/// exterior followed by its holes, holes negative, each ring at least 3
/// points with non-zero area). `true` means OGC-valid; `false` means invalid
/// or not checked (too many segments).
pub(crate) fn is_valid(points: &[IntPoint], rings: &[RingSpan]) -> bool {
    let total: usize = rings.iter().map(|r| r.end - r.start).sum();
    if total > MAX_CHECKED_SEGMENTS || rings.len() > MAX_CHECKED_RINGS {
        return false;
    }
    if rings.iter().any(|r| r.end - r.start < 3) {
        return false;
    }
    let no_crossings = if total <= MAX_BRUTE_SEGMENTS {
        no_crossings_brute(points, rings)
    } else {
        no_crossings_sweep(points, rings, total)
    };
    no_crossings && rings_nest(points, rings)
}

/// Whether no two segments of the rings share a point other than the joint
/// of two consecutive segments, and no ring folds back on itself (every pair
/// compared; for small features).
fn no_crossings_brute(points: &[IntPoint], rings: &[RingSpan]) -> bool {
    for (ri, r) in rings.iter().enumerate() {
        let ring = &points[r.start..r.end];
        let n = ring.len();
        if n < 3 {
            return false;
        }
        let next = |i: usize| if i + 1 == n { 0 } else { i + 1 };
        for i in 0..n {
            let (a, b) = (ring[i], ring[next(i)]);
            for j in i + 1..n {
                let (c, d) = (ring[j], ring[next(j)]);
                if j == i + 1 {
                    if folds(a, b, d) {
                        return false;
                    }
                } else if i == 0 && j == n - 1 {
                    if folds(c, a, b) {
                        return false;
                    }
                } else if segments_touch(a, b, c, d) {
                    return false;
                }
            }
            for other in &rings[ri + 1..] {
                let ring2 = &points[other.start..other.end];
                let m = ring2.len();
                for k in 0..m {
                    let l = if k + 1 == m { 0 } else { k + 1 };
                    if segments_touch(a, b, ring2[k], ring2[l]) {
                        return false;
                    }
                }
            }
        }
    }
    true
}

/// One segment of a ring for the sweep: `ring[i]`→`ring[i + 1]`.
#[derive(Clone, Copy)]
struct Segment {
    min_x: i32,
    max_x: i32,
    a: IntPoint,
    b: IntPoint,
    /// Ring number, position in the ring and the next segment's position.
    ring: u32,
    i: u32,
    next: u32,
}

thread_local! {
    /// The sweep's segment buffer, reused across features.
    static SEGMENTS: std::cell::RefCell<Vec<Segment>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// [`no_crossings_brute`] in O(n log n + k): segments sorted by their left
/// end, each compared only with the ones that start before it ends.
fn no_crossings_sweep(points: &[IntPoint], rings: &[RingSpan], total: usize) -> bool {
    SEGMENTS.with(|cell| {
        let Ok(mut segs) = cell.try_borrow_mut() else {
            return false;
        };
        segs.clear();
        segs.reserve(total);
        for (ri, r) in rings.iter().enumerate() {
            let ring = &points[r.start..r.end];
            let n = ring.len();
            for i in 0..n {
                let next = if i + 1 == n { 0 } else { i + 1 };
                let (a, b) = (ring[i], ring[next]);
                segs.push(Segment {
                    min_x: a.x.min(b.x),
                    max_x: a.x.max(b.x),
                    a,
                    b,
                    ring: ri as u32,
                    i: i as u32,
                    next: next as u32,
                });
            }
        }
        segs.sort_unstable_by_key(|s| s.min_x);
        for (k, s) in segs.iter().enumerate() {
            for t in &segs[k + 1..] {
                if t.min_x > s.max_x {
                    break;
                }
                if s.ring == t.ring {
                    // Consecutive segments meet at their joint: they may
                    // only not fold back over each other.
                    let (first, second) = if s.next == t.i {
                        (s, t)
                    } else if t.next == s.i {
                        (t, s)
                    } else {
                        if segments_touch(s.a, s.b, t.a, t.b) {
                            return false;
                        }
                        continue;
                    };
                    if folds(first.a, first.b, second.b) {
                        return false;
                    }
                } else if segments_touch(s.a, s.b, t.a, t.b) {
                    return false;
                }
            }
        }
        true
    })
}

/// Rings that do not touch: each exterior outside every other exterior
/// (or inside a hole of one), each hole inside its own exterior only.
fn rings_nest(points: &[IntPoint], rings: &[RingSpan]) -> bool {
    if rings.len() > 1 {
        // No ring touches another, so each lies wholly inside or outside any
        // other: test one vertex. An exterior must be covered by as many
        // holes as exteriors; a hole by exactly one more exterior, its own.
        let mut owner = 0;
        for (ri, r) in rings.iter().enumerate() {
            if !r.hole {
                owner = ri;
            }
            let v = points[r.start];
            let mut depth = 0i32;
            for (fi, f) in rings.iter().enumerate() {
                if fi != ri && contains(&points[f.start..f.end], v) {
                    depth += if f.hole { -1 } else { 1 };
                }
            }
            let own = &rings[owner];
            let ok = if r.hole {
                depth == 1 && contains(&points[own.start..own.end], v)
            } else {
                depth == 0
            };
            if !ok {
                return false;
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pts(v: &[(i32, i32)]) -> Vec<IntPoint> {
        v.iter().map(|&(x, y)| IntPoint::new(x, y)).collect()
    }

    #[test]
    fn round_i32_matches_f64_round() {
        let mut values = vec![
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.5,
            -1.5,
            2.5,
            -2.5,
            0.499_999_999_999_999_94,
            -0.499_999_999_999_999_94,
            4095.5,
            -64.5,
            2_147_483_646.5,
            2_147_483_647.4,
            2_147_483_647.6,
            -2_147_483_648.4,
            -2_147_483_648.6,
            1e12,
            -1e12,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        // Halves, near-halves and plain fractions over the tile range.
        let mut v = -5000.0_f64;
        while v < 5000.0 {
            values.extend([v, v.next_up(), v.next_down()]);
            v += 0.125;
        }
        for v in values {
            assert_eq!(round_i32(v), v.round() as i32, "{v:e}");
        }
    }

    fn spans(v: &[(usize, usize, bool)]) -> Vec<RingSpan> {
        v.iter()
            .map(|&(start, end, hole)| RingSpan { start, end, hole })
            .collect()
    }

    #[test]
    fn snapping_drops_duplicates_and_closing_point() {
        let src = [
            Coord { x: 0.2, y: 0.1 },
            Coord { x: 0.4, y: -0.3 },
            Coord { x: 10.0, y: 0.0 },
            Coord { x: 10.0, y: 10.0 },
            Coord { x: 0.1, y: 0.0 },
        ];
        let mut out = Vec::new();
        assert_eq!(snap_ring(&src, &mut out), 3);
        assert_eq!(out, pts(&[(0, 0), (10, 0), (10, 10)]));
        assert_eq!(area2(&out), 100);
    }

    #[test]
    fn square_with_hole_is_valid() {
        let p = pts(&[
            (0, 0),
            (10, 0),
            (10, 10),
            (0, 10),
            (2, 2),
            (2, 8),
            (8, 8),
            (8, 2),
        ]);
        assert!(is_valid(&p, &spans(&[(0, 4, false), (4, 8, true)])));
    }

    #[test]
    fn bowtie_spike_and_stray_hole_are_invalid() {
        let bowtie = pts(&[(0, 0), (10, 10), (10, 0), (0, 10)]);
        assert!(!is_valid(&bowtie, &spans(&[(0, 4, false)])));
        let spike = pts(&[(0, 0), (10, 0), (15, 0), (10, 0), (10, 10), (0, 10)]);
        assert!(!is_valid(&spike, &spans(&[(0, 6, false)])));
        let stray = pts(&[
            (0, 0),
            (10, 0),
            (10, 10),
            (0, 10),
            (20, 2),
            (20, 8),
            (28, 8),
            (28, 2),
        ]);
        assert!(!is_valid(&stray, &spans(&[(0, 4, false), (4, 8, true)])));
        let nested = pts(&[
            (0, 0),
            (10, 0),
            (10, 10),
            (0, 10),
            (2, 2),
            (8, 2),
            (8, 8),
            (2, 8),
        ]);
        assert!(!is_valid(&nested, &spans(&[(0, 4, false), (4, 8, false)])));
    }

    #[test]
    fn island_in_a_lake_is_valid() {
        let p = pts(&[
            (0, 0),
            (10, 0),
            (10, 10),
            (0, 10),
            (2, 2),
            (2, 8),
            (8, 8),
            (8, 2),
            (4, 4),
            (6, 4),
            (6, 6),
            (4, 6),
        ]);
        let r = spans(&[(0, 4, false), (4, 8, true), (8, 12, false)]);
        assert!(is_valid(&p, &r));
    }

    #[test]
    fn sweep_agrees_with_brute_force() {
        // Random rings on a small grid, so that touching, crossing and
        // folding segments are common; both checks must always agree.
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |m: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % m) as i32
        };
        let (mut valid, mut invalid) = (0, 0);
        for case in 0..4000 {
            let rings_n = 1 + (case % 3);
            let mut points = Vec::new();
            let mut rings = Vec::new();
            for r in 0..rings_n {
                let n = 3 + next(if case % 2 == 0 { 6 } else { 40 }) as usize;
                let start = points.len();
                for _ in 0..n {
                    points.push(IntPoint::new(next(12), next(12)));
                }
                rings.push(RingSpan {
                    start,
                    end: points.len(),
                    hole: r > 0,
                });
            }
            let total = points.len();
            let brute = no_crossings_brute(&points, &rings);
            let sweep = no_crossings_sweep(&points, &rings, total);
            assert_eq!(brute, sweep, "case {case}: {points:?} {rings:?}");
            if brute {
                valid += 1;
            } else {
                invalid += 1;
            }
        }
        // Both outcomes were exercised.
        assert!(
            valid > 100 && invalid > 100,
            "{valid} valid, {invalid} invalid"
        );
    }

    #[test]
    fn big_valid_ring_passes_the_sweep() {
        // A 200-gon (beyond the pair-by-pair limit) with a square hole.
        let mut p: Vec<IntPoint> = (0..200)
            .map(|i| {
                let a = std::f64::consts::TAU * f64::from(i) / 200.0;
                IntPoint::new((1000.0 * a.cos()) as i32, (1000.0 * a.sin()) as i32)
            })
            .collect();
        p.extend(pts(&[(-10, -10), (-10, 10), (10, 10), (10, -10)]));
        let r = spans(&[(0, 200, false), (200, 204, true)]);
        assert!(area2(&p[0..200]) > 0 && area2(&p[200..204]) < 0);
        assert!(is_valid(&p, &r));
        // The same ring with one vertex pushed across the far side.
        p[50] = IntPoint::new(0, -1500);
        assert!(!is_valid(&p, &r));
    }
}
