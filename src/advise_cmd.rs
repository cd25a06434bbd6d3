//! `mapihang advise SCENARIO.json`: the scenario under the seed's build, the workarounds and the
//! fixes; core runs them (`mapihang_core::advise`), this words the answer.

use std::path::PathBuf;

use clap::Args;

use mapihang_core::advise::{self, AdviceResult, AdviseConfig, Evidence, Remedy, Workaround};
use mapihang_core::monitor;
use mapihang_core::verdict::Verdict;

use mapihang_core::text::shell;

use crate::common::{in_range, CliError, Format, Variants};
use crate::io::{outln, program, read_scenario};

#[derive(Args, Debug)]
pub(crate) struct AdviseArgs {
    /// The scenario (JSON, or a report whose scenario to take).
    pub scenario: PathBuf,
    /// Each run first tries a complete search (DPOR) with this many executions.
    #[arg(long, default_value_t = AdviseConfig::default().dpor_budget)]
    pub dpor_budget: usize,
    /// When the complete search does not finish: PCT schedules instead.
    #[arg(long, default_value_t = AdviseConfig::default().schedules)]
    pub schedules: usize,
    /// PCT's seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

pub(crate) fn advise(variants: &Variants, args: &AdviseArgs) -> Result<u8, CliError> {
    in_range("dpor-budget", args.dpor_budget, 10_000_000)?;
    in_range("schedules", args.schedules, 10_000_000)?;
    let scenario = read_scenario(&args.scenario)?;
    for remedy in Remedy::ALL {
        variants.get(remedy.variant())?;
    }
    let config = AdviseConfig {
        dpor_budget: args.dpor_budget,
        schedules: args.schedules,
        seed: args.seed,
        ..AdviseConfig::default()
    };
    let lookup = |name: &str| variants.get(name).expect("checked above");
    let result = advise::advise(&scenario, &config, &lookup, &|_| {});
    match args.format {
        Format::Json => outln(&mapihang_core::schema::to_json(&result))?,
        Format::Text => outln(&text(&result, args))?,
    }
    Ok(result.verdict.exit_code())
}

fn text(result: &AdviceResult, args: &AdviseArgs) -> String {
    let mut out = format!(
        "ADVICE for {}: as given, under the seed's build: {}\n",
        shell(&args.scenario),
        verdict_words(&result.workarounds[0])
    );
    for w in &result.workarounds {
        out.push_str(&format!(
            "\n{:<24} {}\n  {}\n  evidence: {}\n",
            w.name.name(),
            verdict_words(w),
            w.description,
            evidence(w)
        ));
        if let (Some(scenario), true) = (&w.scenario, w.name != Remedy::Original) {
            if w.variant == "original" {
                out.push_str(&format!(
                    "  as a scenario: {}\n",
                    serde_json::to_string(scenario).expect("serialisable")
                ));
            } else {
                out.push_str(&format!(
                    "  run it: {} check {} --variant {} --scheduler dpor --schedules 10000000\n",
                    program(),
                    shell(&args.scenario),
                    w.variant
                ));
            }
        }
    }
    out.push_str(
        "\nThe seed's own remedy is operational: one service account, little or no thread-level impersonation.",
    );
    out
}

fn verdict_words(w: &Workaround) -> String {
    let invariants: Vec<_> = w.per_invariant.keys().copied().collect();
    match (w.verdict, &w.not_applicable) {
        (_, Some(why)) => format!("NOT APPLICABLE ({why})"),
        (Some(Verdict::Violation), _) => format!("VIOLATION: {}", monitor::names(&invariants)),
        (Some(Verdict::Pass), _) => "PASS".into(),
        (Some(Verdict::Inconclusive), _) | (None, _) => "INCONCLUSIVE".into(),
    }
}

fn evidence(w: &Workaround) -> String {
    let statement = w.guarantee.as_ref().map_or("", |g| g.statement.as_str());
    match w.evidence {
        Evidence::NotRun => "none (not run)".into(),
        Evidence::Proof => format!(
            "proof: the complete search covered every interleaving ({} executions)",
            w.executions
        ),
        Evidence::Found => format!(
            "certain: a failing execution was found by the complete search, which did not \
             finish within {} executions (other invariants may be violated too)",
            w.executions
        ),
        Evidence::Sampled if w.search_executions > 0 => format!(
            "sampled: the complete search did not finish within {} executions; then {statement}",
            w.search_executions
        ),
        Evidence::Sampled => format!("sampled: {statement}"),
    }
}
