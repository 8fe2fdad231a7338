//! The HTTP API: one module per resource, and the router that joins them.

mod admin;
mod auth;
mod buildings;
mod coverage;
mod fonts;
mod health;
mod lookup;
mod params;
mod public;
pub mod qr;
mod style;
mod tiles;

use axum::Router;
use axum::routing::{get, post};

use crate::error::ApiError;
use crate::state::AppState;

/// Build the whole HTTP application (tested with `oneshot`, served by
/// `serve`), wrapped in the limits and security headers of [`crate::limits`].
pub fn app(state: AppState) -> Router {
    let router = Router::new()
        .route("/health", get(health::health))
        .route("/api/lookup", get(lookup::lookup))
        .route("/api/buildings/search", get(buildings::search))
        .route("/api/buildings/{id}", get(buildings::get_one))
        .route("/api/buildings/{id}/qr.svg", get(qr::building_svg))
        .route("/api/buildings/{id}/qr.png", get(qr::building_png))
        .route("/api/grids/{id}/qr-sheet.svg", get(qr::grid_sheet))
        .route("/style.json", get(style::style))
        .route("/tiles.json", get(tiles::tilejson))
        .route("/tiles/{z}/{x}/{file}", get(tiles::tile))
        .route("/fonts/{fontstack}/{range}", get(fonts::glyphs))
        .route("/api/auth/login", post(auth::login))
        .route("/api/auth/logout", post(auth::logout))
        .route("/api/auth/me", get(auth::me))
        .route("/api/admin/audit", get(admin::audit))
        .route("/api/admin/users", get(admin::users))
        .route("/api/coverage", get(coverage::rollup))
        .route("/api/coverage/buildings", get(coverage::buildings))
        .route("/api/coverage/siting", post(coverage::site))
        .route(
            "/api/stations/{id}/isochrone",
            get(coverage::station_isochrone),
        )
        .route(
            "/tiles/isochrone/{station}/{minutes}/{z}/{x}/{file}",
            get(coverage::isochrone_tile),
        )
        .merge(crate::web::router())
        .fallback(not_found)
        .with_state(state.clone());
    crate::limits::apply(router, state)
}

async fn not_found() -> ApiError {
    ApiError::not_found("not_found", "no such route")
}
