//! Durations as the protocols state them: elapsed hours and minutes, or calendar days, weeks and
//! months. The two kinds never mix (conventions C2 and C3).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer};

/// A duration written in ISO-8601 form in a rule pack: `PT72H`, `PT30M`, `P7D`, `P2W`, `P3M`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProtocolDuration {
    /// Elapsed minutes (`PTnH` is stored as n×60 minutes).
    Minutes(i64),
    /// Calendar days on the local wall clock (`PnW` is stored as n×7 days).
    Days(i64),
    /// Calendar months on the local wall clock, clamped to the end of a shorter month.
    Months(i64),
}

impl ProtocolDuration {
    /// Elapsed hours.
    pub const fn hours(n: i64) -> Self {
        Self::Minutes(n * 60)
    }
}

/// A duration that is not one of the accepted forms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a protocol duration: write PTnH or PTnM (elapsed) or PnD, PnW or PnM (calendar)"
)]
pub struct BadDuration(String);

impl FromStr for ProtocolDuration {
    type Err = BadDuration;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadDuration(s.to_owned());
        let (body, unit) = s.split_at(s.len().saturating_sub(1));
        let (digits, elapsed) = if let Some(d) = body.strip_prefix("PT") {
            (d, true)
        } else if let Some(d) = body.strip_prefix('P') {
            (d, false)
        } else {
            return Err(bad());
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 6 {
            return Err(bad());
        }
        let n: i64 = digits.parse().map_err(|_| bad())?;
        match (elapsed, unit) {
            (true, "H") => Ok(Self::hours(n)),
            (true, "M") => Ok(Self::Minutes(n)),
            (false, "D") => Ok(Self::Days(n)),
            (false, "W") => Ok(Self::Days(n * 7)),
            (false, "M") => Ok(Self::Months(n)),
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for ProtocolDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Minutes(m) if m % 60 == 0 => write!(f, "PT{}H", m / 60),
            Self::Minutes(m) => write!(f, "PT{m}M"),
            Self::Days(d) => write!(f, "P{d}D"),
            Self::Months(m) => write!(f, "P{m}M"),
        }
    }
}

impl<'de> Deserialize<'de> for ProtocolDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_elapsed_and_calendar_forms() {
        assert_eq!("PT72H".parse(), Ok(ProtocolDuration::Minutes(72 * 60)));
        assert_eq!("PT30M".parse(), Ok(ProtocolDuration::Minutes(30)));
        assert_eq!("P7D".parse(), Ok(ProtocolDuration::Days(7)));
        assert_eq!("P2W".parse(), Ok(ProtocolDuration::Days(14)));
        assert_eq!("P3M".parse(), Ok(ProtocolDuration::Months(3)));
    }

    #[test]
    fn rejects_other_forms() {
        for s in [
            "",
            "P",
            "PT",
            "72H",
            "PT1D",
            "P1H",
            "P-1D",
            "PT1.5H",
            "P1Y",
            "pt1h",
            "P1234567D",
        ] {
            assert!(s.parse::<ProtocolDuration>().is_err(), "{s} accepted");
        }
    }

    #[test]
    fn displays_in_the_form_it_was_written() {
        for s in ["PT72H", "PT30M", "P7D", "P3M"] {
            assert_eq!(
                s.parse::<ProtocolDuration>()
                    .map(|d| d.to_string())
                    .as_deref(),
                Ok(s)
            );
        }
    }
}
