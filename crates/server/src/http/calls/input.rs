//! What call bodies may hold, and the schemas that say so: text and tag limits counted as
//! sent, and the rule tying a logged call's status to its timestamps.

use callbase_domain::call::CallStatus;
use utoipa::openapi::schema::{
    AllOfBuilder, Array, ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, SchemaType, Type,
};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

use super::create::CallIn;
use crate::error::{ApiError, ApiResult};

/// `CallFields` with the rule tying `status` to the timestamps, one shape per kind of
/// status. That they come in order (`started_at` ≤ `answered_at` ≤ `ended_at`) no schema
/// can say; 422 names the field.
pub struct CallBody;

impl utoipa::PartialSchema for CallBody {
    fn schema() -> RefOr<Schema> {
        let moment = || ObjectBuilder::new().schema_type(Type::String);
        let none = || ObjectBuilder::new().schema_type(Type::Null);
        let shape = |title: &str, statuses: &[CallStatus]| {
            ObjectBuilder::new()
                .title(Some(title))
                .property(
                    "status",
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .enum_values(Some(statuses.iter().map(|status| status.as_str()))),
                )
                .required("status")
        };
        let shapes = OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .title(Some("status from the timestamps"))
                    .property("status", none()),
            )
            .item(
                shape("connected", &[CallStatus::InProgress, CallStatus::OnHold])
                    .property("answered_at", moment())
                    .required("answered_at")
                    .property("ended_at", none()),
            )
            .item(
                shape("completed", &[CallStatus::Completed])
                    .property("answered_at", moment())
                    .required("answered_at")
                    .property("ended_at", moment())
                    .required("ended_at"),
            )
            .item(
                shape("not answered yet", &[CallStatus::Initiated, CallStatus::Ringing])
                    .property("answered_at", none())
                    .property("ended_at", none()),
            )
            .item(
                shape(
                    "ended unanswered",
                    &[
                        CallStatus::Busy,
                        CallStatus::NoAnswer,
                        CallStatus::Missed,
                        CallStatus::Canceled,
                    ],
                )
                .property("answered_at", none())
                .property("ended_at", moment())
                .required("ended_at"),
            )
            .item(
                shape("failed", &[CallStatus::Failed])
                    .property("ended_at", moment())
                    .required("ended_at"),
            );
        AllOfBuilder::new().item(Ref::from_schema_name(CallIn::name())).item(shapes).into()
    }
}

impl ToSchema for CallBody {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((CallIn::name().into_owned(), CallIn::schema()));
        CallIn::schemas(schemas);
    }
}

/// Checks an optional text field's length (as sent, like a schema's `maxLength`); it is
/// stored trimmed, and blank text counts as absent.
pub(crate) fn text(field: &str, value: Option<String>, max: usize) -> ApiResult<Option<String>> {
    let Some(value) = value else { return Ok(None) };
    if value.chars().count() > max {
        return Err(ApiError::invalid_field(field, format!("must be at most {max} characters")));
    }
    let trimmed = value.trim();
    Ok((!trimmed.is_empty()).then(|| trimmed.to_owned()))
}

const MAX_TAGS: usize = 50;
const MAX_TAG_CHARS: usize = 64;

pub(crate) fn tags(values: Vec<String>) -> ApiResult<Vec<String>> {
    if values.len() > MAX_TAGS {
        return Err(ApiError::invalid_field("tags", "at most 50 tags"));
    }
    let mut tags = Vec::with_capacity(values.len());
    for tag in values {
        if tag.chars().count() > MAX_TAG_CHARS || tag.trim().is_empty() {
            return Err(ApiError::invalid_field("tags", "each tag is 1 to 64 characters"));
        }
        let tag = tag.trim().to_owned();
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    Ok(tags)
}

/// Up to 50 tags of 1 to 64 characters, not blank; stored trimmed, repeats dropped.
fn tag_list() -> ArrayBuilder {
    let tag = ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(MAX_TAG_CHARS))
        .pattern(Some(callbase_domain::not_blank_pattern()));
    ArrayBuilder::new()
        .items(tag)
        .max_items(Some(MAX_TAGS))
        .description(Some("Up to 50 tags of 1 to 64 characters; stored trimmed, repeats dropped."))
}

pub(crate) fn tags_schema() -> Array {
    tag_list().build()
}

/// `tags_schema`, or `null` to leave them as they are.
pub(crate) fn tags_patch_schema() -> Array {
    tag_list().schema_type(SchemaType::from_iter([Type::Array, Type::Null])).build()
}

/// `quality` and `raw` are JSON objects, as calls answer them.
pub(crate) fn object(
    field: &str,
    value: Option<serde_json::Value>,
) -> ApiResult<Option<serde_json::Value>> {
    match value {
        Some(value) if !value.is_object() => {
            Err(ApiError::invalid_field(field, "must be a JSON object"))
        }
        value => Ok(value),
    }
}
