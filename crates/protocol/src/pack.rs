//! The rule-pack file format: one TOML file per protocol, readable by a policy owner.
//!
//! A pack holds the protocol's parameters, named conditions and every catalogue rule with its
//! citation. Rules that create obligations have one or more triggers written in a closed
//! vocabulary of episode facts ([`Condition`]), an anchor, a deadline ([`Due`]), what ends them and
//! what discharges them. `crates/protocol/packs/README.md` documents every key.

use std::collections::BTreeMap;
use std::ops::{Range, RangeInclusive};

use jiff::Timestamp;
use jiff::civil::Time;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_spanned::Spanned;

use crate::calendar::Calendar;
use crate::catalog::RuleKey;
use crate::duration::ProtocolDuration;
use crate::rule_id::RuleId;
use crate::vocabulary::{
    AbsenceStatus, Anchor, Concern, EventType, Flag, IdentifiedConcern, InterviewMode, LaChannel,
    MeetingType, OwnerRole, PlacementType, Protocol, RiskLevel, Role, RuleKind, Set, Share,
};

/// A rule pack as written in its TOML file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pack {
    /// Which protocol.
    pub protocol: Protocol,
    /// Pack version; bump it with every change and say why in `changes`.
    pub version: String,
    /// The protocol document's title.
    pub title: String,
    /// Seed file the citations refer to.
    pub seed: String,
    /// Local authorities of the protocol area.
    pub authorities: Vec<String>,
    /// Police force of the area.
    pub police_force: String,
    /// Roles in which a rule applies unless the trigger names others.
    pub default_roles: Vec<Role>,
    /// Version history: what changed in each version and why.
    #[serde(default)]
    pub changes: Vec<String>,
    /// Readings of ambiguous text chosen for this protocol (rules.md §5).
    #[serde(default)]
    pub interpretations: Vec<String>,
    /// The protocol's parameters.
    pub parameters: Parameters,
    /// Named conditions, referred to from rules with `is = "name"`.
    #[serde(default)]
    pub conditions: BTreeMap<String, Condition>,
    /// Every catalogue rule of the protocol.
    pub rule: Vec<Rule>,
}

/// Parameters a protocol states (or a local authority configures).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parameters {
    /// Office hours for EDT / out-of-hours routing (C7).
    pub office_hours: OfficeHoursSetting,
    /// Repeat-missing threshold, if the protocol states one.
    pub repeat: Option<RepeatThreshold>,
    /// Upper age of a 'child' and any extensions, as the protocol words it.
    pub child_upper_age: String,
    /// Risk grades the police may give, per child type, if the protocol restricts them.
    pub permitted_grades: Option<PermittedGrades>,
    /// Children this age or younger are high risk (Newham 4.3), if stated.
    pub high_risk_age_at_most: Option<i16>,
}

/// Office hours as written: `{ start = "09:00", end = "17:00" }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfficeHoursSetting {
    /// Start of the office day, local time.
    pub start: LocalTime,
    /// End of the office day, local time.
    pub end: LocalTime,
}

/// A local time of day written `HH:MM`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocalTime(pub Time);

impl<'de> Deserialize<'de> for LocalTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let bad = || de::Error::custom(format!("`{s}` is not a time of day; write HH:MM"));
        let (h, m) = s.split_once(':').ok_or_else(bad)?;
        if h.len() != 2 || m.len() != 2 {
            return Err(bad());
        }
        let (h, m): (i8, i8) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        Time::new(h, m, 0, 0).map(LocalTime).map_err(|_| bad())
    }
}

/// "N episodes within a window" (C11).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepeatThreshold {
    /// The window before the current report, calendar arithmetic.
    pub window: ProtocolDuration,
    /// How many police-reported episodes in the closed window, current included.
    pub at_least: u32,
    /// What the protocol says follows.
    pub consequence: String,
}

impl RepeatThreshold {
    /// The closed window `[at − window, at]` whose police reports count towards the threshold
    /// (C11), with calendar arithmetic (C3): a report exactly at its start counts. The engine,
    /// the pattern views and the returns all count with this one window.
    pub fn window_ending(&self, calendar: &Calendar, at: Timestamp) -> RangeInclusive<Timestamp> {
        calendar.sub(at, self.window)..=at
    }

    /// Whether `reports` police-reported episodes in the window (current included) meet it.
    pub fn reached(&self, reports: usize) -> bool {
        reports >= self.at_least as usize
    }
}

/// Permitted police risk grades by child type (AMB-14).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermittedGrades {
    /// Children missing from home.
    pub home: Set<RiskLevel>,
    /// Children in care aged 16 or over.
    pub in_care: Set<RiskLevel>,
    /// Children in care under 16.
    pub in_care_under_16: Set<RiskLevel>,
}

