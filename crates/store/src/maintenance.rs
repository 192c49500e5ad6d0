//! Running the store ([`crate::Maintenance`]): health, backups and bulk loading of synthetic
//! data.

/// Implements [`crate::Maintenance`] for a store type with a `pool` field, `begin_write` and
/// `backup`.
macro_rules! impl_maintenance {
    ($store:ty, $backend:expr) => {
        #[async_trait::async_trait]
        impl crate::Maintenance for $store {
            fn backend(&self) -> crate::Backend {
                $backend
            }

            async fn ping(&self) -> Result<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn backup_to(&self, path: &std::path::Path) -> Result<()> {
                self.backup(path).await
            }

            async fn bulk_load(&self, children: &[BulkChild], user_id: UserId, recompute: crate::Recompute<'_>, audit: &AuditEntry) -> Result<()> {
                let mut tx = self.begin_write().await?;
                let mut ids = Vec::with_capacity(children.len());
                for c in children {
                    let child_id: ChildId = sqlx::query(
                        "INSERT INTO children (version, name, dob, facts, created_at, updated_at) VALUES (1, $1, $2, $3, $4, $4) RETURNING id",
                    )
                    .bind(&c.fields.name)
                    .bind(&c.fields.dob)
                    .bind(&c.fields.facts)
                    .bind(c.created_at)
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get("id")?;
                    ids.push(child_id);
                    // The first placement ends nothing: one statement fewer for most children.
                    let mut placements = c.earlier_placements.iter().chain([&c.placement]);
                    if let Some(first) = placements.next() {
                        insert_placement(&mut tx, child_id, first).await?;
                    }
                    for p in placements {
                        move_placement(&mut tx, child_id, p).await?;
                    }
                    // One statement per table per child: a statement costs a round trip to the
                    // database thread, which dominates bulk loading.
                    let mut events: Vec<(EpisodeId, Instant, &str)> = Vec::new();
                    for e in &c.episodes {
                        let episode_id: EpisodeId = sqlx::query(
                            "INSERT INTO episodes (child_id, version, responsible_authority_id, host_authority_id, opened_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                        )
                        .bind(child_id)
                        .bind(1 + e.events.len() as i64)
                        .bind(c.placement.responsible_authority_id)
                        .bind(c.placement.host_authority_id)
                        .bind(e.opened_at)
                        .fetch_one(&mut *tx)
                        .await?
                        .try_get("id")?;
                        events.extend(e.events.iter().map(|(at, body)| (episode_id, *at, body.as_str())));
                    }
                    for chunk in events.chunks(rows_per(5)) {
                        let sql = format!(
                            "INSERT INTO events (episode_id, at, body, recorded_by, recorded_at) VALUES {}",
                            PH.values(1, chunk.len(), 5)
                        );
                        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                        for (episode_id, at, body) in chunk {
                            q = q.bind(*episode_id).bind(*at).bind(*body).bind(user_id).bind(c.created_at);
                        }
                        q.execute(&mut *tx).await?;
                    }
                    for (kind, body) in &c.documents {
                        sqlx::query(
                            "INSERT INTO child_documents (child_id, kind, version, body, recorded_by, recorded_at) VALUES ($1, $2, 1, $3, $4, $5)",
                        )
                        .bind(child_id)
                        .bind(kind)
                        .bind(body)
                        .bind(user_id)
                        .bind(c.created_at)
                        .execute(&mut *tx)
                        .await?;
                    }
                }
                // Every child's plan, as any change would write it.
                recompute_children(&mut tx, &ids, audit.at, recompute).await?;
                append_audit(&mut tx, audit).await?;
                tx.commit().await?;
                self.schedule_changed.notify_one();
                Ok(())
            }
        }
    };
}

pub(crate) use impl_maintenance;
