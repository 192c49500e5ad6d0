//! Reading timeline v1 JSON into checked domain types. Every rejection names the JSON path of
//! the offending value, e.g. `$.events[3].data.level`.

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use jiff::civil::Date;
use serde_json::{Map, Value};

use super::{Child, Discharge, Event, EventKind, PriorEpisode, Ruleset, Timeline};
use crate::catalog::Catalog;
use crate::vocabulary::{Concern, EventType, Flag, Protocol, Role, Set, Share, UnknownValue};

/// Why a timeline was rejected: the JSON path and what is wrong there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct TimelineError {
    /// JSONPath of the offending value (`$` for the document itself).
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// Parses and checks a timeline v1 document. `satisfies` entries are resolved against the
/// catalogue, so an unknown rule ID or share tag is rejected here.
pub fn parse(text: &str, catalog: &Catalog) -> Result<Timeline, TimelineError> {
    let value: Value = serde_json::from_str(text).map_err(|e| TimelineError {
        path: "$".into(),
        message: format!("not valid JSON: {e}"),
    })?;
    let root = Obj::new(&value, Path::root())?;
    let timeline = read_timeline(&root, catalog)?;
    root.finish()?;
    Ok(timeline)
}

/// A JSON path under construction; cheap to extend, only rendered on error.
#[derive(Clone)]
struct Path(String);

impl Path {
    fn root() -> Self {
        Self("$".into())
    }
    fn key(&self, k: &str) -> Self {
        Self(format!("{}.{k}", self.0))
    }
    fn index(&self, i: usize) -> Self {
        Self(format!("{}[{i}]", self.0))
    }
    fn error(&self, message: impl fmt::Display) -> TimelineError {
        TimelineError {
            path: self.0.clone(),
            message: message.to_string(),
        }
    }
}

/// A JSON object being read: remembers which keys were consumed so that unknown keys can be
/// reported by [`Obj::finish`].
struct Obj<'a> {
    map: &'a Map<String, Value>,
    path: Path,
    allowed: std::cell::RefCell<Vec<&'static str>>,
}

impl<'a> Obj<'a> {
    fn new(value: &'a Value, path: Path) -> Result<Self, TimelineError> {
        match value {
            Value::Object(map) => Ok(Self {
                map,
                path,
                allowed: Default::default(),
            }),
            other => Err(path.error(format!("expected an object, found {}", kind(other)))),
        }
    }

    fn get(&self, key: &'static str) -> Option<(&'a Value, Path)> {
        self.allowed.borrow_mut().push(key);
        self.map.get(key).map(|v| (v, self.path.key(key)))
    }

    fn required(&self, key: &'static str) -> Result<(&'a Value, Path), TimelineError> {
        self.get(key)
            .ok_or_else(|| self.path.error(format!("missing required field `{key}`")))
    }

    fn string(&self, key: &'static str) -> Result<String, TimelineError> {
        let (v, p) = self.required(key)?;
        as_string(v, &p)
    }

    fn opt_string(&self, key: &'static str) -> Result<Option<String>, TimelineError> {
        self.get(key).map(|(v, p)| as_string(v, &p)).transpose()
    }

    fn bool_or(&self, key: &'static str, default: bool) -> Result<bool, TimelineError> {
        match self.get(key) {
            None => Ok(default),
            Some((Value::Bool(b), _)) => Ok(*b),
            Some((other, p)) => {
                Err(p.error(format!("expected true or false, found {}", kind(other))))
            }
        }
    }

    fn required_bool(&self, key: &'static str) -> Result<bool, TimelineError> {
        match self.required(key)? {
            (Value::Bool(b), _) => Ok(*b),
            (other, p) => Err(p.error(format!("expected true or false, found {}", kind(other)))),
        }
    }

    fn word<T: FromStr<Err = UnknownValue>>(&self, key: &'static str) -> Result<T, TimelineError> {
        let (v, p) = self.required(key)?;
        as_word(v, &p)
    }

