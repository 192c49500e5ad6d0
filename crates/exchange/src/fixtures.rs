//! Records the unit tests of the returns build snapshots from.

use jiff::civil::Date;
use protocol::vocabulary::{LegalStatus, PlacementType, Protocol};
use store::{Authority, AuthorityId, ChildId, Instant, Placement, PlacementId};

use protocol::calendar::london;

/// Placement `id` of child 1 with authority 1 responsible and host.
pub(crate) fn placement(
    id: i64,
    legal: LegalStatus,
    kind: PlacementType,
    from: &str,
    to: Option<&str>,
) -> Placement {
    Placement {
        id: PlacementId(id),
        child_id: ChildId(1),
        responsible_authority_id: AuthorityId(1),
        host_authority_id: AuthorityId(1),
        legal_status: legal,
        placement_type: kind,
        police_force: "Kent Police".into(),
        travel_minutes: 0,
        starts_on: from.into(),
        ends_on: to.map(Into::into),
        change_reason: None,
    }
}

/// Noon in London on `date` (`YYYY-MM-DD`).
pub(crate) fn london_noon(date: &str) -> Instant {
    date.parse::<Date>()
        .ok()
        .and_then(|d| d.at(12, 0, 0, 0).to_zoned(london()).ok())
        .map_or(Instant::EPOCH, |z| z.timestamp().into())
}

/// Authority 1, following `protocol`.
pub(crate) fn authority(
    code: &str,
    name: &str,
    protocol: Protocol,
    police_force: &str,
) -> Authority {
    Authority {
        id: AuthorityId(1),
        code: code.into(),
        name: name.into(),
        protocol: Some(protocol),
        police_force: police_force.into(),
        routing: "{}".into(),
    }
}
