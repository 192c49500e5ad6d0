//! The closed vocabularies of timeline v1 (`shared/spec/timeline-v1.md` §3–§6): protocols, roles,
//! child facts, event types and their enumerated fields. Each has one parser, used both by the
//! timeline reader and by the rule-pack loader, so the two can never disagree on a spelling.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer};

/// A value outside a closed vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown value `{value}`; expected one of {expected}")]
pub struct UnknownValue {
    /// What was written.
    pub value: String,
    /// The accepted spellings, comma separated.
    pub expected: String,
}

macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The spelling used in timeline files and rule packs.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Position in [`Self::ALL`], for compact sets.
            pub const fn index(self) -> usize {
                self as usize
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, UnknownValue> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownValue {
                        value: s.to_owned(),
                        expected: [$($text),+].join(", "),
                    }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

vocabulary!(
    /// The five protocols (catalogue prefixes).
    Protocol {
        /// Hampshire, Isle of Wight, Southampton and Portsmouth.
        Hips = "HIPS",
        /// Lancashire, Blackpool, Blackburn with Darwen.
        Lancs = "LANCS",
        /// London Borough of Newham.
        Newham = "NEWHAM",
        /// Barnsley, Doncaster, Rotherham, Sheffield.
        Sy = "SY",
        /// London Borough of Merton.
        Merton = "MERTON",
    }
);

vocabulary!(
    /// Why a protocol applies to a child (timeline-v1 §4).
    Role {
        /// The child's responsible (home / placing) authority.
        Responsible = "responsible",
        /// The area where the child lives or is placed, out of area.
        Host = "host",
        /// An area where the child, missing from elsewhere, came to notice.
        Finder = "finder",
    }
);

vocabulary!(
    /// Legal status; every value but `none` makes the child looked after.
    LegalStatus {
        /// Not looked after.
        None = "none",
        /// Accommodated under s20.
        S20 = "s20",
        /// Care order.
        S31CareOrder = "s31_care_order",
        /// Interim care order.
        S38InterimCareOrder = "s38_interim_care_order",
        /// Accommodated under s21.
        S21Accommodation = "s21_accommodation",
    }
);

vocabulary!(
    /// Where the child lives.
    PlacementType {
        /// With family.
        FamilyHome = "family_home",
        /// Foster placement.
        Foster = "foster",
        /// Children's home.
        Residential = "residential",
        /// Semi-independent accommodation.
        SemiIndependent = "semi_independent",
        /// Hospital or mental-health unit.
        Hospital = "hospital",
    }
);

vocabulary!(
    /// Concerns known about the child (§5.3).
    Concern {
        /// Child sexual exploitation.
        Cse = "cse",
        /// Child criminal exploitation.
        Cce = "cce",
        /// Exploitation of another kind.
        Exploitation = "exploitation",
        /// A network of young people being exploited.
        NetworkExploitation = "network_exploitation",
        /// Trafficking.
        Trafficking = "trafficking",
        /// Radicalisation.
        Radicalisation = "radicalisation",
        /// Known mental-health needs.
        KnownMentalHealth = "known_mental_health",
        /// Special educational needs or disability.
        SenDisability = "sen_disability",
    }
);

/// A concern identified during an episode: a §5.3 concern or a general safeguarding concern.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IdentifiedConcern {
    /// One of the concerns a child can be known for.
    Known(Concern),
    /// A safeguarding concern.
    Safeguarding,
}

impl FromStr for IdentifiedConcern {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, UnknownValue> {
        if s == "safeguarding" {
            return Ok(Self::Safeguarding);
        }
        s.parse()
            .map(Self::Known)
            .map_err(|e: UnknownValue| UnknownValue {
                value: e.value,
                expected: format!("{}, safeguarding", e.expected),
            })
    }
}

impl<'de> Deserialize<'de> for IdentifiedConcern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

vocabulary!(
    /// Boolean facts about the child (§5.2), all `false` unless the file says otherwise.
    Flag {
        /// Open to children's social care.
        OpenToCsc = "open_to_csc",
        /// Has an allocated social worker.
        AllocatedSw = "allocated_sw",
        /// Open to Newham Families First only.
        OpenToFamiliesFirst = "open_to_families_first",
        /// Subject to a child protection plan.
        CpPlan = "cp_plan",
        /// Child in need.
        Cin = "cin",
        /// Open s47 enquiry.
        S47Open = "s47_open",
        /// Previously known to social care.
        PreviouslyKnownToCsc = "previously_known_to_csc",
        /// A trigger / find-me plan exists.
        TriggerPlanExists = "trigger_plan_exists",
        /// An E-TAC is already running.
        EtacInPlace = "etac_in_place",
        /// The care plan says parents are not to be told.
        CarePlanNoParentNotification = "care_plan_no_parent_notification",
        /// Significant concerns recorded for this episode.
        SignificantConcerns = "significant_concerns",
        /// Believed missing with other young people.
        MissingWithOthers = "missing_with_others",
        /// Criminal activity during the absence.
        CriminalActivityDuringAbsence = "criminal_activity_during_absence",
        /// Detained or in-patient mental-health patient.
        MentalHealthPatient = "mental_health_patient",
        /// Newham: agreed alternative to a prevention interview.
        PiAlternativeStrategyAgreed = "pi_alternative_strategy_agreed",
        /// Newham: found by the carer before police attended.
        FoundByCarerBeforePoliceAttendance = "found_by_carer_before_police_attendance",
        /// Merton strategy trigger.
        SignificantlyHighComplexRisks = "significantly_high_complex_risks",
        /// Merton strategy trigger.
        ParentsNotActing = "parents_not_acting",
        /// Merton strategy trigger.
        PersistentRhiNonEngagement = "persistent_rhi_non_engagement",
    }
);

