//! Taking a call in (INGEST): a call logged through the API, a call started, or a provider's
//! report about a call, each becoming one idempotent write keyed by the workspace, the source
//! and the source's id, with its implied status, consistency checks, initial timeline,
//! do-not-call flag and raw payload.

use callbase_domain::call::{
    Call, CallEvent, CallReport, CallStart, CallStatus, Cost, Direction, Source, check_consistency,
    implied_status, initial_timeline, stored_number,
};
use callbase_domain::{E164, IntegrationId, RegionCode, Role, Timestamp, UserId, WorkspaceId, now};
use callbase_store::{Logged, Reported, Store};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use utoipa::openapi::schema::Object;
use uuid::Uuid;

use super::input::{object, tags, tags_schema, text};
use super::{Actor, check_member, workspace_region};
use crate::error::{AppError, AppResult};

/// A call to log, as it happened or as it is happening.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CallFields)]
pub struct NewCall {
    /// Where the call comes from; `api` when omitted.
    pub source: Option<Source>,
    /// The provider's id: logging the same call again returns it instead of a duplicate.
    #[schema(max_length = 200)]
    pub external_id: Option<String>,
    pub direction: Direction,
    /// Derived from the timestamps when omitted.
    pub status: Option<CallStatus>,
    /// Any format; stored as E.164 when it parses (national formats with the workspace
    /// region), otherwise as written.
    #[schema(max_length = 64)]
    pub from_number: Option<String>,
    #[schema(max_length = 200)]
    pub from_name: Option<String>,
    #[schema(max_length = 64)]
    pub to_number: Option<String>,
    #[schema(max_length = 200)]
    pub to_name: Option<String>,
    /// A member of the workspace.
    pub user_id: Option<UserId>,
    pub agent_id: Option<Uuid>,
    pub lead_id: Option<Uuid>,
    pub phone_number_id: Option<Uuid>,
    /// Now when omitted, or `answered_at` or `ended_at` when that was earlier.
    pub started_at: Option<Timestamp>,
    pub answered_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    #[schema(max_length = 200)]
    pub end_reason: Option<String>,
    #[schema(max_length = 200)]
    pub sip_call_id: Option<String>,
    #[schema(max_length = 200)]
    pub disposition: Option<String>,
    #[schema(max_length = 10000)]
    pub notes: Option<String>,
    #[serde(default)]
    #[schema(schema_with = tags_schema)]
    pub tags: Vec<String>,
    pub cost: Option<Cost>,
    #[schema(value_type = Option<Object>)]
    pub quality: Option<serde_json::Value>,
    /// The provider's original payload, kept as is.
    #[schema(value_type = Option<Object>)]
    pub raw: Option<serde_json::Value>,
}

/// What logging a call did.
#[derive(Debug, Clone, PartialEq)]
pub enum Intake {
    Created(Call),
    /// Logged before under the same source and external id, from the same input.
    Existing(Call),
}

/// Logs a call. A retry with the same `external_id` and the same input answers the call
/// logged the first time; a different input under that `external_id` is a `CallConflict`.
///
/// # Errors
/// An invalid field, an agent assigning someone else, a user not in the workspace, or a
/// conflict as above.
pub async fn log_call(store: &dyn Store, actor: &Actor, input: NewCall) -> AppResult<Intake> {
    let region = workspace_region(store, actor.workspace).await?;
    let PreparedCall { mut call, events, fingerprint } =
        prepare_call(actor, input, region.as_ref())?;
    if let Some(user) = call.user_id {
        check_member(store, actor.workspace, user, "user_id").await?;
    }
    call.blocked = is_blocked(store, actor.workspace, &call).await?;
    log(store, call, &fingerprint, &events).await
}

/// A call as logging it makes it, before anything is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedCall {
    pub call: Call,
    /// Its initial timeline.
    pub events: Vec<CallEvent>,
    /// The input's fingerprint, which a retry must match.
    pub fingerprint: String,
}

