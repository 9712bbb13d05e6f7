//! Hostile inputs for every format, made to a given size: runs of minimal elements, frames,
//! boxes and pages; the largest sizes a header can declare; deep nesting; unknown sizes; and the
//! two that once cost seconds per MiB (a WebM tail of hidden audio-free Clusters, an MP3 run of
//! an incompatible stream). Shared by the budget tests and `examples/adversarial_bench.rs`.

mod iso;
mod matroska;
mod streams;

/// One crafted file.
pub struct Crafted {
    pub format: &'static str,
    pub name: &'static str,
    pub bytes: Vec<u8>,
}

/// A generator: format, name, and the function that makes about `size` bytes of it.
type Maker = (&'static str, &'static str, fn(usize) -> Vec<u8>);

/// Every crafted input, each about `size` bytes (at least 64 KiB is assumed).
pub fn all(size: usize) -> Vec<Crafted> {
    [streams::CASES, iso::CASES, matroska::CASES]
        .concat()
        .into_iter()
        .map(|(format, name, make)| Crafted { format, name, bytes: make(size) })
        .collect()
}
