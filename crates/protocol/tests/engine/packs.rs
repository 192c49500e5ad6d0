//! The bundled rule packs: complete against the catalogue, and checked on load.

use std::collections::BTreeSet;

use protocol::Catalog;
use protocol::catalog::BUNDLED_PACKS;

fn spec_timed() -> BTreeSet<String> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../spec/timed-rules.txt"
    ))
    .unwrap_or_default();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_timed_rule_is_in_a_pack_with_its_citation_and_owner() {
    let (catalog, _) = super::setup();
    let spec = spec_timed();
    assert_eq!(spec.len(), 105);
    let mut timed = BTreeSet::new();
    for lp in catalog.packs() {
        for key in catalog.keys_of(lp.pack.protocol) {
            let rule = catalog.rule(key);
            assert!(
                !rule.paragraph.is_empty() && !rule.quote.is_empty(),
                "{} has no citation",
                rule.id.get_ref()
            );
            if rule.timed {
                timed.insert(rule.id.get_ref().to_string());
                assert!(rule.owner_role.is_some(), "{}", rule.id.get_ref());
                assert!(catalog.citation(key).starts_with(&lp.pack.seed));
            }
        }
    }
    assert_eq!(timed, spec);
}

#[test]
fn all_291_catalogue_rules_are_present() {
    let (catalog, _) = super::setup();
    let n: usize = catalog
        .packs()
        .map(|lp| catalog.keys_of(lp.pack.protocol).count())
        .sum();
    assert_eq!(n, 291);
}

/// The bundled packs with one pack's text edited.
fn load_with(file: &str, edit: impl Fn(&str) -> String) -> Result<Catalog, protocol::PackError> {
    let texts: Vec<(&str, String)> = BUNDLED_PACKS
        .iter()
        .map(|(n, t)| (*n, if *n == file { edit(t) } else { (*t).to_owned() }))
        .collect();
    let sources: Vec<(&str, &str)> = texts.iter().map(|(n, t)| (*n, t.as_str())).collect();
    Catalog::from_sources(&sources)
}

fn rejected(file: &str, edit: impl Fn(&str) -> String, expect: &str) -> protocol::PackError {
    match load_with(file, edit) {
        Ok(_) => unreachable!("pack accepted; expected `{expect}`"),
        Err(e) => {
            assert_eq!(e.file, file);
            assert!(e.line > 1, "{e}");
            assert!(e.to_string().contains(expect), "`{e}` lacks `{expect}`");
            e
        }
    }
}

#[test]
fn invalid_packs_are_rejected_with_file_line_and_field() {
    let e = rejected(
        "hips.toml",
        |t| t.replacen("kind = \"OOH\"", "kind = \"LATE\"", 1),
        "unknown value `LATE`",
    );
    assert!(e.context.contains("kind = \"LATE\""), "{e}");
    rejected(
        "sy.toml",
        |t| {
            t.replacen(
                "owner_role = \"police\"",
                "owner_role = \"police\"\ncolour = \"red\"",
                1,
            )
        },
        "unknown field `colour`",
    );
    rejected(
        "newham.toml",
        |t| {
            t.replacen(
                "discharged_by_naming = [\"NEWHAM-COMPLEX-STRAT\"]",
                "discharged_by_naming = [\"NEWHAM-COMPLEX-STRATEGY\"]",
                1,
            )
        },
        "unknown rule NEWHAM-COMPLEX-STRATEGY",
    );
    rejected(
        "merton.toml",
        |t| t.replacen("is = \"open_to_csc\"", "is = \"open_to_cs\"", 1),
        "no named condition `open_to_cs`",
    );
    rejected(
        "lancs.toml",
        |t| t.replacen("id = \"LANCS-POL-STORM\"", "id = \"SY-POL-STORM\"", 1),
        "is not a LANCS rule",
    );
    rejected(
        "hips.toml",
        |t| {
            t.replacen(
                "due = { at = \"T_rep\", plus = \"P7D\" }",
                "due = { at = \"T_rep\", plus = \"P7D\", working_days = 2 }",
                1,
            )
        },
        "at most one of",
    );
    rejected(
        "sy.toml",
        |t| {
            t.replacen(
                "first = { event = \"rhi_completed\" }",
                "first = { event = \"rhi_completed\", meeting_type = [\"strategy\"] }",
                1,
            )
        },
        "does not apply to `rhi_completed`",
    );
    rejected(
        "hips.toml",
        |t| {
            t.replacen(
                "owner_role = \"carer\"\ninterpretation = \"AMB-17\"",
                "interpretation = \"AMB-17\"",
                1,
            )
        },
        "needs an owner_role",
    );
}
