//! The work a probe may do (REL-6, PERF-11): steps counted as the parsers go, a limit linear in
//! the file's size, and a switch that stops a probe nobody is waiting for any more.
//!
//! A step costs about what visiting one element costs (tens of nanoseconds): one chunk, box,
//! page, frame, element or candidate visited, or, for work on bytes, one KiB copied, 256 bytes
//! read from the file, 64 bytes scanned for a signature or 16 bytes checksummed. Every parser is
//! linear in the bytes it reads, so real media stay far below the limit (the most demanding, a
//! one-hour VBR MP3 without a Xing header walked frame by frame, takes under 2 % of it); the
//! limit is the backstop that turns a parser mistake into an error instead of minutes of CPU.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::ProbeError;

/// How much work a probe may do, and the switch that cancels it. Clones share the switch: the
/// server keeps one to cancel a probe that runs on a blocking thread with another.
#[derive(Clone, Debug)]
pub struct ProbeBudget {
    base_steps: u64,
    steps_per_mib: u64,
    cancelled: Arc<AtomicBool>,
}

impl ProbeBudget {
    /// Steps any file may take whatever its size: the fixed reads of a head and a tail.
    pub const BASE_STEPS: u64 = 1 << 18;
    /// Steps allowed per MiB of file on top: at tens of nanoseconds a step, a few tens of
    /// milliseconds of CPU (PERF-11: at most ~100 ms per MiB).
    pub const STEPS_PER_MIB: u64 = 1 << 20;

    /// The budget every upload gets: [`Self::BASE_STEPS`] + [`Self::STEPS_PER_MIB`] per MiB.
    pub fn new() -> Self {
        Self::with_allowance(Self::BASE_STEPS, Self::STEPS_PER_MIB)
    }

    /// A budget of `base_steps` plus `steps_per_mib` for each MiB of the file.
    pub fn with_allowance(base_steps: u64, steps_per_mib: u64) -> Self {
        ProbeBudget { base_steps, steps_per_mib, cancelled: Arc::new(AtomicBool::new(false)) }
    }

    /// No limit but cancellation: for measuring what a probe takes.
    pub fn unlimited() -> Self {
        Self::with_allowance(u64::MAX, 0)
    }

    /// The steps a probe of a file of `size` bytes may take.
    pub fn allowed_steps(&self, size: u64) -> u64 {
        let per_size = (u128::from(size) * u128::from(self.steps_per_mib)) >> 20;
        self.base_steps.saturating_add(u64::try_from(per_size).unwrap_or(u64::MAX))
    }

    /// Stops every probe running on this budget (or a clone of it) at its next check, with
    /// [`ProbeError::Cancelled`].
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    /// The counter for one probe of a file of `size` bytes.
    pub(crate) fn start(&self, size: u64) -> Work {
        Work {
            used: 0,
            allowed: self.allowed_steps(size),
            size,
            carry: 0,
            next_check: 0,
            cancelled: Arc::clone(&self.cancelled),
        }
    }
}

impl Default for ProbeBudget {
    fn default() -> Self {
        Self::new()
    }
}

/// Fractions of a step, for work counted per byte.
const PARTS: u64 = 1024;
/// Steps between looks at the cancel switch: it stops a probe within microseconds.
const CHECK_EVERY: u64 = 256;
/// What one read from the file costs on top of its bytes (a system call).
const READ_CALL_STEPS: u64 = 8;

/// The steps one probe has taken against what its file allows. A plain counter: the switch is
/// looked at every [`CHECK_EVERY`] steps, not at every step.
#[derive(Debug)]
pub(crate) struct Work {
    used: u64,
    allowed: u64,
    size: u64,
    /// Fractions of a step ([`PARTS`] make one) from byte work not yet counted.
    carry: u64,
    next_check: u64,
    cancelled: Arc<AtomicBool>,
}

impl Work {
    /// One element, box, page, frame or candidate visited.
    pub(crate) fn tick(&mut self) -> Result<(), ProbeError> {
        self.steps(1)
    }

    pub(crate) fn steps(&mut self, n: u64) -> Result<(), ProbeError> {
        self.used = self.used.saturating_add(n);
        if self.used > self.allowed {
            return Err(ProbeError::TooMuchWork(format!(
                "reading it takes more than {} steps, the most a file of {} bytes may take",
                self.allowed, self.size
            )));
        }
        if self.used >= self.next_check {
            self.next_check = self.used.saturating_add(CHECK_EVERY);
            if self.cancelled.load(Ordering::Relaxed) {
                return Err(ProbeError::Cancelled);
            }
        }
        Ok(())
    }

    /// Bytes copied out of the cache: a step a KiB.
    pub(crate) fn copied(&mut self, bytes: usize) -> Result<(), ProbeError> {
        self.parts(bytes as u64)
    }

    /// Bytes read from the file: a step per 256, and [`READ_CALL_STEPS`] a read.
    pub(crate) fn loaded(&mut self, bytes: usize) -> Result<(), ProbeError> {
        self.steps(READ_CALL_STEPS)?;
        self.parts((bytes as u64).saturating_mul(4))
    }

    /// Bytes looked through for a signature or parsed in memory: a step per 64.
    pub(crate) fn scanned(&mut self, bytes: usize) -> Result<(), ProbeError> {
        self.parts((bytes as u64).saturating_mul(16))
    }

    /// Bytes run through a CRC: a step per 16.
    pub(crate) fn checksummed(&mut self, bytes: usize) -> Result<(), ProbeError> {
        self.parts((bytes as u64).saturating_mul(64))
    }

    fn parts(&mut self, parts: u64) -> Result<(), ProbeError> {
        let total = self.carry.saturating_add(parts);
        self.carry = total % PARTS;
        self.steps(total / PARTS)
    }

    /// Steps taken so far.
    pub(crate) fn used(&self) -> u64 {
        self.used
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_allowance_grows_with_the_size() {
        let budget = ProbeBudget::with_allowance(100, 1 << 20);
        assert_eq!(budget.allowed_steps(0), 100);
        assert_eq!(budget.allowed_steps(1 << 20), 100 + (1 << 20));
        assert_eq!(ProbeBudget::unlimited().allowed_steps(u64::MAX), u64::MAX);
    }

    #[test]
    fn work_past_the_allowance_is_refused() {
        let mut work = ProbeBudget::with_allowance(10, 0).start(5);
        for _ in 0..10 {
            work.tick().expect("within the allowance");
        }
        match work.tick() {
            Err(ProbeError::TooMuchWork(reason)) => assert!(reason.contains("5 bytes"), "{reason}"),
            other => panic!("expected TooMuchWork, got {other:?}"),
        }
    }

    #[test]
    fn byte_work_adds_up_in_fractions() {
        let mut work = ProbeBudget::unlimited().start(0);
        for _ in 0..1024 {
            work.copied(1).expect("counted");
        }
        assert_eq!(work.used(), 1);
        work.checksummed(16 * 10).expect("counted");
        assert_eq!(work.used(), 11);
    }

    #[test]
    fn a_cancelled_budget_stops_its_clones() {
        let budget = ProbeBudget::new();
        let canceller = budget.clone();
        let mut work = budget.start(1000);
        work.tick().expect("not yet cancelled");
        std::thread::spawn(move || canceller.cancel()).join().expect("cancelled");
        let stopped = (0..=CHECK_EVERY).map(|_| work.tick()).find(Result::is_err);
        assert!(matches!(stopped, Some(Err(ProbeError::Cancelled))), "{stopped:?}");
    }
}