vocabulary!(
    /// The status recorded when an absence is noticed.
    AbsenceStatus {
        /// Missing.
        Missing = "missing",
        /// Newham's pre-report 'absent' category.
        Absent = "absent",
        /// HIPS unauthorised absence (children in care).
        UnauthorisedAbsence = "unauthorised_absence",
        /// Away from placement without authorisation.
        Awol = "awol",
        /// Lancashire absconder (criminal-justice order).
        Absconder = "absconder",
    }
);

vocabulary!(
    /// Police risk grade.
    RiskLevel {
        /// High risk.
        High = "high",
        /// Medium risk.
        Medium = "medium",
        /// Low risk.
        Low = "low",
        /// No apparent risk.
        NoApparentRisk = "no_apparent_risk",
    }
);

vocabulary!(
    /// Kind of police risk review.
    ReviewKind {
        /// Sergeant's verification.
        Verification = "verification",
        /// Duty Inspector's review.
        Review = "review",
    }
);

vocabulary!(
    /// How the local authority learnt of the episode.
    LaChannel {
        /// Emergency Duty Team.
        Edt = "EDT",
        /// Multi-agency safeguarding hub.
        Mash = "MASH",
        /// Social worker.
        Sw = "SW",
    }
);

vocabulary!(
    /// How a child was seen.
    SeenMode {
        /// In person.
        InPerson = "in_person",
        /// By video.
        Video = "video",
    }
);

vocabulary!(
    /// How a police prevention interview was held.
    InterviewMode {
        /// Face to face.
        FaceToFace = "face_to_face",
        /// By telephone.
        Telephone = "telephone",
        /// By video.
        Video = "video",
    }
);

vocabulary!(
    /// How a return interview was offered or held.
    RhiMode {
        /// In person.
        InPerson = "in_person",
        /// By telephone.
        Telephone = "telephone",
        /// By video.
        Video = "video",
    }
);

vocabulary!(
    /// Kind of meeting.
    MeetingType {
        /// Strategy meeting.
        Strategy = "strategy",
        /// Child-protection core group.
        CoreGroup = "core_group",
        /// Newham Complex Strategy Meeting.
        ComplexStrategy = "complex_strategy",
        /// Newham safeguarding meeting.
        Safeguarding = "safeguarding",
        /// Exploitation team around the child.
        Etac = "etac",
        /// HIPS intervention meeting.
        Intervention = "intervention",
        /// Lancashire second-stage intervention meeting.
        SecondStageIntervention = "second_stage_intervention",
        /// Weekly missing meeting.
        WeeklyMissing = "weekly_missing",
        /// Any other meeting.
        Other = "other",
    }
);

vocabulary!(
    /// The event types of timeline v1 (§6.2).
    EventType {
        /// The child is not where expected.
        AbsenceNoticed = "absence_noticed",
        /// Reported missing to police.
        ReportedMissing = "reported_missing",
        /// Police risk grading.
        RiskGraded = "risk_graded",
        /// Police risk review without a change of grade.
        RiskReviewed = "risk_reviewed",
        /// The local authority first learns of the episode.
        LaAware = "la_aware",
        /// A child missing from elsewhere comes to notice.
        CameToNotice = "came_to_notice",
        /// A concern identified during the episode.
        ConcernIdentified = "concern_identified",
        /// Merton C&F HUB directs a strategy meeting.
        StrategyMeetingDirected = "strategy_meeting_directed",
        /// The child is located.
        Located = "located",
        /// Police locate the child or are told of the return.
        PoliceNotifiedOfReturn = "police_notified_of_return",
        /// The child is back at home or placement.
        Returned = "returned",
        /// The child is seen.
        ChildSeen = "child_seen",
        /// Police safe-and-well check / prevention interview.
        PreventionInterviewCompleted = "prevention_interview_completed",
        /// Return interview offered.
        RhiOffered = "rhi_offered",
        /// Return interview conducted.
        RhiCompleted = "rhi_completed",
        /// The child declines the return interview.
        RhiDeclined = "rhi_declined",
        /// A meeting took place.
        MeetingHeld = "meeting_held",
        /// A notification, alert, e-mail or call.
        NotificationSent = "notification_sent",
        /// The responsible authority is told of the episode.
        RaNotified = "ra_notified",
        /// A form, record or log completed.
        FormCompleted = "form_completed",
        /// A document passed on.
        FormShared = "form_shared",
        /// Any other act.
        ActionRecorded = "action_recorded",
    }
);

