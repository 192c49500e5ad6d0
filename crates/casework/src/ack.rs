//! Acknowledgement links in notifications. A link's token is the message's ID and an
//! HMAC-SHA256 of its idempotency key under the installation's notification secret, so it
//! cannot be guessed and needs no lookup table. The secret is made once, at random, by
//! whichever of the web server or the worker needs it first, and kept in the store; it is never
//! empty, so no link is ever signed (or accepted) with an empty key.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use store::{MessageId, OutboxRecord};

use crate::{Actor, CaseError, Casework, Permission, Result};

/// The acknowledgement token of a message.
pub fn token(secret: &str, id: MessageId, idempotency_key: &str) -> String {
    format!("{id}.{}", signature(secret, id, idempotency_key))
}

fn signature(secret: &str, id: MessageId, key: &str) -> String {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(format!("ack:{id}:{key}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Whether two strings are equal, in time that does not depend on where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

impl Casework {
    /// The secret that signs acknowledgement links: the stored one, or a new random one stored
    /// now if there is none yet.
    pub async fn notification_secret(&self) -> Result<String> {
        if let Some(s) = self.inner_ack_secret() {
            return Ok(s);
        }
        let candidate = crate::accounts::random_secret()?;
        let secret = self.store().notification_secret(&candidate).await?;
        Ok(self.remember_ack_secret(secret))
    }

    /// The message an acknowledgement token names, if the token is genuine.
    pub async fn message_for_token(&self, token: &str) -> Result<Option<OutboxRecord>> {
        let Some((id, sig)) = token.split_once('.') else {
            return Ok(None);
        };
        let Ok(id) = id.parse::<MessageId>() else {
            return Ok(None);
        };
        let secret = self.notification_secret().await?;
        let Some(record) = self.store().outbox_message(id).await? else {
            return Ok(None);
        };
        let expected = signature(&secret, id, &record.message.idempotency_key);
        Ok(same(&expected, sig).then_some(record))
    }

    /// Acknowledges the message a genuine link names (stopping its topic's re-escalation),
    /// audited with the address the link was opened from. `None` for a token that is not
    /// genuine.
    pub async fn acknowledge_link(
        &self,
        token: &str,
        remote_addr: &str,
    ) -> Result<Option<OutboxRecord>> {
        let Some(r) = self.message_for_token(token).await? else {
            return Ok(None);
        };
        let now = self.now_instant();
        let audit = store::AuditEntry {
            at: now,
            user_id: None,
            action: "acknowledge".into(),
            entity: "notification".into(),
            entity_id: Some(r.id.get()),
            child_id: r.message.child_id,
            children: Vec::new(),
            remote_addr: remote_addr.to_owned(),
        };
        Ok(Some(
            self.store().acknowledge(r.id, None, now, &audit).await?,
        ))
    }

    /// A signed-in user acknowledges one of their authority's messages.
    pub async fn acknowledge(&self, actor: &Actor, id: MessageId) -> Result<OutboxRecord> {
        actor.require(Permission::ReadObligations)?;
        let record = self
            .store()
            .outbox_message(id)
            .await?
            .filter(|r| r.message.authority_id == actor.authority())
            .ok_or_else(CaseError::not_found)?;
        let now = self.now_instant();
        let audit = actor.audit(
            "acknowledge",
            "notification",
            Some(id.get()),
            record.message.child_id,
            now,
        );
        Ok(self
            .store()
            .acknowledge(id, Some(actor.id()), now, &audit)
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_bound_to_its_message_and_secret() {
        let t = token("0123456789abcdef0123", MessageId(7), "key");
        assert!(t.starts_with("7."));
        assert_ne!(t, token("0123456789abcdef0124", MessageId(7), "key"));
        assert_ne!(t, token("0123456789abcdef0123", MessageId(8), "key"));
        assert_ne!(t, token("0123456789abcdef0123", MessageId(7), "other"));
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
    }
}
