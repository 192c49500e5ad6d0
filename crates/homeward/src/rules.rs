//! `homeward rules list | explain | diff`: make the rule packs inspectable by policy owners.

use std::fmt::Write;

use clap::Subcommand;
use protocol::Catalog;
use protocol::catalog::RuleKey;
use protocol::pack::{Due, DueBase, DueShift, Pack, RecurrenceBase, Rule, Trigger};
use protocol::vocabulary::{Protocol, RuleKind};

use crate::setup::{Failure, Setup};

#[derive(Subcommand)]
pub enum RulesCommand {
    /// List the rules of every pack (or one), with counts per protocol.
    List {
        /// Only this protocol (HIPS, LANCS, NEWHAM, SY, MERTON).
        #[arg(long)]
        protocol: Option<String>,
    },
    /// Explain one rule: citation, quoted text, trigger, deadline and what discharges it.
    Explain {
        /// A rule ID such as NEWHAM-ESC-LAC-72H.
        rule: String,
    },
    /// Compare two protocols side by side: parameters, then their timed rules by kind.
    Diff {
        /// First protocol.
        left: String,
        /// Second protocol.
        right: String,
    },
}

pub fn run(setup: &Setup, command: RulesCommand) -> Result<String, Failure> {
    let catalog = &setup.catalog;
    match command {
        RulesCommand::List { protocol } => {
            let only = protocol.map(|p| parse_protocol(&p)).transpose()?;
            Ok(list(catalog, only))
        }
        RulesCommand::Explain { rule } => {
            let key = catalog
                .lookup(&rule)
                .ok_or_else(|| Failure::input(format!("no rule `{rule}` in the packs")))?;
            Ok(explain(catalog, key))
        }
        RulesCommand::Diff { left, right } => {
            let (l, r) = (parse_protocol(&left)?, parse_protocol(&right)?);
            Ok(diff(catalog, l, r))
        }
    }
}

fn parse_protocol(s: &str) -> Result<Protocol, Failure> {
    s.to_ascii_uppercase()
        .parse()
        .map_err(|e| Failure::input(format!("protocol: {e}")))
}

