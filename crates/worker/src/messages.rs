//! What is said to whom: the messages an evaluation, an unacknowledged message, the 08:00 list
//! or a dead letter give rise to, each addressed through the authority's routing and keyed by
//! stable fields only (authority, child, episode, rule, instant, kind, level, recipient), never
//! obligation or outbox row IDs, so a replay after a crash finds the same keys.

use casework::evaluation::{Evaluated, open_obligation};
use casework::records::{
    Authority, ChildFile, ChildId, EpisodeId, EpisodeRow, Instant, NewObligation,
};
use casework::routing::Routing;
use casework::time::format;
use casework::{NewOutbox, OutboxRecord};
use jiff::{SignedDuration, Timestamp};
use protocol::pack::Rule;
use protocol::vocabulary::{Anchor, RuleKind};
use protocol::{Calendar, Catalog};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// A 128-bit hex digest of the parts: the idempotency keys and topics of messages.
pub fn key(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        // A separator that cannot occur in the parts keeps ("ab","c") and ("a","bc") apart.
        h.update([0x1f]);
    }
    hex::encode(&h.finalize()[..16])
}

fn channel(recipient: &str) -> &'static str {
    if recipient.starts_with("https://") || recipient.starts_with("http://") {
        "webhook"
    } else {
        "email"
    }
}

/// One message per recipient of `role` (or of the role on duty instead).
#[allow(clippy::too_many_arguments)]
fn addressed(
    routing: &Routing,
    calendar: &Calendar,
    authority: &Authority,
    child_id: Option<ChildId>,
    topic: &str,
    kind: &str,
    level: i64,
    role: &str,
    context: &Value,
    due_at: Instant,
    now: Timestamp,
    reescalate: bool,
) -> Vec<NewOutbox> {
    let role = routing.on_duty(role, now, calendar);
    let reescalate_at = (reescalate && level < routing.max_level)
        .then(|| Instant::from(now + SignedDuration::from_mins(routing.reescalate_after_minutes)));
    routing
        .recipients(&role)
        .iter()
        .map(|recipient| {
            let mut context = context.clone();
            context["owner_role"] = json!(role.replace('_', " "));
            context["level"] = json!(level);
            NewOutbox {
                idempotency_key: key(&[topic, kind, &level.to_string(), recipient]),
                topic: topic.to_owned(),
                authority_id: authority.id,
                child_id,
                kind: kind.to_owned(),
                level,
                owner_role: role.clone(),
                channel: channel(recipient).to_owned(),
                recipient: recipient.clone(),
                context: context.to_string(),
                due_at,
                reescalate_at,
            }
        })
        .collect()
}

/// Notices the protocols say a system sends by itself (`responsible = "… (system)"`, e.g. South
/// Yorkshire Police's automatic e-mails): Homeward is that system, so the notice goes to the
/// children's services (MASH) of the child's responsible and host authorities — a report of a
/// missing child, or a return notice when the rule is triggered by the child being found.
fn automated_notice(rule: &Rule) -> Option<&'static str> {
    if rule.kind != RuleKind::Notify || !rule.responsible.contains("(system)") {
        return None;
    }
    let on_return = rule
        .trigger
        .iter()
        .any(|t| matches!(t.at, Some(Anchor::TFound | Anchor::TRet | Anchor::TPn)));
    Some(if on_return {
        "return_notice"
    } else {
        "missing_report"
    })
}

/// The messages for a child evaluated at `now` (the [`casework::Messages`] the scheduler hands
/// to [`casework::Casework::schedule_child`], which writes them with the child's plan): for
/// every obligation that has fallen due, escalations (ESC rules) and notifications (NOTIFY
/// rules) once active, automatic notices of `… (system)` rules, and any obligation whose
/// deadline has passed (`overdue`). Repeating this at a later `now` gives the same keys for the
/// same events, so only new ones are written.
pub fn child_messages(
    catalog: &Catalog,
    calendar: &Calendar,
    file: &ChildFile,
    evaluated: &Evaluated,
    now: Timestamp,
) -> Vec<NewOutbox> {
    let mut messages = Vec::new();
    for (o, episode_id) in &evaluated.open {
        let stored = open_obligation(catalog, file, o, *episode_id);
        let rule = catalog.rule(o.rule);
        if let Some(notice) = automated_notice(rule)
            && o.activation <= now
        {
            let episode = file.episodes.iter().find(|e| e.id == *episode_id);
            let mut to = episode
                .map(|e| vec![e.responsible_authority_id, e.host_authority_id])
                .unwrap_or_default();
            to.dedup();
            for authority in file.authorities.iter().filter(|a| to.contains(&a.id)) {
                let routing = Routing::of(authority);
                let at = o.activation;
                let topic = key(&[
                    &authority.id.to_string(),
                    &file.child.id.to_string(),
                    &episode_id.to_string(),
                    &stored.rule,
                    &at.as_microsecond().to_string(),
                    notice,
                ]);
                let context = context(
                    calendar,
                    authority,
                    file,
                    *episode_id,
                    &stored,
                    notice,
                    at,
                    o.due,
                );
                messages.extend(addressed(
                    &routing,
                    calendar,
                    authority,
                    Some(file.child.id),
                    &topic,
                    notice,
                    0,
                    "mash",
                    &context,
                    at.into(),
                    now,
                    true,
                ));
            }
            continue;
        }
        let mut fell_due = Vec::new();
        match rule.kind {
            RuleKind::Esc if o.activation <= now => fell_due.push(("escalation", o.activation)),
            RuleKind::Notify if o.activation <= now => {
                fell_due.push(("notification", o.activation))
            }
            _ => {}
        }
        // An escalation or notification due the moment it is reached has already said so.
        if let Some(due) = o.due.filter(|d| *d <= now)
            && !(fell_due.len() == 1 && due == o.activation)
        {
            fell_due.push(("overdue", due));
        }
        if let Some(authority) = file
            .authorities
            .iter()
            .find(|a| a.id == stored.authority_id)
            && !fell_due.is_empty()
        {
            let routing = Routing::of(authority);
            let owner_role = stored.owner_role.map_or("", |r| r.as_str());
            for (kind, at) in fell_due {
                let topic = key(&[
                    &authority.id.to_string(),
                    &file.child.id.to_string(),
                    &episode_id.to_string(),
                    &stored.rule,
                    stored.share.map_or("", |s| s.as_str()),
                    &at.as_microsecond().to_string(),
                    kind,
                ]);
                let context = context(
                    calendar,
                    authority,
                    file,
                    *episode_id,
                    &stored,
                    kind,
                    at,
                    o.due,
                );
                messages.extend(addressed(
                    &routing,
                    calendar,
                    authority,
                    Some(file.child.id),
                    &topic,
                    kind,
                    0,
                    owner_role,
                    &context,
                    at.into(),
                    now,
                    true,
                ));
            }
        }
    }
    messages
}

