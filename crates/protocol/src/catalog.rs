//! The loaded rule packs: every catalogue rule of the five protocols, checked on load, with
//! cross-references resolved to compact keys the engine can follow cheaply.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;

use crate::pack::{Condition, EventSelector, Pack, RecurrenceBase, Rule, RuleRef};
use crate::rule_id::RuleId;
use crate::vocabulary::{Anchor, EventType, Protocol};

/// The five packs shipped with Homeward, by file name.
pub const BUNDLED_PACKS: [(&str, &str); 5] = [
    ("hips.toml", include_str!("../packs/hips.toml")),
    ("lancs.toml", include_str!("../packs/lancs.toml")),
    ("newham.toml", include_str!("../packs/newham.toml")),
    ("sy.toml", include_str!("../packs/sy.toml")),
    ("merton.toml", include_str!("../packs/merton.toml")),
];

/// Index of a rule in a [`Catalog`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleKey(u16);

impl RuleKey {
    /// Placeholder before resolution; never valid in a built catalogue.
    pub const UNRESOLVED: RuleKey = RuleKey(u16::MAX);
}

/// Why a pack was rejected: file, line, the line's text and the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackError {
    /// Pack file name.
    pub file: String,
    /// 1-based line number.
    pub line: usize,
    /// The offending line, trimmed, so the field is visible.
    pub context: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for PackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)?;
        if !self.context.is_empty() {
            write!(f, " (at `{}`)", self.context)?;
        }
        Ok(())
    }
}

impl std::error::Error for PackError {}

/// All rules of the loaded packs.
#[derive(Debug)]
pub struct Catalog {
    packs: Vec<LoadedPack>,
    keys: Vec<(usize, usize)>,
    by_id: HashMap<RuleId, RuleKey>,
    /// Keys of each pack's rules (contiguous, in file order), by pack position.
    ranges: Vec<Range<u16>>,
    /// Position of each rule in byte order of rule IDs, for sorting output cheaply.
    rank: Vec<u16>,
}

/// A pack with the name of the file it came from.
#[derive(Debug)]
pub struct LoadedPack {
    /// File name.
    pub file: String,
    /// The pack.
    pub pack: Pack,
}

struct Source<'a> {
    file: &'a str,
    text: &'a str,
}

impl Source<'_> {
    fn error(&self, span: Range<usize>, message: impl fmt::Display) -> PackError {
        let start = span.start.min(self.text.len());
        let line = self.text[..start].bytes().filter(|b| *b == b'\n').count() + 1;
        let context = self.text.lines().nth(line - 1).unwrap_or("").trim();
        let context: String = context.chars().take(100).collect();
        PackError {
            file: self.file.to_owned(),
            line,
            context,
            message: message.to_string(),
        }
    }
}

impl Catalog {
    /// The packs shipped with Homeward.
    pub fn bundled() -> Result<Self, PackError> {
        Self::from_sources(&BUNDLED_PACKS)
    }

