//! The schema of a logged call's body: the rule tying its status to its timestamps.

pub(crate) use callbase_app::calls::input::{tags, tags_patch_schema, text};
use callbase_app::calls::intake::NewCall as CallIn;
use callbase_domain::call::CallStatus;
use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

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
