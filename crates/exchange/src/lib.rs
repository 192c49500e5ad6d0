//! Homeward's returns, exports and imports, over store records. Nothing here reads or writes
//! the store: the caller reads the snapshot (the casework layer's `export_snapshot`, each
//! episode read with [`episodes::view`] as its events stream past) and the import candidates,
//! and writes the import's plan.
//!
//! - [`ssda903`]: the DfE SSDA903 Header, Episodes and Missing tables for a collection year, with
//!   Homeward's own checks before anything is submitted.
//! - [`annex_a`]: Ofsted Annex A List 8 (missing and absent episodes), CSV and xlsx.
//! - [`quarterly`]: the South Yorkshire quarterly data return (protocol 003, section 8.2), its
//!   strategy-meeting triggers read from the SY rule pack (from each episode's `T_rep` and
//!   `T_found`, read by [`episodes`] as the engine reads them).
//! - [`weekly`]: the weekly missing-meeting list.
//! - [`compliance`]: timed obligations met on time, per authority and period (engine due instants).
//! - [`police_list`]: the police daily missing list import, checked row by row.
//! - [`safe_csv`]: the one CSV writer every export uses (formula cells neutralised).
//!
//! Dates and instants are shown in Europe/London ([`period`]).

pub mod annex_a;
pub mod compliance;
pub mod episodes;
#[cfg(test)]
mod fixtures;
mod lookup;
pub mod period;
pub mod police_list;
pub mod quarterly;
pub mod safe_csv;
pub mod ssda903;
pub mod weekly;

/// Why an export or import failed.
#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    /// Writing a file failed.
    #[error("{path}: {message}")]
    Write {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// An argument was malformed (e.g. a collection year).
    #[error("{0}")]
    Input(String),
}

impl ExchangeError {
    /// A failure writing `path`.
    pub(crate) fn write(path: &std::path::Path, e: &dyn std::fmt::Display) -> Self {
        ExchangeError::Write {
            path: path.display().to_string(),
            message: e.to_string(),
        }
    }
}

/// Creates the folder an export writes into, naming it if that fails (every export does this).
pub(crate) fn create_dir(dir: &std::path::Path) -> Result<(), ExchangeError> {
    std::fs::create_dir_all(dir).map_err(|e| ExchangeError::write(dir, &e))
}
