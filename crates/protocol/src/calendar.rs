//! The London calendar: Europe/London local time, England & Wales bank holidays, and the time
//! arithmetic of conventions C1–C12 (`shared/spec/timeline-v1.md` §8).
//!
//! Every instant is a [`Timestamp`]; local dates and times exist only inside this module and the
//! callers that ask it for one. "N hours" is elapsed time, "N days/months" is calendar time on the
//! local wall clock, and working days skip weekends and bank holidays.

use std::collections::BTreeSet;

use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::{TimeZone, TimeZoneDatabase};
use jiff::{Span, Timestamp};
use serde::Deserialize;

use crate::duration::ProtocolDuration;

/// The England & Wales bank-holiday list shipped with Homeward (GOV.UK `bank-holidays.json` shape).
pub const BUNDLED_BANK_HOLIDAYS: &str =
    include_str!("../data/bank-holidays-england-and-wales.json");

/// Why a bank-holiday list could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BankHolidayError {
    /// The text is not JSON of the GOV.UK shape.
    #[error("bank holidays: {0}")]
    Shape(#[from] serde_json::Error),
    /// The file has no `england-and-wales` division or it lists no dates.
    #[error("bank holidays: the `england-and-wales` division lists no events")]
    Empty,
}

#[derive(Deserialize)]
struct GovUkFile {
    #[serde(rename = "england-and-wales")]
    england_and_wales: GovUkDivision,
}

#[derive(Deserialize)]
struct GovUkDivision {
    events: Vec<GovUkEvent>,
}

#[derive(Deserialize)]
struct GovUkEvent {
    date: Date,
}

/// Office hours of a local authority (C7): a working day between `start` (inclusive) and `end`
/// (exclusive), local time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OfficeHours {
    /// First minute of the office day.
    pub start: Time,
    /// First minute after the office day.
    pub end: Time,
}

impl Default for OfficeHours {
    fn default() -> Self {
        Self {
            start: Time::constant(9, 0, 0, 0),
            end: Time::constant(17, 0, 0, 0),
        }
    }
}

/// Europe/London with the England & Wales bank holidays.
#[derive(Clone, Debug)]
pub struct Calendar {
    tz: TimeZone,
    bank_holidays: BTreeSet<Date>,
}

impl Calendar {
    /// The calendar with Homeward's bundled bank-holiday list.
    pub fn bundled() -> Result<Self, BankHolidayError> {
        Self::from_govuk_json(BUNDLED_BANK_HOLIDAYS)
    }

    /// A calendar whose bank holidays are read from text in the GOV.UK `bank-holidays.json`
    /// shape (only the `england-and-wales` division is used).
    pub fn from_govuk_json(text: &str) -> Result<Self, BankHolidayError> {
        let file: GovUkFile = serde_json::from_str(text)?;
        let bank_holidays: BTreeSet<Date> = file
            .england_and_wales
            .events
            .into_iter()
            .map(|e| e.date)
            .collect();
        if bank_holidays.is_empty() {
            return Err(BankHolidayError::Empty);
        }
        Ok(Self {
            tz: london(),
            bank_holidays,
        })
    }

