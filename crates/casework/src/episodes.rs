//! Episodes and their events: recording an event (checked exactly as `homeward evaluate` checks
//! a file), correcting one (a new event naming the one it replaces, with a reason), and where
//! the child came to notice or was found. Each is written with the child's new plan in one
//! transaction.

use jiff::SignedDuration;
use serde_json::Value;
use store::{AuthorityId, Episode, EventId, EventRecord, Instant, NewEvent, ObligationRecord};

use crate::{CaseError, Casework, ChildScope, Result};

/// Where a request carries the event it implies, so errors can name the request's own field.
#[derive(Clone, Copy, Debug)]
pub enum EventIn {
    /// The whole event is one field of the request (`$.event`).
    Field(&'static str),
    /// The request's top-level fields are the event's data fields (meetings, interviews).
    TopLevel,
}

impl EventIn {
    fn field(self, rest: &str) -> String {
        match self {
            EventIn::Field(prefix) => format!("{prefix}{rest}"),
            EventIn::TopLevel => format!("${}", rest.strip_prefix(".data").unwrap_or(rest)),
        }
    }
}

/// An event recorded: the event, the episode with its new version, and the child's open
/// obligations after it.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// The stored event.
    pub event: EventRecord,
    /// The episode, with its new version.
    pub episode: Episode,
    /// The child's open obligations, recomputed.
    pub obligations: Vec<ObligationRecord>,
}

impl Casework {
    /// Everything about one episode the episode page shows, read in one statement.
    pub async fn episode_record(
        &self,
        scope: &ChildScope<'_>,
        episode: &Episode,
    ) -> Result<store::EpisodeRecords> {
        scope.owns(episode)?;
        self.store()
            .episode_records(episode.id)
            .await?
            .ok_or_else(CaseError::not_found)
    }

    /// Checks a new event exactly as `homeward evaluate` checks a file, in the context of the
    /// child's stored file; errors name the request's field. The event must not be dated in the
    /// future (five minutes' leeway for clocks).
    pub(crate) async fn checked_event(
        &self,
        scope: &ChildScope<'_>,
        episode: &Episode,
        event: &Value,
        place: EventIn,
    ) -> Result<NewEvent> {
        scope.owns(episode)?;
        let now = self.now();
        let file = self
            .store()
            .child_file(episode.child_id)
            .await?
            .ok_or_else(CaseError::not_found)?;
        let doc =
            crate::evaluation::document(self.calendar(), &file, now, Some((event, episode.id)))
                .map_err(|e| CaseError::validation("$", e.to_string()))?;
        if let Err(e) = protocol::timeline::parse(&doc.json.to_string(), self.catalog()) {
            let own = doc.extra_index.map(|k| format!("$.events[{k}]"));
            let field = match own.as_deref().and_then(|p| e.path.strip_prefix(p)) {
                Some(rest) => place.field(rest),
                None => e.path.clone(),
            };
            return Err(CaseError::validation(field, e.message));
        }
        let at = event["at"]
            .as_str()
            .and_then(|s| protocol::timeline::parse_instant(s).ok())
            .ok_or_else(|| CaseError::validation(place.field(".at"), "missing"))?;
        if at > now + SignedDuration::from_mins(5) {
            return Err(CaseError::validation(
                place.field(".at"),
                "is in the future",
            ));
        }
        Ok(NewEvent {
            at: at.into(),
            body: event.to_string(),
            correction: None,
            recorded_by: scope.actor().id(),
            recorded_at: now.into(),
        })
    }

    /// The child's open obligations as stored (by due, none last).
    pub async fn child_obligations(&self, scope: &ChildScope<'_>) -> Result<Vec<ObligationRecord>> {
        Ok(self
            .store()
            .child_obligations(scope.child())
            .await?
            .into_iter()
            .filter(ObligationRecord::is_open)
            .collect())
    }

    /// Records an event (timeline v1 shape) on an episode, or a correction of one of its events
    /// (with a reason); when `expected_version` is given, a stale episode version is refused.
    pub async fn record_event(
        &self,
        scope: &ChildScope<'_>,
        episode: &Episode,
        event: &Value,
        correction: Option<(EventId, String)>,
        expected_version: Option<i64>,
    ) -> Result<Recorded> {
        if let Some((_, reason)) = &correction
            && reason.trim().is_empty()
        {
            return Err(CaseError::validation(
                "$.reason",
                "a correction needs a reason",
            ));
        }
        let new = NewEvent {
            correction,
            ..self
                .checked_event(scope, episode, event, EventIn::Field("$.event"))
                .await?
        };
        let now = new.recorded_at.timestamp();
        let (episode, event) = self
            .store()
            .append_event(
                episode.id,
                expected_version,
                &new,
                &self.planner(now),
                &scope.audit("event", None, new.recorded_at),
            )
            .await?;
        Ok(Recorded {
            obligations: self.child_obligations(scope).await?,
            event,
            episode,
        })
    }

    /// Records where the child came to notice or was found (the finder authority, which then
    /// may see the child), if the episode is still at `expected_version`.
    pub async fn set_finder(
        &self,
        scope: &ChildScope<'_>,
        episode: &Episode,
        expected_version: i64,
        finder_code: Option<&str>,
    ) -> Result<Episode> {
        scope.owns(episode)?;
        let finder: Option<AuthorityId> = match finder_code {
            None => None,
            Some(code) => Some(self.authority_by_code(code, "$.finder_authority").await?.id),
        };
        let now = self.now();
        Ok(self
            .store()
            .set_finder(
                episode.id,
                expected_version,
                finder,
                Instant::from(now),
                &self.planner(now),
                &scope.audit("episode", Some(episode.id.get()), now.into()),
            )
            .await?)
    }

    /// An episode's events (corrections included), in recording order.
    pub async fn episode_events(
        &self,
        scope: &ChildScope<'_>,
        episode: &Episode,
    ) -> Result<Vec<EventRecord>> {
        scope.owns(episode)?;
        let file = self
            .store()
            .child_file(episode.child_id)
            .await?
            .ok_or_else(CaseError::not_found)?;
        Ok(file
            .events
            .into_iter()
            .filter(|e| e.episode_id == episode.id)
            .collect())
    }
}
