//! `callbase`: one binary for the server and its administration.

mod accounts;
mod bench;
mod config;
mod data;
mod demo;
mod logging;
mod parse;
mod probe;
mod serve;

use std::process::ExitCode;

/// mimalloc instead of glibc's allocator: under many concurrent requests glibc's arenas spent
/// a fifth of the server's time in malloc and free (see BENCHMARKS.md, ingest; measured again
/// for PERF-5: glibc costs ~25 % more CPU per appended event). Built without transparent huge
/// pages (Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "callbase",
    version,
    about = "Provider-agnostic call management and call logging server"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server (creates and migrates the database; first start creates the admin).
    Serve(Box<config::ServeArgs>),
    /// Create or upgrade the database schema, then exit.
    Migrate(config::DataArgs),
    /// Manage user accounts on the database directly.
    User {
        #[command(subcommand)]
        action: accounts::UserAction,
    },
    /// Create API tokens on the database directly.
    Token {
        #[command(subcommand)]
        action: accounts::TokenAction,
    },
    /// Fill a workspace with realistic calls and timelines (for trying and benchmarking).
    DemoData(Box<data::DemoArgs>),
    /// Write a workspace's calls as CSV or NDJSON, with the filters of GET /calls.
    Export(Box<data::ExportArgs>),
    /// Measure ingest, history, statistics, start-up and memory on prepared databases (PERF-1,
    /// 2, 3, 5), each figure beside its target.
    Bench(Box<bench::BenchArgs>),
    /// Print the media facts of audio files as the server reads them, with timings (PERF-4).
    Probe(probe::ProbeArgs),
    /// Print the OpenAPI document this build serves.
    Openapi,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    callbase_server::install_tls_provider();
    // Idle blocking threads end after a second, not tokio's default ten: mimalloc returns
    // what a thread freed (a login's 19 MiB of Argon2 memory) to the system when it ends,
    // and an idle server has nothing else that would make it do so sooner (PERF-5).
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_keep_alive(std::time::Duration::from_secs(1))
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => return fail(&format!("cannot start the async runtime: {err}")),
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => serve::run(*args).await,
            Command::Migrate(args) => serve::migrate(args).await,
            Command::User { action } => accounts::user(action).await,
            Command::Token { action } => accounts::token(action).await,
            Command::DemoData(args) => data::demo(*args).await,
            Command::Export(args) => data::export(*args).await,
            Command::Bench(args) => bench::run(*args).await,
            Command::Probe(args) => probe::run(&args),
            Command::Openapi => {
                print!("{}", callbase_server::openapi_json());
                Ok(())
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => fail(&message),
    }
}

/// One line on stderr, no backtrace: what is wrong and where.
fn fail(message: &str) -> ExitCode {
    eprintln!("callbase: {message}");
    ExitCode::from(2)
}
