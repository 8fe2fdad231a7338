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
}
