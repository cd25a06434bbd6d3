//! The README's sample outputs are what the binary prints: every `<!-- sample: ARGS -->` block
//! (written by `scripts/readme-samples.sh`) is run again here and compared, with what varies
//! from run to run masked (timings; for real threads, every number), and the matrix table
//! (written by `scripts/readme-matrix.sh`) is recomputed. A drift fails with both texts and the
//! script to run.

use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).unwrap()
}

/// One sample: the arguments, how many lines are kept, the mask, and the block's text.
struct Sample {
    args: Vec<String>,
    lines: Option<usize>,
    numbers: bool,
    shown: String,
}

fn samples(readme: &str) -> Vec<Sample> {
    let mut all = Vec::new();
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        let Some(spec) = line
            .strip_prefix("<!-- sample: ")
            .and_then(|s| s.strip_suffix(" -->"))
        else {
            continue;
        };
        let mut parts = spec.split('|').map(str::trim);
        let args = parts
            .next()
            .unwrap()
            .split_whitespace()
            .map(String::from)
            .collect();
        let (mut keep, mut numbers) = (None, false);
        for part in parts {
            if let Some(n) = part.strip_prefix("lines ") {
                keep = Some(n.parse().unwrap());
            } else if part == "mask numbers" {
                numbers = true;
            } else {
                assert!(part == "mask timings", "unknown sample option {part:?}");
            }
        }
        let mut shown = String::new();
        for line in lines.by_ref() {
            if line == "<!-- sample:end -->" {
                break;
            }
            shown.push_str(line);
            shown.push('\n');
        }
        all.push(Sample {
            args,
            lines: keep,
            numbers,
            shown,
        });
    }
    all
}

/// What `scripts/readme-samples.sh` writes for `stdout`.
fn block(stdout: &str, lines: Option<usize>) -> String {
    let text = stdout.trim_end_matches('\n');
    let mut out = String::from("```text\n");
    let all: Vec<&str> = text.lines().collect();
    match lines {
        Some(n) if all.len() > n => {
            for line in &all[..n] {
                out.push_str(line);
                out.push('\n');
            }
            out.push_str("...\n");
        }
        _ => {
            out.push_str(text);
            out.push('\n');
        }
    }
    out.push_str("```\n");
    out
}

/// Mask numbers: every one when `all`, else those that are a timing (followed by ms, µs or s).
fn mask(text: &str, all: bool) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let rest: String = chars[i..chars.len().min(i + 4)].iter().collect();
            let timing = [" ms", " µs", " s ", " s)", " s,", "ms", "µs"]
                .iter()
                .any(|unit| rest.starts_with(unit));
            if all || timing {
                out.push('N');
            } else {
                out.extend(&chars[start..i]);
            }
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    // Column widths move with the numbers: compare words, not spacing.
    out.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn readme_samples_are_what_the_binary_prints() {
    let readme = readme();
    let samples = samples(&readme);
    assert!(
        samples.len() >= 3,
        "the README's samples are marked ({} found)",
        samples.len()
    );
    for sample in samples {
        // Real OS threads decide their own interleaving, so a sample with every number masked
        // (real threads) may miss the hang on one run under load: it gets five tries, each an
        // independent run of the binary, and must match on one of them.
        let tries = if sample.numbers { 5 } else { 1 };
        let mut printed = String::new();
        for _ in 0..tries {
            let out = Command::new(env!("CARGO_BIN_EXE_mapihang"))
                .args(&sample.args)
                .current_dir(root())
                .output()
                .unwrap();
            // The README shows the release build's repro lines; this is the test profile's binary.
            let stdout = String::from_utf8_lossy(&out.stdout)
                .replace("cargo run -- ", "cargo run --release -- ");
            printed = block(&stdout, sample.lines);
            if mask(&sample.shown, sample.numbers) == mask(&printed, sample.numbers) {
                break;
            }
        }
        assert_eq!(
            mask(&sample.shown, sample.numbers),
            mask(&printed, sample.numbers),
            "README sample `mapihang {}` drifted: run scripts/readme-samples.sh\n--- README:\n{}\n--- the binary:\n{}",
            sample.args.join(" "),
            sample.shown,
            printed
        );
    }
}

/// Every variant in every family at the README's budget (100 cases of 60 schedules per cell):
/// 126 CPU seconds when measured with core at opt-level 1, so only with `MAPIHANG_FULL=1` (CI). The quick run checks the same
/// declarations with a smaller budget (`props_fixes`, core's `matrix` tests).
#[test]
fn readme_matrix_is_what_the_binary_prints() {
    if crate::skip_unless_full(
        "the README matrix (every variant x family, 100 cases x 60 schedules)",
        "props_fixes: every variant's declaration in every family, on fewer cases",
    ) {
        return;
    }
    let readme = readme();
    let start = readme
        .find("<!-- matrix:start -->\n")
        .expect("the matrix marker")
        + 22;
    let end = readme
        .find("<!-- matrix:end -->")
        .expect("the matrix end marker");
    let shown = readme[start..end].trim();
    let out = Command::new(env!("CARGO_BIN_EXE_mapihang"))
        .args([
            "matrix",
            "--format",
            "markdown",
            "--cases",
            "100",
            "--schedules",
            "60",
            "--seed",
            "0",
        ])
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "the matrix agrees with the declarations"
    );
    let printed = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        shown,
        printed.trim(),
        "README matrix drifted: run scripts/readme-matrix.sh"
    );
}

#[test]
fn masking_keeps_what_matters() {
    assert_eq!(
        mask("case 1 of 1000 (1 schedules), 0 ms", false),
        "case 1 of 1000 (1 schedules), N ms"
    );
    assert_eq!(mask("#1 (130 µs) 35.9%", true), "#N (N µs) N%");
    assert_ne!(
        mask("shrunk from 36 to 5 ops", false),
        mask("shrunk from 36 to 6 ops", false)
    );
}
