//! Whole records read in one statement: everything the timeline and the child page show of a
//! child, and everything the episode page shows of an episode. Each is one `SELECT` that builds
//! a JSON document in the database (SQLite's and PostgreSQL's JSON functions, [`JsonSql`]), so
//! a page costs one round trip to the database — on SQLite one hop to its connection thread and
//! one row back, where a dozen statements streaming their rows one at a time cost most of a
//! page's time — and the document is read into the records with serde.

use serde::Deserialize;

use crate::lists::EpisodeRow;
use crate::model::{
    Authority, Child, Document, Episode, EventRecord, Instant, Interview, Meeting,
    ObligationRecord, Placement, UserId,
};
use crate::rows::JsonSql;

/// Everything about one child: the record, every placement (oldest first; the last open one is
/// the current one), the latest version of each profile document, every episode and event, the
/// open obligations (by due, none last), the authorities these name, and when the obligations
/// next change.
#[derive(Clone, Debug, Deserialize)]
pub struct ChildRecords {
    /// The record.
    pub child: Child,
    /// Every placement, oldest first.
    pub placements: Vec<Placement>,
    /// The latest version of each kind of profile document, by kind.
    pub documents: Vec<Document>,
    /// Episodes, oldest first.
    pub episodes: Vec<Episode>,
    /// Events of every episode, corrections included, in recording order.
    pub events: Vec<EventRecord>,
    /// Open obligations, by due (none last).
    pub obligations: Vec<ObligationRecord>,
    /// The authorities the placements and episodes name.
    pub authorities: Vec<Authority>,
    /// When the obligations next change without a new event.
    pub next_change: Option<Instant>,
}

impl ChildRecords {
    /// The current placement (the last one not ended).
    pub fn placement(&self) -> Option<&Placement> {
        self.placements.iter().rfind(|p| p.ends_on.is_none())
    }
}

/// Everything the episode page shows of one episode: the child, the episode as the lists show
/// it, its events, open obligations, meetings with their actions, interviews, and the names of
/// who recorded its events.
#[derive(Clone, Debug, Deserialize)]
pub struct EpisodeRecords {
    /// The child.
    pub child: Child,
    /// The episode as the lists show it (none until its first plan is written).
    pub status: Option<EpisodeRow>,
    /// Its events, corrections included, in recording order.
    pub events: Vec<EventRecord>,
    /// Its open obligations, by due (none last).
    pub obligations: Vec<ObligationRecord>,
    /// Its meetings with their actions, oldest first.
    pub meetings: Vec<Meeting>,
    /// Its return interview records, oldest first.
    pub interviews: Vec<Interview>,
    /// `(user, display name)` of those who recorded its events.
    pub names: Vec<(UserId, String)>,
}

const CHILD: &[&str] = &[
    "id",
    "version",
    "name",
    "dob",
    "facts",
    "created_at",
    "updated_at",
];
const PLACEMENT: &[&str] = &[
    "id",
    "child_id",
    "responsible_authority_id",
    "host_authority_id",
    "legal_status",
    "placement_type",
    "police_force",
    "travel_minutes",
    "starts_on",
    "ends_on",
    "change_reason",
];
const EPISODE: &[&str] = &[
    "id",
    "child_id",
    "version",
    "responsible_authority_id",
    "host_authority_id",
    "finder_authority_id",
    "opened_at",
];
const EVENT: &[&str] = &[
    "id",
    "episode_id",
    "at",
    "body",
    "recorded_by",
    "recorded_at",
    "corrects_event_id",
    "correction_reason",
];
const DOCUMENT: &[&str] = &[
    "id",
    "child_id",
    "kind",
    "version",
    "body",
    "recorded_by",
    "recorded_at",
];
const AUTHORITY: &[&str] = &["id", "code", "name", "protocol", "police_force", "routing"];
const INTERVIEW: &[&str] = &[
    "id",
    "episode_id",
    "event_id",
    "version",
    "outcome",
    "at",
    "interviewer",
    "mode",
    "push_factors",
    "pull_factors",
    "disclosures",
    "signed_off_by",
    "signed_off_at",
];
const ACTION: &[&str] = &[
    "id",
    "meeting_id",
    "description",
    "owner",
    "due_at",
    "done_at",
];

