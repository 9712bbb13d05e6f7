//! Positioned reads over the probed file through a one-block cache, so that header walks (and
//! the MP3 frame walk) cost one system call per 64 KiB rather than one per field.

use std::io::{self, Read, Seek, SeekFrom};

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

/// A reader of known size with random access.
pub(crate) struct Source<R> {
    inner: R,
    size: u64,
    block_start: u64,
    block: Vec<u8>,
}

impl<R: Read + Seek> Source<R> {
    pub(crate) fn new(inner: R, size: u64) -> Self {
        Source { inner, size, block_start: 0, block: Vec::new() }
    }

    /// The file's size as the caller stated it.
    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    /// Up to `len` bytes at `offset`: fewer at the end of the file, none past it.
    pub(crate) fn read_at(&mut self, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        Ok(self.fill(offset, len)?.to_vec())
    }

    /// Exactly `N` bytes at `offset`, or `None` when the file ends first.
    pub(crate) fn array_at<const N: usize>(&mut self, offset: u64) -> io::Result<Option<[u8; N]>> {
        Ok(self.fill(offset, N)?.try_into().ok())
    }

    /// The cached bytes `[offset, offset + len)`, clipped to the file, reading a block if needed.
    fn fill(&mut self, offset: u64, len: usize) -> io::Result<&[u8]> {
        let len = len.min(MAX_READ);
        if offset >= self.size || len == 0 {
            return Ok(&[]);
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
        let end = (start + want).min(self.block.len());
        Ok(self.block.get(start..end).unwrap_or(&[]))
    }

    /// Replaces the cache with up to `len` bytes at `offset`; a reader shorter than the stated
    /// size simply yields fewer bytes, which parsers then report as truncation.
    fn load(&mut self, offset: u64, len: usize) -> io::Result<()> {
        let len = usize::try_from((self.size - offset).min(len as u64)).unwrap_or(len);
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
                Err(e) => return Err(e),
            }
        }
        self.block.truncate(filled);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn reads_clip_at_the_end_and_cross_blocks() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut src = Source::new(Cursor::new(data.clone()), data.len() as u64);
        assert_eq!(src.read_at(10, 4).expect("read"), &data[10..14]);
        assert_eq!(src.read_at(65_530, 12).expect("read"), &data[65_530..65_542]);
        assert_eq!(src.read_at(199_998, 10).expect("read"), &data[199_998..]);
        assert!(src.read_at(300_000, 10).expect("read").is_empty());
        assert_eq!(src.array_at::<2>(199_999).expect("read"), None);
        assert_eq!(src.array_at::<2>(0).expect("read"), Some([0, 1]));
    }

    #[test]
    fn a_reader_shorter_than_its_stated_size_yields_fewer_bytes() {
        let mut src = Source::new(Cursor::new(vec![7u8; 10]), 100);
        assert_eq!(src.read_at(5, 20).expect("read").len(), 5);
    }
}
