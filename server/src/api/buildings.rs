//! `GET /api/buildings/search?q=..` (name/address substring, Chinese works)
//! and `GET /api/buildings/{id}` (the public card of one building).

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use serde::Serialize;

use super::params::Params;
use super::public::{self, PublicBuilding};
use crate::error::ApiError;
use crate::state::AppState;

const DEFAULT_LIMIT: usize = 20;
const MAX_LIMIT: usize = 100;
const MAX_QUERY_CHARS: usize = 100;

#[derive(Serialize)]
pub struct SearchResponse {
    query: String,
    results: Vec<PublicBuilding>,
}

pub async fn search(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<SearchResponse>, ApiError> {
    let params = Params::parse(raw.as_deref())?;
    let q = params.text("q").map(str::trim).unwrap_or_default();
    if q.is_empty() {
        return Err(ApiError::bad_request(
            "missing_query",
            "`q` (a building name or address) is required",
        ));
    }
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(ApiError::bad_request(
            "query_too_long",
            format!("`q` is limited to {MAX_QUERY_CHARS} characters"),
        ));
    }
    let limit = params.limit("limit", DEFAULT_LIMIT, MAX_LIMIT)?;
    let atlas = state.atlas();
    let results = atlas
        .search_buildings(q, limit)
        .into_iter()
        .map(|b| public::building(&atlas, b))
        .collect();
    Ok(Json(SearchResponse {
        query: q.to_owned(),
        results,
    }))
}

pub async fn get_one(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<PublicBuilding>, ApiError> {
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::bad_request("bad_id", format!("`{id}` is not a building id")))?;
    let atlas = state.atlas();
    let b = atlas.building(id).ok_or_else(|| {
        ApiError::not_found("no_such_building", format!("no building with id {id}"))
    })?;
    Ok(Json(public::building(&atlas, b)))
}
