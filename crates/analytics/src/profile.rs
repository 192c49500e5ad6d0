//! The pattern fields of a child's profile documents. The Philomena profile and the history
//! document (SY 7.1.5: "details of family members, friends and associates"; Lancashire:
//! "places frequented") may carry two lists of strings:
//!
//! ```json
//! {"places_frequented": ["Stratford bus station, E15 1AZ"], "associates": ["'Big J'"]}
//! ```

use serde_json::Value;

/// Document kinds whose pattern fields are read.
pub const KINDS: [&str; 2] = ["philomena_profile", "history_document"];
/// The list fields a profile may carry.
pub const FIELDS: [&str; 2] = ["places_frequented", "associates"];
/// Longest entry accepted.
const MAX_LEN: usize = 200;
/// Most entries per list.
const MAX_ENTRIES: usize = 100;

/// Checks the pattern fields of a document body before it is stored: each, when present, is a
/// list of at most 100 non-blank strings of at most 200 characters. The error names the field
/// (`$.body.associates[2]`) and what is wrong.
pub fn check(body: &Value) -> Result<(), (String, String)> {
    for field in FIELDS {
        let Some(v) = body.get(field) else { continue };
        let path = format!("$.body.{field}");
        let Some(list) = v.as_array() else {
            return Err((path, "expected a list of strings".into()));
        };
        if list.len() > MAX_ENTRIES {
            return Err((path, format!("at most {MAX_ENTRIES} entries")));
        }
        for (i, entry) in list.iter().enumerate() {
            let at = format!("{path}[{i}]");
            match entry.as_str() {
                None => return Err((at, "expected a string".into())),
                Some(s) if s.trim().is_empty() => return Err((at, "is blank".into())),
                Some(s) if s.chars().count() > MAX_LEN => {
                    return Err((at, format!("longer than {MAX_LEN} characters")));
                }
                Some(_) => {}
            }
        }
    }
    Ok(())
}

/// The entries of one pattern field in a document body (nothing if absent or malformed).
pub fn entries(body: &Value, field: &str) -> Vec<String> {
    body.get(field)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn accepts_lists_of_strings_and_other_fields() {
        assert_eq!(
            check(&json!({"associates": ["Big J"], "places_frequented": [], "notes": 3})),
            Ok(())
        );
        assert_eq!(check(&json!({})), Ok(()));
    }

    #[test]
    fn names_the_bad_field() {
        assert_eq!(
            check(&json!({"associates": "Big J"})),
            Err((
                "$.body.associates".into(),
                "expected a list of strings".into()
            ))
        );
        assert_eq!(
            check(&json!({"places_frequented": ["ok", " "]})),
            Err(("$.body.places_frequented[1]".into(), "is blank".into()))
        );
        assert_eq!(
            check(&json!({"associates": ["a", 7]})),
            Err(("$.body.associates[1]".into(), "expected a string".into()))
        );
        let long = "x".repeat(201);
        assert!(check(&json!({ "associates": [long] })).is_err());
    }

    #[test]
    fn entries_skip_blanks_and_non_strings() {
        let body = json!({"associates": ["Big J", "", 4, "Kay"]});
        assert_eq!(entries(&body, "associates"), vec!["Big J", "Kay"]);
        assert!(entries(&body, "places_frequented").is_empty());
    }
}
