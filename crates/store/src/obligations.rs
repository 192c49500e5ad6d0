//! Stored obligations ([`crate::Obligations`]): read by ID or by child, and recomputed for
//! children outside a change of their own.

/// Implements [`crate::Obligations`] for a store type with a `pool` field and `begin_write`.
macro_rules! impl_obligations {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl crate::Obligations for $store {
            async fn obligation(&self, id: ObligationId) -> Result<Option<ObligationRecord>> {
                sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {OBLIGATION_COLUMNS} FROM obligations o WHERE o.id = $1")))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .map(|r| obligation_row(&r))
                    .transpose()
            }

            async fn child_obligations(&self, child_id: ChildId) -> Result<Vec<ObligationRecord>> {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {OBLIGATION_COLUMNS} FROM obligations o WHERE o.child_id = $1 \
                     ORDER BY CASE WHEN o.due IS NULL THEN 1 ELSE 0 END, o.due, o.rule, o.id"
                )))
                .bind(child_id)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(obligation_row)
                .collect()
            }

            async fn episode_obligations(&self, episode_id: EpisodeId) -> Result<Vec<ObligationRecord>> {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {OBLIGATION_COLUMNS} FROM obligations o WHERE o.episode_id = $1 AND o.ended IS NULL \
                     ORDER BY CASE WHEN o.due IS NULL THEN 1 ELSE 0 END, o.due, o.rule, o.id"
                )))
                .bind(episode_id)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(obligation_row)
                .collect()
            }

            async fn next_change(&self, child_id: ChildId) -> Result<Option<Instant>> {
                Ok(sqlx::query("SELECT next_change FROM child_schedule WHERE child_id = $1")
                    .bind(child_id)
                    .fetch_optional(&self.pool)
                    .await?
                    .map(|r| r.try_get("next_change"))
                    .transpose()?
                    .flatten())
            }

            async fn recompute(&self, children: &[ChildId], now: Instant, recompute: crate::Recompute<'_>) -> Result<()> {
                let mut tx = self.begin_write().await?;
                recompute_children(&mut tx, children, now, recompute).await?;
                tx.commit().await?;
                self.schedule_changed.notify_one();
                Ok(())
            }
        }
    };
}

pub(crate) use impl_obligations;
