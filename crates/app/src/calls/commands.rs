//! Changing a call: the lifecycle commands (CALL-2, CALL-3) and timeline appends (CALL-4),
//! with the rule that an agent changes only the calls assigned to them (AUTH-2).

use callbase_domain::call::{CallCommand, CallEvent, CallStatus, EventType, TimelineEntry};
use callbase_domain::{CallId, Timestamp};
use callbase_store::{Commanded, Store};

use super::Actor;
use crate::error::{AppError, AppResult};

/// The largest `data` a client may append, serialized.
pub const MAX_ENTRY_DATA: usize = 16 * 1024;

/// Checks that `actor` may change call `id`: every writer may, except that an agent changes
/// only the calls assigned to them. `CallNotFound` when the call is not in the workspace.
///
/// # Errors
/// As above, or the store's.
pub async fn check_editor(store: &dyn Store, actor: &Actor, id: CallId) -> AppResult<()> {
    if actor.role == callbase_domain::Role::Agent {
        let call = store.call(actor.workspace, id).await?.ok_or(AppError::CallNotFound)?;
        if call.user_id != Some(actor.user) {
            return Err(AppError::forbidden("an agent changes only the calls assigned to them"));
        }
    }
    Ok(())
}

/// Runs a lifecycle command on call `id`.
///
/// # Errors
/// Not found, not allowed, or the lifecycle refused it (`Store(Rejected)`).
pub async fn run_command(
    store: &dyn Store,
    actor: &Actor,
    id: CallId,
    command: CallCommand,
) -> AppResult<Commanded> {
    check_editor(store, actor, id).await?;
    store
        .command_call(actor.workspace, id, command, Some(&actor.label()))
        .await?
        .ok_or(AppError::CallNotFound)
}

/// Reads what a client asks to append: an appendable type with data of its shape, at most
/// [`MAX_ENTRY_DATA`].
///
/// # Errors
/// Naming `type` for an entry an action writes, or `data` when it does not fit.
pub fn appendable_entry(kind: EventType, data: serde_json::Value) -> AppResult<TimelineEntry> {
    let action = match kind {
        EventType::StatusChanged => Some("/status or /end"),
        EventType::Hold | EventType::Unhold => Some("/hold"),
        EventType::Transfer => Some("/transfer"),
        _ => None,
    };
    if let Some(action) = action {
        return Err(AppError::invalid(
            "type",
            format!("{kind} changes the call: use POST /calls/{{id}}{action}"),
        ));
    }
    if !data.is_object() {
        return Err(AppError::invalid("data", "must be a JSON object"));
    }
    if data.to_string().len() > MAX_ENTRY_DATA {
        return Err(AppError::invalid("data", "must be at most 16 KiB"));
    }
    TimelineEntry::parse(kind, data).map_err(|err| AppError::invalid("data", err))
}

/// Appends an entry that changes nothing about the call, and answers the call's status with
/// the entry. The ingest hot path: the call is neither read whole nor written.
///
/// # Errors
/// Not found or not allowed.
pub async fn append_entry(
    store: &dyn Store,
    actor: &Actor,
    id: CallId,
    at: Timestamp,
    entry: &TimelineEntry,
) -> AppResult<(CallStatus, CallEvent)> {
    check_editor(store, actor, id).await?;
    let event = CallEvent::new(id, at, Some(actor.label()), entry);
    let status =
        store.append_event(actor.workspace, &event).await?.ok_or(AppError::CallNotFound)?;
    Ok((status, event))
}
