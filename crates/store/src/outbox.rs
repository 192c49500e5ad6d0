//! Notifications (issue 5) ([`crate::Notifications`]): the per-child schedule the scheduler
//! sleeps on, the outbox every message leaves through, acknowledgements, and per-authority
//! routing. The SQL is shared by both backends and expanded by [`impl_outbox!`].

use crate::model::{AuthorityId, ChildId, Instant, MessageId, MessageStatus, UserId};

/// A message to write to the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewOutbox {
    /// Derived from stable fields only (never row IDs): writing it twice is a no-op.
    pub idempotency_key: String,
    /// Shared by every message about one thing falling due; acknowledging one acknowledges all.
    pub topic: String,
    /// The authority whose routing chose the recipient.
    pub authority_id: AuthorityId,
    /// The child concerned, if any.
    pub child_id: Option<ChildId>,
    /// `escalation`, `notification`, `overdue`, `reescalation`, `daily_list` or `dead_letter`.
    pub kind: String,
    /// How many times this topic has been escalated up the manager chain (0 at first).
    pub level: i64,
    /// The role the message is addressed to.
    pub owner_role: String,
    /// `email` or `webhook`.
    pub channel: String,
    /// An e-mail address or a webhook URL.
    pub recipient: String,
    /// Template context (JSON).
    pub context: String,
    /// The instant that caused the message (a deadline, an activation, 08:00).
    pub due_at: Instant,
    /// When the message should be escalated again if nobody acknowledges it.
    pub reescalate_at: Option<Instant>,
}

/// A stored outbox message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxRecord {
    /// Row ID.
    pub id: MessageId,
    /// What the message was written as.
    pub message: NewOutbox,
    /// When it was written.
    pub created_at: Instant,
    /// Where it stands.
    pub status: MessageStatus,
    /// Delivery attempts so far.
    pub attempts: i64,
    /// When the next attempt may start.
    pub next_attempt_at: Instant,
    /// When it was delivered.
    pub delivered_at: Option<Instant>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When someone acknowledged it (or another message of its topic).
    pub acknowledged_at: Option<Instant>,
    /// Who acknowledged it.
    pub acknowledged_by: Option<UserId>,
}

