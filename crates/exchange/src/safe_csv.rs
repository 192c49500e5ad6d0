//! The one CSV writer every export uses. A cell that starts with `=`, `+`, `-` or `@` (or a tab
//! or carriage return) would run as a formula when a spreadsheet opens the file, so such cells
//! are written with a leading single quote (OWASP's advice on CSV injection).

use std::borrow::Cow;
use std::path::Path;

use crate::ExchangeError;

/// The cell as it is safe to write.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

/// Writes a header and rows to `path`, every cell neutralised.
pub fn write<R, C>(path: &Path, header: &[&str], rows: R) -> Result<(), ExchangeError>
where
    R: IntoIterator<Item = C>,
    C: IntoIterator,
    C::Item: AsRef<str>,
{
    let fail = |e: &dyn std::fmt::Display| ExchangeError::write(path, e);
    let mut w = csv::Writer::from_path(path).map_err(|e| fail(&e))?;
    w.write_record(header).map_err(|e| fail(&e))?;
    for row in rows {
        w.write_record(row.into_iter().map(|c| neutralise(c.as_ref()).into_owned()))
            .map_err(|e| fail(&e))?;
    }
    w.flush().map_err(|e| fail(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_get_a_quote_and_others_stay() {
        for (cell, out) in [
            ("=1+2", "'=1+2"),
            ("+44 20", "'+44 20"),
            ("-3", "'-3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("Amara Birch", "Amara Birch"),
            ("", ""),
            ("a=b", "a=b"),
        ] {
            assert_eq!(neutralise(cell), out);
        }
    }

    #[test]
    fn written_file_has_neutralised_cells() -> Result<(), Box<dyn std::error::Error>> {
        let dir = std::env::temp_dir().join(format!("homeward-safe-csv-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let path = dir.join("t.csv");
        write(&path, &["A", "B"], [["=HYPERLINK(\"x\")", "ok"]])?;
        let text = std::fs::read_to_string(&path)?;
        assert_eq!(text, "A,B\n\"'=HYPERLINK(\"\"x\"\")\",ok\n");
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }
}
