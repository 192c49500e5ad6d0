//! The South Yorkshire quarterly data return (protocol 003, section 8.2): for each responsible
//! authority, numbers of missing children and episodes; characteristics (age group,
//! looked-after status, placed out of area, duration); triggers for strategy meetings and
//! strategy meetings held; independent return interviews required, offered and carried out;
//! and the reasons recorded in return interviews.
//!
//! Definitions (the same in `scripts/bench-exchange`'s DuckDB and pandas versions):
//! - an episode is in the quarter when it started (first noticed absent or reported) in it, in
//!   London time; age is whole years on the London date it started;
//! - looked after: the child's placement on that date had a legal status other than `none`;
//!   out of area: the episode's host authority is not its responsible authority;
//! - duration: start to return (else to being located); open episodes are counted apart;
//! - strategy meeting triggers (5.3.5, 6.3.3, 7.1.7), counted over the quarter's
//!   police-reported episodes exactly as the engine fires the SY rules, with the figures read
//!   from the SY rule pack (`crates/protocol/packs/sy.toml`), never restated here ([`Triggers`]):
//!   - `strategy_triggers_repeat`: episodes whose report (`T_rep`) met
//!     `parameters.repeat` (SY-REPEAT-28D, `{ window = "P28D", at_least = 3 }`): at least
//!     `at_least` police-reported episodes of the child in the closed window
//!     `[T_rep − window, T_rep]`, calendar arithmetic in Europe/London, this one included
//!     (C11, [`protocol::pack::RepeatThreshold`]); absences never reported to the police do not
//!     count;
//!   - `strategy_triggers_over_72h`: episodes in which the child was still missing (not yet
//!     located, else returned) when SY-STRAT-72H's trigger offset (`after = "PT72H"` from
//!     `T_rep`) had passed, by `now` (both of its triggers, with and without a child protection
//!     plan, share the offset);
//!
//!   every authority's episodes are counted with SY's figures, the return being South
//!   Yorkshire's; a report more than one window after its episode was opened, before the
//!   quarter, is not read (the look-back is by opening);
//! - meetings held: `strategy` and `complex_strategy` meetings recorded in the quarter's
//!   episodes;
//! - return interviews required: episodes that ended; offered: an offer, completion or refusal
//!   recorded; carried out: completed; declined: refused by the child.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use jiff::Timestamp;
use jiff::civil::Date;
use protocol::duration::ProtocolDuration;
use protocol::pack::RepeatThreshold;
use protocol::vocabulary::{Anchor, LegalStatus, Protocol};
use protocol::{Calendar, Catalog};
use store::{ChildId, EpisodeId, ExchangeSnapshot, Instant, Placement};

use crate::episodes::EpisodeView;
use crate::lookup::Lookup;
use crate::period::{Period, date_of};
use crate::{ExchangeError, safe_csv};
use protocol::calendar::london;

/// The rule behind `strategy_triggers_over_72h`.
pub const OVER_72H_RULE: &str = "SY-STRAT-72H";

/// The strategy-meeting triggers as the South Yorkshire pack states them, with the calendar
/// their windows are counted in.
#[derive(Clone, Copy, Debug)]
pub struct Triggers<'a> {
    /// SY's `parameters.repeat` (SY-REPEAT-28D).
    pub repeat: &'a RepeatThreshold,
    /// How long after `T_rep` a still-missing child triggers SY-STRAT-72H.
    pub missing_for: ProtocolDuration,
    /// Europe/London and its conventions.
    pub calendar: &'a Calendar,
}

