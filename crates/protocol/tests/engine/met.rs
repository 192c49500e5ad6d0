//! The record of met obligations (`Engine::evaluate_record`): what it says was met was open just
//! before the discharging event (unless met ahead of its activation) and is gone from then on, on
//! every scenario file.

use jiff::SignedDuration;
use protocol::Engine;

#[test]
fn met_obligations_were_open_until_the_event_that_met_them() {
    let (catalog, calendar) = super::setup();
    let engine = Engine::new(catalog, calendar);
    let mut met_seen = 0;
    for file in super::next_change::scenario_files() {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let timeline = protocol::timeline::parse(&text, catalog)
            .unwrap_or_else(|e| unreachable!("{}: {e}", file.display()));
        let now = timeline.evaluate_at;
        let record = engine.evaluate_record(&timeline, now);
        // The open part is exactly what the plain evaluation gives.
        assert_eq!(
            record.evaluation,
            engine.evaluate_with_next_change(&timeline, now),
            "{}",
            file.display()
        );
        for m in &record.met {
            // An event before the activation can meet an obligation ahead of time (it is then
            // never open); otherwise it was open until the event.
            assert!(m.at <= now, "{}: {m:?}", file.display());
            let key = |o: &protocol::Obligation| (o.rule, o.share, o.episode, o.activation);
            let this = (m.rule, m.share, m.episode, m.activation);
            if m.at > m.activation {
                let before = engine.evaluate(&timeline, m.at - SignedDuration::from_micros(1));
                assert!(
                    before.iter().any(|o| key(o) == this),
                    "{}: {m:?} was not open before it was met",
                    file.display()
                );
            }
            let at = engine.evaluate(&timeline, m.at.max(m.activation));
            assert!(
                !at.iter().any(|o| key(o) == this),
                "{}: {m:?} is still open when it is met",
                file.display()
            );
            met_seen += 1;
        }
    }
    assert!(
        met_seen > 20,
        "only {met_seen} met obligations in the scenarios"
    );
}
