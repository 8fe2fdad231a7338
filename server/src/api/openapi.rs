//! `GET /api/openapi.json`: the OpenAPI 3.1 document, generated from the
//! code. Every handler carries a `#[utoipa::path]` (method, path,
//! parameters, body, answers, security); [`super::router`] registers each
//! handler with `utoipa_axum::routes!`, which routes it at the path its
//! attribute names and adds the operation to the document, so a route
//! cannot be served without being documented. Request and response
//! schemas are derived from the Rust types (`ToSchema`, `IntoParams`).
//!
//! [`document`] then adds what the layers around every route give
//! ([`crate::limits`]: 429 everywhere, JSON 400/413/415/422 for bodies and
//! queries, 401/403 where credentials are needed, 404 for a path that
//! names nothing) and spells wildcard segments (`{*path}`) as OpenAPI
//! parameters (`{path}`). The tests below walk the document: every
//! documented operation is answered by the router (and every other
//! method on its path is 405), every JSON answer has a real schema.

use std::borrow::Cow;
use std::sync::LazyLock;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, RefOr, ResponseBuilder};
use utoipa::{Modify, PartialSchema, ToSchema};

use crate::error::ErrorBody;

/// The parts of the document that do not come from a route.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "gridmap",
        description = "Community grid governance GIS: grids, buildings, stations, walking coverage and grid plans. Errors are JSON `{code, message}` with a stable `code`. Public routes never return household counts or people beyond a grid's published contacts.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    tags(
        (name = "service"), (name = "public"), (name = "qr"), (name = "map"),
        (name = "auth"), (name = "admin"), (name = "coverage"), (name = "plans"),
        (name = "web"),
    ),
    components(schemas(ErrorBody)),
    modifiers(&SecuritySchemes),
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let described = |key: ApiKey| SecurityScheme::ApiKey(key);
        components.add_security_scheme(
            "session",
            described(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::auth::SESSION_COOKIE,
                "HttpOnly, SameSite=Strict session cookie set by POST /api/auth/login.",
            ))),
        );
        components.add_security_scheme(
            "csrf",
            described(ApiKey::Header(ApiKeyValue::with_description(
                "X-CSRF-Token",
                "The `csrf_token` login returns; required on writes with the session cookie.",
            ))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A token from `gridmap token create --user NAME`."))
                    .build(),
            ),
        );
    }
}

/// The whole document: the routes of [`super::router`] and what the layers add.
pub fn document() -> serde_json::Value {
    let (_, mut doc) = super::router().split_for_parts();
    finish(&mut doc);
    let mut json = serde_json::to_value(&doc).unwrap_or_default();
    inline_primitives(&mut json);
    integer_bounds(&mut json);
    conditional_requirements(&mut json);
    json
}

/// Rules between fields that the derive cannot state: a publish with
/// `force_base` needs a `reason` (`publish::BaseCheck::force`, 400
/// `reason_required` otherwise).
fn conditional_requirements(doc: &mut serde_json::Value) {
    if let Some(s) = doc
        .pointer_mut("/components/schemas/PublishBody")
        .and_then(serde_json::Value::as_object_mut)
    {
        s.insert(
            "if".into(),
            serde_json::json!({"properties": {"force_base": {"const": true}}, "required": ["force_base"]}),
        );
        s.insert(
            "then".into(),
            serde_json::json!({
                "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": 500, "pattern": "\\S"}},
                "required": ["reason"],
            }),
        );
    }
}

static DOCUMENT: LazyLock<String> = LazyLock::new(|| document().to_string());

/// `GET /api/openapi.json`.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "service",
    summary = "This document.",
    responses((status = 200, description = "The OpenAPI 3.1 document.", body = OpenApiDocument)),
)]
pub async fn openapi() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        DOCUMENT.as_str(),
    )
        .into_response()
}

/// An OpenAPI 3.1 document (this one).
#[derive(Serialize, ToSchema)]
#[allow(dead_code)] // documentation only
pub struct OpenApiDocument {
    /// `3.1.0`.
    openapi: String,
    info: OpenApiInfo,
    #[schema(value_type = Object)]
    paths: serde_json::Value,
    #[schema(value_type = Object)]
    components: serde_json::Value,
}

#[derive(Serialize, ToSchema)]
#[allow(dead_code)] // documentation only
pub struct OpenApiInfo {
    title: String,
    version: String,
}

