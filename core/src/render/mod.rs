//! The text form of each command's result, beside its JSON form in [`crate::schema`] (a report's
//! text is [`crate::explain`]'s). Core renders and the CLI prints; a suggested command line in a
//! text starts with `prog`, the way the user runs mapihang (`os::program`), which the CLI
//! passes in.

pub mod advise;
pub mod corpus;
pub mod exhaustive;
pub mod hunt;
pub mod matrix;
pub mod rerun;
pub mod stress;

use std::fmt::Write as _;

use crate::monitor::names;
use crate::replay::ReplayVerdict;
use crate::schema::{FuzzParseJson, VariantInfo};
use crate::variant::Expectation;

/// `mapihang variants` in words: each variant, its paragraph, and per family what it violates.
pub fn variants(infos: &[VariantInfo<'_>]) -> String {
    let mut text = String::new();
    for info in infos {
        let _ = writeln!(text, "{}\n  {}", info.name, info.description);
        for (family, expectation) in &info.expected {
            let _ = writeln!(text, "    {family:<16} {}", expectation_words(expectation));
        }
        text.push('\n');
    }
    text
}

/// An expectation in words: `violates a; may violate b`, or `keeps every invariant`.
pub fn expectation_words(expectation: &Expectation) -> String {
    if expectation.must.is_empty() && expectation.may.is_empty() {
        return "keeps every invariant".into();
    }
    let mut parts = Vec::new();
    if !expectation.must.is_empty() {
        parts.push(format!("violates {}", names(&expectation.must)));
    }
    if !expectation.may.is_empty() {
        parts.push(format!("may violate {}", names(&expectation.may)));
    }
    parts.join("; ")
}

/// A replay's verdict in one line, under variant `name` with step bound `steps_max`
/// (`check_instead`: the check that settles an unsettled one).
pub fn replay_line(
    verdict: &ReplayVerdict,
    name: &str,
    steps_max: usize,
    check_instead: &str,
) -> String {
    match verdict {
        ReplayVerdict::LeftButViolated { found } => format!(
            "violation: under {name} the execution left the recorded schedule, but before it did \
             it violated {} (certain)",
            names(found)
        ),
        ReplayVerdict::LeftSchedule { prefix, searched } => format!(
            "not judged: under {name} the execution left the recorded schedule after {prefix} \
             steps, and {searched} executions of its continuations settled nothing; run \
             {check_instead}"
        ),
        ReplayVerdict::Continued {
            prefix,
            traces,
            found,
        } if found.is_empty() => format!(
            "pass: under {name} the execution left the recorded schedule after {prefix} steps; \
             every continuation of those steps passes (complete search, {traces} traces)"
        ),
        ReplayVerdict::Continued { prefix, found, .. } => format!(
            "violation: under {name} the execution left the recorded schedule after {prefix} \
             steps; a continuation of those steps violates {} (certain)",
            names(found)
        ),
        ReplayVerdict::CutOff => format!(
            "not judged: under {name} the step bound ({}) cut the execution off",
            steps_max
        ),
        ReplayVerdict::NotReproduced => format!(
            "did not reproduce: under {name} the recorded schedule runs to its end without a violation"
        ),
        ReplayVerdict::Reproduced { found } => {
            format!("reproduced: the same violation ({})", names(found))
        }
        ReplayVerdict::Different { found, expected } => format!(
            "reproduced a different violation: {} (the report had {})",
            names(found),
            names(expected)
        ),
    }
}

/// What `scenario_json` made of a fuzz artifact, in words.
pub fn fuzz_parse(summary: &FuzzParseJson) -> String {
    let mut out = String::new();
    if summary.lost.is_empty() {
        out.push_str("PASS: scenario_json: every parser returned, no round trip lost\n");
    } else {
        out.push_str("CRASH: scenario_json: a round trip lost something\n");
    }
    let _ = writeln!(out, "  scenario: {}", summary.scenario);
    let _ = writeln!(out, "  schedule: {}", summary.schedule);
    let _ = writeln!(out, "  report:   {}", summary.report);
    for lost in &summary.lost {
        let _ = writeln!(out, "  lost:     {lost}");
    }
    out
}
