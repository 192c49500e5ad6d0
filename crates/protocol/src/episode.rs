//! Splitting a timeline into episodes and reading each episode's facts (timeline-v1 §6.1, §7.1).

use jiff::Timestamp;

use crate::calendar::Calendar;
use crate::timeline::{Event, EventKind, Timeline};
use crate::vocabulary::{LaChannel, RiskLevel};

/// One missing episode: its events (indices into the sorted event list) and the instants of §7.1,
/// all from events at or before the evaluation instant.
#[derive(Clone, Debug)]
pub struct Episode {
    /// Position among the file's episodes, from 0.
    pub index: usize,
    /// Range of this episode's events in [`Happened::events`].
    pub events: std::ops::Range<usize>,
    /// Absence noticed (first `absence_noticed`).
    pub t_abs: Option<Timestamp>,
    /// Reported to police (first `reported_missing`).
    pub t_rep: Option<Timestamp>,
    /// `T_abs`, else `T_rep`, else the episode's first event.
    pub t_start: Timestamp,
    /// Local authority aware; `T_rep` if no `la_aware`.
    pub t_la: Option<Timestamp>,
    /// Channel of the first `la_aware`.
    pub la_via: Option<LaChannel>,
    /// First grading; `T_rep` if none.
    pub t_grade: Option<Timestamp>,
    /// First `high` grading.
    pub t_high: Option<Timestamp>,
    /// The latest grading and when it was given.
    pub latest_grade: Option<(Timestamp, RiskLevel)>,
    /// Located, else returned.
    pub t_found: Option<Timestamp>,
    /// Returned, else `T_found`.
    pub t_ret: Option<Timestamp>,
    /// A `returned` event happened.
    pub returned: bool,
    /// Police notified of the return, else `T_found`.
    pub t_pn: Option<Timestamp>,
    /// Return interview conducted.
    pub t_rhi: Option<Timestamp>,
    /// Age in completed years (§7.1).
    pub age: i16,
    /// Police-reported episodes before this one (prior episodes and earlier episodes of the file).
    pub earlier_reports: usize,
}

impl Episode {
    /// Whether the child is missing at `t`: reported at or before `t` and not yet found.
    pub fn missing_at(&self, t: Timestamp) -> bool {
        self.t_rep.is_some_and(|r| r <= t) && self.t_found.is_none_or(|f| f > t)
    }
}

/// What happened up to the evaluation instant: the events in time order and the episodes.
#[derive(Debug)]
pub struct Happened<'t> {
    /// Events at or before `E`, sorted by instant (stable: file order within an instant).
    pub events: Vec<&'t Event>,
    /// The episodes, in order.
    pub episodes: Vec<Episode>,
    /// Every police report: prior episodes, then the file's episodes in order.
    pub reports: Vec<Timestamp>,
}

/// Splits the timeline's events at or before `now` into episodes and computes their facts.
pub fn episodes<'t>(timeline: &'t Timeline, calendar: &Calendar, now: Timestamp) -> Happened<'t> {
    let mut events: Vec<&Event> = timeline.events.iter().filter(|e| e.at <= now).collect();
    events.sort_by_key(|e| e.at);

    let mut bounds = Vec::new();
    let mut start = 0;
    let mut ended = false;
    for (i, e) in events.iter().enumerate() {
        match e.kind {
            EventKind::AbsenceNoticed { .. } | EventKind::ReportedMissing { .. } if ended => {
                bounds.push(start..i);
                start = i;
                ended = false;
            }
            EventKind::Located { .. } | EventKind::Returned { .. } => ended = true,
            _ => {}
        }
    }
    if start < events.len() {
        bounds.push(start..events.len());
    }

    let mut reports: Vec<Timestamp> = timeline
        .child
        .prior_episodes
        .iter()
        .map(|p| p.reported_missing_at)
        .collect();
    let mut episodes = Vec::with_capacity(bounds.len());
    for (index, range) in bounds.into_iter().enumerate() {
        let ep = facts(
            index,
            range,
            &events,
            &timeline.child.dob,
            calendar,
            reports.len(),
        );
        if let Some(t) = ep.t_rep {
            reports.push(t);
        }
        episodes.push(ep);
    }
    Happened {
        events,
        episodes,
        reports,
    }
}

fn facts(
    index: usize,
    range: std::ops::Range<usize>,
    events: &[&Event],
    dob: &jiff::civil::Date,
    calendar: &Calendar,
    earlier_reports: usize,
) -> Episode {
    let mut ep = Episode {
        index,
        t_abs: None,
        t_rep: None,
        t_start: events[range.start].at,
        t_la: None,
        la_via: None,
        t_grade: None,
        t_high: None,
        latest_grade: None,
        t_found: None,
        t_ret: None,
        returned: false,
        t_pn: None,
        t_rhi: None,
        age: 0,
        earlier_reports,
        events: range.clone(),
    };
    let mut located = None;
    for e in &events[range] {
        let t = e.at;
        match &e.kind {
            EventKind::AbsenceNoticed { .. } => {
                ep.t_abs.get_or_insert(t);
            }
            EventKind::ReportedMissing { .. } => {
                ep.t_rep.get_or_insert(t);
            }
            EventKind::LaAware { via, .. } if ep.t_la.is_none() => {
                ep.t_la = Some(t);
                ep.la_via = Some(*via);
            }
            EventKind::RiskGraded { level } => {
                ep.t_grade.get_or_insert(t);
                if *level == RiskLevel::High {
                    ep.t_high.get_or_insert(t);
                }
                ep.latest_grade = Some((t, *level));
            }
            EventKind::Located { .. } => {
                located.get_or_insert(t);
            }
            EventKind::Returned { .. } => {
                ep.t_ret.get_or_insert(t);
                ep.returned = true;
            }
            EventKind::PoliceNotifiedOfReturn => {
                ep.t_pn.get_or_insert(t);
            }
            EventKind::RhiCompleted { .. } => {
                ep.t_rhi.get_or_insert(t);
            }
            _ => {}
        }
    }
    ep.t_start = ep.t_abs.or(ep.t_rep).unwrap_or(ep.t_start);
    ep.t_la = ep.t_la.or(ep.t_rep);
    ep.t_grade = ep.t_grade.or(ep.t_rep);
    ep.t_found = located.or(ep.t_ret);
    ep.t_ret = ep.t_ret.or(ep.t_found);
    ep.t_pn = ep.t_pn.or(ep.t_found);
    ep.age = calendar.age_on(*dob, ep.t_rep.or(ep.t_abs).unwrap_or(ep.t_start));
    ep
}
