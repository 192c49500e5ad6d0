//! Accounts and sign-in: argon2id password hashes, sessions with a CSRF token, API tokens, and
//! throttling of failed sign-ins per user name and per address, in a bounded map. Making an
//! [`Actor`] is this module's job alone.

use std::collections::HashMap;
use std::sync::Mutex;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use jiff::{SignedDuration, Timestamp};
use sha2::{Digest, Sha256};
use store::{NewUser, Role, User};

use crate::access::Actor;
use crate::{CaseError, Casework, Result};

/// How long a session lasts.
pub const SESSION_HOURS: i64 = 12;

/// A started session: the secrets the browser keeps (never stored: only their hashes are).
#[derive(Debug)]
pub struct Credentials {
    /// Who signed in.
    pub user: User,
    /// The session ID (the cookie's value).
    pub session: String,
    /// The session's CSRF token.
    pub csrf: String,
    /// When the session ends.
    pub expires: Timestamp,
}

/// Hashes a password with argon2id and a random salt.
pub fn hash_password(password: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(CaseError::internal)?;
    let salt = SaltString::encode_b64(&salt).map_err(CaseError::internal)?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(CaseError::internal)
}

/// Whether a password matches a stored hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A fresh random secret (session ID, CSRF or API token), hex.
pub fn random_secret() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(CaseError::internal)?;
    Ok(hex::encode(bytes))
}

/// The stored form of a secret: secrets themselves are never stored or logged.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Whether a CSRF token sent with a change is the session's (compared as hashes, so the
/// comparison takes the same time wherever the strings differ).
pub fn csrf_matches(sent: &str, csrf: &str) -> bool {
    !sent.is_empty() && secret_hash(sent) == secret_hash(csrf)
}

/// Failed sign-ins within a sliding window, per user name and per address. Each map holds at
/// most [`Throttle::KEYS`] keys: past that, keys whose failures have all expired go first, then
/// the key failed least recently, so a spray of made-up names cannot grow the server's memory.
/// An attempt counts as a failure from the moment it starts (a success clears it), so parallel
/// guesses cannot slip past the limit while their passwords are being checked.
#[derive(Default)]
pub struct Throttle {
    users: Mutex<Failures>,
    addresses: Mutex<Failures>,
}

#[derive(Default)]
struct Failures(HashMap<String, Vec<Timestamp>>);

impl Failures {
    /// Counts an attempt unless the key is already at `limit`; `false` when blocked.
    fn attempt(&mut self, key: &str, limit: usize, now: Timestamp) -> bool {
        let live = |t: &Timestamp| now.duration_since(*t) < Throttle::WINDOW;
        if let Some(list) = self.0.get_mut(key) {
            list.retain(live);
            if list.len() >= limit {
                return false;
            }
            list.push(now);
            return true;
        }
        if self.0.len() >= Throttle::KEYS {
            self.0.retain(|_, list| list.iter().any(live));
        }
        if self.0.len() >= Throttle::KEYS
            && let Some(oldest) = self
                .0
                .iter()
                .min_by_key(|(_, list)| list.last().copied())
                .map(|(k, _)| k.clone())
        {
            self.0.remove(&oldest);
        }
        self.0.insert(key.to_owned(), vec![now]);
        true
    }

    /// Takes back the attempt counted at `at` (it succeeded).
    fn forgive(&mut self, key: &str, at: Timestamp) {
        if let Some(list) = self.0.get_mut(key) {
            if let Some(i) = list.iter().rposition(|t| *t == at) {
                list.remove(i);
            }
            if list.is_empty() {
                self.0.remove(key);
            }
        }
    }

    fn len(&self) -> usize {
        self.0.len()
    }
}

impl Throttle {
    const WINDOW: SignedDuration = SignedDuration::from_mins(15);
    /// Failures per user name within the window.
    const PER_USER: usize = 5;
    /// Failures per address within the window (an office behind one address shares it).
    const PER_ADDRESS: usize = 50;
    /// Most keys each map holds.
    pub const KEYS: usize = 10_000;

