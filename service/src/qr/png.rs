//! A QR code as an 8-bit greyscale PNG (IHDR, one zlib IDAT, IEND).

use std::io::Write;

use super::{Matrix, QUIET, QrError};

/// Largest pixels per module accepted.
pub const MAX_SCALE: usize = 32;

/// The code at `scale` pixels per module, with the quiet zone.
pub fn png(m: &Matrix, scale: usize) -> Result<Vec<u8>, QrError> {
    let scale = scale.clamp(1, MAX_SCALE);
    let side = (m.width + 2 * QUIET) * scale;
    let side32 = u32::try_from(side).map_err(|_| QrError::Png("image too large".into()))?;
    let mut raw = Vec::with_capacity((side + 1) * side);
    for py in 0..side {
        raw.push(0); // filter: none
        let y = (py / scale).checked_sub(QUIET);
        for px in 0..side {
            let x = (px / scale).checked_sub(QUIET);
            let dark = matches!((x, y), (Some(x), Some(y)) if m.dark(x, y));
            raw.push(if dark { 0 } else { 255 });
        }
    }
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&raw).map_err(|e| QrError::Png(e.to_string()))?;
    let idat = z.finish().map_err(|e| QrError::Png(e.to_string()))?;

    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&side32.to_be_bytes());
    ihdr.extend_from_slice(&side32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]); // 8-bit greyscale, deflate, no filter, no interlace
    chunk(&mut out, b"IHDR", &ihdr)?;
    chunk(&mut out, b"IDAT", &idat)?;
    chunk(&mut out, b"IEND", &[])?;
    Ok(out)
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) -> Result<(), QrError> {
    let len = u32::try_from(data.len()).map_err(|_| QrError::Png("chunk too large".into()))?;
    out.extend_from_slice(&len.to_be_bytes());
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc.finalize().to_be_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use std::io::Read;

    use super::*;

    /// Decode our own PNG back to pixels (greyscale, filter 0 only).
    fn decode(png: &[u8]) -> (usize, Vec<u8>) {
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let mut at = 8;
        let (mut side, mut idat) = (0, Vec::new());
        while at < png.len() {
            let len = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
            let kind = &png[at + 4..at + 8];
            let data = &png[at + 8..at + 8 + len];
            let crc = u32::from_be_bytes(png[at + 8 + len..at + 12 + len].try_into().unwrap());
            assert_eq!(
                crc,
                crc32fast::hash(&png[at + 4..at + 8 + len]),
                "chunk CRC"
            );
            match kind {
                b"IHDR" => side = u32::from_be_bytes(data[..4].try_into().unwrap()) as usize,
                b"IDAT" => idat.extend_from_slice(data),
                _ => {}
            }
            at += 12 + len;
        }
        let mut raw = Vec::new();
        flate2::read::ZlibDecoder::new(&idat[..])
            .read_to_end(&mut raw)
            .unwrap();
        (side, raw)
    }

    #[test]
    fn pixels_match_the_modules() {
        let m = Matrix::encode("http://127.0.0.1:8080/b/30").unwrap();
        let scale = 3;
        let (side, raw) = decode(&png(&m, scale).unwrap());
        assert_eq!(side, (m.width + 2 * QUIET) * scale);
        assert_eq!(raw.len(), side * (side + 1));
        for py in 0..side {
            assert_eq!(raw[py * (side + 1)], 0, "filter byte");
            for px in 0..side {
                let v = raw[py * (side + 1) + 1 + px];
                let (x, y) = (
                    (px / scale) as isize - QUIET as isize,
                    (py / scale) as isize - QUIET as isize,
                );
                let dark = x >= 0 && y >= 0 && m.dark(x as usize, y as usize);
                assert_eq!(v == 0, dark, "pixel ({px},{py})");
            }
        }
    }
}
