//! Positioned reads over the probed file through a one-block cache, so that header walks (and
//! the MP3 frame walk) cost one system call per 64 KiB rather than one per field; every read is
//! counted against the probe's [`Work`].

use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Range;

use super::ProbeError;
use super::budget::Work;

/// Bytes fetched per cache miss: the first read (the head); reading on from the cached block
/// (the MP3 frame walk, a header right after the one before), where bigger blocks mean fewer
/// system calls; and jumping elsewhere (a box header past an `mdat`, a sampled frame), where
/// misses are many and sparse in fragmented MP4 files, so each fetches little.
const FIRST_BLOCK: usize = 64 * 1024;
const ONWARD_BLOCK: usize = 256 * 1024;
const JUMP_BLOCK: usize = 4 * 1024;

/// The largest single read a parser may ask for: lengths come from untrusted headers, so each
/// caller caps its request, and this is the backstop.
pub(crate) const MAX_READ: usize = 8 * 1024 * 1024;

/// A reader of known size with random access, and the work done on it.
pub(crate) struct Source<R> {
    inner: R,
    size: u64,
    block_start: u64,
    block: Vec<u8>,
    work: Work,
}

impl<R: Read + Seek> Source<R> {
    pub(crate) fn new(inner: R, size: u64, work: Work) -> Self {
        Source { inner, size, block_start: 0, block: Vec::new(), work }
    }

    /// The file's size as the caller stated it.
    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    /// The probe's work counter.
    pub(crate) fn work(&mut self) -> &mut Work {
        &mut self.work
    }

    /// Counts one element, box, page, frame or candidate visited.
    pub(crate) fn tick(&mut self) -> Result<(), ProbeError> {
        self.work.tick()
    }

    /// Up to `len` bytes at `offset`: fewer at the end of the file, none past it.
    pub(crate) fn read_at(&mut self, offset: u64, len: usize) -> Result<Vec<u8>, ProbeError> {
        let range = self.fill(offset, len)?;
        let out = self.block.get(range).unwrap_or(&[]).to_vec();
        self.work.copied(out.len())?;
        Ok(out)
    }

    /// Exactly `N` bytes at `offset`, or `None` when the file ends first.
    pub(crate) fn array_at<const N: usize>(
        &mut self,
        offset: u64,
    ) -> Result<Option<[u8; N]>, ProbeError> {
        let range = self.fill(offset, N)?;
        self.work.copied(N)?;
        Ok(self.block.get(range).and_then(|b| b.try_into().ok()))
    }

    /// Up to `len` bytes at `offset` borrowed from the cache rather than copied, with the work
    /// counter: for scans that usually stop early, the caller counts what it looks through.
    pub(crate) fn view(
        &mut self,
        offset: u64,
        len: usize,
    ) -> Result<(&[u8], &mut Work), ProbeError> {
        let range = self.fill(offset, len)?;
        Ok((self.block.get(range).unwrap_or(&[]), &mut self.work))
    }

    /// Where `[offset, offset + len)`, clipped to the file, lies in the cache, reading a block
    /// if needed.
    fn fill(&mut self, offset: u64, len: usize) -> Result<Range<usize>, ProbeError> {
        let len = len.min(MAX_READ);
        if offset >= self.size || len == 0 {
            return Ok(0..0);
        }
        let want = usize::try_from((self.size - offset).min(len as u64)).unwrap_or(len);
        let cached = offset >= self.block_start
            && offset - self.block_start + want as u64 <= self.block.len() as u64;
        if !cached {
            let block_end = self.block_start + self.block.len() as u64;
            let block = if self.block.is_empty() {
                FIRST_BLOCK
            } else if offset >= self.block_start
                && offset - block_end.min(offset) < JUMP_BLOCK as u64
            {
                ONWARD_BLOCK
            } else {
                JUMP_BLOCK
            };
            self.load(offset, want.max(block))?;
        }
        let start = usize::try_from(offset - self.block_start).unwrap_or(usize::MAX);
        let end = start.saturating_add(want).min(self.block.len());
        Ok(start.min(end)..end)
    }

    /// Replaces the cache with up to `len` bytes at `offset`; a reader shorter than the stated
    /// size simply yields fewer bytes, which parsers then report as truncation.
    fn load(&mut self, offset: u64, len: usize) -> Result<(), ProbeError> {
        let len = usize::try_from((self.size - offset).min(len as u64)).unwrap_or(len);
        self.work.loaded(len)?;
        self.block.clear();
        self.block.resize(len, 0);
        self.block_start = offset;
        self.inner.seek(SeekFrom::Start(offset))?;
        let mut filled = 0;
        while filled < len {
            match self.inner.read(&mut self.block[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        self.block.truncate(filled);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::ProbeBudget;
    use std::io::Cursor;

    fn source(data: Vec<u8>, size: u64) -> Source<Cursor<Vec<u8>>> {
        Source::new(Cursor::new(data), size, ProbeBudget::unlimited().start(size))
    }

    #[test]
    fn reads_clip_at_the_end_and_cross_blocks() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut src = source(data.clone(), data.len() as u64);
        assert_eq!(src.read_at(10, 4).expect("read"), &data[10..14]);
        assert_eq!(src.read_at(65_530, 12).expect("read"), &data[65_530..65_542]);
        assert_eq!(src.read_at(199_998, 10).expect("read"), &data[199_998..]);
        assert!(src.read_at(300_000, 10).expect("read").is_empty());
        assert_eq!(src.array_at::<2>(199_999).expect("read"), None);
        assert_eq!(src.array_at::<2>(0).expect("read"), Some([0, 1]));
        assert_eq!(src.view(100, 3).expect("view").0, &data[100..103]);
    }

    #[test]
    fn a_reader_shorter_than_its_stated_size_yields_fewer_bytes() {
        let mut src = source(vec![7u8; 10], 100);
        assert_eq!(src.read_at(5, 20).expect("read").len(), 5);
    }

    #[test]
    fn reads_are_counted() {
        let mut src = source(vec![0u8; 300_000], 300_000);
        src.read_at(0, 64 * 1024).expect("read");
        // One read of 64 KiB (8 + 256 steps) and 64 KiB copied (64 steps).
        assert_eq!(src.work().used(), 8 + 256 + 64);
        src.view(1000, 1000).expect("view");
        assert_eq!(src.work().used(), 8 + 256 + 64, "a view of cached bytes is free");
    }
}
