//! Provider reports batched by the SQLite group committer (PERF-7): a provider sends a call's
//! ringing, answered and completed within a second, and thousands of calls at once. One
//! read finds every call a batch is about, one its receipts and one the zones of its
//! workspaces; the reports apply in memory in the order they came (as they would one by
//! one); then each table takes one write: the new calls, the moved ones, the receipts, the
//! timeline entries and the rollup changes. Anything unusual (a workspace gone, a constraint)
//! fails the batch, and the committer then runs its reports one by one.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use callbase_domain::call::{
    Call, CallEvent, CallReport, CallStart, Counters, ReportedCall, RollupKey, apply_report,
    rollup_delta, started_by,
};
use callbase_domain::{E164, WorkspaceId, now};
use jiff::tz::TimeZone;
use sqlx::{AssertSqlSafe, SqliteConnection};
use uuid::Uuid;

use super::blocklist::blocked_numbers;
use super::call_rows::{CALL_COLUMNS, CallRow, bind_call};
use super::import::{CALL_INSERT_HEAD, CALLS_PER_STATEMENT, insert_events_in_bulk, multi_row_sql};
use super::rollups::{apply_rollups, time_zone};
use crate::{Reported, StoreResult};

/// Most values in one `IN (…)` list.
const KEYS_PER_READ: usize = 500;
const RECEIPTS_PER_STATEMENT: usize = 500;

/// One report and what a call it starts takes besides it.
pub(crate) struct ReportJob<'a> {
    pub workspace: WorkspaceId,
    pub report: &'a CallReport,
    pub start: &'a CallStart,
}

/// The calls of one workspace from one source share a read.
type Group = (WorkspaceId, String);
/// A call by its workspace, source and the source's id; a receipt likewise.
type Key = (WorkspaceId, String, String);

/// The call a job is about.
fn call_key(job: &ReportJob<'_>) -> Key {
    (job.workspace, job.report.source.as_str().to_owned(), job.report.external_id.clone())
}

