//! The event forms of the episode page: one per timeline v1 event type (spec §6.2), each field
//! with its label. The forms only gather what the user typed into the event's JSON shape; the
//! event itself is checked by the same reader as the API and `homeward evaluate`.

use serde_json::{Map, Value, json};

use super::forms::{Fields, FormErrors};

/// How a field is entered.
pub enum Kind {
    /// Free text.
    Text,
    /// One of these values.
    Choice(&'static [&'static str]),
    /// Yes or no (a JSON boolean).
    YesNo,
}

/// One field of an event's `data`.
pub struct FieldSpec {
    /// Name in `data`.
    pub name: &'static str,
    /// Label shown.
    pub label: &'static str,
    /// How it is entered.
    pub kind: Kind,
    /// Whether the event needs it.
    pub required: bool,
}

/// One event type and its fields.
pub struct EventSpec {
    /// Timeline v1 type.
    pub kind: &'static str,
    /// What the form is called.
    pub title: &'static str,
    /// Its `data` fields (besides `by` and `note`, which every form has).
    pub fields: &'static [FieldSpec],
}

const fn text(name: &'static str, label: &'static str, required: bool) -> FieldSpec {
    FieldSpec {
        name,
        label,
        kind: Kind::Text,
        required,
    }
}

const fn choice(
    name: &'static str,
    label: &'static str,
    options: &'static [&'static str],
    required: bool,
) -> FieldSpec {
    FieldSpec {
        name,
        label,
        kind: Kind::Choice(options),
        required,
    }
}

const fn yes_no(name: &'static str, label: &'static str, required: bool) -> FieldSpec {
    FieldSpec {
        name,
        label,
        kind: Kind::YesNo,
        required,
    }
}

const RHI_MODES: &[&str] = &["in_person", "telephone", "video"];

