//! Authorities, users, API tokens and sessions ([`crate::Accounts`]).

/// Implements [`crate::Accounts`] for a store type with a `pool` field.
macro_rules! impl_accounts {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl crate::Accounts for $store {
            async fn create_authority(&self, a: &NewAuthority) -> Result<Authority> {
                let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO authorities (code, name, protocol, police_force) VALUES ($1, $2, $3, $4) \
                     RETURNING {}",
                    AUTHORITY.trim_start_matches("SELECT ").trim_end_matches(" FROM authorities")
                )))
                .bind(&a.code)
                .bind(&a.name)
                .bind(a.protocol.map(|p| p.as_str()))
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
                .bind(u.role)
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

            async fn user(&self, id: UserId) -> Result<Option<User>> {
                sqlx::query(sqlx::AssertSqlSafe(format!("{USER} WHERE id = $1")))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .map(|r| user_row(&r))
                    .transpose()
            }

            async fn create_token(&self, user_id: UserId, token_hash: &str, label: &str, now: Instant) -> Result<()> {
                sqlx::query("INSERT INTO api_tokens (token_hash, user_id, label, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(token_hash)
                    .bind(user_id)
                    .bind(label)
                    .bind(now)
                    .execute(self.write_pool())
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

            async fn create_session(&self, id_hash: &str, user_id: UserId, csrf: &str, expires_at: Instant) -> Result<()> {
                sqlx::query("INSERT INTO sessions (id_hash, user_id, csrf_token, expires_at) VALUES ($1, $2, $3, $4)")
                    .bind(id_hash)
                    .bind(user_id)
                    .bind(csrf)
                    .bind(expires_at)
                    .execute(self.write_pool())
                    .await?;
                Ok(())
            }

            async fn session(&self, id_hash: &str, now: Instant) -> Result<Option<(User, String)>> {
                // One statement: the session and its active user.
                let row = sqlx::query(
                    "SELECT u.id, u.username, u.display_name, u.role, u.authority_id, u.password_hash, u.active, s.csrf_token \
                     FROM sessions s JOIN users u ON u.id = s.user_id \
                     WHERE s.id_hash = $1 AND s.expires_at > $2 AND u.active = 1",
                )
                .bind(id_hash)
                .bind(now)
                .fetch_optional(&self.pool)
                .await?;
                row.map(|r| Ok((user_row(&r)?, r.try_get("csrf_token")?))).transpose()
            }

            async fn user_names(&self, ids: &[UserId]) -> Result<Vec<(UserId, String)>> {
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let mut out = Vec::new();
                for chunk in ids.chunks(rows_per(1)) {
                    let sql = format!("SELECT id, display_name FROM users WHERE id IN ({})", PH.list(1, chunk.len()));
                    for r in bind_ids(sql, chunk).fetch_all(&self.pool).await? {
                        out.push((r.try_get("id")?, r.try_get("display_name")?));
                    }
                }
                Ok(out)
            }

            async fn delete_session(&self, id_hash: &str) -> Result<()> {
                sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash).execute(self.write_pool()).await?;
                Ok(())
            }
        }
    };
}

pub(crate) use impl_accounts;
