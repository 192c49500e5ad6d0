//! Notification routing of an authority (the `authorities.routing` JSON an admin edits): who
//! receives what each owner role is told, office hours and the out-of-hours role (EDT), the
//! manager chain for escalating unacknowledged messages, and how long to wait before escalating.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::civil::Time;
use protocol::Calendar;
use protocol::calendar::OfficeHours;
use protocol::vocabulary::OwnerRole;
use serde::{Deserialize, Serialize};

/// An authority's routing document.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Routing {
    /// Owner role → recipients (e-mail addresses, or `https://` webhook URLs).
    #[serde(default)]
    pub recipients: BTreeMap<String, Vec<String>>,
    /// Owner role → the role an unacknowledged message about it escalates to.
    #[serde(default)]
    pub managers: BTreeMap<String, String>,
    /// Office hours (local time, working days), `HH:MM`; 09:00–17:00 when absent.
    #[serde(default)]
    pub office_hours: Option<Hours>,
    /// Roles that work office hours only: out of hours their messages go to `out_of_hours`.
    #[serde(default)]
    pub office_roles: Vec<String>,
    /// The out-of-hours role (the emergency duty team), e.g. `edt`.
    #[serde(default)]
    pub out_of_hours: Option<String>,
    /// Minutes before an unacknowledged message is escalated up the manager chain.
    #[serde(default = "default_reescalate")]
    pub reescalate_after_minutes: i64,
    /// How many times a message is escalated at most.
    #[serde(default = "default_max_level")]
    pub max_level: i64,
    /// Who receives the 08:00 list of missing children.
    #[serde(default)]
    pub daily_list: Vec<String>,
    /// Who is told when a message cannot be delivered (dead letter).
    #[serde(default)]
    pub admin: Vec<String>,
}

/// Office hours as written in the document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Hours {
    /// First minute of the office day, `HH:MM`.
    pub start: String,
    /// First minute after it, `HH:MM`.
    pub end: String,
}

fn default_reescalate() -> i64 {
    60
}

fn default_max_level() -> i64 {
    3
}

/// A routing document that is not valid: the JSON path of the field and what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("{field}: {message}")]
pub struct RoutingError {
    /// JSON path of the offending field.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

fn invalid(field: impl Into<String>, message: impl Into<String>) -> RoutingError {
    RoutingError {
        field: field.into(),
        message: message.into(),
    }
}

fn role(field: &str, name: &str) -> Result<(), RoutingError> {
    name.parse::<OwnerRole>()
        .map(|_| ())
        .map_err(|_| invalid(field, format!("`{name}` is not an owner role")))
}

fn address(field: &str, a: &str) -> Result<(), RoutingError> {
    if a.starts_with("https://") || a.starts_with("http://") {
        return webhook_url(a).map_err(|m| invalid(field, m));
    }
    let ok = a
        .split_once('@')
        .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !a.contains(char::is_whitespace));
    if ok {
        Ok(())
    } else {
        Err(invalid(
            field,
            format!("`{a}` is neither an e-mail address nor a webhook URL"),
        ))
    }
}

