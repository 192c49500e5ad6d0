//! Typed identifiers and the stored instant. A child's ID cannot be passed where an episode's is
//! expected, and an instant is never mistaken for a count: each is its own type, stored as the
//! integer it wraps.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

macro_rules! ids {
    ($($(#[$meta:meta])* $name:ident;)+) => {$(
        $(#[$meta])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, sqlx::Type,
        )]
        #[serde(transparent)]
        #[sqlx(transparent)]
        pub struct $name(pub i64);

        impl $name {
            /// The number stored.
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map($name)
            }
        }

        // The SQLite bulk reader (`sqlite_bulk`) reads rows through rusqlite.
        impl rusqlite::types::FromSql for $name {
            fn column_result(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
                i64::column_result(v).map($name)
            }
        }
    )+};
}

ids! {
    /// An authority (council) in or outside the partnership.
    AuthorityId;
    /// A user account.
    UserId;
    /// A child's record.
    ChildId;
    /// A placement of a child.
    PlacementId;
    /// A version of a profile document.
    DocumentId;
    /// A photo of a child.
    PhotoId;
    /// A missing episode.
    EpisodeId;
    /// A recorded event.
    EventId;
    /// A stored obligation (kept for as long as the engine gives it).
    ObligationId;
    /// A meeting.
    MeetingId;
    /// An action agreed at a meeting.
    ActionId;
    /// A return home interview record.
    InterviewId;
    /// A message in the outbox.
    MessageId;
}

/// An instant as the store keeps it: microseconds since the Unix epoch, UTC. Callers convert
/// to `jiff::Timestamp` at their boundary; only the calendar turns either into local time.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, sqlx::Type,
)]
#[serde(transparent)]
#[sqlx(transparent)]
pub struct Instant(i64);

impl Instant {
    /// The earliest instant the store can hold (the Unix epoch).
    pub const EPOCH: Instant = Instant(0);

    /// The instant so many microseconds after the Unix epoch.
    pub const fn from_micros(us: i64) -> Self {
        Instant(us)
    }

    /// Microseconds since the Unix epoch.
    pub const fn micros(self) -> i64 {
        self.0
    }

    /// As a `jiff` timestamp (the epoch if out of its range, which a stored value never is).
    pub fn timestamp(self) -> jiff::Timestamp {
        jiff::Timestamp::from_microsecond(self.0).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
    }
}

impl rusqlite::types::FromSql for Instant {
    fn column_result(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        i64::column_result(v).map(Instant)
    }
}

impl From<jiff::Timestamp> for Instant {
    fn from(t: jiff::Timestamp) -> Self {
        Instant(t.as_microsecond())
    }
}

impl From<Instant> for jiff::Timestamp {
    fn from(i: Instant) -> Self {
        i.timestamp()
    }
}

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.timestamp().fmt(f)
    }
}
