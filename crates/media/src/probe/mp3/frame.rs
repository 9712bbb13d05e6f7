//! MPEG audio frame headers (MPEG-1, -2 and -2.5, Layers I–III) and the chain test that tells a
//! real frame from a stray 0xFFE sync pattern: a frame counts only when the next one follows it.

/// MPEG version of a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Version {
    Mpeg1,
    Mpeg2,
    Mpeg25,
}

/// The fields of a 4-byte frame header that size and time the frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FrameHeader {
    pub(crate) version: Version,
    /// 1, 2 or 3.
    pub(crate) layer: u8,
    pub(crate) bitrate_kbps: u32,
    pub(crate) sample_rate: u32,
    pub(crate) padding: bool,
    pub(crate) protected: bool,
    pub(crate) mono: bool,
}

const BITRATES_V1: [[u32; 15]; 3] = [
    [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
    [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
    [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
];
const BITRATES_V2: [[u32; 15]; 2] = [
    [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
    [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
];

impl FrameHeader {
    /// The header in `b`, or `None` if it is no valid frame header. Free-format (bitrate 0) and
    /// reserved emphasis are rejected: no recorder writes them, and refusing them halves false
    /// syncs.
    pub(crate) fn parse(b: [u8; 4]) -> Option<Self> {
        if b[0] != 0xFF || b[1] & 0xE0 != 0xE0 {
            return None;
        }
        let version = match (b[1] >> 3) & 3 {
            0 => Version::Mpeg25,
            2 => Version::Mpeg2,
            3 => Version::Mpeg1,
            _ => return None,
        };
        let layer = match (b[1] >> 1) & 3 {
            1 => 3,
            2 => 2,
            3 => 1,
            _ => return None,
        };
        let bitrate_index = usize::from(b[2] >> 4);
        let rate_index = usize::from((b[2] >> 2) & 3);
        if bitrate_index == 0 || bitrate_index == 15 || rate_index == 3 || b[3] & 3 == 2 {
            return None;
        }
        let bitrate_kbps = match version {
            Version::Mpeg1 => BITRATES_V1[usize::from(layer - 1)][bitrate_index],
            _ => BITRATES_V2[usize::from(layer != 1)][bitrate_index],
        };
        let base_rate = [44_100, 48_000, 32_000][rate_index];
        let sample_rate = match version {
            Version::Mpeg1 => base_rate,
            Version::Mpeg2 => base_rate / 2,
            Version::Mpeg25 => base_rate / 4,
        };
        Some(FrameHeader {
            version,
            layer,
            bitrate_kbps,
            sample_rate,
            padding: b[2] & 2 != 0,
            protected: b[1] & 1 == 0,
            mono: b[3] >> 6 == 3,
        })
    }

    /// Samples per channel the frame decodes to.
    pub(crate) fn samples(&self) -> u32 {
        match (self.layer, self.version) {
            (1, _) => 384,
            (3, Version::Mpeg2 | Version::Mpeg25) => 576,
            _ => 1152,
        }
    }

    /// The frame's length in bytes, header included.
    pub(crate) fn len(&self) -> u32 {
        let bits = self.bitrate_kbps * 1000;
        if self.layer == 1 {
            return (12 * bits / self.sample_rate + u32::from(self.padding)) * 4;
        }
        // Bytes per frame = samples / 8 × bitrate / rate.
        self.samples() / 8 * bits / self.sample_rate + u32::from(self.padding)
    }

    /// Whether `other` can be the next frame of the same stream (ffmpeg's test: same version,
    /// layer and sample rate; bitrate and padding may change).
    pub(crate) fn compatible(&self, other: &FrameHeader) -> bool {
        self.version == other.version
            && self.layer == other.layer
            && self.sample_rate == other.sample_rate
    }

    pub(crate) fn channels(&self) -> u16 {
        if self.mono { 1 } else { 2 }
    }

    /// ffprobe's codec name.
    pub(crate) fn codec(&self) -> &'static str {
        match self.layer {
            1 => "mp1",
            2 => "mp2",
            _ => "mp3",
        }
    }

    /// Bytes of Layer III side information after the header, where a Xing header would start.
    pub(crate) fn side_info_len(&self) -> usize {
        match (self.version, self.mono) {
            (Version::Mpeg1, true) => 17,
            (Version::Mpeg1, false) => 32,
            (_, true) => 9,
            (_, false) => 17,
        }
    }
}

/// The header at `pos` in `buf`, if there is a valid one.
pub(crate) fn header_at(buf: &[u8], pos: usize) -> Option<FrameHeader> {
    let b: [u8; 4] = buf.get(pos..pos.checked_add(4)?)?.try_into().ok()?;
    FrameHeader::parse(b)
}

/// Whether `links` more frames follow the one at `pos` in `buf`. Running out of buffer after at
/// least one verified link (or at the very start, where a stray sync is unlikely) counts as a
/// chain, and so does a chain that ends exactly at the end of `buf`.
pub(crate) fn chain_at(buf: &[u8], pos: usize, links: usize) -> bool {
    let Some(first) = header_at(buf, pos) else { return false };
    let mut cur = pos;
    let mut hdr = first;
    for i in 0..links {
        let next = cur + hdr.len() as usize;
        if next == buf.len() {
            return true;
        }
        if next + 4 > buf.len() {
            return i > 0 || pos == 0;
        }
        match header_at(buf, next) {
            Some(h) if first.compatible(&h) => hdr = h,
            _ => return false,
        }
        cur = next;
    }
    true
}

/// The first offset in `from..limit` of `buf` where a frame chain starts: one further frame
/// suffices at offset 0 (where a file's audio should start), three are needed elsewhere.
pub(crate) fn find_first(buf: &[u8], from: usize, limit: usize) -> Option<usize> {
    let limit = limit.min(buf.len());
    (from..limit).find(|&pos| buf[pos] == 0xFF && chain_at(buf, pos, if pos == 0 { 1 } else { 3 }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_headers() {
        let h = FrameHeader::parse([0xFF, 0xFB, 0x90, 0x64]).expect("mpeg-1 layer III");
        assert_eq!(
            (h.version, h.layer, h.bitrate_kbps, h.sample_rate),
            (Version::Mpeg1, 3, 128, 44_100)
        );
        assert_eq!((h.len(), h.samples(), h.channels()), (417, 1152, 2));
        let padded = FrameHeader::parse([0xFF, 0xFB, 0x92, 0x64]).expect("padded");
        assert_eq!(padded.len(), 418);
        let mpeg2 = FrameHeader::parse([0xFF, 0xF3, 0x10, 0xC4]).expect("mpeg-2 8 kbit/s");
        assert_eq!(
            (mpeg2.sample_rate, mpeg2.samples(), mpeg2.len(), mpeg2.channels()),
            (22_050, 576, 26, 1)
        );
        let mpeg25 = FrameHeader::parse([0xFF, 0xE3, 0x18, 0xC4]).expect("mpeg-2.5");
        assert_eq!(mpeg25.sample_rate, 8_000);
        assert_eq!(mpeg25.len(), 72);
        let layer2 = FrameHeader::parse([0xFF, 0xFD, 0xA4, 0x04]).expect("layer II");
        assert_eq!((layer2.codec(), layer2.len()), ("mp2", 576));
    }

    #[test]
    fn rejects_reserved_fields() {
        assert!(FrameHeader::parse([0xFF, 0xEB, 0x90, 0x64]).is_none(), "reserved version");
        assert!(FrameHeader::parse([0xFF, 0xF9, 0x90, 0x64]).is_none(), "reserved layer");
        assert!(FrameHeader::parse([0xFF, 0xFB, 0xF0, 0x64]).is_none(), "bad bitrate");
        assert!(FrameHeader::parse([0xFF, 0xFB, 0x9C, 0x64]).is_none(), "bad rate");
        assert!(FrameHeader::parse([0xFF, 0xFB, 0x00, 0x64]).is_none(), "free format");
        assert!(FrameHeader::parse([0xFF, 0xFB, 0x90, 0x66]).is_none(), "reserved emphasis");
    }
}