    fn opt_word<T: FromStr<Err = UnknownValue>>(
        &self,
        key: &'static str,
    ) -> Result<Option<T>, TimelineError> {
        self.get(key).map(|(v, p)| as_word(v, &p)).transpose()
    }

    fn instant(&self, key: &'static str) -> Result<Timestamp, TimelineError> {
        let (v, p) = self.required(key)?;
        as_instant(v, &p)
    }

    fn array(
        &self,
        key: &'static str,
        required: bool,
    ) -> Result<Vec<(&'a Value, Path)>, TimelineError> {
        match self.get(key) {
            None if required => Err(self.path.error(format!("missing required field `{key}`"))),
            None => Ok(Vec::new()),
            Some((Value::Array(items), p)) => Ok(items
                .iter()
                .enumerate()
                .map(|(i, v)| (v, p.index(i)))
                .collect()),
            Some((other, p)) => Err(p.error(format!("expected an array, found {}", kind(other)))),
        }
    }

    /// Rejects any key that no reader asked for.
    fn finish(self) -> Result<(), TimelineError> {
        let allowed = self.allowed.borrow();
        match self.map.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(unknown) => Err(self.path.key(unknown).error(format!(
                "unknown field `{unknown}`; allowed here: {}",
                allowed.join(", ")
            ))),
            None => Ok(()),
        }
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn as_string(v: &Value, p: &Path) -> Result<String, TimelineError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        other => Err(p.error(format!("expected a string, found {}", kind(other)))),
    }
}

fn as_word<T: FromStr<Err = UnknownValue>>(v: &Value, p: &Path) -> Result<T, TimelineError> {
    match v {
        Value::String(s) => s.parse().map_err(|e: UnknownValue| p.error(e)),
        other => Err(p.error(format!("expected a string, found {}", kind(other)))),
    }
}

/// Parses an instant: ISO-8601 date-time with seconds and an explicit offset (timeline-v1 §2).
pub fn parse_instant(s: &str) -> Result<Timestamp, String> {
    let shape_ok = {
        let b = s.as_bytes();
        let digits =
            |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
        let mut ok = b.len() >= 20
            && digits(0..4)
            && b[4] == b'-'
            && digits(5..7)
            && b[7] == b'-'
            && digits(8..10)
            && b[10] == b'T'
            && digits(11..13)
            && b[13] == b':'
            && digits(14..16)
            && b[16] == b':'
            && digits(17..19);
        let mut i = 19;
        if ok && b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            ok = i > start;
        }
        ok && match &b[i.min(b.len())..] {
            [b'Z'] => true,
            [sign, h1, h2, b':', m1, m2] => {
                matches!(sign, b'+' | b'-') && [h1, h2, m1, m2].iter().all(|d| d.is_ascii_digit())
            }
            _ => false,
        }
    };
    if !shape_ok {
        return Err(format!(
            "`{s}` is not an instant: write YYYY-MM-DDThh:mm:ss with an offset (Z or ±hh:mm)"
        ));
    }
    s.parse::<Timestamp>()
        .map_err(|e| format!("`{s}` is not a valid instant: {e}"))
}

fn as_instant(v: &Value, p: &Path) -> Result<Timestamp, TimelineError> {
    match v {
        Value::String(s) => parse_instant(s).map_err(|m| p.error(m)),
        other => Err(p.error(format!("expected an instant string, found {}", kind(other)))),
    }
}

