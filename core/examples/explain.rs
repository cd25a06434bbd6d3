//! Render a report JSON (as `mapihang check --out` writes it) in one format, without the CLI.
//!
//! ```text
//! cargo run --release -p mapihang-core --example explain -- REPORT.json FORMAT OUT
//! ```
//!
//! FORMAT is `text`, `mermaid`, `svg` or `html`; OUT is a file, or `-` for stdout.
//! `scripts/screenshot.sh` uses it to turn a report into a PNG.

use std::process::ExitCode;

use mapihang_core::explain::{render, ExplainFormat};
use mapihang_core::report::Report;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [report, format, out] = args.as_slice() else {
        eprintln!("usage: explain REPORT.json text|mermaid|svg|html OUT");
        return ExitCode::from(2);
    };
    let format: ExplainFormat = match format.parse() {
        Ok(format) => format,
        Err(error) => {
            eprintln!("explain: {error}");
            return ExitCode::from(2);
        }
    };
    let text = match std::fs::read_to_string(report) {
        Ok(text) => text,
        Err(error) => {
            eprintln!("explain: cannot read {report}: {error}");
            return ExitCode::from(2);
        }
    };
    let report: Report = match serde_json::from_str(&text) {
        Ok(report) => report,
        Err(error) => {
            eprintln!("explain: {report} is not a mapihang report: {error}");
            return ExitCode::from(2);
        }
    };
    let rendered = render(&report, format);
    if out == "-" {
        print!("{rendered}");
    } else if let Err(error) = std::fs::write(out, rendered) {
        eprintln!("explain: cannot write {out}: {error}");
        return ExitCode::from(2);
    }
    ExitCode::SUCCESS
}
