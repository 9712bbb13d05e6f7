//! `/blocklist`: the do-not-call list (CRM-2). Entries block one number or every number
//! under a prefix, optionally until they expire; changes are audited.

use axum::extract::State;
use axum::http::StatusCode;
use callbase_domain::{BlockId, BlockPattern, E164, Timestamp, UserId, now};
use callbase_store::{BlockEntry, BlockPatch};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    AdditionalProperties, KnownFormat, Object, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat,
    SchemaType, Type,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::calls::workspace_region;
use super::pagination::{ListParams, PageOut};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::extract::{Json, Path, Query};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_blocklist, create_blocklist_entry)).routes(routes!(
        get_blocklist_entry,
        update_blocklist_entry,
        delete_blocklist_entry
    ))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum BlockKind {
    /// Exactly this number.
    Number,
    /// Every number starting with these digits.
    Prefix,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BlockEntryOut {
    pub id: BlockId,
    pub kind: BlockKind,
    /// `+` and digits: the whole number, or the prefix.
    #[schema(example = "+4930")]
    pub pattern: String,
    pub reason: Option<String>,
    pub expires_at: Option<Timestamp>,
    pub created_by: Option<UserId>,
    pub created_at: Timestamp,
}

impl From<BlockEntry> for BlockEntryOut {
    fn from(entry: BlockEntry) -> Self {
        let (kind, pattern) = match entry.pattern {
            BlockPattern::Number(number) => (BlockKind::Number, number.as_str().to_owned()),
            BlockPattern::Prefix(digits) => (BlockKind::Prefix, format!("+{digits}")),
        };
        Self {
            id: entry.id,
            kind,
            pattern,
            reason: entry.reason,
            expires_at: entry.expires_at,
            created_by: entry.created_by,
            created_at: entry.created_at,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockEntryIn {
    /// `number` (default) or `prefix`.
    pub kind: Option<BlockKind>,
    /// A number, or a prefix written with `+`.
    pub pattern: String,
    pub reason: Option<String>,
    /// When the entry stops blocking; omit for never.
    pub expires_at: Option<Timestamp>,
}

const MAX_REASON_CHARS: usize = 500;

impl utoipa::PartialSchema for BlockEntryIn {
    /// One shape per kind: what `pattern` must look like depends on it.
    fn schema() -> RefOr<Schema> {
        let entry = |kind: ObjectBuilder, pattern: Object| {
            ObjectBuilder::new()
                .property("kind", kind)
                .property("pattern", pattern)
                .required("pattern")
                .property(
                    "reason",
                    ObjectBuilder::new()
                        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
                        .max_length(Some(MAX_REASON_CHARS)),
                )
                .property(
                    "expires_at",
                    ObjectBuilder::new()
                        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
                        .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
                        .description(Some(
                            "When the entry stops blocking; omit for never (an instant already \
                             past makes an entry that blocks nothing).",
                        )),
                )
                .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        };
        let number = entry(
            ObjectBuilder::new()
                .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
                .enum_values(Some([json!("number"), json!(null)]))
                .description(Some("`number`, the default.")),
            E164::input_schema(
                "The number; in a workspace with a region also written nationally \
                 (`030 1234567`), with spaces, or with `00`.",
            ),
        )
        .title(Some("a number"));
        let prefix = entry(
            ObjectBuilder::new().schema_type(Type::String).enum_values(Some(["prefix"])),
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(r"^\+[1-9][0-9]{0,14}$"))
                .description(Some("`+` and the digits every blocked number starts with."))
                .examples(["+4930"])
                .build(),
        )
        .required("kind")
        .title(Some("every number under a prefix"));
        OneOfBuilder::new().item(number).item(prefix).into()
    }
}

impl ToSchema for BlockEntryIn {}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BlockEntryPatchIn {
    /// `null` clears it.
    #[serde(default, deserialize_with = "crate::extract::present")]
    #[schema(value_type = Option<String>, max_length = 500)]
    pub reason: Option<Option<String>>,
    /// `null` makes the entry permanent.
    #[serde(default, deserialize_with = "crate::extract::present")]
    #[schema(value_type = Option<Timestamp>)]
    pub expires_at: Option<Option<Timestamp>>,
}

fn not_found() -> ApiError {
    ApiError::new(ErrorCode::BlockNotFound, "no such do-not-call entry")
}

/// Counted as sent, like a schema's `maxLength`; kept trimmed, blank is none.
fn reason(value: Option<String>) -> ApiResult<Option<String>> {
    let Some(value) = value else { return Ok(None) };
    if value.chars().count() > MAX_REASON_CHARS {
        return Err(ApiError::invalid_field("reason", "must be at most 500 characters"));
    }
    let value = value.trim();
    Ok((!value.is_empty()).then(|| value.to_owned()))
}

/// The workspace's do-not-call entries, newest first.
#[utoipa::path(get, path = "/blocklist", tag = "blocklist", params(ListParams),
    responses((status = 200, body = PageOut<BlockEntryOut>), (status = 400, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_blocklist(
    State(state): State<AppState>,
    principal: Principal,
    Query(list): Query<ListParams>,
) -> ApiResult<Json<PageOut<BlockEntryOut>>> {
    let workspace = principal.workspace_id()?;
    let page = list.page_request()?;
    let entries = state.store.list_blocks(workspace, &page).await?;
    Ok(Json(PageOut::from_page(entries, &page, BlockEntryOut::from)))
}

/// Adds a number or prefix (409 `already_blocked` when it is listed).
#[utoipa::path(post, path = "/blocklist", tag = "blocklist", request_body = BlockEntryIn,
    responses((status = 201, body = BlockEntryOut), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_blocklist_entry(
    State(state): State<AppState>,
    principal: Principal,
    Json(input): Json<BlockEntryIn>,
) -> ApiResult<(StatusCode, Json<BlockEntryOut>)> {
    let workspace = principal.require_write()?;
    let pattern = match input.kind.unwrap_or(BlockKind::Number) {
        BlockKind::Number => {
            let region = workspace_region(&state, workspace).await?;
            BlockPattern::Number(
                E164::parse(&input.pattern, region.as_ref())
                    .map_err(|e| ApiError::invalid_field("pattern", e))?,
            )
        }
        BlockKind::Prefix => BlockPattern::prefix(&input.pattern)
            .map_err(|e| ApiError::invalid_field("pattern", e))?,
    };
    let at = now();
    let entry = BlockEntry {
        id: BlockId::new(),
        workspace_id: workspace,
        pattern,
        reason: reason(input.reason)?,
        expires_at: input.expires_at,
        created_by: Some(principal.user.id),
        created_at: at,
    };
    let out = BlockEntryOut::from(entry.clone());
    let mut audit = principal.audit("blocklist.create", "blocklist_entry", entry.id);
    audit.details =
        json!({ "kind": out.kind, "pattern": out.pattern, "expires_at": out.expires_at });
    let entry = state.store.create_block(&entry, &audit).await?;
    Ok((StatusCode::CREATED, Json(entry.into())))
}

#[utoipa::path(get, path = "/blocklist/{id}", tag = "blocklist", params(("id" = BlockId, Path)),
    responses((status = 200, body = BlockEntryOut), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_blocklist_entry(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<BlockId>,
) -> ApiResult<Json<BlockEntryOut>> {
    let workspace = principal.workspace_id()?;
    let entry = state.store.block(workspace, id).await?.ok_or_else(not_found)?;
    Ok(Json(entry.into()))
}

/// Changes the reason or the expiry.
#[utoipa::path(patch, path = "/blocklist/{id}", tag = "blocklist", params(("id" = BlockId, Path)),
    request_body = BlockEntryPatchIn,
    responses((status = 200, body = BlockEntryOut), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_blocklist_entry(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<BlockId>,
    Json(input): Json<BlockEntryPatchIn>,
) -> ApiResult<Json<BlockEntryOut>> {
    let workspace = principal.require_write()?;
    let patch =
        BlockPatch { reason: input.reason.map(reason).transpose()?, expires_at: input.expires_at };
    let mut audit = principal.audit("blocklist.update", "blocklist_entry", id);
    audit.details = json!({ "reason": patch.reason.is_some(), "expires_at": patch.expires_at });
    let entry =
        state.store.update_block(workspace, id, &patch, &audit).await?.ok_or_else(not_found)?;
    Ok(Json(entry.into()))
}

#[utoipa::path(delete, path = "/blocklist/{id}", tag = "blocklist", params(("id" = BlockId, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete_blocklist_entry(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<BlockId>,
) -> ApiResult<StatusCode> {
    let workspace = principal.require_write()?;
    let audit = principal.audit("blocklist.delete", "blocklist_entry", id);
    if state.store.delete_block(workspace, id, &audit).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found())
    }
}