impl<'a> Triggers<'a> {
    /// Reads the triggers from the catalog's SY pack; an error names what the pack lacks (or a
    /// shape the return cannot count, e.g. SY-STRAT-72H triggers with different offsets).
    pub fn from_catalog(
        catalog: &'a Catalog,
        calendar: &'a Calendar,
    ) -> Result<Self, ExchangeError> {
        let bad = |m: &str| ExchangeError::Input(format!("the SY rule pack: {m}"));
        let pack = catalog
            .pack(Protocol::Sy)
            .ok_or_else(|| bad("not loaded"))?;
        let repeat = pack
            .pack
            .parameters
            .repeat
            .as_ref()
            .ok_or_else(|| bad("no parameters.repeat (SY-REPEAT-28D)"))?;
        let rule = catalog
            .lookup(OVER_72H_RULE)
            .map(|k| catalog.rule(k))
            .ok_or_else(|| bad(&format!("no rule {OVER_72H_RULE}")))?;
        let mut offsets = rule.trigger.iter().map(|t| {
            (t.at == Some(Anchor::TRep) && t.while_missing)
                .then_some(t.after)
                .flatten()
        });
        let missing_for = offsets
            .next()
            .flatten()
            .filter(|first| offsets.all(|o| o == Some(*first)));
        let missing_for = missing_for.ok_or_else(|| {
            bad(&format!(
                "{OVER_72H_RULE}'s triggers must all fire at T_rep plus one offset while missing"
            ))
        })?;
        Ok(Self {
            repeat,
            missing_for,
            calendar,
        })
    }

    /// The earliest episode opening the return must read for a period starting at `start`
    /// (µs): one repeat window before it, so that reports early in the period see their window.
    pub fn look_back(&self, start: i64) -> i64 {
        let window = self.repeat.window_ending(self.calendar, instant(start));
        window.start().as_microsecond()
    }
}

fn instant(micros: i64) -> Timestamp {
    Timestamp::from_microsecond(micros).unwrap_or(Timestamp::MIN)
}

/// Columns of the return, one row per responsible authority.
pub const COLUMNS: [&str; 25] = [
    "authority",
    "quarter",
    "missing_children",
    "missing_episodes",
    "episodes_age_under_11",
    "episodes_age_11_13",
    "episodes_age_14_15",
    "episodes_age_16_17",
    "episodes_age_18_plus",
    "looked_after_children",
    "episodes_looked_after",
    "episodes_looked_after_out_of_area",
    "episodes_not_looked_after",
    "episodes_under_24h",
    "episodes_24h_to_72h",
    "episodes_over_72h",
    "episodes_open",
    "strategy_triggers_repeat",
    "strategy_triggers_over_72h",
    "strategy_meetings_held",
    "rhi_required",
    "rhi_offered",
    "rhi_completed",
    "rhi_declined",
    "rhi_reasons",
];

const HOUR: i64 = 3_600_000_000;

/// One authority's figures.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Figures {
    /// Counts in [`COLUMNS`] order from `missing_children` to `rhi_declined`.
    pub counts: [u64; 22],
    /// Reason → interviews recording it.
    pub reasons: BTreeMap<String, u64>,
}

/// Whole years from `dob` to `on`.
pub fn age(dob: Date, on: Date) -> i32 {
    let key =
        |d: Date| i32::from(d.year()) * 10_000 + i32::from(d.month()) * 100 + i32::from(d.day());
    (key(on) - key(dob)) / 10_000
}

/// The placement in force on a day (placements end the day the next starts).
pub fn placement_on<'a>(placements: &[&'a Placement], day: Date) -> Option<&'a Placement> {
    let text = day.to_string();
    placements
        .iter()
        .rev()
        .find(|p| {
            p.starts_on.as_str() <= text.as_str()
                && p.ends_on.as_deref().is_none_or(|e| text.as_str() < e)
        })
        .copied()
}

