//! Media for callbase: what a file is (sniffed from its bytes), its facts (duration, codec,
//! rate, channels, bitrate) read in-process from its headers, and where recordings are kept.

pub mod probe;
pub mod storage;
