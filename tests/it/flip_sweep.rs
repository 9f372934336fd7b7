//! The byte-flip sweep on a small signed bundle (see `flip.rs`): one bit changed at any of
//! 2,000 offsets, or more, and verify exits non-zero every time. The offsets are every byte of
//! the local headers, the central directory and the end record, then a seeded sample of the
//! rest up to 2,000 (the bundle's data are mostly the report's deflate stream).
//! `benches/flip-sweep` runs every offset (`AUDITPACK_FLIP_SWEEP=every`).

use crate::fixture;
use crate::flip::{Genuine, seeded_offsets, structural_offsets};

#[test]
fn no_single_flipped_bit_verifies() {
    let g = Genuine::new(&fixture("sla"));
    let structural = structural_offsets(&g.zip);
    // The first local header, the first directory entry and the end record are among them.
    assert!(structural.contains(&0) && structural.contains(&(g.zip.len() - 1)));
    let mut offsets = structural.clone();
    let data: Vec<usize> = seeded_offsets(g.zip.len(), 4_000, 7)
        .into_iter()
        .filter(|o| structural.binary_search(o).is_err())
        .collect();
    let wanted = 2_000usize.saturating_sub(offsets.len()).max(500);
    offsets.extend(data.into_iter().take(wanted));
    assert!(offsets.len() >= 2_000, "{} offsets", offsets.len());
    let every = std::env::var("AUDITPACK_FLIP_SWEEP").as_deref() == Ok("every");
    if every {
        offsets = (0..g.zip.len()).collect();
    }
    // Two workers, the machine's two cores, taking every other offset.
    let a: Vec<usize> = offsets.iter().copied().step_by(2).collect();
    let b: Vec<usize> = offsets.iter().copied().skip(1).step_by(2).collect();
    let survivors: Vec<usize> = std::thread::scope(|s| {
        let first = s.spawn(|| g.survivors(&a, 0));
        let second = g.survivors(&b, 1);
        let mut all = first.join().unwrap();
        all.extend(second);
        all
    });
    println!(
        "flip sweep: {} offsets of a {}-byte signed bundle flipped ({} header and directory bytes among them); {} verified",
        offsets.len(),
        g.zip.len(),
        structural.len(),
        survivors.len()
    );
    assert!(
        survivors.is_empty(),
        "{} of {} flipped bundles verified, at offsets {:?}",
        survivors.len(),
        offsets.len(),
        &survivors[..survivors.len().min(20)]
    );
}
