//! Where messages go: SMTP (lettre; TLS, STARTTLS, or plain for loopback only), or a mailbox
//! folder (one file per message, the default so the demo shows notifications without a mail
//! server). Webhook recipients go through [`crate::webhook`].

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MessageBuilder};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// A message ready to leave.
#[derive(Clone, Debug)]
pub struct Outgoing {
    /// Idempotency key (also the Message-ID's local part).
    pub key: String,
    /// Message kind.
    pub kind: String,
    /// E-mail address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// Code of the authority whose routing chose the recipient.
    pub authority: String,
    /// The acknowledgement link.
    pub ack_url: String,
    /// When the message was written to the outbox (Europe/London, with its offset).
    pub created_at: String,
    /// The instant that caused it (Europe/London, with its offset).
    pub due_at: String,
}

/// Why an attempt failed, and whether another could succeed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// What went wrong (stored as the message's last error; never holds a secret).
    pub reason: String,
    /// True when retrying cannot help: the message goes straight to the dead letter.
    pub permanent: bool,
}

impl Failure {
    /// A failure worth retrying (an outage, a timeout).
    pub fn retry(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            permanent: false,
        }
    }

    /// A failure no retry can fix (the receiver refused the message).
    pub fn permanent(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            permanent: true,
        }
    }
}

/// How SMTP connections are secured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpTls {
    /// No TLS: only for a relay on loopback.
    None,
    /// Plain connection upgraded with STARTTLS (required).
    Starttls,
    /// TLS from the first byte (SMTPS).
    Tls,
}

impl std::str::FromStr for SmtpTls {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "none" => Ok(Self::None),
            "starttls" => Ok(Self::Starttls),
            "tls" => Ok(Self::Tls),
            _ => Err(format!("`{s}`: expected none, starttls or tls")),
        }
    }
}

/// The e-mail channel.
#[derive(Clone)]
pub enum Transport {
    /// An SMTP relay.
    Smtp {
        /// The connection pool.
        mailer: AsyncSmtpTransport<Tokio1Executor>,
        /// The sender.
        from: Mailbox,
    },
    /// A folder that receives one `.eml` file per message.
    Mailbox {
        /// The folder.
        dir: PathBuf,
        /// The sender.
        from: Mailbox,
    },
}

/// The `X-Homeward-Idempotency-Key` header: recipients (and tests) dedupe by it.
#[derive(Clone, Debug)]
struct IdempotencyKey(String);

impl Header for IdempotencyKey {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("X-Homeward-Idempotency-Key")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_owned()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// The `X-Homeward-Kind` header.
#[derive(Clone, Debug)]
struct Kind(String);

impl Header for Kind {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("X-Homeward-Kind")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_owned()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

impl Transport {
    /// An SMTP transport from `smtp://[user:password@]host[:port]`.
    pub fn smtp(url: &str, tls: SmtpTls, from: &str) -> Result<Self, String> {
        let rest = url
            .strip_prefix("smtp://")
            .ok_or_else(|| format!("{url}: an SMTP URL starts with smtp://"))?;
        let (credentials, server) = match rest.rsplit_once('@') {
            Some((c, s)) => (Some(c), s),
            None => (None, rest),
        };
        let server = server.trim_end_matches('/');
        let (host, port) = match server.rsplit_once(':') {
            Some((h, p)) => (
                h,
                Some(
                    p.parse::<u16>()
                        .map_err(|_| format!("{url}: bad port `{p}`"))?,
                ),
            ),
            None => (server, None),
        };
        let builder = match tls {
            SmtpTls::None => {
                if !matches!(host, "127.0.0.1" | "localhost" | "::1" | "[::1]") {
                    return Err(format!(
                        "{url}: SMTP without TLS is allowed only on loopback; use --smtp-tls starttls or tls"
                    ));
                }
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            }
            SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
                .map_err(|e| format!("{url}: {e}"))?,
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)
                .map_err(|e| format!("{url}: {e}"))?,
        };
        let mut builder = builder.timeout(Some(Duration::from_secs(10)));
        if let Some(port) = port {
            builder = builder.port(port);
        }
        if let Some((user, password)) = credentials.and_then(|c| c.split_once(':')) {
            builder = builder.credentials(Credentials::new(user.to_owned(), password.to_owned()));
        }
        Ok(Self::Smtp {
            mailer: builder.build(),
            from: parse_from(from)?,
        })
    }

    /// A mailbox folder transport (created if missing).
    pub fn mailbox(dir: PathBuf, from: &str) -> Result<Self, String> {
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        Ok(Self::Mailbox {
            dir,
            from: parse_from(from)?,
        })
    }

    fn message(from: &Mailbox, m: &Outgoing) -> Result<Message, String> {
        let to: Mailbox =
            m.to.parse()
                .map_err(|e| format!("recipient is not an address: {e}"))?;
        MessageBuilder::new()
            .message_id(Some(format!("<{}@homeward.invalid>", m.key)))
            .header(IdempotencyKey(m.key.clone()))
            .header(Kind(m.kind.clone()))
            .from(from.clone())
            .to(to)
            .subject(m.subject.clone())
            .body(m.body.clone())
            .map_err(|e| e.to_string())
    }

    /// Delivers one message; an error means it must be tried again later.
    pub async fn send(&self, m: &Outgoing) -> Result<(), String> {
        match self {
            Transport::Smtp { mailer, from } => {
                let message = Self::message(from, m)?;
                mailer
                    .send(message)
                    .await
                    .map(|_| ())
                    .map_err(|e| format!("smtp: {e}"))
            }
            Transport::Mailbox { dir, from } => {
                let message = Self::message(from, m)?;
                // Write then rename, so a reader never sees half a message and a retry after a
                // crash overwrites the same file instead of adding another.
                let path = dir.join(format!("{}.eml", m.key));
                let partial = dir.join(format!(".{}.eml.partial", m.key));
                tokio::fs::write(&partial, message.formatted())
                    .await
                    .map_err(|e| format!("mailbox: {e}"))?;
                tokio::fs::rename(&partial, &path)
                    .await
                    .map_err(|e| format!("mailbox: {e}"))?;
                tracing::info!(kind = %m.kind, key = %m.key, file = %path.display(), "notification written to the mailbox");
                Ok(())
            }
        }
    }
}

fn parse_from(from: &str) -> Result<Mailbox, String> {
    from.parse()
        .map_err(|e| format!("sender `{from}` is not an address: {e}"))
}