/// The return for a quarter, by authority code, at `now` (a trigger counts once its instant has
/// passed). `snapshot` must hold the episodes opened since [`Triggers::look_back`] of the
/// quarter's start.
pub fn build(
    snapshot: &ExchangeSnapshot,
    views: &[EpisodeView],
    quarter: &Period,
    triggers: &Triggers<'_>,
    now: Instant,
) -> BTreeMap<String, Figures> {
    let tz = london();
    let Lookup {
        codes,
        children,
        placements,
    } = Lookup::of(snapshot);
    // Each child's police reports as (T_rep, episode), in order, for the repeat trigger.
    let mut reported: HashMap<ChildId, Vec<(Instant, EpisodeId)>> = HashMap::new();
    for v in views {
        if let Some(r) = v.reported_at {
            reported.entry(v.child_id).or_default().push((r, v.id));
        }
    }
    for r in reported.values_mut() {
        r.sort_unstable();
    }
    let mut out: BTreeMap<String, Figures> = BTreeMap::new();
    let mut children_seen: HashMap<&str, (HashSet<ChildId>, HashSet<ChildId>)> = HashMap::new();
    for v in views
        .iter()
        .filter(|v| quarter.contains(v.started_at.micros()))
    {
        let code = codes
            .get(&v.responsible_authority_id)
            .copied()
            .unwrap_or("UNKNOWN");
        let f = out.entry(code.to_owned()).or_default();
        let c = &mut f.counts;
        let day = date_of(v.started_at.micros(), &tz);
        let child = children.get(&v.child_id);
        let looked_after = placements
            .get(&v.child_id)
            .and_then(|ps| placement_on(ps, day))
            .is_some_and(|p| p.legal_status != LegalStatus::None);
        let seen = children_seen.entry(code).or_default();
        seen.0.insert(v.child_id);
        if looked_after {
            seen.1.insert(v.child_id);
        }
        c[1] += 1;
        let years = child
            .and_then(|ch| ch.dob.parse::<Date>().ok())
            .map_or(0, |dob| age(dob, day));
        c[2 + match years {
            ..11 => 0,
            11..=13 => 1,
            14..=15 => 2,
            16..=17 => 3,
            _ => 4,
        }] += 1;
        if looked_after {
            c[8] += 1;
            if v.host_authority_id != v.responsible_authority_id {
                c[9] += 1;
            }
        } else {
            c[10] += 1;
        }
        match v.ended_at.map(|e| e.micros() - v.started_at.micros()) {
            Some(d) if d < 24 * HOUR => c[11] += 1,
            Some(d) if d <= 72 * HOUR => c[12] += 1,
            Some(_) => c[13] += 1,
            None => c[14] += 1,
        }
        if let Some(r) = v.reported_at {
            let (repeat, missing) = strategy_triggers(
                v,
                (r, v.id),
                reported.get(&v.child_id).map_or(&[][..], Vec::as_slice),
                triggers,
                now,
            );
            c[15] += u64::from(repeat);
            c[16] += u64::from(missing);
        }
        c[17] += v.strategy_meetings.len() as u64;
        if v.ended_at.is_some() {
            c[18] += 1;
        }
        c[19] += u64::from(v.rhi_offered_at.is_some());
        c[20] += u64::from(v.rhi_completed_at.is_some());
        c[21] += u64::from(v.rhi_declined_at.is_some());
        for r in &v.reasons {
            *f.reasons.entry(r.clone()).or_default() += 1;
        }
    }
    for (code, (all, looked_after)) in children_seen {
        if let Some(f) = out.get_mut(code) {
            f.counts[0] = all.len() as u64;
            f.counts[7] = looked_after.len() as u64;
        }
    }
    out
}

/// Whether an episode's report met the repeat threshold and whether the child was still missing
/// when SY-STRAT-72H's offset passed. `child_reports` are the child's `(T_rep, episode)` in
/// order; those up to and including `this` are counted, as the engine counts reports up to
/// the current episode.
fn strategy_triggers(
    episode: &EpisodeView,
    this: (Instant, EpisodeId),
    child_reports: &[(Instant, EpisodeId)],
    triggers: &Triggers<'_>,
    now: Instant,
) -> (bool, bool) {
    let rep = instant(this.0.micros());
    let window = triggers.repeat.window_ending(triggers.calendar, rep);
    let from = Instant::from_micros(window.start().as_microsecond());
    let in_window = child_reports
        .iter()
        .take_while(|k| **k <= this)
        .filter(|(t, _)| *t >= from)
        .count();
    let activation = Instant::from_micros(
        triggers
            .calendar
            .add(rep, triggers.missing_for)
            .as_microsecond(),
    );
    let missing = activation <= now && episode.found_at.is_none_or(|found| found > activation);
    (triggers.repeat.reached(in_window), missing)
}