/// An obligation row (alias `o`) as the JSON [`ObligationRecord`] reads.
fn obligation(j: JsonSql) -> String {
    let content = j.object(&[
        ("episode_id", "o.episode_id"),
        ("authority_id", "o.authority_id"),
        ("rule", "o.rule"),
        ("share", "o.share"),
        ("owner_role", "NULLIF(o.owner_role, '')"),
        ("action", "o.action"),
        ("citation", "o.citation"),
        ("activation", "o.activation"),
        ("due", "o.due"),
        ("met_at", "o.met_at"),
        ("ended", "o.ended"),
        ("ended_at", "o.ended_at"),
    ]);
    j.object(&[
        ("id", "o.id"),
        ("child_id", "o.child_id"),
        ("obligation", &content),
        ("computed_at", "o.computed_at"),
    ])
}

/// Open obligations matching `condition` (on alias `o`), by due (none last).
fn open_obligations(j: JsonSql, condition: &str) -> String {
    j.array(
        &obligation(j),
        &format!("obligations o WHERE {condition} AND o.ended IS NULL"),
        "CASE WHEN o.due IS NULL THEN 1 ELSE 0 END, o.due, o.rule, o.id",
    )
}

/// The statement reading a child's [`ChildRecords`] (`$1`: the child), one row, one column
/// `doc`; no row when there is no such child.
pub(crate) fn child_sql(j: JsonSql) -> String {
    let mine = "child_id = $1";
    let episodes_of = "SELECT id FROM episodes WHERE child_id = $1";
    let doc = j.object(&[
        ("child", &j.columns("c", CHILD)),
        (
            "placements",
            &j.array(&j.columns("p", PLACEMENT), &format!("placements p WHERE p.{mine}"), "p.id"),
        ),
        (
            "documents",
            &j.array(
                &j.columns("d", DOCUMENT),
                &format!(
                    "child_documents d WHERE d.{mine} AND d.version = \
                     (SELECT MAX(l.version) FROM child_documents l WHERE l.child_id = d.child_id AND l.kind = d.kind)"
                ),
                "d.kind",
            ),
        ),
        (
            "episodes",
            &j.array(&j.columns("e", EPISODE), &format!("episodes e WHERE e.{mine}"), "e.id"),
        ),
        (
            "events",
            &j.array(
                &j.columns("v", EVENT),
                &format!("events v WHERE v.episode_id IN ({episodes_of})"),
                "v.id",
            ),
        ),
        ("obligations", &open_obligations(j, &format!("o.{mine}"))),
        (
            "authorities",
            &j.array(
                &j.columns("a", AUTHORITY),
                "authorities a WHERE a.id IN (\
                 SELECT responsible_authority_id FROM placements WHERE child_id = $1 \
                 UNION SELECT host_authority_id FROM placements WHERE child_id = $1 \
                 UNION SELECT responsible_authority_id FROM episodes WHERE child_id = $1 \
                 UNION SELECT host_authority_id FROM episodes WHERE child_id = $1 \
                 UNION SELECT finder_authority_id FROM episodes WHERE child_id = $1)",
                "a.id",
            ),
        ),
        (
            "next_change",
            "(SELECT next_change FROM child_schedule WHERE child_id = $1)",
        ),
    ]);
    format!(
        "SELECT {} AS doc FROM children c WHERE c.id = $1",
        j.text(&doc)
    )
}

