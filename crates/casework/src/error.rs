//! The one error type of the casework layer, with stable codes. The HTTP layer maps each code
//! to a status once; the command line prints the message. Internal detail is logged where it
//! happens and never put in a message.

use serde_json::Value;
use store::StoreError;

/// Why a command or query was refused or failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    /// A field failed validation (names the field).
    ValidationFailed,
    /// The request is not what the use case expects.
    BadRequest,
    /// No valid session, token or credentials.
    Unauthenticated,
    /// Signed in, but the role may not do this.
    Forbidden,
    /// No such record, or one the caller may not know exists.
    NotFound,
    /// The record changed since the caller read it.
    VersionConflict,
    /// An obligation that has ended (met, or no longer given): names what replaced it.
    ObligationEnded,
    /// A uniqueness or reference rule was broken.
    ConstraintViolated,
    /// Too many failed sign-ins.
    Throttled,
    /// Something went wrong inside; it has been logged.
    Internal,
}

impl Code {
    /// The stable spelling, e.g. `validation_failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::ValidationFailed => "validation_failed",
            Code::BadRequest => "bad_request",
            Code::Unauthenticated => "unauthenticated",
            Code::Forbidden => "forbidden",
            Code::NotFound => "not_found",
            Code::VersionConflict => "version_conflict",
            Code::ObligationEnded => "obligation_ended",
            Code::ConstraintViolated => "constraint_violated",
            Code::Throttled => "too_many_attempts",
            Code::Internal => "internal_error",
        }
    }
}

/// A refusal or failure: a stable code, a message for people, the offending field (a JSON
/// path), and details a client can act on (the obligations that replaced an ended one).
#[derive(Clone, Debug, PartialEq)]
pub struct CaseError {
    code: Code,
    message: String,
    field: Option<String>,
    details: Option<Value>,
    /// Further fields that failed validation with this one (forms list every problem).
    more: Vec<(String, String)>,
}

impl std::fmt::Display for CaseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{field}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for CaseError {}

/// Result of a use case.
pub type Result<T, E = CaseError> = std::result::Result<T, E>;

impl CaseError {
    fn new(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
            details: None,
            more: Vec::new(),
        }
    }

    /// Every field that failed validation, as `(field, message)`; `None` when there were none.
    pub fn validations(problems: Vec<(String, String)>) -> Option<Self> {
        let mut problems = problems.into_iter();
        let (field, message) = problems.next()?;
        Some(Self {
            more: problems.collect(),
            ..Self::validation(field, message)
        })
    }

    /// Every field that failed validation and its message, the first one first.
    pub fn problems(&self) -> Vec<(&str, &str)> {
        self.field
            .as_deref()
            .map(|f| (f, self.message.as_str()))
            .into_iter()
            .chain(self.more.iter().map(|(f, m)| (f.as_str(), m.as_str())))
            .collect()
    }

    /// A field failed validation.
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: Some(field.into()),
            ..Self::new(Code::ValidationFailed, message)
        }
    }

    /// The request is not what the use case expects.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(Code::BadRequest, message)
    }

    /// No valid session, token or credentials.
    pub fn unauthenticated() -> Self {
        Self::new(Code::Unauthenticated, "sign in or present an API token")
    }

    /// The role may not do this.
    pub fn forbidden() -> Self {
        Self::new(Code::Forbidden, "your role does not allow this")
    }

    /// No such record (or one the caller may not know exists).
    pub fn not_found() -> Self {
        Self::new(Code::NotFound, "no such record")
    }

    /// The record changed since the caller read it.
    pub fn conflict(current: i64) -> Self {
        Self::new(
            Code::VersionConflict,
            format!(
                "the record was changed by someone else; it is now at version {current}: reload and try again"
            ),
        )
    }

    /// An obligation that has ended; `details` names what replaced it.
    pub fn obligation_ended(message: impl Into<String>, details: Value) -> Self {
        Self {
            details: Some(details),
            ..Self::new(Code::ObligationEnded, message)
        }
    }

    /// Too many failed sign-ins.
    pub fn throttled() -> Self {
        Self::new(Code::Throttled, "too many failed sign-ins; wait 15 minutes")
    }

    /// A failure inside, logged here with its detail; the message says only that it happened.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(%detail, "internal error");
        Self::new(Code::Internal, "something went wrong; it has been logged")
    }

    /// The stable code.
    pub fn code(&self) -> Code {
        self.code
    }

    /// The message for people.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The offending field, for validation failures.
    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }

    /// Details a client can act on.
    pub fn details(&self) -> Option<&Value> {
        self.details.as_ref()
    }
}

impl From<StoreError> for CaseError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::not_found(),
            StoreError::Conflict { current } => Self::conflict(current),
            StoreError::Constraint(m) => Self::new(Code::ConstraintViolated, m),
            StoreError::Evaluation(m) => Self::validation("$", m),
            other => Self::internal(other),
        }
    }
}
