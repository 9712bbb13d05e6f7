//! The checksums that let us tell a complete final page or frame from a cut one: CRC-8 and
//! CRC-16 of FLAC frames, CRC-32 of Ogg pages (all MSB-first, no reflection, zero initial value).

/// A 256-entry table for an MSB-first CRC of `WIDTH` bits with `poly`.
const fn table(poly: u32, width: u32) -> [u32; 256] {
    let top = 1u32 << (width - 1);
    let mask = if width == 32 { u32::MAX } else { (1u32 << width) - 1 };
    let mut out = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = (i as u32) << (width - 8);
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & top != 0 { (crc << 1) ^ poly } else { crc << 1 };
            bit += 1;
        }
        out[i] = crc & mask;
        i += 1;
    }
    out
}

const CRC8: [u32; 256] = table(0x07, 8);
const CRC16: [u32; 256] = table(0x8005, 16);
const CRC32: [u32; 256] = table(0x04C1_1DB7, 32);

/// FLAC frame header CRC-8 (x^8 + x^2 + x + 1).
pub(crate) fn crc8(data: &[u8]) -> u8 {
    let crc = data.iter().fold(0u32, |crc, &b| CRC8[((crc ^ u32::from(b)) & 0xFF) as usize]);
    (crc & 0xFF) as u8
}

/// FLAC frame CRC-16 (x^16 + x^15 + x^2 + 1).
pub(crate) fn crc16(data: &[u8]) -> u16 {
    let crc = data.iter().fold(0u32, |crc, &b| {
        ((crc << 8) ^ CRC16[(((crc >> 8) ^ u32::from(b)) & 0xFF) as usize]) & 0xFFFF
    });
    (crc & 0xFFFF) as u16
}

/// Ogg page CRC-32 (polynomial 0x04C11DB7) over a page whose CRC field is zeroed, continued from
/// `crc` (0 to start) over `data`, so that a page is checked in pieces rather than copied.
pub(crate) fn crc32_on(crc: u32, data: &[u8]) -> u32 {
    data.iter()
        .fold(crc, |crc, &b| (crc << 8) ^ CRC32[(((crc >> 24) ^ u32::from(b)) & 0xFF) as usize])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_values() {
        // The "123456789" check values of CRC-8/SMBUS, CRC-16/UMTS and CRC-32/MPEG-2 without its
        // initial value (the Ogg variant).
        assert_eq!(crc8(b"123456789"), 0xF4);
        assert_eq!(crc16(b"123456789"), 0xFEE8);
        assert_eq!(crc32_on(0, b"123456789"), 0x89A1_897F);
        assert_eq!(crc32_on(crc32_on(0, b"1234"), b"56789"), 0x89A1_897F);
    }
}
