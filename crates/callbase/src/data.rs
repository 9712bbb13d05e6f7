//! `callbase demo-data` and `callbase export`: bulk work on a workspace's calls, straight on
//! the database.

use std::io::Write;
use std::path::PathBuf;

use callbase_app::calls::export::{ExportFormat, export_stream};
use callbase_app::calls::search::CallSearch;
use callbase_domain::call::{CallStatus, Direction, Source};
use callbase_domain::{Timestamp, WorkspaceId};
use callbase_server::{Settings, bootstrap};
use callbase_store::{PageRequest, SortOrder, SqlStore, Store, WorkspaceFilter, WorkspaceStore};
use clap::{Args, ValueEnum};
use futures_util::StreamExt;

use crate::config::{self, DataArgs, FileValues};
use crate::demo::{DemoPlan, generate};
use crate::{logging, serve};

#[derive(Debug, Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// The workspace to fill [default: the oldest].
    #[arg(long, value_name = "WORKSPACE_ID")]
    pub workspace: Option<WorkspaceId>,
    /// How many calls to write.
    #[arg(long, default_value_t = 10_000)]
    pub calls: u64,
    /// Spread them over this many days up to today.
    #[arg(long, default_value_t = 90)]
    pub days: u32,
    /// Same seed, same calls (ids and dates aside) [default: random].
    #[arg(long)]
    pub seed: Option<u64>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Csv,
    Ndjson,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// The workspace to export [default: the oldest].
    #[arg(long, value_name = "WORKSPACE_ID")]
    pub workspace: Option<WorkspaceId>,
    #[arg(long, value_enum, default_value = "csv")]
    pub format: FormatArg,
    /// Write here instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Only calls with this status.
    #[arg(long, value_parser = |s: &str| s.parse::<CallStatus>().map_err(|e| e.to_string()))]
    pub status: Option<CallStatus>,
    /// inbound, outbound or internal.
    #[arg(long, value_parser = |s: &str| s.parse::<Direction>().map_err(|e| e.to_string()))]
    pub direction: Option<Direction>,
    #[arg(long, value_parser = |s: &str| Source::parse(s).map_err(|e| e.to_string()))]
    pub source: Option<Source>,
    /// Either number in any format, or at least 4 trailing digits.
    #[arg(long)]
    pub number: Option<String>,
    /// Started at or after (RFC 3339).
    #[arg(long, value_parser = |s: &str| s.parse::<Timestamp>().map_err(|e| e.to_string()))]
    pub from: Option<Timestamp>,
    /// Started before (RFC 3339).
    #[arg(long, value_parser = |s: &str| s.parse::<Timestamp>().map_err(|e| e.to_string()))]
    pub to: Option<Timestamp>,
    #[arg(long)]
    pub tag: Option<String>,
    /// Words in names or notes.
    #[arg(long)]
    pub q: Option<String>,
}

async fn open(data: &DataArgs) -> Result<(SqlStore, Settings), String> {
    let file = FileValues::load(data.config.as_deref())?;
    let (mut settings, logging) = config::resolve_data(data, &file)?;
    settings.db_max_connections = settings.db_max_connections.min(4);
    logging::init(&logging)?;
    Ok((serve::open_store(&settings).await?, settings))
}

/// The given workspace, which must exist, or the oldest one.
async fn workspace(store: &SqlStore, given: Option<WorkspaceId>) -> Result<WorkspaceId, String> {
    if let Some(id) = given {
        return match store.workspace(id).await.map_err(|e| e.to_string())? {
            Some(_) => Ok(id),
            None => Err(format!("no workspace {id}")),
        };
    }
    let page = PageRequest { order: SortOrder::Ascending, ..PageRequest::first(1) };
    let oldest = store
        .list_workspaces(&WorkspaceFilter::default(), &page)
        .await
        .map_err(|e| e.to_string())?;
    oldest
        .items
        .first()
        .map(|w| w.id)
        .ok_or_else(|| "there is no workspace yet: run `callbase serve` once".to_owned())
}

pub async fn demo(args: DemoArgs) -> Result<(), String> {
    let (store, settings) = open(&args.data).await?;
    // On a new database, make what `serve` would on its first start.
    if let Some(first) = bootstrap::first_run(&store, &settings).await? {
        println!("created workspace Default and its admin {}", first.email);
        if let Some(password) = first.generated_password {
            println!("  password (shown once): {password}");
        }
    }
    let workspace = workspace(&store, args.workspace).await?;
    let seed = args.seed.unwrap_or_else(rand::random);
    let plan = DemoPlan { workspace, calls: args.calls, days: args.days, seed };
    let result = generate(&store, &plan).await;
    store.close().await;
    result
}

pub async fn export(args: ExportArgs) -> Result<(), String> {
    let (store, _) = open(&args.data).await?;
    let workspace_id = workspace(&store, args.workspace).await?;
    let region = callbase_app::calls::workspace_region(&store, workspace_id)
        .await
        .map_err(|e| e.to_string())?;
    let search = CallSearch {
        status: args.status,
        direction: args.direction,
        source: args.source,
        number: args.number,
        from: args.from,
        to: args.to,
        tag: args.tag,
        q: args.q,
        ..CallSearch::default()
    };
    let filter = search.into_filter(region.as_ref()).map_err(|e| e.to_string())?;
    let format = match args.format {
        FormatArg::Csv => ExportFormat::Csv,
        FormatArg::Ndjson => ExportFormat::Ndjson,
    };
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .map_err(|e| format!("cannot create {}: {e}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let store: std::sync::Arc<dyn Store> = std::sync::Arc::new(store);
    let mut chunks = Box::pin(export_stream(store.clone(), workspace_id, filter, format));
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|e| format!("reading calls: {e}"))?;
        out.write_all(&chunk).map_err(|e| format!("writing the export: {e}"))?;
    }
    out.flush().map_err(|e| format!("writing the export: {e}"))?;
    Ok(())
}
