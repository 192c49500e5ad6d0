//! Episodes, events, meetings and return interviews ([`crate::Episodes`]). Every change that
//! the engine reads writes the child's plan in its own transaction.

/// Implements [`crate::Episodes`] for a store type with a `pool` field and `begin_write`.
macro_rules! impl_episodes {
    ($store:ty, $conn:ty) => {
        const EPISODE_COLUMNS: &str = "id, child_id, version, responsible_authority_id, host_authority_id, finder_authority_id, opened_at";

        /// Appends an event inside a transaction after bumping (and checking) the episode
        /// version; a correction must name an event of the same episode.
        async fn insert_event(conn: &mut $conn, episode_id: EpisodeId, expected_version: Option<i64>, event: &NewEvent) -> Result<(Episode, EventRecord)> {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE episodes SET version = version + 1 WHERE id = $1 AND ($2 = 0 OR version = $2) RETURNING {EPISODE_COLUMNS}"
            )))
            .bind(episode_id)
            .bind(expected_version.unwrap_or(0))
            .fetch_optional(&mut *conn)
            .await?;
            let Some(row) = row else {
                return Err(stale(&mut *conn, "episodes", episode_id.get()).await);
            };
            let episode = episode_row(&row)?;
            if let Some((corrected, _)) = &event.correction {
                let found = sqlx::query("SELECT id FROM events WHERE id = $1 AND episode_id = $2")
                    .bind(*corrected)
                    .bind(episode_id)
                    .fetch_optional(&mut *conn)
                    .await?;
                if found.is_none() {
                    return Err(StoreError::Constraint(format!("event {corrected} is not an event of episode {episode_id}")));
                }
            }
            let row = sqlx::query(
                "INSERT INTO events (episode_id, at, body, recorded_by, recorded_at, corrects_event_id, correction_reason) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id, episode_id, at, body, recorded_by, recorded_at, corrects_event_id, correction_reason",
            )
            .bind(episode_id)
            .bind(event.at)
            .bind(&event.body)
            .bind(event.recorded_by)
            .bind(event.recorded_at)
            .bind(event.correction.as_ref().map(|c| c.0))
            .bind(event.correction.as_ref().map(|c| c.1.clone()))
            .fetch_one(&mut *conn)
            .await?;
            Ok((episode, event_row(&row)?))
        }

        /// Meetings whose `column` (`id` or `episode_id`) equals `value`, with their actions.
        async fn load_meetings(conn: &mut $conn, column: &'static str, value: i64) -> Result<Vec<Meeting>> {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT id, episode_id, event_id, meeting_type, held_at, chair, attendees, decisions FROM meetings WHERE {column} = $1 ORDER BY id"
            )))
            .bind(value)
            .fetch_all(&mut *conn)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                let id: MeetingId = r.try_get("id")?;
                let actions = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {ACTION_COLUMNS} FROM meeting_actions WHERE meeting_id = $1 ORDER BY id")))
                    .bind(id)
                    .fetch_all(&mut *conn)
                    .await?
                    .iter()
                    .map(action_row)
                    .collect::<Result<Vec<_>>>()?;
                out.push(Meeting {
                    id,
                    episode_id: r.try_get("episode_id")?,
                    event_id: r.try_get("event_id")?,
                    meeting_type: vocabulary(&r, "meeting_type")?,
                    held_at: r.try_get("held_at")?,
                    chair: r.try_get("chair")?,
                    attendees: r.try_get("attendees")?,
                    decisions: r.try_get("decisions")?,
                    actions,
                });
            }
            Ok(out)
        }

        #[async_trait::async_trait]
        impl crate::Episodes for $store {
            async fn open_episode(&self, child_id: ChildId, now: Instant, recompute: crate::Recompute<'_>, audit: &AuditEntry) -> Result<Episode> {
                let mut tx = self.begin_write().await?;
                let placement = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "{PLACEMENT} WHERE child_id = $1 AND ends_on IS NULL ORDER BY id DESC LIMIT 1"
                )))
                .bind(child_id)
                .fetch_optional(&mut *tx)
                .await?
                .map(|r| placement_row(&r))
                .transpose()?
                .ok_or(StoreError::NotFound)?;
                let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO episodes (child_id, version, responsible_authority_id, host_authority_id, opened_at) \
                     VALUES ($1, 1, $2, $3, $4) RETURNING {EPISODE_COLUMNS}"
                )))
                .bind(child_id)
                .bind(placement.responsible_authority_id)
                .bind(placement.host_authority_id)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                let episode = episode_row(&row)?;
                replan(&mut tx, child_id, now, recompute).await?;
                append_audit(&mut tx, &AuditEntry { entity_id: Some(episode.id.get()), ..audit.clone() }).await?;
                tx.commit().await?;
                self.schedule_changed.notify_one();
                Ok(episode)
            }

            async fn episode(&self, id: EpisodeId) -> Result<Option<Episode>> {
                sqlx::query(sqlx::AssertSqlSafe(format!("{EPISODE} WHERE id = $1")))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .map(|r| episode_row(&r))
                    .transpose()
            }

            async fn episode_records(&self, id: EpisodeId) -> Result<Option<crate::EpisodeRecords>> {
                self.episode_records_sql(id).await
            }

            async fn episode_events(&self, id: EpisodeId) -> Result<Vec<EventRecord>> {
                sqlx::query(sqlx::AssertSqlSafe(format!("{EVENT} WHERE episode_id = $1 ORDER BY id")))
                    .bind(id)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(event_row)
                    .collect()
            }

            async fn set_finder(&self, episode_id: EpisodeId, expected_version: i64, finder: Option<AuthorityId>, now: Instant, recompute: crate::Recompute<'_>, audit: &AuditEntry) -> Result<Episode> {
                let mut tx = self.begin_write().await?;
                let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "UPDATE episodes SET finder_authority_id = $1, version = version + 1 WHERE id = $2 AND version = $3 RETURNING {EPISODE_COLUMNS}"
                )))
                .bind(finder)
                .bind(episode_id)
                .bind(expected_version)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(row) = row else {
                    return Err(stale(&mut tx, "episodes", episode_id.get()).await);
                };
                let episode = episode_row(&row)?;
                replan(&mut tx, episode.child_id, now, recompute).await?;
                append_audit(&mut tx, audit).await?;
                tx.commit().await?;
                self.schedule_changed.notify_one();
                Ok(episode)
            }

            async fn append_event(&self, episode_id: EpisodeId, expected_version: Option<i64>, event: &NewEvent, recompute: crate::Recompute<'_>, audit: &AuditEntry) -> Result<(Episode, EventRecord)> {
                let mut tx = self.begin_write().await?;
                let (episode, record) = insert_event(&mut tx, episode_id, expected_version, event).await?;
                replan(&mut tx, episode.child_id, event.recorded_at, recompute).await?;
                append_audit(&mut tx, &AuditEntry { entity_id: Some(record.id.get()), ..audit.clone() }).await?;
                tx.commit().await?;
                self.schedule_changed.notify_one();
                Ok((episode, record))
            }

            async fn record_meeting(&self, episode_id: EpisodeId, m: &NewMeeting, event: &NewEvent, recompute: crate::Recompute<'_>, audit: &AuditEntry) -> Result<Meeting> {
                let mut tx = self.begin_write().await?;
                let (episode, record) = insert_event(&mut tx, episode_id, None, event).await?;
                let id: MeetingId = sqlx::query(
                    "INSERT INTO meetings (episode_id, event_id, meeting_type, held_at, chair, attendees, decisions) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                )
                .bind(episode_id)
                .bind(record.id)
                .bind(m.meeting_type.as_str())
                .bind(m.held_at)
                .bind(&m.chair)
                .bind(&m.attendees)
                .bind(&m.decisions)
                .fetch_one(&mut *tx)
                .await?
                .try_get("id")?;
                for a in &m.actions {
                    sqlx::query("INSERT INTO meeting_actions (meeting_id, description, owner, due_at) VALUES ($1, $2, $3, $4)")
                        .bind(id)
                        .bind(&a.description)
                        .bind(&a.owner)
                        .bind(a.due_at)
                        .execute(&mut *tx)
                        .await?;
                }
                replan(&mut tx, episode.child_id, event.recorded_at, recompute).await?;
                append_audit(&mut tx, &AuditEntry { entity: "meeting".into(), entity_id: Some(id.get()), ..audit.clone() }).await?;
                let meeting = load_meetings(&mut tx, "id", id.get()).await?.pop().ok_or(StoreError::NotFound)?;
                tx.commit().await?;
                self.schedule_changed.notify_one();
                Ok(meeting)
            }

            async fn meetings(&self, episode_id: EpisodeId) -> Result<Vec<Meeting>> {
                let mut conn = self.pool.acquire().await?;
                load_meetings(&mut conn, "episode_id", episode_id.get()).await
            }

            async fn meeting(&self, id: MeetingId) -> Result<Option<Meeting>> {
                let mut conn = self.pool.acquire().await?;
                Ok(load_meetings(&mut conn, "id", id.get()).await?.into_iter().next())
            }

            async fn meeting_action(&self, id: ActionId) -> Result<Option<MeetingAction>> {
                sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {ACTION_COLUMNS} FROM meeting_actions WHERE id = $1")))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .map(|r| action_row(&r))
                    .transpose()
            }

            async fn complete_action(&self, id: ActionId, at: Instant, audit: &AuditEntry) -> Result<MeetingAction> {
                let mut tx = self.begin_write().await?;
                let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "UPDATE meeting_actions SET done_at = COALESCE(done_at, $2) WHERE id = $1 RETURNING {ACTION_COLUMNS}"
                )))
                .bind(id)
                .bind(at)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
                let action = action_row(&row)?;
                append_audit(&mut tx, &AuditEntry { entity_id: Some(id.get()), ..audit.clone() }).await?;
                tx.commit().await?;
                Ok(action)
            }

            async fn record_interview(&self, episode_id: EpisodeId, i: &NewInterview, event: &NewEvent, recompute: crate::Recompute<'_>, audit: &AuditEntry) -> Result<Interview> {
                let mut tx = self.begin_write().await?;
                let (episode, record) = insert_event(&mut tx, episode_id, None, event).await?;
                let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO interviews (episode_id, event_id, version, outcome, at, interviewer, mode, push_factors, pull_factors, disclosures) \
                     VALUES ($1, $2, 1, $3, $4, $5, $6, $7, $8, $9) RETURNING {INTERVIEW_COLUMNS}"
                )))
                .bind(episode_id)
                .bind(record.id)
                .bind(i.outcome)
                .bind(i.at)
                .bind(&i.interviewer)
                .bind(i.mode.map(|m| m.as_str()))
                .bind(&i.push_factors)
                .bind(&i.pull_factors)
                .bind(&i.disclosures)
                .fetch_one(&mut *tx)
                .await?;
                let interview = interview_row(&row)?;
                replan(&mut tx, episode.child_id, event.recorded_at, recompute).await?;
                append_audit(&mut tx, &AuditEntry { entity: "interview".into(), entity_id: Some(interview.id.get()), ..audit.clone() }).await?;
                tx.commit().await?;
                self.schedule_changed.notify_one();
                Ok(interview)
            }

            async fn interviews(&self, episode_id: EpisodeId) -> Result<Vec<Interview>> {
                sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {INTERVIEW_COLUMNS} FROM interviews WHERE episode_id = $1 ORDER BY id")))
                    .bind(episode_id)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(interview_row)
                    .collect()
            }

            async fn interview(&self, id: InterviewId) -> Result<Option<Interview>> {
                sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {INTERVIEW_COLUMNS} FROM interviews WHERE id = $1")))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .map(|r| interview_row(&r))
                    .transpose()
            }

            async fn sign_off_interview(&self, id: InterviewId, expected_version: i64, user_id: UserId, at: Instant, audit: &AuditEntry) -> Result<Interview> {
                let mut tx = self.begin_write().await?;
                let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "UPDATE interviews SET signed_off_by = $1, signed_off_at = $2, version = version + 1 \
                     WHERE id = $3 AND version = $4 RETURNING {INTERVIEW_COLUMNS}"
                )))
                .bind(user_id)
                .bind(at)
                .bind(id)
                .bind(expected_version)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(row) = row else {
                    return Err(stale(&mut tx, "interviews", id.get()).await);
                };
                let interview = interview_row(&row)?;
                append_audit(&mut tx, &AuditEntry { entity: "interview".into(), entity_id: Some(id.get()), ..audit.clone() }).await?;
                tx.commit().await?;
                Ok(interview)
            }
        }
    };
}

pub(crate) use impl_episodes;
