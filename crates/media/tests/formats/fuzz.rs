//! REL-2: arbitrary bytes, and random damage to real files, never make `sniff` or `probe` panic
//! or hang, never give implausible facts, and stay within the work budget (REL-6; the crafted
//! worst cases of every format are in `adversarial`).

use std::io::Cursor;
use std::sync::mpsc;
use std::time::Duration;

use callbase_media::probe::{ProbeBudget, probe_measured, sniff};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::bad::assert_plausible;
use crate::corpus::CORPUS;

/// How long all cases together may take before we call it a hang.
const DEADLINE: Duration = Duration::from_secs(60);

/// Signatures that steer random bytes into each parser instead of the "unsupported" exit.
const PREFIXES: &[&[u8]] = &[
    b"RIFF\x24\0\0\0WAVEfmt ",
    b"RF64\xff\xff\xff\xffWAVEds64",
    b"ID3\x04\0\0\0\0\0\x10",
    &[0xFF, 0xFB, 0x90, 0x64],
    b"OggS\0\x02",
    b"fLaC\0\0\0\x22",
    b"\0\0\0\x18ftypM4A ",
    b"\0\0\0\x08wide",
    &[0x1A, 0x45, 0xDF, 0xA3],
    b"",
];

fn check(bytes: &[u8], what: &str) {
    let _ = sniff(bytes);
    let len = bytes.len() as u64;
    let (result, steps) = probe_measured(Cursor::new(bytes), len, &ProbeBudget::unlimited());
    let allowed = ProbeBudget::default().allowed_steps(len);
    assert!(steps <= allowed, "{what}: {steps} steps, {allowed} allowed");
    if let Ok(facts) = result {
        assert_plausible(&facts, what);
    }
}

/// Runs `cases` on a thread and fails if it does not finish by the deadline.
fn within_deadline(name: &'static str, cases: impl FnOnce() + Send + 'static) {
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        cases();
        let _ = done.send(());
    });
    match finished.recv_timeout(DEADLINE) {
        Ok(()) => {}
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{name}: still running after {DEADLINE:?}"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{name}: a case panicked"),
    }
}

#[test]
fn random_bytes_never_panic_or_hang() {
    within_deadline("random bytes", || {
        let mut rng = StdRng::seed_from_u64(0x5EED_0001);
        for case in 0..4000 {
            let prefix = PREFIXES[case % PREFIXES.len()];
            let len = rng.random_range(0..4096);
            let mut bytes = prefix.to_vec();
            bytes.extend((0..len).map(|_| rng.random::<u8>()));
            check(&bytes, &format!("random case {case}"));
        }
    });
}

#[test]
fn mutated_real_files_never_panic_or_hang() {
    let files: Vec<(String, Vec<u8>)> = CORPUS
        .samples
        .iter()
        .filter(|s| !s.long)
        .map(|s| (s.name.to_owned(), std::fs::read(&s.path).expect("read sample")))
        .collect();
    within_deadline("mutations", move || {
        let mut rng = StdRng::seed_from_u64(0x5EED_0002);
        for case in 0..3000 {
            let (name, original) = &files[case % files.len()];
            let mutated = mutate(&mut rng, original);
            check(&mutated, &format!("{name} mutation {case}"));
        }
    });
}

/// Flips, overwrites with extreme values, cuts, or splices bytes, mostly near the start where
/// the headers are.
fn mutate(rng: &mut StdRng, original: &[u8]) -> Vec<u8> {
    let mut bytes = original.to_vec();
    let near_start = |rng: &mut StdRng, len: usize| {
        if rng.random_bool(0.7) {
            rng.random_range(0..len.min(1024))
        } else {
            rng.random_range(0..len)
        }
    };
    for _ in 0..rng.random_range(1..=4) {
        let len = bytes.len();
        if len == 0 {
            break;
        }
        match rng.random_range(0..5) {
            0 => {
                let at = near_start(rng, len);
                bytes[at] ^= 1 << rng.random_range(0..8);
            }
            1 => {
                let at = near_start(rng, len);
                let end = (at + 4).min(len);
                let value = if rng.random_bool(0.5) { 0xFF } else { 0x00 };
                bytes[at..end].fill(value);
            }
            2 => bytes.truncate(rng.random_range(0..len)),
            3 => {
                let at = near_start(rng, len);
                let n = rng.random_range(1..64).min(len - at);
                bytes.drain(at..at + n);
            }
            _ => {
                let at = near_start(rng, len);
                let junk: Vec<u8> =
                    (0..rng.random_range(1..64)).map(|_| rng.random::<u8>()).collect();
                bytes.splice(at..at, junk);
            }
        }
    }
    bytes
}
