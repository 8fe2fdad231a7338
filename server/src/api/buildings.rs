//! `GET /api/buildings/search?q=..` (name/address substring, Chinese works)
//! and `GET /api/buildings/{id}` (the public card of one building).

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::params::{Query, QueryParams};
use super::public::{self, PublicBuilding};
use crate::error::ApiError;
use crate::state::AppState;

const DEFAULT_LIMIT: usize = 20;
const MAX_LIMIT: usize = 100;
const MAX_QUERY_CHARS: usize = 100;

#[derive(Serialize, ToSchema)]
pub struct SearchResponse {
    query: String,
    results: Vec<PublicBuilding>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Name or address (at most 100 characters, not only spaces).
    #[param(required = true, min_length = 1, max_length = 100, pattern = r"\S")]
    q: Option<String>,
    /// At most this many results (default 20; above 100 counts as 100).
    #[param(minimum = 1, maximum = 4_294_967_295_u64)]
    limit: Option<u32>,
}

impl QueryParams for SearchQuery {
    fn error_code(field: Option<&str>) -> &'static str {
        match field {
            Some("limit") => "bad_limit",
            _ => "missing_query",
        }
    }
}

#[utoipa::path(
    get,
    path = "/api/buildings/search",
    tag = "public",
    summary = "Buildings by name or address.",
    params(SearchQuery),
    responses((status = 200, description = "OK", body = SearchResponse)),
)]
pub async fn search(
    State(state): State<AppState>,
    Query(query): Query<SearchQuery>,
) -> Result<Json<SearchResponse>, ApiError> {
    let raw = query.q.as_deref().unwrap_or_default();
    let q = raw.trim();
    if q.is_empty() {
        return Err(ApiError::bad_request(
            "missing_query",
            "`q` (a building name or address) is required",
        ));
    }
    if raw.chars().count() > MAX_QUERY_CHARS {
        return Err(ApiError::bad_request(
            "query_too_long",
            format!("`q` is limited to {MAX_QUERY_CHARS} characters"),
        ));
    }
    let limit = super::params::limit(query.limit, DEFAULT_LIMIT, MAX_LIMIT)?;
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

#[utoipa::path(
    get,
    path = "/api/buildings/{id}",
    tag = "public",
    summary = "One building with its grid and community (no households).",
    params(("id" = i64, Path, description = "Building id.")),
    responses((status = 200, description = "OK", body = PublicBuilding)),
)]
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
