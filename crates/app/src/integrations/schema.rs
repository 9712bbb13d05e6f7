//! The schema of a new integration: one shape per type, with the config and secrets that type
//! takes, so a client (and schemathesis) knows exactly what is accepted.

use callbase_domain::{DisplayName, IntegrationKind, WHITESPACE_CLASS};
use utoipa::PartialSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    AdditionalProperties, ObjectBuilder, OneOfBuilder, Schema, SchemaType, Type,
};

/// A secret as stored: 1 to 256 characters, no whitespace around it.
fn secret() -> ObjectBuilder {
    let space = WHITESPACE_CLASS;
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(256))
        .pattern(Some(format!(r"^[^{space}]([\s\S]*[^{space}])?$")))
}

fn setting(kind: IntegrationKind) -> ObjectBuilder {
    let pattern = match kind {
        IntegrationKind::Twilio => "^AC[0-9a-f]{32}$",
        _ => "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
    };
    ObjectBuilder::new().schema_type(Type::String).pattern(Some(pattern))
}

/// Secrets the server generates when they are omitted.
pub(super) fn generated_by_us(kind: IntegrationKind, name: &str) -> bool {
    matches!(
        (kind, name),
        (IntegrationKind::Placetel, "shared_secret")
            | (IntegrationKind::SipWebhook | IntegrationKind::Recorder, "signing_secret")
    )
}

fn closed(object: ObjectBuilder) -> ObjectBuilder {
    object
        .schema_type(Type::Object)
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
}

/// `IntegrationIn`: one shape per type.
pub(super) fn integration_in() -> RefOr<Schema> {
    let mut shapes = OneOfBuilder::new()
        .description(Some("A provider to connect; `config` and `secrets` depend on `type`."));
    for kind in IntegrationKind::ALL {
        let mut config = closed(ObjectBuilder::new());
        for name in kind.config_names() {
            config = config.property(*name, setting(*kind)).required(*name);
        }
        let mut secrets = closed(ObjectBuilder::new());
        let mut secrets_required = false;
        for name in kind.secret_names() {
            secrets = secrets.property(*name, secret());
            if !generated_by_us(*kind, name) {
                secrets = secrets.required(*name);
                secrets_required = true;
            }
        }
        let type_schema =
            ObjectBuilder::new().schema_type(Type::String).enum_values(Some([kind.as_str()]));
        let mut shape = closed(ObjectBuilder::new())
            .title(Some(kind.as_str()))
            .property("type", type_schema)
            .required("type")
            .property("name", DisplayName::schema())
            .required("name")
            .property("config", config)
            .property("secrets", secrets);
        if !kind.config_names().is_empty() {
            shape = shape.required("config");
        }
        if secrets_required {
            shape = shape.required("secrets");
        }
        shapes = shapes.item(shape);
    }
    shapes.into()
}

/// `SecretsIn` for any type: the secret names are the type's own (422 otherwise).
pub(super) fn secrets_in() -> RefOr<Schema> {
    let mut secrets = ObjectBuilder::new().schema_type(Type::Object);
    let mut names: Vec<&str> =
        IntegrationKind::ALL.iter().flat_map(|kind| kind.secret_names().iter().copied()).collect();
    names.sort_unstable();
    names.dedup();
    for name in names {
        secrets = secrets.property(name, secret());
    }
    let secrets = secrets
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        .description(Some(
            "The integration's own secret names only: `auth_token` (Twilio), `shared_secret` \
             (Placetel), `signing_secret` (SIP webhook, recorder), `client_secret` (Teams).",
        ));
    closed(ObjectBuilder::new())
        .property("secrets", secrets)
        .schema_type(SchemaType::Type(Type::Object))
        .into()
}
