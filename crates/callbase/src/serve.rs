//! `callbase serve` and `callbase migrate`.

use std::sync::Arc;
use std::time::Instant;

use callbase_server::{AppState, Settings, bootstrap};
use callbase_store::{Admin, Backend, SqlStore, SqliteTuning};
use tokio_util::sync::CancellationToken;

use crate::config::{self, DataArgs, FileValues, ServeArgs};
use crate::logging;

/// Opens the configured database (creating the data directory for SQLite) and migrates it.
pub async fn open_store(settings: &Settings) -> Result<SqlStore, String> {
    if Backend::from_url(&settings.database_url) == Some(Backend::Sqlite) {
        std::fs::create_dir_all(&settings.data_dir).map_err(|e| {
            format!("cannot create data directory {}: {e}", settings.data_dir.display())
        })?;
    }
    let tuning =
        SqliteTuning { max_connections: settings.db_max_connections, ..SqliteTuning::default() };
    let store = SqlStore::connect(&settings.database_url, &tuning).await.map_err(|e| {
        format!("cannot open the database ({}): {e}", redact(&settings.database_url))
    })?;
    store.migrate().await.map_err(|e| format!("cannot migrate the database: {e}"))?;
    Ok(store)
}

/// Database URLs may carry a password; never print it.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

pub async fn migrate(args: DataArgs) -> Result<(), String> {
    let file = FileValues::load(args.config.as_deref())?;
    let (settings, logging) = config::resolve_data(&args, &file)?;
    logging::init(&logging)?;
    let store = open_store(&settings).await?;
    store.close().await;
    println!("database is up to date ({})", redact(&settings.database_url));
    Ok(())
}

pub async fn run(args: ServeArgs) -> Result<(), String> {
    let started = Instant::now();
    let file = FileValues::load(args.data.config.as_deref())?;
    let (settings, logging) = config::resolve_serve(&args, &file)?;
    logging::init(&logging)?;
    let store = open_store(&settings).await?;
    let first_run = bootstrap::first_run(&store, &settings).await?;
    match callbase_server::http::recordings::clear_abandoned_uploads(&settings.data_dir) {
        Ok(0) => {}
        Ok(removed) => tracing::info!(removed, "removed uploads a previous run left unfinished"),
        Err(err) => tracing::warn!(error = %err, "could not look for unfinished uploads"),
    }
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", settings.listen))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    let base_url = settings.public_url.clone().unwrap_or_else(|| format!("http://{address}"));
    print_banner(&base_url, &settings, first_run.as_ref());
    tracing::info!(
        %address,
        database = store.backend().as_str(),
        ready_ms = started.elapsed().as_millis(),
        "callbase is ready"
    );

    let shutdown = CancellationToken::new();
    tokio::spawn(stop_on_signal(shutdown.clone()));
    let state = AppState::new(Arc::new(store.clone()), settings)
        .map_err(|e| format!("recording storage: {e}"))?;
    callbase_server::serve(listener, state, shutdown)
        .await
        .map_err(|e| format!("server failed: {e}"))?;
    store.close().await;
    tracing::info!("callbase stopped");
    Ok(())
}

fn print_banner(base_url: &str, settings: &Settings, first_run: Option<&bootstrap::FirstRun>) {
    println!("callbase is running at {base_url}");
    println!("  API docs:  {base_url}/docs");
    println!("  database:  {}", redact(&settings.database_url));
    match first_run {
        Some(first) => {
            println!("  first start: created workspace Default and its admin");
            println!("  log in as {}", first.email);
            match &first.generated_password {
                Some(password) => {
                    println!("  password:  {password}   (shown once: store it now)");
                }
                None => println!("  password:  the one in CALLBASE_ADMIN_PASSWORD"),
            }
        }
        None => println!("  log in with your existing account"),
    }
    println!(
        "  curl -s {base_url}/api/v1/auth/login -H 'content-type: application/json' \\\n    -d '{{\"email\":\"{}\",\"password\":\"…\"}}'",
        settings.admin_email
    );
}

/// SIGTERM or SIGINT start a graceful shutdown.
async fn stop_on_signal(shutdown: CancellationToken) {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(err) => {
                    tracing::error!(error = %err, "cannot listen for SIGTERM");
                    let _ = interrupt.await;
                    shutdown.cancel();
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => tracing::info!("SIGINT: shutting down"),
            _ = terminate.recv() => tracing::info!("SIGTERM: shutting down"),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
    shutdown.cancel();
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_are_hidden() {
        assert_eq!(redact("postgres://u:secret@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite://x.db"), "sqlite://x.db");
    }
}
