//! Records the unit tests of the returns build snapshots from.

use jiff::civil::Date;
use store::{Authority, Placement};

use crate::period::london;

/// Placement `id` of child 1 with authority 1 responsible and host.
pub(crate) fn placement(
    id: i64,
    legal: &str,
    kind: &str,
    from: &str,
    to: Option<&str>,
) -> Placement {
    Placement {
        id,
        child_id: 1,
        responsible_authority_id: 1,
        host_authority_id: 1,
        legal_status: legal.into(),
        placement_type: kind.into(),
        police_force: "Kent Police".into(),
        travel_minutes: 0,
        starts_on: from.into(),
        ends_on: to.map(Into::into),
        change_reason: None,
    }
}

/// Noon in London on `date` (`YYYY-MM-DD`), in microseconds.
pub(crate) fn london_noon(date: &str) -> i64 {
    date.parse::<Date>()
        .ok()
        .and_then(|d| d.at(12, 0, 0, 0).to_zoned(london()).ok())
        .map_or(0, |z| z.timestamp().as_microsecond())
}

/// Authority 1, following `protocol`.
pub(crate) fn authority(code: &str, name: &str, protocol: &str, police_force: &str) -> Authority {
    Authority {
        id: 1,
        code: code.into(),
        name: name.into(),
        protocol: Some(protocol.into()),
        police_force: police_force.into(),
        routing: "{}".into(),
    }
}
