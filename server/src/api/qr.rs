//! QR codes for building doors: `GET /api/buildings/{id}/qr.svg` (one
//! labelled code), `GET /api/buildings/{id}/qr.png?scale=8` (the bare code)
//! and `GET /api/grids/{id}/qr-sheet.svg[?page=N]` (A4 pages, 12 codes
//! each, for every building of a grid; planners print it, so it needs a
//! signed-in user who may read the plans of the grid's community — a read,
//! not audited). Each code points at
//! `{origin}/b/{id}`: origin from `serve --public-url`, else the request's
//! Host header. Labels carry names, addresses and ids, never households.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use geo::BoundingRect;
use gridmap_data::Atlas;
use gridmap_data::model::Building;
use serde::Deserialize;
use utoipa::IntoParams;

use super::params::{Query, QueryParams};
use crate::auth::{Permission, Principal};
use crate::error::ApiError;
use crate::qr::{self, Matrix, svg::Label};
use crate::state::AppState;

/// The public origin the QR codes point at (`serve --public-url`).
#[derive(Debug, Clone)]
pub struct PublicUrl(pub Arc<str>);

impl PublicUrl {
    /// Accepts `http(s)://host[:port][/prefix]`; the trailing `/` is dropped.
    pub fn parse(url: &str) -> Result<PublicUrl, String> {
        let url = url.trim().trim_end_matches('/');
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .ok_or_else(|| format!("`{url}` must start with http:// or https://"))?;
        if rest.is_empty()
            || rest
                .chars()
                .any(|c| c.is_whitespace() || c == '?' || c == '#')
        {
            return Err(format!("`{url}` is not a plain http(s) origin"));
        }
        Ok(PublicUrl(url.into()))
    }
}

const DEFAULT_PNG_SCALE: usize = 8;

fn svg_response(body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

fn building_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::bad_request("bad_id", format!("`{raw}` is not a building id")))
}

fn label(atlas: &Atlas, b: &Building, origin: &str) -> Result<Label, ApiError> {
    let matrix = Matrix::encode(&qr::building_url(origin, b.id))?;
    let (title, subtitle) = match (&b.name, &b.address) {
        (Some(n), a) => (n.clone(), a.clone()),
        (None, Some(a)) => (a.clone(), None),
        (None, None) => (format!("楼栋 {}", b.id), None),
    };
    let grid = b.grid_id.and_then(|g| atlas.grid(g));
    let footer = match grid {
        Some(g) => format!("编号 {} · 网格 {}", b.id, g.code),
        None => format!("编号 {}", b.id),
    };
    Ok(Label {
        matrix,
        title,
        subtitle,
        footer,
    })
}

#[utoipa::path(
    get,
    path = "/api/buildings/{id}/qr.svg",
    tag = "qr",
    summary = "A labelled QR code pointing at the building's page.",
    params(("id" = i64, Path, description = "Building id.")),
    responses((status = 200, description = "SVG", content_type = "image/svg+xml", body = inline(super::openapi::Text))),
)]
pub async fn building_svg(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = building_id(&id)?;
    let atlas = state.atlas();
    let b = atlas.building(id).ok_or_else(|| {
        ApiError::not_found("no_such_building", format!("no building with id {id}"))
    })?;
    let label = label(&atlas, b, &state.origin(&headers))?;
    Ok(svg_response(qr::svg::single(&label)))
}

/// The PNG's size.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PngQuery {
    /// Pixels per module (default 8; above 32 counts as 32).
    #[param(minimum = 1, maximum = 4_294_967_295_u64)]
    scale: Option<u32>,
}

impl QueryParams for PngQuery {
    fn error_code(_: Option<&str>) -> &'static str {
        "bad_limit"
    }
}

#[utoipa::path(
    get,
    path = "/api/buildings/{id}/qr.png",
    tag = "qr",
    summary = "The bare QR code of the building's page as PNG.",
    params(("id" = i64, Path, description = "Building id."), PngQuery),
    responses((status = 200, description = "PNG", content_type = "image/png", body = inline(super::openapi::Binary))),
)]
pub async fn building_png(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<PngQuery>,
) -> Result<Response, ApiError> {
    let id = building_id(&id)?;
    let scale = super::params::limit(query.scale, DEFAULT_PNG_SCALE, qr::png::MAX_SCALE)?;
    let atlas = state.atlas();
    if atlas.building(id).is_none() {
        return Err(ApiError::not_found(
            "no_such_building",
            format!("no building with id {id}"),
        ));
    }
    let url = qr::building_url(&state.origin(&headers), id);
    let matrix = Matrix::encode(&url)?;
    let png = qr::png::png(&matrix, scale)?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        png,
    )
        .into_response())
}

/// Which page of a sheet.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SheetQuery {
    /// Only this page (1-based).
    #[param(minimum = 1, maximum = 4_294_967_295_u64)]
    page: Option<u32>,
}

impl QueryParams for SheetQuery {
    fn error_code(_: Option<&str>) -> &'static str {
        "bad_limit"
    }
}

#[utoipa::path(
    get,
    path = "/api/grids/{id}/qr-sheet.svg",
    tag = "qr",
    summary = "A4 sheets of QR codes for every building of a grid (ReadPlans of its community).",
    params(("id" = i64, Path, description = "Grid id."), SheetQuery),
    security(("session" = []), ("bearer" = [])),
    responses((status = 200, description = "SVG", content_type = "image/svg+xml", body = inline(super::openapi::Text))),
)]
pub async fn grid_sheet(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<SheetQuery>,
) -> Result<Response, ApiError> {
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::bad_request("bad_id", format!("`{id}` is not a grid id")))?;
    let atlas = state.atlas();
    let grid = atlas
        .grid(id)
        .ok_or_else(|| ApiError::not_found("no_such_grid", format!("no grid with id {id}")))?;
    principal.require(Permission::ReadPlans {
        community_id: grid.community_id,
    })?;
    let mut buildings: Vec<&Building> = match grid.boundary.bounding_rect() {
        Some(rect) => atlas
            .buildings_in(rect)
            .filter(|b| b.grid_id == Some(id))
            .collect(),
        None => Vec::new(),
    };
    buildings.sort_by_key(|b| b.id);
    let mut part = None;
    if query.page.is_some() {
        let pages = buildings.len().div_ceil(qr::svg::PER_PAGE).max(1);
        let page = super::params::limit(query.page, 1, usize::MAX)?;
        part = Some((page, pages));
        if page > pages {
            return Err(ApiError::not_found(
                "no_such_page",
                format!("the sheet of grid {id} has {pages} page(s)"),
            ));
        }
        let from = (page - 1) * qr::svg::PER_PAGE;
        buildings = buildings
            .into_iter()
            .skip(from)
            .take(qr::svg::PER_PAGE)
            .collect();
    }
    let origin = state.origin(&headers);
    let labels = buildings
        .iter()
        .map(|b| label(&atlas, b, &origin))
        .collect::<Result<Vec<_>, _>>()?;
    let heading = format!("{} · {}", grid.name, grid.code);
    let note = "扫码查看本楼所在网格、网格员电话和最近的服务站 · Scan: your grid, grid worker and nearest service station";
    Ok(svg_response(qr::svg::sheet(&heading, note, &labels, part)))
}
