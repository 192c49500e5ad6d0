//! The London calendar: conventions C2–C6 and C11 as properties, with the clock changes, every
//! bank holiday, month-end clamping and windows at their exact edges.

use jiff::civil::{Date, DateTime, Time, date};
use jiff::{Timestamp, ToSpan};
use proptest::prelude::*;
use protocol::Calendar;
use protocol::duration::ProtocolDuration;

fn cal() -> Calendar {
    Calendar::bundled().unwrap_or_else(|e| unreachable!("{e}"))
}

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap_or_else(|e| unreachable!("{s}: {e}"))
}

/// Instants from 2018 to 2030, where the bundled bank holidays are known.
fn instant() -> impl Strategy<Value = Timestamp> {
    (1_514_764_800i64..1_924_905_600i64)
        .prop_map(|s| Timestamp::from_second(s).unwrap_or(Timestamp::UNIX_EPOCH))
}

#[test]
fn hours_across_the_october_change_are_elapsed_time() {
    let c = cal();
    assert_eq!(
        c.add(ts("2024-10-24T22:00:00+01:00"), ProtocolDuration::hours(72)),
        ts("2024-10-27T21:00:00+00:00")
    );
}

#[test]
fn hours_across_the_march_change_are_elapsed_time() {
    let c = cal();
    assert_eq!(
        c.add(ts("2024-03-31T00:30:00+00:00"), ProtocolDuration::hours(8)),
        ts("2024-03-31T09:30:00+01:00")
    );
}

#[test]
fn days_across_the_changes_keep_the_wall_clock() {
    let c = cal();
    assert_eq!(
        c.add(ts("2024-10-24T22:00:00+01:00"), ProtocolDuration::Days(7)),
        ts("2024-10-31T22:00:00+00:00")
    );
    assert_eq!(
        c.add(ts("2024-03-28T10:00:00+00:00"), ProtocolDuration::Days(5)),
        ts("2024-04-02T10:00:00+01:00")
    );
}

#[test]
fn ambiguous_and_missing_local_times() {
    let c = cal();
    // 01:30 on 27 October 2024 happens twice: the first (BST) occurrence is meant.
    assert_eq!(
        c.instant(date(2024, 10, 27).at(1, 30, 0, 0)),
        ts("2024-10-27T01:30:00+01:00")
    );
    // 01:30 on 31 March 2024 does not exist: moved forward by the gap.
    assert_eq!(
        c.instant(date(2024, 3, 31).at(1, 30, 0, 0)),
        ts("2024-03-31T02:30:00+01:00")
    );
    // A day added to 01:30 on 26 October lands on the first 01:30 of the 27th.
    assert_eq!(
        c.add(ts("2024-10-26T01:30:00+01:00"), ProtocolDuration::Days(1)),
        ts("2024-10-27T01:30:00+01:00")
    );
}

#[test]
fn month_end_clamping() {
    let c = cal();
    assert_eq!(
        c.sub(ts("2024-05-31T12:00:00+01:00"), ProtocolDuration::Months(3)),
        ts("2024-02-29T12:00:00+00:00")
    );
    assert_eq!(
        c.sub(ts("2025-05-31T12:00:00+01:00"), ProtocolDuration::Months(3)),
        ts("2025-02-28T12:00:00+00:00")
    );
    assert_eq!(
        c.add(ts("2024-01-31T09:00:00+00:00"), ProtocolDuration::Months(1)),
        ts("2024-02-29T09:00:00+00:00")
    );
}

#[test]
fn every_bank_holiday_is_not_a_working_day_and_every_other_weekday_is() {
    let c = cal();
    let holidays: Vec<Date> = c.bank_holidays().collect();
    assert!(holidays.len() > 90, "2018-2030 lists about eight a year");
    for h in &holidays {
        assert!(!c.is_working_day(*h), "{h} counted as a working day");
    }
    let mut d = date(2018, 1, 1);
    while d <= date(2030, 12, 31) {
        let weekend = matches!(
            d.weekday(),
            jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday
        );
        assert_eq!(
            c.is_working_day(d),
            !weekend && !holidays.contains(&d),
            "{d}"
        );
        d = d.tomorrow().unwrap_or(d);
    }
}

#[test]
fn the_spec_bank_holidays_of_2024_and_2025_are_known() {
    let c = cal();
    for d in [
        date(2024, 1, 1),
        date(2024, 3, 29),
        date(2024, 4, 1),
        date(2024, 5, 6),
        date(2024, 5, 27),
        date(2024, 8, 26),
        date(2024, 12, 25),
        date(2024, 12, 26),
        date(2025, 1, 1),
        date(2025, 4, 18),
        date(2025, 4, 21),
        date(2025, 5, 5),
        date(2025, 5, 26),
        date(2025, 8, 25),
        date(2025, 12, 25),
        date(2025, 12, 26),
    ] {
        assert!(c.bank_holidays().any(|h| h == d), "{d}");
    }
}

#[test]
fn working_day_deadlines_over_christmas() {
    let c = cal();
    // C5: 3 working days after Monday 23 December 2024: 24th, 27th, 30th.
    assert_eq!(
        c.end_of_nth_working_day_after(ts("2024-12-23T19:00:00+00:00"), 3),
        ts("2024-12-30T23:59:59+00:00")
    );
    // C6: out of hours on Friday 24 May 2024 before the Spring bank holiday: Tuesday 28th.
    assert_eq!(
        c.end_of_next_working_day(ts("2024-05-24T23:30:00+01:00")),
        ts("2024-05-28T23:59:59+01:00")
    );
    // C6: 02:00 on a working day is that day; 09:00 exactly is not "before the 09:00 start".
    assert_eq!(
        c.end_of_next_working_day(ts("2024-07-09T02:00:00+01:00")),
        ts("2024-07-09T23:59:59+01:00")
    );
    assert_eq!(
        c.end_of_next_working_day(ts("2024-07-09T09:00:00+01:00")),
        ts("2024-07-10T23:59:59+01:00")
    );
}

