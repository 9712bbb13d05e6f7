//! Extractors that turn every malformed request part into our error shape, naming the field.

use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::error::{ApiError, ErrorCode};

/// A JSON body: 415 without a JSON content type, 400 when it is not JSON, 422 naming the
/// field when it does not fit the expected shape, 413 past the body limit.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !has_json_content_type(req.headers()) {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "expected a JSON body with Content-Type: application/json",
            ));
        }
        let bytes =
            Bytes::from_request(req, state).await.map_err(|rejection| body_error(&rejection))?;
        parse_json(&bytes).map(Json)
    }
}

impl<T: serde::Serialize> axum::response::IntoResponse for Json<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}

/// An optional JSON body: an empty body or `null` is `T::default()`, anything else is read
/// as `Json`.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonOrEmpty<T>(pub T);

impl<T, S> FromRequest<S> for JsonOrEmpty<T>
where
    T: DeserializeOwned + Default,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json = has_json_content_type(req.headers());
        let bytes =
            Bytes::from_request(req, state).await.map_err(|rejection| body_error(&rejection))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(T::default()));
        }
        if !json {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "expected a JSON body with Content-Type: application/json",
            ));
        }
        parse_json::<Option<T>>(&bytes).map(|body| JsonOrEmpty(body.unwrap_or_default()))
    }
}

fn has_json_content_type(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

pub(crate) fn body_error(rejection: &BytesRejection) -> ApiError {
    if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            ErrorCode::PayloadTooLarge,
            "the request body is larger than the configured limit",
        )
    } else {
        ApiError::new(ErrorCode::BadRequest, rejection.body_text())
    }
}

/// Parses JSON, telling syntax errors (400) from shape errors (422 with the field path).
/// Every body is an object: serde would also read a struct from an array of its fields.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let deserializer = &mut serde_json::Deserializer::from_slice(bytes);
    let parsed = serde_path_to_error::deserialize(deserializer);
    if parsed.is_ok() && bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return Err(ApiError::invalid_field("body", "must be a JSON object"));
    }
    parsed.map_err(|err| {
        let field = err.path().to_string();
        let inner = err.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::new(ErrorCode::MalformedJson, format!("the body is not valid JSON: {inner}"))
                .with_details(json!({ "line": inner.line(), "column": inner.column() }))
        } else {
            let field = if field == "." { "body".to_owned() } else { field };
            ApiError::invalid_field(&field, strip_position(&inner.to_string()))
        }
    })
}

/// serde_json appends " at line 1 column 9"; the field path says more.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// Query parameters: 400 `invalid_query` naming the parameter.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let deserializer =
            serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer).map(Query).map_err(|err| {
            let parameter = err.path().to_string();
            let reason = err.into_inner().to_string();
            let message = if parameter == "." {
                format!("invalid query: {reason}")
            } else {
                format!("query parameter {parameter}: {reason}")
            };
            ApiError::new(ErrorCode::InvalidQuery, message)
                .with_details(json!({ "parameter": parameter, "reason": reason }))
        })
    }
}

/// Path parameters: 400 `invalid_path` naming the parameter (a bad UUID, say).
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(PathRejection::FailedToDeserializePathParams(err)) => {
                let parameter = match err.kind() {
                    axum::extract::path::ErrorKind::ParseErrorAtKey { key, .. }
                    | axum::extract::path::ErrorKind::DeserializeError { key, .. }
                    | axum::extract::path::ErrorKind::InvalidUtf8InPathParam { key } => key.clone(),
                    _ => {
                        only_parameter_name(parts, state).await.unwrap_or_else(|| "path".to_owned())
                    }
                };
                let reason = err.body_text();
                Err(ApiError::new(
                    ErrorCode::InvalidPath,
                    format!("path parameter {parameter}: {reason}"),
                )
                .with_details(json!({ "parameter": parameter, "reason": reason })))
            }
            Err(other) => Err(ApiError::new(ErrorCode::InvalidPath, other.body_text())),
        }
    }
}

/// The route's parameter name when it has exactly one (serde's messages do not carry it).
async fn only_parameter_name<S: Send + Sync>(parts: &mut Parts, state: &S) -> Option<String> {
    let params = axum::extract::RawPathParams::from_request_parts(parts, state).await.ok()?;
    let mut names = params.iter().map(|(name, _)| name.to_owned());
    let first = names.next()?;
    names.next().is_none().then_some(first)
}

/// For `PATCH` bodies: tells a field sent as `null` (`Some(None)`) from one left out (`None`).
pub fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}

/// An integer as JSON Schema counts one: `60` and `60.0` alike (`"type": "integer"` allows
/// both), never a fraction or a value out of `T`'s range.
struct Whole<T>(T);

impl<'de, T: TryFrom<i128>> serde::Deserialize<'de> for Whole<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::{Error, Unexpected};
        let number = serde_json::Number::deserialize(deserializer)?;
        let whole = if let Some(value) = number.as_i64() {
            Some(i128::from(value))
        } else if let Some(value) = number.as_u64() {
            Some(i128::from(value))
        } else {
            // Wholes below 2^63 only: no caller's range reaches further.
            number
                .as_f64()
                .filter(|value| value.fract() == 0.0 && value.abs() < 9.2e18)
                .map(|value| value as i128)
        };
        let unexpected = || match (number.as_i64(), number.as_u64(), number.as_f64()) {
            (Some(value), _, _) => Unexpected::Signed(value),
            (None, Some(value), _) => Unexpected::Unsigned(value),
            (None, None, Some(value)) => Unexpected::Float(value),
            (None, None, None) => Unexpected::Other("a number"),
        };
        let whole = whole.ok_or_else(|| D::Error::invalid_type(unexpected(), &"an integer"))?;
        T::try_from(whole)
            .map(Whole)
            .map_err(|_| D::Error::invalid_value(unexpected(), &"an integer in range"))
    }
}

/// `deserialize_with` for an integer field that may be written `60.0`.
pub fn integer<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<i128>,
{
    <Whole<T> as serde::Deserialize>::deserialize(deserializer).map(|whole| whole.0)
}

/// As `integer`, for an optional field (`null` or left out is `None`; use `default`).
pub fn optional_integer<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<i128>,
{
    <Option<Whole<T>> as serde::Deserialize>::deserialize(deserializer)
        .map(|whole| whole.map(|whole| whole.0))
}

/// As `present`, for an integer `PATCH` field.
pub fn present_integer<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<i128>,
{
    optional_integer(deserializer).map(Some)
}
