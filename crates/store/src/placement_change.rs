//! Why a child moved placement: the DfE SSDA903 `REASON_PLACE_CHANGE` code list, as the DfE's
//! validator (`csc-validator-be-903` 0.1.17, rule 1009) accepts it. Kept here, next to the
//! placement record that carries the code, so that the API, the demo and the SSDA903 export read
//! one list.

/// Every `REASON_PLACE_CHANGE` code with the DfE's description.
pub const CHANGE_REASONS: [(&str, &str); 12] = [
    ("CARPL", "Change to or implementation of the care plan"),
    ("CLOSE", "Resignation or closure of the provision"),
    ("ALLEG", "Allegation (section 47)"),
    ("STAND", "Standards of care concern"),
    ("APPRR", "Approval removed"),
    (
        "CREQB",
        "Carer requested the placement end because of the child's behaviour",
    ),
    (
        "CREQO",
        "Carer requested the placement end for another reason",
    ),
    ("CHILD", "Child requested the placement end"),
    (
        "LAREQ",
        "Responsible or area authority requested the placement end",
    ),
    ("PLACE", "Change in the status of the placement only"),
    ("CUSTOD", "Custody arrangement"),
    ("OTHER", "Other"),
];

/// Whether `code` is a `REASON_PLACE_CHANGE` code (exact, upper case, as the DfE requires).
pub fn is_change_reason(code: &str) -> bool {
    CHANGE_REASONS.iter().any(|(c, _)| *c == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_exact() {
        assert!(is_change_reason("CARPL"));
        assert!(is_change_reason("CUSTOD"));
        assert!(!is_change_reason("carpl"));
        assert!(!is_change_reason(""));
        assert!(!is_change_reason("CHANGE"));
    }
}
