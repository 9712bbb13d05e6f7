//! `POST /calls/{id}/events`: appending an entry to a call's timeline, with the shape of its
//! `data` stated per entry type.

use axum::extract::State;
use callbase_app::calls::commands;
use callbase_domain::call::{
    Dtmf, EventType, MuteChange, NoteEntry, QualityReading, RecordingMark,
};
use callbase_domain::{CallId, Timestamp, now};
use serde::Deserialize;
use serde_json::json;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    AdditionalProperties, KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat,
    SchemaType, Type,
};
use utoipa::{PartialSchema, ToSchema};

use super::model::TimelineAppendOut;
use crate::auth::Principal;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Json, Path};
use crate::state::AppState;

/// An entry to append: its type, when it happened (now when omitted) and its data, whose
/// shape the type decides.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallEventIn {
    #[serde(rename = "type")]
    pub kind: EventType,
    pub at: Option<Timestamp>,
    /// Absent is `{}`; `null` is refused like any other value that is not an object.
    #[serde(default, deserialize_with = "crate::extract::present")]
    pub data: Option<Option<serde_json::Value>>,
}

impl PartialSchema for CallEventIn {
    /// One shape per appendable type; status, hold and transfer entries come from their own
    /// actions.
    fn schema() -> RefOr<Schema> {
        let shape = |kind: EventType, data: RefOr<Schema>, data_required: bool| {
            let at = ObjectBuilder::new()
                .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
                .description(Some("When it happened; now when omitted."));
            let kind_schema =
                ObjectBuilder::new().schema_type(Type::String).enum_values(Some([kind.as_str()]));
            let mut object = ObjectBuilder::new()
                .title(Some(kind.as_str()))
                .property("type", kind_schema)
                .required("type")
                .property("at", at)
                .property("data", data)
                .additional_properties(Some(AdditionalProperties::FreeForm(false)));
            if data_required {
                object = object.required("data");
            }
            object
        };
        let custom = ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some("Any object of the source's own shape, at most 16 KiB."))
            .into();
        OneOfBuilder::new()
            .description(Some("A timeline entry; `data` has the shape of its `type`."))
            .item(shape(EventType::Dtmf, Dtmf::schema(), true))
            .item(shape(EventType::Mute, MuteChange::schema(), false))
            .item(shape(EventType::Unmute, MuteChange::schema(), false))
            .item(shape(EventType::RecordingStarted, RecordingMark::schema(), false))
            .item(shape(EventType::RecordingStopped, RecordingMark::schema(), false))
            .item(shape(EventType::Note, NoteEntry::schema(), false))
            .item(shape(EventType::Quality, QualityReading::schema(), false))
            .item(shape(EventType::Custom, custom, false))
            .into()
    }
}

impl ToSchema for CallEventIn {}

/// Appends an entry to the call's timeline. `data` must have the shape of the entry's type
/// (422 naming `data` otherwise).
#[utoipa::path(post, path = "/calls/{id}/events", tag = "calls", params(("id" = CallId, Path)),
    request_body = CallEventIn,
    responses((status = 200, body = TimelineAppendOut), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn add_call_event(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<CallId>,
    Json(input): Json<CallEventIn>,
) -> ApiResult<Json<TimelineAppendOut>> {
    let data = match input.data {
        None => json!({}),
        Some(data) => data.unwrap_or(serde_json::Value::Null),
    };
    let entry = commands::appendable_entry(input.kind, data)?;
    let actor = principal.writer()?;
    let at = input.at.unwrap_or_else(now);
    // Providers append entries by the thousand: the call is neither read whole nor written,
    // and the answer is the entry, not the whole call.
    let (status, event) =
        commands::append_entry(state.store.as_ref(), &actor, id, at, &entry).await?;
    Ok(Json(TimelineAppendOut { call_id: id, status, events: vec![event.into()] }))
}
