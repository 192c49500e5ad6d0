//! Children: the record, placements, profile documents, photos, the whole timeline, and opening
//! an episode. Every change that the engine reads is written with the child's new plan in one
//! transaction.

use jiff::civil::Date;
use protocol::vocabulary::{Concern, Flag, LegalStatus, PlacementType};
use serde::{Deserialize, Serialize};
use store::{Child, ChildFields, Document, Episode, NewPhoto, NewPlacement, Photo, Placement};

use crate::{Actor, CaseError, Casework, ChildScope, Permission, Result};

/// The kinds of profile document a child may have.
pub const DOCUMENT_KINDS: [&str; 4] = [
    "philomena_profile",
    "history_document",
    "trigger_plan",
    "pre_incident_risk_assessment",
];

/// Flags and concerns of a child, in the timeline v1 vocabulary, as stored.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    /// Flags that are true, e.g. `cp_plan`, `open_to_csc`, `trigger_plan_exists`.
    #[serde(default)]
    pub flags: Vec<String>,
    /// Known concerns, e.g. `cse`, `cce`.
    #[serde(default)]
    pub concerns: Vec<String>,
}

impl Facts {
    /// The facts stored on a child (none if unreadable).
    pub fn of(child: &Child) -> Self {
        serde_json::from_str(&child.facts).unwrap_or_default()
    }
}

/// A child's record as a user sets it.
#[derive(Clone, Debug)]
pub struct ChildChange {
    /// Full name.
    pub name: String,
    /// Date of birth `YYYY-MM-DD`.
    pub dob: String,
    /// Flags and concerns.
    pub facts: Facts,
}

/// A placement as a user gives it (authorities by code).
#[derive(Clone, Debug)]
pub struct PlacementChange {
    /// Responsible (placing) authority code.
    pub responsible_authority: String,
    /// Host authority code.
    pub host_authority: String,
    /// Legal status spelling.
    pub legal_status: String,
    /// Placement type spelling.
    pub placement_type: String,
    /// Police force; the host authority's if none.
    pub police_force: Option<String>,
    /// Travel minutes from the responsible authority.
    pub travel_minutes: i64,
    /// First day `YYYY-MM-DD`.
    pub starts_on: String,
    /// DfE `REASON_PLACE_CHANGE` code, for a change of placement.
    pub change_reason: Option<String>,
}

/// A new child with a first placement.
#[derive(Clone, Debug)]
pub struct NewChild {
    /// The record.
    pub record: ChildChange,
    /// Where the child lives now.
    pub placement: PlacementChange,
}

/// The largest photo accepted.
pub const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;

/// The content type of a JPEG or PNG image, by its magic bytes.
pub fn image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else {
        None
    }
}

fn check_date(field: &str, s: &str) -> Result<Date> {
    let shaped = s.len() == 10 && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-';
    s.parse::<Date>()
        .ok()
        .filter(|_| shaped)
        .ok_or_else(|| CaseError::validation(field, "expected a date YYYY-MM-DD"))
}

impl Casework {
    fn check_record(&self, c: &ChildChange) -> Result<ChildFields> {
        if c.name.trim().is_empty() {
            return Err(CaseError::validation("$.name", "must not be empty"));
        }
        let born = check_date("$.dob", &c.dob)?;
        if born > self.calendar().local_date(self.now()) {
            return Err(CaseError::validation("$.dob", "is in the future"));
        }
        for (i, f) in c.facts.flags.iter().enumerate() {
            f.parse::<Flag>()
                .map_err(|e| CaseError::validation(format!("$.facts.flags[{i}]"), e.to_string()))?;
        }
        for (i, x) in c.facts.concerns.iter().enumerate() {
            x.parse::<Concern>().map_err(|e| {
                CaseError::validation(format!("$.facts.concerns[{i}]"), e.to_string())
            })?;
        }
        Ok(ChildFields {
            name: c.name.trim().to_owned(),
            dob: c.dob.clone(),
            facts: serde_json::to_string(&c.facts).map_err(CaseError::internal)?,
        })
    }

