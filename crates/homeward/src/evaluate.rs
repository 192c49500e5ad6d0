//! `homeward evaluate FILE [--at INSTANT]` (timeline-v1 §9).

use std::path::Path;

use protocol::{Engine, timeline};

use crate::setup::{Failure, Setup};

pub fn run(setup: &Setup, file: &Path, at: Option<&str>) -> Result<String, Failure> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| Failure::input(format!("{}: {e}", file.display())))?;
    let timeline = timeline::parse(&text, &setup.catalog)
        .map_err(|e| Failure::input(format!("{}: {e}", file.display())))?;
    let now = match at {
        None => timeline.evaluate_at,
        Some(s) => timeline::parse_instant(s).map_err(|m| Failure::input(format!("--at: {m}")))?,
    };
    let engine = Engine::new(&setup.catalog, &setup.calendar);
    let obligations = engine.evaluate(&timeline, now);
    Ok(protocol::output::evaluation_json(
        &setup.catalog,
        &setup.calendar,
        now,
        &obligations,
    ))
}