    /// Loads and checks packs given as `(file name, TOML text)`.
    pub fn from_sources(sources: &[(&str, &str)]) -> Result<Self, PackError> {
        let mut packs = Vec::new();
        for (file, text) in sources {
            let src = Source { file, text };
            let pack: Pack = toml::from_str(text)
                .map_err(|e| src.error(e.span().unwrap_or(0..0), e.message().trim_end()))?;
            if packs
                .iter()
                .any(|p: &LoadedPack| p.pack.protocol == pack.protocol)
            {
                return Err(src.error(0..0, format!("a second pack for {}", pack.protocol)));
            }
            packs.push(LoadedPack {
                file: (*file).to_owned(),
                pack,
            });
        }
        let mut keys = Vec::new();
        let mut by_id = HashMap::new();
        for (pi, lp) in packs.iter().enumerate() {
            let src = Source {
                file: &lp.file,
                text: text_of(sources, &lp.file),
            };
            for (ri, rule) in lp.pack.rule.iter().enumerate() {
                let id = rule.id.get_ref();
                if id.protocol() != lp.pack.protocol {
                    return Err(src.error(
                        rule.id.span(),
                        format!("{id} is not a {} rule", lp.pack.protocol),
                    ));
                }
                let key = RuleKey(
                    u16::try_from(keys.len())
                        .map_err(|_| src.error(rule.id.span(), "too many rules"))?,
                );
                if by_id.insert(id.clone(), key).is_some() {
                    return Err(src.error(rule.id.span(), format!("{id} is defined twice")));
                }
                keys.push((pi, ri));
            }
        }
        for lp in &mut packs {
            let src = Source {
                file: &lp.file,
                text: text_of(sources, &lp.file),
            };
            check_and_resolve(&mut lp.pack, &by_id, &src)?;
        }
        let ranges = (0..packs.len())
            .map(|pi| {
                let first = keys.iter().position(|(p, _)| *p == pi).unwrap_or(0);
                first as u16..(first + packs[pi].pack.rule.len()) as u16
            })
            .collect();
        let mut by_name: Vec<(&RuleId, RuleKey)> = by_id.iter().map(|(id, k)| (id, *k)).collect();
        by_name.sort();
        let mut rank = vec![0u16; keys.len()];
        for (position, (_, key)) in by_name.iter().enumerate() {
            rank[usize::from(key.0)] = position as u16;
        }
        Ok(Self {
            packs,
            keys,
            by_id,
            ranges,
            rank,
        })
    }

    /// The rule behind a key.
    pub fn rule(&self, key: RuleKey) -> &Rule {
        let (p, r) = self.keys[usize::from(key.0)];
        &self.packs[p].pack.rule[r]
    }

    /// The pack a rule belongs to.
    pub fn pack_of(&self, key: RuleKey) -> &LoadedPack {
        &self.packs[self.keys[usize::from(key.0)].0]
    }

    /// The rule with this ID, if any.
    pub fn lookup(&self, id: &str) -> Option<RuleKey> {
        RuleId::new(id)
            .ok()
            .and_then(|id| self.by_id.get(&id).copied())
    }

    /// The rule an event's `satisfies` entry may name: one that creates obligations.
    pub fn discharge_target(&self, id: &str) -> Result<RuleKey, String> {
        let key = self.lookup(id).ok_or_else(|| {
            if RuleId::new(id).is_ok() {
                format!("unknown rule ID `{id}`")
            } else {
                format!("`{id}` is not a rule ID")
            }
        })?;
        if self.rule(key).creates_obligations() {
            Ok(key)
        } else {
            Err(format!(
                "`{id}` creates no obligation, so nothing can satisfy it"
            ))
        }
    }

    /// The loaded packs, in load order.
    pub fn packs(&self) -> impl Iterator<Item = &LoadedPack> {
        self.packs.iter()
    }

    /// The pack of a protocol, if loaded.
    pub fn pack(&self, protocol: Protocol) -> Option<&LoadedPack> {
        self.packs.iter().find(|p| p.pack.protocol == protocol)
    }

    /// Keys of the rules of one pack, in file order.
    pub fn keys_of(&self, protocol: Protocol) -> impl Iterator<Item = RuleKey> + use<> {
        let range = self
            .packs
            .iter()
            .position(|p| p.pack.protocol == protocol)
            .map_or(0..0, |i| self.ranges[i].clone());
        range.map(RuleKey)
    }

    /// Position of the rule's ID in byte order among all IDs: comparing ranks compares IDs.
    pub fn rank(&self, key: RuleKey) -> u16 {
        self.rank[usize::from(key.0)]
    }

    /// The citation of a rule: seed file and paragraph.
    pub fn citation(&self, key: RuleKey) -> String {
        format!(
            "{} {}",
            self.pack_of(key).pack.seed,
            self.rule(key).paragraph
        )
    }
}

fn text_of<'a>(sources: &[(&str, &'a str)], file: &str) -> &'a str {
    sources
        .iter()
        .find(|(f, _)| *f == file)
        .map_or("", |(_, t)| t)
}

