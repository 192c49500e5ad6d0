//! Message templates (minijinja): defaults built into the binary, overridable per authority
//! from a folder read at send time, so an admin edits wording without a rebuild.
//! Lookup: `DIR/{authority code}/{kind}.txt`, then `DIR/default/{kind}.txt`, then the default.
//! A template's first line is `Subject: …`; the rest is the body.

use std::path::PathBuf;

use minijinja::Environment;
use serde_json::Value;

/// Every message kind and its built-in template.
pub const DEFAULTS: [(&str, &str); 8] = [
    (
        "missing_report",
        include_str!("../templates/missing_report.txt"),
    ),
    (
        "return_notice",
        include_str!("../templates/return_notice.txt"),
    ),
    ("escalation", include_str!("../templates/escalation.txt")),
    (
        "notification",
        include_str!("../templates/notification.txt"),
    ),
    ("overdue", include_str!("../templates/overdue.txt")),
    (
        "reescalation",
        include_str!("../templates/reescalation.txt"),
    ),
    ("daily_list", include_str!("../templates/daily_list.txt")),
    ("dead_letter", include_str!("../templates/dead_letter.txt")),
];

/// Where templates come from.
#[derive(Clone, Debug, Default)]
pub struct Templates {
    /// The override folder, if any.
    pub dir: Option<PathBuf>,
}

/// A rendered message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
}

impl Templates {
    fn source(&self, authority: &str, kind: &str) -> Result<String, String> {
        if let Some(dir) = &self.dir {
            for folder in [authority, "default"] {
                let path = dir.join(folder).join(format!("{kind}.txt"));
                match std::fs::read_to_string(&path) {
                    Ok(text) => return Ok(text),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(format!("{}: {e}", path.display())),
                }
            }
        }
        DEFAULTS
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, t)| (*t).to_owned())
            .ok_or_else(|| format!("no template for message kind `{kind}`"))
    }

    /// Renders the template of `kind` for an authority with a context.
    pub fn render(&self, authority: &str, kind: &str, context: &Value) -> Result<Rendered, String> {
        let source = self.source(authority, kind)?;
        let text = Environment::new()
            .render_str(&source, context)
            .map_err(|e| format!("template {authority}/{kind}: {e}"))?;
        let (first, body) = text.split_once('\n').unwrap_or((&text, ""));
        let subject = first
            .strip_prefix("Subject:")
            .ok_or_else(|| {
                format!("template {authority}/{kind}: the first line must be `Subject: …`")
            })?
            .trim()
            .to_owned();
        Ok(Rendered {
            subject,
            body: body.to_owned(),
        })
    }
}
