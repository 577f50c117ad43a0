//! Image limits: width, height and pixel count read from the image header only (`imagesize`),
//! so a decompression bomb is refused without decoding it.

use super::profile::ImageLimits;

/// Judges an image's first bytes by `limits`; `Err` is the reason for a refusal. `head` must
/// hold the header (the first 64 KiB do for every format `imagesize` reads).
pub fn judge(limits: &ImageLimits, mime: &str, head: &[u8]) -> Result<(), String> {
    let size = imagesize::blob_size(head)
        .map_err(|_| format!("{mime} header unreadable, its dimensions unknown"))?;
    let (w, h) = (size.width as u64, size.height as u64);
    if let Some(max) = limits.max_width {
        if w > max {
            return Err(format!("{w}x{h} is wider than {max} pixels"));
        }
    }
    if let Some(max) = limits.max_height {
        if h > max {
            return Err(format!("{w}x{h} is taller than {max} pixels"));
        }
    }
    if let Some(max) = limits.max_pixels {
        let pixels = w.saturating_mul(h);
        if pixels > max {
            return Err(format!(
                "{w}x{h} is {pixels} pixels, over the limit of {max}"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_header(w: u32, h: u32) -> Vec<u8> {
        let mut v = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        v.extend_from_slice(&w.to_be_bytes());
        v.extend_from_slice(&h.to_be_bytes());
        v.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
        v
    }

    #[test]
    fn limits() {
        let l = ImageLimits {
            max_width: Some(8000),
            max_height: None,
            max_pixels: Some(40_000_000),
        };
        assert!(judge(&l, "image/png", &png_header(100, 100)).is_ok());
        let e = judge(&l, "image/png", &png_header(100_000, 100_000)).unwrap_err();
        assert!(e.contains("100000x100000"), "{e}");
        let e = judge(&l, "image/png", &png_header(7000, 7000)).unwrap_err();
        assert!(e.contains("over the limit of 40000000"), "{e}");
    }
}