fn resolve(
    r: &mut RuleRef,
    by_id: &HashMap<RuleId, RuleKey>,
    src: &Source<'_>,
) -> Result<(), PackError> {
    r.key = *by_id
        .get(&r.id)
        .ok_or_else(|| src.error(r.span.clone(), format!("unknown rule {}", r.id)))?;
    Ok(())
}

fn check_and_resolve(
    pack: &mut Pack,
    by_id: &HashMap<RuleId, RuleKey>,
    src: &Source<'_>,
) -> Result<(), PackError> {
    if pack.default_roles.is_empty() {
        return Err(src.error(0..0, "default_roles must name at least one role"));
    }
    let names: Vec<String> = pack.conditions.keys().cloned().collect();
    let params = Params {
        repeat: pack.parameters.repeat.is_some(),
        grades: pack.parameters.permitted_grades.is_some(),
        high_risk_age: pack.parameters.high_risk_age_at_most.is_some(),
    };
    for cond in pack.conditions.values_mut() {
        check_condition(cond, &names, by_id, &params, src, 0..0)?;
    }
    for rule in &mut pack.rule {
        let span = rule.id.span();
        let id = rule.id.get_ref().clone();
        let at = |m: String| src.error(span.clone(), format!("{id}: {m}"));
        if rule.timed && rule.trigger.is_empty() {
            return Err(at("a timed (⏱) rule needs at least one trigger".into()));
        }
        if !rule.trigger.is_empty() && rule.owner_role.is_none() {
            return Err(at("a rule with triggers needs an owner_role".into()));
        }
        if let Some(from) = rule.discharge_from
            && !matches!(from, Anchor::TStart | Anchor::TRep | Anchor::Activation)
        {
            return Err(at(
                "discharge_from must be T_start, T_rep or activation".into()
            ));
        }
        for (i, t) in rule.trigger.iter_mut().enumerate() {
            let n = i + 1;
            let starts = [
                t.at.is_some(),
                t.first.is_some(),
                t.each.is_some(),
                t.first_discharge_of.is_some(),
            ];
            if starts.iter().filter(|s| **s).count() != 1 {
                return Err(at(format!(
                    "trigger {n}: give exactly one of at, first, each, first_discharge_of"
                )));
            }
            if t.at == Some(Anchor::Activation) {
                return Err(at(format!(
                    "trigger {n}: `activation` cannot anchor its own trigger"
                )));
            }
            if t.due.is_none() && rule.due.is_none() && rule.share.iter().any(|s| s.due.is_none()) {
                return Err(at(format!(
                    "trigger {n}: no deadline: set due (\"none\" if the protocol states none)"
                )));
            }
            if rule.share.is_empty() && t.due.is_none() && rule.due.is_none() {
                return Err(at(format!(
                    "trigger {n}: no deadline: set due (\"none\" if the protocol states none)"
                )));
            }
            check_condition(&mut t.when, &names, by_id, &params, src, span.clone())?;
            for sel in [&mut t.first, &mut t.each].into_iter().flatten() {
                check_selector(sel, &names, by_id, &params, src, span.clone())?;
            }
            if let Some(r) = &mut t.first_discharge_of {
                resolve(r, by_id, src)?;
            }
        }
        if let Some(w) = &mut rule.withdrawn
            && let Some(c) = &mut w.unless
        {
            check_condition(c, &names, by_id, &params, src, span.clone())?;
        }
        for sel in &mut rule.discharged_by {
            check_selector(sel, &names, by_id, &params, src, span.clone())?;
            rule.discharge_types.insert(sel.event);
        }
        for r in &mut rule.discharged_by_naming {
            resolve(r, by_id, src)?;
        }
        if let Some(rec) = &mut rule.repeat {
            if rec.after.is_empty() {
                return Err(at("repeat.after must name `self` or a rule".into()));
            }
            for base in &mut rec.after {
                if let RecurrenceBase::Other(r) = base {
                    resolve(r, by_id, src)?;
                }
            }
        }
        let mut seen = Vec::new();
        for s in &mut rule.share {
            if seen.contains(&s.part) {
                return Err(at(format!("share {} declared twice", s.part)));
            }
            seen.push(s.part);
            if let Some(c) = &mut s.when {
                check_condition(c, &names, by_id, &params, src, span.clone())?;
            }
        }
    }
    Ok(())
}

