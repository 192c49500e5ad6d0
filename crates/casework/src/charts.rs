//! The figures behind the charts, counted by the database from the engine's stored deadlines:
//! episodes per week by responsible authority, return interviews held by the protocol's
//! deadline per month, and open obligations by status. No deadline is computed here; the pages
//! draw the figures.

use std::collections::BTreeMap;

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp, ToSpan};
use protocol::vocabulary::{EventType, Protocol, RuleKind};
use protocol::{Calendar, Catalog};
use store::{Authority, AuthorityId, Ended, Instant};

use crate::{Actor, Casework, Permission, Result};

/// Weeks shown in the episodes chart.
pub const WEEKS: usize = 12;
/// Months shown in the return interview chart.
pub const MONTHS: usize = 6;

/// Episodes opened in each of the last [`WEEKS`] weeks (Monday to Sunday, UK time), one series
/// per responsible authority.
#[derive(Debug, PartialEq, Eq)]
pub struct Weekly {
    /// The Monday each week starts on, oldest first.
    pub weeks: Vec<Date>,
    /// Responsible authority's name and its count per week.
    pub series: Vec<(String, Vec<u32>)>,
}

/// Return interviews whose deadline fell in a month, and how many were held by it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Share {
    /// Interviews whose deadline has passed, or that were held (or declined) already.
    pub due: u32,
    /// Of those, held by the deadline.
    pub on_time: u32,
}

impl Share {
    /// The share in whole percent, if any were due.
    pub fn percent(self) -> Option<u32> {
        (self.due > 0).then(|| (self.on_time * 100 + self.due / 2) / self.due)
    }
}

/// Return interview timeliness per month of deadline, one series per responsible authority.
#[derive(Debug, PartialEq, Eq)]
pub struct Monthly {
    /// The first day of each month, oldest first.
    pub months: Vec<Date>,
    /// Responsible authority's name and its share per month.
    pub series: Vec<(String, Vec<Share>)>,
}

/// Open obligations by their status now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ByStatus {
    /// The deadline has passed.
    pub overdue: u64,
    /// Due within the next 24 hours.
    pub due_soon: u64,
    /// Due later, or no deadline stated.
    pub open: u64,
}

/// Every figure of the charts page.
#[derive(Debug, PartialEq, Eq)]
pub struct Charts {
    /// Episodes per week.
    pub weekly: Weekly,
    /// Return interviews on time per month.
    pub monthly: Monthly,
    /// Open obligations by status.
    pub by_status: ByStatus,
}

/// Monday of the week (UK time) of `t`.
fn monday(calendar: &Calendar, t: Timestamp) -> Date {
    let d = calendar.local_date(t);
    d.checked_sub(i64::from(d.weekday().to_monday_zero_offset()).days())
        .unwrap_or(d)
}

/// First day of the month (UK time) of `t`.
fn month_of(calendar: &Calendar, t: Timestamp) -> Date {
    calendar.local_date(t).first_of_month()
}

fn name(authorities: &[Authority], id: AuthorityId) -> String {
    authorities
        .iter()
        .find(|a| a.id == id)
        .map_or_else(|| format!("authority {id}"), |a| a.name.clone())
}

/// The rules whose obligation is the return home interview with a deadline: the timed
/// interview rules an `rhi_completed` event discharges, in every pack.
pub fn interview_rules(catalog: &Catalog) -> Vec<String> {
    Protocol::ALL
        .iter()
        .flat_map(|p| catalog.keys_of(*p))
        .map(|k| catalog.rule(k))
        .filter(|r| {
            r.kind == RuleKind::Interview
                && r.timed
                && r.discharged_by
                    .iter()
                    .any(|s| s.event == EventType::RhiCompleted)
        })
        .map(|r| r.id.get_ref().to_string())
        .collect()
}

/// Counts episodes (responsible authority, opening instant) per week up to `now`.
pub fn episodes_per_week(
    calendar: &Calendar,
    authorities: &[Authority],
    opened: &[(AuthorityId, Instant)],
    now: Timestamp,
) -> Weekly {
    let last = monday(calendar, now);
    let weeks: Vec<Date> = (0..WEEKS)
        .rev()
        .filter_map(|k| last.checked_sub((7 * k as i64).days()).ok())
        .collect();
    let mut series: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for (responsible, at) in opened {
        let week = monday(calendar, at.timestamp());
        if let Some(k) = weeks.iter().position(|w| *w == week) {
            series
                .entry(name(authorities, *responsible))
                .or_insert_with(|| vec![0; weeks.len()])[k] += 1;
        }
    }
    Weekly {
        weeks,
        series: series.into_iter().collect(),
    }
}