/// Checks a webhook URL: `https://` with a host, or `http://` to a loopback host only (a local
/// relay or a test receiver), since the body names children and must not cross a network in
/// clear. The dispatcher checks again before sending, for documents stored before this rule.
pub fn webhook_url(url: &str) -> Result<(), String> {
    let (plain, rest) = if let Some(rest) = url.strip_prefix("https://") {
        (false, rest)
    } else if let Some(rest) = url.strip_prefix("http://") {
        (true, rest)
    } else {
        return Err(format!("`{url}` is not an http(s) URL"));
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    if host.is_empty() || authority.contains('@') || url.contains(char::is_whitespace) {
        return Err(format!("`{url}` is not a webhook URL with a host"));
    }
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if plain && !loopback {
        return Err(format!(
            "`{url}`: webhooks must use https:// (http:// is allowed only on loopback)"
        ));
    }
    Ok(())
}

fn time(field: &str, s: &str) -> Result<Time, RoutingError> {
    Time::strptime("%H:%M", s).map_err(|_| invalid(field, format!("`{s}` is not a time HH:MM")))
}

impl Routing {
    /// Parses and checks a document; errors name the field (`recipients.carer[1]`).
    pub fn parse(json: &str) -> Result<Self, RoutingError> {
        let de = &mut serde_json::Deserializer::from_str(json);
        let routing: Routing = serde_path_to_error::deserialize(de)
            .map_err(|e| invalid(e.path().to_string(), e.inner().to_string()))?;
        routing.validate()?;
        Ok(routing)
    }

    /// Checks roles, addresses, times and numbers.
    pub fn validate(&self) -> Result<(), RoutingError> {
        for (r, list) in &self.recipients {
            role(&format!("recipients.{r}"), r)?;
            for (i, a) in list.iter().enumerate() {
                address(&format!("recipients.{r}[{i}]"), a)?;
            }
        }
        for (r, m) in &self.managers {
            role(&format!("managers.{r}"), r)?;
            role(&format!("managers.{r}"), m)?;
        }
        for (i, r) in self.office_roles.iter().enumerate() {
            role(&format!("office_roles[{i}]"), r)?;
        }
        if let Some(r) = &self.out_of_hours {
            role("out_of_hours", r)?;
        }
        if let Some(h) = &self.office_hours
            && time("office_hours.start", &h.start)? >= time("office_hours.end", &h.end)?
        {
            return Err(invalid("office_hours.end", "must be after the start"));
        }
        if !(1..=7 * 24 * 60).contains(&self.reescalate_after_minutes) {
            return Err(invalid(
                "reescalate_after_minutes",
                "must be between 1 and 10080 (a week)",
            ));
        }
        if !(0..=10).contains(&self.max_level) {
            return Err(invalid("max_level", "must be between 0 and 10"));
        }
        for (field, list) in [("daily_list", &self.daily_list), ("admin", &self.admin)] {
            for (i, a) in list.iter().enumerate() {
                address(&format!("{field}[{i}]"), a)?;
            }
        }
        Ok(())
    }

    /// The document stored for an authority; an empty or broken one routes nothing.
    pub fn of(authority: &store::Authority) -> Self {
        Self::parse(&authority.routing).unwrap_or_default()
    }

    fn hours(&self) -> OfficeHours {
        self.office_hours
            .as_ref()
            .and_then(|h| {
                Some(OfficeHours {
                    start: Time::strptime("%H:%M", &h.start).ok()?,
                    end: Time::strptime("%H:%M", &h.end).ok()?,
                })
            })
            .unwrap_or_default()
    }

    /// The role that is told about `role`'s work at `at`: the out-of-hours role when `role`
    /// works office hours only and `at` is outside them.
    pub fn on_duty(&self, role: &str, at: Timestamp, calendar: &Calendar) -> String {
        match &self.out_of_hours {
            Some(ooh)
                if self.office_roles.iter().any(|r| r == role)
                    && !calendar.in_office_hours(at, self.hours()) =>
            {
                ooh.clone()
            }
            _ => role.to_owned(),
        }
    }

    /// The recipients of a role.
    pub fn recipients(&self, role: &str) -> &[String] {
        self.recipients.get(role).map_or(&[], Vec::as_slice)
    }

    /// The role a message to `role` escalates to: its manager, or `role` again at the top.
    pub fn manager(&self, role: &str) -> String {
        self.managers
            .get(role)
            .cloned()
            .unwrap_or_else(|| role.to_owned())
    }

    /// The demo partnership's routing: synthetic addresses per role, EDT out of hours, social
    /// worker → team manager → senior manager, re-escalation after an hour.
    pub fn demo(code: &str) -> Self {
        let code = code.to_lowercase();
        let roles = [
            ("social_worker", "duty"),
            ("team_manager", "team-manager"),
            ("senior_manager", "senior-manager"),
            ("edt", "edt"),
            ("mash", "mash"),
            ("police", "police"),
            ("police_missing_coordinator", "missing-coordinator"),
            ("rhi_provider", "rhi"),
            ("iro", "iro"),
            ("carer", "carers"),
        ];
        Self {
            recipients: roles
                .iter()
                .map(|(r, box_)| {
                    (
                        (*r).to_owned(),
                        vec![format!("{box_}.{code}@example.invalid")],
                    )
                })
                .collect(),
            managers: [
                ("social_worker", "team_manager"),
                ("carer", "social_worker"),
                ("rhi_provider", "team_manager"),
                ("iro", "team_manager"),
                ("edt", "team_manager"),
                ("mash", "team_manager"),
                ("team_manager", "senior_manager"),
                ("police", "police_missing_coordinator"),
            ]
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect(),
            office_hours: None,
            office_roles: vec!["social_worker".into(), "team_manager".into()],
            out_of_hours: Some("edt".into()),
            reescalate_after_minutes: default_reescalate(),
            max_level: default_max_level(),
            daily_list: vec![format!("missing-list.{code}@example.invalid")],
            admin: vec![format!("admin.{code}@example.invalid")],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Routing;

    fn field_of(json: &str) -> Option<String> {
        Routing::parse(json).err().map(|e| e.field)
    }

    #[test]
    fn webhooks_must_be_https_except_on_loopback() {
        for ok in [
            "https://hooks.example.invalid/homeward",
            "http://127.0.0.1:8081/hook",
            "http://localhost/hook",
            "http://[::1]:9000/",
        ] {
            let doc = format!(r#"{{"recipients": {{"carer": ["{ok}"]}}}}"#);
            assert_eq!(field_of(&doc), None, "{ok} should be accepted");
        }
        for bad in [
            "http://hooks.example.invalid/homeward",
            "http://10.0.0.1/hook",
            "https:///no-host",
            "https://user@hooks.example.invalid/",
        ] {
            let doc = format!(
                r#"{{"recipients": {{"carer": ["a@example.invalid", "{bad}"]}}, "admin": ["{bad}"]}}"#
            );
            assert_eq!(
                field_of(&doc).as_deref(),
                Some("recipients.carer[1]"),
                "{bad} should be rejected"
            );
        }
        let admin = r#"{"admin": ["http://hooks.example.invalid/"]}"#;
        assert_eq!(field_of(admin).as_deref(), Some("admin[0]"));
    }
}
