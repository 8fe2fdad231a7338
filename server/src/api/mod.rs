//! The HTTP API: one module per resource, and the router that joins them.

mod admin;
mod auth;
mod buildings;
mod compliance;
mod coverage;
mod fonts;
mod health;
mod lookup;
pub mod openapi;
mod params;
mod plans;
mod public;
pub mod qr;
pub(crate) mod style;
mod tiles;

use axum::Router;
use axum::routing::{get, post};

use crate::error::ApiError;
use crate::state::AppState;

// Input parsers, public for the fuzz targets in `fuzz/`.
pub use coverage::CoverageQuery;
pub use params::Params;
pub use tiles::parse_coord as parse_tile_coord;

/// Build the whole HTTP application (tested with `oneshot`, served by
/// `serve`), wrapped in the limits and security headers of [`crate::limits`].
pub fn app(state: AppState) -> Router {
    let router = Router::new()
        .route("/health", get(health::health))
        .route("/api/openapi.json", get(openapi::openapi))
        .route("/api/lookup", get(lookup::lookup))
        .route("/api/buildings/search", get(buildings::search))
        .route("/api/buildings/{id}", get(buildings::get_one))
        .route("/api/buildings/{id}/qr.svg", get(qr::building_svg))
        .route("/api/buildings/{id}/qr.png", get(qr::building_png))
        .route("/api/grids/{id}/qr-sheet.svg", get(qr::grid_sheet))
        .route("/style.json", get(style::style))
        .route("/tiles.json", get(tiles::tilejson))
        .route("/tiles/{z}/{x}/{file}", get(tiles::tile))
        .route("/tiles/coverage.json", get(tiles::coverage_tilejson))
        .route("/tiles/coverage/{z}/{x}/{file}", get(tiles::coverage_tile))
        .route("/fonts/{fontstack}/{range}", get(fonts::glyphs))
        .route("/api/auth/login", post(auth::login))
        .route("/api/auth/logout", post(auth::logout))
        .route("/api/auth/me", get(auth::me))
        .route("/api/auth/session", get(auth::session))
        .route("/api/admin/audit", get(admin::audit))
        .route("/api/admin/users", get(admin::users))
        .route("/api/coverage", get(coverage::rollup))
        .route("/api/coverage/buildings", get(coverage::buildings))
        .route("/api/coverage/siting", post(coverage::site))
        .route("/api/grids/compliance", get(compliance::compliance))
        .route(
            "/api/stations/{id}/isochrone",
            get(coverage::station_isochrone),
        )
        .route(
            "/tiles/isochrone/{station}/{minutes}/{z}/{x}/{file}",
            get(coverage::isochrone_tile),
        )
        .merge(plan_routes())
        .merge(crate::web::router())
        .fallback(not_found)
        .with_state(state.clone());
    crate::limits::apply(router, state)
}

/// The planning routes (see [`plans`]).
fn plan_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/communities/{id}/rules",
            get(plans::get_rules).put(plans::put_rules),
        )
        .route("/api/communities", get(plans::communities))
        .route("/api/plans", get(plans::list).post(plans::create))
        // Streams its body within `--max-import-mb` (`limits::read_limited`).
        .route("/api/plans/import", post(plans::import))
        .route("/api/plans/{id}", get(plans::get_one))
        .route("/api/plans/{id}/edits", post(plans::edit))
        .route("/api/plans/{id}/undo", post(plans::undo))
        .route("/api/plans/{id}/redo", post(plans::redo))
        .route("/api/plans/{id}/history", get(plans::history))
        .route("/api/plans/{id}/validate", get(plans::validate_plan))
        .route("/api/plans/{id}/partition", post(plans::partition_plan))
        .route("/api/plans/{id}/publish", post(plans::publish_plan))
        .route("/api/plans/{id}/rebase", post(plans::rebase_plan))
        .route("/api/plans/{id}/diff/{other}", get(plans::diff_plans))
        .route("/api/plans/{id}/export.geojson", get(plans::export_geojson))
        .route("/api/plans/{id}/export.csv", get(plans::export_csv))
        .route("/api/plans/{id}/layers", get(plans::layers))
}

async fn not_found() -> ApiError {
    ApiError::not_found("not_found", "no such route")
}