/// A binary body (tiles, PNG, glyph protobuf, web app files).
pub struct Binary;

impl PartialSchema for Binary {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .into()
    }
}

impl ToSchema for Binary {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Binary")
    }
}

/// A text body (CSV, SVG, HTML).
pub struct Text;

impl ToSchema for Text {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Text")
    }
}

impl PartialSchema for Text {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new().schema_type(Type::String).into()
    }
}

/// A glyph range file: `0-255.pbf`, `256-511.pbf` … `65280-65535.pbf`.
pub struct GlyphRange;

impl PartialSchema for GlyphRange {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(
                (0..256_u32).map(|i| format!("{}-{}.pbf", i * 256, i * 256 + 255)),
            ))
            .into()
    }
}

impl ToSchema for GlyphRange {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("GlyphRange")
    }
}

// ------------------------------------------------------------ finishing

/// Statuses every operation may answer and what they mean.
fn error_description(status: &str) -> &'static str {
    match status {
        "400" => {
            "Bad input (`code` names what: a parameter, a path id past i64, a malformed body)."
        }
        "401" => "Not signed in (`unauthenticated`).",
        "403" => "Not allowed (`forbidden`), or a cookie write without `X-CSRF-Token` (`csrf`).",
        "404" => "No such object (`code` names which).",
        "409" => {
            "Conflict: a stale version (`stale_version`, with `current_version`: retry with it), or a state that forbids the change (`code` names it)."
        }
        "413" => "Body too large (`payload_too_large`).",
        "415" => "Wrong content type (`unsupported_media_type`).",
        "422" => "Well-formed but invalid (`code` names what).",
        "429" => "Rate limited (`rate_limited`); see `Retry-After`.",
        _ => "Error.",
    }
}

fn error_response(status: &str) -> RefOr<utoipa::openapi::Response> {
    ResponseBuilder::new()
        .description(error_description(status))
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                    "Error",
                ))))
                .build(),
        )
        .into()
}

/// Add the answers the layers give to one operation.
fn finish_operation(op: &mut Operation, path: &str) {
    let params = op.parameters.as_deref().unwrap_or_default();
    let has_path_params = path.contains('{');
    let has_params = !params.is_empty() || has_path_params;
    let body_types: Vec<String> = op
        .request_body
        .as_ref()
        .map(|b| b.content.keys().cloned().collect())
        .unwrap_or_default();
    let json_body = body_types.iter().any(|t| t == "application/json");
    // `None` or a list holding `{}`: anyone may call it.
    let needs_login = op
        .security
        .as_ref()
        .is_some_and(|s| !s.is_empty() && !s.iter().any(is_empty_requirement));
    let mut statuses = vec!["429"];
    if has_params || !body_types.is_empty() {
        statuses.push("400");
    }
    if has_path_params {
        statuses.push("404");
    }
    if !body_types.is_empty() {
        statuses.push("413");
    }
    if json_body {
        statuses.extend(["415", "422"]);
    }
    if needs_login {
        statuses.extend(["401", "403"]);
    }
    for status in statuses {
        if !op.responses.responses.contains_key(status) {
            op.responses
                .responses
                .insert(status.to_owned(), error_response(status));
        }
    }
}

fn is_empty_requirement(r: &utoipa::openapi::security::SecurityRequirement) -> bool {
    serde_json::to_value(r).is_ok_and(|v| v.as_object().is_some_and(|o| o.is_empty()))
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.options,
        &mut item.head,
        &mut item.patch,
        &mut item.trace,
    ]
    .into_iter()
    .filter_map(Option::as_mut)
}

/// The document as clients read it: wildcard segments as plain parameters,
/// the layers' answers on every operation.
fn finish(doc: &mut OpenApi) {
    let paths = std::mem::take(&mut doc.paths.paths);
    for (path, mut item) in paths {
        let path = path.replace("{*", "{");
        for op in operations(&mut item) {
            finish_operation(op, &path);
        }
        doc.paths.paths.insert(path, item);
    }
}

