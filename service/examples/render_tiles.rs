//! Renders a list of tiles from a store, `ROUNDS` times, from prepared
//! geometry (as the server does once a zoom is prepared), and prints the
//! bytes made. No HTTP, no cache. For counting instructions per tile with
//! cachegrind, which, unlike wall time, does not drift with the machine:
//! see `scripts/load/instructions-per-tile.sh`.
//!
//! `cargo run --release -p gridmap-service --example render_tiles -- DB TILE_LIST ROUNDS`

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::{Context, bail};
use gridmap_service::tiles::prepared::PreparedTiles;
use gridmap_service::tiles::render_prepared;
use gridmap_tiles::TileCoord;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [db, list, rounds] = args.as_slice() else {
        bail!("usage: render_tiles DB TILE_LIST ROUNDS");
    };
    let rounds: usize = rounds.parse().context("ROUNDS is a count")?;
    let tiles = std::fs::read_to_string(list)
        .with_context(|| format!("cannot read {list}"))?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(parse)
        .collect::<anyhow::Result<Vec<_>>>()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let atlas = Arc::new(rt.block_on(async {
        let store = gridmap_data::store::open(&format!("sqlite://{db}")).await?;
        gridmap_service::load_atlas(store.as_ref()).await
    })?);
    let prepared = Arc::new(PreparedTiles::new(1 << 30));
    let mut zooms = BTreeMap::new();
    for t in &tiles {
        if let std::collections::btree_map::Entry::Vacant(e) = zooms.entry(t.z()) {
            e.insert(prepared.prepare_now(&atlas, t.z()));
        }
    }
    let mut bytes = 0usize;
    for _ in 0..rounds {
        for t in &tiles {
            let geometry = zooms.get(&t.z()).and_then(|g| g.as_deref());
            bytes += render_prepared(&atlas, *t, None, geometry)?.len();
        }
    }
    println!("{} tiles rendered, {bytes} bytes", rounds * tiles.len());
    Ok(())
}

/// `/tiles/{z}/{x}/{y}.mvt` → the tile.
fn parse(line: &str) -> anyhow::Result<TileCoord> {
    let path = line.trim().trim_start_matches("/tiles/");
    let path = path.strip_suffix(".mvt").unwrap_or(path);
    let parts: Vec<&str> = path.split('/').collect();
    let [z, x, y] = parts.as_slice() else {
        bail!("`{line}` is not /tiles/z/x/y.mvt");
    };
    Ok(TileCoord::new(z.parse()?, x.parse()?, y.parse()?)?)
}
