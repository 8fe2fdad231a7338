//! Limits and bad input at the HTTP edge: request body size, request
//! timeout, per-address rate limits ([`rate`]), security headers
//! ([`headers`]), and turning every error response (including axum's own
//! plain-text rejections) into a JSON `ApiError`.
//!
//! Defaults (flags of `gridmap serve`):
//!
//! | limit | default | flag |
//! |---|---|---|
//! | request body | 1 MiB ([`MAX_BODY_BYTES`]) | `--max-body-kb` |
//! | plan CSV import body | 32 MiB ([`MAX_IMPORT_BYTES`]), 500,000 rows | `--max-import-mb` |
//! | request time | 30 s | `--request-timeout-secs` |
//! | tiles and glyphs per address | 300/s sustained, bursts of 1,500 | `--rate-limit-tiles` (0 = off) |
//! | other routes per address | 20/s sustained, bursts of 100 | `--rate-limit-api` (0 = off) |
//! | failed logins | 5 per 5 min per address and per username | – |
//!
//! A body whose `Content-Length` announces more than its route's limit is
//! refused with 413 before any of it is read (a client that announces 2 MiB
//! and sends one byte does not hold a connection for the request timeout).
//! The import route reads its body as a stream within its own limit
//! ([`read_limited`]).

pub mod headers;
pub mod rate;

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::remote::client_ip;
use crate::state::AppState;
pub use rate::{Rate, RateLimiter, RouteClass};

/// Largest request body by default (JSON API bodies).
pub const MAX_BODY_BYTES: usize = 1 << 20;
/// Largest plan CSV import (`POST /api/plans/import`): 500,000 rows of
/// `building_id,grid_code` and a few more columns fit.
pub const MAX_IMPORT_BYTES: usize = 32 << 20;
/// The route whose body limit is [`LimitsConfig::max_import_bytes`].
pub const IMPORT_ROUTE: &str = "/api/plans/import";

/// HTTP limits of a server.
#[derive(Debug, Clone, PartialEq)]
pub struct LimitsConfig {
    pub max_body_bytes: usize,
    /// Body limit of [`IMPORT_ROUTE`].
    pub max_import_bytes: usize,
    pub request_timeout: Duration,
    /// Per address, `/tiles/…` and `/fonts/…`.
    pub tiles: Rate,
    /// Per address, every other route.
    pub api: Rate,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_body_bytes: MAX_BODY_BYTES,
            max_import_bytes: MAX_IMPORT_BYTES,
            request_timeout: Duration::from_secs(30),
            tiles: Rate::per_second(300.0, 5.0),
            api: Rate::per_second(20.0, 5.0),
        }
    }
}

/// Limits plus the rate limiter's buckets; shared by every request.
#[derive(Debug)]
pub struct LimitsState {
    pub config: LimitsConfig,
    pub rate: RateLimiter,
}

impl LimitsState {
    pub fn new(config: LimitsConfig) -> Self {
        let rate = RateLimiter::new(config.tiles, config.api);
        LimitsState { config, rate }
    }
}

/// 429 `rate_limited` with `Retry-After` (whole seconds, at least 1).
pub fn rate_limited(wait: Duration, message: &str) -> Response {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let mut r =
        ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message).into_response();
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
    r
}

/// Wrap the whole application (routes and fallback) in the limits.
pub fn apply(router: Router, state: AppState) -> Router {
    let body_limit = state.limits.config.max_body_bytes;
    router
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn_with_state(state, guard))
}

/// Every request, in one layer (one per request is cheaper than four, and
/// tiles are requests by the thousand): the per-address rate limit, then
/// the time limit, then non-JSON errors made JSON, and the security headers
/// on whatever comes out.
async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let class = RouteClass::of(req.uri().path());
    let r = match state.limits.rate.take(class, client_ip(req.extensions())) {
        Ok(()) => match announced_too_large(&req, &state.limits.config) {
            Some(limit) => too_large(limit),
            None => timeout(state.limits.config.request_timeout, req, next).await,
        },
        Err(wait) => rate_limited(wait, "too many requests from this address; slow down"),
    };
    let mut r = json_errors(r).await;
    let h = r.headers_mut();
    for (name, value) in headers::all() {
        h.insert(name, value);
    }
    r
}

/// The route's body limit, when the request's `Content-Length` is over it
/// (or is not a number).
fn announced_too_large(req: &Request, config: &LimitsConfig) -> Option<usize> {
    let announced = req.headers().get(header::CONTENT_LENGTH)?;
    let limit = if req.uri().path() == IMPORT_ROUTE {
        config.max_import_bytes
    } else {
        config.max_body_bytes
    };
    match announced
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        Some(n) if n <= limit as u64 => None,
        _ => Some(limit),
    }
}