/// Type aliases (`Id = i64`, `GridKey = u32`) come out of the derive as
/// references to components named after the primitive: put the schema
/// in place and drop those components.
fn inline_primitives(doc: &mut serde_json::Value) {
    const PRIMITIVES: [&str; 12] = [
        "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "usize", "isize", "f32", "f64",
    ];
    let mut found = serde_json::Map::new();
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(serde_json::Value::as_object_mut)
    {
        for name in PRIMITIVES {
            if let Some(s) = schemas.remove(name) {
                found.insert(format!("#/components/schemas/{name}"), s);
            }
        }
    }
    fn walk(v: &mut serde_json::Value, found: &serde_json::Map<String, serde_json::Value>) {
        match v {
            serde_json::Value::Object(o) => {
                if let Some(target) = o
                    .get("$ref")
                    .and_then(|r| r.as_str())
                    .and_then(|r| found.get(r))
                {
                    let target = target.clone();
                    o.remove("$ref");
                    if let serde_json::Value::Object(t) = target {
                        for (k, v) in t {
                            o.entry(k).or_insert(v);
                        }
                    }
                }
                o.values_mut().for_each(|v| walk(v, found));
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(|v| walk(v, found)),
            _ => {}
        }
    }
    walk(doc, &found);
}

/// An integer schema without bounds gets those of its Rust type (from its
/// `format`), so clients generate and validate only values the server
/// can read: an id past i64 is a 400, not a valid request.
fn integer_bounds(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(o) => {
            let range: Option<(i128, i128)> = match o.get("format").and_then(|f| f.as_str()) {
                Some("int8") => Some((i8::MIN.into(), i8::MAX.into())),
                Some("int16") => Some((i16::MIN.into(), i16::MAX.into())),
                Some("int32") => Some((i32::MIN.into(), i32::MAX.into())),
                Some("int64") => Some((i64::MIN.into(), i64::MAX.into())),
                Some("u-int8") => Some((0, u8::MAX.into())),
                Some("u-int16") => Some((0, u16::MAX.into())),
                Some("u-int32") => Some((0, u32::MAX.into())),
                Some("u-int64") => Some((0, u64::MAX.into())),
                _ => None,
            };
            // Map keys are strings in JSON: an integer key is digits.
            if o.get("propertyNames")
                .is_some_and(|p| p.get("type").is_some_and(|t| t == "integer"))
            {
                o.insert(
                    "propertyNames".into(),
                    serde_json::json!({"type": "string", "pattern": "^-?[0-9]+$"}),
                );
            }
            if let Some((min, max)) = range {
                if !o.contains_key("minimum") && !o.contains_key("exclusiveMinimum") {
                    o.insert("minimum".into(), number(min));
                }
                if !o.contains_key("maximum") && !o.contains_key("exclusiveMaximum") {
                    o.insert("maximum".into(), number(max));
                }
            }
            o.values_mut().for_each(integer_bounds);
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(integer_bounds),
        _ => {}
    }
}

fn number(n: i128) -> serde_json::Value {
    i64::try_from(n)
        .map(serde_json::Value::from)
        .or_else(|_| u64::try_from(n).map(serde_json::Value::from))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::sync::Arc;

    use axum::body::Body;
    use axum::http::{Method, Request, StatusCode};
    use gridmap_data::Atlas;
    use gridmap_data::store::SqliteStore;
    use serde_json::Value;
    use tower::ServiceExt;

    use super::*;
    use crate::auth::AuthConfig;
    use crate::limits::{LimitsConfig, Rate};
    use crate::state::AppState;

    fn json() -> Value {
        document()
    }

    const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

    /// A value for a path parameter that its schema accepts.
    fn sample(param: &Value, doc: &Value) -> String {
        let mut schema = &param["schema"];
        if let Some(r) = schema["$ref"].as_str() {
            schema = &doc["components"]["schemas"][r.trim_start_matches("#/components/schemas/")];
        }
        if let Some(first) = schema["enum"].get(0) {
            return first
                .as_str()
                .map_or_else(|| first.to_string(), str::to_owned);
        }
        match param["name"].as_str() {
            Some("file") => "1.mvt".to_owned(),
            Some("minutes") => "15".to_owned(),
            Some("z") => "1".to_owned(),
            _ => match schema["type"].as_str() {
                Some("integer" | "number") => "1".to_owned(),
                _ => "x".to_owned(),
            },
        }
    }

    #[tokio::test]
    async fn every_documented_operation_is_routed_and_no_other_method_is() {
        let doc = json();
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let store = SqliteStore::open(&url).await.unwrap();
        let limits = LimitsConfig {
            tiles: Rate::per_second(0.0, 1.0),
            api: Rate::per_second(0.0, 1.0),
            ..LimitsConfig::default()
        };
        let state = AppState::new(Arc::new(store), "test", Atlas::empty(), 0)
            .with_config(AuthConfig::default(), limits);
        let app = super::super::app(state);
        let paths = doc["paths"].as_object().expect("paths");
        assert!(paths.len() >= 40, "{}", paths.len());
        let mut operations = 0;
        for (path, item) in paths {
            let mut uri = path.clone();
            let params: Vec<&Value> = METHODS
                .iter()
                .filter_map(|m| item[*m]["parameters"].as_array())
                .flatten()
                .filter(|p| p["in"] == "path")
                .collect();
            for p in &params {
                let name = p["name"].as_str().expect("name");
                uri = uri.replace(&format!("{{{name}}}"), &sample(p, &doc));
            }
            assert!(
                !uri.contains('{'),
                "{path}: path parameter not documented: {uri}"
            );
            for method in METHODS {
                let documented = item[method].is_object();
                operations += usize::from(documented);
                let req = Request::builder()
                    .method(Method::from_bytes(method.to_uppercase().as_bytes()).unwrap())
                    .uri(&uri)
                    .body(Body::empty())
                    .unwrap();
                let r = app.clone().oneshot(req).await.unwrap();
                let status = r.status();
                let bytes = axum::body::to_bytes(r.into_body(), 1 << 24).await.unwrap();
                let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                if documented {
                    assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {uri}");
                    assert!(
                        !(status == StatusCode::NOT_FOUND && body["message"] == "no such route"),
                        "{method} {uri} is documented but not routed"
                    );
                } else {
                    assert_eq!(
                        status,
                        StatusCode::METHOD_NOT_ALLOWED,
                        "{method} {uri} is routed but not documented"
                    );
                }
            }
        }
        assert!(operations >= 45, "{operations}");
    }

    /// A schema with a shape: properties, a reference, a combination, an
    /// array or a scalar type; not `{}` or `{"type": "object"}` alone.
    fn has_shape(schema: &Value) -> bool {
        let Some(o) = schema.as_object() else {
            return false;
        };
        [
            "properties",
            "$ref",
            "allOf",
            "oneOf",
            "anyOf",
            "items",
            "additionalProperties",
        ]
        .iter()
        .any(|k| o.contains_key(*k))
            || o.get("type").is_some_and(|t| t != "object")
    }

    #[test]
    fn every_answer_has_a_real_schema_and_errors_share_one() {
        let doc = json();
        let schemas = doc["components"]["schemas"].as_object().expect("schemas");
        let mut checked = 0;
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for method in METHODS {
                let Some(op) = item[method].as_object() else {
                    continue;
                };
                assert!(op.contains_key("operationId"), "{method} {path}");
                assert!(op["responses"]["429"].is_object(), "{method} {path}");
                for (status, r) in op["responses"].as_object().expect("responses") {
                    if status == "304" {
                        continue;
                    }
                    let content = r["content"].as_object();
                    let content =
                        content.unwrap_or_else(|| panic!("{method} {path} {status}: no content"));
                    for (mime, c) in content {
                        let schema = &c["schema"];
                        assert!(
                            has_shape(schema),
                            "{method} {path} {status} {mime}: {schema}"
                        );
                        if let Some(name) = schema["$ref"].as_str() {
                            let name = name.trim_start_matches("#/components/schemas/");
                            let target = &schemas[name];
                            assert!(has_shape(target), "{name}: {target}");
                        }
                        if mime.contains("json") {
                            checked += 1;
                        }
                    }
                    if status.starts_with('4') {
                        assert_eq!(
                            r["content"]["application/json"]["schema"]["$ref"],
                            "#/components/schemas/Error",
                            "{method} {path} {status}"
                        );
                    }
                }
            }
        }
        assert!(checked > 100, "{checked}");
        // Every schema the document points at exists and has a shape.
        let text = doc.to_string();
        for r in text.split("\"#/components/schemas/").skip(1) {
            let name = r.split('"').next().expect("name");
            assert!(
                has_shape(&schemas[name]),
                "missing or shapeless schema {name}"
            );
        }
        let names: BTreeSet<&str> = doc["components"]["securitySchemes"]
            .as_object()
            .expect("security schemes")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(names, BTreeSet::from(["bearer", "csrf", "session"]));
        assert_eq!(doc["openapi"], "3.1.0");
    }
}
