//! Meetings (with attendees and action items): each is stored with the `meeting_held` event the
//! engine reads, so recording one writes the child's new plan in the same transaction.

use serde::{Deserialize, Serialize};
use serde_json::json;
use store::{ActionId, Episode, Meeting, MeetingAction, MeetingId, NewAction, NewMeeting};

use crate::episodes::EventIn;
use crate::{Actor, CaseError, Casework, ChildScope, Permission, Result};

/// Someone at a meeting.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Attendee {
    /// Name.
    pub name: String,
    /// Role, e.g. `social worker`.
    #[serde(default)]
    pub role: String,
    /// Agency, e.g. `police`.
    #[serde(default)]
    pub agency: String,
}

/// An action agreed at a meeting, as given.
#[derive(Clone, Debug)]
pub struct ActionInput {
    /// What is to be done.
    pub description: String,
    /// Who owns it.
    pub owner: String,
    /// By when (ISO 8601 with offset), if agreed.
    pub due: Option<String>,
}

/// A meeting as given.
#[derive(Clone, Debug)]
pub struct MeetingInput {
    /// Meeting type (timeline v1).
    pub meeting_type: String,
    /// When it was held (ISO 8601 with offset).
    pub held_at: String,
    /// Who chaired it.
    pub chair: String,
    /// Whether it met face to face.
    pub face_to_face: bool,
    /// Who attended.
    pub attendees: Vec<Attendee>,
    /// Decisions taken.
    pub decisions: String,
    /// Actions agreed.
    pub actions: Vec<ActionInput>,
    /// Rule IDs the meeting discharges.
    pub satisfies: Vec<String>,
}

pub(crate) fn instant(field: &str, s: &str) -> Result<jiff::Timestamp> {
    protocol::timeline::parse_instant(s).map_err(|m| CaseError::validation(field, m))
}

impl Casework {
    /// Records a meeting with its actions and its `meeting_held` event.
    pub async fn record_meeting(
        &self,
        scope: &ChildScope<'_>,
        episode: &Episode,
        m: &MeetingInput,
    ) -> Result<Meeting> {
        if m.chair.trim().is_empty() {
            return Err(CaseError::validation(
                "$.chair",
                "say who chaired the meeting",
            ));
        }
        let held = instant("$.held_at", &m.held_at)?;
        let mut actions = Vec::new();
        for (i, a) in m.actions.iter().enumerate() {
            if a.description.trim().is_empty() || a.owner.trim().is_empty() {
                return Err(CaseError::validation(
                    format!("$.actions[{i}]"),
                    "an action needs a description and an owner",
                ));
            }
            let due = a
                .due
                .as_deref()
                .map(|d| instant(&format!("$.actions[{i}].due"), d))
                .transpose()?;
            actions.push(NewAction {
                description: a.description.clone(),
                owner: a.owner.clone(),
                due_at: due.map(Into::into),
            });
        }
        let event = json!({"at": m.held_at, "type": "meeting_held",
            "data": {"meeting_type": m.meeting_type, "chair": m.chair, "face_to_face": m.face_to_face},
            "satisfies": m.satisfies});
        let new_event = self
            .checked_event(scope, episode, &event, EventIn::TopLevel)
            .await?;
        let meeting_type =
            m.meeting_type
                .parse()
                .map_err(|e: protocol::vocabulary::UnknownValue| {
                    CaseError::validation("$.meeting_type", e.to_string())
                })?;
        let meeting = NewMeeting {
            meeting_type,
            held_at: held.into(),
            chair: m.chair.clone(),
            attendees: serde_json::to_string(&m.attendees).map_err(CaseError::internal)?,
            decisions: m.decisions.clone(),
            actions,
        };
        let now = new_event.recorded_at;
        Ok(self
            .store()
            .record_meeting(
                episode.id,
                &meeting,
                &new_event,
                &self.planner(now.timestamp()),
                &scope.audit("meeting", None, now),
            )
            .await?)
    }

    /// An episode's meetings with their action items, oldest first.
    pub async fn meetings(
        &self,
        scope: &ChildScope<'_>,
        episode: &Episode,
    ) -> Result<Vec<Meeting>> {
        scope.owns(episode)?;
        Ok(self.store().meetings(episode.id).await?)
    }

    /// A meeting, its episode and leave to read it (audited).
    pub async fn read_meeting<'a>(
        &self,
        actor: &'a Actor,
        id: MeetingId,
    ) -> Result<(ChildScope<'a>, Episode, Meeting)> {
        actor.require(Permission::ReadChild)?;
        let meeting = self
            .store()
            .meeting(id)
            .await?
            .ok_or_else(CaseError::not_found)?;
        let (scope, episode) = self
            .read_episode(actor, meeting.episode_id, "meeting")
            .await?;
        Ok((scope, episode, meeting))
    }

    /// Marks a meeting's action done now; returns it with the episode it belongs to.
    pub async fn complete_action(
        &self,
        actor: &Actor,
        id: ActionId,
    ) -> Result<(MeetingAction, Episode)> {
        actor.require(Permission::RecordEvent)?;
        let action = self
            .store()
            .meeting_action(id)
            .await?
            .ok_or_else(CaseError::not_found)?;
        let meeting = self
            .store()
            .meeting(action.meeting_id)
            .await?
            .ok_or_else(CaseError::not_found)?;
        let (scope, episode) = self
            .change_episode(actor, meeting.episode_id, Permission::RecordEvent)
            .await?;
        let now = self.now_instant();
        let done = self
            .store()
            .complete_action(id, now, &scope.audit("meeting_action", Some(id.get()), now))
            .await?;
        Ok((done, episode))
    }
}