/// One catalogue rule.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Stable catalogue ID.
    pub id: Spanned<RuleId>,
    /// Kind of rule.
    pub kind: RuleKind,
    /// Marked ⏱ in the catalogue: its obligations are compared by the acceptance tests.
    #[serde(default)]
    pub timed: bool,
    /// Paragraph(s) of the seed document.
    pub paragraph: String,
    /// Short verbatim quote from the seed.
    pub quote: String,
    /// What must be done.
    pub action: String,
    /// Who must do it, as the protocol says.
    pub responsible: String,
    /// Whose work queue the obligation lands in.
    pub owner_role: Option<OwnerRole>,
    /// The catalogue's trigger text, for `rules explain`.
    #[serde(default)]
    pub trigger_text: String,
    /// Which reading of an ambiguity this rule follows (rules.md §5), if any.
    pub interpretation: Option<String>,
    /// When the rule creates an obligation; empty for rules that only define or constrain.
    #[serde(default)]
    pub trigger: Vec<Trigger>,
    /// The deadline (may be overridden by a trigger or a share).
    pub due: Option<Due>,
    /// Ends when the child is found (C9, rules about locating the child).
    #[serde(default)]
    pub ends_when_found: bool,
    /// Withdrawn when the child is found early (NEWHAM-STRAT-24H).
    pub withdrawn: Option<Withdrawal>,
    /// Events that discharge the rule without naming it (timeline-v1 §6.2).
    #[serde(default)]
    pub discharged_by: Vec<EventSelector>,
    /// Other rules whose naming in `satisfies` also discharges this one.
    #[serde(default)]
    pub discharged_by_naming: Vec<RuleRef>,
    /// From which instant discharging events count (timeline-v1 §6.3); default `T_start`.
    pub discharge_from: Option<Anchor>,
    /// Recurrence (C10): the next instance is due this long after the latest base event.
    pub repeat: Option<Recurrence>,
    /// Parties that each owe part of the obligation (timeline-v1 §6.3 share tags).
    #[serde(default)]
    pub share: Vec<ShareSpec>,
    /// Event types named by `discharged_by`, filled in when the catalogue is built so the
    /// engine can pass over other events quickly.
    #[serde(skip)]
    pub discharge_types: Set<EventType>,
}

impl Rule {
    /// Whether the rule declares a share with this tag.
    pub fn has_share(&self, share: Share) -> bool {
        self.share.iter().any(|s| s.part == share)
    }

    /// Whether the rule can create obligations.
    pub fn creates_obligations(&self) -> bool {
        !self.trigger.is_empty()
    }
}

/// When a rule creates an obligation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    /// Roles in which this trigger applies; default: the pack's `default_roles`.
    pub roles: Option<Vec<Role>>,
    /// Conditions that must all hold.
    #[serde(default)]
    pub when: Condition,
    /// Activation at an episode instant…
    pub at: Option<Anchor>,
    /// …at the first event of the episode that matches…
    pub first: Option<EventSelector>,
    /// …at every event of the episode that matches…
    pub each: Option<EventSelector>,
    /// …or at the first discharge of another rule.
    pub first_discharge_of: Option<RuleRef>,
    /// Activation this long after the instant above (a threshold).
    pub after: Option<ProtocolDuration>,
    /// Exists only if the child is still missing at activation (C9).
    #[serde(default)]
    pub while_missing: bool,
    /// Deadline for obligations from this trigger, overriding the rule's.
    pub due: Option<Due>,
}

/// A reference to another rule of the catalogue, resolved when the catalogue is built.
#[derive(Debug)]
pub struct RuleRef {
    /// The ID as written.
    pub id: RuleId,
    /// Where it was written (byte range in the pack file).
    pub span: Range<usize>,
    /// The rule it refers to.
    pub key: RuleKey,
}

impl<'de> Deserialize<'de> for RuleRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Spanned::<RuleId>::deserialize(d)?;
        let span = s.span();
        Ok(Self {
            id: s.into_inner(),
            span,
            key: RuleKey::UNRESOLVED,
        })
    }
}

/// A reference to a named condition of the pack, resolved when the catalogue is built.
#[derive(Debug)]
pub struct ConditionRef {
    /// The name as written.
    pub name: String,
    /// Where it was written.
    pub span: Range<usize>,
    /// Its position in the pack's named conditions.
    pub index: usize,
}

impl<'de> Deserialize<'de> for ConditionRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Spanned::<String>::deserialize(d)?;
        let span = s.span();
        Ok(Self {
            name: s.into_inner(),
            span,
            index: usize::MAX,
        })
    }
}

