//! Integration tests of the protocol crate through its public API.

mod calendar;
mod families;
mod met;
mod next_change;
mod packs;
mod parser_robustness;

use protocol::{Calendar, Catalog, Engine};
use serde_json::Value;

/// The bundled packs and calendar, loaded once for the whole test binary.
pub fn setup() -> &'static (Catalog, Calendar) {
    static LOADED: std::sync::OnceLock<(Catalog, Calendar)> = std::sync::OnceLock::new();
    LOADED.get_or_init(|| {
        let catalog = Catalog::bundled().unwrap_or_else(|e| unreachable!("bundled packs: {e}"));
        let calendar =
            Calendar::bundled().unwrap_or_else(|e| unreachable!("bundled calendar: {e}"));
        (catalog, calendar)
    })
}

/// Evaluates a timeline document; returns `(rule, due, status)` with dues in Europe/London.
pub fn evaluate(doc: &Value) -> Vec<(String, Option<String>, &'static str)> {
    let (catalog, calendar) = setup();
    let timeline = protocol::timeline::parse(&doc.to_string(), catalog)
        .unwrap_or_else(|e| unreachable!("timeline: {e}"));
    let engine = Engine::new(catalog, calendar);
    engine
        .evaluate(&timeline, timeline.evaluate_at)
        .into_iter()
        .map(|o| {
            (
                catalog.rule(o.rule).id.get_ref().to_string(),
                o.due.map(|d| protocol::output::format_instant(calendar, d)),
                o.status.as_str(),
            )
        })
        .collect()
}

/// The obligations of one rule, as `(due, status)`.
pub fn of(
    obligations: &[(String, Option<String>, &'static str)],
    rule: &str,
) -> Vec<(Option<String>, &'static str)> {
    obligations
        .iter()
        .filter(|o| o.0 == rule)
        .map(|o| (o.1.clone(), o.2))
        .collect()
}