/// 413 `payload_too_large`, naming the limit.
pub fn too_large(limit: usize) -> Response {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("the request body is larger than the limit of {limit} bytes"),
    )
    .into_response()
}

/// Read a whole body as it streams in, refusing it (413) as soon as it
/// passes `limit` bytes, so a long upload never sits in memory past it.
pub async fn read_limited(body: axum::body::Body, limit: usize) -> Result<Vec<u8>, Response> {
    use axum::body::HttpBody;
    let mut body = body;
    let mut out = Vec::new();
    while let Some(frame) =
        std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await
    {
        let frame = frame.map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_body",
                format!("the request body could not be read: {e}"),
            )
            .into_response()
        })?;
        if let Ok(data) = frame.into_data() {
            if out.len() + data.len() > limit {
                return Err(too_large(limit));
            }
            out.extend_from_slice(&data);
        }
    }
    Ok(out)
}

async fn timeout(limit: Duration, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(r) => r,
        Err(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            format!("the request took longer than {} s", limit.as_secs_f64()),
        )
        .into_response(),
    }
}

/// The stable code for an error status that a layer or axum produced.
fn code_for(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "bad_request",
        401 => "unauthenticated",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        408 => "request_timeout",
        411 => "length_required",
        413 => "payload_too_large",
        414 => "uri_too_long",
        415 => "unsupported_media_type",
        422 => "unprocessable_entity",
        429 => "rate_limited",
        431 => "headers_too_large",
        500..=599 => "internal",
        _ => "http_error",
    }
}

/// Error responses that are not JSON yet (axum's extractor rejections,
/// `405`, body-limit `413` …) become `{"code", "message"}`.
async fn json_errors(r: Response) -> Response {
    let status = r.status();
    let is_json = r
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return r;
    }
    let (parts, body) = r.into_parts();
    let text = axum::body::to_bytes(body, 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    let message = if text.is_empty() || status.is_server_error() {
        status
            .canonical_reason()
            .unwrap_or("request failed")
            .to_owned()
    } else {
        text
    };
    let mut out = ApiError::new(status, code_for(status), message).into_response();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use axum::body::Body;
    use axum::http::Request as HttpRequest;
    use axum::routing::get;
    use gridmap_data::Atlas;
    use gridmap_data::store::SqliteStore;
    use tower::ServiceExt;

    use super::*;
    use crate::auth::AuthConfig;

    async fn state(timeout: Duration) -> (tempfile::TempDir, AppState) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let store = SqliteStore::open(&url).await.unwrap();
        let limits = LimitsConfig {
            request_timeout: timeout,
            ..LimitsConfig::default()
        };
        let state = AppState::new(Arc::new(store), "test", Atlas::empty(), 0)
            .with_config(AuthConfig::default(), limits);
        (dir, state)
    }

    async fn body_json(r: Response) -> serde_json::Value {
        let bytes = axum::body::to_bytes(r.into_body(), 1 << 16).await.unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn a_slow_request_times_out_as_json_with_headers() {
        let (_dir, state) = state(Duration::from_millis(50)).await;
        let router = Router::new()
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    "done"
                }),
            )
            .route("/fast", get(|| async { "ok" }));
        let app = apply(router, state);
        let r = app
            .clone()
            .oneshot(HttpRequest::get("/slow").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.headers()[header::X_FRAME_OPTIONS], "DENY");
        assert_eq!(body_json(r).await["code"], "timeout");
        let r = app
            .oneshot(HttpRequest::get("/fast").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.headers().contains_key(header::CONTENT_SECURITY_POLICY));
    }

    #[tokio::test]
    async fn plain_text_errors_become_json_and_keep_their_headers() {
        let (_dir, state) = state(Duration::from_secs(5)).await;
        let router = Router::new().route(
            "/teapot",
            get(|| async {
                (
                    StatusCode::IM_A_TEAPOT,
                    [(header::RETRY_AFTER, "7")],
                    "short and stout",
                )
            }),
        );
        let r = apply(router, state)
            .oneshot(HttpRequest::get("/teapot").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::IM_A_TEAPOT);
        assert_eq!(r.headers()[header::RETRY_AFTER], "7");
        assert!(
            r.headers()[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        let body = body_json(r).await;
        assert_eq!(body["code"], "http_error");
        assert_eq!(body["message"], "short and stout");
    }
}
