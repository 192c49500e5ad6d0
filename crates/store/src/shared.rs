//! The SQL both backends share. SQLite and PostgreSQL accept the same statements here (`$N`
//! placeholders, `RETURNING`), so one body is expanded once per backend by
//! [`impl_repository!`]; what differs (opening, write transactions, backup) lives in
//! `sqlite.rs` and `postgres.rs`.

/// Implements [`crate::Repository`] for a store type with a `pool` field, an inherent
/// `begin_write` and `backup`, over the given connection type.
macro_rules! impl_repository {
    ($store:ty, $conn:ty, $backend:expr) => {
        use sqlx::Row as _;

        use crate::audit::row_hash;
        use crate::model::*;
        use crate::{Backend, Recompute, Repository, Result, StoreError};

        const CHILD: &str = "SELECT id, version, name, dob, facts, created_at, updated_at FROM children";
        const PLACEMENT: &str = "SELECT id, child_id, responsible_authority_id, host_authority_id, legal_status, placement_type, police_force, travel_minutes, starts_on, ends_on, change_reason FROM placements";
        const EPISODE: &str = "SELECT id, child_id, version, responsible_authority_id, host_authority_id, finder_authority_id, opened_at, closed_at FROM episodes";
        const EVENT: &str = "SELECT id, episode_id, at, body, recorded_by, recorded_at, corrects_event_id, correction_reason FROM events";
        const OBLIGATION: &str = "SELECT id, episode_id, child_id, authority_id, rule, share, owner_role, action, citation, activation, due, computed_at FROM obligations";
        const USER: &str = "SELECT id, username, display_name, role, authority_id, password_hash, active FROM users";
        const AUTHORITY: &str = "SELECT id, code, name, protocol, police_force, routing FROM authorities";

        fn authority_row(r: &<<$conn as sqlx::Connection>::Database as sqlx::Database>::Row) -> Result<Authority> {
            Ok(Authority {
                id: r.try_get("id")?,
                code: r.try_get("code")?,
                name: r.try_get("name")?,
                protocol: r.try_get("protocol")?,
                police_force: r.try_get("police_force")?,
                routing: r.try_get("routing")?,
            })
        }

        /// A `child_documents` row (columns id, child_id, kind, version, body, recorded_by,
        /// recorded_at), read the same way by the document pages and the pattern views.
        fn document_row(r: &<<$conn as sqlx::Connection>::Database as sqlx::Database>::Row) -> Result<Document> {
            Ok(Document {
                id: r.try_get("id")?,
                child_id: r.try_get("child_id")?,
                kind: r.try_get("kind")?,
                version: r.try_get("version")?,
                body: r.try_get("body")?,
                recorded_by: r.try_get("recorded_by")?,
                recorded_at: r.try_get("recorded_at")?,
            })
        }

        fn user_row(r: &<<$conn as sqlx::Connection>::Database as sqlx::Database>::Row) -> Result<User> {
            Ok(User {
                id: r.try_get("id")?,
                username: r.try_get("username")?,
                display_name: r.try_get("display_name")?,
                role: r.try_get("role")?,
                authority_id: r.try_get("authority_id")?,
                password_hash: r.try_get("password_hash")?,
                active: r.try_get::<i64, _>("active")? != 0,
            })
        }

        fn child_row(r: &<<$conn as sqlx::Connection>::Database as sqlx::Database>::Row) -> Result<Child> {
            Ok(Child {
                id: r.try_get("id")?,
                version: r.try_get("version")?,
                name: r.try_get("name")?,
                dob: r.try_get("dob")?,
                facts: r.try_get("facts")?,
                created_at: r.try_get("created_at")?,
                updated_at: r.try_get("updated_at")?,
            })
        }

        fn placement_row(r: &<<$conn as sqlx::Connection>::Database as sqlx::Database>::Row) -> Result<Placement> {
            Ok(Placement {
                id: r.try_get("id")?,
                child_id: r.try_get("child_id")?,
                responsible_authority_id: r.try_get("responsible_authority_id")?,
                host_authority_id: r.try_get("host_authority_id")?,
                legal_status: r.try_get("legal_status")?,
                placement_type: r.try_get("placement_type")?,
                police_force: r.try_get("police_force")?,
                travel_minutes: r.try_get("travel_minutes")?,
                starts_on: r.try_get("starts_on")?,
                ends_on: r.try_get("ends_on")?,
                change_reason: r.try_get("change_reason")?,
            })
        }

        fn episode_row(r: &<<$conn as sqlx::Connection>::Database as sqlx::Database>::Row) -> Result<Episode> {
            Ok(Episode {
                id: r.try_get("id")?,
                child_id: r.try_get("child_id")?,
                version: r.try_get("version")?,
                responsible_authority_id: r.try_get("responsible_authority_id")?,
                host_authority_id: r.try_get("host_authority_id")?,
                finder_authority_id: r.try_get("finder_authority_id")?,
                opened_at: r.try_get("opened_at")?,
                closed_at: r.try_get("closed_at")?,
            })
        }

        fn event_row(r: &<<$conn as sqlx::Connection>::Database as sqlx::Database>::Row) -> Result<EventRecord> {
            Ok(EventRecord {
                id: r.try_get("id")?,
                episode_id: r.try_get("episode_id")?,
                at: r.try_get("at")?,
                body: r.try_get("body")?,
                recorded_by: r.try_get("recorded_by")?,
                recorded_at: r.try_get("recorded_at")?,
                corrects_event_id: r.try_get("corrects_event_id")?,
                correction_reason: r.try_get("correction_reason")?,
            })
        }

        fn obligation_row(r: &<<$conn as sqlx::Connection>::Database as sqlx::Database>::Row) -> Result<ObligationRecord> {
            Ok(ObligationRecord {
                id: r.try_get("id")?,
                episode_id: r.try_get("episode_id")?,
                child_id: r.try_get("child_id")?,
                authority_id: r.try_get("authority_id")?,
                rule: r.try_get("rule")?,
                share: r.try_get("share")?,
                owner_role: r.try_get("owner_role")?,
                action: r.try_get("action")?,
                citation: r.try_get("citation")?,
                activation: r.try_get("activation")?,
                due: r.try_get("due")?,
                computed_at: r.try_get("computed_at")?,
            })
        }

        /// Appends an audit row inside the caller's transaction, extending the hash chain.
        async fn append_audit(conn: &mut $conn, e: &AuditEntry) -> Result<()> {
            // Updating the head first locks it (PostgreSQL row lock; SQLite already holds the
            // write lock), so concurrent writers extend the chain one at a time.
            sqlx::query("UPDATE audit_head SET last_id = last_id WHERE only_row = 1").execute(&mut *conn).await?;
            let head = sqlx::query("SELECT last_id, last_hash FROM audit_head WHERE only_row = 1").fetch_one(&mut *conn).await?;
            let (last_id, last_hash): (i64, String) = (head.try_get("last_id")?, head.try_get("last_hash")?);
            let id = last_id + 1;
            let hash = row_hash(id, &last_hash, e);
            sqlx::query(
                "INSERT INTO audit_log (id, at, user_id, action, entity, entity_id, child_id, remote_addr, prev_hash, hash) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(id)
            .bind(e.at)
            .bind(e.user_id)
            .bind(&e.action)
            .bind(&e.entity)
            .bind(e.entity_id)
            .bind(e.child_id)
            .bind(&e.remote_addr)
            .bind(&last_hash)
            .bind(&hash)
            .execute(&mut *conn)
            .await?;
            sqlx::query("UPDATE audit_head SET last_id = $1, last_hash = $2 WHERE only_row = 1")
                .bind(id)
                .bind(&hash)
                .execute(&mut *conn)
                .await?;
            Ok(())
        }

        async fn load_child_file(conn: &mut $conn, child_id: i64) -> Result<Option<ChildFile>> {
            let Some(child) = sqlx::query(sqlx::AssertSqlSafe(format!("{CHILD} WHERE id = $1")))
                .bind(child_id)
                .fetch_optional(&mut *conn)
                .await?
                .map(|r| child_row(&r))
                .transpose()?
            else {
                return Ok(None);
            };
            let placement = sqlx::query(sqlx::AssertSqlSafe(format!(
                "{PLACEMENT} WHERE child_id = $1 AND ends_on IS NULL ORDER BY id DESC LIMIT 1"
            )))
            .bind(child_id)
            .fetch_optional(&mut *conn)
            .await?
            .map(|r| placement_row(&r))
            .transpose()?;
            let episodes = sqlx::query(sqlx::AssertSqlSafe(format!("{EPISODE} WHERE child_id = $1 ORDER BY id")))
                .bind(child_id)
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(episode_row)
                .collect::<Result<Vec<_>>>()?;
            let events = sqlx::query(sqlx::AssertSqlSafe(format!(
                "{EVENT} WHERE episode_id IN (SELECT id FROM episodes WHERE child_id = $1) ORDER BY id"
            )))
            .bind(child_id)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(event_row)
            .collect::<Result<Vec<_>>>()?;
            let authorities = sqlx::query(sqlx::AssertSqlSafe(format!(
                "{AUTHORITY} WHERE id IN (SELECT responsible_authority_id FROM placements WHERE child_id = $1 \
                 UNION SELECT host_authority_id FROM placements WHERE child_id = $1 \
                 UNION SELECT responsible_authority_id FROM episodes WHERE child_id = $1 \
                 UNION SELECT host_authority_id FROM episodes WHERE child_id = $1 \
                 UNION SELECT finder_authority_id FROM episodes WHERE child_id = $1)"
            )))
            .bind(child_id)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(authority_row)
            .collect::<Result<Vec<_>>>()?;
            Ok(Some(ChildFile { child, placement, episodes, events, authorities }))
        }

        async fn replace_obligations(
            conn: &mut $conn,
            child_id: i64,
            now: i64,
            recompute: Recompute<'_>,
        ) -> Result<Vec<ObligationRecord>> {
            let file = load_child_file(conn, child_id).await?.ok_or(StoreError::NotFound)?;
            let computed = recompute(&file).map_err(StoreError::Evaluation)?;
            sqlx::query("DELETE FROM obligations WHERE child_id = $1").bind(child_id).execute(&mut *conn).await?;
            // The scheduler looks at the child again now (issue 5): its answer may have changed.
            sqlx::query("INSERT INTO child_schedule (child_id, next_check) VALUES ($1, $2) ON CONFLICT (child_id) DO UPDATE SET next_check = $2")
                .bind(child_id)
                .bind(now)
                .execute(&mut *conn)
                .await?;
            let mut out = Vec::with_capacity(computed.len());
            for o in computed {
                let id: i64 = sqlx::query(
                    "INSERT INTO obligations (episode_id, child_id, authority_id, rule, share, owner_role, action, citation, activation, due, computed_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
                )
                .bind(o.episode_id)
                .bind(child_id)
                .bind(o.authority_id)
                .bind(&o.rule)
                .bind(&o.share)
                .bind(&o.owner_role)
                .bind(&o.action)
                .bind(&o.citation)
                .bind(o.activation)
                .bind(o.due)
                .bind(now)
                .fetch_one(&mut *conn)
                .await?
                .try_get("id")?;
                out.push(ObligationRecord {
                    id,
                    episode_id: o.episode_id,
                    child_id,
                    authority_id: o.authority_id,
                    rule: o.rule,
                    share: o.share,
                    owner_role: o.owner_role,
                    action: o.action,
                    citation: o.citation,
                    activation: o.activation,
                    due: o.due,
                    computed_at: now,
                });
            }
            Ok(out)
        }

        const INTERVIEW_COLUMNS: &str = "id, episode_id, event_id, version, outcome, at, interviewer, mode, push_factors, pull_factors, disclosures, signed_off_by, signed_off_at";

        fn interview_row(r: &<<$conn as sqlx::Connection>::Database as sqlx::Database>::Row) -> Result<Interview> {
            Ok(Interview {
                id: r.try_get("id")?,
                episode_id: r.try_get("episode_id")?,
                event_id: r.try_get("event_id")?,
                version: r.try_get("version")?,
                outcome: r.try_get("outcome")?,
                at: r.try_get("at")?,
                interviewer: r.try_get("interviewer")?,
                mode: r.try_get("mode")?,
                push_factors: r.try_get("push_factors")?,
                pull_factors: r.try_get("pull_factors")?,
                disclosures: r.try_get("disclosures")?,
                signed_off_by: r.try_get("signed_off_by")?,
                signed_off_at: r.try_get("signed_off_at")?,
            })
        }

        /// Meetings whose `column` (`id` or `episode_id`) equals `value`, with their actions.
        fn action_row(a: &<<$conn as sqlx::Connection>::Database as sqlx::Database>::Row) -> Result<MeetingAction> {
            Ok(MeetingAction {
                id: a.try_get("id")?,
                meeting_id: a.try_get("meeting_id")?,
                description: a.try_get("description")?,
                owner: a.try_get("owner")?,
                due_at: a.try_get("due_at")?,
                done_at: a.try_get("done_at")?,
            })
        }

        async fn load_meetings(conn: &mut $conn, column: &'static str, value: i64) -> Result<Vec<Meeting>> {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT id, episode_id, event_id, meeting_type, held_at, chair, attendees, decisions FROM meetings WHERE {column} = $1 ORDER BY id"
            )))
            .bind(value)
            .fetch_all(&mut *conn)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                let id: i64 = r.try_get("id")?;
                let actions = sqlx::query("SELECT id, meeting_id, description, owner, due_at, done_at FROM meeting_actions WHERE meeting_id = $1 ORDER BY id")
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
                    meeting_type: r.try_get("meeting_type")?,
                    held_at: r.try_get("held_at")?,
                    chair: r.try_get("chair")?,
                    attendees: r.try_get("attendees")?,
                    decisions: r.try_get("decisions")?,
                    actions,
                });
            }
            Ok(out)
        }

        /// Why a versioned update matched no row: the record changed since it was read (a
        /// conflict with the version now stored) or it does not exist.
        async fn stale(conn: &mut $conn, table: &'static str, id: i64) -> StoreError {
            let current = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT version FROM {table} WHERE id = $1")))
                .bind(id)
                .fetch_optional(&mut *conn)
                .await;
            match current {
                Ok(Some(r)) => match r.try_get("version") {
                    Ok(current) => StoreError::Conflict { current },
                    Err(e) => e.into(),
                },
                Ok(None) => StoreError::NotFound,
                Err(e) => e.into(),
            }
        }

        /// Appends an event inside a transaction after bumping (and checking) the episode version.
        async fn insert_event(conn: &mut $conn, episode_id: i64, expected_version: Option<i64>, event: &NewEvent) -> Result<(Episode, EventRecord)> {
            let row = sqlx::query(
                "UPDATE episodes SET version = version + 1 WHERE id = $1 AND ($2 = 0 OR version = $2) \
                 RETURNING id, child_id, version, responsible_authority_id, host_authority_id, finder_authority_id, opened_at, closed_at",
            )
            .bind(episode_id)
            .bind(expected_version.unwrap_or(0))
            .fetch_optional(&mut *conn)
            .await?;
            let Some(row) = row else {
                    return Err(stale(&mut *conn, "episodes", episode_id).await);
                };
            let episode = episode_row(&row)?;
            if let Some((corrected, _)) = &event.correction {
                let found = sqlx::query("SELECT id FROM events WHERE id = $1 AND episode_id = $2")
                    .bind(corrected)
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

        async fn insert_placement(conn: &mut $conn, child_id: i64, p: &NewPlacement) -> Result<Placement> {
            let row = sqlx::query(
                "INSERT INTO placements (child_id, responsible_authority_id, host_authority_id, legal_status, placement_type, police_force, travel_minutes, starts_on, change_reason) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 RETURNING id, child_id, responsible_authority_id, host_authority_id, legal_status, placement_type, police_force, travel_minutes, starts_on, ends_on, change_reason",
            )
            .bind(child_id)
            .bind(p.responsible_authority_id)
            .bind(p.host_authority_id)
            .bind(&p.legal_status)
            .bind(&p.placement_type)
            .bind(&p.police_force)
            .bind(p.travel_minutes)
            .bind(&p.starts_on)
            .bind(&p.change_reason)
            .fetch_one(&mut *conn)
            .await?;
            placement_row(&row)
        }

        /// Ends the child's current placement the day `p` starts and inserts `p`.
        async fn move_placement(conn: &mut $conn, child_id: i64, p: &NewPlacement) -> Result<Placement> {
            sqlx::query("UPDATE placements SET ends_on = $1 WHERE child_id = $2 AND ends_on IS NULL")
                .bind(&p.starts_on)
                .bind(child_id)
                .execute(&mut *conn)
                .await?;
            insert_placement(conn, child_id, p).await
        }

        #[async_trait::async_trait]
        impl Repository for $store {
            fn backend(&self) -> Backend {
                $backend
            }

            async fn ping(&self) -> Result<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn create_authority(&self, a: &NewAuthority) -> Result<Authority> {
                let row = sqlx::query(
                    "INSERT INTO authorities (code, name, protocol, police_force) VALUES ($1, $2, $3, $4) \
                     RETURNING id, code, name, protocol, police_force, routing",
                )
                .bind(&a.code)
                .bind(&a.name)
                .bind(&a.protocol)
                .bind(&a.police_force)
                .fetch_one(&self.pool)
                .await?;
                authority_row(&row)
            }

            async fn authorities(&self) -> Result<Vec<Authority>> {
                sqlx::query(sqlx::AssertSqlSafe(format!("{AUTHORITY} ORDER BY name")))
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(authority_row)
                    .collect()
            }

            async fn create_user(&self, u: &NewUser) -> Result<User> {
                let row = sqlx::query(
                    "INSERT INTO users (username, display_name, role, authority_id, password_hash) VALUES ($1, $2, $3, $4, $5) \
                     RETURNING id, username, display_name, role, authority_id, password_hash, active",
                )
                .bind(&u.username)
                .bind(&u.display_name)
                .bind(&u.role)
                .bind(u.authority_id)
                .bind(&u.password_hash)
                .fetch_one(&self.pool)
                .await?;
                user_row(&row)
            }

            async fn user_by_username(&self, username: &str) -> Result<Option<User>> {
                sqlx::query(sqlx::AssertSqlSafe(format!("{USER} WHERE username = $1")))
                    .bind(username)
                    .fetch_optional(&self.pool)
                    .await?
                    .map(|r| user_row(&r))
                    .transpose()
            }

            async fn user(&self, id: i64) -> Result<Option<User>> {
                sqlx::query(sqlx::AssertSqlSafe(format!("{USER} WHERE id = $1")))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .map(|r| user_row(&r))
                    .transpose()
            }

            async fn create_token(&self, user_id: i64, token_hash: &str, label: &str, now: i64) -> Result<()> {
                sqlx::query("INSERT INTO api_tokens (token_hash, user_id, label, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(token_hash)
                    .bind(user_id)
                    .bind(label)
                    .bind(now)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn user_by_token(&self, token_hash: &str) -> Result<Option<User>> {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "{USER} WHERE active = 1 AND id = (SELECT user_id FROM api_tokens WHERE token_hash = $1)"
                )))
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?
                .map(|r| user_row(&r))
                .transpose()
            }

            async fn create_session(&self, id_hash: &str, user_id: i64, csrf: &str, expires_at: i64) -> Result<()> {
                sqlx::query("INSERT INTO sessions (id_hash, user_id, csrf_token, expires_at) VALUES ($1, $2, $3, $4)")
                    .bind(id_hash)
                    .bind(user_id)
                    .bind(csrf)
                    .bind(expires_at)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn session(&self, id_hash: &str, now: i64) -> Result<Option<(User, String)>> {
                let Some(row) = sqlx::query("SELECT user_id, csrf_token FROM sessions WHERE id_hash = $1 AND expires_at > $2")
                    .bind(id_hash)
                    .bind(now)
                    .fetch_optional(&self.pool)
                    .await?
                else {
                    return Ok(None);
                };
                let csrf: String = row.try_get("csrf_token")?;
                let user = self.user(row.try_get("user_id")?).await?;
                Ok(user.filter(|u| u.active).map(|u| (u, csrf)))
            }

            async fn delete_session(&self, id_hash: &str) -> Result<()> {
                sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash).execute(&self.pool).await?;
                Ok(())
            }

            async fn create_child(&self, f: &ChildFields, p: &NewPlacement, now: i64, audit: &AuditEntry) -> Result<(Child, Placement)> {
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
                append_audit(&mut tx, &AuditEntry { entity_id: Some(child.id), child_id: Some(child.id), ..audit.clone() }).await?;
                tx.commit().await?;
                Ok((child, placement))
            }

            async fn child(&self, id: i64) -> Result<Option<Child>> {
                sqlx::query(sqlx::AssertSqlSafe(format!("{CHILD} WHERE id = $1")))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .map(|r| child_row(&r))
                    .transpose()
            }

            async fn update_child(&self, id: i64, expected_version: i64, f: &ChildFields, now: i64, audit: &AuditEntry) -> Result<Child> {
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
                    return Err(stale(&mut tx, "children", id).await);
                };
                let child = child_row(&row)?;
                append_audit(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(child)
            }

            async fn children_for(&self, authority_id: i64, limit: i64, offset: i64) -> Result<Vec<Child>> {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "{CHILD} WHERE id IN ( \
                       SELECT child_id FROM placements WHERE ends_on IS NULL AND (responsible_authority_id = $1 OR host_authority_id = $1) \
                       UNION SELECT child_id FROM episodes WHERE responsible_authority_id = $1 OR host_authority_id = $1 OR finder_authority_id = $1) \
                     ORDER BY name, id LIMIT $2 OFFSET $3"
                )))
                .bind(authority_id)
                .bind(limit)
                .bind(offset)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(child_row)
                .collect()
            }

            async fn child_authorities(&self, child_id: i64) -> Result<Vec<i64>> {
                let rows = sqlx::query(
                    "SELECT responsible_authority_id AS a FROM placements WHERE child_id = $1 AND ends_on IS NULL \
                     UNION SELECT host_authority_id FROM placements WHERE child_id = $1 AND ends_on IS NULL \
                     UNION SELECT responsible_authority_id FROM episodes WHERE child_id = $1 \
                     UNION SELECT host_authority_id FROM episodes WHERE child_id = $1 \
                     UNION SELECT finder_authority_id FROM episodes WHERE child_id = $1 AND finder_authority_id IS NOT NULL",
                )
                .bind(child_id)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(|r| r.try_get::<i64, _>(0).map_err(StoreError::from)).collect()
            }

            async fn placements(&self, child_id: i64) -> Result<Vec<Placement>> {
                sqlx::query(sqlx::AssertSqlSafe(format!("{PLACEMENT} WHERE child_id = $1 ORDER BY id")))
                    .bind(child_id)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(placement_row)
                    .collect()
            }

            async fn add_placement(&self, child_id: i64, p: &NewPlacement, audit: &AuditEntry) -> Result<Placement> {
                let mut tx = self.begin_write().await?;
                let exists = sqlx::query("SELECT id FROM children WHERE id = $1").bind(child_id).fetch_optional(&mut *tx).await?;
                if exists.is_none() {
                    return Err(StoreError::NotFound);
                }
                let placement = move_placement(&mut tx, child_id, p).await?;
                sqlx::query("UPDATE children SET version = version + 1 WHERE id = $1").bind(child_id).execute(&mut *tx).await?;
                append_audit(&mut tx, &AuditEntry { entity_id: Some(placement.id), ..audit.clone() }).await?;
                tx.commit().await?;
                Ok(placement)
            }

            async fn add_document(&self, child_id: i64, kind: &str, body: &str, user_id: i64, now: i64, audit: &AuditEntry) -> Result<Document> {
                let mut tx = self.begin_write().await?;
                let exists = sqlx::query("SELECT id FROM children WHERE id = $1").bind(child_id).fetch_optional(&mut *tx).await?;
                if exists.is_none() {
                    return Err(StoreError::NotFound);
                }
                let row = sqlx::query(
                    "INSERT INTO child_documents (child_id, kind, version, body, recorded_by, recorded_at) \
                     VALUES ($1, $2, (SELECT COALESCE(MAX(version), 0) + 1 FROM child_documents WHERE child_id = $1 AND kind = $2), $3, $4, $5) \
                     RETURNING id, child_id, kind, version, body, recorded_by, recorded_at",
                )
                .bind(child_id)
                .bind(kind)
                .bind(body)
                .bind(user_id)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                let doc = document_row(&row)?;
                append_audit(&mut tx, &AuditEntry { entity_id: Some(doc.id), ..audit.clone() }).await?;
                tx.commit().await?;
                Ok(doc)
            }

            async fn documents(&self, child_id: i64) -> Result<Vec<Document>> {
                let rows = sqlx::query(
                    "SELECT id, child_id, kind, version, body, recorded_by, recorded_at FROM child_documents \
                     WHERE child_id = $1 ORDER BY kind, version",
                )
                .bind(child_id)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(document_row).collect()
            }

            async fn open_episode(&self, child_id: i64, now: i64, audit: &AuditEntry) -> Result<Episode> {
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
                     VALUES ($1, 1, $2, $3, $4) RETURNING id, child_id, version, responsible_authority_id, host_authority_id, finder_authority_id, opened_at, closed_at"
                )))
                .bind(child_id)
                .bind(placement.responsible_authority_id)
                .bind(placement.host_authority_id)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                let episode = episode_row(&row)?;
                append_audit(&mut tx, &AuditEntry { entity_id: Some(episode.id), ..audit.clone() }).await?;
                tx.commit().await?;
                Ok(episode)
            }

            async fn episode(&self, id: i64) -> Result<Option<Episode>> {
                sqlx::query(sqlx::AssertSqlSafe(format!("{EPISODE} WHERE id = $1")))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .map(|r| episode_row(&r))
                    .transpose()
            }

            async fn set_finder(&self, episode_id: i64, expected_version: i64, finder: Option<i64>, audit: &AuditEntry) -> Result<Episode> {
                let mut tx = self.begin_write().await?;
                let row = sqlx::query(
                    "UPDATE episodes SET finder_authority_id = $1, version = version + 1 WHERE id = $2 AND version = $3 \
                     RETURNING id, child_id, version, responsible_authority_id, host_authority_id, finder_authority_id, opened_at, closed_at",
                )
                .bind(finder)
                .bind(episode_id)
                .bind(expected_version)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(row) = row else {
                    return Err(stale(&mut tx, "episodes", episode_id).await);
                };
                let episode = episode_row(&row)?;
                append_audit(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(episode)
            }

            async fn child_file(&self, child_id: i64) -> Result<Option<ChildFile>> {
                let mut conn = self.pool.acquire().await?;
                load_child_file(&mut conn, child_id).await
            }

            async fn append_event(
                &self,
                episode_id: i64,
                expected_version: Option<i64>,
                event: &NewEvent,
                recompute: Recompute<'_>,
                audit: &AuditEntry,
            ) -> Result<(Episode, EventRecord, Vec<ObligationRecord>)> {
                let mut tx = self.begin_write().await?;
                let (episode, record) = insert_event(&mut tx, episode_id, expected_version, event).await?;
                let obligations = replace_obligations(&mut tx, episode.child_id, event.recorded_at, recompute).await?;
                append_audit(&mut tx, &AuditEntry { entity_id: Some(record.id), ..audit.clone() }).await?;
                tx.commit().await?;
                self.schedule_changed.notify_one();
                Ok((episode, record, obligations))
            }

            async fn record_meeting(
                &self,
                episode_id: i64,
                m: &NewMeeting,
                event: &NewEvent,
                recompute: Recompute<'_>,
                audit: &AuditEntry,
            ) -> Result<(Meeting, Vec<ObligationRecord>)> {
                let mut tx = self.begin_write().await?;
                let (episode, record) = insert_event(&mut tx, episode_id, None, event).await?;
                let id: i64 = sqlx::query(
                    "INSERT INTO meetings (episode_id, event_id, meeting_type, held_at, chair, attendees, decisions) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                )
                .bind(episode_id)
                .bind(record.id)
                .bind(&m.meeting_type)
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
                let obligations = replace_obligations(&mut tx, episode.child_id, event.recorded_at, recompute).await?;
                append_audit(&mut tx, &AuditEntry { entity: "meeting".into(), entity_id: Some(id), ..audit.clone() }).await?;
                let meeting = load_meetings(&mut tx, "id", id).await?.pop().ok_or(StoreError::NotFound)?;
                tx.commit().await?;
                self.schedule_changed.notify_one();
                Ok((meeting, obligations))
            }

            async fn meetings(&self, episode_id: i64) -> Result<Vec<Meeting>> {
                let mut conn = self.pool.acquire().await?;
                load_meetings(&mut conn, "episode_id", episode_id).await
            }

            async fn record_interview(
                &self,
                episode_id: i64,
                i: &NewInterview,
                event: &NewEvent,
                recompute: Recompute<'_>,
                audit: &AuditEntry,
            ) -> Result<(Interview, Vec<ObligationRecord>)> {
                let mut tx = self.begin_write().await?;
                let (episode, record) = insert_event(&mut tx, episode_id, None, event).await?;
                let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO interviews (episode_id, event_id, version, outcome, at, interviewer, mode, push_factors, pull_factors, disclosures) \
                     VALUES ($1, $2, 1, $3, $4, $5, $6, $7, $8, $9) RETURNING {INTERVIEW_COLUMNS}"
                )))
                .bind(episode_id)
                .bind(record.id)
                .bind(&i.outcome)
                .bind(i.at)
                .bind(&i.interviewer)
                .bind(&i.mode)
                .bind(&i.push_factors)
                .bind(&i.pull_factors)
                .bind(&i.disclosures)
                .fetch_one(&mut *tx)
                .await?;
                let interview = interview_row(&row)?;
                let obligations = replace_obligations(&mut tx, episode.child_id, event.recorded_at, recompute).await?;
                append_audit(&mut tx, &AuditEntry { entity: "interview".into(), entity_id: Some(interview.id), ..audit.clone() }).await?;
                tx.commit().await?;
                self.schedule_changed.notify_one();
                Ok((interview, obligations))
            }

            async fn interviews(&self, episode_id: i64) -> Result<Vec<Interview>> {
                sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {INTERVIEW_COLUMNS} FROM interviews WHERE episode_id = $1 ORDER BY id")))
                    .bind(episode_id)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(interview_row)
                    .collect()
            }

            async fn interview(&self, id: i64) -> Result<Option<Interview>> {
                sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {INTERVIEW_COLUMNS} FROM interviews WHERE id = $1")))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .map(|r| interview_row(&r))
                    .transpose()
            }

            async fn sign_off_interview(&self, id: i64, expected_version: i64, user_id: i64, at: i64, audit: &AuditEntry) -> Result<Interview> {
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
                    return Err(stale(&mut tx, "interviews", id).await);
                };
                let interview = interview_row(&row)?;
                append_audit(&mut tx, &AuditEntry { entity: "interview".into(), entity_id: Some(id), ..audit.clone() }).await?;
                tx.commit().await?;
                Ok(interview)
            }

            async fn recompute(&self, child_id: i64, now: i64, recompute: Recompute<'_>) -> Result<Vec<ObligationRecord>> {
                let mut tx = self.begin_write().await?;
                let out = replace_obligations(&mut tx, child_id, now, recompute).await?;
                tx.commit().await?;
                self.schedule_changed.notify_one();
                Ok(out)
            }

            async fn obligations(&self, f: &ObligationFilter) -> Result<Vec<ObligationRecord>> {
                if f.authority_ids.is_empty() {
                    return Ok(Vec::new());
                }
                let list: Vec<String> = (0..f.authority_ids.len()).map(|i| format!("${}", i + 5)).collect();
                let sql = format!(
                    "{OBLIGATION} WHERE ($1 = '' OR owner_role = $1) AND ($2 = 0 OR (due IS NOT NULL AND due < $3)) \
                     AND ($4 = 0 OR (due IS NOT NULL AND due >= $4)) AND authority_id IN ({}) \
                     ORDER BY CASE WHEN due IS NULL THEN 1 ELSE 0 END, due, rule, id LIMIT {} OFFSET {}",
                    list.join(", "),
                    f.limit.max(0),
                    f.offset.max(0)
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(f.owner_role.clone().unwrap_or_default())
                    .bind(i64::from(f.due_before.is_some()))
                    .bind(f.due_before.unwrap_or(0))
                    .bind(f.due_from.unwrap_or(0));
                for a in &f.authority_ids {
                    q = q.bind(*a);
                }
                q.fetch_all(&self.pool).await?.iter().map(obligation_row).collect()
            }

            async fn child_obligations(&self, child_id: i64) -> Result<Vec<ObligationRecord>> {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "{OBLIGATION} WHERE child_id = $1 ORDER BY CASE WHEN due IS NULL THEN 1 ELSE 0 END, due, rule, id"
                )))
                .bind(child_id)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(obligation_row)
                .collect()
            }

            async fn bulk_load(&self, children: &[BulkChild], user_id: i64, audit: &AuditEntry) -> Result<()> {
                let mut tx = self.begin_write().await?;
                for c in children {
                    let child_id: i64 = sqlx::query(
                        "INSERT INTO children (version, name, dob, facts, created_at, updated_at) VALUES (1, $1, $2, $3, $4, $4) RETURNING id",
                    )
                    .bind(&c.fields.name)
                    .bind(&c.fields.dob)
                    .bind(&c.fields.facts)
                    .bind(c.created_at)
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get("id")?;
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
                    let mut events: Vec<(i64, i64, &str)> = Vec::new();
                    let mut obligations: Vec<(i64, &NewObligation)> = Vec::new();
                    for e in &c.episodes {
                        let episode_id: i64 = sqlx::query(
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
                        obligations.extend(e.obligations.iter().map(|o| (episode_id, o)));
                    }
                    // At most 150 rows per statement keeps within every backend's parameter limit.
                    for chunk in events.chunks(150) {
                        let rows: Vec<String> = (0..chunk.len()).map(|i| format!("(${}, ${}, ${}, $1, $2)", 3 + 3 * i, 4 + 3 * i, 5 + 3 * i)).collect();
                        let sql = format!("INSERT INTO events (episode_id, at, body, recorded_by, recorded_at) VALUES {}", rows.join(", "));
                        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(user_id).bind(c.created_at);
                        for (episode_id, at, body) in chunk {
                            q = q.bind(*episode_id).bind(*at).bind(*body);
                        }
                        q.execute(&mut *tx).await?;
                    }
                    for chunk in obligations.chunks(50) {
                        let rows: Vec<String> = (0..chunk.len())
                            .map(|i| {
                                let b = 3 + 9 * i;
                                let p: Vec<String> = (b..b + 9).map(|n| format!("${n}")).collect();
                                format!("({}, $1, {}, $2)", p[0], p[1..].join(", "))
                            })
                            .collect();
                        let sql = format!(
                            "INSERT INTO obligations (episode_id, child_id, authority_id, rule, share, owner_role, action, citation, activation, due, computed_at) VALUES {}",
                            rows.join(", ")
                        );
                        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(child_id).bind(c.created_at);
                        for (episode_id, o) in chunk {
                            q = q
                                .bind(*episode_id)
                                .bind(o.authority_id)
                                .bind(&o.rule)
                                .bind(&o.share)
                                .bind(&o.owner_role)
                                .bind(&o.action)
                                .bind(&o.citation)
                                .bind(o.activation)
                                .bind(o.due);
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
                append_audit(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn obligation(&self, id: i64) -> Result<Option<ObligationRecord>> {
                sqlx::query(sqlx::AssertSqlSafe(format!("{OBLIGATION} WHERE id = $1")))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .map(|r| obligation_row(&r))
                    .transpose()
            }

            async fn audit(&self, entries: &[AuditEntry]) -> Result<()> {
                let mut tx = self.begin_write().await?;
                for entry in entries {
                    append_audit(&mut tx, entry).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn audit_log(&self) -> Result<(Vec<AuditRecord>, (i64, String))> {
                let rows = sqlx::query(
                    "SELECT id, at, user_id, action, entity, entity_id, child_id, remote_addr, prev_hash, hash FROM audit_log ORDER BY id",
                )
                .fetch_all(&self.pool)
                .await?;
                let records = rows
                    .iter()
                    .map(|r| {
                        Ok(AuditRecord {
                            id: r.try_get("id")?,
                            at: r.try_get("at")?,
                            user_id: r.try_get("user_id")?,
                            action: r.try_get("action")?,
                            entity: r.try_get("entity")?,
                            entity_id: r.try_get("entity_id")?,
                            child_id: r.try_get("child_id")?,
                            remote_addr: r.try_get("remote_addr")?,
                            prev_hash: r.try_get("prev_hash")?,
                            hash: r.try_get("hash")?,
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                let head = sqlx::query("SELECT last_id, last_hash FROM audit_head WHERE only_row = 1").fetch_one(&self.pool).await?;
                Ok((records, (head.try_get("last_id")?, head.try_get("last_hash")?)))
            }

            async fn backup_to(&self, path: &std::path::Path) -> Result<()> {
                self.backup(path).await
            }

            // Patterns: the SQL lives in patterns.rs.
            async fn pattern_files(&self, authority_id: i64) -> Result<Vec<PatternFile>> {
                self.load_pattern_files(authority_id).await
            }

            // --- charts (web::charts) ---
            async fn episodes_involving(&self, authority_id: i64, since: i64) -> Result<Vec<(Episode, Vec<EventRecord>)>> {
                const INVOLVING: &str = "(responsible_authority_id = $1 OR host_authority_id = $1 OR finder_authority_id = $1) AND opened_at >= $2";
                let episodes = sqlx::query(sqlx::AssertSqlSafe(format!("{EPISODE} WHERE {INVOLVING} ORDER BY opened_at, id")))
                    .bind(authority_id)
                    .bind(since)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(episode_row)
                    .collect::<Result<Vec<_>>>()?;
                let mut events: std::collections::HashMap<i64, Vec<EventRecord>> = std::collections::HashMap::new();
                let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "{EVENT} WHERE episode_id IN (SELECT id FROM episodes WHERE {INVOLVING}) ORDER BY at, id"
                )))
                .bind(authority_id)
                .bind(since)
                .fetch_all(&self.pool)
                .await?;
                for r in &rows {
                    let e = event_row(r)?;
                    events.entry(e.episode_id).or_default().push(e);
                }
                Ok(episodes
                    .into_iter()
                    .map(|ep| {
                        let evs = events.remove(&ep.id).unwrap_or_default();
                        (ep, evs)
                    })
                    .collect())
            }

            // --- caseworker pages (web::ui) ---
            async fn meeting(&self, id: i64) -> Result<Option<Meeting>> {
                let mut conn = self.pool.acquire().await?;
                Ok(load_meetings(&mut conn, "id", id).await?.into_iter().next())
            }

            async fn complete_action(&self, id: i64, at: i64, audit: &AuditEntry) -> Result<MeetingAction> {
                let mut tx = self.begin_write().await?;
                let row = sqlx::query(
                    "UPDATE meeting_actions SET done_at = COALESCE(done_at, $2) WHERE id = $1 \
                     RETURNING id, meeting_id, description, owner, due_at, done_at",
                )
                .bind(id)
                .bind(at)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
                let action = action_row(&row)?;
                append_audit(&mut tx, &AuditEntry { entity_id: Some(id), ..audit.clone() }).await?;
                tx.commit().await?;
                Ok(action)
            }

            async fn meeting_action(&self, id: i64) -> Result<Option<MeetingAction>> {
                sqlx::query("SELECT id, meeting_id, description, owner, due_at, done_at FROM meeting_actions WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .map(|r| action_row(&r))
                    .transpose()
            }

            async fn add_photo(&self, child_id: i64, p: &NewPhoto, audit: &AuditEntry) -> Result<Photo> {
                let mut tx = self.begin_write().await?;
                let exists = sqlx::query("SELECT id FROM children WHERE id = $1").bind(child_id).fetch_optional(&mut *tx).await?;
                if exists.is_none() {
                    return Err(StoreError::NotFound);
                }
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
                append_audit(&mut tx, &AuditEntry { entity_id: Some(photo.id), ..audit.clone() }).await?;
                tx.commit().await?;
                Ok(photo)
            }

            async fn latest_photo(&self, child_id: i64) -> Result<Option<Photo>> {
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

            // ---- Notifications (issue 5): the SQL is in outbox.rs ----
            fn schedule_changed(&self) -> std::sync::Arc<tokio::sync::Notify> {
                self.schedule_changed.clone()
            }
            async fn seed_schedule(&self, now: i64) -> Result<u64> {
                self.outbox_seed_schedule(now).await
            }
            async fn due_children(&self, now: i64, limit: i64) -> Result<Vec<i64>> {
                self.outbox_due_children(now, limit).await
            }
            async fn schedule_child(&self, child_id: i64, now: i64, schedule: crate::Schedule<'_>) -> Result<u64> {
                self.outbox_schedule_child(child_id, now, schedule).await
            }
            async fn enqueue(&self, messages: &[NewOutbox], settle_topic: Option<&str>, now: i64) -> Result<u64> {
                self.outbox_enqueue(messages, settle_topic, now).await
            }
            async fn next_wake(&self) -> Result<Option<i64>> {
                self.outbox_next_wake().await
            }
            async fn next_attempt(&self) -> Result<Option<i64>> {
                self.outbox_next_attempt().await
            }
            async fn claim_outbox(&self, now: i64, lease_until: i64, limit: i64) -> Result<Vec<OutboxRecord>> {
                self.outbox_claim(now, lease_until, limit).await
            }
            async fn outbox_delivered(&self, id: i64, now: i64) -> Result<()> {
                <$store>::outbox_delivered(self, id, now).await
            }
            async fn outbox_failed(&self, id: i64, retry_at: Option<i64>, error: &str, alert: &[NewOutbox], now: i64) -> Result<()> {
                <$store>::outbox_failed(self, id, retry_at, error, alert, now).await
            }
            async fn reescalations_due(&self, now: i64, limit: i64) -> Result<Vec<OutboxRecord>> {
                self.outbox_reescalations_due(now, limit).await
            }
            async fn outbox_message(&self, id: i64) -> Result<Option<OutboxRecord>> {
                <$store>::outbox_message(self, id).await
            }
            async fn acknowledge(&self, id: i64, user_id: Option<i64>, now: i64, audit: &AuditEntry) -> Result<OutboxRecord> {
                self.outbox_acknowledge(id, user_id, now, audit).await
            }
            async fn notifications(&self, authority_id: i64, status: Option<&str>, limit: i64) -> Result<Vec<OutboxRecord>> {
                self.outbox_list(authority_id, status, limit).await
            }
            async fn notification_secret(&self, candidate: &str) -> Result<String> {
                self.outbox_secret(candidate).await
            }
            async fn set_routing(&self, authority_id: i64, routing: &str, audit: &AuditEntry) -> Result<Authority> {
                self.outbox_set_routing(authority_id, routing, audit).await
            }
            async fn open_episodes(&self, authority_id: i64) -> Result<Vec<OpenEpisode>> {
                self.outbox_open_episodes(authority_id).await
            }

            // --- exchange: SQL in exchange.rs ---
            async fn exchange_snapshot(&self, opened_from: i64, opened_to: i64, children: crate::SnapshotChildren, visit: crate::EpisodeVisitor<'_>) -> Result<crate::ExchangeSnapshot> {
                self.exchange_snapshot_sql(opened_from, opened_to, children, visit).await
            }

            async fn import_events(&self, children: &[crate::ImportChild], recompute: Recompute<'_>, audit: &AuditEntry) -> Result<crate::ImportOutcome> {
                self.import_events_sql(children, recompute, audit).await
            }

            async fn import_candidates(&self, child_ids: &[i64], names: &[String], opened_from: i64) -> Result<crate::ImportCandidates> {
                self.import_candidates_sql(child_ids, names, opened_from).await
            }
        }
    };
}

pub(crate) use impl_repository;