/// The statement reading an episode's [`EpisodeRecords`] (`$1`: the episode), one row, one
/// column `doc`; no row when there is no such episode.
pub(crate) fn episode_sql(j: JsonSql) -> String {
    let status = j.object(&[
        (
            "status",
            &j.object(&[
                ("episode_id", "s.episode_id"),
                ("child_id", "s.child_id"),
                ("missing", "s.missing"),
                ("since", "s.since"),
                ("found_at", "s.found_at"),
                ("risk", "s.risk"),
                ("rhi_at", "s.rhi_at"),
                (
                    "next_due",
                    &format!(
                        "CASE WHEN s.next_due IS NULL THEN NULL ELSE {} END",
                        j.array_of(&["s.next_due", "s.next_rule"])
                    ),
                ),
            ]),
        ),
        ("child_name", "c.name"),
    ]);
    let mut meeting_pairs: Vec<(String, String)> = [
        "id",
        "episode_id",
        "event_id",
        "meeting_type",
        "held_at",
        "chair",
        "attendees",
        "decisions",
    ]
    .iter()
    .map(|c| ((*c).to_owned(), format!("m.{c}")))
    .collect();
    meeting_pairs.push((
        "actions".into(),
        j.array(
            &j.columns("a", ACTION),
            "meeting_actions a WHERE a.meeting_id = m.id",
            "a.id",
        ),
    ));
    let meeting: Vec<(&str, &str)> = meeting_pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let doc = j.object(&[
        ("child", &j.columns("c", CHILD)),
        (
            "status",
            &format!("(SELECT {status} FROM episode_status s WHERE s.episode_id = $1)"),
        ),
        (
            "events",
            &j.array(
                &j.columns("v", EVENT),
                "events v WHERE v.episode_id = $1",
                "v.id",
            ),
        ),
        ("obligations", &open_obligations(j, "o.episode_id = $1")),
        (
            "meetings",
            &j.array(
                &j.object(&meeting),
                "meetings m WHERE m.episode_id = $1",
                "m.id",
            ),
        ),
        (
            "interviews",
            &j.array(
                &j.columns("i", INTERVIEW),
                "interviews i WHERE i.episode_id = $1",
                "i.id",
            ),
        ),
        (
            "names",
            &j.array(
                &j.array_of(&["u.id", "u.display_name"]),
                "users u WHERE u.id IN (SELECT recorded_by FROM events WHERE episode_id = $1)",
                "u.id",
            ),
        ),
    ]);
    format!(
        "SELECT {} AS doc FROM episodes e JOIN children c ON c.id = e.child_id WHERE e.id = $1",
        j.text(&doc)
    )
}

/// Implements the one-statement reads (`Children::child_records`, `Episodes::episode_records`)
/// as inherent methods of a store type with a `pool` field.
macro_rules! impl_records {
    ($store:ty, $json:expr) => {
        impl $store {
            /// Runs a one-statement read and reads its JSON document.
            async fn json_document<T: serde::de::DeserializeOwned>(
                &self,
                sql: &'static std::sync::OnceLock<String>,
                build: fn(crate::rows::JsonSql) -> String,
                id: i64,
            ) -> Result<Option<T>> {
                let sql = sql.get_or_init(|| build($json));
                let row = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                let Some(row) = row else {
                    return Ok(None);
                };
                let text: String = row.try_get("doc")?;
                serde_json::from_str(&text)
                    .map(Some)
                    .map_err(|e| StoreError::Corrupt(format!("record document: {e}")))
            }

            async fn child_records_sql(
                &self,
                child: ChildId,
            ) -> Result<Option<crate::ChildRecords>> {
                static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
                self.json_document(&SQL, crate::records::child_sql, child.get())
                    .await
            }

            async fn episode_records_sql(
                &self,
                episode: EpisodeId,
            ) -> Result<Option<crate::EpisodeRecords>> {
                static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
                self.json_document(&SQL, crate::records::episode_sql, episode.get())
                    .await
            }
        }
    };
}

pub(crate) use impl_records;