/// What [`log_call`] makes of `input` without the store: an agent's call is their own, the
/// numbers are read in `region`, the start defaults, the status is implied by the
/// timestamps and checked against them, the text fields bounded, and the initial timeline
/// written. Whether the user is a member and whether the number is on the do-not-call list
/// take the store, and are [`log_call`]'s. `callbase demo-data` makes its calls with this.
///
/// # Errors
/// An invalid field, or an agent assigning someone else.
pub fn prepare_call(
    actor: &Actor,
    mut input: NewCall,
    region: Option<&RegionCode>,
) -> AppResult<PreparedCall> {
    // An agent logs calls as their own. The retry fingerprint covers the user, so replaying
    // a colleague's payload is a conflict instead of handing back their call.
    if actor.role == Role::Agent && input.user_id.is_none() {
        input.user_id = Some(actor.user);
    }
    let fingerprint = fingerprint(&input);
    let number = |raw: Option<String>, field: &str| -> AppResult<Option<String>> {
        Ok(text(field, raw, 64)?.map(|raw| stored_number(&raw, region)))
    };
    // A call cannot be answered or end before it started.
    let started_at = input.started_at.unwrap_or_else(|| {
        [input.answered_at, input.ended_at].into_iter().flatten().fold(now(), Timestamp::min)
    });
    let status = input.status.unwrap_or_else(|| {
        implied_status(input.direction, input.answered_at.is_some(), input.ended_at.is_some())
    });
    check_consistency(status, started_at, input.answered_at, input.ended_at)?;
    if let Some(user) = input.user_id {
        actor.check_assignment(Some(user))?;
    }
    let at = now();
    let call = Call {
        external_id: text("external_id", input.external_id, 200)?,
        status,
        from_number: number(input.from_number, "from_number")?,
        from_name: text("from_name", input.from_name, 200)?,
        to_number: number(input.to_number, "to_number")?,
        to_name: text("to_name", input.to_name, 200)?,
        user_id: input.user_id,
        agent_id: input.agent_id,
        lead_id: input.lead_id,
        phone_number_id: input.phone_number_id,
        answered_at: input.answered_at,
        ended_at: input.ended_at,
        end_reason: text("end_reason", input.end_reason, 200)?,
        sip_call_id: text("sip_call_id", input.sip_call_id, 200)?,
        disposition: text("disposition", input.disposition, 200)?,
        notes: text("notes", input.notes, 10_000)?,
        tags: tags(input.tags)?,
        quality: object("quality", input.quality)?,
        cost: input.cost,
        raw: object("raw", input.raw)?.into_iter().collect(),
        created_at: at,
        updated_at: at,
        ..Call::started(
            actor.workspace,
            input.source.unwrap_or_else(Source::api),
            input.direction,
            status,
            started_at,
        )
    };
    let events = initial_timeline(&call, &actor.label());
    Ok(PreparedCall { call, events, fingerprint })
}

/// A call to start: logged as `initiated`, or with `integration_id` placed through Twilio.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = OutboundCallIn)]
pub struct NewOutboundCall {
    #[schema(schema_with = to_number_schema)]
    pub to_number: String,
    /// The caller id to show; with `integration_id` required: the Twilio number (or verified
    /// caller id) the call comes from.
    pub from_number: Option<String>,
    /// Who places it; the caller when omitted.
    pub user_id: Option<UserId>,
    pub agent_id: Option<Uuid>,
    pub lead_id: Option<Uuid>,
    pub phone_number_id: Option<Uuid>,
    /// Not with `integration_id` (the call is then `twilio`'s).
    pub source: Option<Source>,
    /// Not with `integration_id` (the call is then logged under Twilio's call SID).
    #[schema(max_length = 200)]
    pub external_id: Option<String>,
    #[schema(max_length = 10000)]
    pub notes: Option<String>,
    // The fields below are left out of the retry fingerprint when absent, so a call logged
    // before they existed is still recognised when its request is repeated.
    /// A Twilio integration of the workspace: the call is placed through Twilio, and its
    /// status callbacks keep it up to date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration_id: Option<IntegrationId>,
    /// With `integration_id`, this or `answer_url`: the TwiML Twilio runs when the callee
    /// answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 4000)]
    pub twiml: Option<String>,
    /// With `integration_id`, this or `twiml`: the http(s) URL Twilio fetches the TwiML from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 2000)]
    pub answer_url: Option<String>,
    /// With `integration_id`: record the call (the recording arrives through the
    /// integration's recording status callback). Not recorded when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<bool>,
}

impl NewOutboundCall {
    /// The first field given that only placing a call through a provider takes.
    fn provider_field(&self) -> Option<&'static str> {
        [
            ("integration_id", self.integration_id.is_some()),
            ("twiml", self.twiml.is_some()),
            ("answer_url", self.answer_url.is_some()),
            ("record", self.record.is_some()),
        ]
        .into_iter()
        .find_map(|(field, given)| given.then_some(field))
    }
}

fn to_number_schema() -> Object {
    E164::input_schema(
        "The number to call; in a workspace with a region also written nationally \
         (`030 1234567`), with spaces, or with `00`.",
    )
}

/// What every outbound call is checked for before anything else, whether it is only logged
/// or placed through a provider.
pub(super) struct CheckedOutbound {
    /// Not on the do-not-call list.
    pub to_number: E164,
    /// Who places it: a member the caller may place it for.
    pub user: UserId,
    pub region: Option<RegionCode>,
}

/// The number read in the workspace region and refused with `NumberBlocked` when it is on
/// the do-not-call list, then the assignment rules: an agent places calls only as themselves,
/// and the user must be a member.
pub(super) async fn check_outbound(
    store: &dyn Store,
    actor: &Actor,
    input: &NewOutboundCall,
) -> AppResult<CheckedOutbound> {
    let region = workspace_region(store, actor.workspace).await?;
    let to_number = E164::parse(&input.to_number, region.as_ref())
        .map_err(|e| AppError::invalid("to_number", e))?;
    let blocking = store.blocking_entries(actor.workspace, &to_number, now()).await?;
    if !blocking.is_empty() {
        let entries = blocking.into_iter().map(|e| (e.id, e.reason)).collect();
        return Err(AppError::NumberBlocked { number: to_number, entries });
    }
    let user = input.user_id.unwrap_or(actor.user);
    actor.check_assignment(Some(user))?;
    check_member(store, actor.workspace, user, "user_id").await?;
    Ok(CheckedOutbound { to_number, user, region })
}

