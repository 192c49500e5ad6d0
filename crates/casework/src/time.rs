//! How instants are written for people and clients: Europe/London, with the offset, as the
//! engine's output writes them.

use jiff::Timestamp;
use protocol::Calendar;
use store::Instant;

/// An instant in Europe/London with its offset (ISO 8601), e.g. `2026-03-29T02:30:00+01:00`.
pub fn format(calendar: &Calendar, t: impl Into<Timestamp>) -> String {
    protocol::output::format_instant(calendar, t.into())
}

/// A stored instant as a `jiff` timestamp.
pub fn timestamp(i: Instant) -> Timestamp {
    i.timestamp()
}