/// Facts that must all hold. Every key is optional; an empty condition always holds.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// A named condition of the pack.
    pub is: Option<ConditionRef>,
    /// At least one of these holds.
    pub any_of: Option<Vec<Condition>>,
    /// This does not hold.
    pub not: Option<Box<Condition>>,
    /// Looked after (any legal status but `none`).
    pub looked_after: Option<bool>,
    /// The episode was reported to police.
    pub reported: Option<bool>,
    /// The child has been found.
    pub found: Option<bool>,
    /// A `returned` event has happened.
    pub returned: Option<bool>,
    /// Host authority differs from the responsible authority.
    pub out_of_area: Option<bool>,
    /// Placed somewhere other than this authority (e.g. Newham's "out of borough").
    pub placed_outside: Option<String>,
    /// The child's police force is this one.
    pub police_force: Option<String>,
    /// The child's responsible authority is this one.
    pub responsible_authority: Option<String>,
    /// Placement type is one of these.
    pub placement_type: Option<Set<PlacementType>>,
    /// Travel time to the placement exceeds this many minutes.
    pub placement_travel_minutes_over: Option<u32>,
    /// Age (§7.1) below this.
    pub age_under: Option<i16>,
    /// Age (§7.1) at most this.
    pub age_at_most: Option<i16>,
    /// Age at most the pack's `high_risk_age_at_most`.
    pub high_risk_age: Option<bool>,
    /// The latest police grading is one of these.
    pub latest_grade: Option<Set<RiskLevel>>,
    /// Some grading in the episode was one of these.
    pub ever_graded: Option<Set<RiskLevel>>,
    /// The latest grading is outside the pack's permitted grades for this child.
    pub grade_not_permitted: Option<bool>,
    /// The child has at least one of these concerns.
    pub concerns_any: Option<Set<Concern>>,
    /// Child flags with required values.
    pub flags: Option<BTreeMap<Flag, bool>>,
    /// `T_rep` was in office hours (C7).
    pub reported_in_office_hours: Option<bool>,
    /// The local date of `T_rep` is a working day (C4).
    pub reported_on_working_day: Option<bool>,
    /// The first absence of the episode was recorded with one of these statuses.
    pub first_absence_status: Option<Set<AbsenceStatus>>,
    /// The local authority learnt of the episode through one of these channels.
    pub la_aware_via: Option<Set<LaChannel>>,
    /// The pack's repeat-missing threshold is met (C11).
    pub repeat_threshold_met: Option<bool>,
    /// Police-reported episodes so far, current included, at least this many.
    pub lifetime_episodes_at_least: Option<u32>,
    /// At least one police-reported episode before this one.
    pub has_prior_episode: Option<bool>,
    /// `T_ret − T_rep` strictly longer than this (elapsed).
    pub missing_longer_than: Option<ProtocolDuration>,
    /// An event of the episode matches.
    pub happened: Option<EventSelector>,
    /// The child was still missing at this instant (which must have been reached).
    pub missing_at: Option<InstantSpec>,
    /// This rule was not discharged at or before the obligation's activation.
    pub undischarged_at_activation: Option<RuleRef>,
}

/// An instant computed from an anchor: `{ at = "T_rep", after = "PT72H" }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstantSpec {
    /// The anchor.
    pub at: Anchor,
    /// How long after it.
    pub after: Option<ProtocolDuration>,
}

/// Which events: a type plus optional filters on its fields.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventSelector {
    /// Event type.
    pub event: EventType,
    /// `absence_noticed.status` is one of these.
    pub status: Option<Set<AbsenceStatus>>,
    /// `absence_noticed.whereabouts_known`.
    pub whereabouts_known: Option<bool>,
    /// `absence_noticed.contactable`.
    pub contactable: Option<bool>,
    /// `absence_noticed.at_risk`.
    pub at_risk: Option<bool>,
    /// `absence_noticed.aggravating_factors`.
    pub aggravating_factors: Option<bool>,
    /// `concern_identified.concern` is one of these.
    pub concern: Option<Vec<IdentifiedConcern>>,
    /// `meeting_held.meeting_type` is one of these.
    pub meeting_type: Option<Set<MeetingType>>,
    /// `meeting_held.face_to_face`.
    pub face_to_face: Option<bool>,
    /// `prevention_interview_completed.mode` is one of these.
    pub mode: Option<Set<InterviewMode>>,
    /// `came_to_notice.authority` / `la_aware.authority` is this one.
    pub authority: Option<String>,
    /// Only events at or after this episode instant.
    pub not_before: Option<Anchor>,
    /// Only while these facts hold.
    pub when: Option<Box<Condition>>,
}

