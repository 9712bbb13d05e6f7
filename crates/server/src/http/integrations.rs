//! `/integrations`: a workspace's connections to its telephony providers (admins only). The
//! secrets are sealed at rest and never answered; the webhook URLs and the health counts are.

use axum::extract::State;
use axum::http::StatusCode;
use callbase_app::integrations::{IntegrationIn, IntegrationOut, IntegrationPatchIn, SecretsIn};
use callbase_domain::IntegrationId;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::pagination::{ListParams, PageOut};
use crate::auth::Principal;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Json, Path, Query};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_integrations, create_integration))
        .routes(routes!(get_integration, update_integration, delete_integration))
        .routes(routes!(rotate_integration_secrets))
}

/// The workspace's integrations, newest first, with their webhook URLs and health.
#[utoipa::path(get, path = "/integrations", tag = "integrations", params(ListParams),
    responses((status = 200, body = PageOut<IntegrationOut>), (status = 400, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_integrations(
    State(state): State<AppState>,
    principal: Principal,
    Query(list): Query<ListParams>,
) -> ApiResult<Json<PageOut<IntegrationOut>>> {
    let workspace = principal.require_admin()?;
    let page = list.page_request()?;
    let integrations = state.integrations().list(workspace, &page).await?;
    Ok(Json(PageOut::from_page(integrations, &page, |integration| integration)))
}

/// Connects a provider. Secrets the server makes (Placetel's shared secret, the SIP and
/// recorder signing secrets) are generated when omitted and answered in `secrets` this once.
#[utoipa::path(post, path = "/integrations", tag = "integrations", request_body = IntegrationIn,
    responses((status = 201, body = IntegrationOut),
        (status = 409, body = ErrorBody, description = "secret_key_required"),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_integration(
    State(state): State<AppState>,
    principal: Principal,
    Json(input): Json<IntegrationIn>,
) -> ApiResult<(StatusCode, Json<IntegrationOut>)> {
    let workspace = principal.require_admin()?;
    let mut audit = principal.audit("integration.create", "integration", input.kind);
    audit.details = serde_json::json!({ "type": input.kind, "name": input.name });
    let created = state.integrations().create(workspace, input, &audit).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(get, path = "/integrations/{id}", tag = "integrations",
    params(("id" = IntegrationId, Path)),
    responses((status = 200, body = IntegrationOut), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_integration(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<IntegrationId>,
) -> ApiResult<Json<IntegrationOut>> {
    let workspace = principal.require_admin()?;
    Ok(Json(state.integrations().get(workspace, id).await?))
}

/// Renames it or replaces its config.
#[utoipa::path(patch, path = "/integrations/{id}", tag = "integrations",
    params(("id" = IntegrationId, Path)), request_body = IntegrationPatchIn,
    responses((status = 200, body = IntegrationOut), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_integration(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<IntegrationId>,
    Json(input): Json<IntegrationPatchIn>,
) -> ApiResult<Json<IntegrationOut>> {
    let workspace = principal.require_admin()?;
    let audit = principal.audit("integration.update", "integration", id);
    Ok(Json(state.integrations().update(workspace, id, input, &audit).await?))
}

/// Rotates its secrets: the given ones replace the old, and those the server makes are
/// generated anew when not given (answered in `secrets` this once). The old ones stop
/// verifying at once.
#[utoipa::path(put, path = "/integrations/{id}/secrets", tag = "integrations",
    params(("id" = IntegrationId, Path)), request_body = SecretsIn,
    responses((status = 200, body = IntegrationOut), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "secret_key_required"),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn rotate_integration_secrets(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<IntegrationId>,
    Json(input): Json<SecretsIn>,
) -> ApiResult<Json<IntegrationOut>> {
    let workspace = principal.require_admin()?;
    let audit = principal.audit("integration.rotate_secrets", "integration", id);
    Ok(Json(state.integrations().rotate(workspace, id, input, &audit).await?))
}

/// Disconnects the provider: its webhooks answer 404 from now on. Calls it logged stay.
#[utoipa::path(delete, path = "/integrations/{id}", tag = "integrations",
    params(("id" = IntegrationId, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete_integration(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<IntegrationId>,
) -> ApiResult<StatusCode> {
    let workspace = principal.require_admin()?;
    let audit = principal.audit("integration.delete", "integration", id);
    state.integrations().delete(workspace, id, &audit).await?;
    Ok(StatusCode::NO_CONTENT)
}