fn read_timeline(root: &Obj<'_>, catalog: &Catalog) -> Result<Timeline, TimelineError> {
    let (format, format_path) = root.required("format")?;
    if format != "timeline-v1" {
        return Err(format_path.error("expected \"timeline-v1\""));
    }
    let id = root.string("id")?;
    if id.is_empty()
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
    {
        return Err(root
            .path
            .key("id")
            .error("must be letters, digits, `_`, `.` or `-`"));
    }
    let title = root.opt_string("title")?;
    root.opt_string("notes")?;
    let rulesets = read_rulesets(root)?;
    let (child_value, child_path) = root.required("child")?;
    let child_obj = Obj::new(child_value, child_path)?;
    let child = read_child(&child_obj)?;
    child_obj.finish()?;
    let mut events = Vec::new();
    for (v, p) in root.array("events", true)? {
        let obj = Obj::new(v, p)?;
        events.push(read_event(&obj, catalog)?);
        obj.finish()?;
    }
    let evaluate_at = root.instant("evaluate_at")?;
    check_prior_episodes(
        &child,
        &events,
        &root.path.key("child").key("prior_episodes"),
    )?;
    check_test_fields(root)?;
    Ok(Timeline {
        id,
        title,
        rulesets,
        child,
        events,
        evaluate_at,
    })
}

fn read_rulesets(root: &Obj<'_>) -> Result<Vec<Ruleset>, TimelineError> {
    let items = root.array("rulesets", true)?;
    if items.is_empty() {
        return Err(root
            .path
            .key("rulesets")
            .error("at least one ruleset is required"));
    }
    let mut rulesets: Vec<Ruleset> = Vec::new();
    for (v, p) in items {
        let obj = Obj::new(v, p.clone())?;
        let rs = Ruleset {
            protocol: obj.word::<Protocol>("protocol")?,
            role: obj.word::<Role>("role")?,
        };
        obj.finish()?;
        if rulesets.contains(&rs) {
            return Err(p.error(format!("({}, {}) is listed twice", rs.protocol, rs.role)));
        }
        let local_only = matches!(rs.protocol, Protocol::Newham | Protocol::Merton);
        let clash = |r: Role| {
            rulesets.contains(&Ruleset {
                protocol: rs.protocol,
                role: r,
            })
        };
        if local_only
            && ((rs.role == Role::Host && clash(Role::Responsible))
                || (rs.role == Role::Responsible && clash(Role::Host)))
        {
            return Err(p.error(format!(
                "{} cannot be both responsible and host (timeline-v1 §4)",
                rs.protocol
            )));
        }
        rulesets.push(rs);
    }
    Ok(rulesets)
}

fn read_child(obj: &Obj<'_>) -> Result<Child, TimelineError> {
    let pseudonym = obj.opt_string("pseudonym")?;
    let (dob_value, dob_path) = obj.required("dob")?;
    let dob_text = as_string(dob_value, &dob_path)?;
    let dob = parse_date(&dob_text).map_err(|m| dob_path.error(m))?;
    let responsible_authority = obj.string("responsible_authority")?;
    let host_authority = obj
        .opt_string("host_authority")?
        .unwrap_or_else(|| responsible_authority.clone());
    let placement_travel_minutes = match obj.get("placement_travel_minutes") {
        None => 0,
        Some((Value::Number(n), p)) => n
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| p.error("expected a whole number of minutes, 0 or more"))?,
        Some((other, p)) => {
            return Err(p.error(format!("expected a number, found {}", kind(other))));
        }
    };
    let mut flags = Set::empty();
    for flag in Flag::ALL {
        if obj.bool_or(flag.as_str(), false)? {
            flags.insert(*flag);
        }
    }
    let mut concerns: Set<Concern> = Set::empty();
    for (v, p) in obj.array("concerns", false)? {
        let c: Concern = as_word(v, &p)?;
        if concerns.contains(c) {
            return Err(p.error(format!("`{c}` is listed twice")));
        }
        concerns.insert(c);
    }
    let mut prior_episodes = Vec::new();
    for (v, p) in obj.array("prior_episodes", false)? {
        let ep = Obj::new(v, p)?;
        let reported_missing_at = ep.instant("reported_missing_at")?;
        let returned_at = match ep.get("returned_at") {
            None | Some((Value::Null, _)) => None,
            Some((v, p)) => Some(as_instant(v, &p)?),
        };
        if returned_at.is_some_and(|r| r < reported_missing_at) {
            return Err(ep
                .path
                .key("returned_at")
                .error("is before reported_missing_at"));
        }
        ep.finish()?;
        prior_episodes.push(PriorEpisode {
            reported_missing_at,
            returned_at,
        });
    }
    Ok(Child {
        pseudonym,
        dob,
        legal_status: obj.word("legal_status")?,
        placement_type: obj.word("placement_type")?,
        responsible_authority,
        host_authority,
        police_force: obj.string("police_force")?,
        return_police_force: obj.opt_string("return_police_force")?,
        placement_travel_minutes,
        criminal_justice_order: obj.opt_string("criminal_justice_order")?,
        flags,
        concerns,
        prior_episodes,
    })
}

