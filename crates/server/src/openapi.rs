//! The OpenAPI 3.1 document: generated from the handlers' annotations, never written by hand.

use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Ref, RefOr, ResponseBuilder, Type};
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
        (name = "calls", description = "Calls: logging, lifecycle, timeline, history, export, statistics"),
        (name = "blocklist", description = "The do-not-call list"),
        (name = "recordings", description = "Recordings: upload, media facts, streaming, share links, transcripts and search"),
        (name = "integrations", description = "Connections to telephony providers: their secrets (sealed, never answered), webhook URLs and health"),
        (name = "webhooks", description = "Where providers deliver events: signed by each provider's own scheme, no bearer token"),
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

/// The answers any operation can give, documented once instead of on every handler:
/// 401/403/429 and the workspace header where a token is required, 400/413/415/422 where a body
/// is read, 400 where the path or query is parsed, and everywhere 414 for an overlong URL.
/// Applied to the assembled document (the derive's modifiers run before routes are added).
pub struct CommonErrors;

impl Modify for CommonErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations =
                [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete];
            for operation in operations.into_iter().flatten() {
                document_common_errors(operation);
            }
        }
    }
}

fn document_common_errors(operation: &mut Operation) {
    let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
    let has_body = operation.request_body.is_some();
    let has_params = operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
    let mut add = |status: &str, description: &str| {
        let responses = &mut operation.responses.responses;
        if !responses.contains_key(status) {
            let response = ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    utoipa::openapi::ContentBuilder::new()
                        .schema(Some(RefOr::Ref(Ref::from_schema_name("ErrorBody"))))
                        .build(),
                )
                .build();
            responses.insert(status.to_owned(), RefOr::T(response));
        }
    };
    if secured {
        add("401", "missing, unknown, revoked or expired token");
        add("403", "the account is suspended, or its role or token may not do this");
        add("429", "rate limited; see Retry-After");
    }
    if has_body {
        add("400", "the body is not JSON");
        add("413", "the body is larger than the limit");
        add("415", "the body is not application/json");
        add("422", "a field is invalid; details.field names it");
    }
    if has_params || secured {
        add("400", "a path or query parameter or header is malformed; details name it");
    }
    // Answered by the HTTP layer before any handler, without a body.
    operation.responses.responses.entry("414".to_owned()).or_insert_with(|| {
        RefOr::T(ResponseBuilder::new().description("the URL is longer than 64 KiB").build())
    });
    if secured {
        let header = ParameterBuilder::new()
            .name("X-Workspace-Id")
            .parameter_in(ParameterIn::Header)
            .required(utoipa::openapi::Required::False)
            .description(Some(
                "The workspace a login session acts in (default: the user's first). \
                 API tokens always act in their own.",
            ))
            .schema(Some(utoipa::openapi::ObjectBuilder::new().schema_type(Type::String).format(
                Some(utoipa::openapi::SchemaFormat::KnownFormat(
                    utoipa::openapi::KnownFormat::Uuid,
                )),
            )))
            .build();
        operation.parameters.get_or_insert_with(Vec::new).push(RefOr::T(header));
    }
}
