//! The closed lists the store keeps as text: user roles, why an obligation ended, where a
//! message stands, how a return interview went. Each has one spelling, one parser, and is read
//! and written as its spelling on both backends; the protocol's own vocabularies (legal status,
//! placement type, risk level, owner role, meeting type) are read and written by their spelling
//! in the row readers.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Database, Decode, Encode, Type};

/// A value outside one of the store's closed lists.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{value}`; one of {expected}")]
pub struct UnknownCode {
    /// Which list.
    pub what: &'static str,
    /// What was given.
    pub value: String,
    /// The accepted spellings.
    pub expected: String,
}

macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident ($what:literal) { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored spelling.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl FromStr for $name {
            type Err = UnknownCode;
            fn from_str(s: &str) -> Result<Self, UnknownCode> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownCode {
                        what: $what,
                        value: s.to_owned(),
                        expected: [$($text),+].join(", "),
                    }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
            }
        }

        impl<DB: Database> Type<DB> for $name
        where
            str: Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <str as Type<DB>>::type_info()
            }
            fn compatible(ty: &DB::TypeInfo) -> bool {
                <str as Type<DB>>::compatible(ty)
            }
        }

        impl<'q, DB: Database> Encode<'q, DB> for $name
        where
            &'static str: Encode<'q, DB>,
        {
            fn encode_by_ref(&self, buf: &mut DB::ArgumentBuffer) -> Result<IsNull, BoxDynError> {
                self.as_str().encode(buf)
            }
        }

        impl<'r, DB: Database> Decode<'r, DB> for $name
        where
            &'r str: Decode<'r, DB>,
        {
            fn decode(value: DB::ValueRef<'r>) -> Result<Self, BoxDynError> {
                Ok(<&'r str as Decode<'r, DB>>::decode(value)?.parse()?)
            }
        }
    };
}

text_enum!(
    /// A user's role: what they may do is the casework layer's access policy.
    Role ("role") {
        /// Children's social worker.
        SocialWorker = "social_worker",
        /// Team manager / practice lead.
        TeamManager = "team_manager",
        /// Service manager, head of service, director.
        SeniorManager = "senior_manager",
        /// Emergency duty team.
        Edt = "edt",
        /// Police missing-person coordinator.
        PoliceMissingCoordinator = "police_missing_coordinator",
        /// Return-interview provider.
        RhiProvider = "rhi_provider",
        /// Administers users and authorities; sees no child data.
        Admin = "admin",
        /// Reads the audit log; sees no child data.
        Auditor = "auditor",
    }
);

text_enum!(
    /// Why a stored obligation is no longer open.
    Ended ("reason an obligation ended") {
        /// An event discharged it (the engine says when: `met_at`).
        Discharged = "discharged",
        /// The engine no longer gives it: the child was found first, a correction removed what
        /// triggered it, or the episode was withdrawn.
        NoLongerApplies = "no_longer_applies",
    }
);

text_enum!(
    /// Where a message in the outbox stands.
    MessageStatus ("message status") {
        /// Not delivered yet (perhaps being retried).
        Pending = "pending",
        /// Accepted by the relay or the webhook.
        Delivered = "delivered",
        /// Given up: it could not be delivered; the authority's admins were told.
        Dead = "dead",
    }
);

text_enum!(
    /// How a return home interview went.
    InterviewOutcome ("interview outcome") {
        /// Offered to the child.
        Offered = "offered",
        /// Held.
        Completed = "completed",
        /// Declined.
        Declined = "declined",
        /// The child did not engage.
        NoEngagement = "no_engagement",
    }
);

/// Reads one of the protocol's vocabularies from its stored spelling.
pub(crate) fn vocabulary<T>(s: &str) -> Result<T, crate::StoreError>
where
    T: FromStr<Err = protocol::vocabulary::UnknownValue>,
{
    s.parse()
        .map_err(|e: protocol::vocabulary::UnknownValue| crate::StoreError::Corrupt(e.to_string()))
}
