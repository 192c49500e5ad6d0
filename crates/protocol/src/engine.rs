//! The obligation engine: a pure function of a timeline, the rule packs, the calendar and `now`
//! (timeline-v1 §7). Nothing else in Homeward decides a deadline.

use jiff::Timestamp;

use crate::calendar::Calendar;
use crate::catalog::{Catalog, RuleKey};
use crate::episode::{Episode, Happened, episodes};
use crate::pack::{
    Condition, Due, DueBase, DueShift, EventSelector, InstantSpec, Pack, RecurrenceBase, Rule,
    Trigger,
};
use crate::timeline::{Event, EventKind, Timeline};
use crate::vocabulary::{Anchor, Protocol, RiskLevel, Role, Set, Share};

/// Whether an open obligation's deadline has passed (timeline-v1 §7.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// Not yet due, due exactly now, or no deadline.
    Open,
    /// The deadline is before the evaluation instant.
    Overdue,
}

impl Status {
    /// The spelling in the output format.
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Overdue => "overdue",
        }
    }
}

/// An open obligation at the evaluation instant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Obligation {
    /// The rule that creates it.
    pub rule: RuleKey,
    /// The party's share, for rules that bind two parties.
    pub share: Option<Share>,
    /// Which episode of the timeline (from 0).
    pub episode: usize,
    /// When the trigger was met.
    pub activation: Timestamp,
    /// Deadline, or `None` where the protocol states none.
    pub due: Option<Timestamp>,
    /// Open or overdue at the evaluation instant.
    pub status: Status,
}

/// Evaluates timelines against a catalogue of rule packs on a calendar.
#[derive(Clone, Copy, Debug)]
pub struct Engine<'c> {
    catalog: &'c Catalog,
    calendar: &'c Calendar,
}

impl<'c> Engine<'c> {
    /// An engine over these packs and this calendar.
    pub fn new(catalog: &'c Catalog, calendar: &'c Calendar) -> Self {
        Self { catalog, calendar }
    }

    /// The catalogue the engine evaluates.
    pub fn catalog(&self) -> &'c Catalog {
        self.catalog
    }

    /// The calendar the engine computes with.
    pub fn calendar(&self) -> &'c Calendar {
        self.calendar
    }

    /// Every obligation open at `now`, sorted by due (null last), then rule ID.
    pub fn evaluate(&self, timeline: &Timeline, now: Timestamp) -> Vec<Obligation> {
        self.evaluate_with_next_change(timeline, now).obligations
    }

    /// Every obligation open at `now`, and the next instant after `now` at which the answer can
    /// change without a new event: a threshold or recurrence is reached, a deadline passes, or
    /// an event recorded ahead of time takes effect. The scheduler sleeps until then.
    pub fn evaluate_with_next_change(&self, timeline: &Timeline, now: Timestamp) -> Evaluation {
        let (evaluation, _) = self.run(timeline, now, false);
        evaluation
    }

    /// As [`Engine::evaluate_with_next_change`], and also every obligation that an event has
    /// already discharged, with the instant of that discharge: the whole record of what the
    /// protocols asked of the file up to `now`, which the case store keeps so that an obligation
    /// met keeps its identity and the time it was met (the charts count from it).
    /// A recurring obligation is never met: each discharge moves its deadline on.
    pub fn evaluate_record(&self, timeline: &Timeline, now: Timestamp) -> Record {
        let (evaluation, met) = self.run(timeline, now, true);
        Record { evaluation, met }
    }

    fn run(&self, timeline: &Timeline, now: Timestamp, keep_met: bool) -> (Evaluation, Vec<Met>) {
        let happened = episodes(timeline, self.calendar, now);
        let mut out = Vec::new();
        let mut met = Vec::new();
        let mut next_change = timeline
            .events
            .iter()
            .map(|e| e.at)
            .filter(|t| *t > now)
            .min();
        for protocol in Protocol::ALL {
            let roles: Set<Role> = timeline
                .rulesets
                .iter()
                .filter(|r| r.protocol == *protocol)
                .map(|r| r.role)
                .collect();
            if roles.is_empty() {
                continue;
            }
            let Some(lp) = self.catalog.pack(*protocol) else {
                continue;
            };
            for ep in &happened.episodes {
                let mut scope = Scope {
                    engine: self,
                    timeline,
                    happened: &happened,
                    ep,
                    pack: &lp.pack,
                    now,
                    activation: None,
                    cached: Cached::default(),
                    next_change: None,
                    met: keep_met.then_some(&mut met),
                };
                for key in self.catalog.keys_of(*protocol) {
                    scope.rule_obligations(key, roles, &mut out);
                }
                next_change = earliest(next_change, scope.next_change);
            }
        }
        out.sort_by(|a, b| {
            (a.episode, a.rule, a.share, a.due, a.activation).cmp(&(
                b.episode,
                b.rule,
                b.share,
                b.due,
                b.activation,
            ))
        });
        out.dedup_by(|b, a| {
            (a.episode, a.rule, a.share, a.due) == (b.episode, b.rule, b.share, b.due)
        });
        out.sort_by(|a, b| {
            let due = |o: &Obligation| (o.due.is_none(), o.due);
            due(a)
                .cmp(&due(b))
                .then_with(|| self.catalog.rank(a.rule).cmp(&self.catalog.rank(b.rule)))
                .then_with(|| (a.episode, a.share).cmp(&(b.episode, b.share)))
        });
        // Two triggers of one rule may meet at the same activation: one obligation, met once.
        met.sort_by_key(|m| (m.episode, m.rule, m.share, m.activation, m.at));
        met.dedup_by_key(|m| (m.episode, m.rule, m.share, m.activation));
        (
            Evaluation {
                obligations: out,
                next_change,
            },
            met,
        )
    }
}

