//! Obligations across children, and discharging one with a note. An obligation that has ended
//! (met, or no longer given by the engine) cannot be discharged: the refusal says why it ended
//! and names the open obligations of the same rule on the same episode that replace it.

use serde_json::json;
use store::{DueWindow, ObligationId, ObligationRecord, QueueFilter, QueueRow};

use crate::episodes::Recorded;
use crate::{Actor, CaseError, Casework, Permission, Result};

impl Casework {
    /// Open obligations demanded by the actor's authority's protocol, optionally of one owner
    /// role, in a due window, a page at a time; the read is audited as one row naming every
    /// child listed.
    pub async fn obligations(
        &self,
        actor: &Actor,
        owner_role: Option<protocol::vocabulary::OwnerRole>,
        window: DueWindow,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<QueueRow>> {
        actor.require(Permission::ReadObligations)?;
        let rows = self
            .store()
            .queue(&QueueFilter {
                authority: actor.authority(),
                owner_role,
                window,
                child: None,
                limit,
                offset,
            })
            .await?;
        self.audit_list(
            actor,
            "obligation_list",
            rows.iter().map(|r| r.obligation.child_id),
        )
        .await?;
        Ok(rows)
    }

    /// Discharges a stored obligation with a note, as an `action_recorded` event naming it in
    /// `satisfies`; `at` (ISO 8601 with offset) defaults to now.
    pub async fn discharge(
        &self,
        actor: &Actor,
        id: ObligationId,
        note: &str,
        at: Option<&str>,
    ) -> Result<Recorded> {
        actor.require(Permission::RecordEvent)?;
        if note.trim().is_empty() {
            return Err(CaseError::validation("$.note", "say what was done"));
        }
        let obligation = self
            .store()
            .obligation(id)
            .await?
            .ok_or_else(CaseError::not_found)?;
        let scope = self
            .change_child(actor, obligation.child_id, Permission::RecordEvent)
            .await?;
        if !obligation.is_open() {
            return Err(self.ended(&obligation).await?);
        }
        let o = &obligation.obligation;
        let episode = self
            .store()
            .episode(o.episode_id)
            .await?
            .ok_or_else(CaseError::not_found)?;
        let at = at.map_or_else(
            || crate::time::format(self.calendar(), self.now()),
            str::to_owned,
        );
        let tag = match o.share {
            Some(s) => format!("{}/{s}", o.rule),
            None => o.rule.clone(),
        };
        let event = json!({
            "at": at, "type": "action_recorded",
            "data": {"action": format!("discharged {tag}"), "by": actor.user().display_name, "note": note},
            "satisfies": [tag],
        });
        self.record_event(&scope, &episode, &event, None, None)
            .await
    }

    /// The episode of an obligation the actor may see.
    pub async fn obligation_episode(
        &self,
        actor: &Actor,
        id: ObligationId,
    ) -> Result<store::EpisodeId> {
        let obligation = self
            .store()
            .obligation(id)
            .await?
            .ok_or_else(CaseError::not_found)?;
        self.change_child(actor, obligation.child_id, Permission::RecordEvent)
            .await?;
        Ok(obligation.obligation.episode_id)
    }

    /// The refusal for an obligation that has ended: why and when, and what replaces it.
    async fn ended(&self, obligation: &ObligationRecord) -> Result<CaseError> {
        let o = &obligation.obligation;
        let replaced_by: Vec<i64> = self
            .store()
            .child_obligations(obligation.child_id)
            .await?
            .iter()
            .filter(|r| {
                r.is_open()
                    && r.id != obligation.id
                    && r.obligation.episode_id == o.episode_id
                    && r.obligation.rule == o.rule
                    && r.obligation.share == o.share
            })
            .map(|r| r.id.get())
            .collect();
        let when = |t: Option<store::Instant>| t.map(|t| crate::time::format(self.calendar(), t));
        let why = match o.ended {
            Some(store::Ended::Discharged) => format!(
                "it was met at {}",
                when(o.met_at).unwrap_or_else(|| "an earlier time".into())
            ),
            _ => "the protocol no longer asks for it".to_owned(),
        };
        let instead = match replaced_by.as_slice() {
            [] => String::new(),
            ids => format!(
                "; it was replaced by obligation {}",
                ids.iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        Ok(CaseError::obligation_ended(
            format!("obligation {} has ended: {why}{instead}", obligation.id),
            json!({
                "id": obligation.id,
                "rule": o.rule,
                "ended": o.ended,
                "ended_at": when(o.ended_at),
                "met_at": when(o.met_at),
                "replaced_by": replaced_by,
            }),
        ))
    }
}
