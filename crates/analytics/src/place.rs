//! Places as practitioners write them: `"Stratford bus station, E15 1AZ"`, `"e15 1ab"`,
//! `"Meadowhall"`. A place has a postcode district (the outward code of a UK postcode), a named
//! place, or both. Named places compare case- and whitespace-insensitively.

use serde::Serialize;

/// A place read from free text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Place {
    /// Postcode district (outward code), upper case, e.g. `E15`.
    pub district: Option<String>,
    /// The named place as written (whitespace collapsed), without the postcode.
    pub name: Option<String>,
}

impl Place {
    /// Reads a place. A postcode is recognised as the last word pair (`E15 1AZ`), the last word
    /// (`E151AZ`), or a comma-separated part that is only an outward code (`…, E15`); whatever
    /// else is written is the named place. `None` when the text is blank.
    pub fn parse(text: &str) -> Option<Place> {
        let mut parts: Vec<String> = text
            .split(',')
            .map(collapse)
            .filter(|p| !p.is_empty())
            .collect();
        let mut district = None;
        if let Some(pos) = parts.iter().rposition(|p| outward(p).is_some()) {
            district = outward(&parts[pos]);
            parts.remove(pos);
        } else if let Some(last) = parts.last_mut() {
            let words: Vec<&str> = last.split(' ').collect();
            let n = words.len();
            let (found, keep) = if n >= 2 && outward(words[n - 2]).is_some() && inward(words[n - 1])
            {
                (outward(words[n - 2]), n - 2)
            } else {
                (postcode_district(words[n - 1]), n - 1)
            };
            if found.is_some() {
                district = found;
                *last = words[..keep].join(" ");
                if last.is_empty() {
                    parts.pop();
                }
            }
        }
        let name = Some(parts.join(", ")).filter(|n| !n.is_empty());
        (district.is_some() || name.is_some()).then_some(Place { district, name })
    }

    /// The key a named place is compared by: lower case, whitespace collapsed.
    pub fn name_key(&self) -> Option<String> {
        self.name.as_deref().map(name_key)
    }
}

/// The comparison key of a name (places, associates): lower case, whitespace collapsed.
pub fn name_key(name: &str) -> String {
    collapse(name).to_lowercase()
}

/// Trims and collapses runs of whitespace to one space.
pub fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The district of a whole postcode written with or without its space (`e15 1ab`, `E151AB`),
/// or of an outward code alone (`E15`).
pub fn postcode_district(text: &str) -> Option<String> {
    let compact: String = text.split_whitespace().collect::<String>();
    if let Some(d) = outward(&compact) {
        return Some(d);
    }
    let n = compact.len();
    if n > 3 && compact.is_char_boundary(n - 3) && inward(&compact[n - 3..]) {
        return outward(&compact[..n - 3]);
    }
    None
}

/// An outward code: one or two letters, a digit, then an optional digit or letter
/// (`E1`, `E15`, `EC1A`, `SW19`, `M1`). Returned upper case.
fn outward(s: &str) -> Option<String> {
    let up = s.trim().to_ascii_uppercase();
    let b = up.as_bytes();
    let letters = b.iter().take_while(|c| c.is_ascii_alphabetic()).count();
    if !(1..=2).contains(&letters) || b.len() < letters + 1 || b.len() > letters + 2 {
        return None;
    }
    let digit = b[letters].is_ascii_digit();
    let tail_ok = b.get(letters + 1).is_none_or(|c| c.is_ascii_alphanumeric());
    (digit && tail_ok).then_some(up)
}

/// An inward code: a digit and two letters (`1AB`).
fn inward(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 3
        && b[0].is_ascii_digit()
        && b[1].is_ascii_alphabetic()
        && b[2].is_ascii_alphabetic()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(d: Option<&str>, n: Option<&str>) -> Option<Place> {
        Some(Place {
            district: d.map(Into::into),
            name: n.map(Into::into),
        })
    }

    #[test]
    fn postcodes_normalise_to_their_district() {
        assert_eq!(postcode_district("e15 1ab").as_deref(), Some("E15"));
        assert_eq!(postcode_district("E151AB").as_deref(), Some("E15"));
        assert_eq!(postcode_district("  sw19  7nl ").as_deref(), Some("SW19"));
        assert_eq!(postcode_district("EC1A 1BB").as_deref(), Some("EC1A"));
        assert_eq!(postcode_district("m1").as_deref(), Some("M1"));
        assert_eq!(postcode_district("Meadowhall"), None);
        assert_eq!(postcode_district("15E"), None);
        assert_eq!(postcode_district(""), None);
    }

    #[test]
    fn places_split_into_name_and_district() {
        assert_eq!(
            Place::parse("Stratford bus station, E15 1AZ"),
            place(Some("E15"), Some("Stratford bus station"))
        );
        assert_eq!(
            Place::parse("Stratford  bus station e15 1az"),
            place(Some("E15"), Some("Stratford bus station"))
        );
        assert_eq!(Place::parse("e15 1ab"), place(Some("E15"), None));
        assert_eq!(
            Place::parse("Piccadilly Gardens, M1"),
            place(Some("M1"), Some("Piccadilly Gardens"))
        );
        assert_eq!(Place::parse("Meadowhall"), place(None, Some("Meadowhall")));
        assert_eq!(Place::parse("  ,  "), None);
    }

    #[test]
    fn named_places_compare_without_case_or_spacing() {
        let a = Place::parse("Stratford Bus Station").and_then(|p| p.name_key());
        let b = Place::parse("  stratford   bus station ").and_then(|p| p.name_key());
        assert_eq!(a, b);
        assert_eq!(a.as_deref(), Some("stratford bus station"));
    }
}
