//! Return home interviews (offered, completed, declined, no engagement; signed off by a
//! manager). Each outcome is stored with the event the engine reads, so recording one writes
//! the child's new plan in the same transaction.

use serde_json::json;
use store::{Episode, Interview, InterviewId, InterviewOutcome, NewInterview};

use crate::episodes::EventIn;
use crate::meetings::instant;
use crate::{Actor, CaseError, Casework, ChildScope, Permission, Result};

/// A return interview outcome as given.
#[derive(Clone, Debug)]
pub struct InterviewInput {
    /// `offered`, `completed`, `declined` or `no_engagement`.
    pub outcome: String,
    /// When (ISO 8601 with offset).
    pub at: String,
    /// Who offered or held it.
    pub interviewer: String,
    /// `in_person`, `telephone` or `video`.
    pub mode: Option<String>,
    /// Push factors identified.
    pub push_factors: String,
    /// Pull factors identified.
    pub pull_factors: String,
    /// Sensitive disclosures.
    pub disclosures: String,
    /// Rule IDs the outcome discharges.
    pub satisfies: Vec<String>,
}

impl Casework {
    /// Records a return interview outcome with the event it implies.
    pub async fn record_interview(
        &self,
        scope: &ChildScope<'_>,
        episode: &Episode,
        body: &InterviewInput,
    ) -> Result<Interview> {
        let when = instant("$.at", &body.at)?;
        if body.interviewer.trim().is_empty() {
            return Err(CaseError::validation(
                "$.interviewer",
                "say who offered or held the interview",
            ));
        }
        let outcome: InterviewOutcome = body.outcome.parse().map_err(|_| {
            CaseError::validation(
                "$.outcome",
                "one of offered, completed, declined, no_engagement",
            )
        })?;
        let (kind, mut data) = match outcome {
            InterviewOutcome::Offered => (
                "rhi_offered",
                json!({"by": body.interviewer, "mode": body.mode}),
            ),
            InterviewOutcome::Completed => (
                "rhi_completed",
                json!({"by": body.interviewer, "mode": body.mode}),
            ),
            InterviewOutcome::Declined => ("rhi_declined", json!({"by": body.interviewer})),
            InterviewOutcome::NoEngagement => (
                "action_recorded",
                json!({"action": "return interview: no engagement", "by": body.interviewer}),
            ),
        };
        if let Some(map) = data.as_object_mut() {
            map.retain(|_, v| !v.is_null());
        }
        let event = json!({"at": body.at, "type": kind, "data": data, "satisfies": body.satisfies});
        let new_event = self
            .checked_event(scope, episode, &event, EventIn::TopLevel)
            .await?;
        let mode = body
            .mode
            .as_deref()
            .map(|m| {
                m.parse().map_err(|e: protocol::vocabulary::UnknownValue| {
                    CaseError::validation("$.mode", e.to_string())
                })
            })
            .transpose()?;
        let interview = NewInterview {
            outcome,
            at: when.into(),
            interviewer: body.interviewer.clone(),
            mode,
            push_factors: body.push_factors.clone(),
            pull_factors: body.pull_factors.clone(),
            disclosures: body.disclosures.clone(),
        };
        let now = new_event.recorded_at;
        Ok(self
            .store()
            .record_interview(
                episode.id,
                &interview,
                &new_event,
                &self.planner(now.timestamp()),
                &scope.audit("interview", None, now),
            )
            .await?)
    }

    /// An episode's interview records, oldest first.
    pub async fn interviews(
        &self,
        scope: &ChildScope<'_>,
        episode: &Episode,
    ) -> Result<Vec<Interview>> {
        scope.owns(episode)?;
        Ok(self.store().interviews(episode.id).await?)
    }

    /// An interview record, its episode and leave to read it (audited).
    pub async fn read_interview<'a>(
        &self,
        actor: &'a Actor,
        id: InterviewId,
    ) -> Result<(ChildScope<'a>, Episode, Interview)> {
        actor.require(Permission::ReadChild)?;
        let interview = self
            .store()
            .interview(id)
            .await?
            .ok_or_else(CaseError::not_found)?;
        let (scope, episode) = self
            .read_episode(actor, interview.episode_id, "interview")
            .await?;
        Ok((scope, episode, interview))
    }

    /// A team or senior manager signs off an interview record at version `expected`.
    pub async fn sign_off_interview(
        &self,
        actor: &Actor,
        id: InterviewId,
        expected: i64,
    ) -> Result<Interview> {
        actor.require(Permission::SignOff)?;
        let interview = self
            .store()
            .interview(id)
            .await?
            .ok_or_else(CaseError::not_found)?;
        let (scope, _) = self
            .change_episode(actor, interview.episode_id, Permission::SignOff)
            .await?;
        let now = self.now_instant();
        Ok(self
            .store()
            .sign_off_interview(
                id,
                expected,
                actor.id(),
                now,
                &scope.audit("interview", Some(id.get()), now),
            )
            .await?)
    }
}