#[test]
fn office_hours_start_inclusive_end_exclusive() {
    let c = cal();
    let hours = protocol::calendar::OfficeHours::default();
    assert!(c.in_office_hours(ts("2024-07-10T09:00:00+01:00"), hours));
    assert!(!c.in_office_hours(ts("2024-07-10T17:00:00+01:00"), hours));
    assert!(
        !c.in_office_hours(ts("2024-05-27T10:00:00+01:00"), hours),
        "bank holiday"
    );
    assert!(
        !c.in_office_hours(ts("2024-07-13T10:00:00+01:00"), hours),
        "Saturday"
    );
}

#[test]
fn overnight_cut_off() {
    let c = cal();
    let six = Time::constant(6, 0, 0, 0);
    assert_eq!(
        c.next_midnight_unless_before(ts("2024-05-24T23:25:00+01:00"), six),
        ts("2024-05-25T00:00:00+01:00")
    );
    assert_eq!(
        c.next_midnight_unless_before(ts("2024-05-25T02:00:00+01:00"), six),
        ts("2024-05-25T02:00:00+01:00")
    );
    // Into the October change: midnight after the 26th is still BST.
    assert_eq!(
        c.next_midnight_unless_before(ts("2024-10-26T20:00:00+01:00"), six),
        ts("2024-10-27T00:00:00+01:00")
    );
}

#[test]
fn ages_count_completed_years_and_leap_day_birthdays() {
    use protocol::calendar::completed_years;
    assert_eq!(completed_years(date(2012, 5, 12), date(2024, 5, 12)), 12);
    assert_eq!(completed_years(date(2012, 5, 12), date(2024, 5, 11)), 11);
    assert_eq!(completed_years(date(2008, 2, 29), date(2025, 2, 28)), 16);
    assert_eq!(completed_years(date(2008, 2, 29), date(2025, 3, 1)), 17);
    assert_eq!(completed_years(date(2008, 2, 29), date(2024, 2, 29)), 16);
    // The local date decides: 23:30 UTC on 11 May 2024 is 00:30 BST on 12 May in London.
    assert_eq!(
        cal().age_on(date(2012, 5, 12), ts("2024-05-11T23:30:00Z")),
        12
    );
}

proptest! {
    #[test]
    fn elapsed_hours_add_exactly(t in instant(), n in 1i64..400) {
        let c = cal();
        let later = c.add(t, ProtocolDuration::hours(n));
        prop_assert_eq!(later.as_second() - t.as_second(), n * 3600);
        prop_assert_eq!(c.sub(later, ProtocolDuration::hours(n)), t);
    }

    #[test]
    fn calendar_days_keep_the_local_time(t in instant(), n in 1i64..100) {
        let c = cal();
        let local = c.local(t);
        let later = c.local(c.add(t, ProtocolDuration::Days(n)));
        prop_assert_eq!(later.date(), local.date().checked_add(n.days()).unwrap_or(local.date()));
        // Only a time that falls in the March gap may move (forward by the hour).
        let in_gap = local.time() >= Time::constant(1, 0, 0, 0) && local.time() < Time::constant(2, 0, 0, 0);
        if !in_gap {
            prop_assert_eq!(later.time(), local.time());
        }
    }

    #[test]
    fn calendar_months_clamp_to_the_month_end(t in instant(), n in 1i64..13) {
        let c = cal();
        let local = c.local(t);
        let back = c.local(c.sub(t, ProtocolDuration::Months(n)));
        let first = local.date().first_of_month().checked_sub(n.months()).unwrap_or(local.date());
        prop_assert_eq!((back.year(), back.month()), (first.year(), first.month()));
        prop_assert_eq!(back.day(), local.day().min(first.days_in_month()));
    }

    #[test]
    fn nth_working_day_deadlines(t in instant(), n in 1u32..6) {
        let c = cal();
        let due = c.local(c.end_of_nth_working_day_after(t, n));
        prop_assert_eq!(due.time(), Time::constant(23, 59, 59, 0));
        prop_assert!(c.is_working_day(due.date()));
        let start = c.local_date(t);
        let mut count = 0;
        let mut d = start;
        while d < due.date() {
            d = d.tomorrow().unwrap_or(d);
            if c.is_working_day(d) { count += 1; }
        }
        prop_assert_eq!(count, n);
    }

    #[test]
    fn next_working_day_deadlines(t in instant()) {
        let c = cal();
        let local = c.local(t);
        let due = c.local(c.end_of_next_working_day(t));
        prop_assert_eq!(due.time(), Time::constant(23, 59, 59, 0));
        prop_assert!(c.is_working_day(due.date()));
        // Its 09:00 start is after the event, and no working day in between has that property.
        let start: DateTime = due.date().to_datetime(Time::constant(9, 0, 0, 0));
        prop_assert!(start > local);
        let mut d = local.date();
        while d < due.date() {
            prop_assert!(!(c.is_working_day(d) && d.to_datetime(Time::constant(9, 0, 0, 0)) > local), "{d} was earlier");
            d = d.tomorrow().unwrap_or(d);
        }
    }
}