/// Implements [`crate::Notifications`] for a store type with a `pool` field, `begin_write` and
/// `schedule_changed`.
macro_rules! impl_outbox {
    ($store:ty, $conn:ty) => {
        use crate::outbox::{NewOutbox, OutboxRecord};

        const OUTBOX: &str = "SELECT id, idempotency_key, topic, authority_id, child_id, kind, level, owner_role, channel, recipient, context, due_at, reescalate_at, created_at, status, attempts, next_attempt_at, delivered_at, last_error, acknowledged_at, acknowledged_by FROM outbox";

        fn outbox_row(r: &Row) -> Result<OutboxRecord> {
            Ok(OutboxRecord {
                id: r.try_get("id")?,
                message: NewOutbox {
                    idempotency_key: r.try_get("idempotency_key")?,
                    topic: r.try_get("topic")?,
                    authority_id: r.try_get("authority_id")?,
                    child_id: r.try_get("child_id")?,
                    kind: r.try_get("kind")?,
                    level: r.try_get("level")?,
                    owner_role: r.try_get("owner_role")?,
                    channel: r.try_get("channel")?,
                    recipient: r.try_get("recipient")?,
                    context: r.try_get("context")?,
                    due_at: r.try_get("due_at")?,
                    reescalate_at: r.try_get("reescalate_at")?,
                },
                created_at: r.try_get("created_at")?,
                status: r.try_get("status")?,
                attempts: r.try_get("attempts")?,
                next_attempt_at: r.try_get("next_attempt_at")?,
                delivered_at: r.try_get("delivered_at")?,
                last_error: r.try_get("last_error")?,
                acknowledged_at: r.try_get("acknowledged_at")?,
                acknowledged_by: r.try_get("acknowledged_by")?,
            })
        }

        /// Writes messages unless their idempotency key is already there; returns how many were new.
        async fn insert_outbox(conn: &mut $conn, rows: &[NewOutbox], now: Instant) -> Result<u64> {
            let mut added = 0;
            for m in rows {
                added += sqlx::query(
                    "INSERT INTO outbox (idempotency_key, topic, authority_id, child_id, kind, level, owner_role, channel, recipient, context, due_at, reescalate_at, created_at, next_attempt_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) ON CONFLICT (idempotency_key) DO NOTHING",
                )
                .bind(&m.idempotency_key)
                .bind(&m.topic)
                .bind(m.authority_id)
                .bind(m.child_id)
                .bind(&m.kind)
                .bind(m.level)
                .bind(&m.owner_role)
                .bind(&m.channel)
                .bind(&m.recipient)
                .bind(&m.context)
                .bind(m.due_at)
                .bind(m.reescalate_at)
                .bind(now)
                .execute(&mut *conn)
                .await?
                .rows_affected();
            }
            Ok(added)
        }

        #[async_trait::async_trait]
        impl crate::Notifications for $store {
            fn schedule_changed(&self) -> std::sync::Arc<tokio::sync::Notify> {
                self.schedule_changed.clone()
            }

            async fn seed_schedule(&self, now: Instant) -> Result<u64> {
                let mut tx = self.begin_write().await?;
                let n = sqlx::query(
                    "INSERT INTO child_schedule (child_id, next_check) SELECT id, $1 FROM children c \
                     WHERE NOT EXISTS (SELECT 1 FROM child_schedule s WHERE s.child_id = c.id)",
                )
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                tx.commit().await?;
                Ok(n)
            }

            async fn due_children(&self, now: Instant, limit: i64) -> Result<Vec<ChildId>> {
                sqlx::query("SELECT child_id FROM child_schedule WHERE next_check <= $1 ORDER BY next_check, child_id LIMIT CAST($2 AS BIGINT)")
                    .bind(now)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(|r| Ok(r.try_get("child_id")?))
                    .collect()
            }

            async fn schedule_child(&self, child_id: ChildId, now: Instant, schedule: crate::Schedule<'_>) -> Result<u64> {
                let mut tx = self.begin_write().await?;
                // Another worker may have handled the child since it was listed as due.
                let due = sqlx::query("SELECT 1 FROM child_schedule WHERE child_id = $1 AND next_check <= $2")
                    .bind(child_id)
                    .bind(now)
                    .fetch_optional(&mut *tx)
                    .await?;
                if due.is_none() {
                    return Ok(0);
                }
                let file = load_child_file(&mut tx, child_id).await?.ok_or(StoreError::NotFound)?;
                let stored = stored_obligations(&mut tx, &[child_id]).await?.remove(&child_id).unwrap_or_default();
                let (plan, messages) = schedule(&file, &stored).map_err(StoreError::Evaluation)?;
                crate::write::check_plan(child_id, &stored, &plan)?;
                write_plans(&mut tx, std::slice::from_ref(&file), std::slice::from_ref(&plan), now).await?;
                let added = insert_outbox(&mut tx, &messages, now).await?;
                tx.commit().await?;
                Ok(added)
            }

            async fn enqueue(&self, rows: &[NewOutbox], settle_topic: Option<&str>, now: Instant) -> Result<u64> {
                let mut tx = self.begin_write().await?;
                if let Some(topic) = settle_topic {
                    sqlx::query("UPDATE outbox SET reescalate_at = NULL WHERE topic = $1")
                        .bind(topic)
                        .execute(&mut *tx)
                        .await?;
                }
                let added = insert_outbox(&mut tx, rows, now).await?;
                tx.commit().await?;
                Ok(added)
            }

            async fn next_wake(&self) -> Result<Option<Instant>> {
                let row = sqlx::query(
                    "SELECT MIN(t) AS t FROM (SELECT MIN(next_check) AS t FROM child_schedule \
                     UNION ALL SELECT MIN(reescalate_at) AS t FROM outbox WHERE acknowledged_at IS NULL) x",
                )
                .fetch_one(&self.pool)
                .await?;
                Ok(row.try_get("t")?)
            }

            async fn next_attempt(&self) -> Result<Option<Instant>> {
                let row = sqlx::query(
                    "SELECT MIN(CASE WHEN lease_until IS NOT NULL AND lease_until > next_attempt_at THEN lease_until ELSE next_attempt_at END) AS t \
                     FROM outbox WHERE status = 'pending'",
                )
                .fetch_one(&self.pool)
                .await?;
                Ok(row.try_get("t")?)
            }

            async fn claim_outbox(&self, now: Instant, lease_until: Instant, limit: i64) -> Result<Vec<OutboxRecord>> {
                let mut tx = self.begin_write().await?;
                let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "{OUTBOX} WHERE status = 'pending' AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until <= $1) \
                     ORDER BY next_attempt_at, id LIMIT CAST($2 AS BIGINT)"
                )))
                .bind(now)
                .bind(limit)
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(outbox_row)
                .collect::<Result<Vec<_>>>()?;
                for r in &rows {
                    sqlx::query("UPDATE outbox SET lease_until = $2 WHERE id = $1")
                        .bind(r.id)
                        .bind(lease_until)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(rows)
            }

            async fn outbox_delivered(&self, id: MessageId, now: Instant) -> Result<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query("UPDATE outbox SET status = 'delivered', delivered_at = $2, attempts = attempts + 1, lease_until = NULL, last_error = NULL WHERE id = $1")
                    .bind(id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn outbox_failed(&self, id: MessageId, retry_at: Option<Instant>, error: &str, alert: &[NewOutbox], now: Instant) -> Result<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "UPDATE outbox SET attempts = attempts + 1, lease_until = NULL, last_error = $3, \
                     status = CASE WHEN $2 IS NULL THEN 'dead' ELSE 'pending' END, next_attempt_at = COALESCE($2, next_attempt_at) WHERE id = $1",
                )
                .bind(id)
                .bind(retry_at)
                .bind(error)
                .execute(&mut *tx)
                .await?;
                insert_outbox(&mut tx, alert, now).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn reescalations_due(&self, now: Instant, limit: i64) -> Result<Vec<OutboxRecord>> {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "{OUTBOX} WHERE reescalate_at <= $1 AND acknowledged_at IS NULL ORDER BY reescalate_at, id LIMIT CAST($2 AS BIGINT)"
                )))
                .bind(now)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(outbox_row)
                .collect()
            }

            async fn outbox_message(&self, id: MessageId) -> Result<Option<OutboxRecord>> {
                sqlx::query(sqlx::AssertSqlSafe(format!("{OUTBOX} WHERE id = $1")))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .map(|r| outbox_row(&r))
                    .transpose()
            }

            async fn acknowledge(&self, id: MessageId, user_id: Option<UserId>, now: Instant, audit: &AuditEntry) -> Result<OutboxRecord> {
                let mut tx = self.begin_write().await?;
                let row = sqlx::query(sqlx::AssertSqlSafe(format!("{OUTBOX} WHERE id = $1")))
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                let record = outbox_row(&row)?;
                // The first acknowledgement counts; acknowledging again changes nothing.
                sqlx::query(
                    "UPDATE outbox SET acknowledged_at = $2, acknowledged_by = $3, reescalate_at = NULL \
                     WHERE topic = $1 AND acknowledged_at IS NULL",
                )
                .bind(&record.message.topic)
                .bind(now)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
                append_audit(&mut tx, &AuditEntry { entity_id: Some(id.get()), child_id: record.message.child_id, ..audit.clone() }).await?;
                let row = sqlx::query(sqlx::AssertSqlSafe(format!("{OUTBOX} WHERE id = $1")))
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
                tx.commit().await?;
                outbox_row(&row)
            }

            async fn notifications(&self, authority_id: AuthorityId, status: Option<MessageStatus>, limit: i64) -> Result<Vec<OutboxRecord>> {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "{OUTBOX} WHERE authority_id = $1 AND ($2 = '' OR status = $2) ORDER BY id DESC LIMIT CAST($3 AS BIGINT)"
                )))
                .bind(authority_id)
                .bind(status.map_or("", |s| s.as_str()))
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(outbox_row)
                .collect()
            }

            async fn notification_secret(&self, candidate: &str) -> Result<String> {
                if candidate.len() < 16 {
                    return Err(StoreError::Constraint("a notification secret needs at least 16 characters".into()));
                }
                let mut tx = self.begin_write().await?;
                sqlx::query("INSERT INTO notification_secret (only_row, secret) VALUES (1, $1) ON CONFLICT (only_row) DO NOTHING")
                    .bind(candidate)
                    .execute(&mut *tx)
                    .await?;
                let row = sqlx::query("SELECT secret FROM notification_secret WHERE only_row = 1").fetch_one(&mut *tx).await?;
                tx.commit().await?;
                Ok(row.try_get("secret")?)
            }

            async fn set_routing(&self, authority_id: AuthorityId, routing: &str, audit: &AuditEntry) -> Result<Authority> {
                let mut tx = self.begin_write().await?;
                let row = sqlx::query("UPDATE authorities SET routing = $2 WHERE id = $1 RETURNING id, code, name, protocol, police_force, routing")
                    .bind(authority_id)
                    .bind(routing)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                // Who is told may have changed: the scheduler looks at every child again.
                sqlx::query("UPDATE child_schedule SET next_check = $1").bind(audit.at).execute(&mut *tx).await?;
                append_audit(&mut tx, &AuditEntry { entity_id: Some(authority_id.get()), ..audit.clone() }).await?;
                tx.commit().await?;
                self.schedule_changed.notify_one();
                authority_row(&row)
            }
        }
    };
}

pub(crate) use impl_outbox;
