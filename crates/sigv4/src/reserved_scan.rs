//! Finding the bytes of a string that are not unreserved (`A-Z a-z 0-9 - . _ ~`) sixteen
//! at a time: query splitting and the canonical-form checks only act on those bytes.

/// Calls `f(index, byte)` for every byte of `bytes` that is not unreserved, in order,
/// until `f` returns false; false when it did.
pub(crate) fn try_for_each_reserved(bytes: &[u8], mut f: impl FnMut(usize, u8) -> bool) -> bool {
    const LANES: usize = 16;
    let mut chunks = bytes.chunks_exact(LANES);
    let mut base = 0;
    for chunk in &mut chunks {
        let mut lanes = [0u8; LANES];
        lanes.copy_from_slice(chunk);
        if !visit_mask(reserved_mask(&lanes), &lanes, base, &mut f) {
            return false;
        }
        base += LANES;
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        // Padding with an unreserved byte keeps the tail on the same path.
        let mut lanes = [b'a'; LANES];
        lanes[..tail.len()].copy_from_slice(tail);
        return visit_mask(reserved_mask(&lanes), &lanes, base, &mut f);
    }
    true
}

fn visit_mask(
    mut mask: u16,
    lanes: &[u8; 16],
    base: usize,
    f: &mut impl FnMut(usize, u8) -> bool,
) -> bool {
    while mask != 0 {
        let lane = mask.trailing_zeros() as usize;
        if !f(base + lane, lanes[lane & 15]) {
            return false;
        }
        mask &= mask - 1;
    }
    true
}

/// Bit `i` set when `lanes[i]` is not unreserved: two [`reserved_bits`] words packed.
fn reserved_mask(lanes: &[u8; 16]) -> u16 {
    let [l0, l1, l2, l3, l4, l5, l6, l7, h0, h1, h2, h3, h4, h5, h6, h7] = *lanes;
    let low = reserved_bits(u64::from_le_bytes([l0, l1, l2, l3, l4, l5, l6, l7]));
    let high = reserved_bits(u64::from_le_bytes([h0, h1, h2, h3, h4, h5, h6, h7]));
    pack_flags(low >> 7) | (pack_flags(high >> 7) << 8)
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;
const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;

/// For each byte of `word`, `0x80` when it is not unreserved, else `0`: byte-wise
/// compares in one register, none of which carries into the next byte.
fn reserved_bits(word: u64) -> u64 {
    let ascii = !word & HIGH;
    let seven = word & LOW7;
    // High bit set where the (7-bit) byte is in `lo..=hi`.
    let in_range = |bytes: u64, lo: u8, hi: u8| {
        let at_least = bytes + ONES * u64::from(0x80 - lo);
        let above = bytes + ONES * u64::from(0x7f - hi);
        at_least & !above & HIGH
    };
    // High bit set where the byte equals `c`.
    let equals = |c: u8| {
        let diff = seven ^ (ONES * u64::from(c));
        !(((diff & LOW7) + LOW7) | diff) & HIGH
    };
    let unreserved = (in_range(seven, b'0', b'9')
        | in_range(seven | (ONES * 0x20), b'a', b'z')
        | equals(b'-')
        | equals(b'.')
        | equals(b'_')
        | equals(b'~'))
        & ascii;
    !unreserved & HIGH
}

/// Packs a word of 0/1 bytes into the bits of a byte (byte `i` to bit `i`): the
/// multiplication moves byte `i`'s bit to bit `56 + i`.
fn pack_flags(flags: u64) -> u16 {
    const GATHER: u64 = 0x0102_0408_1020_4080;
    // The bits are only 8 positions apart, so no product term carries into the top byte.
    (flags.wrapping_mul(GATHER) >> 56) as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_flags_packs_every_pattern() {
        for pattern in 0u16..256 {
            let flags: [u8; 8] = std::array::from_fn(|i| u8::from(pattern & (1 << i) != 0));
            assert_eq!(pack_flags(u64::from_le_bytes(flags)), pattern);
        }
    }

    #[test]
    fn reserved_mask_agrees_with_the_unreserved_table() {
        for start in (0..=255u8).step_by(16) {
            let lanes: [u8; 16] = std::array::from_fn(|i| start.wrapping_add(i as u8));
            let expected = (0..16).fold(0u16, |m, i| {
                m | (u16::from(!crate::encoding::is_unreserved(lanes[i])) << i)
            });
            assert_eq!(reserved_mask(&lanes), expected, "bytes from {start}");
        }
    }

    #[test]
    fn visits_every_reserved_byte_in_order_and_stops_when_told() {
        for len in 0..40 {
            let input: Vec<u8> = (0..len)
                .map(|i| if i % 3 == 0 { b'%' } else { b'a' })
                .collect();
            let mut seen = Vec::new();
            assert!(try_for_each_reserved(&input, |i, b| {
                seen.push((i, b));
                true
            }));
            let expected: Vec<_> = (0..len).filter(|i| i % 3 == 0).map(|i| (i, b'%')).collect();
            assert_eq!(seen, expected, "length {len}");
            let mut count = 0;
            let finished = try_for_each_reserved(&input, |_, _| {
                count += 1;
                count < 2
            });
            assert_eq!(finished, expected.len() < 2, "length {len}");
            assert_eq!(count, expected.len().min(2));
        }
    }
}