/// Every event type, in the order of the spec.
pub const EVENTS: &[EventSpec] = &[
    EventSpec {
        kind: "absence_noticed",
        title: "Absence noticed",
        fields: &[
            choice(
                "status",
                "Status",
                &[
                    "missing",
                    "absent",
                    "unauthorised_absence",
                    "awol",
                    "absconder",
                ],
                true,
            ),
            yes_no(
                "whereabouts_known",
                "Are the child's whereabouts known?",
                true,
            ),
            yes_no("contactable", "Can the child be contacted?", true),
            yes_no("at_risk", "Are there concerns the child is at risk?", false),
            yes_no(
                "aggravating_factors",
                "Are there aggravating factors?",
                false,
            ),
        ],
    },
    EventSpec {
        kind: "reported_missing",
        title: "Reported missing to police",
        fields: &[
            text("to", "Police force reported to", true),
            text("police_ref", "Police reference", false),
        ],
    },
    EventSpec {
        kind: "risk_graded",
        title: "Police risk grading",
        fields: &[choice(
            "level",
            "Risk level",
            &["high", "medium", "low", "no_apparent_risk"],
            true,
        )],
    },
    EventSpec {
        kind: "risk_reviewed",
        title: "Risk reviewed without a change of grade",
        fields: &[choice(
            "kind",
            "Kind of review",
            &["verification", "review"],
            false,
        )],
    },
    EventSpec {
        kind: "la_aware",
        title: "Local authority made aware",
        fields: &[
            text("authority", "Authority", true),
            choice("via", "Through", &["EDT", "MASH", "SW"], true),
        ],
    },
    EventSpec {
        kind: "came_to_notice",
        title: "Came to the notice of another authority",
        fields: &[
            text("authority", "Authority", true),
            text("where", "Where", false),
        ],
    },
    EventSpec {
        kind: "concern_identified",
        title: "Concern identified",
        fields: &[choice(
            "concern",
            "Concern",
            &[
                "cse",
                "cce",
                "exploitation",
                "network_exploitation",
                "trafficking",
                "radicalisation",
                "known_mental_health",
                "sen_disability",
                "safeguarding",
            ],
            true,
        )],
    },
    EventSpec {
        kind: "strategy_meeting_directed",
        title: "Strategy meeting directed",
        fields: &[],
    },
    EventSpec {
        kind: "located",
        title: "Located (seen, whereabouts known)",
        fields: &[text("where", "Where", false)],
    },
    EventSpec {
        kind: "police_notified_of_return",
        title: "Police notified of the return",
        fields: &[],
    },
    EventSpec {
        kind: "returned",
        title: "Returned",
        fields: &[text("to", "Returned to", false)],
    },
    EventSpec {
        kind: "child_seen",
        title: "Child seen",
        fields: &[choice("mode", "How", &["in_person", "video"], false)],
    },
    EventSpec {
        kind: "prevention_interview_completed",
        title: "Prevention interview (safe and well check) completed",
        fields: &[choice(
            "mode",
            "How",
            &["face_to_face", "telephone", "video"],
            true,
        )],
    },
    EventSpec {
        kind: "rhi_offered",
        title: "Return interview offered",
        fields: &[choice("mode", "How", RHI_MODES, false)],
    },
    EventSpec {
        kind: "rhi_completed",
        title: "Return interview completed",
        fields: &[choice("mode", "How", RHI_MODES, false)],
    },
    EventSpec {
        kind: "rhi_declined",
        title: "Return interview declined",
        fields: &[],
    },
    EventSpec {
        kind: "meeting_held",
        title: "Meeting held",
        fields: &[
            choice(
                "meeting_type",
                "Type of meeting",
                &[
                    "strategy",
                    "core_group",
                    "complex_strategy",
                    "safeguarding",
                    "etac",
                    "intervention",
                    "second_stage_intervention",
                    "weekly_missing",
                    "other",
                ],
                true,
            ),
            text("chair", "Chair", false),
            yes_no("face_to_face", "Was it held face to face?", false),
        ],
    },
    EventSpec {
        kind: "notification_sent",
        title: "Notification sent",
        fields: &[
            text("to", "Sent to", true),
            text("from", "Sent by (team or service)", false),
            text("form", "Form or document", false),
            yes_no("automated", "Was it sent automatically?", false),
        ],
    },
    EventSpec {
        kind: "ra_notified",
        title: "Responsible authority notified",
        fields: &[text("to", "Who was told", false)],
    },
    EventSpec {
        kind: "form_completed",
        title: "Form completed",
        fields: &[text("form", "Form, record or log", true)],
    },
    EventSpec {
        kind: "form_shared",
        title: "Form shared",
        fields: &[
            text("form", "Form or document", true),
            text("to", "Shared with", true),
        ],
    },
    EventSpec {
        kind: "action_recorded",
        title: "Other action",
        fields: &[text("action", "What was done", true)],
    },
];

/// The spec of an event type.
pub fn spec(kind: &str) -> Option<&'static EventSpec> {
    EVENTS.iter().find(|e| e.kind == kind)
}

/// The title of an event type (the type itself if unknown).
pub fn title(kind: &str) -> &str {
    spec(kind).map_or(kind, |s| s.title)
}

/// The `data` of an event from its form, and the form's own errors (required fields left
/// blank), each on the input `{kind}-{field}`.
pub fn data(spec: &EventSpec, form: &Fields, errors: &mut FormErrors) -> Value {
    let mut data = Map::new();
    for f in spec.fields {
        let id = format!("{}-{}", spec.kind, f.name);
        let Some(v) = form.get(f.name) else {
            if f.required {
                let message = match f.kind {
                    Kind::Text => format!("Enter {}", f.label.to_lowercase()),
                    Kind::Choice(_) => format!("Choose the {}", f.label.to_lowercase()),
                    Kind::YesNo => format!("Select yes or no: {}", f.label),
                };
                errors.add(id, message);
            }
            continue;
        };
        let value = match f.kind {
            Kind::YesNo => json!(v == "yes"),
            _ => json!(v),
        };
        data.insert(f.name.to_owned(), value);
    }
    for name in ["by", "note"] {
        if let Some(v) = form.get(name) {
            data.insert(name.to_owned(), json!(v));
        }
    }
    Value::Object(data)
}

/// The rule IDs (or share tags) typed into a `satisfies` box, comma or space separated.
pub fn satisfies(form: &Fields) -> Vec<String> {
    form.text("satisfies")
        .split([',', ' '])
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}
