//! The data-driven acceptance test: every timeline v1 test file is evaluated by the binary and
//! compared with the rule of timeline-v1 §10. Files come from the repository's `scenarios/`
//! (visible acceptance copies and our own) and `../shared/scenarios` when it is beside the
//! checkout; `HOMEWARD_SCENARIOS` (paths separated by `:`) replaces both.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{homeward, repo};

fn instant(v: &Value) -> Option<Option<i128>> {
    match v {
        Value::Null => Some(None),
        Value::String(s) => s
            .parse::<jiff::Timestamp>()
            .ok()
            .map(|t| Some(t.as_nanosecond())),
        _ => None,
    }
}

fn scenario_files() -> Vec<PathBuf> {
    let roots: Vec<PathBuf> = match std::env::var("HOMEWARD_SCENARIOS") {
        Ok(list) => list
            .split(':')
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
            .collect(),
        Err(_) => {
            let mut roots = vec![repo().join("scenarios")];
            let shared = repo().join("../shared/scenarios");
            if shared.is_dir() {
                roots.push(shared);
            }
            roots
        }
    };
    let mut files = Vec::new();
    for root in roots {
        collect(&root, &mut files);
    }
    files.sort();
    files
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for e in entries {
            collect(&e, out);
        }
    } else if path.extension().is_some_and(|e| e == "json") {
        out.push(path.to_path_buf());
    }
}

fn timed_rules() -> BTreeSet<String> {
    let text = std::fs::read_to_string(repo().join("spec/timed-rules.txt")).unwrap_or_default();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Applies timeline-v1 §10 to one file; returns the differences found.
fn check(file: &Path, timed: &BTreeSet<String>) -> Vec<String> {
    let test: Value = match std::fs::read_to_string(file)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
    {
        Some(v) => v,
        None => return vec!["cannot read the test file".into()],
    };
    let out = homeward(&["evaluate", file.to_str().unwrap_or_default()]);
    if !out.status.success() {
        return vec![format!(
            "exit {:?}: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        )];
    }
    let doc: Value = match serde_json::from_slice(&out.stdout) {
        Ok(v) => v,
        Err(e) => return vec![format!("output is not JSON: {e}")],
    };
    let mut problems = Vec::new();
    let now = instant(&test["evaluate_at"]).flatten();
    if instant(&doc["evaluated_at"]).flatten() != now {
        problems.push(format!(
            "evaluated_at {} is not evaluate_at",
            doc["evaluated_at"]
        ));
    }
    let printed: Vec<&Value> = doc["obligations"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let mut got = BTreeSet::new();
    for o in &printed {
        let rule = o["rule"].as_str().unwrap_or_default().to_owned();
        let Some(due) = instant(&o["due"]) else {
            problems.push(format!("{rule}: bad due {}", o["due"]));
            continue;
        };
        if !timed.contains(&rule) {
            continue;
        }
        let want = match (due, now) {
            (Some(d), Some(n)) if d < n => "overdue",
            _ => "open",
        };
        if o["status"] != want {
            problems.push(format!(
                "{rule} due {}: status {} but should be {want}",
                o["due"], o["status"]
            ));
        }
        got.insert((rule, due));
    }
    let expected: BTreeSet<(String, Option<i128>)> = test["expected_obligations"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|x| {
            (
                x["rule"].as_str().unwrap_or_default().to_owned(),
                instant(&x["due"]).flatten(),
            )
        })
        .collect();
    for (rule, due) in expected.difference(&got) {
        problems.push(format!("missing {rule} due {due:?}"));
    }
    for (rule, due) in got.difference(&expected) {
        problems.push(format!("unexpected {rule} due {due:?}"));
    }
    for x in test["must_not_exist"].as_array().into_iter().flatten() {
        let rule = x["rule"].as_str().unwrap_or_default();
        let hit = printed.iter().any(|o| {
            o["rule"] == rule
                && (x.get("due").is_none() || instant(&o["due"]) == instant(&x["due"]))
        });
        if hit {
            problems.push(format!(
                "printed {rule} which must not exist: {}",
                x["reason"]
            ));
        }
    }
    problems
}

#[test]
fn every_scenario_passes_the_acceptance_rule() {
    let timed = timed_rules();
    assert_eq!(
        timed.len(),
        105,
        "spec/timed-rules.txt should list the 105 timed rules"
    );
    let files = scenario_files();
    assert!(
        files.len() >= 12,
        "expected at least the 12 visible scenarios, found {}",
        files.len()
    );
    let mut failures = Vec::new();
    for file in &files {
        let problems = check(file, &timed);
        if !problems.is_empty() {
            failures.push(format!("{}:\n  {}", file.display(), problems.join("\n  ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} scenarios failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

#[test]
fn the_comparison_catches_a_wrong_answer() {
    // A copy of SC01 that expects the naive wall-clock 72h answer must fail, so the test above
    // cannot pass by accident.
    let text =
        std::fs::read_to_string(repo().join("scenarios/acceptance/SC01-newham-lac-72h-dst.json"))
            .unwrap_or_default();
    let wrong = text.replacen(
        "\"due\": \"2024-10-27T21:00:00+00:00\"",
        "\"due\": \"2024-10-27T22:00:00+00:00\"",
        1,
    );
    assert_ne!(text, wrong);
    let file = super::temp_file("SC01-wrong.json", &wrong);
    assert!(!check(&file, &timed_rules()).is_empty());
}
