//! The firmware's measured figures (#23.20): `firmware/qemu/FIGURES.md` is written by
//! `bash firmware/qemu/figures` from QEMU runs and the probes' sizes, and `.ci/run` fails
//! when a build measures anything else (`figures --check`). This checks that the README
//! quotes that file unchanged and that the claims the README makes around it hold in it.

use crate::export::root;

fn figures() -> String {
    std::fs::read_to_string(root().join("firmware/qemu/FIGURES.md")).unwrap()
}

#[test]
fn readme_quotes_the_committed_figures() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let (begin, end) = ("<!-- figures:begin -->\n", "<!-- figures:end -->");
    let start = readme
        .find(begin)
        .expect("README.md has a figures:begin marker")
        + begin.len();
    let stop = readme[start..].find(end).expect("and a figures:end marker") + start;
    assert!(
        readme[start..stop] == figures(),
        "README.md's figures are not firmware/qemu/FIGURES.md: paste the file between the markers"
    );
}

/// A table row: its first cell, then the others.
fn row(text: &str, label: &str) -> Vec<String> {
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("| {label}")))
        .unwrap_or_else(|| panic!("FIGURES.md has no row {label:?}"));
    line.trim_matches('|')
        .split('|')
        .skip(1)
        .map(|c| c.trim().to_owned())
        .collect()
}

/// "1 234 567" → 1234567.
fn number(cell: &str) -> u64 {
    cell.replace(' ', "")
        .parse()
        .unwrap_or_else(|_| panic!("{cell:?} is not a number"))
}

/// One probe on one board: flash, static RAM, peak stack; `None` if it does not fit.
fn memory(text: &str, probe: &str, core: usize) -> Option<(u64, u64, u64)> {
    let cells: Vec<String> = text
        .lines()
        .find(|l| l.contains(&format!("(`{probe}`)")))
        .unwrap_or_else(|| panic!("FIGURES.md has no {probe} row"))
        .trim_matches('|')
        .split('|')
        .skip(1)
        .map(|c| c.trim().to_owned())
        .collect();
    let cell = &cells[core];
    if cell.starts_with("does not fit") {
        return None;
    }
    let v: Vec<u64> = cell.split(" / ").map(number).collect();
    assert_eq!(v.len(), 3, "{probe}: {cell:?}");
    Some((v[0], v[1], v[2]))
}

const M0: usize = 0;
const M3: usize = 1;
const M4F: usize = 2;

#[test]
fn the_readmes_claims_hold_in_the_figures() {
    let f = figures();
    // "int8 ≤ 1/8 of f32's emulated instructions" on both soft-float cores, for the cubic
    // network and the digits classifier.
    for (f32_row, int8_row) in [
        ("cubic 1→64→64→1, f32", "cubic, int8"),
        ("digits 64→64→64→10, f32", "digits, int8"),
    ] {
        let (a, b) = (row(&f, f32_row), row(&f, int8_row));
        for core in [M0, M3] {
            let (a, b) = (number(&a[core]), number(&b[core]));
            assert!(8 * b <= a, "{int8_row}: {b} vs {a} on core {core}");
        }
        // On the M4F, int8 saves flash, not time.
        let (a, b) = (number(&a[M4F]), number(&b[M4F]));
        assert!(
            2 * a > 3 * b / 2 && a < 2 * b,
            "{int8_row} on the M4F: {b} vs {a}"
        );
    }
    // On the device, int8 digits within 0.5 points of f32 (1 row of 360 is 0.28), and the
    // wine classifier trained there gets all 36 held-out rows.
    let (df, dq) = (
        row(&f, "digits, f32 (of 360)"),
        row(&f, "digits, int8 (of 360)"),
    );
    let wine = row(&f, "wine, trained on the device (of 36)");
    for core in [M0, M3, M4F] {
        assert!(number(&dq[core]) + 1 >= number(&df[core]));
        assert_eq!(number(&wine[core]), 36);
    }
    // The cubic network's int8 inference fits 16 KiB of RAM and 32 KiB of flash on the M0,
    // and takes under 12 KB of flash and 300 bytes of RAM and stack on the M3.
    let (flash, ram, stack) = memory(&f, "probe_infer_int8", M0).unwrap();
    assert!(flash <= 32 << 10 && ram + stack <= 16 << 10);
    let (flash, ram, stack) = memory(&f, "probe_infer_int8", M3).unwrap();
    assert!(flash < 12_000 && ram + stack < 300);
    // The whole wine training fits the micro:bit.
    let (_, ram, stack) = memory(&f, "probe_train_wine", M0).expect("wine fits the M0");
    assert!(ram + stack <= 16 << 10);
    // Training the cubic network: SGD fits the M3 board but not the micro:bit; Adam fits
    // neither, only the M4F board.
    assert!(memory(&f, "probe_train_sgd", M0).is_none());
    let (_, ram, stack) = memory(&f, "probe_train_sgd", M3).expect("SGD fits the M3");
    assert!(ram + stack <= 64 << 10);
    assert!(memory(&f, "probe_train_adam", M0).is_none());
    assert!(memory(&f, "probe_train_adam", M3).is_none());
    assert!(memory(&f, "probe_train_adam", M4F).is_some());
}