    /// The bank holidays this calendar knows, in date order.
    pub fn bank_holidays(&self) -> impl Iterator<Item = Date> + '_ {
        self.bank_holidays.iter().copied()
    }

    /// The local (Europe/London) wall-clock date and time of an instant.
    pub fn local(&self, t: Timestamp) -> DateTime {
        self.tz.to_datetime(t)
    }

    /// The local date of an instant.
    pub fn local_date(&self, t: Timestamp) -> Date {
        self.local(t).date()
    }

    /// The instant of a local wall-clock time (C3): a time that occurs twice (October) is the
    /// first, BST, occurrence; a time that does not exist (March) is moved forward by the gap.
    pub fn instant(&self, local: DateTime) -> Timestamp {
        // jiff's "compatible" disambiguation is exactly C3: earlier offset in a fold, later in a gap.
        self.tz
            .to_ambiguous_timestamp(local)
            .compatible()
            .unwrap_or(Timestamp::MAX)
    }

    /// The Europe/London UTC offset in force at an instant, for display.
    pub fn offset_seconds(&self, t: Timestamp) -> i32 {
        self.tz.to_offset(t).seconds()
    }

    /// Whether a date is a working day (C4): Monday to Friday and not a bank holiday.
    pub fn is_working_day(&self, date: Date) -> bool {
        !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
            && !self.bank_holidays.contains(&date)
    }

    /// Whether an instant falls in office hours (C7).
    pub fn in_office_hours(&self, t: Timestamp, hours: OfficeHours) -> bool {
        let local = self.local(t);
        self.is_working_day(local.date()) && local.time() >= hours.start && local.time() < hours.end
    }

    /// The first working day strictly after `date`.
    pub fn next_working_day_after(&self, date: Date) -> Date {
        let mut d = date;
        loop {
            d = d.tomorrow().unwrap_or(Date::MAX);
            if d == Date::MAX || self.is_working_day(d) {
                return d;
            }
        }
    }

    /// `t` plus a protocol duration: hours and minutes as elapsed time (C2), days, weeks and
    /// months on the local wall clock with month-end clamping (C3).
    pub fn add(&self, t: Timestamp, d: ProtocolDuration) -> Timestamp {
        self.shift(t, d, 1)
    }

    /// `t` minus a protocol duration, with the same conventions as [`Calendar::add`].
    pub fn sub(&self, t: Timestamp, d: ProtocolDuration) -> Timestamp {
        self.shift(t, d, -1)
    }

    fn shift(&self, t: Timestamp, d: ProtocolDuration, sign: i64) -> Timestamp {
        match d {
            ProtocolDuration::Minutes(m) => t
                .checked_add(Span::new().minutes(sign * m))
                .unwrap_or(saturate(sign)),
            ProtocolDuration::Days(n) => self.shift_local(t, Span::new().days(sign * n)),
            ProtocolDuration::Months(n) => self.shift_local(t, Span::new().months(sign * n)),
        }
    }

    fn shift_local(&self, t: Timestamp, span: Span) -> Timestamp {
        match self.local(t).checked_add(span) {
            Ok(local) => self.instant(local),
            Err(_) => saturate(span.signum().into()),
        }
    }

    /// "Within N working days of E" (C5): 23:59:59 local on the N-th working day after the local
    /// date of `t`; that date itself never counts.
    pub fn end_of_nth_working_day_after(&self, t: Timestamp, n: u32) -> Timestamp {
        let mut date = self.local_date(t);
        for _ in 0..n {
            date = self.next_working_day_after(date);
        }
        self.end_of_day(date)
    }

    /// "Next working day" after an out-of-hours event (C6): 23:59:59 local on the first working
    /// day whose 09:00 start is after `t`.
    pub fn end_of_next_working_day(&self, t: Timestamp) -> Timestamp {
        let local = self.local(t);
        let today = local.date();
        let date = if self.is_working_day(today) && local.time() < Time::constant(9, 0, 0, 0) {
            today
        } else {
            self.next_working_day_after(today)
        };
        self.end_of_day(date)
    }

    /// The next local midnight after `t`, or `t` itself when its local time is before `cutoff`
    /// (HIPS 6.3.8 "not out overnight", AMB-17).
    pub fn next_midnight_unless_before(&self, t: Timestamp, cutoff: Time) -> Timestamp {
        let local = self.local(t);
        if local.time() < cutoff {
            return t;
        }
        let tomorrow = local.date().tomorrow().unwrap_or(Date::MAX);
        self.instant(tomorrow.to_datetime(Time::midnight()))
    }

    /// 23:59:59 local on a date.
    pub fn end_of_day(&self, date: Date) -> Timestamp {
        self.instant(date.to_datetime(Time::constant(23, 59, 59, 0)))
    }

    /// Age in completed years on the local date of `t` (timeline-v1 §7.1): a birthday on that
    /// date counts, and 29 February birthdays fall on 1 March in common years.
    pub fn age_on(&self, dob: Date, t: Timestamp) -> i16 {
        completed_years(dob, self.local_date(t))
    }
}

/// Completed years from `dob` to `on`.
pub fn completed_years(dob: Date, on: Date) -> i16 {
    let mut years = on.year() - dob.year();
    let birthday_this_year = if dob.month() == 2 && dob.day() == 29 && !on.in_leap_year() {
        (3, 1)
    } else {
        (dob.month(), dob.day())
    };
    if (on.month(), on.day()) < birthday_this_year {
        years -= 1;
    }
    years
}

/// Europe/London from the tz database compiled into the binary: the one zone every local date
/// and time in Homeward is read or written in.
pub fn london() -> TimeZone {
    // The bundled database always has Europe/London; fall back to a fixed GMT zone only so that
    // this constructor cannot panic (a test asserts the real zone is used).
    TimeZoneDatabase::bundled()
        .get("Europe/London")
        .unwrap_or(TimeZone::UTC)
}

fn saturate(sign: i64) -> Timestamp {
    if sign < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    }
}
