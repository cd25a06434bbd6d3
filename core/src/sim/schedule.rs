//! The `mh1:` text form of a recorded schedule: the shuttle task chosen at each step.

use std::fmt;
use std::str::FromStr;

/// One execution's scheduling decisions: the shuttle task chosen at each step.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Schedule {
    /// Task ids (0 is the main task, application threads follow, pollers after them).
    pub steps: Vec<u16>,
}

/// Why a replay string did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad replay schedule {text:?}: {reason}")]
pub struct ScheduleError {
    /// (The start of) the text given.
    pub text: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

const SCHEDULE_PREFIX: &str = "mh1:";
const SCHEDULE_TEXT_SHOWN_MAX: usize = 40;
/// The longest schedule a replay string may hold (far above any execution's step bound).
pub const SCHEDULE_STEPS_MAX: usize = 1 << 20;

impl fmt::Display for Schedule {
    /// `mh1:` then runs of `task` or `task*count`, separated by `.`: e.g. `mh1:0.1*3.2`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(SCHEDULE_PREFIX)?;
        let mut first = true;
        let mut iter = self.steps.iter().peekable();
        while let Some(&task) = iter.next() {
            let mut count = 1;
            while iter.peek() == Some(&&task) {
                iter.next();
                count += 1;
            }
            if !first {
                f.write_str(".")?;
            }
            first = false;
            if count == 1 {
                write!(f, "{task}")?;
            } else {
                write!(f, "{task}*{count}")?;
            }
        }
        Ok(())
    }
}

impl FromStr for Schedule {
    type Err = ScheduleError;
    fn from_str(text: &str) -> Result<Schedule, ScheduleError> {
        let err = |reason| ScheduleError {
            text: text.chars().take(SCHEDULE_TEXT_SHOWN_MAX).collect(),
            reason,
        };
        let body = text
            .trim()
            .strip_prefix(SCHEDULE_PREFIX)
            .ok_or_else(|| err("must start with \"mh1:\""))?;
        let mut steps = Vec::new();
        if body.is_empty() {
            return Ok(Schedule { steps });
        }
        for run in body.split('.') {
            let (task, count) = match run.split_once('*') {
                Some((task, count)) => (
                    task,
                    count
                        .parse::<usize>()
                        .map_err(|_| err("run count is not a number"))?,
                ),
                None => (run, 1),
            };
            let task: u16 = task.parse().map_err(|_| err("task id is not a number"))?;
            if count == 0 || steps.len() + count > SCHEDULE_STEPS_MAX {
                return Err(err("run count is zero or the schedule is too long"));
            }
            steps.extend(std::iter::repeat_n(task, count));
        }
        Ok(Schedule { steps })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_text_roundtrip() {
        for steps in [vec![], vec![0], vec![0, 1, 1, 1, 2, 0, 0], vec![7; 100]] {
            let schedule = Schedule { steps };
            let text = schedule.to_string();
            assert_eq!(text.parse::<Schedule>().unwrap(), schedule, "{text}");
        }
        assert_eq!(
            Schedule {
                steps: vec![0, 1, 1, 1, 2]
            }
            .to_string(),
            "mh1:0.1*3.2"
        );
    }

    #[test]
    fn schedule_text_rejects_garbage() {
        for bad in [
            "",
            "mh2:0",
            "mh1:x",
            "mh1:1*",
            "mh1:1*0",
            "mh1:1..2",
            "mh1:70000",
            "mh1:1*99999999999",
        ] {
            let err = bad.parse::<Schedule>().unwrap_err().to_string();
            assert!(err.starts_with("bad replay schedule"), "{bad}: {err}");
        }
    }
}
