//! Links the binary with packed relative relocations (DT_RELR) on Linux with glibc: the
//! loader then reads 15 KB of relocations at start instead of 1.2 MB, which stayed resident
//! (PERF-5: idle 29.8 → 27.9 MB, BENCHMARKS.md). Needs GNU ld ≥ 2.38 or lld to link (an
//! older ld ignores the flag with a warning) and glibc ≥ 2.36 to run (Debian 12).

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}
