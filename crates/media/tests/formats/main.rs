//! Format detection and media facts against real files made at test time by espeak-ng, sox and
//! ffmpeg, with ffprobe as the reference (REC-1, REC-2), plus truncated, corrupt, foreign and
//! random inputs (REL-2), and crafted ones probed within their work budget (REL-6, PERF-11).

mod adversarial;
mod bad;
mod corpus;
mod crafted;
mod ffprobe;
mod fuzz;
mod good;