fn parse_date(s: &str) -> Result<Date, String> {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return Err(format!("`{s}` is not a date: write YYYY-MM-DD"));
    }
    s.parse::<Date>()
        .map_err(|e| format!("`{s}` is not a valid date: {e}"))
}

/// Prior episodes are, by definition, before the first event of the file (timeline-v1 §5.4).
fn check_prior_episodes(child: &Child, events: &[Event], path: &Path) -> Result<(), TimelineError> {
    let Some(first_event) = events.iter().map(|e| e.at).min() else {
        return Ok(());
    };
    match child
        .prior_episodes
        .iter()
        .position(|p| p.reported_missing_at >= first_event)
    {
        Some(i) => Err(path.index(i).key("reported_missing_at").error(
            "a prior episode must be reported before the first event of the file; \
             put a later episode in `events` instead",
        )),
        None => Ok(()),
    }
}

/// `expected_obligations` and `must_not_exist` are ignored by evaluation but must still be
/// well formed, so a test file cannot silently say nothing.
fn check_test_fields(root: &Obj<'_>) -> Result<(), TimelineError> {
    for (key, extra) in [
        ("expected_obligations", ["action", "responsible"]),
        ("must_not_exist", ["reason", "reason"]),
    ] {
        for (v, p) in root.array(key, false)? {
            let o = Obj::new(v, p)?;
            let (rule, rule_path) = o.required("rule")?;
            let rule = as_string(rule, &rule_path)?;
            if crate::rule_id::RuleId::new(&rule).is_err() {
                return Err(rule_path.error(format!("`{rule}` is not a rule ID")));
            }
            match o.get("due") {
                None if key == "expected_obligations" => {
                    return Err(o.path.error("missing required field `due`"));
                }
                None | Some((Value::Null, _)) => {}
                Some((v, p)) => {
                    as_instant(v, &p)?;
                }
            }
            for field in extra {
                if key == "must_not_exist" {
                    o.string(field)?;
                } else {
                    o.opt_string(field)?;
                }
            }
            o.finish()?;
        }
    }
    Ok(())
}

