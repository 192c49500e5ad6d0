//! `homeward rules list | explain | diff` and loading packs from a folder.

use super::{homeward, repo, temp_file};

fn stdout(args: &[&str]) -> String {
    let out = homeward(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn list_counts_rules_per_protocol() {
    let text = stdout(&["rules", "list"]);
    for line in [
        "HIPS — ",
        ": 81 rules, 20 timed",
        ": 28 rules, 5 timed",
        ": 61 rules, 35 timed",
        ": 64 rules, 23 timed",
        ": 57 rules, 22 timed",
        "total: 291 rules, 105 timed",
    ] {
        assert!(text.contains(line), "missing `{line}` in\n{text}");
    }
    let sy = stdout(&["rules", "list", "--protocol", "sy"]);
    assert!(
        sy.contains("SY-RISK-REVIEW-8H") && !sy.contains("HIPS-"),
        "{sy}"
    );
}

#[test]
fn explain_shows_citation_quote_trigger_due_and_discharge() {
    let text = stdout(&["rules", "explain", "NEWHAM-ESC-LAC-72H"]);
    for part in [
        "citation:       002_8e6e12699bd9dd46.txt §9.3; App D",
        "After 72 hours of a looked after child being missing",
        "at T_rep + PT72H, if the child is still missing then",
        "due:            activation",
        "discharged by:  an event naming NEWHAM-ESC-LAC-72H",
    ] {
        assert!(text.contains(part), "missing `{part}` in\n{text}");
    }
    let recurring = stdout(&["rules", "explain", "MERTON-STRAT-REVIEW-14D"]);
    assert!(
        recurring.contains(
            "every P14D after its own latest discharge, else the latest discharge of MERTON-STRAT"
        ),
        "{recurring}"
    );
    let out = homeward(&["rules", "explain", "NEWHAM-NOPE"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn diff_sets_parameters_side_by_side() {
    let text = stdout(&["rules", "diff", "HIPS", "SY"]);
    assert!(
        text.contains("repeat missing") && text.contains("3 in P3M") && text.contains("3 in P28D"),
        "{text}"
    );
    assert!(
        text.contains("HIPS-MTG-INTERVENTION") && text.contains("SY-STRAT-REPEAT"),
        "{text}"
    );
}

#[test]
fn an_invalid_pack_is_rejected_with_file_line_and_field() {
    let dir = std::env::temp_dir().join(format!("homeward-packs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| unreachable!("{e}"));
    for name in ["hips", "lancs", "newham", "sy", "merton"] {
        let text =
            std::fs::read_to_string(repo().join(format!("crates/protocol/packs/{name}.toml")))
                .unwrap_or_default();
        let text = if name == "sy" {
            text.replacen("after = \"PT72H\"", "after = \"72 hours\"", 1)
        } else {
            text
        };
        std::fs::write(dir.join(format!("{name}.toml")), text)
            .unwrap_or_else(|e| unreachable!("{e}"));
    }
    let out = homeward(&["--packs", dir.to_str().unwrap_or_default(), "rules", "list"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("sy.toml:")
            && err.contains("after = \"72 hours\"")
            && err.contains("not a protocol duration"),
        "{err}"
    );
}

#[test]
fn another_bank_holiday_list_can_be_loaded() {
    // Without 27 May 2024 as a holiday the next working day after Friday night is Monday 27th.
    let text = std::fs::read_to_string(
        repo().join("crates/protocol/data/bank-holidays-england-and-wales.json"),
    )
    .unwrap_or_default();
    let edited = text.replace("\"date\": \"2024-05-27\"", "\"date\": \"2024-05-28\"");
    assert_ne!(text, edited);
    let holidays = temp_file("holidays.json", &edited);
    let scenario = repo().join("scenarios/acceptance/SC02-hips-foster-2330-spring-bh.json");
    let out = stdout(&[
        "--bank-holidays",
        holidays.to_str().unwrap_or_default(),
        "evaluate",
        scenario.to_str().unwrap_or_default(),
    ]);
    assert!(out.contains("2024-05-27T23:59:59+01:00"), "{out}");
}
