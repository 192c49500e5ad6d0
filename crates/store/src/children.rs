//! Children's records, placements, documents and photos ([`crate::Children`]). A change that
//! can move the child's obligations (the record, a placement) writes the child's plan in its own
//! transaction.

/// Implements [`crate::Children`] for a store type with a `pool` field and `begin_write`.
macro_rules! impl_children {
    ($store:ty, $conn:ty) => {
        async fn insert_placement(conn: &mut $conn, child_id: ChildId, p: &NewPlacement) -> Result<Placement> {
            let row = sqlx::query(
                "INSERT INTO placements (child_id, responsible_authority_id, host_authority_id, legal_status, placement_type, police_force, travel_minutes, starts_on, change_reason) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 RETURNING id, child_id, responsible_authority_id, host_authority_id, legal_status, placement_type, police_force, travel_minutes, starts_on, ends_on, change_reason",
            )
            .bind(child_id)
            .bind(p.responsible_authority_id)
            .bind(p.host_authority_id)
            .bind(p.legal_status.as_str())
            .bind(p.placement_type.as_str())
            .bind(&p.police_force)
            .bind(p.travel_minutes)
            .bind(&p.starts_on)
            .bind(&p.change_reason)
            .fetch_one(&mut *conn)
            .await?;
            placement_row(&row)
        }

        /// Ends the child's current placement the day `p` starts and inserts `p`.
        async fn move_placement(conn: &mut $conn, child_id: ChildId, p: &NewPlacement) -> Result<Placement> {
            sqlx::query("UPDATE placements SET ends_on = $1 WHERE child_id = $2 AND ends_on IS NULL")
                .bind(&p.starts_on)
                .bind(child_id)
                .execute(&mut *conn)
                .await?;
            insert_placement(conn, child_id, p).await
        }

        /// Fails with `NotFound` unless the child exists (inside a write transaction).
        async fn require_child(conn: &mut $conn, child_id: ChildId) -> Result<()> {
            sqlx::query("SELECT id FROM children WHERE id = $1")
                .bind(child_id)
                .fetch_optional(&mut *conn)
                .await?
                .map(|_| ())
                .ok_or(StoreError::NotFound)
        }

        #[async_trait::async_trait]
        impl crate::Children for $store {
            async fn create_child(&self, f: &ChildFields, p: &NewPlacement, now: Instant, recompute: crate::Recompute<'_>, audit: &AuditEntry) -> Result<(Child, Placement)> {
                let mut tx = self.begin_write().await?;
                let row = sqlx::query(
                    "INSERT INTO children (version, name, dob, facts, created_at, updated_at) VALUES (1, $1, $2, $3, $4, $4) \
                     RETURNING id, version, name, dob, facts, created_at, updated_at",
                )
                .bind(&f.name)
                .bind(&f.dob)
                .bind(&f.facts)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                let child = child_row(&row)?;
                let placement = insert_placement(&mut tx, child.id, p).await?;
                replan(&mut tx, child.id, now, recompute).await?;
                append_audit(&mut tx, &AuditEntry { entity_id: Some(child.id.get()), child_id: Some(child.id), ..audit.clone() }).await?;
                tx.commit().await?;
                self.schedule_changed.notify_one();
                Ok((child, placement))
            }

            async fn child(&self, id: ChildId) -> Result<Option<Child>> {
                sqlx::query(sqlx::AssertSqlSafe(format!("{CHILD} WHERE id = $1")))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .map(|r| child_row(&r))
                    .transpose()
            }

            async fn update_child(&self, id: ChildId, expected_version: i64, f: &ChildFields, now: Instant, recompute: crate::Recompute<'_>, audit: &AuditEntry) -> Result<Child> {
                let mut tx = self.begin_write().await?;
                let row = sqlx::query(
                    "UPDATE children SET name = $1, dob = $2, facts = $3, updated_at = $4, version = version + 1 \
                     WHERE id = $5 AND version = $6 RETURNING id, version, name, dob, facts, created_at, updated_at",
                )
                .bind(&f.name)
                .bind(&f.dob)
                .bind(&f.facts)
                .bind(now)
                .bind(id)
                .bind(expected_version)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(row) = row else {
                    return Err(stale(&mut tx, "children", id.get()).await);
                };
                let child = child_row(&row)?;
                replan(&mut tx, id, now, recompute).await?;
                append_audit(&mut tx, audit).await?;
                tx.commit().await?;
                self.schedule_changed.notify_one();
                Ok(child)
            }

            async fn visible_to(&self, child: ChildId, authority: AuthorityId) -> Result<bool> {
                Ok(sqlx::query("SELECT 1 FROM child_visibility WHERE authority_id = $1 AND child_id = $2")
                    .bind(authority)
                    .bind(child)
                    .fetch_optional(&self.pool)
                    .await?
                    .is_some())
            }

            async fn placements(&self, child_id: ChildId) -> Result<Vec<Placement>> {
                sqlx::query(sqlx::AssertSqlSafe(format!("{PLACEMENT} WHERE child_id = $1 ORDER BY id")))
                    .bind(child_id)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(placement_row)
                    .collect()
            }

            async fn add_placement(&self, child_id: ChildId, p: &NewPlacement, now: Instant, recompute: crate::Recompute<'_>, audit: &AuditEntry) -> Result<Placement> {
                let mut tx = self.begin_write().await?;
                require_child(&mut tx, child_id).await?;
                let placement = move_placement(&mut tx, child_id, p).await?;
                sqlx::query("UPDATE children SET version = version + 1, updated_at = $2 WHERE id = $1")
                    .bind(child_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                replan(&mut tx, child_id, now, recompute).await?;
                append_audit(&mut tx, &AuditEntry { entity_id: Some(placement.id.get()), ..audit.clone() }).await?;
                tx.commit().await?;
                self.schedule_changed.notify_one();
                Ok(placement)
            }

            async fn add_document(&self, child_id: ChildId, kind: &str, body: &str, user_id: UserId, now: Instant, audit: &AuditEntry) -> Result<Document> {
                let mut tx = self.begin_write().await?;
                require_child(&mut tx, child_id).await?;
                let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO child_documents (child_id, kind, version, body, recorded_by, recorded_at) \
                     VALUES ($1, $2, (SELECT COALESCE(MAX(version), 0) + 1 FROM child_documents WHERE child_id = $1 AND kind = $2), $3, $4, $5) \
                     RETURNING {DOCUMENT_COLUMNS}"
                )))
                .bind(child_id)
                .bind(kind)
                .bind(body)
                .bind(user_id)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                let doc = document_row(&row)?;
                append_audit(&mut tx, &AuditEntry { entity_id: Some(doc.id.get()), ..audit.clone() }).await?;
                tx.commit().await?;
                Ok(doc)
            }

            async fn documents(&self, child_id: ChildId) -> Result<Vec<Document>> {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {DOCUMENT_COLUMNS} FROM child_documents WHERE child_id = $1 ORDER BY kind, version"
                )))
                .bind(child_id)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(document_row)
                .collect()
            }

            async fn add_photo(&self, child_id: ChildId, p: &NewPhoto, audit: &AuditEntry) -> Result<Photo> {
                let mut tx = self.begin_write().await?;
                require_child(&mut tx, child_id).await?;
                let row = sqlx::query(
                    "INSERT INTO child_photos (child_id, content_type, bytes, taken_on, uploaded_by, uploaded_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(child_id)
                .bind(&p.content_type)
                .bind(&p.bytes)
                .bind(&p.taken_on)
                .bind(p.uploaded_by)
                .bind(p.uploaded_at)
                .fetch_one(&mut *tx)
                .await?;
                let photo = Photo {
                    id: row.try_get("id")?,
                    child_id,
                    content_type: p.content_type.clone(),
                    bytes: p.bytes.clone(),
                    taken_on: p.taken_on.clone(),
                    uploaded_by: p.uploaded_by,
                    uploaded_at: p.uploaded_at,
                };
                append_audit(&mut tx, &AuditEntry { entity_id: Some(photo.id.get()), ..audit.clone() }).await?;
                tx.commit().await?;
                Ok(photo)
            }

            async fn latest_photo(&self, child_id: ChildId) -> Result<Option<Photo>> {
                sqlx::query(
                    "SELECT id, child_id, content_type, bytes, taken_on, uploaded_by, uploaded_at FROM child_photos \
                     WHERE child_id = $1 ORDER BY id DESC LIMIT 1",
                )
                .bind(child_id)
                .fetch_optional(&self.pool)
                .await?
                .map(|r| {
                    Ok(Photo {
                        id: r.try_get("id")?,
                        child_id: r.try_get("child_id")?,
                        content_type: r.try_get("content_type")?,
                        bytes: r.try_get("bytes")?,
                        taken_on: r.try_get("taken_on")?,
                        uploaded_by: r.try_get("uploaded_by")?,
                        uploaded_at: r.try_get("uploaded_at")?,
                    })
                })
                .transpose()
            }

            async fn child_records(&self, child_id: ChildId) -> Result<Option<crate::ChildRecords>> {
                self.child_records_sql(child_id).await
            }

            async fn child_file(&self, child_id: ChildId) -> Result<Option<ChildFile>> {
                let mut conn = self.pool.acquire().await?;
                load_child_file(&mut conn, child_id).await
            }
        }
    };
}

pub(crate) use impl_children;
