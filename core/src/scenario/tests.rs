//! Parsing and validating scenarios: one `check_err` per rejected input.

use super::*;

fn check_err(text: &str, expect: &str) {
    let err = Scenario::from_json(text).unwrap_err().to_string();
    assert!(err.contains(expect), "{err:?} should contain {expect:?}");
    assert!(!err.contains('\n'), "one line: {err:?}");
}

#[test]
fn parses_design_example() {
    let text = r#"{
      "process_user": "S-1-5-18",
      "threads": [
        { "name": "T1", "ops": [ {"impersonate": "S-1-5-21-7-8-9-1001"}, "logon", "open_store", "release_store", "logoff", "revert" ] },
        { "name": "T2", "ops": [ {"impersonate": "S-1-5-21-7-8-9-1002"}, "logon", "open_store", "release_store", "logoff" ] }
      ]
    }"#;
    let scenario = Scenario::from_json(text).unwrap();
    assert_eq!(scenario.threads.len(), 2);
    assert_eq!(
        scenario.threads[0].ops[0],
        Op::Impersonate(Sid::parse("S-1-5-21-7-8-9-1001").unwrap())
    );
    assert_eq!(Scenario::from_json(&scenario.to_json()).unwrap(), scenario);
}

#[test]
fn defaults() {
    let scenario = Scenario::from_json(r#"{"threads":[{"ops":["logon"]}]}"#).unwrap();
    assert_eq!(scenario.process_user, Sid::local_system());
    assert_eq!(scenario.thread_name(0), "T1");
}

#[test]
fn rejects_bad_input() {
    check_err("{", "malformed scenario");
    check_err(
        r#"{"threads":[{"ops":["dance"]}]}"#,
        "thread T1, op 1: unknown op \"dance\"",
    );
    check_err(
        r#"{"threads":[{"ops":["logon"]},{"ops":["logon","logon",{"impersonate":"S-1-5-21-1","extra":1}]}]}"#,
        "thread T2, op 3: an op object has exactly one key",
    );
    check_err(
        r#"{"threads":[{"ops":[{"revert":"x"}]}]}"#,
        "thread T1, op 1: \"revert\" takes no argument",
    );
    check_err(
        r#"{"threads":[{"name":"a\nPASS: b","ops":[]}]}"#,
        "thread T1: name \"a\\nPASS: b\" contains control characters",
    );
    let huge = format!(
        r#"{{"threads":[{{"ops":[{{"impersonate":"S-1-{}"}}]}}]}}"#,
        "9".repeat(10_000)
    );
    let err = Scenario::from_json(&huge).unwrap_err().to_string();
    assert!(err.len() < 300, "{err}");
    assert!(Scenario::from_json("\u{feff}{\"threads\":[{\"ops\":[\"logon\"]}]}").is_ok());
    check_err(
        r#"{"threads":[{"ops":[{"impersonate":"S-1-x"}]}]}"#,
        "bad SID \"S-1-x\"",
    );
    check_err(
        r#"{"process_user":"nobody","threads":[{"ops":[]}]}"#,
        "bad SID",
    );
    check_err(r#"{"threads":[]}"#, "at least one thread");
    let many = format!(r#"{{"threads":[{}]}}"#, [r#"{"ops":[]}"#; 17].join(","));
    check_err(&many, "17 threads, at most 16");
    let long = format!(
        r#"{{"threads":[{{"ops":[{}]}}]}}"#,
        [r#""logon""#; 257].join(",")
    );
    check_err(&long, "257 ops, at most 256");
    check_err(
        r#"{"threads":[{"ops":[],"extra":1}]}"#,
        "thread T1: unknown field \"extra\" (expected name, spawned, ops)",
    );
}

/// DESIGN.md's example of the extended format.
pub(crate) const EXTENDED: &str = r#"{
  "users": { "alice": "S-1-5-21-7-8-9-1001", "bob": "S-1-5-21-7-8-9-1002" },
  "threads": [
    { "name": "main", "ops": [ "logon", {"spawn": "W1"}, {"spawn": "W2"}, {"join": "W1"}, {"join": "W2"}, "logoff" ] },
    { "name": "W1", "spawned": true, "ops": [ {"impersonate": "alice"}, {"logon": "s"},
        {"open_store": {"session": "s", "as": "inbox"}}, {"signal": "inbox-open"}, {"wait": "done"}, {"logoff": "s"}, "revert" ] },
    { "name": "W2", "spawned": true, "ops": [ {"wait": "inbox-open"}, {"release_store": "inbox"}, {"signal": "done"},
        {"lock": "mapi"}, {"repeat": 3, "ops": [ "logon", "open_store", "release_store", "logoff" ]}, {"unlock": "mapi"} ] }
  ]
}"#;

#[test]
fn parses_the_extended_design_example() {
    let scenario = Scenario::from_json(EXTENDED).unwrap();
    assert!(scenario.is_extended());
    assert_eq!(scenario.users.len(), 2);
    let alice = Sid::parse("S-1-5-21-7-8-9-1001").unwrap();
    assert_eq!(scenario.threads[1].ops[0].impersonated(), Some(&alice));
    assert!(scenario.threads[1].spawned && !scenario.threads[0].spawned);
    // 6 ops written, the repeat of 4 ops 3 times expanded: 5 + 12.
    assert_eq!(scenario.threads[2].ops.len(), 6);
    assert_eq!(scenario.threads[2].expanded().len(), 17);
    assert_eq!(scenario.users(), vec![Sid::local_system(), alice,]);
    // It serialises as written (names kept, repeat not expanded) and reads back the same.
    let again = Scenario::from_json(&scenario.to_json()).unwrap();
    assert_eq!(again, scenario);
    assert!(scenario.to_json().contains("\"impersonate\": \"alice\""));
    assert!(!Scenario::seed_repro().is_extended());
}

#[test]
fn rejects_bad_extended_input() {
    let one = |ops: &str| {
        format!(
            r#"{{"threads":[{{"name":"main","ops":[{ops}]}},{{"name":"W","spawned":true,"ops":[]}}]}}"#
        )
    };
    check_err(
        &one(r#"{"spawn":"X"}"#),
        "thread main spawns \"X\", which is no thread",
    );
    check_err(
        &one(r#"{"join":"X"}"#),
        "thread main joins \"X\", which is no thread",
    );
    check_err(
        &one(r#"{"spawn":"W"},{"spawn":"W"}"#),
        "thread \"W\" is spawned twice (by main and by main)",
    );
    check_err(
        &one(r#"{"repeat":2,"ops":[{"spawn":"W"}]}"#),
        "is spawned twice",
    );
    check_err(
        r#"{"threads":[{"name":"a","ops":[{"spawn":"b"}]},{"name":"b","ops":[]}]}"#,
        "thread a spawns \"b\", which is not marked \"spawned\": true",
    );
    check_err(
        r#"{"threads":[{"spawned":true,"ops":[]}]}"#,
        "at least one must start at once",
    );
    check_err(
        &one(r#"{"release_store":"inbox"}"#),
        "thread main: release_store inbox: no op binds the store \"inbox\"",
    );
    check_err(&one(r#"{"logoff":"s"}"#), "no op binds the session \"s\"");
    check_err(
        &one(r#"{"open_store":{"session":"s","as":"m"}}"#),
        "no op binds the session \"s\"",
    );
    check_err(
        &one(r#"{"open_store":{"session":"s"}}"#),
        "open_store: missing field \"as\"",
    );
    check_err(
        &one(r#"{"open_store":{"as":"m","x":1}}"#),
        "open_store: unknown field \"x\"",
    );
    check_err(
        &one(r#"{"repeat":0,"ops":["logon"]}"#),
        "op 1: repeat: the count is from 1 to 16, found 0",
    );
    check_err(
        &one(r#"{"repeat":17,"ops":["logon"]}"#),
        "from 1 to 16, found 17",
    );
    check_err(&one(r#"{"repeat":2,"ops":[]}"#), "repeat: \"ops\" is empty");
    check_err(
        &one(
            r#""logon",{"repeat":2,"ops":["logon",{"repeat":2,"ops":[{"repeat":2,"ops":["logon"]}]}]}"#,
        ),
        "thread \"main\", op 2.2.1: repeat nested more than 2 deep",
    );
    check_err(
        &one(r#"{"repeat":2,"ops":["dance"]}"#),
        "op 1.1: unknown op \"dance\"",
    );
    check_err(
        &one(r#"{"impersonate":"carol"}"#),
        "\"carol\" is neither a SID nor a name in \"users\"",
    );
    check_err(&one(r#""spawn""#), "\"spawn\" needs a thread name");
    check_err(
        &one(r#"{"lock":3}"#),
        "\"lock\" takes a lock name (a string), found a number",
    );
    check_err(&one(r#"{"wait":""}"#), "wait: name \"\" is empty");
    check_err(
        r#"{"users":{"a":"S-1-x"},"threads":[{"ops":[]}]}"#,
        "users: \"a\": bad SID",
    );
    check_err(
        r#"{"users":[],"threads":[{"ops":[]}]}"#,
        "users: expected an object",
    );
    check_err(
        r#"{"threads":[{"spawned":1,"ops":[]}]}"#,
        "spawned: expected true or false",
    );
    check_err(
        r#"{"threads":[{"name":"a","ops":[{"join":"b"}]},{"name":"b","ops":[]},{"name":"b","ops":[]}]}"#,
        "thread a joins \"b\", a name 2 threads share",
    );
    // 16 ops repeated 16 times is 256 (allowed); one more op is over the limit.
    let ops16 = vec![r#""revert""#; 16].join(",");
    let ok = format!(r#"{{"threads":[{{"ops":[{{"repeat":16,"ops":[{ops16}]}}]}}]}}"#);
    assert_eq!(Scenario::from_json(&ok).unwrap().ops_total(), 256);
    let over = format!(r#"{{"threads":[{{"ops":["logon",{{"repeat":16,"ops":[{ops16}]}}]}}]}}"#);
    check_err(
        &over,
        "thread T1 has 257 ops after repeat is expanded, at most 256 allowed",
    );
}

#[test]
fn sixteen_threads_are_allowed() {
    let sixteen = format!(
        r#"{{"threads":[{}]}}"#,
        [r#"{"ops":["logon"]}"#; 16].join(",")
    );
    assert_eq!(Scenario::from_json(&sixteen).unwrap().threads.len(), 16);
}

#[test]
fn the_committed_json_schema_is_the_generated_one() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/scenario.schema.json");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    let generated = schema::json_schema();
    if committed != generated && std::env::var_os("MAPIHANG_BLESS").is_some() {
        std::fs::write(path, &generated).unwrap();
        return;
    }
    assert!(
        committed == generated,
        "docs/scenario.schema.json is not the schema of the types in core/src/scenario/schema.rs; \
         regenerate it with MAPIHANG_BLESS=1 cargo test -p mapihang-core committed_json_schema"
    );
}

#[test]
fn the_schema_describes_every_op() {
    let schema: serde_json::Value = serde_json::from_str(&schema::json_schema()).unwrap();
    let text = schema.to_string();
    for key in [
        "impersonate",
        "logon",
        "open_store",
        "release_store",
        "logoff",
        "spawn",
        "join",
        "signal",
        "wait",
        "lock",
        "unlock",
        "repeat",
        "spawned",
        "users",
        "process_user",
    ] {
        assert!(
            text.contains(&format!("\"{key}\"")),
            "the schema names {key}"
        );
    }
    // Every op the parser accepts serialises to a form of the schema's `OpJson` (serialising
    // goes through it), and that form parses back to the same op.
    let scenario = Scenario::from_json(EXTENDED).unwrap();
    for thread in &scenario.threads {
        for op in &thread.ops {
            let json = serde_json::to_value(op).unwrap();
            let text = format!(
                r#"{{"users":{{"alice":"S-1-5-21-7-8-9-1001"}},"threads":[{{"ops":[{{"logon":"s"}},{{"open_store":{{"as":"inbox"}}}},{json}]}},{{"name":"W1","spawned":true,"ops":[]}},{{"name":"W2","spawned":true,"ops":[]}}]}}"#
            );
            let back = Scenario::from_json(&text).unwrap();
            assert_eq!(&back.threads[0].ops[2], op);
        }
    }
}
