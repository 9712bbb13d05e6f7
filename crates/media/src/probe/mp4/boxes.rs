//! ISO-BMFF box headers: 32-bit, 64-bit ("largesize") and to-the-end sizes, each checked against
//! its parent so that no walk can leave the box it is in.

use std::io::{Read, Seek};

use super::super::cursor::fourcc_str;
use super::super::source::Source;
use super::super::{ProbeError, corrupt};

/// Boxes walked inside one parent before giving up: fragmented files have thousands at the top.
pub(super) const MAX_CHILDREN: usize = 100_000;

/// A box's type and extent.
#[derive(Clone, Copy, Debug)]
pub(super) struct BoxHeader {
    pub(super) kind: [u8; 4],
    /// Where the payload begins (after the 8- or 16-byte header).
    pub(super) body: u64,
    pub(super) end: u64,
}

impl BoxHeader {
    pub(super) fn body_len(&self) -> u64 {
        self.end - self.body
    }
}

/// The box at `pos` inside a parent ending at `parent_end`; `None` when fewer than 8 bytes are
/// left (trailing padding). A box claiming more than its parent holds is truncation.
pub(super) fn read_box<R: Read + Seek>(
    src: &mut Source<R>,
    pos: u64,
    parent_end: u64,
) -> Result<Option<BoxHeader>, ProbeError> {
    if pos.saturating_add(8) > parent_end {
        return Ok(None);
    }
    let Some(h) = src.array_at::<16>(pos)?.or(src.array_at::<8>(pos)?.map(pad16)) else {
        return Err(corrupt(format!("truncated: box header at offset {pos} is cut off")));
    };
    let kind = [h[4], h[5], h[6], h[7]];
    let size32 = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
    let (size, header_len) = match size32 {
        0 => (parent_end - pos, 8),
        1 => {
            let large = u64::from_be_bytes([h[8], h[9], h[10], h[11], h[12], h[13], h[14], h[15]]);
            (large, 16)
        }
        n => (u64::from(n), 8),
    };
    if size < header_len || pos.saturating_add(header_len) > parent_end {
        return Err(corrupt(format!(
            "box '{}' at offset {pos} has an impossible size {size}",
            fourcc_str(kind)
        )));
    }
    let end = pos.saturating_add(size);
    if end > parent_end {
        return Err(corrupt(format!(
            "truncated: box '{}' at offset {pos} declares {size} bytes, {} are left",
            fourcc_str(kind),
            parent_end - pos
        )));
    }
    Ok(Some(BoxHeader { kind, body: pos + header_len, end }))
}

fn pad16(h: [u8; 8]) -> [u8; 16] {
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&h);
    out
}

/// The children of the box spanning `body..end`, in order.
pub(super) fn children<R: Read + Seek>(
    src: &mut Source<R>,
    body: u64,
    end: u64,
) -> Result<Vec<BoxHeader>, ProbeError> {
    let mut out = Vec::new();
    let mut pos = body;
    while let Some(b) = read_box(src, pos, end)? {
        src.tick()?;
        if out.len() >= MAX_CHILDREN {
            return Err(corrupt(format!("more than {MAX_CHILDREN} boxes in one parent")));
        }
        pos = b.end;
        out.push(b);
    }
    Ok(out)
}

/// The first child of kind `kind`.
pub(super) fn child(children: &[BoxHeader], kind: &[u8; 4]) -> Option<BoxHeader> {
    children.iter().find(|b| &b.kind == kind).copied()
}

/// The first box found by following `path` down from the children `from`.
pub(super) fn find_path<R: Read + Seek>(
    src: &mut Source<R>,
    from: &[BoxHeader],
    path: &[&[u8; 4]],
) -> Result<Option<BoxHeader>, ProbeError> {
    let Some((first, rest)) = path.split_first() else { return Ok(None) };
    let Some(found) = child(from, first) else { return Ok(None) };
    if rest.is_empty() {
        return Ok(Some(found));
    }
    let inner = children(src, found.body, found.end)?;
    find_path(src, &inner, rest)
}
