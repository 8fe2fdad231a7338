//! `GET /health` and a plain index page.

use axum::Json;
use axum::extract::State;
use axum::response::Html;
use gridmap_data::model::Counts;
use serde::Serialize;

use crate::state::AppState;

#[derive(Serialize)]
pub struct Health {
    status: &'static str,
    version: &'static str,
    backend: &'static str,
    snapshot: u64,
    counts: Counts,
    tile_cache: TileCacheUsage,
}

#[derive(Serialize)]
struct TileCacheUsage {
    entries: usize,
    bytes: usize,
    budget: usize,
}

pub async fn health(State(state): State<AppState>) -> Json<Health> {
    let atlas = state.atlas();
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        backend: state.store.backend(),
        snapshot: atlas.version(),
        counts: atlas.counts(),
        tile_cache: {
            let (entries, bytes) = state.tiles.usage();
            TileCacheUsage {
                entries,
                bytes,
                budget: state.tiles.budget(),
            }
        },
    })
}

pub async fn index(State(state): State<AppState>) -> Html<String> {
    let c = state.atlas().counts();
    Html(format!(
        r#"<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>gridmap</title>
<body style="font-family:sans-serif;max-width:40rem;margin:2rem auto">
<h1>gridmap 网格地图</h1>
<p>{} 个社区 · {} 个网格 · {} 栋楼 · {} 个服务站点</p>
<ul>
<li><a href="/health">/health</a></li>
<li><a href="/api/lookup?lon=118.7837&amp;lat=32.0416">/api/lookup?lon=118.7837&amp;lat=32.0416</a></li>
<li><a href="/api/buildings/search?q=%E5%A4%A7%E5%8E%A6">/api/buildings/search?q=大厦</a></li>
</ul>
<p><small>Map data © OpenStreetMap contributors (ODbL). 示例数据中的人员均为虚构。</small></p>
</body></html>"#,
        c.communities, c.grids, c.buildings, c.stations
    ))
}
