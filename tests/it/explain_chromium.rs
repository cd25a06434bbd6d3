//! The HTML report loads in a real browser: headless Chromium renders the seed repro's page and
//! the DOM it builds holds the inline SVG timeline. Skipped (with a line saying so) on machines
//! without `/usr/bin/chromium`.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mapihang_core::engine::{check, CheckConfig};
use mapihang_core::explain::{render, ExplainFormat};
use mapihang_core::report::Report;
use mapihang_core::variant::by_name;

use crate::load;

const CHROMIUM: &str = "/usr/bin/chromium";
/// Far above the second or two Chromium needs; a browser that hangs fails the test, never CI.
const TIMEOUT: Duration = Duration::from_secs(60);

#[test]
fn html_report_loads_in_headless_chromium() {
    if !Path::new(CHROMIUM).exists() {
        eprintln!("explain_chromium: skipped: no {CHROMIUM} (apt-get install -y chromium)");
        return;
    }
    let scenario = load("seed-repro.json");
    let config = CheckConfig {
        schedules: 200,
        seed: 7,
        stop_on_first: true,
        ..CheckConfig::default()
    };
    let result = check(by_name("original").unwrap(), &scenario, &config);
    let report = Report::from_check("original", &scenario, &config, &result, 0);
    let html = render(&report, ExplainFormat::Html);

    let dir =
        std::env::temp_dir().join(format!("mapihang-explain-chromium-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("report.html");
    std::fs::write(&page, &html).unwrap();

    let mut child = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut dom = String::new();
        let _ = stdout.read_to_string(&mut dom);
        dom
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            let _ = std::fs::remove_dir_all(&dir);
            panic!("chromium did not finish within {TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let dom = reader.join().unwrap();
    let _ = std::fs::remove_dir_all(&dir);

    assert!(status.success(), "chromium exited with {status}");
    assert!(!dom.is_empty(), "chromium dumped no DOM");
    // The browser parsed the page into a DOM with the inline SVG and the tables in it.
    for needle in [
        "<svg",
        "waits forever for P1",
        "waits forever for P2",
        "Threads at the hang",
        "BLOCKED forever",
    ] {
        assert!(dom.contains(needle), "{needle:?} not in the rendered DOM");
    }
}
