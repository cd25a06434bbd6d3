//! `mapihang stress` in words: the two backends side by side.

use std::fmt::Write as _;
use std::time::Duration;

use crate::monitor::Invariant;
use crate::report::Report;
use crate::stress::StressResult;

/// What `stress` ran, as its text output names it: the variant, the scenario (as the user named
/// it), the watchdog and the controlled scheduler's seed.
pub struct StressRun<'a> {
    /// The variant's name.
    pub variant: &'a str,
    /// The scenario as the user named it (its path).
    pub scenario: &'a str,
    /// The watchdog.
    pub timeout_ms: u64,
    /// The controlled scheduler's seed.
    pub seed: u64,
}

/// The two backends side by side, then the first failing run on real threads (`report`, the
/// report of that run) when there is one.
pub fn text(run: &StressRun<'_>, result: &StressResult, report: &Report) -> String {
    let mut out = table(run, result);
    if let Some(failure) = &result.first_failure {
        let which = if result.real.first_hang == Some(failure.execution) {
            "first hung run"
        } else {
            "first failing run"
        };
        let _ = write!(out, "\n{which} on real threads:\n{}", report.to_text());
    }
    out
}

/// The two backends side by side.
fn table(run: &StressRun<'_>, result: &StressResult) -> String {
    let StressRun {
        variant,
        scenario,
        timeout_ms,
        seed,
    } = *run;
    let mut out = String::new();
    let verdict = result.verdict().headline();
    let _ = writeln!(
        out,
        "{verdict}: variant {variant} on {}, real OS threads with a {} ms watchdog vs the controlled scheduler (random, seed {})",
        scenario, timeout_ms, seed
    );
    let _ = writeln!(
        out,
        "\n  {:<22} {:>10} {:>16} {:>12} {:>14} {:>16}",
        "", "executions", "hung", "hangs/s", "executions/s", "first hang"
    );
    for (name, tally) in [
        ("real threads", &result.real),
        ("controlled scheduler", &result.controlled),
    ] {
        if tally.executions == 0 {
            continue;
        }
        let hung = format!("{} ({:.1}%)", tally.hung, 100.0 * tally.hang_rate());
        let first = match (tally.first_hang, tally.first_hang_after) {
            (Some(index), Some(after)) => format!("#{} ({})", index + 1, human(after)),
            _ => "none".to_string(),
        };
        let _ = writeln!(
            out,
            "  {name:<22} {:>10} {hung:>16} {:>12.1} {:>14.0} {first:>16}",
            tally.executions,
            tally.hangs_per_second(),
            tally.executions_per_second(),
        );
    }
    let _ = writeln!(
        out,
        "\nhung = a thread waited forever for a store's signal (poller-signals), judged by the same monitors on both."
    );
    if result.watchdog_fired > 0 {
        let _ = writeln!(
            out,
            "the watchdog fired in {} real run(s); in {} of them no thread was running (a deadlock, not a slow thread).",
            result.watchdog_fired, result.watchdog_all_blocked
        );
    }
    if result.real.inconclusive > 0 {
        let _ = writeln!(
            out,
            "not judged: in {} real run(s) the watchdog fired while some thread still ran (a slow thread is no hang); raise --timeout-ms (now {}).",
            result.real.inconclusive, timeout_ms
        );
    }
    for (name, tally) in [
        ("real threads", &result.real),
        ("controlled", &result.controlled),
    ] {
        for (invariant, count) in &tally.per_invariant {
            if *invariant != Invariant::PollerSignals {
                let _ = writeln!(out, "{name}: {invariant} violated in {count} execution(s)");
            }
        }
    }
    out
}

fn human(duration: Duration) -> String {
    let micros = duration.as_micros();
    if micros < 1000 {
        format!("{micros} µs")
    } else if micros < 1_000_000 {
        format!("{:.1} ms", micros as f64 / 1000.0)
    } else {
        format!("{:.2} s", micros as f64 / 1e6)
    }
}
