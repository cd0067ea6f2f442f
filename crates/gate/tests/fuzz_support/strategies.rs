//! Input generators of the stable fuzz harnesses: text built from the tokens the parsers look
//! for, spliced into real messages and mixed with arbitrary characters, so that a few hundred
//! cases reach the interesting branches.

use proptest::prelude::*;

/// Up to `max_pieces` pieces, each a token of `tokens` or a few arbitrary characters.
pub fn soup(tokens: &'static [&'static str], max_pieces: usize) -> BoxedStrategy<String> {
    prop::collection::vec(
        prop_oneof![
            6 => prop::sample::select(tokens).prop_map(str::to_owned),
            1 => "\\PC{0,3}",
            1 => any::<char>().prop_map(String::from),
        ],
        0..max_pieces,
    )
    .prop_map(|pieces| pieces.concat())
    .boxed()
}

/// One of `seeds` with `insert` put in at a character boundary and a stretch cut out.
pub fn spliced(seeds: Vec<String>, insert: BoxedStrategy<String>) -> BoxedStrategy<String> {
    (
        prop::sample::select(seeds),
        insert,
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
        0usize..8,
    )
        .prop_map(|(seed, insert, at, cut_at, cut_len)| {
            let chars: Vec<char> = seed.chars().collect();
            let at = at.index(chars.len() + 1);
            let cut_at = cut_at.index(chars.len() + 1);
            let cut = cut_at..(cut_at + cut_len).min(chars.len());
            let mut out = String::new();
            for (i, c) in chars.iter().enumerate() {
                if i == at {
                    out.push_str(&insert);
                }
                if !cut.contains(&i) {
                    out.push(*c);
                }
            }
            if at == chars.len() {
                out.push_str(&insert);
            }
            out
        })
        .boxed()
}