/// Applies `jobs` in order through `tx` (inside the committer's transaction), answering each
/// as `report_call` would have.
pub(crate) async fn report_batch_on_sqlite(
    tx: &mut SqliteConnection,
    jobs: &[ReportJob<'_>],
) -> StoreResult<Vec<Reported>> {
    let stored = stored_calls(tx, jobs).await?;
    let seen = stored_receipts(tx, jobs).await?;
    let zones = zones(tx, jobs).await?;
    let mut started = started_calls(tx, jobs, &stored).await?;

    // The calls the batch changed, as they are after its reports so far.
    let mut current: HashMap<Key, Call> = HashMap::new();
    let mut receipts: Vec<(WorkspaceId, &str, &str, Uuid)> = Vec::new();
    let mut taken: HashSet<Key> = HashSet::new();
    let mut events: Vec<CallEvent> = Vec::new();
    let mut answers = Vec::with_capacity(jobs.len());
    for (index, job) in jobs.iter().enumerate() {
        let report = job.report;
        let key = call_key(job);
        let receipt = (job.workspace, report.source.as_str().to_owned(), report.receipt.clone());
        let before = current.get(&key).or_else(|| stored.get(&key));
        if let Some(before) = before
            && (seen.contains(&receipt) || taken.contains(&receipt))
        {
            answers.push(Reported::Duplicate(before.clone()));
            continue;
        }
        let target = match before {
            Some(before) => ReportedCall::Stored(before.clone()),
            None => ReportedCall::Started(
                started
                    .remove(&index)
                    .unwrap_or_else(|| started_by(job.workspace, report, job.start)),
            ),
        };
        let (mut call, new_events) = apply_report(target, job.start, report);
        events.extend(new_events.iter().cloned());
        receipts.push((
            job.workspace,
            report.source.as_str(),
            report.receipt.as_str(),
            call.id.into(),
        ));
        taken.insert(receipt);
        let answer = match before {
            None => Reported::Created { call: call.clone(), events: new_events },
            Some(before) => {
                if call != *before {
                    call.updated_at = now().max(before.updated_at);
                }
                Reported::Updated { call: call.clone(), events: new_events }
            }
        };
        current.insert(key, call);
        answers.push(answer);
    }

    let mut created = Vec::new();
    let mut changed = Vec::new();
    let mut rollups: HashMap<WorkspaceId, HashMap<RollupKey, Counters>> = HashMap::new();
    for (key, call) in &current {
        let before = stored.get(key);
        if before == Some(call) {
            continue;
        }
        let tz = zones.get(&call.workspace_id).ok_or(crate::StoreError::WorkspaceGone)?;
        let deltas = rollups.entry(call.workspace_id).or_default();
        for (rollup, counts) in rollup_delta(before, Some(call), tz) {
            deltas.entry(rollup).or_default().add(&counts);
        }
        if before.is_none() {
            created.push(call);
        }
        changed.push(call);
    }
    write_calls(tx, &changed, &created).await?;
    insert_receipts(tx, &receipts).await?;
    insert_events_in_bulk!(tx, &events, false);
    for (workspace, deltas) in &rollups {
        apply_rollups!(tx, *workspace, deltas)?;
    }
    Ok(answers)
}

/// The stored calls the jobs are about, by key.
async fn stored_calls(
    tx: &mut SqliteConnection,
    jobs: &[ReportJob<'_>],
) -> StoreResult<HashMap<Key, Call>> {
    let mut calls = HashMap::new();
    for ((workspace, source), ids) in grouped(jobs, |job| &job.report.external_id) {
        for chunk in ids.chunks(KEYS_PER_READ) {
            let sql = format!(
                "SELECT {CALL_COLUMNS} FROM calls c WHERE c.workspace_id = ? AND c.source = ? \
                 AND c.external_id IN ({})",
                placeholders(chunk.len())
            );
            let mut query = sqlx::query_as::<_, CallRow>(AssertSqlSafe(sql))
                .bind(Uuid::from(workspace))
                .bind(source.as_str());
            for id in chunk {
                query = query.bind(*id);
            }
            for row in query.fetch_all(&mut *tx).await? {
                let call = Call::try_from(row)?;
                let external = call.external_id.clone().unwrap_or_default();
                calls.insert((workspace, source.clone(), external), call);
            }
        }
    }
    Ok(calls)
}

/// The calls the jobs start (the first job about each call not stored), by job, flagged
/// when their remote number is on their workspace's do-not-call list now (CRM-2).
async fn started_calls(
    tx: &mut SqliteConnection,
    jobs: &[ReportJob<'_>],
    stored: &HashMap<Key, Call>,
) -> StoreResult<HashMap<usize, Call>> {
    let mut firsts: HashSet<Key> = HashSet::new();
    let mut started: HashMap<usize, Call> = HashMap::new();
    let mut numbers: HashMap<WorkspaceId, Vec<(usize, E164)>> = HashMap::new();
    for (index, job) in jobs.iter().enumerate() {
        let report = job.report;
        let key = call_key(job);
        if stored.contains_key(&key) || !firsts.insert(key) {
            continue;
        }
        let call = started_by(job.workspace, report, job.start);
        if let Some(number) = call.remote_e164() {
            numbers.entry(job.workspace).or_default().push((index, number));
        }
        started.insert(index, call);
    }
    let at = now();
    for (workspace, numbered) in numbers {
        let all: Vec<&E164> = numbered.iter().map(|(_, number)| number).collect();
        let listed = blocked_numbers!(tx, workspace, &all, at)?;
        for (index, number) in &numbered {
            if let (true, Some(call)) = (listed.contains(number), started.get_mut(index)) {
                call.blocked = true;
            }
        }
    }
    Ok(started)
}

/// The jobs' receipts delivered before.
async fn stored_receipts(
    tx: &mut SqliteConnection,
    jobs: &[ReportJob<'_>],
) -> StoreResult<HashSet<Key>> {
    let mut seen = HashSet::new();
    for ((workspace, source), receipts) in grouped(jobs, |job| &job.report.receipt) {
        for chunk in receipts.chunks(KEYS_PER_READ) {
            let sql = format!(
                "SELECT receipt FROM intake_receipts WHERE workspace_id = ? AND source = ? \
                 AND receipt IN ({})",
                placeholders(chunk.len())
            );
            let mut query = sqlx::query_scalar::<_, String>(AssertSqlSafe(sql))
                .bind(Uuid::from(workspace))
                .bind(source.as_str());
            for receipt in chunk {
                query = query.bind(*receipt);
            }
            for receipt in query.fetch_all(&mut *tx).await? {
                seen.insert((workspace, source.clone(), receipt));
            }
        }
    }
    Ok(seen)
}

/// The time zones of the jobs' workspaces.
async fn zones(
    tx: &mut SqliteConnection,
    jobs: &[ReportJob<'_>],
) -> StoreResult<HashMap<WorkspaceId, TimeZone>> {
    let workspaces: Vec<WorkspaceId> = {
        let mut distinct: Vec<WorkspaceId> = jobs.iter().map(|job| job.workspace).collect();
        distinct.sort_unstable();
        distinct.dedup();
        distinct
    };
    let mut zones = HashMap::new();
    for chunk in workspaces.chunks(KEYS_PER_READ) {
        let sql = format!(
            "SELECT id, time_zone FROM workspaces WHERE id IN ({})",
            placeholders(chunk.len())
        );
        let mut query = sqlx::query_as::<_, (Uuid, String)>(AssertSqlSafe(sql));
        for workspace in chunk {
            query = query.bind(Uuid::from(*workspace));
        }
        for (id, name) in query.fetch_all(&mut *tx).await? {
            zones.insert(WorkspaceId::from(id), time_zone(Some(name))?);
        }
    }
    Ok(zones)
}

/// Every column a report may change: all but the id, the workspace and the creation time.
const CHANGEABLE: [&str; 34] = [
    "source",
    "external_id",
    "direction",
    "status",
    "from_number",
    "from_name",
    "to_number",
    "to_name",
    "remote_number",
    "from_rev",
    "to_rev",
    "user_id",
    "agent_id",
    "lead_id",
    "phone_number_id",
    "parent_call_id",
    "started_at",
    "answered_at",
    "ended_at",
    "ring_seconds",
    "talk_seconds",
    "duration",
    "end_reason",
    "sip_call_id",
    "disposition",
    "notes",
    "tags",
    "blocked",
    "has_recording",
    "recorded_seconds",
    "quality",
    "cost",
    "raw",
    "updated_at",
];

/// Rewrites a stored call's changeable columns when its id is taken: written once.
static UPSERT_TAIL: LazyLock<String> = LazyLock::new(|| {
    let updates: Vec<String> =
        CHANGEABLE.iter().map(|column| format!("{column} = excluded.{column}")).collect();
    format!(" ON CONFLICT (id) DO UPDATE SET {}", updates.join(", "))
});

/// Writes `changed` (new and moved calls) in one statement per hundred: a new call is
/// inserted, a stored one rewritten (the read of its row was in this transaction); then the
/// tags of the `created` ones.
async fn write_calls(
    tx: &mut SqliteConnection,
    changed: &[&Call],
    created: &[&Call],
) -> StoreResult<()> {
    let tail = &*UPSERT_TAIL;
    for chunk in changed.chunks(CALLS_PER_STATEMENT) {
        let mut sql = multi_row_sql(CALL_INSERT_HEAD, 37, chunk.len(), false);
        sql.push_str(tail);
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for call in chunk {
            query = bind_call!(query, *call);
        }
        query.execute(&mut *tx).await?;
    }
    let tagged: Vec<(&Call, &String)> =
        created.iter().flat_map(|call| call.tags.iter().map(move |tag| (*call, tag))).collect();
    for chunk in tagged.chunks(RECEIPTS_PER_STATEMENT) {
        let head = "INSERT INTO call_tags (workspace_id, tag, call_id) VALUES ";
        let mut query = sqlx::query(AssertSqlSafe(multi_row_sql(head, 3, chunk.len(), false)));
        for (call, tag) in chunk {
            query = query
                .bind(*call.workspace_id.as_uuid())
                .bind(tag.as_str())
                .bind(*call.id.as_uuid());
        }
        query.execute(&mut *tx).await?;
    }
    Ok(())
}

async fn insert_receipts(
    tx: &mut SqliteConnection,
    receipts: &[(WorkspaceId, &str, &str, Uuid)],
) -> StoreResult<()> {
    let received_at = callbase_domain::to_micros(now());
    for chunk in receipts.chunks(RECEIPTS_PER_STATEMENT) {
        let head = "INSERT INTO intake_receipts (workspace_id, source, receipt, call_id, \
                    received_at) VALUES ";
        let mut query = sqlx::query(AssertSqlSafe(multi_row_sql(head, 5, chunk.len(), false)));
        for (workspace, source, receipt, call) in chunk {
            query = query
                .bind(Uuid::from(*workspace))
                .bind(*source)
                .bind(*receipt)
                .bind(*call)
                .bind(received_at);
        }
        query.execute(&mut *tx).await?;
    }
    Ok(())
}

/// The distinct values `field` takes among the jobs, per workspace and source.
fn grouped<'a>(
    jobs: &'a [ReportJob<'a>],
    field: impl Fn(&ReportJob<'a>) -> &'a String,
) -> HashMap<Group, Vec<&'a str>> {
    let mut groups: HashMap<Group, Vec<&'a str>> = HashMap::new();
    for job in jobs {
        let group = (job.workspace, job.report.source.as_str().to_owned());
        groups.entry(group).or_default().push(field(job).as_str());
    }
    for values in groups.values_mut() {
        values.sort_unstable();
        values.dedup();
    }
    groups
}

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}