fn list(catalog: &Catalog, only: Option<Protocol>) -> String {
    let mut out = String::new();
    let mut totals = (0, 0, 0);
    for lp in catalog
        .packs()
        .filter(|lp| only.is_none_or(|p| p == lp.pack.protocol))
    {
        let keys: Vec<RuleKey> = catalog.keys_of(lp.pack.protocol).collect();
        let timed = keys.iter().filter(|k| catalog.rule(**k).timed).count();
        let checks = keys
            .iter()
            .filter(|k| !catalog.rule(**k).timed && catalog.rule(**k).creates_obligations())
            .count();
        let _ = writeln!(
            out,
            "{} — {} ({} v{}): {} rules, {} timed, {} checks",
            lp.pack.protocol,
            lp.pack.title,
            lp.file,
            lp.pack.version,
            keys.len(),
            timed,
            checks
        );
        totals = (totals.0 + keys.len(), totals.1 + timed, totals.2 + checks);
        for key in keys {
            let rule = catalog.rule(key);
            let mark = if rule.timed {
                "timed"
            } else if rule.creates_obligations() {
                "check"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "  {:<28} {:<9} {:<5}  {:<22} {}",
                rule.id.get_ref(),
                rule.kind,
                mark,
                rule.paragraph,
                rule.action
            );
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "total: {} rules, {} timed, {} checks",
        totals.0, totals.1, totals.2
    );
    out
}

fn explain(catalog: &Catalog, key: RuleKey) -> String {
    let rule = catalog.rule(key);
    let pack = &catalog.pack_of(key).pack;
    let mut out = String::new();
    let kind = if rule.timed {
        ", timed"
    } else if rule.creates_obligations() {
        ", check"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "{} ({}, {}{kind})",
        rule.id.get_ref(),
        pack.protocol,
        rule.kind
    );
    let _ = writeln!(out, "citation:       {}", catalog.citation(key));
    let _ = writeln!(out, "quote:          “{}”", rule.quote);
    let _ = writeln!(out, "catalogue:      {}", rule.trigger_text);
    let _ = writeln!(out, "action:         {}", rule.action);
    let owner = rule
        .owner_role
        .map(|r| format!(" (owner role: {r})"))
        .unwrap_or_default();
    let _ = writeln!(out, "responsible:    {}{owner}", rule.responsible);
    if let Some(i) = &rule.interpretation {
        let _ = writeln!(out, "interpretation: {i} (rules.md §5)");
    }
    if !rule.creates_obligations() {
        let _ = writeln!(
            out,
            "obligations:    none (a definition or constraint read by people, not timed)"
        );
        return out;
    }
    for (i, t) in rule.trigger.iter().enumerate() {
        let _ = writeln!(out, "trigger {}:      {}", i + 1, describe_trigger(t, pack));
        if let Some(d) = &t.due {
            let _ = writeln!(out, "  due:          {}", describe_due(d));
        }
    }
    if let Some(d) = &rule.due {
        let _ = writeln!(out, "due:            {}", describe_due(d));
    }
    if let Some(r) = &rule.repeat {
        let bases: Vec<String> = r
            .after
            .iter()
            .map(|b| match b {
                RecurrenceBase::Own => "its own latest discharge".to_owned(),
                RecurrenceBase::Other(r) => format!("the latest discharge of {}", r.id),
            })
            .collect();
        let _ = writeln!(
            out,
            "repeats:        every {} after {}",
            r.every,
            bases.join(", else ")
        );
    }
    if rule.ends_when_found {
        let _ = writeln!(out, "ends:           when the child is found");
    }
    if rule.withdrawn.is_some() {
        let _ = writeln!(
            out,
            "withdrawn:      if the child is found early (see the pack)"
        );
    }
    let mut discharge = vec![format!(
        "an event naming {} in `satisfies`",
        rule.id.get_ref()
    )];
    discharge.extend(
        rule.discharged_by
            .iter()
            .map(|s| format!("`{}` events{}", s.event, selector_note(s))),
    );
    discharge.extend(
        rule.discharged_by_naming
            .iter()
            .map(|r| format!("an event naming {}", r.id)),
    );
    let _ = writeln!(out, "discharged by:  {}", discharge.join("; "));
    let from = rule
        .discharge_from
        .map_or("T_start (episode start)".to_owned(), |a| a.to_string());
    let _ = writeln!(out, "counts from:    {from}");
    for s in &rule.share {
        let _ = writeln!(
            out,
            "share {}: {} (owner role: {})",
            s.part, s.responsible, s.owner_role
        );
    }
    out
}

fn selector_note(s: &protocol::pack::EventSelector) -> String {
    let mut notes = Vec::new();
    if let Some(m) = &s.meeting_type {
        let names: Vec<&str> = protocol::vocabulary::MeetingType::ALL
            .iter()
            .filter(|t| m.contains(**t))
            .map(|t| t.as_str())
            .collect();
        notes.push(format!("type {}", names.join("/")));
    }
    if let Some(m) = &s.mode {
        let names: Vec<&str> = protocol::vocabulary::InterviewMode::ALL
            .iter()
            .filter(|t| m.contains(**t))
            .map(|t| t.as_str())
            .collect();
        notes.push(format!("mode {}", names.join("/")));
    }
    if s.face_to_face == Some(true) {
        notes.push("face to face".into());
    }
    if s.when.is_some() {
        notes.push("under a condition (see the pack)".into());
    }
    if notes.is_empty() {
        String::new()
    } else {
        format!(" ({})", notes.join(", "))
    }
}

fn describe_trigger(t: &Trigger, pack: &Pack) -> String {
    let start = if let Some(a) = t.at {
        format!("at {a}")
    } else if let Some(s) = &t.first {
        format!("at the first `{}` event{}", s.event, selector_note(s))
    } else if let Some(s) = &t.each {
        format!("at each `{}` event{}", s.event, selector_note(s))
    } else if let Some(r) = &t.first_discharge_of {
        format!("at the first discharge of {}", r.id)
    } else {
        String::new()
    };
    let mut s = match t.after {
        Some(d) => format!("{start} + {d}"),
        None => start,
    };
    if t.while_missing {
        s.push_str(", if the child is still missing then");
    }
    let roles: Vec<String> = t
        .roles
        .as_ref()
        .unwrap_or(&pack.default_roles)
        .iter()
        .map(|r| r.to_string())
        .collect();
    let _ = write!(s, "; roles {}", roles.join(", "));
    s
}

fn describe_due(d: &Due) -> String {
    let Due::At { base, shift } = d else {
        return "none stated (tracked with no deadline)".into();
    };
    let base = match base {
        DueBase::Anchor(a) => a.to_string(),
        DueBase::LatestOf(list) => {
            format!(
                "the later of {}",
                list.iter()
                    .map(|a| a.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    };
    match *shift {
        DueShift::None => base,
        DueShift::Plus(p) => format!("{base} + {p}"),
        DueShift::WorkingDays(n) => format!("23:59:59 on working day {n} after the date of {base}"),
        DueShift::NextWorkingDay => format!("23:59:59 on the next working day after {base}"),
        DueShift::NextMidnightUnlessBefore(t) => {
            format!(
                "the next midnight after {base}, or {base} itself if before {}",
                t.0
            )
        }
    }
}

fn diff(catalog: &Catalog, left: Protocol, right: Protocol) -> String {
    let (Some(l), Some(r)) = (catalog.pack(left), catalog.pack(right)) else {
        return String::from("a protocol is not loaded\n");
    };
    let (lp, rp) = (&l.pack, &r.pack);
    let mut out = String::new();
    let row = |out: &mut String, name: &str, a: String, b: String| {
        let mark = if a == b { " " } else { "≠" };
        let _ = writeln!(out, "{mark} {name:<22} {a:<48} | {b}");
    };
    let _ = writeln!(
        out,
        "  {:<22} {:<48} | {}",
        "",
        left.as_str(),
        right.as_str()
    );
    row(&mut out, "version", lp.version.clone(), rp.version.clone());
    row(
        &mut out,
        "police force",
        lp.police_force.clone(),
        rp.police_force.clone(),
    );
    let office = |p: &Pack| {
        format!(
            "{}–{}",
            p.parameters.office_hours.start.0, p.parameters.office_hours.end.0
        )
    };
    row(&mut out, "office hours", office(lp), office(rp));
    let repeat = |p: &Pack| {
        p.parameters
            .repeat
            .as_ref()
            .map_or("not stated".to_owned(), |r| {
                format!("{} in {}", r.at_least, r.window)
            })
    };
    row(&mut out, "repeat missing", repeat(lp), repeat(rp));
    let consequence = |p: &Pack| {
        p.parameters
            .repeat
            .as_ref()
            .map_or("-".to_owned(), |r| r.consequence.clone())
    };
    row(
        &mut out,
        "repeat consequence",
        consequence(lp),
        consequence(rp),
    );
    row(
        &mut out,
        "child upper age",
        lp.parameters.child_upper_age.clone(),
        rp.parameters.child_upper_age.clone(),
    );
    let high = |p: &Pack| {
        p.parameters
            .high_risk_age_at_most
            .map_or("-".to_owned(), |a| format!("{a} or younger"))
    };
    row(&mut out, "high risk by age", high(lp), high(rp));
    let grades = |p: &Pack| {
        p.parameters
            .permitted_grades
            .as_ref()
            .map_or("any".to_owned(), |g| {
                let names = |s: protocol::vocabulary::Set<protocol::vocabulary::RiskLevel>| {
                    protocol::vocabulary::RiskLevel::ALL
                        .iter()
                        .filter(|l| s.contains(**l))
                        .map(|l| l.as_str())
                        .collect::<Vec<_>>()
                        .join("/")
                };
                format!(
                    "home {}; care <16 {}; care 16+ {}",
                    names(g.home),
                    names(g.in_care_under_16),
                    names(g.in_care)
                )
            })
    };
    row(&mut out, "permitted grades", grades(lp), grades(rp));
    let count = |p: Protocol, timed: bool| {
        catalog
            .keys_of(p)
            .filter(|k| !timed || catalog.rule(*k).timed)
            .count()
    };
    row(
        &mut out,
        "rules",
        count(left, false).to_string(),
        count(right, false).to_string(),
    );
    row(
        &mut out,
        "timed rules",
        count(left, true).to_string(),
        count(right, true).to_string(),
    );
    out.push('\n');
    for kind in RuleKind::ALL {
        let side = |p: Protocol| -> Vec<String> {
            catalog
                .keys_of(p)
                .map(|k| catalog.rule(k))
                .filter(|r| r.timed && r.kind == *kind)
                .map(|r| format!("{} [{}]", r.id.get_ref(), short_due(r)))
                .collect()
        };
        let (a, b) = (side(left), side(right));
        if a.is_empty() && b.is_empty() {
            continue;
        }
        let _ = writeln!(out, "{kind}");
        for i in 0..a.len().max(b.len()) {
            let _ = writeln!(
                out,
                "  {:<70} | {}",
                a.get(i).map_or("", String::as_str),
                b.get(i).map_or("", String::as_str)
            );
        }
    }
    out
}

fn short_due(rule: &Rule) -> String {
    let due = rule
        .due
        .as_ref()
        .or_else(|| rule.trigger.first().and_then(|t| t.due.as_ref()));
    let anchor = rule.trigger.first().map(|t| match (t.at, t.after) {
        (Some(a), Some(d)) => format!("{a}+{d}"),
        (Some(a), None) => a.to_string(),
        _ => "event".to_owned(),
    });
    match due {
        Some(Due::None) | None => format!("{} · no deadline", anchor.unwrap_or_default()),
        Some(d) => format!("{} · due {}", anchor.unwrap_or_default(), describe_due(d)),
    }
}
