//! Finding the bytes of a string that are not unreserved (`A-Z a-z 0-9 - . _ ~`) sixteen
//! at a time with SSE2 (eight at a time in a `u64` elsewhere): splitting a query only
//! acts on those bytes (`&`, `=`, escapes).

/// Calls `f(index, byte)` for every byte of `bytes` that is not unreserved, in order,
/// until `f` returns false; false when it did.
#[inline]
pub(crate) fn try_for_each_reserved(bytes: &[u8], f: impl FnMut(usize, u8) -> bool) -> bool {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    return walk::<16, 0>(bytes, sse2::reserved_mask, f);
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    return walk::<8, 3>(bytes, reserved_word_mask, f);
}

/// Walks `bytes` in blocks of `W`; `mask_of` flags the reserved bytes of a block, byte `i`
/// at bit `i << SHIFT`.
#[inline(always)]
fn walk<const W: usize, const SHIFT: u32>(
    bytes: &[u8],
    mask_of: impl Fn(&[u8; W]) -> u64,
    mut f: impl FnMut(usize, u8) -> bool,
) -> bool {
    let mut blocks = bytes.chunks_exact(W);
    let mut base = 0;
    for chunk in &mut blocks {
        if let Some(block) = chunk.first_chunk::<W>() {
            if !visit::<W, SHIFT>(mask_of(block), block, base, &mut f) {
                return false;
            }
        }
        base += W;
    }
    let tail = blocks.remainder();
    if tail.is_empty() {
        return true;
    }
    // Padding with an unreserved byte keeps the tail on the same path.
    let mut block = [b'a'; W];
    block[..tail.len()].copy_from_slice(tail);
    visit::<W, SHIFT>(mask_of(&block), &block, base, &mut f)
}