/// A deadline.
#[derive(Debug)]
pub enum Due {
    /// No deadline stated (C8): the obligation is tracked with `due: null`.
    None,
    /// An instant computed from the episode: a base instant, then an optional shift.
    At {
        /// Where the computation starts.
        base: DueBase,
        /// What is done to it.
        shift: DueShift,
    },
}

/// The instant a deadline is computed from.
#[derive(Debug)]
pub enum DueBase {
    /// One anchor.
    Anchor(Anchor),
    /// The latest of these anchors that exist.
    LatestOf(Vec<Anchor>),
}

/// How a deadline moves from its base instant.
#[derive(Clone, Copy, Debug)]
pub enum DueShift {
    /// The base instant itself ("immediately", C8).
    None,
    /// Plus a duration (C2/C3).
    Plus(ProtocolDuration),
    /// 23:59:59 on the N-th working day after the base's local date (C5).
    WorkingDays(u32),
    /// 23:59:59 on the next working day (C6).
    NextWorkingDay,
    /// The next local midnight, or the base itself if its local time is before this (AMB-17).
    NextMidnightUnlessBefore(LocalTime),
}

/// A deadline as written: `{ at = "T_rep", plus = "PT24H" }`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DueTable {
    at: Option<Anchor>,
    latest_of: Option<Vec<Anchor>>,
    plus: Option<ProtocolDuration>,
    working_days: Option<u32>,
    #[serde(default)]
    next_working_day: bool,
    next_midnight_unless_before: Option<LocalTime>,
}

impl DueTable {
    fn checked(self) -> Result<Due, String> {
        let base = match (self.at, self.latest_of) {
            (Some(a), None) => DueBase::Anchor(a),
            (None, Some(list)) if !list.is_empty() => DueBase::LatestOf(list),
            _ => return Err("due: give exactly one of at, latest_of (not empty)".into()),
        };
        let shifts = [
            self.plus.map(DueShift::Plus),
            self.working_days.map(DueShift::WorkingDays),
            self.next_working_day.then_some(DueShift::NextWorkingDay),
            self.next_midnight_unless_before
                .map(DueShift::NextMidnightUnlessBefore),
        ];
        let mut given = shifts.into_iter().flatten();
        let shift = given.next().unwrap_or(DueShift::None);
        if given.next().is_some() {
            return Err("due: use at most one of plus, working_days, next_working_day, next_midnight_unless_before".into());
        }
        Ok(Due::At { base, shift })
    }
}

impl<'de> Deserialize<'de> for Due {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct DueVisitor;
        impl<'de> Visitor<'de> for DueVisitor {
            type Value = Due;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("\"none\" or a table such as { at = \"T_rep\", plus = \"PT24H\" }")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Due, E> {
                if v == "none" {
                    Ok(Due::None)
                } else {
                    Err(E::custom(format!(
                        "`{v}`: write \"none\" or a table such as {{ at = \"T_rep\" }}"
                    )))
                }
            }
            fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<Due, M::Error> {
                DueTable::deserialize(de::value::MapAccessDeserializer::new(map))?
                    .checked()
                    .map_err(de::Error::custom)
            }
        }
        d.deserialize_any(DueVisitor)
    }
}

/// NEWHAM-STRAT-24H: withdrawn when the child is found before an instant, unless a condition holds.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Withdrawal {
    /// Found strictly before this instant.
    pub found_before: InstantSpec,
    /// Kept when this holds.
    pub unless: Option<Condition>,
}

/// Recurrence (C10, timeline-v1 §7.4).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recurrence {
    /// Interval between instances.
    pub every: ProtocolDuration,
    /// Base events in order of preference: `self` (this rule's discharges at or after activation)
    /// or another rule's ID (its discharges).
    pub after: Vec<RecurrenceBase>,
}

/// A base of a recurrence.
#[derive(Debug)]
pub enum RecurrenceBase {
    /// This rule's own discharges since activation.
    Own,
    /// Another rule's discharges.
    Other(RuleRef),
}

impl<'de> Deserialize<'de> for RecurrenceBase {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Spanned::<String>::deserialize(d)?;
        let span = s.span();
        let text = s.into_inner();
        if text == "self" {
            return Ok(Self::Own);
        }
        let id = RuleId::new(&text).map_err(de::Error::custom)?;
        Ok(Self::Other(RuleRef {
            id,
            span,
            key: RuleKey::UNRESOLVED,
        }))
    }
}

/// One party's share of a rule.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareSpec {
    /// The share tag.
    pub part: Share,
    /// Who owes this share.
    pub responsible: String,
    /// Whose queue it lands in.
    pub owner_role: OwnerRole,
    /// Only when this holds.
    pub when: Option<Condition>,
    /// Deadline of this share, overriding the rule's.
    pub due: Option<Due>,
}