    async fn check_placement(&self, p: &PlacementChange, prefix: &str) -> Result<NewPlacement> {
        let responsible = self
            .authority_by_code(
                &p.responsible_authority,
                &format!("{prefix}.responsible_authority"),
            )
            .await?;
        let host = self
            .authority_by_code(&p.host_authority, &format!("{prefix}.host_authority"))
            .await?;
        let legal_status = p
            .legal_status
            .parse::<LegalStatus>()
            .map_err(|e| CaseError::validation(format!("{prefix}.legal_status"), e.to_string()))?;
        let placement_type = p.placement_type.parse::<PlacementType>().map_err(|e| {
            CaseError::validation(format!("{prefix}.placement_type"), e.to_string())
        })?;
        if p.travel_minutes < 0 {
            return Err(CaseError::validation(
                format!("{prefix}.travel_minutes"),
                "must be 0 or more",
            ));
        }
        check_date(&format!("{prefix}.starts_on"), &p.starts_on)?;
        if let Some(reason) = p
            .change_reason
            .as_deref()
            .filter(|r| !store::is_change_reason(r))
        {
            return Err(CaseError::validation(
                format!("{prefix}.change_reason"),
                format!(
                    "`{reason}` is not a DfE reason for a placement change; use one of {}",
                    store::CHANGE_REASONS.map(|(c, _)| c).join(", ")
                ),
            ));
        }
        Ok(NewPlacement {
            responsible_authority_id: responsible.id,
            host_authority_id: host.id,
            legal_status,
            placement_type,
            police_force: p
                .police_force
                .clone()
                .filter(|f| !f.trim().is_empty())
                .unwrap_or(host.police_force),
            travel_minutes: p.travel_minutes,
            starts_on: p.starts_on.clone(),
            change_reason: p.change_reason.clone(),
        })
    }

    /// Records a new child with a first placement; the actor's authority must be its
    /// responsible or host authority.
    pub async fn create_child(&self, actor: &Actor, new: &NewChild) -> Result<(Child, Placement)> {
        actor.require(Permission::EditChild)?;
        let fields = self.check_record(&new.record)?;
        let placement = self.check_placement(&new.placement, "$.placement").await?;
        if ![
            placement.responsible_authority_id,
            placement.host_authority_id,
        ]
        .contains(&actor.authority())
        {
            return Err(CaseError::validation(
                "$.placement",
                "your authority must be the responsible or host authority",
            ));
        }
        let now = self.now();
        Ok(self
            .store()
            .create_child(
                &fields,
                &placement,
                now.into(),
                &self.planner(now),
                &actor.audit("write", "child", None, None, now.into()),
            )
            .await?)
    }

    /// A child's record and current placement.
    pub async fn child_record(&self, scope: &ChildScope<'_>) -> Result<(Child, Option<Placement>)> {
        let child = self
            .store()
            .child(scope.child())
            .await?
            .ok_or_else(CaseError::not_found)?;
        let placement = self
            .store()
            .placements(scope.child())
            .await?
            .into_iter()
            .rfind(|p| p.ends_on.is_none());
        Ok((child, placement))
    }

    /// Changes a child's record if it is still at `expected_version`.
    pub async fn update_child(
        &self,
        scope: &ChildScope<'_>,
        expected_version: i64,
        change: &ChildChange,
    ) -> Result<Child> {
        let fields = self.check_record(change)?;
        let now = self.now();
        let id = scope.child();
        Ok(self
            .store()
            .update_child(
                id,
                expected_version,
                &fields,
                now.into(),
                &self.planner(now),
                &scope.audit("child", Some(id.get()), now.into()),
            )
            .await?)
    }

    /// A child's placements, oldest first.
    pub async fn placements(&self, scope: &ChildScope<'_>) -> Result<Vec<Placement>> {
        Ok(self.store().placements(scope.child()).await?)
    }

    /// Moves a child to a new placement (the current one ends the day this starts).
    pub async fn add_placement(
        &self,
        scope: &ChildScope<'_>,
        change: &PlacementChange,
    ) -> Result<Placement> {
        let placement = self.check_placement(change, "$").await?;
        let now = self.now();
        Ok(self
            .store()
            .add_placement(
                scope.child(),
                &placement,
                now.into(),
                &self.planner(now),
                &scope.audit("placement", None, now.into()),
            )
            .await?)
    }

    /// Every version of a child's profile documents.
    pub async fn documents(&self, scope: &ChildScope<'_>) -> Result<Vec<Document>> {
        Ok(self.store().documents(scope.child()).await?)
    }

