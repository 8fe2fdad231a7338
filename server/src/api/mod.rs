//! The HTTP API: one module per resource, and the router that joins them.

mod accounts_schema;
mod admin;
mod auth;
mod buildings;
mod compliance;
mod coverage;
mod fonts;
mod geojson;
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
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::state::AppState;

// Input parsers, public for the fuzz targets in `fuzz/`.
pub use coverage::{CoverageParams, CoverageQuery};
pub use params::{Query, QueryParams, parse as parse_query};
pub use tiles::parse_coord as parse_tile_coord;

/// Every route, each registered with `routes!` from its handler's
/// `#[utoipa::path]`: the router and the OpenAPI document
/// ([`openapi::document`]) are built from this one list.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(health::health))
        .routes(routes!(openapi::openapi))
        .routes(routes!(lookup::lookup))
        .routes(routes!(buildings::search))
        .routes(routes!(buildings::get_one))
        .routes(routes!(qr::building_svg))
        .routes(routes!(qr::building_png))
        .routes(routes!(qr::grid_sheet))
        .routes(routes!(style::style))
        .routes(routes!(tiles::tilejson))
        .routes(routes!(tiles::tile))
        .routes(routes!(tiles::coverage_tilejson))
        .routes(routes!(tiles::coverage_tile))
        .routes(routes!(fonts::glyphs))
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(auth::session))
        .routes(routes!(admin::audit))
        .routes(routes!(admin::users))
        .routes(routes!(coverage::rollup))
        .routes(routes!(coverage::buildings))
        .routes(routes!(coverage::site))
        .routes(routes!(compliance::compliance))
        .routes(routes!(coverage::station_isochrone))
        .routes(routes!(coverage::isochrone_tile))
        .merge(plan_routes())
        .merge(crate::web::router())
}

/// Build the whole HTTP application (tested with `oneshot`, served by
/// `serve`), wrapped in the limits and security headers of [`crate::limits`].
pub fn app(state: AppState) -> Router {
    let (router, _) = router().split_for_parts();
    let router = router.fallback(not_found).with_state(state.clone());
    crate::limits::apply(router, state)
}

/// The planning routes (see [`plans`]).
fn plan_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(plans::get_rules, plans::put_rules))
        .routes(routes!(plans::communities))
        .routes(routes!(plans::list, plans::create))
        // Streams its body within `--max-import-mb` (`limits::read_limited`).
        .routes(routes!(plans::import))
        .routes(routes!(plans::get_one))
        .routes(routes!(plans::edit))
        .routes(routes!(plans::undo))
        .routes(routes!(plans::redo))
        .routes(routes!(plans::history))
        .routes(routes!(plans::validate_plan))
        .routes(routes!(plans::partition_plan))
        .routes(routes!(plans::publish_plan))
        .routes(routes!(plans::rebase_plan))
        .routes(routes!(plans::diff_plans))
        .routes(routes!(plans::export_geojson))
        .routes(routes!(plans::export_csv))
        .routes(routes!(plans::layers))
}

async fn not_found() -> ApiError {
    ApiError::not_found("not_found", "no such route")
}