    /// Counts a sign-in attempt; `false` if the user name or the address is blocked.
    pub fn attempt(&self, username: &str, address: &str, now: Timestamp) -> bool {
        let mut users = self.users.lock().unwrap_or_else(|p| p.into_inner());
        let mut addresses = self.addresses.lock().unwrap_or_else(|p| p.into_inner());
        if !addresses.attempt(address, Self::PER_ADDRESS, now) {
            return false;
        }
        if !users.attempt(username, Self::PER_USER, now) {
            addresses.forgive(address, now);
            return false;
        }
        true
    }

    /// The attempt made at `at` succeeded: it does not count against the user or the address.
    pub fn succeeded(&self, username: &str, address: &str, at: Timestamp) {
        self.users
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .forgive(username, at);
        self.addresses
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .forgive(address, at);
    }

    /// How many user names and addresses are tracked.
    pub fn tracked(&self) -> (usize, usize) {
        (
            self.users.lock().unwrap_or_else(|p| p.into_inner()).len(),
            self.addresses
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .len(),
        )
    }
}

/// A hash to check passwords against when the user name is unknown, so that an unknown name
/// takes as long to refuse as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("homeward decoy password").unwrap_or_default())
}

impl Casework {
    /// Signs a user in (throttled): checks the password and stores a new session.
    pub async fn sign_in(
        &self,
        username: &str,
        password: &str,
        remote_addr: &str,
    ) -> Result<Credentials> {
        let now = self.now();
        if !self.inner.throttle.attempt(username, remote_addr, now) {
            return Err(CaseError::throttled());
        }
        let user = self.store().user_by_username(username).await?;
        let hash = user
            .as_ref()
            .map_or_else(|| decoy_hash().to_owned(), |u| u.password_hash.clone());
        let password = password.to_owned();
        let matches = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
            .await
            .map_err(CaseError::internal)?;
        let Some(user) = user.filter(|u| u.active && matches) else {
            return Err(CaseError::unauthenticated());
        };
        self.inner.throttle.succeeded(username, remote_addr, now);
        let session = random_secret()?;
        let csrf = random_secret()?;
        let expires = now + SignedDuration::from_hours(SESSION_HOURS);
        self.store()
            .create_session(&secret_hash(&session), user.id, &csrf, expires.into())
            .await?;
        Ok(Credentials {
            user,
            session,
            csrf,
            expires,
        })
    }

    /// The actor of a live session, with the session's CSRF token; `None` without one.
    pub async fn session_actor(
        &self,
        session: &str,
        remote_addr: &str,
    ) -> Result<Option<(Actor, String)>> {
        let id_hash = secret_hash(session);
        Ok(self
            .store()
            .session(&id_hash, self.now_instant())
            .await?
            .map(|(user, csrf)| {
                (
                    Actor::new(user, remote_addr.to_owned(), Some(id_hash)),
                    csrf,
                )
            }))
    }

    /// The actor an API token belongs to.
    pub async fn token_actor(&self, token: &str, remote_addr: &str) -> Result<Actor> {
        self.store()
            .user_by_token(&secret_hash(token.trim()))
            .await?
            .map(|user| Actor::new(user, remote_addr.to_owned(), None))
            .ok_or_else(CaseError::unauthenticated)
    }

    /// The actor a user name names, for work done from the command line.
    pub async fn named_actor(&self, username: &str, remote_addr: &str) -> Result<Actor> {
        self.store()
            .user_by_username(username)
            .await?
            .filter(|u| u.active)
            .map(|user| Actor::new(user, remote_addr.to_owned(), None))
            .ok_or_else(|| {
                CaseError::validation("--as", format!("no active user named `{username}`"))
            })
    }

    /// Ends the actor's session, if they signed in with one.
    pub async fn sign_out(&self, actor: &Actor) -> Result<()> {
        if let Some(id_hash) = actor.session() {
            self.store().delete_session(id_hash).await?;
        }
        Ok(())
    }

