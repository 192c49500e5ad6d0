//! Timeline v1: one child's facts, what happened and when, and the instant to evaluate at
//! (`shared/spec/timeline-v1.md`). The types here are already checked: a [`Timeline`] can only be
//! made by [`parse`], which rejects anything the format does not allow.

mod parse;

pub use parse::{TimelineError, parse, parse_instant};

use jiff::Timestamp;
use jiff::civil::Date;

use crate::catalog::RuleKey;
use crate::vocabulary::{
    AbsenceStatus, Concern, EventType, Flag, IdentifiedConcern, InterviewMode, LaChannel,
    LegalStatus, MeetingType, PlacementType, Protocol, ReviewKind, RhiMode, RiskLevel, Role,
    SeenMode, Set, Share,
};

/// A parsed, valid timeline v1 file.
#[derive(Clone, Debug)]
pub struct Timeline {
    /// Scenario or case identifier.
    pub id: String,
    /// One-line description.
    pub title: Option<String>,
    /// Protocols to evaluate and in which role.
    pub rulesets: Vec<Ruleset>,
    /// Facts about the child.
    pub child: Child,
    /// What happened, in file order.
    pub events: Vec<Event>,
    /// The evaluation instant `E`.
    pub evaluate_at: Timestamp,
}

/// A protocol applied in a role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ruleset {
    /// Which protocol.
    pub protocol: Protocol,
    /// Why it applies.
    pub role: Role,
}

/// Facts about the child, true throughout the timeline.
#[derive(Clone, Debug)]
pub struct Child {
    /// Label only.
    pub pseudonym: Option<String>,
    /// Date of birth.
    pub dob: Date,
    /// Legal status.
    pub legal_status: LegalStatus,
    /// Where the child lives.
    pub placement_type: PlacementType,
    /// Responsible (placing) authority.
    pub responsible_authority: String,
    /// Authority where the child lives or is placed.
    pub host_authority: String,
    /// Police force covering the placement.
    pub police_force: String,
    /// Force dealing with the return, if different.
    pub return_police_force: Option<String>,
    /// Travel time from the responsible authority to the placement.
    pub placement_travel_minutes: u32,
    /// Description of any criminal-justice order.
    pub criminal_justice_order: Option<String>,
    /// Boolean facts.
    pub flags: Set<Flag>,
    /// Known concerns.
    pub concerns: Set<Concern>,
    /// Police-reported episodes before the first event of the file.
    pub prior_episodes: Vec<PriorEpisode>,
}

impl Child {
    /// Looked after by any authority.
    pub fn looked_after(&self) -> bool {
        self.legal_status.looked_after()
    }

    /// Placed outside the responsible authority.
    pub fn out_of_area(&self) -> bool {
        self.host_authority != self.responsible_authority
    }
}

/// An earlier police-reported missing episode.
#[derive(Clone, Copy, Debug)]
pub struct PriorEpisode {
    /// When it was reported.
    pub reported_missing_at: Timestamp,
    /// When the child returned, if known.
    pub returned_at: Option<Timestamp>,
}

/// Something that happened.
#[derive(Clone, Debug)]
pub struct Event {
    /// When it happened.
    pub at: Timestamp,
    /// What happened.
    pub kind: EventKind,
    /// Who did it (free text).
    pub by: Option<String>,
    /// Free-text note.
    pub note: Option<String>,
    /// Obligations this event discharges explicitly.
    pub satisfies: Vec<Discharge>,
}

/// An explicit discharge: a rule, or one party's share of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Discharge {
    /// The rule.
    pub rule: RuleKey,
    /// The share, or `None` for every share.
    pub share: Option<Share>,
}

/// What happened, with the fields of its type.
#[derive(Clone, Debug, PartialEq)]
#[expect(
    missing_docs,
    reason = "the fields are those of timeline-v1 §6.2 and documented there"
)]
pub enum EventKind {
    AbsenceNoticed {
        status: AbsenceStatus,
        whereabouts_known: bool,
        contactable: bool,
        at_risk: bool,
        aggravating_factors: bool,
    },
    ReportedMissing {
        to: String,
        police_ref: Option<String>,
    },
    RiskGraded {
        level: RiskLevel,
    },
    RiskReviewed {
        kind: Option<ReviewKind>,
    },
    LaAware {
        authority: String,
        via: LaChannel,
    },
    CameToNotice {
        authority: String,
        place: Option<String>,
    },
    ConcernIdentified {
        concern: IdentifiedConcern,
    },
    StrategyMeetingDirected,
    Located {
        place: Option<String>,
    },
    PoliceNotifiedOfReturn,
    Returned {
        to: Option<String>,
    },
    ChildSeen {
        mode: Option<SeenMode>,
    },
    PreventionInterviewCompleted {
        mode: InterviewMode,
    },
    RhiOffered {
        mode: Option<RhiMode>,
    },
    RhiCompleted {
        mode: Option<RhiMode>,
    },
    RhiDeclined,
    MeetingHeld {
        meeting_type: MeetingType,
        chair: Option<String>,
        face_to_face: bool,
    },
    NotificationSent {
        to: String,
        from: Option<String>,
        form: Option<String>,
        automated: bool,
    },
    RaNotified {
        to: Option<String>,
    },
    FormCompleted {
        form: String,
    },
    FormShared {
        form: String,
        to: String,
    },
    ActionRecorded {
        action: String,
    },
}

impl EventKind {
    /// The event's type.
    pub fn event_type(&self) -> EventType {
        match self {
            Self::AbsenceNoticed { .. } => EventType::AbsenceNoticed,
            Self::ReportedMissing { .. } => EventType::ReportedMissing,
            Self::RiskGraded { .. } => EventType::RiskGraded,
            Self::RiskReviewed { .. } => EventType::RiskReviewed,
            Self::LaAware { .. } => EventType::LaAware,
            Self::CameToNotice { .. } => EventType::CameToNotice,
            Self::ConcernIdentified { .. } => EventType::ConcernIdentified,
            Self::StrategyMeetingDirected => EventType::StrategyMeetingDirected,
            Self::Located { .. } => EventType::Located,
            Self::PoliceNotifiedOfReturn => EventType::PoliceNotifiedOfReturn,
            Self::Returned { .. } => EventType::Returned,
            Self::ChildSeen { .. } => EventType::ChildSeen,
            Self::PreventionInterviewCompleted { .. } => EventType::PreventionInterviewCompleted,
            Self::RhiOffered { .. } => EventType::RhiOffered,
            Self::RhiCompleted { .. } => EventType::RhiCompleted,
            Self::RhiDeclined => EventType::RhiDeclined,
            Self::MeetingHeld { .. } => EventType::MeetingHeld,
            Self::NotificationSent { .. } => EventType::NotificationSent,
            Self::RaNotified { .. } => EventType::RaNotified,
            Self::FormCompleted { .. } => EventType::FormCompleted,
            Self::FormShared { .. } => EventType::FormShared,
            Self::ActionRecorded { .. } => EventType::ActionRecorded,
        }
    }
}
