//! Reporting periods and how dates are written, in Europe/London.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};
use protocol::calendar::london;

use crate::ExchangeError;

/// A reporting period: whole London days from `first` to `last` inclusive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Period {
    /// First day.
    pub first: Date,
    /// Last day.
    pub last: Date,
    /// Label, e.g. `2025-26` or `2025-Q3`.
    pub label: String,
}

impl Period {
    /// A DfE collection year `YYYY-YY` (1 April to 31 March), e.g. `2025-26`.
    pub fn collection_year(text: &str) -> Result<Self, ExchangeError> {
        let bad = || {
            ExchangeError::Input(format!(
                "collection year {text:?}: expected YYYY-YY, e.g. 2025-26"
            ))
        };
        let (a, b) = text.split_once('-').ok_or_else(bad)?;
        let start: i16 = a.parse().map_err(|_| bad())?;
        let end: i16 = b.parse().map_err(|_| bad())?;
        if a.len() != 4 || b.len() != 2 || (start + 1) % 100 != end {
            return Err(bad());
        }
        Ok(Self {
            first: Date::new(start, 4, 1).map_err(|_| bad())?,
            last: Date::new(start + 1, 3, 31).map_err(|_| bad())?,
            label: text.to_owned(),
        })
    }

    /// A calendar quarter `YYYY-QN` (Q1 = January to March).
    pub fn quarter(text: &str) -> Result<Self, ExchangeError> {
        let bad =
            || ExchangeError::Input(format!("quarter {text:?}: expected YYYY-QN, e.g. 2025-Q3"));
        let (y, q) = text.split_once("-Q").ok_or_else(bad)?;
        let year: i16 = y.parse().map_err(|_| bad())?;
        let q: i8 = q.parse().map_err(|_| bad())?;
        if !(1..=4).contains(&q) {
            return Err(bad());
        }
        let first = Date::new(year, 3 * (q - 1) + 1, 1).map_err(|_| bad())?;
        let last = first
            .checked_add(jiff::Span::new().months(3))
            .and_then(|d| d.checked_sub(jiff::Span::new().days(1)))
            .map_err(|_| bad())?;
        Ok(Self {
            first,
            last,
            label: text.to_owned(),
        })
    }

    /// The seven days ending on `last`.
    pub fn week_ending(last: Date) -> Self {
        let first = last.checked_sub(jiff::Span::new().days(6)).unwrap_or(last);
        Self {
            first,
            last,
            label: format!("week ending {last}"),
        }
    }

    /// The days from `first` to `last`, inclusive.
    pub fn between(first: Date, last: Date) -> Result<Self, ExchangeError> {
        if last < first {
            return Err(ExchangeError::Input(format!(
                "the period ends ({last}) before it starts ({first})"
            )));
        }
        Ok(Self {
            first,
            last,
            label: format!("{first} to {last}"),
        })
    }

    /// The twelve months ending on `last` (Ofsted's Annex A window).
    pub fn twelve_months_to(last: Date) -> Self {
        let first = last
            .checked_sub(jiff::Span::new().years(1))
            .and_then(|d| d.checked_add(jiff::Span::new().days(1)))
            .unwrap_or(last);
        Self {
            first,
            last,
            label: format!("12 months to {last}"),
        }
    }

    /// The first instant of the period (microseconds).
    pub fn start_micros(&self) -> i64 {
        day_start(self.first)
    }

    /// The first instant after the period (microseconds).
    pub fn end_micros(&self) -> i64 {
        day_start(self.last.tomorrow().unwrap_or(self.last))
    }

    /// Whether an instant falls in the period.
    pub fn contains(&self, us: i64) -> bool {
        us >= self.start_micros() && us < self.end_micros()
    }
}

fn day_start(d: Date) -> i64 {
    d.to_zoned(london())
        .map(|z| z.timestamp().as_microsecond())
        .unwrap_or_default()
}

/// The London date of an instant.
pub fn date_of(us: i64, tz: &TimeZone) -> Date {
    zoned(us, tz).date()
}

/// An instant in London.
pub fn zoned(us: i64, tz: &TimeZone) -> Zoned {
    Timestamp::from_microsecond(us)
        .unwrap_or(Timestamp::UNIX_EPOCH)
        .to_zoned(tz.clone())
}

/// `dd/mm/YYYY`, as the DfE and Ofsted templates write dates.
pub fn dmy(d: Date) -> String {
    format!("{:02}/{:02}/{:04}", d.day(), d.month(), d.year())
}

/// An instant as `dd/mm/YYYY HH:MM` in London.
pub fn dmy_hm(us: i64, tz: &TimeZone) -> String {
    let z = zoned(us, tz);
    format!("{} {:02}:{:02}", dmy(z.date()), z.hour(), z.minute())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collection_year_runs_april_to_march() -> Result<(), ExchangeError> {
        let p = Period::collection_year("2025-26")?;
        assert_eq!(p.first, jiff::civil::date(2025, 4, 1));
        assert_eq!(p.last, jiff::civil::date(2026, 3, 31));
        assert!(Period::collection_year("2025-27").is_err());
        assert!(Period::collection_year("25-26").is_err());
        Ok(())
    }

    #[test]
    fn quarter_bounds_and_london_midnight() -> Result<(), ExchangeError> {
        let q = Period::quarter("2025-Q3")?;
        assert_eq!(
            (q.first, q.last),
            (
                jiff::civil::date(2025, 7, 1),
                jiff::civil::date(2025, 9, 30)
            )
        );
        // 1 July 2025 00:00 BST is 30 June 23:00 UTC.
        assert_eq!(q.start_micros(), 1_751_324_400_000_000);
        assert!(Period::quarter("2025-Q5").is_err());
        Ok(())
    }
}
