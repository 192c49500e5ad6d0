//! The timeline reader never panics: arbitrary JSON, and valid documents with parts replaced by
//! arbitrary values, are either accepted or rejected with a path.

use proptest::prelude::*;
use serde_json::{Value, json};

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "[a-zA-Z0-9_:+.T -]{0,30}".prop_map(Value::String),
        prop_oneof![
            Just("2024-10-24T22:00:00+01:00"),
            Just("2024-13-01T00:00:00Z"),
            Just("SY-PI"),
            Just("missing")
        ]
        .prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn valid() -> Value {
    serde_json::from_str(include_str!(
        "../../../../scenarios/acceptance/SC12-newham-lac-placed-in-merton.json"
    ))
    .unwrap_or_default()
}

/// Every JSON pointer of a document.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    match v {
        Value::Object(m) => m
            .iter()
            .for_each(|(k, x)| pointers(x, format!("{at}/{k}"), out)),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, x)| pointers(x, format!("{at}/{i}"), out)),
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn arbitrary_documents_never_panic(doc in arbitrary_json()) {
        let (catalog, calendar) = super::setup();
        if let Ok(t) = protocol::timeline::parse(&doc.to_string(), catalog) {
            protocol::Engine::new(catalog, calendar).evaluate(&t, t.evaluate_at);
        }
    }

    #[test]
    fn valid_documents_with_one_part_replaced_never_panic(pick in any::<prop::sample::Index>(), replacement in arbitrary_json()) {
        let (catalog, calendar) = super::setup();
        let mut doc = valid();
        let mut all = Vec::new();
        pointers(&doc, String::new(), &mut all);
        let target = all[pick.index(all.len())].clone();
        if let Some(slot) = doc.pointer_mut(&target) {
            *slot = replacement;
        }
        match protocol::timeline::parse(&doc.to_string(), catalog) {
            Ok(t) => { protocol::Engine::new(catalog, calendar).evaluate(&t, t.evaluate_at); }
            Err(e) => prop_assert!(e.path.starts_with('$')),
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,200}") {
        let (catalog, _) = super::setup();
        let _ = protocol::timeline::parse(&text, catalog);
    }
}