/// Writes `quarterly.csv` into `dir`.
pub fn write(
    figures: &BTreeMap<String, Figures>,
    quarter: &Period,
    dir: &Path,
) -> Result<(), ExchangeError> {
    crate::create_dir(dir)?;
    let rows = figures.iter().map(|(code, f)| {
        let mut row = vec![code.clone(), quarter.label.clone()];
        row.extend(f.counts.iter().map(u64::to_string));
        row.push(
            f.reasons
                .iter()
                .map(|(r, n)| format!("{r}: {n}"))
                .collect::<Vec<_>>()
                .join("; "),
        );
        row
    });
    safe_csv::write(&dir.join("quarterly.csv"), &COLUMNS, rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::authority;
    use protocol::catalog::BUNDLED_PACKS;
    use store::AuthorityId;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn at(text: &str) -> Instant {
        Instant::from_micros(
            text.parse::<Timestamp>()
                .map_or(i64::MIN, |t| t.as_microsecond()),
        )
    }

    /// One episode of child 1: started, reported to the police (if ever), found (if so).
    struct Ep(&'static str, Option<&'static str>, Option<&'static str>);

    /// `strategy_triggers_repeat` and `strategy_triggers_over_72h` for 2026-Q1 at `now`.
    fn triggers_of(
        catalog: &Catalog,
        episodes: &[Ep],
        now: &str,
    ) -> Result<(u64, u64), Box<dyn std::error::Error>> {
        let calendar = Calendar::bundled()?;
        let triggers = Triggers::from_catalog(catalog, &calendar)?;
        let snapshot = ExchangeSnapshot {
            authorities: vec![authority(
                "SHEFFIELD",
                "Sheffield City Council",
                Protocol::Sy,
                "South Yorkshire Police",
            )],
            ..ExchangeSnapshot::default()
        };
        let mut views = Vec::new();
        for (n, Ep(started, reported, found)) in episodes.iter().enumerate() {
            let id = n as i64 + 1;
            views.push(EpisodeView {
                id: EpisodeId(id),
                child_id: ChildId(1),
                responsible_authority_id: AuthorityId(1),
                host_authority_id: AuthorityId(1),
                started_at: at(started),
                ended_at: found.map(at),
                reported_at: reported.map(at),
                found_at: found.map(at),
                away: reported.is_none(),
                ..EpisodeView::default()
            });
        }
        let quarter = Period::quarter("2026-Q1")?;
        let figures = build(&snapshot, &views, &quarter, &triggers, at(now));
        let c = figures.get("SHEFFIELD").ok_or("no row")?.counts;
        Ok((c[15], c[16]))
    }

    /// A reported episode found after six hours.
    fn short(reported: &'static str, found: &'static str) -> Ep {
        Ep(reported, Some(reported), Some(found))
    }

    const NOW: &str = "2026-06-01T00:00:00Z";

    #[test]
    fn the_repeat_window_is_closed_and_in_london_calendar_days() -> TestResult {
        let catalog = Catalog::bundled()?;
        // 28 calendar days before 13:00 BST on 29 March 2026 (the day the clocks go forward) is
        // 13:00 GMT on 1 March: a report exactly then is in the window, with the current one.
        let edge = [
            short("2026-03-01T13:00:00Z", "2026-03-01T19:00:00Z"),
            short("2026-03-10T00:00:00Z", "2026-03-10T06:00:00Z"),
            short("2026-03-29T12:00:00Z", "2026-03-29T18:00:00Z"),
        ];
        assert_eq!(triggers_of(&catalog, &edge, NOW)?.0, 1);
        // A minute earlier it is not, though 28 × 24 elapsed hours would still reach it.
        let early = [
            short("2026-03-01T12:59:00Z", "2026-03-01T19:00:00Z"),
            short("2026-03-10T00:00:00Z", "2026-03-10T06:00:00Z"),
            short("2026-03-29T12:00:00Z", "2026-03-29T18:00:00Z"),
        ];
        assert_eq!(triggers_of(&catalog, &early, NOW)?.0, 0);
        Ok(())
    }

    #[test]
    fn absences_never_reported_to_the_police_do_not_count() -> TestResult {
        let catalog = Catalog::bundled()?;
        let mut episodes = [
            short("2026-02-01T00:00:00Z", "2026-02-01T06:00:00Z"),
            Ep("2026-02-05T00:00:00Z", None, Some("2026-02-05T06:00:00Z")),
            short("2026-02-10T00:00:00Z", "2026-02-10T06:00:00Z"),
        ];
        assert_eq!(triggers_of(&catalog, &episodes, NOW)?, (0, 0));
        // The same absence reported to the police makes the third report in 28 days.
        episodes[1].1 = Some("2026-02-05T01:00:00Z");
        assert_eq!(triggers_of(&catalog, &episodes, NOW)?, (1, 0));
        Ok(())
    }

    #[test]
    fn missing_past_the_offset_from_the_report_until_found() -> TestResult {
        let catalog = Catalog::bundled()?;
        let rep = "2026-01-10T00:00:00Z";
        let count =
            |found: Option<&'static str>, now: &str| -> Result<u64, Box<dyn std::error::Error>> {
                Ok(triggers_of(&catalog, &[Ep(rep, Some(rep), found)], now)?.1)
            };
        // Located exactly 72 hours after the report: no longer missing at the trigger instant.
        assert_eq!(count(Some("2026-01-13T00:00:00Z"), NOW)?, 0);
        assert_eq!(count(Some("2026-01-13T00:01:00Z"), NOW)?, 1);
        // Still missing: counted once the 72 hours have passed, not before.
        assert_eq!(count(None, "2026-01-12T23:59:00Z")?, 0);
        assert_eq!(count(None, "2026-01-13T00:00:00Z")?, 1);
        // Hours away before the report do not count towards the 72.
        let late = [Ep(
            "2026-01-09T14:00:00Z",
            Some(rep),
            Some("2026-01-12T22:00:00Z"),
        )];
        assert_eq!(triggers_of(&catalog, &late, NOW)?.1, 0);
        // Never reported: no police trigger however long.
        let away = [Ep(
            "2026-01-09T14:00:00Z",
            None,
            Some("2026-01-20T00:00:00Z"),
        )];
        assert_eq!(triggers_of(&catalog, &away, NOW)?.1, 0);
        Ok(())
    }

    #[test]
    fn the_figures_follow_the_rule_pack() -> TestResult {
        let episodes = [
            short("2026-02-01T00:00:00Z", "2026-02-03T00:00:00Z"),
            short("2026-02-10T00:00:00Z", "2026-02-10T06:00:00Z"),
        ];
        let bundled = Catalog::bundled()?;
        assert_eq!(triggers_of(&bundled, &episodes, NOW)?, (0, 0));
        // A pack that says two in 28 days, and 24 hours missing.
        let with = |edit: &dyn Fn(&str) -> String| -> Result<Catalog, Box<dyn std::error::Error>> {
            let texts: Vec<(&str, String)> = BUNDLED_PACKS
                .iter()
                .map(|(name, text)| {
                    let text = if *name == "sy.toml" {
                        edit(text)
                    } else {
                        (*text).to_owned()
                    };
                    (*name, text)
                })
                .collect();
            let sources: Vec<(&str, &str)> = texts.iter().map(|(n, t)| (*n, t.as_str())).collect();
            Ok(Catalog::from_sources(&sources)?)
        };
        let stricter = with(&|t: &str| {
            t.replace(
                "window = \"P28D\", at_least = 3",
                "window = \"P28D\", at_least = 2",
            )
            .replace("after = \"PT72H\"", "after = \"PT24H\"")
        })?;
        assert_eq!(triggers_of(&stricter, &episodes, NOW)?, (1, 1));
        // Two in a week: the reports nine days apart no longer meet it.
        let week = with(&|t: &str| {
            t.replace(
                "window = \"P28D\", at_least = 3",
                "window = \"P7D\", at_least = 2",
            )
        })?;
        assert_eq!(triggers_of(&week, &episodes, NOW)?, (0, 0));
        // A pack without the 72-hour rule's offset is refused, naming the rule.
        let broken = with(&|t: &str| t.replacen("after = \"PT72H\"", "after = \"PT48H\"", 1))?;
        let calendar = Calendar::bundled()?;
        let Err(e) = Triggers::from_catalog(&broken, &calendar) else {
            return Err("different offsets accepted".into());
        };
        assert!(e.to_string().contains(OVER_72H_RULE), "{e}");
        Ok(())
    }

    #[test]
    fn age_in_whole_years() {
        let dob = jiff::civil::date(2010, 3, 15);
        assert_eq!(age(dob, jiff::civil::date(2021, 3, 14)), 10);
        assert_eq!(age(dob, jiff::civil::date(2021, 3, 15)), 11);
    }
}
