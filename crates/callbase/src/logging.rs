//! Log output: pretty for people, JSON for collectors; the filter comes from the settings.

use tracing_subscriber::EnvFilter;

use crate::config::{LogFormat, Logging};

pub fn init(logging: &Logging) -> Result<(), String> {
    let filter = EnvFilter::try_new(&logging.filter)
        .map_err(|e| format!("invalid setting `log` ({:?}): {e}", logging.filter))?;
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let result = match logging.format {
        LogFormat::Pretty => builder.compact().try_init(),
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).try_init(),
    };
    result.map_err(|e| format!("cannot set up logging: {e}"))
}
