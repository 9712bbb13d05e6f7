//! What call fields may hold, counted as sent (like a schema's `maxLength`), and the schemas
//! that say so.

use utoipa::openapi::schema::{Array, ArrayBuilder, ObjectBuilder, SchemaType, Type};

use crate::error::{AppError, AppResult};

/// Checks an optional text field's length; it is stored trimmed, and blank text counts as
/// absent.
///
/// # Errors
/// When it is longer than `max` characters.
pub fn text(field: &str, value: Option<String>, max: usize) -> AppResult<Option<String>> {
    let Some(value) = value else { return Ok(None) };
    if value.chars().count() > max {
        return Err(AppError::invalid(field, format!("must be at most {max} characters")));
    }
    let trimmed = value.trim();
    Ok((!trimmed.is_empty()).then(|| trimmed.to_owned()))
}

const MAX_TAGS: usize = 50;
const MAX_TAG_CHARS: usize = 64;

/// Up to 50 tags of 1 to 64 characters, trimmed, repeats dropped.
///
/// # Errors
/// Naming `tags` when there are too many or one is blank or too long.
pub fn tags(values: Vec<String>) -> AppResult<Vec<String>> {
    if values.len() > MAX_TAGS {
        return Err(AppError::invalid("tags", "at most 50 tags"));
    }
    let mut tags = Vec::with_capacity(values.len());
    for tag in values {
        if tag.chars().count() > MAX_TAG_CHARS || tag.trim().is_empty() {
            return Err(AppError::invalid("tags", "each tag is 1 to 64 characters"));
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

#[must_use]
pub fn tags_schema() -> Array {
    tag_list().build()
}

/// `tags_schema`, or `null` to leave them as they are.
#[must_use]
pub fn tags_patch_schema() -> Array {
    tag_list().schema_type(SchemaType::from_iter([Type::Array, Type::Null])).build()
}

/// `quality` and `raw` are JSON objects, as calls answer them.
///
/// # Errors
/// Naming `field` when the value is not an object.
pub fn object(
    field: &str,
    value: Option<serde_json::Value>,
) -> AppResult<Option<serde_json::Value>> {
    match value {
        Some(value) if !value.is_object() => Err(AppError::invalid(field, "must be a JSON object")),
        value => Ok(value),
    }
}
