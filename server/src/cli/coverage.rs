//! `gridmap coverage`: the walking-coverage roll-up of the store as a table
//! (overall and per community, per grid with `--by grid`) or CSV — the same
//! figures `GET /api/coverage` serves.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use gridmap_analysis::coverage::{Rollup, Tally};
use gridmap_data::model::StationTier;
use gridmap_data::store::Store;
use gridmap_service::coverage::{CoverageSnapshot, ResultKey, bands};

/// Roll-up level below the overall line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum By {
    Community,
    Grid,
}

#[derive(Debug, clap::Args)]
pub struct CoverageArgs {
    /// Walking time a household must be within (minutes, 0–60].
    #[arg(long, default_value_t = 15.0)]
    minutes: f64,
    /// Only these station tiers count (comma-separated: centre,station,point).
    #[arg(long)]
    tier: Option<String>,
    /// Walking speed, metres per second.
    #[arg(long, default_value_t = 1.1)]
    speed: f64,
    /// Print CSV instead of a table.
    #[arg(long)]
    csv: bool,
    /// Rows per community (default) or per grid.
    #[arg(long, value_enum, default_value_t = By::Community)]
    by: By,
}

fn tiers(text: &str) -> anyhow::Result<Vec<StationTier>> {
    let v = text
        .split(',')
        .filter(|t| !t.trim().is_empty())
        .map(|t| {
            StationTier::parse(t.trim())
                .with_context(|| format!("unknown tier `{t}` (centre, station, point)"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    anyhow::ensure!(!v.is_empty(), "--tier lists no tier");
    Ok(v)
}

/// Compute and print the roll-up.
pub async fn run(store: &dyn Store, args: CoverageArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.minutes.is_finite() && args.minutes > 0.0 && args.minutes <= 60.0,
        "--minutes must be in (0, 60]"
    );
    anyhow::ensure!(
        args.speed.is_finite() && args.speed > 0.0 && args.speed <= 5.0,
        "--speed must be in (0, 5] metres per second"
    );
    let key = ResultKey::new(args.speed, args.tier.as_deref().map(tiers).transpose()?);
    let started = Instant::now();
    eprintln!("loading the store…");
    let atlas = Arc::new(gridmap_service::load_atlas(store).await?);
    eprintln!(
        "{} buildings, {} stations loaded in {:.1} s; building the walk graph…",
        atlas.data().buildings.len(),
        atlas.data().stations.len(),
        started.elapsed().as_secs_f64()
    );
    let minutes = args.minutes;
    let rollup = tokio::task::spawn_blocking(move || -> anyhow::Result<Rollup> {
        let snap = CoverageSnapshot::build(atlas.clone())?;
        let result = snap.result(&key)?;
        Ok(Rollup::build(
            &result,
            atlas.data(),
            &bands(minutes, key.speed_m_s),
        ))
    })
    .await??;
    eprintln!(
        "coverage computed in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let rows = table(&rollup, args.by);
    if args.csv {
        print!("{}", csv(&rollup, &rows));
    } else {
        print!("{}", text(&rollup, &rows));
        if rollup.overall.estimated_buildings > 0 {
            println!(
                "{} buildings have no walkable street nearby: their distance is a straight-line estimate (× detour factor).",
                rollup.overall.estimated_buildings
            );
        }
    }
    Ok(())
}

/// One printed row: level, id, code, name and the tally.
struct Row<'a> {
    level: &'static str,
    id: String,
    code: &'a str,
    name: &'a str,
    tally: &'a Tally,
}

fn table(r: &Rollup, by: By) -> Vec<Row<'_>> {
    let mut rows = vec![Row {
        level: "overall",
        id: String::new(),
        code: "",
        name: "",
        tally: &r.overall,
    }];
    let units = match by {
        By::Community => &r.communities,
        By::Grid => &r.grids,
    };
    let level = match by {
        By::Community => "community",
        By::Grid => "grid",
    };
    rows.extend(units.iter().map(|u| Row {
        level,
        id: u.id.to_string(),
        code: &u.code,
        name: &u.name,
        tally: &u.tally,
    }));
    rows
}

fn header(r: &Rollup) -> Vec<String> {
    let mut h: Vec<String> = ["level", "id", "code", "name", "buildings", "households"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    for b in &r.bands {
        h.push(format!("households_within_{}min", fmt_num(b.minutes)));
    }
    for b in &r.bands {
        h.push(format!("buildings_within_{}min", fmt_num(b.minutes)));
    }
    h.extend(
        [
            "beyond_households",
            "unreachable_households",
            "estimated_households",
            "covered_pct",
            "uncovered_buildings",
        ]
        .into_iter()
        .map(str::to_owned),
    );
    h
}

fn fmt_num(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x}")
    }
}

fn cells(row: &Row<'_>) -> Vec<String> {
    let t = row.tally;
    let mut c = vec![
        row.level.to_owned(),
        row.id.clone(),
        row.code.to_owned(),
        row.name.to_owned(),
        t.buildings.to_string(),
        t.households.to_string(),
    ];
    c.extend(t.within_households.iter().map(u64::to_string));
    c.extend(t.within_buildings.iter().map(u64::to_string));
    c.push(t.beyond_households.to_string());
    c.push(t.unreachable_households.to_string());
    c.push(t.estimated_households.to_string());
    c.push(t.covered_pct.map(|p| format!("{p:.1}")).unwrap_or_default());
    c.push(t.uncovered.len().to_string());
    c
}

fn quote(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn csv(r: &Rollup, rows: &[Row<'_>]) -> String {
    let mut out = String::new();
    for line in std::iter::once(header(r)).chain(rows.iter().map(cells)) {
        let q: Vec<String> = line.iter().map(|c| quote(c)).collect();
        out.push_str(&q.join(","));
        out.push('\n');
    }
    out
}

/// Display width: CJK characters take two columns.
fn width(s: &str) -> usize {
    s.chars()
        .map(|c| if (c as u32) >= 0x1100 { 2 } else { 1 })
        .sum()
}

fn text(r: &Rollup, rows: &[Row<'_>]) -> String {
    let mut h = vec![
        "level".to_owned(),
        "id".to_owned(),
        "code".to_owned(),
        "name".to_owned(),
        "buildings".to_owned(),
        "households".to_owned(),
    ];
    h.extend(
        r.bands
            .iter()
            .map(|b| format!("≤{} min", fmt_num(b.minutes))),
    );
    h.extend(
        [
            "beyond",
            "unreachable",
            "estimated",
            "covered %",
            "uncovered bldgs",
        ]
        .map(str::to_owned),
    );
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            let t = row.tally;
            let mut c = vec![
                row.level.to_owned(),
                row.id.clone(),
                row.code.to_owned(),
                row.name.to_owned(),
                t.buildings.to_string(),
                t.households.to_string(),
            ];
            c.extend(t.within_households.iter().map(u64::to_string));
            c.push(t.beyond_households.to_string());
            c.push(t.unreachable_households.to_string());
            c.push(t.estimated_households.to_string());
            c.push(t.covered_pct.map(|p| format!("{p:.1}")).unwrap_or_default());
            c.push(t.uncovered.len().to_string());
            c
        })
        .collect();
    let mut widths: Vec<usize> = h.iter().map(|s| width(s)).collect();
    for row in &body {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(width(c));
        }
    }
    let mut out = format!(
        "walking coverage within {} min at {} m/s (households)\n",
        fmt_num(r.bands.last().map(|b| b.minutes).unwrap_or_default()),
        r.speed_m_s
    );
    for line in std::iter::once(&h).chain(&body) {
        let cells: Vec<String> = line
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, w))| {
                let pad = " ".repeat(w.saturating_sub(width(c)));
                // Text columns left-aligned, figures right-aligned.
                if i < 4 {
                    format!("{c}{pad}")
                } else {
                    format!("{pad}{c}")
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}
