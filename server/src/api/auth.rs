//! `POST /api/auth/login`, `POST /api/auth/logout`, `GET /api/auth/me`,
//! `GET /api/auth/session`.
//!
//! Login sets the session cookie (HttpOnly, SameSite=Strict, Path=/,
//! Max-Age; Secure when configured) and returns the CSRF token the client
//! must send as `X-CSRF-Token` on writes. Every attempt is audited.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gridmap_data::store::AuditEntry;
use gridmap_data::store::accounts::{Role, Scope, SessionKind};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::accounts_schema::{RoleSchema, ScopeSchema};
use super::params::Json as Body;

use crate::auth::{self, Principal, Via, login_limit, password};
use crate::error::ApiError;
use crate::limits::rate_limited;
use crate::remote::client_ip;
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
pub struct Login {
    username: String,
    password: String,
}

/// Who is logged in, as login and `me` return it.
#[derive(Serialize, ToSchema)]
pub struct Me {
    user: String,
    #[schema(value_type = RoleSchema)]
    role: Role,
    #[schema(value_type = ScopeSchema)]
    scope: Scope,
    /// `cookie` or `bearer`.
    #[schema(value_type = String, pattern = "^(cookie|bearer)$")]
    via: &'static str,
    /// For cookie sessions: send as `X-CSRF-Token` on writes.
    csrf_token: Option<String>,
    /// Unix seconds.
    expires_at: i64,
}

fn no_store(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn invalid() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
        "wrong username or password",
    )
}

#[utoipa::path(
    post,
    path = "/api/auth/login",
    tag = "auth",
    summary = "Sign in: sets the HttpOnly session cookie and returns the CSRF token.",
    request_body = Login,
    responses(
        (status = 200, description = "Signed in; `Set-Cookie` carries the session.", body = Me),
        (status = 401, description = "Wrong username or password (`invalid_credentials`).", body = crate::error::ErrorBody),
    ),
)]
pub async fn login(
    State(state): State<AppState>,
    extensions: axum::http::Extensions,
    Body(body): Body<Login>,
) -> Result<Response, ApiError> {
    let ip = client_ip(&extensions);
    let remote = ip.map(|ip| ip.to_string());
    let username = body.username.trim().to_owned();
    let accounts = state.store.accounts();
    let attempt = |action: &str| {
        AuditEntry::now("anonymous", action)
            .target(username.clone())
            .remote(remote.clone())
    };
    let ticket =
        match login_limit::reserve(accounts, state.auth.login_limit(), ip, &username).await? {
            Ok(ticket) => ticket,
            Err(wait) => {
                accounts
                    .append_audit(&attempt("login.rate_limited"))
                    .await?;
                return Ok(rate_limited(
                    wait,
                    "too many failed logins; wait before trying again",
                ));
            }
        };
    let found = accounts.credentials(&username).await?;
    let stored = found
        .as_ref()
        .filter(|(u, _)| !u.disabled)
        .map(|(_, h)| h.clone());
    let password_text = body.password;
    let ok =
        tokio::task::spawn_blocking(move || password::verify(&password_text, stored.as_deref()))
            .await
            .map_err(|e| ApiError::internal(format!("password check failed: {e}")))?;
    let user = match (ok, found) {
        (true, Some((user, _))) => user,
        (_, found) => {
            // The reserved attempt stays counted as a failure.
            let why = match found {
                None => "unknown user",
                Some((u, _)) if u.disabled => "user disabled",
                Some(_) => "wrong password",
            };
            accounts
                .append_audit(&attempt("login.failure").detail(json!({ "reason": why })))
                .await?;
            return Err(invalid());
        }
    };
    login_limit::succeed(accounts, ticket).await?;
    let audit = AuditEntry::now(format!("user:{}", user.username), "login.success")
        .target(user.username.clone())
        .remote(remote);
    let (secret, expires_at) = auth::issue(
        state.store.as_ref(),
        &user,
        SessionKind::Session,
        state.auth.config.session_ttl,
        None,
        &audit,
    )
    .await?;
    let me = Me {
        user: user.username,
        role: user.role,
        scope: user.scope,
        via: "cookie",
        csrf_token: Some(auth::token::csrf_for(&secret)),
        expires_at,
    };
    let mut r = Json(me).into_response();
    let cookie = HeaderValue::from_str(&state.auth.session_cookie(&secret))
        .map_err(|e| ApiError::internal(format!("cookie: {e}")))?;
    r.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(no_store(r))
}

/// `{"logged_out": true}`.
#[derive(Serialize, ToSchema)]
pub struct LoggedOut {
    logged_out: bool,
}

#[utoipa::path(
    post,
    path = "/api/auth/logout",
    tag = "auth",
    summary = "End this session (or revoke this bearer token).",
    security(("session" = [], "csrf" = []), ("bearer" = [])),
    responses((status = 200, description = "OK", body = LoggedOut)),
)]
pub async fn logout(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Response, ApiError> {
    let audit = principal
        .audit("logout")
        .target(principal.user.username.clone());
    state
        .store
        .accounts()
        .delete_session(&principal.token_hash, &audit)
        .await?;
    let mut r = Json(LoggedOut { logged_out: true }).into_response();
    if matches!(principal.via, Via::Cookie { .. }) {
        let cookie = HeaderValue::from_str(&state.auth.clear_cookie())
            .map_err(|e| ApiError::internal(format!("cookie: {e}")))?;
        r.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(no_store(r))
}

#[utoipa::path(
    get,
    path = "/api/auth/me",
    tag = "auth",
    summary = "Who is signed in.",
    security(("session" = []), ("bearer" = [])),
    responses((status = 200, description = "OK", body = Me)),
)]
pub async fn me(principal: Principal) -> Response {
    let (via, csrf_token) = match principal.via {
        Via::Cookie { csrf_token } => ("cookie", Some(csrf_token)),
        Via::Bearer => ("bearer", None),
    };
    no_store(
        Json(Me {
            user: principal.user.username,
            role: principal.user.role,
            scope: principal.user.scope,
            via,
            csrf_token,
            expires_at: principal.expires_at,
        })
        .into_response(),
    )
}

/// `GET /api/auth/session`: who is signed in, for pages that work either
/// way. Always 200: `{"session": Me}` or `{"session": null}` (no or an
/// expired/unknown credential), so a signed-out visitor's browser logs no
/// failed request. `GET /api/auth/me` keeps answering 401 to scripts.
/// `{"session": Me}` or `{"session": null}`.
#[derive(Serialize, ToSchema)]
pub struct Session {
    session: Option<Me>,
}

#[utoipa::path(
    get,
    path = "/api/auth/session",
    tag = "auth",
    summary = "Who is signed in, always 200: `{session: Me}` or `{session: null}`.",
    security((), ("session" = []), ("bearer" = [])),
    responses((status = 200, description = "OK", body = Session)),
)]
pub async fn session(State(state): State<AppState>, request: axum::extract::Request) -> Response {
    let (parts, _) = request.into_parts();
    let principal = crate::auth::principal::authenticate(&parts, &state)
        .await
        .ok()
        .flatten();
    let Some(principal) = principal else {
        return no_store(Json(Session { session: None }).into_response());
    };
    let (via, csrf_token) = match principal.via {
        Via::Cookie { csrf_token } => ("cookie", Some(csrf_token)),
        Via::Bearer => ("bearer", None),
    };
    let me = Me {
        user: principal.user.username,
        role: principal.user.role,
        scope: principal.user.scope,
        via,
        csrf_token,
        expires_at: principal.expires_at,
    };
    no_store(Json(Session { session: Some(me) }).into_response())
}
