//! End-to-end tests of the `homeward` binary: acceptance scenarios, the exact output format,
//! rejected input and the rule-pack commands.

mod admin;
mod exports;
mod patterns;
mod police_list;
mod rejections;
mod rules_commands;
mod scenarios;
mod ssda903;
mod test_clock;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs the built binary with arguments.
fn homeward(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_homeward"))
        .args(args)
        .output()
        .unwrap_or_else(|e| unreachable!("cannot run homeward: {e}"))
}

/// An empty scratch folder `homeward-AREA-PID-NAME` for one test.
fn scratch(area: &str, name: &str) -> std::io::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("homeward-{area}-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// A scratch folder holding a demo database (`demo.db`) of `children` children.
fn demo(
    area: &str,
    name: &str,
    children: u32,
) -> Result<(PathBuf, PathBuf), Box<dyn std::error::Error>> {
    let dir = scratch(area, name)?;
    let db = dir.join("demo.db");
    let out = homeward(&[
        "demo",
        "--database",
        db.to_str().unwrap_or_default(),
        "--children",
        &children.to_string(),
    ]);
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into());
    }
    Ok((dir, db))
}

/// A runtime for reading a test's store directly.
fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

/// Writes text to a fresh temporary file and returns its path.
fn temp_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("homeward-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| unreachable!("temp dir: {e}"));
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap_or_else(|e| unreachable!("write {}: {e}", path.display()));
    path
}

#[test]
fn bundled_example_prints_exactly_the_spec_worked_example() {
    let out = homeward(&[
        "evaluate",
        repo()
            .join("examples/newham-lac-72h-dst.json")
            .to_str()
            .unwrap_or_default(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected =
        std::fs::read_to_string(repo().join("examples/newham-lac-72h-dst.expected.json"))
            .unwrap_or_else(|e| unreachable!("expected output: {e}"));
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
    assert!(out.stderr.is_empty());
}

#[test]
fn at_overrides_the_evaluation_instant() {
    let file = repo().join("examples/newham-lac-72h-dst.json");
    let out = homeward(&[
        "evaluate",
        file.to_str().unwrap_or_default(),
        "--at",
        "2024-10-31T22:00:00Z",
    ]);
    assert!(out.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    assert_eq!(doc["evaluated_at"], "2024-10-31T22:00:00+00:00");
    let rules: Vec<&str> = doc["obligations"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["rule"].as_str())
        .collect();
    // Seven calendar days after 22:00 BST on 24 October is 22:00 GMT on 31 October.
    assert!(rules.contains(&"NEWHAM-ESC-LAC-7D"), "{rules:?}");
}
