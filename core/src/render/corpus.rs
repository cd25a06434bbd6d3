//! `mapihang corpus add` and `corpus check` in words.

use std::fmt::Write as _;
use std::path::Path;

use crate::monitor::names;
use crate::schema::{CorpusAddJson, CorpusCheckJson};
use crate::text::shell;

/// `corpus add` in words: the file written and each variant's recorded verdict.
pub fn add(added: &CorpusAddJson) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", added.path);
    for (variant, invariants) in &added.entry.expect {
        let verdict = if invariants.is_empty() {
            "keeps every invariant".to_string()
        } else {
            names(invariants)
        };
        let _ = writeln!(out, "  {variant:<22} {verdict}");
    }
    out
}

/// `corpus check` in words: each mismatch and missing verdict (with the command, run as `prog`,
/// that re-records it), then the totals.
pub fn check(checked: &CorpusCheckJson, prog: &str) -> String {
    let mut out = String::new();
    for entry in &checked.entries {
        if !entry.missing.is_empty() {
            let _ = writeln!(
                out,
                "{}: no recorded verdict for {} (re-record it: {prog} corpus add {} --dir {})",
                entry.path,
                entry.missing.join(", "),
                shell(Path::new(&entry.path)),
                shell(Path::new(&checked.dir)),
            );
        }
        for mismatch in &entry.mismatches {
            let _ = writeln!(
                out,
                "{}: {} expected [{}], observed [{}]",
                entry.path,
                mismatch.variant,
                names(&mismatch.expected),
                names(&mismatch.observed)
            );
        }
    }
    let complete: usize = checked.entries.iter().map(|e| e.complete.len()).sum();
    let verdicts: usize = checked.entries.iter().map(|e| e.variants).sum();
    let _ = writeln!(
        out,
        "{} corpus file(s), {} mismatch(es); {complete} of {verdicts} verdicts by the complete \
         search, the rest by random schedules",
        checked.files, checked.mismatches
    );
    out
}