    /// Records a new version of a profile document (earlier versions are kept).
    pub async fn add_document(
        &self,
        scope: &ChildScope<'_>,
        kind: &str,
        body: &serde_json::Value,
    ) -> Result<Document> {
        if !DOCUMENT_KINDS.contains(&kind) {
            return Err(CaseError::validation(
                "$.kind",
                format!("one of {}", DOCUMENT_KINDS.join(", ")),
            ));
        }
        if !body.is_object() {
            return Err(CaseError::validation("$.body", "expected a JSON object"));
        }
        // Places frequented and associates feed the pattern views: checked before they are
        // stored.
        if analytics::profile::KINDS.contains(&kind) {
            analytics::profile::check(body).map_err(|(f, m)| CaseError::validation(f, m))?;
        }
        let now = self.now_instant();
        Ok(self
            .store()
            .add_document(
                scope.child(),
                kind,
                &body.to_string(),
                scope.actor().id(),
                now,
                &scope.audit("document", None, now),
            )
            .await?)
    }

    /// Stores a new photo of a child: a JPEG or PNG (by its first bytes) of at most
    /// [`MAX_PHOTO_BYTES`], taken on a day not in the future. Refusals name the field (`photo`,
    /// `taken_on`) and store nothing.
    pub async fn add_photo(
        &self,
        scope: &ChildScope<'_>,
        bytes: &[u8],
        taken_on: &str,
    ) -> Result<Photo> {
        let mut problems = Vec::new();
        let content_type = match bytes {
            [] => {
                problems.push(("photo".into(), "Choose a photo".into()));
                None
            }
            b if b.len() > MAX_PHOTO_BYTES => {
                problems.push(("photo".into(), "The photo must be 5 MB or less".into()));
                None
            }
            b => {
                let t = image_type(b);
                if t.is_none() {
                    problems.push(("photo".into(), "The photo must be a JPEG or PNG".into()));
                }
                t
            }
        };
        match taken_on.trim().parse::<Date>() {
            Err(_) => problems.push((
                "taken_on".into(),
                "Enter the date the photo was taken, for example 2026-10-27".into(),
            )),
            Ok(d) if d > self.calendar().local_date(self.now()) => problems.push((
                "taken_on".into(),
                "The date the photo was taken must be today or in the past".into(),
            )),
            Ok(_) => {}
        }
        if let Some(e) = CaseError::validations(problems) {
            return Err(e);
        }
        let content_type = content_type.unwrap_or("application/octet-stream");
        let now = self.now_instant();
        Ok(self
            .store()
            .add_photo(
                scope.child(),
                &NewPhoto {
                    content_type: content_type.to_owned(),
                    bytes: bytes.to_vec(),
                    taken_on: taken_on.trim().to_owned(),
                    uploaded_by: scope.actor().id(),
                    uploaded_at: now,
                },
                &scope.audit("photo", None, now),
            )
            .await?)
    }

    /// Whether a photo taken on `taken_on` is more than 3 calendar months old now (Europe/London
    /// wall clock, month-end clamping: the protocols' month, C3).
    pub fn photo_is_old(&self, taken_on: &str) -> bool {
        let Ok(date) = taken_on.parse::<Date>() else {
            return false;
        };
        let calendar = self.calendar();
        let taken = calendar.instant(date.to_datetime(jiff::civil::Time::midnight()));
        calendar.add(taken, protocol::duration::ProtocolDuration::Months(3)) < self.now()
    }

    /// The latest photo of a child.
    pub async fn latest_photo(&self, scope: &ChildScope<'_>) -> Result<Option<Photo>> {
        Ok(self.store().latest_photo(scope.child()).await?)
    }

    /// Everything about a child, with its obligations as stored now, read in one statement.
    pub async fn timeline(&self, scope: &ChildScope<'_>) -> Result<store::ChildRecords> {
        self.store()
            .child_records(scope.child())
            .await?
            .ok_or_else(CaseError::not_found)
    }

    /// A child's episodes as the lists show them, oldest first.
    pub async fn child_episodes(&self, scope: &ChildScope<'_>) -> Result<Vec<store::EpisodeRow>> {
        Ok(self.store().child_episodes(scope.child()).await?)
    }

    /// Opens a missing episode under the child's current placement.
    pub async fn open_episode(&self, scope: &ChildScope<'_>) -> Result<Episode> {
        let now = self.now();
        Ok(self
            .store()
            .open_episode(
                scope.child(),
                now.into(),
                &self.planner(now),
                &scope.audit("episode", None, now.into()),
            )
            .await?)
    }
}
