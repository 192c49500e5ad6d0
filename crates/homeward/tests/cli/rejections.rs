//! Malformed input is rejected: exit status 2, one line on standard error naming the JSON path,
//! nothing on standard output (timeline-v1 §9.3).

use serde_json::{Value, json};

use super::{homeward, temp_file};

fn valid() -> Value {
    json!({
        "format": "timeline-v1",
        "id": "REJECT",
        "rulesets": [{"protocol": "SY", "role": "responsible"}],
        "child": {
            "dob": "2010-01-01", "legal_status": "s20", "placement_type": "foster",
            "responsible_authority": "Sheffield City Council", "police_force": "South Yorkshire Police",
            "prior_episodes": [{"reported_missing_at": "2024-01-01T10:00:00+00:00", "returned_at": null}]
        },
        "events": [
            {"at": "2024-03-01T10:00:00+00:00", "type": "reported_missing", "data": {"to": "South Yorkshire Police"}},
            {"at": "2024-03-01T10:05:00+00:00", "type": "risk_graded", "data": {"level": "medium"}, "satisfies": ["SY-RISK-SGT"]}
        ],
        "evaluate_at": "2024-03-02T10:00:00+00:00"
    })
}

/// Applies `edit` to a valid timeline and asserts the rejection names `path`.
fn rejects(name: &str, edit: impl FnOnce(&mut Value), path: &str) {
    let mut doc = valid();
    edit(&mut doc);
    let file = temp_file(&format!("{name}.json"), &doc.to_string());
    let out = homeward(&["evaluate", file.to_str().unwrap_or_default()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
    assert!(out.stdout.is_empty(), "{name}: printed on stdout");
    assert_eq!(stderr.lines().count(), 1, "{name}: not one line: {stderr}");
    assert!(
        stderr.contains(path),
        "{name}: `{stderr}` does not name {path}"
    );
}

#[test]
fn the_valid_base_document_is_accepted() {
    let file = temp_file("valid.json", &valid().to_string());
    let out = homeward(&["evaluate", file.to_str().unwrap_or_default()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn unknown_event_type() {
    rejects(
        "type",
        |d| d["events"][1]["type"] = json!("risk_gradd"),
        "$.events[1].type",
    );
}

#[test]
fn unknown_field_value() {
    rejects(
        "level",
        |d| d["events"][1]["data"]["level"] = json!("severe"),
        "$.events[1].data.level",
    );
    rejects(
        "legal",
        |d| d["child"]["legal_status"] = json!("s99"),
        "$.child.legal_status",
    );
    rejects(
        "role",
        |d| d["rulesets"][0]["role"] = json!("owner"),
        "$.rulesets[0].role",
    );
}

#[test]
fn unknown_fields() {
    rejects("top", |d| d["colour"] = json!("red"), "$.colour");
    rejects(
        "data",
        |d| d["events"][0]["data"]["urgent"] = json!(true),
        "$.events[0].data.urgent",
    );
    rejects(
        "child",
        |d| d["child"]["nickname"] = json!("x"),
        "$.child.nickname",
    );
    // `by` is not a field of notification_sent (it has `from`).
    rejects(
        "by",
        |d| d["events"][1] = json!({"at": "2024-03-01T11:00:00+00:00", "type": "notification_sent", "data": {"to": "IRO", "by": "SW"}}),
        "$.events[1].data.by",
    );
}

#[test]
fn missing_required_fields() {
    rejects(
        "dob",
        |d| {
            d["child"].as_object_mut().map(|c| c.remove("dob"));
        },
        "$.child",
    );
    rejects(
        "data",
        |d| {
            d["events"][1].as_object_mut().map(|e| e.remove("data"));
        },
        "$.events[1]",
    );
    rejects(
        "evaluate_at",
        |d| {
            d.as_object_mut().map(|e| e.remove("evaluate_at"));
        },
        "$",
    );
}

#[test]
fn bad_instants() {
    rejects(
        "no-offset",
        |d| d["events"][0]["at"] = json!("2024-03-01T10:00:00"),
        "$.events[0].at",
    );
    rejects(
        "no-seconds",
        |d| d["evaluate_at"] = json!("2024-03-01T10:00+00:00"),
        "$.evaluate_at",
    );
    rejects(
        "bad-date",
        |d| d["events"][0]["at"] = json!("2024-02-30T10:00:00+00:00"),
        "$.events[0].at",
    );
    rejects(
        "not-string",
        |d| d["events"][0]["at"] = json!(20240301),
        "$.events[0].at",
    );
    rejects(
        "dob",
        |d| d["child"]["dob"] = json!("1/1/2010"),
        "$.child.dob",
    );
}

#[test]
fn events_out_of_order_where_order_matters() {
    // A prior episode must precede the file's first event…
    rejects(
        "prior-late",
        |d| {
            d["child"]["prior_episodes"][0]["reported_missing_at"] =
                json!("2024-03-01T10:00:00+00:00")
        },
        "$.child.prior_episodes[0].reported_missing_at",
    );
    // …and cannot end before it began.
    rejects(
        "prior-return",
        |d| d["child"]["prior_episodes"][0]["returned_at"] = json!("2023-12-31T10:00:00+00:00"),
        "$.child.prior_episodes[0].returned_at",
    );
}

#[test]
fn unknown_rule_ids_and_share_tags_in_satisfies() {
    rejects(
        "unknown-rule",
        |d| d["events"][1]["satisfies"] = json!(["SY-RISK-SARGE"]),
        "$.events[1].satisfies[0]",
    );
    rejects(
        "not-an-id",
        |d| d["events"][1]["satisfies"] = json!(["sy-risk-sgt"]),
        "$.events[1].satisfies[0]",
    );
    rejects(
        "no-share",
        |d| d["events"][1]["satisfies"] = json!(["SY-RISK-SGT/CARER"]),
        "$.events[1].satisfies[0]",
    );
    rejects(
        "bad-share",
        |d| d["events"][1]["satisfies"] = json!(["HIPS-RET-CIC-CONFIRM/BOSS"]),
        "$.events[1].satisfies[0]",
    );
    rejects(
        "definition",
        |d| d["events"][1]["satisfies"] = json!(["SY-DEF-MISSING"]),
        "$.events[1].satisfies[0]",
    );
    rejects(
        "twice",
        |d| d["events"][1]["satisfies"] = json!(["SY-RISK-SGT", "SY-RISK-SGT"]),
        "$.events[1].satisfies[1]",
    );
}

#[test]
fn rulesets_that_cannot_be_combined() {
    rejects(
        "twice",
        |d| {
            d["rulesets"] =
                json!([{"protocol": "SY", "role": "host"}, {"protocol": "SY", "role": "host"}])
        },
        "$.rulesets[1]",
    );
    rejects(
        "newham-both",
        |d| d["rulesets"] = json!([{"protocol": "NEWHAM", "role": "responsible"}, {"protocol": "NEWHAM", "role": "host"}]),
        "$.rulesets[1]",
    );
    rejects("empty", |d| d["rulesets"] = json!([]), "$.rulesets");
}

#[test]
fn test_fields_must_be_well_formed() {
    rejects(
        "expected",
        |d| d["expected_obligations"] = json!([{"rule": "SY-PI"}]),
        "$.expected_obligations[0]",
    );
    rejects(
        "must-not",
        |d| d["must_not_exist"] = json!([{"rule": "SY-PI", "due": "soon", "reason": "x"}]),
        "$.must_not_exist[0].due",
    );
}

#[test]
fn not_json_and_missing_files() {
    let file = temp_file("broken.json", "{\"format\": \"timeline-v1\",");
    let out = homeward(&["evaluate", file.to_str().unwrap_or_default()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not valid JSON"));

    let out = homeward(&["evaluate", "/nonexistent/timeline.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/timeline.json"));
}

#[test]
fn a_bad_at_argument() {
    let file = temp_file("valid-at.json", &valid().to_string());
    let out = homeward(&[
        "evaluate",
        file.to_str().unwrap_or_default(),
        "--at",
        "tomorrow",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--at"));
}