struct Params {
    repeat: bool,
    grades: bool,
    high_risk_age: bool,
}

fn check_condition(
    c: &mut Condition,
    names: &[String],
    by_id: &HashMap<RuleId, RuleKey>,
    params: &Params,
    src: &Source<'_>,
    span: Range<usize>,
) -> Result<(), PackError> {
    if let Some(r) = &mut c.is {
        r.index = names.iter().position(|n| *n == r.name).ok_or_else(|| {
            src.error(
                r.span.clone(),
                format!("no named condition `{}` in [conditions]", r.name),
            )
        })?;
    }
    let needs = [
        (
            c.repeat_threshold_met.is_some() && !params.repeat,
            "repeat_threshold_met needs parameters.repeat",
        ),
        (
            c.grade_not_permitted.is_some() && !params.grades,
            "grade_not_permitted needs parameters.permitted_grades",
        ),
        (
            c.high_risk_age.is_some() && !params.high_risk_age,
            "high_risk_age needs parameters.high_risk_age_at_most",
        ),
        (
            c.missing_longer_than
                .is_some_and(|d| !matches!(d, crate::duration::ProtocolDuration::Minutes(_))),
            "missing_longer_than is elapsed time: write PTnH",
        ),
    ];
    if let Some((_, m)) = needs.iter().find(|(bad, _)| *bad) {
        return Err(src.error(span, m));
    }
    for sub in c.any_of.iter_mut().flatten() {
        check_condition(sub, names, by_id, params, src, span.clone())?;
    }
    if let Some(sub) = &mut c.not {
        check_condition(sub, names, by_id, params, src, span.clone())?;
    }
    if let Some(sel) = &mut c.happened {
        check_selector(sel, names, by_id, params, src, span.clone())?;
    }
    if let Some(r) = &mut c.undischarged_at_activation {
        resolve(r, by_id, src)?;
    }
    Ok(())
}

fn check_selector(
    s: &mut EventSelector,
    names: &[String],
    by_id: &HashMap<RuleId, RuleKey>,
    params: &Params,
    src: &Source<'_>,
    span: Range<usize>,
) -> Result<(), PackError> {
    let e = s.event;
    let misplaced = [
        ("status", s.status.is_some(), e == EventType::AbsenceNoticed),
        (
            "whereabouts_known",
            s.whereabouts_known.is_some(),
            e == EventType::AbsenceNoticed,
        ),
        (
            "contactable",
            s.contactable.is_some(),
            e == EventType::AbsenceNoticed,
        ),
        (
            "at_risk",
            s.at_risk.is_some(),
            e == EventType::AbsenceNoticed,
        ),
        (
            "aggravating_factors",
            s.aggravating_factors.is_some(),
            e == EventType::AbsenceNoticed,
        ),
        (
            "concern",
            s.concern.is_some(),
            e == EventType::ConcernIdentified,
        ),
        (
            "meeting_type",
            s.meeting_type.is_some(),
            e == EventType::MeetingHeld,
        ),
        (
            "face_to_face",
            s.face_to_face.is_some(),
            e == EventType::MeetingHeld,
        ),
        (
            "mode",
            s.mode.is_some(),
            e == EventType::PreventionInterviewCompleted,
        ),
        (
            "authority",
            s.authority.is_some(),
            matches!(e, EventType::CameToNotice | EventType::LaAware),
        ),
    ];
    if let Some((field, _, _)) = misplaced.iter().find(|(_, given, fits)| *given && !*fits) {
        return Err(src.error(
            span,
            format!("selector `{field}` does not apply to `{e}` events"),
        ));
    }
    if let Some(c) = &mut s.when {
        check_condition(c, names, by_id, params, src, span)?;
    }
    Ok(())
}
