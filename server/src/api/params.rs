//! Query-string parsing with our own JSON errors (axum's rejections are plain text).

use std::collections::HashMap;

use crate::error::ApiError;

/// Query parameters by name (the last value wins).
pub struct Params(HashMap<String, String>);

impl Params {
    pub fn parse(raw: Option<&str>) -> Result<Self, ApiError> {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(raw.unwrap_or("")).map_err(|e| {
                ApiError::bad_request("bad_query", format!("malformed query string: {e}"))
            })?;
        Ok(Params(pairs.into_iter().collect()))
    }

    pub fn text(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// A required finite number, with a clear error naming the parameter.
    pub fn number(&self, key: &str, code: &'static str) -> Result<f64, ApiError> {
        let raw = self
            .text(key)
            .ok_or_else(|| ApiError::bad_request(code, format!("`{key}` is required")))?;
        raw.trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| {
                ApiError::bad_request(code, format!("`{key}` must be a number, got `{raw}`"))
            })
    }

    /// An optional count of at least 1; above `max` counts as `max`.
    pub fn limit(&self, key: &str, default: usize, max: usize) -> Result<usize, ApiError> {
        match self.text(key) {
            None => Ok(default),
            Some(raw) => raw
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|&v| v >= 1)
                // Above `max` is clamped (documented as such).
                .map(|v| usize::try_from(v).unwrap_or(usize::MAX).min(max))
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "bad_limit",
                        format!("`{key}` must be a positive integer, got `{raw}`"),
                    )
                }),
        }
    }
}