/// Tallies return interview obligations by the month (UK time) of their deadline: one is due
/// once its deadline has passed or it ended, and on time when an event met it by the deadline.
pub fn interviews_on_time(
    calendar: &Calendar,
    authorities: &[Authority],
    obligations: &[store::ChartObligation],
    now: Timestamp,
) -> Monthly {
    let this = month_of(calendar, now);
    let months: Vec<Date> = (0..MONTHS)
        .rev()
        .filter_map(|k| this.checked_sub((k as i64).months()).ok())
        .collect();
    let mut series: BTreeMap<String, Vec<Share>> = BTreeMap::new();
    for o in obligations {
        let Some(k) = months
            .iter()
            .position(|m| *m == month_of(calendar, o.due.timestamp()))
        else {
            continue;
        };
        // Still open and still in time: not yet counted either way. Ended because the
        // protocol no longer asks for it (found first, corrected): not counted.
        if o.ended == Some(Ended::NoLongerApplies) || (o.ended.is_none() && o.due.timestamp() > now)
        {
            continue;
        }
        let share = &mut series
            .entry(name(authorities, o.responsible_authority_id))
            .or_insert_with(|| vec![Share::default(); months.len()])[k];
        share.due += 1;
        if o.met_at.is_some_and(|m| m <= o.due) {
            share.on_time += 1;
        }
    }
    Monthly {
        months,
        series: series.into_iter().collect(),
    }
}

impl Casework {
    /// The charts' figures for the actor's authority (counts, not records, leave the server;
    /// the audit log notes who looked at them).
    pub async fn charts(&self, actor: &Actor) -> Result<Charts> {
        actor.require(Permission::ReadObligations)?;
        let now = self.now();
        self.record_reads(vec![actor.audit("read", "charts", None, None, now.into())])
            .await?;
        let calendar = self.calendar();
        let authority = actor.authority();
        let authorities = self.authorities().await?;
        let since = calendar.instant(
            monday(calendar, now)
                .checked_sub((7 * WEEKS as i64).days())
                .unwrap_or(monday(calendar, now))
                .to_datetime(jiff::civil::Time::midnight()),
        );
        let opened = self
            .store()
            .episodes_opened(authority, since.into())
            .await?;
        let first_month = month_of(calendar, now)
            .checked_sub(((MONTHS - 1) as i64).months())
            .unwrap_or_else(|_| month_of(calendar, now));
        let from = calendar.instant(first_month.to_datetime(jiff::civil::Time::midnight()));
        let to = now + SignedDuration::from_hours(24 * 32);
        let interviews = self
            .store()
            .obligations_due(
                authority,
                &interview_rules(self.catalog()),
                from.into(),
                to.into(),
            )
            .await?;
        let (overdue, due_soon, open) = self
            .store()
            .obligation_counts(authority, now.into(), (now + crate::lists::SOON).into())
            .await?;
        Ok(Charts {
            weekly: episodes_per_week(calendar, &authorities, &opened, now),
            monthly: interviews_on_time(calendar, &authorities, &interviews, now),
            by_status: ByStatus {
                overdue,
                due_soon,
                open,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (Catalog, Calendar) {
        (
            Catalog::bundled().unwrap_or_else(|e| unreachable!("{e}")),
            Calendar::bundled().unwrap_or_else(|e| unreachable!("{e}")),
        )
    }

    #[test]
    fn the_interview_rules_are_each_protocols_timed_return_interview() {
        let (catalog, _) = setup();
        let rules = interview_rules(&catalog);
        for id in [
            "HIPS-RHI-72H",
            "SY-RHI-72H",
            "NEWHAM-RHI-72H",
            "MERTON-RHI-72H",
        ] {
            assert!(rules.iter().any(|r| r == id), "{id} missing from {rules:?}");
        }
        assert!(!rules.iter().any(|r| r.contains("STRAT")), "{rules:?}");
    }

    #[test]
    fn on_time_is_met_by_the_deadline_and_open_ones_in_time_wait() {
        let (_, calendar) = setup();
        let authorities = vec![Authority {
            id: AuthorityId(1),
            code: "SHEFFIELD".into(),
            name: "Sheffield City Council".into(),
            protocol: Some(Protocol::Sy),
            police_force: "South Yorkshire Police".into(),
            routing: "{}".into(),
        }];
        let t = |s: &str| -> Instant {
            s.parse::<Timestamp>()
                .map(Instant::from)
                .unwrap_or(Instant::EPOCH)
        };
        let o = |due: &str, met: Option<&str>, ended: Option<Ended>| store::ChartObligation {
            rule: "SY-RHI-72H".into(),
            responsible_authority_id: AuthorityId(1),
            due: t(due),
            met_at: met.map(t),
            ended,
        };
        let now = t("2026-05-20T12:00:00Z").timestamp();
        let obligations = [
            o(
                "2026-05-02T10:00:00Z",
                Some("2026-05-01T10:00:00Z"),
                Some(Ended::Discharged),
            ),
            o(
                "2026-05-03T10:00:00Z",
                Some("2026-05-04T10:00:00Z"),
                Some(Ended::Discharged),
            ),
            o("2026-05-05T10:00:00Z", None, None),
            o("2026-05-06T10:00:00Z", None, Some(Ended::NoLongerApplies)),
            o("2026-05-22T10:00:00Z", None, None),
        ];
        let m = interviews_on_time(&calendar, &authorities, &obligations, now);
        let may = m
            .months
            .iter()
            .position(|d| d.month() == 5)
            .unwrap_or_default();
        assert_eq!(
            m.series,
            vec![("Sheffield City Council".to_owned(), {
                let mut v = vec![Share::default(); MONTHS];
                v[may] = Share { due: 3, on_time: 1 };
                v
            })]
        );
        assert_eq!(Share { due: 3, on_time: 1 }.percent(), Some(33));
    }
}