fn read_event(obj: &Obj<'_>, catalog: &Catalog) -> Result<Event, TimelineError> {
    let at = obj.instant("at")?;
    let event_type: EventType = obj.word("type")?;
    let satisfies = read_satisfies(obj, catalog)?;
    let data_required = !matches!(
        event_type,
        EventType::RiskReviewed
            | EventType::StrategyMeetingDirected
            | EventType::Located
            | EventType::PoliceNotifiedOfReturn
            | EventType::Returned
            | EventType::ChildSeen
            | EventType::RhiOffered
            | EventType::RhiCompleted
            | EventType::RhiDeclined
            | EventType::RaNotified
    );
    let empty = Value::Object(Map::new());
    let (data_value, data_path) = match obj.get("data") {
        Some(found) => found,
        None if data_required => return Err(obj.path.error("missing required field `data`")),
        None => (&empty, obj.path.key("data")),
    };
    let d = Obj::new(data_value, data_path)?;
    let note = d.opt_string("note")?;
    let takes_by = !matches!(
        event_type,
        EventType::MeetingHeld | EventType::NotificationSent
    );
    let by = if takes_by { d.opt_string("by")? } else { None };
    let kind = match event_type {
        EventType::AbsenceNoticed => EventKind::AbsenceNoticed {
            status: d.word("status")?,
            whereabouts_known: d.required_bool("whereabouts_known")?,
            contactable: d.required_bool("contactable")?,
            at_risk: d.bool_or("at_risk", false)?,
            aggravating_factors: d.bool_or("aggravating_factors", false)?,
        },
        EventType::ReportedMissing => EventKind::ReportedMissing {
            to: d.string("to")?,
            police_ref: d.opt_string("police_ref")?,
        },
        EventType::RiskGraded => EventKind::RiskGraded {
            level: d.word("level")?,
        },
        EventType::RiskReviewed => EventKind::RiskReviewed {
            kind: d.opt_word("kind")?,
        },
        EventType::LaAware => EventKind::LaAware {
            authority: d.string("authority")?,
            via: d.word("via")?,
        },
        EventType::CameToNotice => EventKind::CameToNotice {
            authority: d.string("authority")?,
            place: d.opt_string("where")?,
        },
        EventType::ConcernIdentified => EventKind::ConcernIdentified {
            concern: d.word("concern")?,
        },
        EventType::StrategyMeetingDirected => EventKind::StrategyMeetingDirected,
        EventType::Located => EventKind::Located {
            place: d.opt_string("where")?,
        },
        EventType::PoliceNotifiedOfReturn => EventKind::PoliceNotifiedOfReturn,
        EventType::Returned => EventKind::Returned {
            to: d.opt_string("to")?,
        },
        EventType::ChildSeen => EventKind::ChildSeen {
            mode: d.opt_word("mode")?,
        },
        EventType::PreventionInterviewCompleted => EventKind::PreventionInterviewCompleted {
            mode: d.word("mode")?,
        },
        EventType::RhiOffered => EventKind::RhiOffered {
            mode: d.opt_word("mode")?,
        },
        EventType::RhiCompleted => EventKind::RhiCompleted {
            mode: d.opt_word("mode")?,
        },
        EventType::RhiDeclined => EventKind::RhiDeclined,
        EventType::MeetingHeld => EventKind::MeetingHeld {
            meeting_type: d.word("meeting_type")?,
            chair: d.opt_string("chair")?,
            face_to_face: d.bool_or("face_to_face", true)?,
        },
        EventType::NotificationSent => EventKind::NotificationSent {
            to: d.string("to")?,
            from: d.opt_string("from")?,
            form: d.opt_string("form")?,
            automated: d.bool_or("automated", false)?,
        },
        EventType::RaNotified => EventKind::RaNotified {
            to: d.opt_string("to")?,
        },
        EventType::FormCompleted => EventKind::FormCompleted {
            form: d.string("form")?,
        },
        EventType::FormShared => EventKind::FormShared {
            form: d.string("form")?,
            to: d.string("to")?,
        },
        EventType::ActionRecorded => EventKind::ActionRecorded {
            action: d.string("action")?,
        },
    };
    d.finish()?;
    Ok(Event {
        at,
        kind,
        by,
        note,
        satisfies,
    })
}

fn read_satisfies(obj: &Obj<'_>, catalog: &Catalog) -> Result<Vec<Discharge>, TimelineError> {
    let mut out: Vec<Discharge> = Vec::new();
    for (v, p) in obj.array("satisfies", false)? {
        let text = as_string(v, &p)?;
        let (rule_text, share_text) = match text.split_once('/') {
            Some((r, s)) => (r, Some(s)),
            None => (text.as_str(), None),
        };
        let rule = catalog
            .discharge_target(rule_text)
            .map_err(|m| p.error(m))?;
        let share = match share_text {
            None => None,
            Some(s) => {
                let share: Share = s
                    .parse()
                    .map_err(|e: UnknownValue| p.error(format!("share tag: {e}")))?;
                if !catalog.rule(rule).has_share(share) {
                    return Err(p.error(format!("{rule_text} has no share `{share}`")));
                }
                Some(share)
            }
        };
        let d = Discharge { rule, share };
        if out.contains(&d) {
            return Err(p.error(format!("`{text}` is listed twice")));
        }
        out.push(d);
    }
    Ok(out)
}
