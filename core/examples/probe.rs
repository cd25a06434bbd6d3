use mapihang_core::engine::*;
use mapihang_core::scenario::Scenario;
use mapihang_core::variant::by_name;
fn main() {
    let s = Scenario::seed_repro();
    for strategy in [Strategy::Random, Strategy::Pct { depth: 3 }, Strategy::Dfs] {
        let t = std::time::Instant::now();
        let r = check(by_name("original").unwrap(), &s, &CheckConfig { strategy: strategy.clone(), schedules: 10000, ..Default::default() });
        println!("{:?}: execs {} failing {} exhausted {} {:?} in {:?}", strategy, r.executions, r.failing, r.exhausted, r.per_invariant, t.elapsed());
        if let Some(f) = &r.first_failure { println!("{:?}\n{}", f.findings, f.schedule); }
    }
}
