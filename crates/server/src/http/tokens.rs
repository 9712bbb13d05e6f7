//! `/tokens`: long-lived API tokens, scoped to the workspace they were made in.

use axum::extract::State;
use axum::http::StatusCode;
use callbase_domain::{Timestamp, TokenId, UserId, WorkspaceId, now};
use callbase_store::{NewToken, Token, TokenFilter, TokenKind};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::pagination::{ListParams, PageOut};
use crate::auth::{Principal, generate_secret};
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::extract::{Json, Path, Query};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(get_token, revoke_token))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenOut {
    pub id: TokenId,
    pub name: String,
    /// The secret's first characters, to recognise it.
    pub prefix: String,
    pub workspace_id: Option<WorkspaceId>,
    pub user_id: UserId,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
}

impl From<Token> for TokenOut {
    fn from(token: Token) -> Self {
        Self {
            id: token.id,
            name: token.name,
            prefix: token.prefix,
            workspace_id: token.workspace_id,
            user_id: token.user_id,
            created_at: token.created_at,
            expires_at: token.expires_at,
            revoked_at: token.revoked_at,
            last_used_at: token.last_used_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenCreatedOut {
    #[serde(flatten)]
    pub token: TokenOut,
    /// Shown this once; only its hash is kept.
    pub secret: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenIn {
    #[schema(schema_with = token_name_schema)]
    pub name: String,
    /// When it stops working; omit for a token that lasts until revoked (an instant already
    /// past makes a token that never works).
    pub expires_at: Option<Timestamp>,
}

const MAX_NAME_CHARS: usize = 200;

fn token_name_schema() -> utoipa::openapi::schema::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .min_length(Some(1))
        .max_length(Some(MAX_NAME_CHARS))
        .pattern(Some(callbase_domain::not_blank_pattern()))
        .description(Some("What it is for: 1 to 200 characters, not blank; kept trimmed."))
        .build()
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TokenListParams {
    /// Admins: only this user's tokens.
    pub user_id: Option<UserId>,
}

fn not_found() -> ApiError {
    ApiError::new(ErrorCode::TokenNotFound, "no such token")
}

/// Admins see every API token of the workspace; everyone else their own.
#[utoipa::path(get, path = "/tokens", tag = "tokens", params(ListParams, TokenListParams),
    responses((status = 200, body = PageOut<TokenOut>), (status = 400, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_tokens(
    State(state): State<AppState>,
    principal: Principal,
    Query(list): Query<ListParams>,
    Query(params): Query<TokenListParams>,
) -> ApiResult<Json<PageOut<TokenOut>>> {
    let page = list.page_request()?;
    let workspace = principal.workspace_id()?;
    let user =
        if principal.role()?.can_administer() { params.user_id } else { Some(principal.user.id) };
    let filter = TokenFilter { kind: Some(TokenKind::Api), workspace: Some(workspace), user };
    let tokens = state.store.list_tokens(&filter, &page).await?;
    Ok(Json(PageOut::from_page(tokens, &page, TokenOut::from)))
}

/// Creates an API token for the caller in the acting workspace, with the caller's role there.
/// Only a login session can: an API token cannot create tokens (403 `session_required`).
#[utoipa::path(post, path = "/tokens", tag = "tokens", request_body = TokenIn,
    responses((status = 201, body = TokenCreatedOut), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_token(
    State(state): State<AppState>,
    principal: Principal,
    Json(input): Json<TokenIn>,
) -> ApiResult<(StatusCode, Json<TokenCreatedOut>)> {
    // A token minting tokens would outlive its own expiry and revocation.
    principal.require_session("creating a token")?;
    let workspace = principal.workspace_id()?;
    if input.name.chars().count() > MAX_NAME_CHARS || input.name.trim().is_empty() {
        return Err(ApiError::invalid_field("name", "must be 1 to 200 characters"));
    }
    let name = input.name.trim().to_owned();
    let at = now();
    let generated = generate_secret("cbk");
    let id = TokenId::new();
    let mut audit = principal.audit_in(Some(workspace), "token.create", "token", id);
    audit.details = serde_json::json!({ "name": name, "expires_at": input.expires_at });
    let token = NewToken {
        id,
        kind: TokenKind::Api,
        secret_hash: generated.hash,
        user_id: principal.user.id,
        workspace_id: Some(workspace),
        name,
        prefix: generated.prefix,
        at,
        expires_at: input.expires_at,
    };
    let token = state.store.create_token(token, Some(&audit)).await?;
    let created = TokenCreatedOut { token: token.into(), secret: generated.secret };
    Ok((StatusCode::CREATED, Json(created)))
}

/// A token of the acting workspace the caller may manage: its own, or any for admins.
async fn manageable_token(
    state: &AppState,
    principal: &Principal,
    id: TokenId,
) -> ApiResult<Token> {
    let token = state.store.token(id).await?.ok_or_else(not_found)?;
    let workspace = principal.workspace_id()?;
    let visible = token.kind == TokenKind::Api
        && token.workspace_id == Some(workspace)
        && (token.user_id == principal.user.id || principal.role()?.can_administer());
    if visible { Ok(token) } else { Err(not_found()) }
}

#[utoipa::path(get, path = "/tokens/{id}", tag = "tokens",
    params(("id" = TokenId, Path, description = "token id")),
    responses((status = 200, body = TokenOut), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_token(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<TokenId>,
) -> ApiResult<Json<TokenOut>> {
    manageable_token(&state, &principal, id).await.map(|token| Json(token.into()))
}

/// Revokes a token at once; it answers 401 `token_revoked` from then on.
#[utoipa::path(delete, path = "/tokens/{id}", tag = "tokens",
    params(("id" = TokenId, Path, description = "token id")),
    responses((status = 200, body = TokenOut), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn revoke_token(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<TokenId>,
) -> ApiResult<Json<TokenOut>> {
    let token = manageable_token(&state, &principal, id).await?;
    let audit = principal.audit_in(token.workspace_id, "token.revoke", "token", id);
    let token = state.store.revoke_token(id, now(), Some(&audit)).await?.ok_or_else(not_found)?;
    Ok(Json(token.into()))
}
