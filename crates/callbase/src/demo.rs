//! `callbase demo-data`: realistic calls for trying the product and for benchmarks —
//! business hours in the workspace's time zone, log-normal ring and talk times, a believable
//! mix of directions, outcomes, sources and agents, each call with its timeline.

use std::io::Write;
use std::time::Instant;

use callbase_app::calls::Actor;
use callbase_app::calls::intake::{NewCall, PreparedCall, prepare_call};
use callbase_domain::call::{
    Call, CallEvent, CallStatus, Direction, Dtmf, HoldChange, Source, TimelineEntry,
};
use callbase_domain::{DisplayName, Email, RegionCode, Role, Timestamp, UserId, WorkspaceId, now};
use callbase_server::auth::hash_password;
use callbase_store::{AuditEntry, NewUser, SqlStore, UserStore, WorkspaceStore};
use jiff::tz::TimeZone;
use jiff::{ToSpan, civil::Date};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// Calls generated and written per transaction.
const BATCH: usize = 10_000;
/// From this many calls on, indexes are dropped during the load and rebuilt after it.
const BULK_THRESHOLD: u64 = 50_000;

const FIRST_NAMES: &[&str] = &[
    "Anna", "Ben", "Clara", "David", "Elif", "Felix", "Greta", "Hannah", "Ivan", "Jonas",
    "Katarina", "Lukas", "Mia", "Noah", "Olga", "Paul", "Sofia", "Tim",
];
const LAST_NAMES: &[&str] = &[
    "Schmidt", "Müller", "Weber", "Fischer", "Becker", "Wagner", "Hoffmann", "Koch", "Richter",
    "Klein", "Wolf", "Neumann", "Schwarz", "Yilmaz",
];
const NOTES: &[&str] = &[
    "asked for a callback tomorrow",
    "interested in the premium plan",
    "complained about the last invoice",
    "wants a quote by e-mail",
    "left a voicemail",
    "booked a demo for next week",
    "wrong number",
    "asked about delivery times",
];
const TAGS: &[&str] = &["vip", "follow-up", "complaint", "sales", "support", "billing"];

/// What to generate.
pub struct DemoPlan {
    pub workspace: WorkspaceId,
    pub calls: u64,
    pub days: u32,
    pub seed: u64,
}

struct Generator {
    rng: StdRng,
    tz: TimeZone,
    users: Vec<UserId>,
    local_numbers: Vec<String>,
    customers: Vec<(String, Option<String>)>,
    /// Who logs the calls: the intake's rules as for a call logged through the API.
    actor: Actor,
    region: Option<RegionCode>,
}

