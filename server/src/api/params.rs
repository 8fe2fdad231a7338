//! Query strings parsed into typed structs (`Query<T>`), with our own JSON
//! errors: axum's `Query` answers plain text and names no parameter, ours
//! answers 400 `{code, message}` with the code the struct gives for the
//! parameter at fault (`bad_coordinates` for `lon`, `bad_limit` for
//! `limit`, …).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A query-string struct and the error code of each of its parameters.
pub trait QueryParams: DeserializeOwned {
    /// The code of a 400 about `field` (`None`: the query string itself).
    fn error_code(field: Option<&str>) -> &'static str {
        let _ = field;
        "bad_query"
    }
}

/// `Query<T>`: the query string as `T`, or 400 with `T`'s code.
#[derive(Debug, Clone)]
pub struct Query<T>(pub T);

/// Parse a raw query string (without `?`) as `T`.
pub fn parse<T: QueryParams>(raw: &str) -> Result<T, ApiError> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(raw.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        // A missing field is reported at the struct, not at the field.
        let field = if path == "." || path.is_empty() {
            inner
                .strip_prefix("missing field `")
                .and_then(|rest| rest.split('`').next())
                .map(str::to_owned)
        } else {
            Some(path)
        };
        let message = match &field {
            Some(f) if inner.starts_with("missing field") => format!("`{f}` is required"),
            Some(f) => format!("`{f}`: {inner}"),
            None => format!("malformed query string: {inner}"),
        };
        ApiError::bad_request(T::error_code(field.as_deref()), message)
    })
}

/// An optional count of at least 1 (`bad_limit` otherwise); above `max`
/// counts as `max` (documented as such).
pub fn limit(value: Option<u32>, default: usize, max: usize) -> Result<usize, ApiError> {
    match value {
        None => Ok(default),
        Some(0) => Err(ApiError::bad_request(
            "bad_limit",
            "the count must be a positive integer",
        )),
        Some(v) => Ok(usize::try_from(v).unwrap_or(usize::MAX).min(max)),
    }
}

impl<S: Send + Sync, T: QueryParams> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        parse(parts.uri.query().unwrap_or_default()).map(Query)
    }
}

/// `Json<T>`: a JSON request body as `T`, where an integer may be written
/// with a fraction of zero (`1.0`, as JSON Schema counts it an integer).
/// Rejections are axum's (400 malformed, 415 not JSON) and 422 for JSON
/// of the wrong shape, naming the field.
#[derive(Debug, Clone)]
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> axum::extract::FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let axum::Json(mut value) = axum::Json::<serde_json::Value>::from_request(req, state)
            .await
            .map_err(|e| {
                let code = match e.status().as_u16() {
                    413 => "payload_too_large",
                    415 => "unsupported_media_type",
                    422 => "unprocessable_entity",
                    _ => "bad_request",
                };
                ApiError::new(e.status(), code, e.body_text())
            })?;
        integral_floats(&mut value);
        serde_path_to_error::deserialize(value)
            .map(Json)
            .map_err(|e| {
                ApiError::new(
                    axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                    "unprocessable_entity",
                    format!("Failed to deserialize the JSON body into the target type: {e}"),
                )
            })
    }
}

/// Whole numbers written with a zero fraction (`3.0`) become integers, so
/// integer fields read them; other numbers are left as they are.
fn integral_floats(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f.abs() < 9.0e15
            {
                // Below 2^53 every whole f64 is exact.
                *v = serde_json::Value::from(f as i64);
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(integral_floats),
        serde_json::Value::Object(o) => o.values_mut().for_each(integral_floats),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    struct Q {
        lon: f64,
        limit: Option<u32>,
    }

    impl QueryParams for Q {
        fn error_code(field: Option<&str>) -> &'static str {
            match field {
                Some("lon") => "bad_coordinates",
                Some("limit") => "bad_limit",
                _ => "bad_query",
            }
        }
    }

    #[test]
    fn the_parameter_at_fault_picks_the_code() {
        let q: Q = parse("lon=1.5&limit=3&other=x").unwrap();
        assert_eq!((q.lon, q.limit), (1.5, Some(3)));
        let e = parse::<Q>("lon=abc").unwrap_err();
        assert_eq!((e.status.as_u16(), e.code), (400, "bad_coordinates"));
        assert!(e.message.contains("lon"), "{}", e.message);
        let e = parse::<Q>("limit=2").unwrap_err();
        assert_eq!(e.code, "bad_coordinates");
        assert_eq!(e.message, "`lon` is required");
        let e = parse::<Q>("lon=1&limit=1.0").unwrap_err();
        assert_eq!(e.code, "bad_limit");
        let e = parse::<Q>("lon=1&limit=-1").unwrap_err();
        assert_eq!(e.code, "bad_limit");
    }

    #[test]
    fn whole_floats_read_as_integers() {
        let mut v = serde_json::json!({"a": 3.0, "b": [1.5, -4.0], "c": 2});
        integral_floats(&mut v);
        assert_eq!(v, serde_json::json!({"a": 3, "b": [1.5, -4], "c": 2}));
        #[derive(Deserialize)]
        struct B {
            a: i64,
        }
        let mut v = serde_json::json!({"a": -4639039932.0});
        integral_floats(&mut v);
        assert_eq!(serde_json::from_value::<B>(v).unwrap().a, -4_639_039_932);
    }
}
