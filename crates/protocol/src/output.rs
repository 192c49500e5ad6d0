//! The output document of `homeward evaluate` (timeline-v1 §9): one JSON object, obligations
//! sorted by due then rule, instants shown in Europe/London with their offset.

use std::fmt::Write;

use jiff::Timestamp;

use crate::calendar::Calendar;
use crate::catalog::Catalog;
use crate::engine::Obligation;

/// An instant as ISO-8601 with seconds and the Europe/London offset, e.g.
/// `2024-10-27T21:00:00+00:00`; fractional seconds only when present.
pub fn format_instant(calendar: &Calendar, t: Timestamp) -> String {
    let local = calendar.local(t);
    let offset = calendar.offset_seconds(t);
    let sign = if offset < 0 { '-' } else { '+' };
    let offset = offset.unsigned_abs();
    let mut s = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        local.year(),
        local.month(),
        local.day(),
        local.hour(),
        local.minute(),
        local.second()
    );
    let nanos = local.subsec_nanosecond();
    if nanos != 0 {
        let frac = format!("{nanos:09}");
        let _ = write!(s, ".{}", frac.trim_end_matches('0'));
    }
    let _ = write!(s, "{sign}{:02}:{:02}", offset / 3600, offset % 3600 / 60);
    s
}

/// The evaluation document: `evaluated_at` and the obligations, one per line.
pub fn evaluation_json(
    catalog: &Catalog,
    calendar: &Calendar,
    now: Timestamp,
    obligations: &[Obligation],
) -> String {
    let mut out = String::from("{\n");
    let _ = writeln!(
        out,
        "  \"evaluated_at\": {},",
        json_string(&format_instant(calendar, now))
    );
    if obligations.is_empty() {
        out.push_str("  \"obligations\": []\n}\n");
        return out;
    }
    out.push_str("  \"obligations\": [\n");
    for (i, o) in obligations.iter().enumerate() {
        let rule = catalog.rule(o.rule);
        let responsible = o
            .share
            .and_then(|s| rule.share.iter().find(|spec| spec.part == s))
            .map_or(rule.responsible.as_str(), |spec| spec.responsible.as_str());
        let due = o.due.map_or_else(
            || "null".to_owned(),
            |d| json_string(&format_instant(calendar, d)),
        );
        let _ = write!(
            out,
            "    {{\"rule\": {}, \"action\": {}, \"due\": {}, \"responsible\": {}, \"status\": \"{}\"}}",
            json_string(rule.id.get_ref().as_str()),
            json_string(&rule.action),
            due,
            json_string(responsible),
            o.status.as_str()
        );
        out.push_str(if i + 1 < obligations.len() {
            ",\n"
        } else {
            "\n"
        });
    }
    out.push_str("  ]\n}\n");
    out
}

fn json_string(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}
