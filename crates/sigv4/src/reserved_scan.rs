//! Finding the bytes of a string that are not unreserved (`A-Z a-z 0-9 - . _ ~`) eight at
//! a time: splitting a query only acts on those bytes (`&`, `=`, escapes).

/// Calls `f(index, byte)` for every byte of `bytes` that is not unreserved, in order,
/// until `f` returns false; false when it did.
pub(crate) fn try_for_each_reserved(bytes: &[u8], mut f: impl FnMut(usize, u8) -> bool) -> bool {
    let mut words = bytes.chunks_exact(8);
    let mut base = 0;
    for chunk in &mut words {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        if !visit(reserved_bits(u64::from_le_bytes(word)), &word, base, &mut f) {
            return false;
        }
        base += 8;
    }
    let tail = words.remainder();
    if tail.is_empty() {
        return true;
    }
    // Padding with an unreserved byte keeps the tail on the same path.
    let mut word = [b'a'; 8];
    word[..tail.len()].copy_from_slice(tail);
    visit(reserved_bits(u64::from_le_bytes(word)), &word, base, &mut f)
}

/// Calls `f` for each byte of `word` whose high bit is set in `bits`.
#[inline(always)]
fn visit(
    mut bits: u64,
    word: &[u8; 8],
    base: usize,
    f: &mut impl FnMut(usize, u8) -> bool,
) -> bool {
    while bits != 0 {
        let lane = (bits.trailing_zeros() / 8) as usize;
        if !f(base + lane, word[lane & 7]) {
            return false;
        }
        bits &= bits - 1;
    }
    true
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