/// An obligation an event discharged: what was asked, and when it was done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Met {
    /// The rule that created it.
    pub rule: RuleKey,
    /// The party's share, for rules that bind two parties.
    pub share: Option<Share>,
    /// Which episode of the timeline (from 0).
    pub episode: usize,
    /// When the trigger was met.
    pub activation: Timestamp,
    /// The deadline it had, if any.
    pub due: Option<Timestamp>,
    /// The instant of the first event that discharged it.
    pub at: Timestamp,
}

/// The answer of [`Engine::evaluate_record`]: the open obligations and those already met.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Open obligations and the next change, as [`Engine::evaluate_with_next_change`] gives them.
    pub evaluation: Evaluation,
    /// Obligations discharged by an event, by episode, rule and activation.
    pub met: Vec<Met>,
}

/// The answer of [`Engine::evaluate_with_next_change`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evaluation {
    /// Open obligations, sorted by due (null last), then rule ID.
    pub obligations: Vec<Obligation>,
    /// When the answer can next change without a new event, if ever.
    pub next_change: Option<Timestamp>,
}

fn earliest(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

/// One episode evaluated against one pack.
struct Scope<'a, 'c> {
    engine: &'a Engine<'c>,
    timeline: &'a Timeline,
    happened: &'a Happened<'a>,
    ep: &'a Episode,
    pack: &'c Pack,
    now: Timestamp,
    /// The activation instant of the obligation being built, once known.
    activation: Option<Timestamp>,
    /// Facts that need the time zone, computed at most once per episode and pack.
    cached: Cached,
    /// The earliest future activation or deadline seen.
    next_change: Option<Timestamp>,
    /// Where obligations already discharged are kept, when the caller asks for them.
    met: Option<&'a mut Vec<Met>>,
}

/// Lazily computed facts of an episode that cost a time-zone conversion.
#[derive(Default)]
struct Cached {
    reported_in_office_hours: std::cell::OnceCell<bool>,
    reported_on_working_day: std::cell::OnceCell<bool>,
    repeat_threshold_met: std::cell::OnceCell<bool>,
}

impl Scope<'_, '_> {
    fn rule_obligations(&mut self, key: RuleKey, roles: Set<Role>, out: &mut Vec<Obligation>) {
        let rule = self.engine.catalog.rule(key);
        if rule.trigger.is_empty() {
            return;
        }
        if rule.ends_when_found && self.ep.t_found.is_some() {
            return;
        }
        if let Some(w) = &rule.withdrawn {
            let early = match (self.ep.t_found, self.instant(&w.found_before)) {
                (Some(found), Some(limit)) => found < limit,
                _ => false,
            };
            if early && !w.unless.as_ref().is_some_and(|c| self.holds(c)) {
                return;
            }
        }
        for trigger in &rule.trigger {
            let applies = match &trigger.roles {
                Some(rs) => rs.iter().any(|r| roles.contains(*r)),
                None => self.pack.default_roles.iter().any(|r| roles.contains(*r)),
            };
            if applies {
                let mut starts = [Timestamp::MIN; 8];
                let mut n = 0;
                let mut more = Vec::new();
                self.for_each_start(trigger, |t| {
                    if n < starts.len() {
                        starts[n] = t;
                        n += 1;
                    } else {
                        more.push(t);
                    }
                });
                for start in starts[..n].iter().chain(&more) {
                    self.activation = None;
                    self.occasion(key, rule, trigger, *start, out);
                }
            }
        }
        self.activation = None;
    }

    /// Calls `f` with each instant at which a trigger starts, before any `after` offset.
    fn for_each_start(&self, t: &Trigger, mut f: impl FnMut(Timestamp)) {
        if let Some(a) = t.at {
            self.anchor(a).into_iter().for_each(f);
        } else if let Some(sel) = &t.first {
            self.episode_events()
                .find(|e| self.matches(sel, e))
                .into_iter()
                .for_each(|e| f(e.at));
        } else if let Some(sel) = &t.each {
            self.episode_events()
                .filter(|e| self.matches(sel, e))
                .for_each(|e| f(e.at));
        } else if let Some(r) = &t.first_discharge_of {
            self.discharges(r.key, None, None)
                .next()
                .into_iter()
                .for_each(f);
        }
    }

    fn occasion(
        &mut self,
        key: RuleKey,
        rule: &Rule,
        t: &Trigger,
        start: Timestamp,
        out: &mut Vec<Obligation>,
    ) {
        let activation = match t.after {
            Some(d) => self.engine.calendar.add(start, d),
            None => start,
        };
        if activation > self.now {
            // A threshold that needs the child still missing will not be met once found.
            if !(t.while_missing && self.ep.t_found.is_some()) {
                self.next_change = earliest(self.next_change, Some(activation));
            }
            return;
        }
        if t.while_missing && !self.ep.missing_at(activation) {
            return;
        }
        self.activation = Some(activation);
        if !self.holds(&t.when) {
            return;
        }
        if rule.share.is_empty() {
            self.push(key, rule, None, t.due.as_ref().or(rule.due.as_ref()), out);
        } else {
            for s in &rule.share {
                if s.when.as_ref().is_none_or(|c| self.holds(c)) {
                    let due = s.due.as_ref().or(t.due.as_ref()).or(rule.due.as_ref());
                    self.push(key, rule, Some(s.part), due, out);
                }
            }
        }
    }

    fn push(
        &mut self,
        key: RuleKey,
        rule: &Rule,
        share: Option<Share>,
        due: Option<&Due>,
        out: &mut Vec<Obligation>,
    ) {
        let Some(activation) = self.activation else {
            return;
        };
        let Some(mut due) = due.and_then(|d| self.due(d)) else {
            return;
        };
        if let Some(rec) = &rule.repeat {
            let latest = rec.after.iter().find_map(|base| match base {
                RecurrenceBase::Own => self
                    .discharges(key, share, Some(activation))
                    .filter(|t| *t >= activation)
                    .last(),
                RecurrenceBase::Other(r) => self.discharges(r.key, None, None).last(),
            });
            if let Some(t) = latest {
                due = Some(self.engine.calendar.add(t, rec.every));
            }
        } else if let Some(at) = self.first_discharge(key, share, activation) {
            if let Some(met) = self.met.as_deref_mut() {
                met.push(Met {
                    rule: key,
                    share,
                    episode: self.ep.index,
                    activation,
                    due,
                    at,
                });
            }
            return;
        }
        if let Some(d) = due.filter(|d| *d > self.now) {
            self.next_change = earliest(self.next_change, Some(d));
        }
        let status = match due {
            Some(d) if d < self.now => Status::Overdue,
            _ => Status::Open,
        };
        out.push(Obligation {
            rule: key,
            share,
            episode: self.ep.index,
            activation,
            due,
            status,
        });
    }

    fn first_discharge(
        &self,
        key: RuleKey,
        share: Option<Share>,
        since: Timestamp,
    ) -> Option<Timestamp> {
        self.discharges(key, share, Some(since)).next()
    }

    fn episode_events(&self) -> impl Iterator<Item = &&Event> + '_ {
        self.happened.events[self.ep.events.clone()].iter()
    }

    fn anchor(&self, a: Anchor) -> Option<Timestamp> {
        let ep = self.ep;
        match a {
            Anchor::Activation => self.activation,
            Anchor::TAbs => ep.t_abs,
            Anchor::TRep => ep.t_rep,
            Anchor::TStart => Some(ep.t_start),
            Anchor::TLa => ep.t_la,
            Anchor::TGrade => ep.t_grade,
            Anchor::THigh => ep.t_high,
            Anchor::TFound => ep.t_found,
            Anchor::TRet => ep.t_ret,
            Anchor::TPn => ep.t_pn,
            Anchor::TRhi => ep.t_rhi,
            Anchor::LatestGrading => ep.latest_grade.map(|g| g.0),
        }
    }

    fn instant(&self, spec: &InstantSpec) -> Option<Timestamp> {
        let base = self.anchor(spec.at)?;
        Some(match spec.after {
            Some(d) => self.engine.calendar.add(base, d),
            None => base,
        })
    }

    /// `Some(None)` for "no deadline", `None` when an anchor it needs does not exist.
    fn due(&self, due: &Due) -> Option<Option<Timestamp>> {
        let Due::At { base, shift } = due else {
            return Some(None);
        };
        let base = match base {
            DueBase::Anchor(a) => self.anchor(*a)?,
            DueBase::LatestOf(list) => list.iter().filter_map(|a| self.anchor(*a)).max()?,
        };
        let cal = self.engine.calendar;
        Some(Some(match *shift {
            DueShift::None => base,
            DueShift::Plus(d) => cal.add(base, d),
            DueShift::WorkingDays(n) => cal.end_of_nth_working_day_after(base, n),
            DueShift::NextWorkingDay => cal.end_of_next_working_day(base),
            DueShift::NextMidnightUnlessBefore(cutoff) => {
                cal.next_midnight_unless_before(base, cutoff.0)
            }
        }))
    }

    /// Instants of events that discharge `key` (or its `share`), from the rule's discharge window
    /// start (or `since`, if later) up to now, in time order. Looks across the whole file.
    fn discharges(
        &self,
        key: RuleKey,
        share: Option<Share>,
        since: Option<Timestamp>,
    ) -> impl Iterator<Item = Timestamp> + '_ {
        let rule = self.engine.catalog.rule(key);
        let from = match rule.discharge_from.unwrap_or(Anchor::TStart) {
            Anchor::Activation => since.unwrap_or(self.ep.t_start),
            Anchor::TRep => self.ep.t_rep.unwrap_or(self.ep.t_start),
            _ => self.ep.t_start,
        };
        self.happened
            .events
            .iter()
            .filter(move |e| e.at >= from && self.discharges_event(key, rule, share, e))
            .map(|e| e.at)
    }

    fn discharges_event(&self, key: RuleKey, rule: &Rule, share: Option<Share>, e: &Event) -> bool {
        if e.satisfies.is_empty() && !rule.discharge_types.contains(e.kind.event_type()) {
            return false;
        }
        e.satisfies.iter().any(|d| {
            (d.rule == key && (d.share.is_none() || share.is_none() || d.share == share))
                || rule.discharged_by_naming.iter().any(|r| r.key == d.rule)
        }) || rule.discharged_by.iter().any(|sel| self.matches(sel, e))
    }

    fn matches(&self, s: &EventSelector, e: &Event) -> bool {
        if e.kind.event_type() != s.event {
            return false;
        }
        let fields_ok = match &e.kind {
            EventKind::AbsenceNoticed {
                status,
                whereabouts_known,
                contactable,
                at_risk,
                aggravating_factors,
            } => {
                s.status.is_none_or(|set| set.contains(*status))
                    && s.whereabouts_known.is_none_or(|v| v == *whereabouts_known)
                    && s.contactable.is_none_or(|v| v == *contactable)
                    && s.at_risk.is_none_or(|v| v == *at_risk)
                    && s.aggravating_factors
                        .is_none_or(|v| v == *aggravating_factors)
            }
            EventKind::ConcernIdentified { concern } => {
                s.concern.as_ref().is_none_or(|c| c.contains(concern))
            }
            EventKind::MeetingHeld {
                meeting_type,
                face_to_face,
                ..
            } => {
                s.meeting_type.is_none_or(|set| set.contains(*meeting_type))
                    && s.face_to_face.is_none_or(|v| v == *face_to_face)
            }
            EventKind::PreventionInterviewCompleted { mode } => {
                s.mode.is_none_or(|set| set.contains(*mode))
            }
            EventKind::CameToNotice { authority, .. } | EventKind::LaAware { authority, .. } => {
                s.authority.as_ref().is_none_or(|a| a == authority)
            }
            _ => true,
        };
        fields_ok
            && s.not_before
                .is_none_or(|a| self.anchor(a).is_some_and(|t| e.at >= t))
            && s.when.as_ref().is_none_or(|c| self.holds(c))
    }

    fn holds(&self, c: &Condition) -> bool {
        let child = &self.timeline.child;
        let ep = self.ep;
        let cal = self.engine.calendar;
        let params = &self.pack.parameters;
        let is = |v: Option<bool>, actual: bool| v.is_none_or(|v| v == actual);
        let reported_and =
            |v: Option<bool>, cell: &std::cell::OnceCell<bool>, f: &dyn Fn(Timestamp) -> bool| {
                v.is_none_or(|v| ep.t_rep.is_some_and(|t| *cell.get_or_init(|| f(t)) == v))
            };
        let reports_here = ep.earlier_reports + usize::from(ep.t_rep.is_some());
        c.is.as_ref().is_none_or(|r| {
            self.pack
                .conditions
                .values()
                .nth(r.index)
                .is_some_and(|n| self.holds(n))
        }) && c
            .any_of
            .as_ref()
            .is_none_or(|list| list.iter().any(|s| self.holds(s)))
            && c.not.as_ref().is_none_or(|s| !self.holds(s))
            && is(c.looked_after, child.looked_after())
            && is(c.reported, ep.t_rep.is_some())
            && is(c.found, ep.t_found.is_some())
            && is(c.returned, ep.returned)
            && is(c.out_of_area, child.out_of_area())
            && c.placed_outside
                .as_ref()
                .is_none_or(|a| child.host_authority != *a)
            && c.police_force
                .as_ref()
                .is_none_or(|f| child.police_force == *f)
            && c.responsible_authority
                .as_ref()
                .is_none_or(|a| child.responsible_authority == *a)
            && c.placement_type
                .is_none_or(|s| s.contains(child.placement_type))
            && c.placement_travel_minutes_over
                .is_none_or(|m| child.placement_travel_minutes > m)
            && c.age_under.is_none_or(|a| ep.age < a)
            && c.age_at_most.is_none_or(|a| ep.age <= a)
            && is(
                c.high_risk_age,
                params.high_risk_age_at_most.is_some_and(|a| ep.age <= a),
            )
            && c.latest_grade
                .is_none_or(|s| ep.latest_grade.is_some_and(|g| s.contains(g.1)))
            && c.ever_graded.is_none_or(|s| self.ever_graded(s))
            && is(c.grade_not_permitted, self.grade_not_permitted())
            && c.concerns_any.is_none_or(|s| child.concerns.intersects(s))
            && c.flags
                .as_ref()
                .is_none_or(|fs| fs.iter().all(|(f, v)| child.flags.contains(*f) == *v))
            && reported_and(
                c.reported_in_office_hours,
                &self.cached.reported_in_office_hours,
                &|t| cal.in_office_hours(t, self.office_hours()),
            )
            && reported_and(
                c.reported_on_working_day,
                &self.cached.reported_on_working_day,
                &|t| cal.is_working_day(cal.local_date(t)),
            )
            && c.first_absence_status
                .is_none_or(|s| self.first_absence_status().is_some_and(|st| s.contains(st)))
            && c.la_aware_via
                .is_none_or(|s| ep.la_via.is_some_and(|v| s.contains(v)))
            && c.repeat_threshold_met.is_none_or(|v| {
                *self
                    .cached
                    .repeat_threshold_met
                    .get_or_init(|| self.repeat_threshold_met())
                    == v
            })
            && c.lifetime_episodes_at_least
                .is_none_or(|n| reports_here >= n as usize)
            && is(c.has_prior_episode, ep.earlier_reports > 0)
            && c.missing_longer_than
                .is_none_or(|d| match (ep.t_rep, ep.t_ret) {
                    (Some(rep), Some(ret)) => cal.add(rep, d) < ret,
                    _ => false,
                })
            && c.happened
                .as_ref()
                .is_none_or(|sel| self.episode_events().any(|e| self.matches(sel, e)))
            && c.missing_at.as_ref().is_none_or(|spec| {
                self.instant(spec)
                    .is_some_and(|t| t <= self.now && ep.missing_at(t))
            })
            && c.undischarged_at_activation.as_ref().is_none_or(|r| {
                self.activation.is_some_and(|act| {
                    self.discharges(r.key, None, None)
                        .next()
                        .is_none_or(|t| t > act)
                })
            })
    }

    fn office_hours(&self) -> crate::calendar::OfficeHours {
        let oh = &self.pack.parameters.office_hours;
        crate::calendar::OfficeHours {
            start: oh.start.0,
            end: oh.end.0,
        }
    }

    fn first_absence_status(&self) -> Option<crate::vocabulary::AbsenceStatus> {
        self.episode_events().find_map(|e| match e.kind {
            EventKind::AbsenceNoticed { status, .. } => Some(status),
            _ => None,
        })
    }

    fn ever_graded(&self, levels: Set<RiskLevel>) -> bool {
        self.episode_events()
            .any(|e| matches!(e.kind, EventKind::RiskGraded { level } if levels.contains(level)))
    }

    fn grade_not_permitted(&self) -> bool {
        let (Some(p), Some((_, grade))) =
            (&self.pack.parameters.permitted_grades, self.ep.latest_grade)
        else {
            return false;
        };
        let permitted = match (self.timeline.child.looked_after(), self.ep.age < 16) {
            (false, _) => p.home,
            (true, true) => p.in_care_under_16,
            (true, false) => p.in_care,
        };
        !permitted.contains(grade)
    }

    /// C11: police-reported episodes in the closed window `[T_rep − window, T_rep]`, current included.
    fn repeat_threshold_met(&self) -> bool {
        let (Some(r), Some(rep)) = (&self.pack.parameters.repeat, self.ep.t_rep) else {
            return false;
        };
        let window = r.window_ending(self.engine.calendar, rep);
        let upto = self.ep.earlier_reports + 1;
        let n = self.happened.reports[..upto.min(self.happened.reports.len())]
            .iter()
            .filter(|t| window.contains(t))
            .count();
        r.reached(n)
    }
}
