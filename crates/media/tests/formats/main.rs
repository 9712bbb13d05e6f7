//! Format detection and media facts against real files made at test time by espeak-ng, sox and
//! ffmpeg, with ffprobe as the reference (REC-1, REC-2), plus truncated, corrupt, foreign and
//! random inputs (REL-2).

mod bad;
mod corpus;
mod ffprobe;
mod fuzz;
mod good;