vocabulary!(
    /// One party's part of a rule that binds two parties (timeline-v1 §6.3).
    Share {
        /// The carer's part.
        Carer = "CARER",
        /// The police's part.
        Police = "POLICE",
        /// The social worker's part.
        Sw = "SW",
        /// Assuring the child's safety.
        Safety = "SAFETY",
    }
);

impl LegalStatus {
    /// Looked after / in care: every legal status except `none`.
    pub const fn looked_after(self) -> bool {
        !matches!(self, LegalStatus::None)
    }
}

/// A small set of vocabulary values, stored as bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Set<T> {
    bits: u32,
    _kind: std::marker::PhantomData<T>,
}

/// Vocabularies that fit in a [`Set`].
pub trait Member: Copy {
    /// Position of the value in its vocabulary.
    fn bit(self) -> u32;
}

macro_rules! member {
    ($($t:ty),+) => {$(
        impl Member for $t {
            fn bit(self) -> u32 { 1 << self.index() }
        }
    )+};
}
member!(
    Concern,
    Flag,
    AbsenceStatus,
    RiskLevel,
    LaChannel,
    MeetingType,
    PlacementType,
    EventType,
    InterviewMode,
    Role,
    Protocol
);

impl<T: Member> Set<T> {
    /// The empty set.
    pub const fn empty() -> Self {
        Self {
            bits: 0,
            _kind: std::marker::PhantomData,
        }
    }

    /// Adds a value.
    pub fn insert(&mut self, v: T) {
        self.bits |= v.bit();
    }

    /// Whether the value is in the set.
    pub fn contains(self, v: T) -> bool {
        self.bits & v.bit() != 0
    }

    /// Whether the two sets share a value.
    pub fn intersects(self, other: Self) -> bool {
        self.bits & other.bits != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.bits == 0
    }
}

impl<T: Member> Default for Set<T> {
    fn default() -> Self {
        Self::empty()
    }
}

impl<T: Member> FromIterator<T> for Set<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut s = Self::empty();
        for v in iter {
            s.insert(v);
        }
        s
    }
}

impl<'de, T: Member + Deserialize<'de>> Deserialize<'de> for Set<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Vec::<T>::deserialize(d)?.into_iter().collect())
    }
}

vocabulary!(
    /// An instant of an episode that rules are anchored to (timeline-v1 §7.1), or the activation
    /// instant of the obligation itself.
    Anchor {
        /// The obligation's own activation instant.
        Activation = "activation",
        /// Absence noticed.
        TAbs = "T_abs",
        /// Reported missing to police.
        TRep = "T_rep",
        /// Episode start: `T_abs`, else `T_rep`.
        TStart = "T_start",
        /// Local authority aware (default `T_rep`).
        TLa = "T_la",
        /// First police grading (default `T_rep`).
        TGrade = "T_grade",
        /// First `high` grading.
        THigh = "T_high",
        /// Located, else returned.
        TFound = "T_found",
        /// Returned, else `T_found`.
        TRet = "T_ret",
        /// Police notified of the return, else `T_found`.
        TPn = "T_pn",
        /// Return interview conducted.
        TRhi = "T_rhi",
        /// The latest police grading.
        LatestGrading = "latest_grading",
    }
);

vocabulary!(
    /// Kind of catalogue rule (`rules.md`, rule counts table).
    RuleKind {
        /// Definition / classification.
        Def = "DEF",
        /// Risk grading constraint.
        Risk = "RISK",
        /// Notification.
        Notify = "NOTIFY",
        /// Escalation by elapsed time.
        Esc = "ESC",
        /// Meeting.
        Meet = "MEET",
        /// Review cadence.
        Review = "REVIEW",
        /// Interview deadline.
        Interview = "INTERVIEW",
        /// Repeat-missing threshold.
        Repeat = "REPEAT",
        /// Form or document required.
        Form = "FORM",
        /// Reporting / data return.
        Data = "DATA",
        /// Information-sharing / access constraint.
        Info = "INFO",
        /// Out-of-hours / working-day rule.
        Ooh = "OOH",
        /// Other operational duty.
        Ops = "OPS",
    }
);

vocabulary!(
    /// Who owns an obligation, for routing work and notifications to people.
    OwnerRole {
        /// Foster carer, residential provider or parent.
        Carer = "carer",
        /// The child's social worker (or Families First worker).
        SocialWorker = "social_worker",
        /// Team manager or practice lead.
        TeamManager = "team_manager",
        /// Service manager, head of service or director.
        SeniorManager = "senior_manager",
        /// Emergency duty team (out of hours).
        Edt = "edt",
        /// Multi-agency safeguarding hub.
        Mash = "mash",
        /// Police officers and supervisors.
        Police = "police",
        /// Police missing-person co-ordinator or unit.
        PoliceMissingCoordinator = "police_missing_coordinator",
        /// Return-interview provider.
        RhiProvider = "rhi_provider",
        /// Independent reviewing officer.
        Iro = "iro",
        /// An automated system (police e-mail, case-management workflow).
        System = "system",
    }
);
