//! The OpenAPI 3.1 document: generated from the handlers' annotations, never written by hand.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "callbase",
        description = "Provider-agnostic call management and call logging. Authenticate with \
            `Authorization: Bearer <token>`: a session token from `POST /api/v1/auth/login` or an \
            API token from `POST /api/v1/tokens`. Errors are `{\"error\": {\"code\", \"message\", \
            \"details\"}}` with a stable `code`. Lists take `limit`, `cursor` and `sort` and answer \
            `{\"data\": [...], \"next_cursor\": ...}`.",
        license(name = "AGPL-3.0-or-later"),
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Logging in and out"),
        (name = "users", description = "Accounts"),
        (name = "workspaces", description = "Tenants, their members and statistics"),
        (name = "tokens", description = "Long-lived API tokens"),
        (name = "audit", description = "Who changed what, when, from where"),
        (name = "operations", description = "Health, readiness and metrics"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A session token (cbs_…) or an API token (cbk_…)"))
                    .build(),
            ),
        );
    }
}