/// What a template may say about an obligation's message.
#[allow(clippy::too_many_arguments)]
fn context(
    calendar: &Calendar,
    authority: &Authority,
    file: &ChildFile,
    episode_id: EpisodeId,
    stored: &NewObligation,
    kind: &str,
    at: Timestamp,
    due: Option<Timestamp>,
) -> Value {
    json!({
        "kind": kind,
        "authority": authority.name,
        "authority_code": authority.code,
        "child_id": file.child.id,
        "child_name": file.child.name,
        "episode_id": episode_id,
        "rule": stored.rule,
        "action": stored.action,
        "citation": stored.citation,
        "instant": format(calendar, at),
        "due": due.map(|d| format(calendar, d)),
    })
}

/// The next level of an unacknowledged message: to the manager of the role it went to.
pub fn reescalation(
    calendar: &Calendar,
    authority: &Authority,
    unacknowledged: &OutboxRecord,
    now: Timestamp,
) -> Vec<NewOutbox> {
    let routing = Routing::of(authority);
    let m = &unacknowledged.message;
    if m.level >= routing.max_level {
        return Vec::new();
    }
    let mut context: Value = serde_json::from_str(&m.context).unwrap_or_else(|_| json!({}));
    context["escalated_from"] = json!(m.owner_role.replace('_', " "));
    if context.get("first_kind").is_none() {
        context["first_kind"] = json!(m.kind);
    }
    addressed(
        &routing,
        calendar,
        authority,
        m.child_id,
        &m.topic,
        "reescalation",
        m.level + 1,
        &routing.manager(&m.owner_role),
        &context,
        m.due_at,
        now,
        true,
    )
}

/// The 08:00 list of an authority's missing children (each episode in which a child is missing
/// now, as [`casework::Casework::daily_list`] reads them) for the day of `at`, longest missing
/// first.
pub fn daily_list(
    calendar: &Calendar,
    authority: &Authority,
    missing: &[EpisodeRow],
    at: Timestamp,
) -> Vec<NewOutbox> {
    let routing = Routing::of(authority);
    let mut children: Vec<&EpisodeRow> = missing.iter().collect();
    children.sort_by_key(|r| (r.status.since, r.status.episode_id));
    let date = calendar.local_date(at).to_string();
    let topic = key(&[&authority.id.to_string(), "daily_list", &date]);
    let context = json!({
        "kind": "daily_list",
        "title": format!("Children missing now – {date}"),
        "authority": authority.name,
        "authority_code": authority.code,
        "date": date,
        "instant": format(calendar, at),
        "children": children.iter().map(|c| json!({
            "child_id": c.status.child_id,
            "name": c.child_name,
            "since": format(calendar, c.status.since),
            "risk": c.status.risk,
        })).collect::<Vec<_>>(),
    });
    routing
        .daily_list
        .iter()
        .map(|recipient| NewOutbox {
            idempotency_key: key(&[&topic, recipient]),
            topic: topic.clone(),
            authority_id: authority.id,
            child_id: None,
            kind: "daily_list".into(),
            level: 0,
            owner_role: "daily_list".into(),
            channel: channel(recipient).into(),
            recipient: recipient.clone(),
            context: context.to_string(),
            due_at: at.into(),
            reescalate_at: None,
        })
        .collect()
}

/// The alert to an authority's admins that a message is undeliverable (none for an alert
/// itself, which would loop).
pub fn dead_letter(authority: &Authority, failed: &OutboxRecord, error: &str) -> Vec<NewOutbox> {
    let m = &failed.message;
    if m.kind == "dead_letter" {
        return Vec::new();
    }
    let routing = Routing::of(authority);
    let topic = key(&[&m.idempotency_key, "dead_letter"]);
    let context = json!({
        "kind": "dead_letter",
        "title": "Undeliverable notification",
        "authority": authority.name,
        "authority_code": authority.code,
        "failed_kind": m.kind,
        "failed_recipient": m.recipient,
        "failed_key": m.idempotency_key,
        "attempts": failed.attempts + 1,
        "error": error,
    });
    routing
        .admin
        .iter()
        .map(|recipient| NewOutbox {
            idempotency_key: key(&[&topic, recipient]),
            topic: topic.clone(),
            authority_id: authority.id,
            child_id: m.child_id,
            kind: "dead_letter".into(),
            level: 0,
            owner_role: "admin".into(),
            channel: channel(recipient).into(),
            recipient: recipient.clone(),
            context: context.to_string(),
            due_at: m.due_at,
            reescalate_at: None,
        })
        .collect()
}
