//! Posted forms and their errors in the GOV.UK error-summary pattern: each error names the id
//! of the field it belongs to, so the summary links to it and the field shows it inline.

use std::collections::HashMap;

use crate::error::ApiError;

use super::layout::PageError;

/// A posted `application/x-www-form-urlencoded` form: every value of every field.
#[derive(Default, serde::Deserialize)]
#[serde(transparent)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    /// The first value of a field, trimmed; `None` when absent or blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// The first value of a field, or empty.
    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().to_owned()
    }

    /// The submitted values, to show again after an error.
    pub fn values(&self) -> HashMap<String, String> {
        let mut map = HashMap::new();
        for (k, v) in &self.0 {
            map.entry(k.clone()).or_insert_with(|| v.clone());
        }
        map
    }
}

/// One field's error.
#[derive(Clone, Debug)]
pub struct FieldError {
    /// The id of the input (the summary links to `#id`).
    pub id: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// The errors of a form; empty when it is fine.
#[derive(Clone, Debug, Default)]
pub struct FormErrors(pub Vec<FieldError>);

impl FormErrors {
    /// Adds an error for the input `id`.
    pub fn add(&mut self, id: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError {
            id: id.into(),
            message: message.into(),
        });
    }

    /// Whether there is no error.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The message for the input `id`, if it has one.
    pub fn of(&self, id: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.id == id)
            .map(|e| e.message.as_str())
    }

    /// `govuk-form-group--error` when the input `id` has an error.
    pub fn group_class(&self, id: &str) -> &'static str {
        if self.of(id).is_some() {
            "govuk-form-group--error"
        } else {
            ""
        }
    }

    /// A validation failure of the shared checks (API field path such as `$.event.data.status`)
    /// as an error of the input `{prefix}{name}`; other failures stay failures.
    pub fn from_api(e: ApiError, prefix: &str) -> Result<Self, PageError> {
        if e.code() != "validation_failed" {
            return Err(e.into());
        }
        let path = e.field().unwrap_or("$");
        let name = path
            .rsplit(['.', '$'])
            .find(|s| !s.is_empty())
            .unwrap_or("at")
            .replace(['[', ']'], "-");
        let name = name.trim_end_matches('-');
        let name = if matches!(name, "event" | "data") || name.is_empty() {
            "at"
        } else {
            name
        };
        let mut errors = FormErrors::default();
        errors.add(format!("{prefix}{name}"), capitalised(e.message()));
        Ok(errors)
    }
}

/// A sentence with its first letter in capitals.
pub fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