    /// Adds a user account with a password (hashed here).
    pub async fn add_user(
        &self,
        username: &str,
        display_name: &str,
        role: Role,
        authority_code: &str,
        password: &str,
    ) -> Result<User> {
        let authority = self
            .authority_by_code(authority_code, "--authority")
            .await?;
        let password_hash = hash_password(password)?;
        Ok(self
            .store()
            .create_user(&NewUser {
                username: username.to_owned(),
                display_name: display_name.to_owned(),
                role,
                authority_id: authority.id,
                password_hash,
            })
            .await?)
    }

    /// Adds a user account with a password hash made elsewhere (the demo's, computed once).
    pub async fn add_user_hashed(&self, user: &NewUser) -> Result<User> {
        Ok(self.store().create_user(user).await?)
    }

    /// Issues an API token for a user; the token is returned once and only its hash is kept.
    pub async fn issue_token(&self, username: &str, label: &str) -> Result<String> {
        let user = self
            .store()
            .user_by_username(username)
            .await?
            .ok_or_else(|| CaseError::validation("--username", format!("no user `{username}`")))?;
        let token = random_secret()?;
        self.store()
            .create_token(user.id, &secret_hash(&token), label, self.now_instant())
            .await?;
        Ok(token)
    }

    /// Records an API token whose secret the caller chose (tests and the demo's fixed tokens).
    pub async fn add_token(&self, user: &User, token: &str, label: &str) -> Result<()> {
        Ok(self
            .store()
            .create_token(user.id, &secret_hash(token), label, self.now_instant())
            .await?)
    }

    /// A user's display name.
    pub async fn user_name(&self, id: store::UserId) -> Result<Option<String>> {
        Ok(self.store().user(id).await?.map(|u| u.display_name))
    }

    /// Every authority, by name.
    pub async fn authorities(&self) -> Result<Vec<store::Authority>> {
        Ok(self.store().authorities().await?)
    }

    /// Adds an authority.
    pub async fn add_authority(&self, a: &store::NewAuthority) -> Result<store::Authority> {
        Ok(self.store().create_authority(a).await?)
    }

    /// The authority with a code; a validation failure naming `field` otherwise.
    pub async fn authority_by_code(&self, code: &str, field: &str) -> Result<store::Authority> {
        self.store()
            .authorities()
            .await?
            .into_iter()
            .find(|a| a.code == code)
            .ok_or_else(|| CaseError::validation(field, format!("no authority with code `{code}`")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap_or(Timestamp::UNIX_EPOCH)
    }

    #[test]
    fn five_attempts_per_name_then_blocked_even_in_parallel() {
        let t = Throttle::default();
        let now = at("2026-01-01T00:00:00Z");
        let passed = (0..40)
            .filter(|_| t.attempt("edt.newham", "10.0.0.1", now))
            .count();
        assert_eq!(passed, 5);
        // After the window, the name may try again.
        assert!(t.attempt(
            "edt.newham",
            "10.0.0.1",
            now + SignedDuration::from_mins(16)
        ));
    }

    #[test]
    fn a_success_does_not_count_and_addresses_are_limited_too() {
        let t = Throttle::default();
        let now = at("2026-01-01T00:00:00Z");
        for _ in 0..20 {
            assert!(t.attempt("tm.newham", "10.0.0.2", now));
            t.succeeded("tm.newham", "10.0.0.2", now);
        }
        // One address spraying names is stopped at its own limit.
        let passed = (0..200)
            .filter(|i| t.attempt(&format!("name{i}"), "10.0.0.3", now))
            .count();
        assert_eq!(passed, Throttle::PER_ADDRESS);
    }

    #[test]
    fn the_maps_never_hold_more_than_their_bound() {
        let t = Throttle::default();
        let now = at("2026-01-01T00:00:00Z");
        for i in 0..(Throttle::KEYS + 500) {
            let _ = t.attempt(&format!("name{i}"), &format!("addr{i}"), now);
        }
        let (users, addresses) = t.tracked();
        assert!(users <= Throttle::KEYS, "{users}");
        assert!(addresses <= Throttle::KEYS, "{addresses}");
    }
}