/// Starts an outbound call: refused with `NumberBlocked` when the number is on the
/// do-not-call list, otherwise logged as `initiated`. Placing it through a provider
/// (`integration_id`) is [`super::outbound::start`]'s.
///
/// # Errors
/// As above, an invalid field (a provider's field among them), or an agent placing it for
/// someone else.
pub async fn start_outbound(
    store: &dyn Store,
    actor: &Actor,
    input: NewOutboundCall,
) -> AppResult<Intake> {
    if let Some(field) = input.provider_field() {
        return Err(AppError::invalid(field, "only for a call placed through an integration"));
    }
    let print = fingerprint(&input);
    let CheckedOutbound { to_number, user, region } = check_outbound(store, actor, &input).await?;
    let from_number =
        text("from_number", input.from_number, 64)?.map(|raw| stored_number(&raw, region.as_ref()));
    let source = input.source.unwrap_or_else(Source::api);
    let call = Call {
        external_id: text("external_id", input.external_id, 200)?,
        from_number,
        to_number: Some(to_number.as_str().to_owned()),
        user_id: Some(user),
        agent_id: input.agent_id,
        lead_id: input.lead_id,
        phone_number_id: input.phone_number_id,
        notes: text("notes", input.notes, 10_000)?,
        ..Call::started(actor.workspace, source, Direction::Outbound, CallStatus::Initiated, now())
    };
    let events = initial_timeline(&call, &actor.label());
    log(store, call, &print, &events).await
}

/// Takes a provider's report about a call: creates the call on the first report, moves it
/// on later ones, and changes nothing for a report delivered before. Numbers are read in
/// `region`, the workspace's. Durably committed when this returns.
///
/// # Errors
/// The store's.
pub async fn take_report(
    store: &dyn Store,
    workspace: WorkspaceId,
    region: Option<&RegionCode>,
    report: &CallReport,
) -> AppResult<Reported> {
    let start = CallStart { region: region.cloned(), ..CallStart::default() };
    take_report_with(store, workspace, report, start).await
}

/// [`take_report`] for a call placed here: a call the report creates starts with `start`
/// (who placed it, for what, why); a call an earlier report created takes what it lacks
/// from it ([`apply_report`]). The call a report names as its parent is found here.
///
/// [`apply_report`]: callbase_domain::call::apply_report
///
/// # Errors
/// The store's.
pub async fn take_report_with(
    store: &dyn Store,
    workspace: WorkspaceId,
    report: &CallReport,
    mut start: CallStart,
) -> AppResult<Reported> {
    if let Some(parent) = &report.parent_external_id {
        let parent = store.call_by_external_id(workspace, &report.source, parent).await?;
        start.parent_call_id = parent.map(|call| call.id);
    }
    Ok(store.report_call(workspace, report, &start).await?)
}

/// How long a source's events are remembered, so that a delivery of one again changes
/// nothing: providers retry for hours (Twilio up to a day), never weeks.
pub const RECEIPTS_KEPT_FOR: std::time::Duration = std::time::Duration::from_secs(30 * 24 * 3600);

/// Forgets the receipts older than [`RECEIPTS_KEPT_FOR`]; answers how many.
///
/// # Errors
/// The store's.
pub async fn forget_old_receipts(store: &dyn Store) -> AppResult<u64> {
    let kept_for = jiff::SignedDuration::try_from(RECEIPTS_KEPT_FOR).unwrap_or_default();
    let before = now().checked_sub(kept_for).unwrap_or_else(|_| now());
    Ok(store.forget_receipts(before).await?)
}

fn fingerprint(input: &impl Serialize) -> String {
    let bytes = serde_json::to_vec(input).unwrap_or_default();
    Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// True when the remote number is on the workspace's do-not-call list now.
async fn is_blocked(store: &dyn Store, workspace: WorkspaceId, call: &Call) -> AppResult<bool> {
    let Some(number) = call.remote_e164() else {
        return Ok(false);
    };
    Ok(!store.blocking_entries(workspace, &number, now()).await?.is_empty())
}

/// Stores a new call, or answers the one already logged under its external id.
async fn log(
    store: &dyn Store,
    call: Call,
    print: &str,
    events: &[callbase_domain::call::CallEvent],
) -> AppResult<Intake> {
    match store.create_call(&call, Some(print), events).await? {
        Logged::Created(call) => Ok(Intake::Created(call)),
        Logged::Existing { call, fingerprint } if fingerprint.as_deref() == Some(print) => {
            Ok(Intake::Existing(call))
        }
        Logged::Existing { call, .. } => Err(AppError::CallConflict { call_id: call.id }),
    }
}