/// Calls `f` for each byte of `block` flagged in `mask`.
#[inline(always)]
fn visit<const W: usize, const SHIFT: u32>(
    mut mask: u64,
    block: &[u8; W],
    base: usize,
    f: &mut impl FnMut(usize, u8) -> bool,
) -> bool {
    while mask != 0 {
        let lane = (mask.trailing_zeros() >> SHIFT) as usize % W;
        if !f(base + lane, block[lane]) {
            return false;
        }
        mask &= mask - 1;
    }
    true
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
mod sse2 {
    use safe_arch::{
        bitor_m128i, cmp_eq_mask_i8_m128i, load_unaligned_m128i, m128i, min_u8_m128i,
        move_mask_i8_m128i, set_splat_i8_m128i, sub_i8_m128i,
    };

    /// Bit `i` set when byte `i` of `block` is not unreserved.
    #[inline(always)]
    pub(super) fn reserved_mask(block: &[u8; 16]) -> u64 {
        let v = load_unaligned_m128i(block);
        let splat = |b: u8| set_splat_i8_m128i(i8::from_ne_bytes([b]));
        // All-ones lanes where `lo <= byte <= lo + span` (unsigned, wrapping below `lo`).
        let in_range = |bytes: m128i, lo: u8, span: u8| {
            let offset = sub_i8_m128i(bytes, splat(lo));
            cmp_eq_mask_i8_m128i(min_u8_m128i(offset, splat(span)), offset)
        };
        // Setting bit 5 folds `A-Z` onto `a-z` and maps no other byte there.
        let folded = bitor_m128i(v, splat(0x20));
        let unreserved = bitor_m128i(
            bitor_m128i(in_range(v, b'0', 9), in_range(folded, b'a', 25)),
            bitor_m128i(
                in_range(v, b'-', 1),
                bitor_m128i(
                    cmp_eq_mask_i8_m128i(v, splat(b'_')),
                    cmp_eq_mask_i8_m128i(v, splat(b'~')),
                ),
            ),
        );
        u64::from(!(move_mask_i8_m128i(unreserved) as u32) & 0xffff)
    }
}

/// [`reserved_bits`] of an eight-byte block.
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
#[inline(always)]
fn reserved_word_mask(block: &[u8; 8]) -> u64 {
    reserved_bits(u64::from_le_bytes(*block))
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;
const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;

/// For each byte of `word`, `0x80` when it is not unreserved, else `0`: byte-wise
/// compares in one register, none of which carries into the next byte.
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_bits_agree_with_the_unreserved_table() {
        for start in (0..=255u8).step_by(8) {
            let word: [u8; 8] = std::array::from_fn(|i| start.wrapping_add(i as u8));
            let expected = (0..8).fold(0u64, |m, i| {
                m | (u64::from(!crate::encoding::is_unreserved(word[i])) << (8 * i + 7))
            });
            assert_eq!(
                reserved_bits(u64::from_le_bytes(word)),
                expected,
                "bytes from {start}"
            );
        }
    }

    proptest::proptest! {
        /// Any mix of bytes in one word: no lane's answer depends on its neighbours.
        #[test]
        fn reserved_bits_agree_with_the_table_on_any_word(word in proptest::prelude::any::<[u8; 8]>()) {
            let expected = (0..8).fold(0u64, |m, i| {
                m | (u64::from(!crate::encoding::is_unreserved(word[i])) << (8 * i + 7))
            });
            proptest::prop_assert_eq!(reserved_bits(u64::from_le_bytes(word)), expected);
        }
    }

    /// Every way this crate can scan: the one in use, and the word scan kept for other
    /// targets (tested here too).
    fn scanners() -> Vec<(&'static str, ScanFn)> {
        let mut all: Vec<(&'static str, ScanFn)> = vec![
            ("in use", |b, f| try_for_each_reserved(b, f)),
            ("words", |b, f| walk::<8, 3>(b, reserved_word_mask, f)),
        ];
        #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
        all.push(("sse2", |b, f| walk::<16, 0>(b, sse2::reserved_mask, f)));
        all
    }

    type ScanFn = fn(&[u8], &mut dyn FnMut(usize, u8) -> bool) -> bool;

    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    fn expected_mask(block: &[u8; 16]) -> u64 {
        (0..16).fold(0u64, |m, i| {
            m | (u64::from(!crate::encoding::is_unreserved(block[i])) << i)
        })
    }

    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    #[test]
    fn sse2_mask_agrees_with_the_unreserved_table() {
        for start in (0..=255u8).step_by(16) {
            let block: [u8; 16] = std::array::from_fn(|i| start.wrapping_add(i as u8));
            assert_eq!(
                sse2::reserved_mask(&block),
                expected_mask(&block),
                "bytes from {start}"
            );
        }
    }

    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    proptest::proptest! {
        #[test]
        fn sse2_mask_agrees_with_the_table_on_any_block(block in proptest::prelude::any::<[u8; 16]>()) {
            proptest::prop_assert_eq!(sse2::reserved_mask(&block), expected_mask(&block));
        }
    }

    proptest::proptest! {
        /// Every scanner visits exactly the bytes the table calls reserved, in order,
        /// across block boundaries and padded tails.
        #[test]
        fn scanners_visit_what_the_table_says(input in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..80)) {
            let expected: Vec<(usize, u8)> = input
                .iter()
                .enumerate()
                .filter(|(_, b)| !crate::encoding::is_unreserved(**b))
                .map(|(i, b)| (i, *b))
                .collect();
            for (name, scan) in scanners() {
                let mut seen = Vec::new();
                let finished = scan(&input, &mut |i, b| {
                    seen.push((i, b));
                    true
                });
                proptest::prop_assert!(finished);
                proptest::prop_assert_eq!(&seen, &expected, "{}", name);
            }
        }
    }

    #[test]
    fn visits_every_reserved_byte_in_order_and_stops_when_told() {
        for (name, scan) in scanners() {
            for len in 0..40 {
                let input: Vec<u8> = (0..len)
                    .map(|i| if i % 3 == 0 { b'%' } else { b'a' })
                    .collect();
                let mut seen = Vec::new();
                assert!(scan(&input, &mut |i, b| {
                    seen.push((i, b));
                    true
                }));
                let expected: Vec<_> = (0..len).filter(|i| i % 3 == 0).map(|i| (i, b'%')).collect();
                assert_eq!(seen, expected, "{name}, length {len}");
                let mut count = 0;
                let finished = scan(&input, &mut |_, _| {
                    count += 1;
                    count < 2
                });
                assert_eq!(finished, expected.len() < 2, "{name}, length {len}");
                assert_eq!(count, expected.len().min(2), "{name}");
            }
        }
    }
}
