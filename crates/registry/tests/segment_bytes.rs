//! Segments survive a round trip through bytes, and damaged bytes are an error, never a panic:
//! flipped bytes and truncations are caught by the checksums and lengths; damage with the
//! checksums recomputed (a writer bug, or a forged file) is caught by the structural checks or
//! at worst reads as other valid entries.

// Test fixtures may fail loudly.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::sync::Arc;

use proptest::prelude::*;
use registry::{Registry, Segment, SegmentBuilder, SegmentError};

const HEADER_LEN: usize = 72;

fn sample() -> Segment {
    let mut builder = SegmentBuilder::new();
    let date = "2021-01-01".parse().ok();
    for text in [
        "2015550123",
        "2015550124",
        "2025550123",
        "9999999999",
        "+442071234567",
    ] {
        builder.push(text.parse().unwrap(), date).unwrap();
    }
    builder.push("3125550100".parse().unwrap(), None).unwrap();
    builder.finish()
}

/// A delta with a deletion, so tombstones are exercised too.
fn sample_delta() -> Segment {
    let base = Registry::empty().apply(Arc::new(sample())).unwrap();
    let mut import = registry::Import::new(registry::ImportMode::Delete);
    import.feed(b"2015550123\n+442071234567\n");
    import.finish(&base).segment
}

fn recompute_checksums(bytes: &mut [u8]) {
    if bytes.len() < HEADER_LEN {
        return;
    }
    let body = crc32fast::hash(&bytes[HEADER_LEN..]);
    bytes[64..68].copy_from_slice(&body.to_le_bytes());
    let header = crc32fast::hash(&bytes[..68]);
    bytes[68..72].copy_from_slice(&header.to_le_bytes());
}

/// Reading must not panic; when it succeeds, every lookup and a merge must not either.
fn read_without_panic(bytes: Vec<u8>) -> Result<Segment, SegmentError> {
    let segment = Segment::from_bytes(bytes)?;
    let view = Registry::empty().apply(Arc::new(Segment::from_bytes(segment.as_bytes().to_vec())?));
    if let Ok(view) = view {
        for text in ["2015550123", "2025550123", "9999999999", "+442071234567"] {
            view.lookup(text.parse().unwrap());
        }
        view.merge();
    }
    Ok(segment)
}

#[test]
fn round_trip_keeps_every_byte() {
    for segment in [sample(), sample_delta()] {
        let mut written = Vec::new();
        segment.write_to(&mut written).unwrap();
        assert_eq!(written, segment.as_bytes());
        let read = Segment::from_bytes(written).unwrap();
        assert_eq!(read.as_bytes(), segment.as_bytes());
        assert_eq!(read.len(), segment.len());
        assert_eq!(read.is_delta(), segment.is_delta());
    }
}

#[test]
fn header_errors_are_named() {
    let good = sample().into_bytes();
    assert!(matches!(
        Segment::from_bytes(good[..10].to_vec()),
        Err(SegmentError::Length { .. })
    ));
    let mut bad = good.clone();
    bad[0] = b'X';
    assert_eq!(Segment::from_bytes(bad).unwrap_err(), SegmentError::Magic);
    let mut bad = good.clone();
    bad[8] = 2;
    assert_eq!(
        Segment::from_bytes(bad).unwrap_err(),
        SegmentError::Version(2)
    );
    let mut bad = good.clone();
    bad[20] ^= 1;
    assert_eq!(
        Segment::from_bytes(bad).unwrap_err(),
        SegmentError::HeaderChecksum
    );
    let mut bad = good.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    assert_eq!(
        Segment::from_bytes(bad).unwrap_err(),
        SegmentError::BodyChecksum
    );
    let mut bad = good.clone();
    bad.push(0);
    assert!(matches!(
        Segment::from_bytes(bad),
        Err(SegmentError::Length { .. })
    ));
    let mut bad = good;
    bad[12] = 7;
    recompute_checksums(&mut bad);
    assert!(matches!(
        Segment::from_bytes(bad),
        Err(SegmentError::Corrupt(_))
    ));
}

#[test]
fn a_delta_is_not_a_base() {
    let delta = sample_delta();
    assert!(delta.is_delta());
    let mut bytes = delta.into_bytes();
    // Relabel it a base: the deletion it holds is then refused.
    bytes[12] = 0;
    recompute_checksums(&mut bytes);
    assert!(matches!(
        Segment::from_bytes(bytes),
        Err(SegmentError::Corrupt(_))
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_flipped_byte_is_an_error(delta in any::<bool>(), at in any::<prop::sample::Index>(), flip in 1u8..) {
        let mut bytes = if delta { sample_delta() } else { sample() }.into_bytes();
        let at = at.index(bytes.len());
        bytes[at] ^= flip;
        prop_assert!(Segment::from_bytes(bytes).is_err());
    }

    #[test]
    fn any_truncation_is_an_error(delta in any::<bool>(), keep in any::<prop::sample::Index>()) {
        let bytes = if delta { sample_delta() } else { sample() }.into_bytes();
        let keep = keep.index(bytes.len());
        prop_assert!(Segment::from_bytes(bytes[..keep].to_vec()).is_err());
    }

    #[test]
    fn forged_damage_never_panics(
        delta in any::<bool>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in prop::option::of(any::<prop::sample::Index>()),
    ) {
        let mut bytes = if delta { sample_delta() } else { sample() }.into_bytes();
        for (at, value) in edits {
            let at = at.index(bytes.len());
            bytes[at] = value;
        }
        if let Some(cut) = cut {
            let keep = HEADER_LEN + cut.index(bytes.len() - HEADER_LEN);
            bytes.truncate(keep);
            let body_len = (keep - HEADER_LEN) as u64;
            bytes[32..40].copy_from_slice(&body_len.to_le_bytes());
        }
        recompute_checksums(&mut bytes);
        let _ = read_without_panic(bytes);
    }

    #[test]
    fn garbage_is_an_error(bytes in prop::collection::vec(any::<u8>(), 0..4000)) {
        prop_assert!(Segment::from_bytes(bytes).is_err());
    }
}