/// A standard normal sample (Box–Muller).
fn normal(rng: &mut StdRng) -> f64 {
    let u1: f64 = rng.random_range(f64::EPSILON..1.0);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Log-normal seconds with the given median and spread, clamped to `[min, max]`.
#[allow(clippy::cast_possible_truncation)]
fn log_normal(rng: &mut StdRng, median: f64, sigma: f64, min: i64, max: i64) -> i64 {
    ((median.ln() + sigma * normal(rng)).exp().round() as i64).clamp(min, max)
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// Picks an index by weight.
fn weighted(rng: &mut StdRng, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    let mut roll = rng.random_range(0..total);
    for (i, weight) in weights.iter().enumerate() {
        if roll < *weight {
            return i;
        }
        roll -= weight;
    }
    weights.len() - 1
}

impl Generator {
    fn new(
        seed: u64,
        tz: TimeZone,
        users: Vec<UserId>,
        actor: Actor,
        region: Option<RegionCode>,
    ) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let local_numbers = (0..4).map(|i| format!("+49301234500{i}")).collect();
        let customers = (0..20_000)
            .map(|_| {
                let number = match rng.random_range(0..10) {
                    0 => format!("+4420{}", rng.random_range(70_000_000..79_999_999)),
                    1 => format!("+1415{}", rng.random_range(2_000_000..9_999_999)),
                    _ => {
                        let area =
                            *pick(&mut rng, &["30", "40", "89", "221", "69", "711", "151", "170"]);
                        format!("+49{area}{}", rng.random_range(1_000_000..9_999_999))
                    }
                };
                let name = rng.random_bool(0.4).then(|| {
                    format!("{} {}", pick(&mut rng, FIRST_NAMES), pick(&mut rng, LAST_NAMES))
                });
                (number, name)
            })
            .collect();
        Self { rng, tz, users, local_numbers, customers, actor, region }
    }

    /// A moment in business hours of `date`, local time.
    fn business_moment(&mut self, date: Date) -> Timestamp {
        // Mornings and early afternoons are busiest.
        let hour = 7 + weighted(&mut self.rng, &[2, 6, 10, 12, 11, 6, 8, 10, 9, 7, 5, 2]);
        let minute = self.rng.random_range(0..60);
        let second = self.rng.random_range(0..60);
        #[allow(clippy::cast_possible_truncation)]
        let civil = date.at(hour as i8, minute, second, 0);
        civil.to_zoned(self.tz.clone()).map_or_else(|_| now(), |zoned| zoned.timestamp())
    }

    /// A call as the intake logs it (`prepare_call`), with the holds and key presses of its
    /// conversation added to its timeline.
    fn call(&mut self, started_at: Timestamp, events: &mut Vec<CallEvent>) -> Result<Call, String> {
        let rng = &mut self.rng;
        let direction = [Direction::Inbound, Direction::Outbound, Direction::Internal]
            [weighted(rng, &[55, 40, 5])];
        let (customer, customer_name) = pick(rng, &self.customers).clone();
        let local = pick(rng, &self.local_numbers).clone();
        let answer_rate = match direction {
            Direction::Inbound => 0.78,
            Direction::Outbound => 0.55,
            Direction::Internal => 0.9,
        };
        let answered = rng.random_bool(answer_rate);
        let ring = log_normal(rng, 8.0, 0.5, 1, 60);
        let (status, answered_at, ended_at) = if answered {
            let median = if direction == Direction::Inbound { 150.0 } else { 100.0 };
            let talk = log_normal(rng, median, 1.0, 2, 7200);
            let answered_at = started_at + (ring * 1_000_000).microseconds();
            (
                CallStatus::Completed,
                Some(answered_at),
                answered_at + (talk * 1_000_000).microseconds(),
            )
        } else {
            let outcome = match direction {
                Direction::Inbound => [CallStatus::Missed, CallStatus::Busy, CallStatus::Failed]
                    [weighted(rng, &[90, 6, 4])],
                _ => [
                    CallStatus::NoAnswer,
                    CallStatus::Busy,
                    CallStatus::Failed,
                    CallStatus::Canceled,
                ][weighted(rng, &[70, 18, 6, 6])],
            };
            let rang = if outcome == CallStatus::NoAnswer {
                log_normal(rng, 25.0, 0.3, 10, 60)
            } else {
                ring
            };
            (outcome, None, started_at + (rang * 1_000_000).microseconds())
        };
        let user = (answered || direction != Direction::Inbound).then(|| *pick(rng, &self.users));
        let source =
            ["twilio", "sip", "api", "teams", "placetel"][weighted(rng, &[35, 35, 15, 10, 5])];
        let external_id = match source {
            "twilio" => Some(format!("CA{:032x}", rng.random::<u128>())),
            "sip" => Some(format!("{:016x}@pbx.example.com", rng.random::<u64>())),
            _ => None,
        };
        let (from_number, from_name, to_number, to_name) = match direction {
            Direction::Inbound => (Some(customer), customer_name, Some(local), None),
            Direction::Outbound => (Some(local), None, Some(customer), customer_name),
            Direction::Internal => (
                Some("101".to_owned()),
                None,
                Some(format!("1{:02}", rng.random_range(2..40))),
                None,
            ),
        };
        let notes = rng.random_bool(0.1).then(|| (*pick(rng, NOTES)).to_owned());
        let tags =
            if rng.random_bool(0.15) { vec![(*pick(rng, TAGS)).to_owned()] } else { Vec::new() };
        let input = NewCall {
            source: Some(Source::parse(source).unwrap_or_else(|_| Source::api())),
            external_id,
            direction,
            status: Some(status),
            from_number,
            from_name,
            to_number,
            to_name,
            user_id: user,
            agent_id: None,
            lead_id: None,
            phone_number_id: None,
            started_at: Some(started_at),
            answered_at,
            ended_at: Some(ended_at),
            end_reason: Some(if answered { "normal_clearing" } else { "no_answer" }.to_owned()),
            sip_call_id: None,
            disposition: None,
            notes,
            tags,
            cost: None,
            quality: None,
            raw: None,
        };
        let PreparedCall { mut call, events: initial, .. } =
            prepare_call(&self.actor, input, self.region.as_ref())
                .map_err(|err| format!("a generated call was refused: {err}"))?;
        let rng = &mut self.rng;
        events.extend(initial);
        let label = Some(self.actor.label());
        let entry = |at: Timestamp, entry: TimelineEntry| {
            CallEvent::new(call.id, at, label.clone(), &entry)
        };
        if let Some(answered_at) = answered_at {
            if rng.random_bool(0.08) {
                let hold = answered_at + (rng.random_range(5..30) * 1_000_000).microseconds();
                let on_hold = HoldChange { applied: true, current: CallStatus::OnHold };
                events.push(entry(hold, TimelineEntry::Hold(on_hold)));
                let resumed = HoldChange { applied: true, current: CallStatus::InProgress };
                events.push(entry(
                    hold + (rng.random_range(10..90) * 1_000_000).microseconds(),
                    TimelineEntry::Unhold(resumed),
                ));
            }
            if rng.random_bool(0.03) {
                let dtmf = TimelineEntry::Dtmf(Dtmf { digits: "1".into() });
                events.push(entry(answered_at + 2.seconds(), dtmf));
            }
        }
        call.has_recording = answered && rng.random_bool(0.3);
        call.created_at = ended_at;
        call.updated_at = ended_at;
        Ok(call)
    }
}

/// The workspace's members, plus demo agents when it has fewer than three.
async fn agents(store: &SqlStore, workspace: WorkspaceId) -> Result<Vec<UserId>, String> {
    let page = callbase_store::PageRequest::first(1000);
    let members = store.list_members(workspace, &page).await.map_err(|e| e.to_string())?;
    let mut users: Vec<UserId> = members.items.iter().map(|m| m.user.id).collect();
    if users.len() >= 3 {
        return Ok(users);
    }
    let password =
        hash_password("demo-password-not-for-login".to_owned()).await.map_err(|e| e.message)?;
    for i in 1..=8 {
        let email =
            Email::parse(&format!("demo-agent-{i}@example.com")).map_err(|e| e.to_string())?;
        let existing = store.user_credentials(&email).await.map_err(|e| e.to_string())?;
        let id = match existing {
            Some((user, _)) => user.id,
            None => {
                let id = UserId::new();
                let user = NewUser {
                    id,
                    email,
                    name: DisplayName::parse(&format!("Demo Agent {i}"))
                        .map_err(|e| e.to_string())?,
                    password_hash: password.clone(),
                    is_superuser: false,
                    membership: Some((workspace, Role::Agent)),
                    at: now(),
                };
                let audit = AuditEntry::by_system(Some(workspace), "user.create", id, "cli");
                store.create_user(user, &audit).await.map_err(|e| e.to_string())?;
                id
            }
        };
        if !users.contains(&id) {
            if store.role_in(workspace, id).await.map_err(|e| e.to_string())?.is_none() {
                let audit = AuditEntry::by_system(Some(workspace), "member.add", id, "cli");
                store
                    .add_member(workspace, id, Role::Agent, &audit)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            users.push(id);
        }
    }
    Ok(users)
}

fn progress(done: u64, total: u64, started: Instant) {
    let width = 30;
    #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss, clippy::cast_sign_loss)]
    let filled = ((done as f64 / total.max(1) as f64) * f64::from(width)) as usize;
    let rate = done as f64 / started.elapsed().as_secs_f64().max(0.001);
    eprint!(
        "\r[{}{}] {done}/{total} calls, {rate:.0}/s   ",
        "#".repeat(filled),
        " ".repeat(width as usize - filled.min(width as usize))
    );
    let _ = std::io::stderr().flush();
}

/// Writes `plan.calls` calls spread over the last `plan.days` days, oldest first.
pub async fn generate(store: &SqlStore, plan: &DemoPlan) -> Result<(), String> {
    let workspace = store
        .workspace(plan.workspace)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no workspace {}", plan.workspace))?;
    let tz = TimeZone::get(workspace.time_zone.as_str()).map_err(|e| e.to_string())?;
    let users = agents(store, plan.workspace).await?;
    // The calls are logged as the workspace's first member would log them through the API.
    let first = *users.first().ok_or("the workspace has no members")?;
    let actor = Actor { workspace: plan.workspace, user: first, role: Role::Owner };
    let region = workspace.region.clone();
    let days = plan.days.max(1);
    let today = now().to_zoned(tz.clone()).date();
    let first_day = today.checked_sub(i64::from(days).days()).map_err(|e| e.to_string())?;
    // Weekdays carry most calls; the total is spread by weight.
    let weights: Vec<u64> = (0..days)
        .map(|d| {
            match first_day
                .checked_add(i64::from(d).days())
                .map(|day| day.weekday().to_monday_one_offset())
            {
                Ok(6 | 7) => 2,
                _ => 10,
            }
        })
        .collect();
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<(Vec<Call>, Vec<CallEvent>)>(2);
    let total = plan.calls;
    let seed = plan.seed;
    let producer = tokio::task::spawn_blocking(move || {
        let mut generator = Generator::new(seed, tz, users, actor, region);
        let mut made = 0u64;
        let mut batch = (Vec::with_capacity(BATCH), Vec::with_capacity(BATCH * 4));
        for (d, weight) in weights.iter().enumerate() {
            let Ok(day) = first_day.checked_add(i64::try_from(d).unwrap_or(0).days()) else {
                continue;
            };
            let remaining_weight: u64 = weights[d..].iter().sum();
            let share = if d + 1 == weights.len() {
                total - made
            } else {
                (total - made) * weight / remaining_weight.max(1)
            };
            let mut starts: Vec<Timestamp> =
                (0..share).map(|_| generator.business_moment(day)).collect();
            starts.sort();
            for started_at in starts {
                let call = generator.call(started_at, &mut batch.1)?;
                batch.0.push(call);
                made += 1;
                if batch.0.len() == BATCH {
                    let full = std::mem::replace(
                        &mut batch,
                        (Vec::with_capacity(BATCH), Vec::with_capacity(BATCH * 4)),
                    );
                    if sender.blocking_send(full).is_err() {
                        return Ok(());
                    }
                }
            }
        }
        if !batch.0.is_empty() {
            let _ = sender.blocking_send(batch);
        }
        Ok::<(), String>(())
    });
    let started = Instant::now();
    // Building indexes once from sorted data beats maintaining them row by row. Should this
    // stop half-way, the next start of callbase creates the missing indexes.
    let bulk = total >= BULK_THRESHOLD;
    if bulk {
        store.drop_secondary_indexes().await.map_err(|e| e.to_string())?;
        store.bulk_load_mode(true).await.map_err(|e| e.to_string())?;
    }
    let mut done = 0u64;
    progress(0, total, started);
    while let Some((calls, events)) = receiver.recv().await {
        store
            .import_calls(plan.workspace, &calls, &events)
            .await
            .map_err(|e| format!("writing calls: {e}"))?;
        done += calls.len() as u64;
        progress(done, total, started);
    }
    producer.await.map_err(|e| e.to_string())??;
    eprintln!();
    if bulk {
        eprintln!("building indexes…");
        let built = store.ensure_indexes().await;
        store.bulk_load_mode(false).await.map_err(|e| e.to_string())?;
        built.map_err(|e| e.to_string())?;
    }
    println!("wrote {done} calls in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}
