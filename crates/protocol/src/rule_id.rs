//! Catalogue rule IDs (`shared/spec/rules.md`): `<PROTOCOL>-<TOPIC>-<DETAIL>`.

use std::fmt;

use serde::{Deserialize, Deserializer};

use crate::vocabulary::Protocol;

/// A syntactically valid catalogue rule ID, e.g. `NEWHAM-ESC-LAC-72H`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleId(Box<str>);

/// A string that is not a rule ID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a rule ID (PROTOCOL-PART[-PART...], capitals and digits)")]
pub struct BadRuleId(String);

impl RuleId {
    /// Checks the shape `^(HIPS|LANCS|NEWHAM|SY|MERTON)(-[A-Z0-9]+)+$`.
    pub fn new(s: &str) -> Result<Self, BadRuleId> {
        let mut parts = s.split('-');
        let prefix_ok = parts.next().is_some_and(|p| p.parse::<Protocol>().is_ok());
        let mut rest = parts.peekable();
        let rest_ok = rest.peek().is_some()
            && rest.all(|p| {
                !p.is_empty()
                    && p.bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            });
        if prefix_ok && rest_ok {
            Ok(Self(s.into()))
        } else {
            Err(BadRuleId(s.to_owned()))
        }
    }

    /// The ID as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The protocol the ID belongs to.
    pub fn protocol(&self) -> Protocol {
        // The constructor guarantees a valid prefix.
        self.0
            .split('-')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or(Protocol::Hips)
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for RuleId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::new(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_catalogue_ids() {
        for s in [
            "NEWHAM-ESC-LAC-72H",
            "SY-PI",
            "HIPS-RISK-CARE-U16",
            "MERTON-STRAT-REVIEW-14D",
        ] {
            assert_eq!(RuleId::new(s).map(|r| r.to_string()).as_deref(), Ok(s));
        }
        assert_eq!(RuleId::new("SY-PI").map(|r| r.protocol()), Ok(Protocol::Sy));
    }

    #[test]
    fn rejects_other_shapes() {
        for s in [
            "",
            "SY",
            "SY-",
            "KENT-ESC",
            "sy-pi",
            "SY-pi",
            "SY--PI",
            "SY-PI/CARER",
            "NEWHAM-ESC LAC",
        ] {
            assert!(RuleId::new(s).is_err(), "{s} accepted");
        }
    }
}
