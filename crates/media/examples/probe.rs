//! Probes each file named on the command line and prints its facts as one JSON line, with the
//! time the probe took (open included): `cargo run --release -p callbase-media --example probe
//! -- FILE...`.

use std::path::Path;
use std::time::Instant;

use callbase_media::probe::probe_file;

fn main() {
    let mut failed = false;
    let total = Instant::now();
    for arg in std::env::args().skip(1) {
        let started = Instant::now();
        let result = probe_file(Path::new(&arg));
        let micros = started.elapsed().as_micros();
        match result {
            Ok(f) => println!(
                "{{\"file\":{arg:?},\"format\":\"{}\",\"codec\":\"{}\",\"duration_ms\":{},\"sample_count\":{},\"sample_rate\":{},\"channels\":{},\"bitrate\":{},\"elapsed_us\":{micros}}}",
                f.format,
                f.codec,
                f.duration_ms,
                f.sample_count.map_or("null".to_owned(), |n| n.to_string()),
                f.sample_rate,
                f.channels,
                f.bitrate,
            ),
            Err(e) => {
                failed = true;
                println!(
                    "{{\"file\":{arg:?},\"error\":{:?},\"elapsed_us\":{micros}}}",
                    e.to_string()
                );
            }
        }
    }
    eprintln!("total: {} us", total.elapsed().as_micros());
    std::process::exit(i32::from(failed));
}
