//! Profile documents on the child page: the Philomena profile, trigger plan, pre-incident risk
//! assessment and history document, each a set of labelled fields; a new version is recorded
//! through the same use case as the API (earlier versions are kept).

use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Map, Value, json};

use casework::Permission;
use casework::records::ChildId;

use super::forms::{Fields, FormErrors};
use super::layout::{PageError, Viewer};
use crate::AppState;

/// A kind of document: stored name, heading, and its fields (name, label).
pub struct DocSpec {
    /// Stored kind.
    pub kind: &'static str,
    /// Heading.
    pub title: &'static str,
    /// Fields: name in the stored JSON, label.
    pub fields: &'static [(&'static str, &'static str)],
}

/// The documents the child page shows, in order.
pub const DOCUMENTS: &[DocSpec] = &[
    DocSpec {
        kind: "philomena_profile",
        title: "Philomena profile",
        fields: &[
            (
                "description",
                "Description (height, build, hair, clothing, distinguishing marks)",
            ),
            ("places", "Places the child may go"),
            ("associates", "People the child may be with"),
            ("contacts", "Phone numbers and social media"),
            ("health", "Health needs and medication"),
            ("previous", "What happened in earlier episodes"),
        ],
    },
    DocSpec {
        kind: "trigger_plan",
        title: "Trigger plan",
        fields: &[
            ("triggers", "What may lead the child to go missing"),
            ("prevention", "What reduces the risk"),
            ("if_missing", "What to do if the child goes missing"),
            ("on_return", "What to do when the child returns"),
        ],
    },
    DocSpec {
        kind: "pre_incident_risk_assessment",
        title: "Pre-incident risk assessment",
        fields: &[
            ("risks", "Known risks"),
            ("protective", "Protective factors"),
            ("level", "Assessed level of risk"),
        ],
    },
    DocSpec {
        kind: "history_document",
        title: "History document",
        fields: &[("history", "History")],
    },
];

/// The label of a field of a document kind, if the pages know it.
pub fn label(kind: &str, field: &str) -> Option<&'static str> {
    DOCUMENTS
        .iter()
        .find(|d| d.kind == kind)
        .and_then(|d| d.fields.iter().find(|(f, _)| *f == field))
        .map(|(_, l)| *l)
}

/// `POST /children/{id}/documents` (field `kind` and the kind's fields): records a new version.
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<ChildId>,
    Form(form): Form<Fields>,
) -> Result<Response, PageError> {
    viewer.check_csrf(form.get("csrf_token"))?;
    let scope = state
        .casework
        .change_child(&viewer.caller, id, Permission::EditChild)
        .await?;
    let kind = form.text("kind");
    let Some(spec) = DOCUMENTS.iter().find(|d| d.kind == kind) else {
        return Err(crate::error::ApiError::validation("kind", "choose a document").into());
    };
    let mut body = Map::new();
    for (name, _) in spec.fields {
        if let Some(v) = form.get(name) {
            body.insert((*name).to_owned(), json!(v));
        }
    }
    if body.is_empty() {
        let mut errors = FormErrors::default();
        let first = spec.fields.first().map_or("", |(n, _)| n);
        errors.add(
            format!("{kind}-{first}"),
            format!(
                "Enter at least one detail of the {}",
                spec.title.to_lowercase()
            ),
        );
        return super::child::render(
            &state,
            &viewer,
            id,
            StatusCode::UNPROCESSABLE_ENTITY,
            errors,
        )
        .await;
    }
    state
        .casework
        .add_document(&scope, &kind, &Value::Object(body))
        .await?;
    Ok(Redirect::to(&format!("/children/{id}#{kind}")).into_response())
}
