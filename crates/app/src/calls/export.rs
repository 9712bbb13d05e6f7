//! Calls as CSV or NDJSON (CALL-6), produced page by page so memory stays flat however many
//! calls match. Shared by `GET /calls/export` and `callbase export`.

use std::sync::Arc;

use bytes::Bytes;
use callbase_domain::WorkspaceId;
use callbase_domain::call::Call;
use callbase_store::{CallFilter, CallPageRequest, CallSort, SortOrder, Store, StoreError};
use futures_util::Stream;
use serde::Deserialize;
use utoipa::ToSchema;

use super::view::CallOut;

/// Calls fetched per database round trip.
const BATCH: u32 = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    #[default]
    Csv,
    Ndjson,
}

impl ExportFormat {
    #[must_use]
    pub const fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Ndjson => "application/x-ndjson",
        }
    }

    #[must_use]
    pub const fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Ndjson => "ndjson",
        }
    }
}

const CSV_HEADER: &str = "id,source,external_id,direction,status,from_number,from_name,\
to_number,to_name,remote_number,user_id,agent_id,lead_id,started_at,answered_at,ended_at,\
ring_seconds,talk_seconds,end_reason,disposition,tags,notes,blocked,has_recording,\
cost_amount,cost_currency\r\n";

/// One CSV field: quoted when needed, and defused when a spreadsheet would run it as a
/// formula. Any cell that opens with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
/// leading `'`, except a cell that is a whole phone number (`+` and digits only), which no
/// spreadsheet evaluates: `+1+cmd|' /C calc'!A0` or `-2+3+cmd|…` would be.
fn csv_field(out: &mut String, value: &str) {
    let formula = value.starts_with(['=', '+', '-', '@', '\t', '\r']) && !is_phone_number(value);
    let quote = formula || value.contains([',', '"', '\n', '\r']);
    if quote {
        out.push('"');
        if formula {
            out.push('\'');
        }
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

/// `^\+?[0-9]+$`: a number as callbase stores it (E.164) or as digits alone.
fn is_phone_number(value: &str) -> bool {
    let digits = value.strip_prefix('+').unwrap_or(value);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

fn csv_row(out: &mut String, call: Call) {
    let call = CallOut::from(call);
    let opt = |value: Option<String>| value.unwrap_or_default();
    let fields = [
        call.id.to_string(),
        call.source.to_string(),
        opt(call.external_id),
        call.direction.to_string(),
        call.status.to_string(),
        opt(call.from_number),
        opt(call.from_name),
        opt(call.to_number),
        opt(call.to_name),
        opt(call.remote_number),
        opt(call.user_id.map(|id| id.to_string())),
        opt(call.agent_id.map(|id| id.to_string())),
        opt(call.lead_id.map(|id| id.to_string())),
        call.started_at.to_string(),
        opt(call.answered_at.map(|at| at.to_string())),
        opt(call.ended_at.map(|at| at.to_string())),
        opt(call.ring_seconds.map(|s| s.to_string())),
        opt(call.talk_seconds.map(|s| s.to_string())),
        opt(call.end_reason),
        opt(call.disposition),
        call.tags.join(";"),
        opt(call.notes),
        call.blocked.to_string(),
        call.has_recording.to_string(),
        opt(call.cost.as_ref().map(|c| c.amount.clone())),
        opt(call.cost.map(|c| c.currency)),
    ];
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        csv_field(out, field);
    }
    out.push_str("\r\n");
}

fn render(format: ExportFormat, calls: Vec<Call>) -> Bytes {
    let mut out = String::with_capacity(calls.len() * 400);
    for call in calls {
        match format {
            ExportFormat::Csv => csv_row(&mut out, call),
            ExportFormat::Ndjson => {
                if let Ok(line) = serde_json::to_string(&CallOut::from(call)) {
                    out.push_str(&line);
                    out.push('\n');
                }
            }
        }
    }
    Bytes::from(out)
}

enum Step {
    Header(CallPageRequest),
    Page(CallPageRequest),
    Done,
}

/// The export as chunks, oldest call first: the header, then one chunk per batch of calls.
pub fn export_stream(
    store: Arc<dyn Store>,
    workspace: WorkspaceId,
    filter: CallFilter,
    format: ExportFormat,
) -> impl Stream<Item = Result<Bytes, StoreError>> + Send {
    let first = CallPageRequest {
        sort: CallSort::StartedAt,
        order: SortOrder::Ascending,
        after: None,
        limit: BATCH,
    };
    futures_util::stream::unfold(Step::Header(first), move |step| {
        let store = Arc::clone(&store);
        let filter = filter.clone();
        async move {
            match step {
                Step::Header(request) => {
                    let header = match format {
                        ExportFormat::Csv => Bytes::from_static(CSV_HEADER.as_bytes()),
                        ExportFormat::Ndjson => Bytes::new(),
                    };
                    Some((Ok(header), Step::Page(request)))
                }
                Step::Page(request) => match store.list_calls(workspace, &filter, &request).await {
                    Ok(page) => {
                        let next = match page.next {
                            Some(after) => {
                                Step::Page(CallPageRequest { after: Some(after), ..request })
                            }
                            None => Step::Done,
                        };
                        Some((Ok(render(format, page.items)), next))
                    }
                    Err(err) => {
                        tracing::error!(error = %err, "export stopped");
                        Some((Err(err), Step::Done))
                    }
                },
                Step::Done => None,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    fn field(value: &str) -> String {
        let mut out = String::new();
        csv_field(&mut out, value);
        out
    }

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("+49301234567"), "+49301234567", "phone numbers stay as they are");
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(field("-cmd"), "\"'-cmd\"");
        assert_eq!(field("+1+cmd|' /C calc'!A0"), "\"'+1+cmd|' /C calc'!A0\"");
        assert_eq!(field("-2+3+cmd|' /C calc'!A0"), "\"'-2+3+cmd|' /C calc'!A0\"");
        assert_eq!(field("@SUM(A1)"), "\"'@SUM(A1)\"");
        assert_eq!(field("\tx"), "\"'\tx\"");
        assert_eq!(field("\rx"), "\"'\rx\"");
        assert_eq!(field("1234"), "1234");
        assert_eq!(field("+"), "\"'+\"", "a lone sign is not a number");
        assert_eq!(field("-5"), "\"'-5\"", "only + may open a number");
    }
}
