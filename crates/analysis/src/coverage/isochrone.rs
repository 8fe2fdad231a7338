//! Isochrones: the area reachable from one station within a time, built
//! from the reached street network — whole edges, plus the reached part of
//! edges at the frontier, plus the station's access leg — buffered by a
//! fixed width and unioned (geo's `Buffer`, backed by i_overlay). The
//! buffer is computed in a local metric plane centred on the station and
//! mapped back to lon/lat, so the polygon is valid (no self-intersections).

use geo::algorithm::buffer::{BufferStyle, LineCap, LineJoin};
use geo::{Buffer, Coord, LineString, MapCoords, MultiLineString, MultiPolygon, Point};
use gridmap_data::model::Id;

use super::dijkstra::bounded_sparse;
use super::error::CoverageError;
use super::graph::WalkGraph;
use super::metric::lerp;
use super::nearest::DEFAULT_SPEED_M_S;

/// How to draw an isochrone.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IsochroneOptions {
    pub speed_m_s: f64,
    /// Half-width (m) of the band drawn around reached streets: how far off
    /// the street a household still counts as "there".
    pub buffer_m: f64,
    /// Angle step (radians) of round caps and joins; larger is coarser and faster.
    pub round_step: f64,
}

impl Default for IsochroneOptions {
    fn default() -> Self {
        IsochroneOptions {
            speed_m_s: DEFAULT_SPEED_M_S,
            buffer_m: 40.0,
            round_step: 0.5,
        }
    }
}

/// The reached network from a station within `minutes`, as line pieces in
/// lon/lat (whole edges and frontier parts, and the access leg).
pub fn reached_lines(
    graph: &WalkGraph,
    station_id: Id,
    minutes: f64,
    speed_m_s: f64,
) -> Result<MultiLineString<f64>, CoverageError> {
    if !(minutes.is_finite() && minutes >= 0.0 && speed_m_s.is_finite() && speed_m_s > 0.0) {
        return Err(CoverageError::InvalidOption(
            "minutes must be ≥ 0 and speed > 0".into(),
        ));
    }
    let station = graph
        .station_index(station_id)
        .and_then(|i| graph.stations().get(i))
        .ok_or(CoverageError::UnknownStation(station_id))?;
    let a = station
        .attachment
        .ok_or(CoverageError::StationNotAttached(station_id))?;
    let limit = minutes * 60.0 * speed_m_s;
    let mut lines = Vec::new();
    if a.access_m > 0.0 {
        let f = (limit / a.access_m).min(1.0);
        lines.push(LineString::new(vec![
            station.point,
            lerp(station.point, a.point, f),
        ]));
    }
    let dist = bounded_sparse(graph, &[(a.node, a.access_m)], limit);
    let mut nodes: Vec<(u32, f64)> = dist.iter().map(|(n, d)| (*n, *d)).collect();
    nodes.sort_by_key(|(n, _)| *n);
    for (u, du) in nodes {
        let pu = graph.coord(u);
        for (v, w) in graph.neighbours(u) {
            let dv = dist.get(&v).copied();
            if dv.is_some() && v < u {
                continue; // drawn from v's side
            }
            let pv = graph.coord(v);
            let ru = limit - du;
            let rv = dv.map_or(0.0, |d| limit - d);
            if w <= 0.0 || ru + rv >= w {
                lines.push(LineString::new(vec![pu, pv]));
                continue;
            }
            if ru > 0.0 {
                lines.push(LineString::new(vec![pu, lerp(pu, pv, ru / w)]));
            }
            if rv > 0.0 {
                lines.push(LineString::new(vec![pv, lerp(pv, pu, rv / w)]));
            }
        }
    }
    Ok(MultiLineString::new(lines))
}

/// The area reachable from a station within `minutes` (lon/lat).
pub fn isochrone(
    graph: &WalkGraph,
    station_id: Id,
    minutes: f64,
    options: &IsochroneOptions,
) -> Result<MultiPolygon<f64>, CoverageError> {
    if !(options.buffer_m.is_finite() && options.buffer_m > 0.0 && options.round_step > 0.0) {
        return Err(CoverageError::InvalidOption(
            "buffer_m and round_step must be positive".into(),
        ));
    }
    let lines = reached_lines(graph, station_id, minutes, options.speed_m_s)?;
    let plane = graph.plane();
    let origin = graph
        .station_index(station_id)
        .and_then(|i| graph.stations().get(i))
        .map_or(Coord { x: 0.0, y: 0.0 }, |s| s.point);
    let [ox, oy] = plane.xy(origin);
    let to_local = |c: Coord<f64>| {
        let [x, y] = plane.xy(c);
        Coord {
            x: x - ox,
            y: y - oy,
        }
    };
    let style = BufferStyle::new(options.buffer_m)
        .line_cap(LineCap::Round(options.round_step))
        .line_join(LineJoin::Round(options.round_step));
    let local = if lines.0.is_empty() {
        Point(Coord { x: 0.0, y: 0.0 }).buffer_with_style(style)
    } else {
        lines.map_coords(to_local).buffer_with_style(style)
    };
    Ok(local.map_coords(|c| plane.lonlat([c.x + ox, c.y + oy])))
}
