//! The verdict of a run: the one word every command's result comes down to, and its exit code.

use serde::{Deserialize, Serialize};

/// `"pass"`, `"violation"` or `"inconclusive"` (JSON), and the exit code of each.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Nothing was violated and every execution was judged to its end.
    Pass,
    /// Some execution violated an invariant (certainly: see `monitor::settle`).
    Violation,
    /// Nothing was violated, but something could not be judged: an execution cut off by the
    /// step bound, a replay that left its recorded schedule, a real-thread watchdog that fired
    /// while a thread still ran. Never reads as a pass.
    Inconclusive,
}

impl Verdict {
    /// From counts: a violation wins; else anything unjudged makes it inconclusive.
    pub fn of(violations: usize, unjudged: usize) -> Verdict {
        if violations > 0 {
            Verdict::Violation
        } else if unjudged > 0 {
            Verdict::Inconclusive
        } else {
            Verdict::Pass
        }
    }

    /// The process exit code: 0 pass, 1 violation, 3 inconclusive (2 is bad usage or input).
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Pass => 0,
            Verdict::Violation => 1,
            Verdict::Inconclusive => 3,
        }
    }

    /// The stable name (`pass`, `violation`, `inconclusive`).
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Violation => "violation",
            Verdict::Inconclusive => "inconclusive",
        }
    }

    /// The word a text report starts with (`PASS`, `VIOLATION`, `INCONCLUSIVE`).
    pub fn headline(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Violation => "VIOLATION",
            Verdict::Inconclusive => "INCONCLUSIVE",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_codes_and_precedence() {
        assert_eq!(Verdict::of(0, 0), Verdict::Pass);
        assert_eq!(Verdict::of(1, 5), Verdict::Violation);
        assert_eq!(Verdict::of(0, 5), Verdict::Inconclusive);
        for (v, name, code) in [
            (Verdict::Pass, "pass", 0),
            (Verdict::Violation, "violation", 1),
            (Verdict::Inconclusive, "inconclusive", 3),
        ] {
            assert_eq!(serde_json::to_string(&v).unwrap(), format!("\"{name}\""));
            assert_eq!(v.exit_code(), code);
            assert_eq!(v.name(), name);
        }
    }
}
