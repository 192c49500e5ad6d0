//! The caseworker pages (HTML): sign-in and its redirect, pages rendering the engine's
//! obligations, forms with their CSRF token and GOV.UK error summary (nothing saved on error),
//! another authority's child not reachable by URL, photo checks, and meeting actions tracked
//! like obligations.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use store::{ChildId, EpisodeId};
use tower::ServiceExt;

use crate::{PASSWORD, Reply, TestApp, on_both};

/// `application/x-www-form-urlencoded` encoding of one value.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub(crate) async fn send(app: &TestApp, req: Request<Body>) -> Reply {
    let res = app
        .router
        .clone()
        .oneshot(req)
        .await
        .unwrap_or_else(|e| unreachable!("{e}"));
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    Reply {
        status,
        headers,
        json: serde_json::Value::Null,
        text: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

pub(crate) fn location(r: &Reply) -> &str {
    r.headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// A signed-in browser: its session cookie and the CSRF token its pages carry.
pub(crate) struct Browser<'a> {
    app: &'a TestApp,
    cookie: String,
    csrf: String,
}

impl<'a> Browser<'a> {
    pub(crate) async fn sign_in(app: &'a TestApp, username: &str) -> Browser<'a> {
        let r = send(
            app,
            Request::post("/sign-in")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(form(&[
                    ("username", username),
                    ("password", PASSWORD),
                ])))
                .unwrap_or_else(|e| unreachable!("{e}")),
        )
        .await;
        assert_eq!(
            (r.status, location(&r)),
            (StatusCode::SEE_OTHER, "/my-work"),
            "{}",
            r.text
        );
        let cookie = r
            .headers
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .and_then(|c| c.split(';').next())
            .unwrap_or_default()
            .to_owned();
        let mut b = Browser {
            app,
            cookie,
            csrf: String::new(),
        };
        let page = b.get("/children").await;
        b.csrf = page
            .text
            .split("name=\"csrf_token\" value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or_default()
            .to_owned();
        assert!(!b.csrf.is_empty(), "the pages carry the CSRF token");
        b
    }

    pub(crate) async fn get(&self, path: &str) -> Reply {
        send(
            self.app,
            Request::get(path)
                .header(header::COOKIE, &self.cookie)
                .body(Body::empty())
                .unwrap_or_else(|e| unreachable!("{e}")),
        )
        .await
    }

    /// Posts a form with the session's CSRF token.
    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let mut all = vec![("csrf_token", self.csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &form(&all)).await
    }

    async fn post_raw(&self, path: &str, body: &str) -> Reply {
        send(
            self.app,
            Request::post(path)
                .header(header::COOKIE, &self.cookie)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body.to_owned()))
                .unwrap_or_else(|e| unreachable!("{e}")),
        )
        .await
    }

    /// Uploads a photo (multipart) with the session's CSRF token.
    async fn upload(&self, path: &str, photo: &[u8], taken_on: &str) -> Reply {
        let boundary = "homeward-test-boundary";
        let mut body = Vec::new();
        for (name, value) in [("csrf_token", self.csrf.as_str()), ("taken_on", taken_on)] {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"p\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(photo);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        send(
            self.app,
            Request::post(path)
                .header(header::COOKIE, &self.cookie)
                .header(
                    header::CONTENT_TYPE,
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .body(Body::from(body))
                .unwrap_or_else(|e| unreachable!("{e}")),
        )
        .await
    }
}

/// Events stored for a child.
async fn events(app: &TestApp, child: ChildId) -> usize {
    app.store
        .child_file(child)
        .await
        .ok()
        .flatten()
        .map_or(0, |f| f.events.len())
}

/// The child reported missing through the episode page's forms (the clock is 2024-09-06 21:00
/// UK time).
async fn report(b: &Browser<'_>, episode: EpisodeId) {
    let path = format!("/episodes/{episode}/events");
    for fields in [
        vec![
            ("event_type", "absence_noticed"),
            ("at", "2024-09-06T19:00"),
            ("status", "missing"),
            ("whereabouts_known", "no"),
            ("contactable", "no"),
        ],
        vec![
            ("event_type", "reported_missing"),
            ("at", "2024-09-06T19:30"),
            ("to", "Metropolitan Police"),
        ],
        vec![
            ("event_type", "risk_graded"),
            ("at", "2024-09-06T19:40"),
            ("level", "high"),
        ],
    ] {
        let r = b.post(&path, &fields).await;
        assert_eq!(
            (r.status, location(&r)),
            (
                StatusCode::SEE_OTHER,
                format!("/episodes/{episode}").as_str()
            ),
            "{}",
            r.text
        );
    }
}

#[test]
fn pages_need_a_session_and_signing_in_leads_to_my_work() {
    on_both(|app| async move {
        for path in ["/my-work", "/missing-now", "/children/1", "/episodes/1"] {
            let r = send(
                &app,
                Request::get(path)
                    .body(Body::empty())
                    .unwrap_or_else(|e| unreachable!("{e}")),
            )
            .await;
            assert_eq!(
                (r.status, location(&r)),
                (StatusCode::SEE_OTHER, "/sign-in"),
                "{path}"
            );
        }
        let wrong = send(
            &app,
            Request::post("/sign-in")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(form(&[
                    ("username", "social_worker.newham"),
                    ("password", "nope"),
                ])))
                .unwrap_or_else(|e| unreachable!("{e}")),
        )
        .await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            wrong.text.contains("govuk-error-summary") && wrong.text.contains("href=\"#username\"")
        );
        assert!(wrong.headers.get(header::SET_COOKIE).is_none());
        let b = Browser::sign_in(&app, "social_worker.newham").await;
        let home = b.get("/").await;
        assert_eq!(
            (home.status, location(&home)),
            (StatusCode::SEE_OTHER, "/my-work")
        );
        let page = b.get("/my-work").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.text.contains("Skip to main content") && page.text.contains("id=\"main-content\"")
        );
        let out = b.post("/sign-out", &[]).await;
        assert_eq!(
            (out.status, location(&out)),
            (StatusCode::SEE_OTHER, "/sign-in")
        );
        let after = b.get("/my-work").await;
        assert_eq!(
            (after.status, location(&after)),
            (StatusCode::SEE_OTHER, "/sign-in")
        );
    });
}

#[test]
fn static_files_are_served_from_the_binary_with_their_types() {
    on_both(|app| async move {
        for (path, kind) in [
            (
                "/static/vendor/govuk-frontend/govuk-frontend.min.css",
                "text/css",
            ),
            ("/static/vendor/htmx/htmx.min.js", "javascript"),
            ("/assets/fonts/bold-b542beb274-v2.woff2", "font/woff2"),
            ("/static/homeward/homeward.js", "javascript"),
        ] {
            let r = send(
                &app,
                Request::get(path)
                    .body(Body::empty())
                    .unwrap_or_else(|e| unreachable!("{e}")),
            )
            .await;
            let ct = r
                .headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            assert_eq!(r.status, StatusCode::OK, "{path}");
            assert!(ct.contains(kind), "{path}: {ct}");
            assert!(r.headers.get(header::CACHE_CONTROL).is_some(), "{path}");
        }
    });
}

#[test]
fn every_page_renders_and_shows_the_engines_deadlines() {
    on_both(|app| async move {
        let (child, episode) = app.seed_child().await;
        let b = Browser::sign_in(&app, "social_worker.newham").await;
        report(&b, episode).await;
        for path in [
            "/my-work".to_owned(),
            "/my-work?page=2".to_owned(),
            "/missing-now".to_owned(),
            "/weekly".to_owned(),
            "/children".to_owned(),
            "/children?q=lee".to_owned(),
            format!("/children/{child}"),
            format!("/episodes/{episode}"),
            format!("/episodes/{episode}/interviews/new"),
            format!("/episodes/{episode}/meetings/new"),
            format!("/episodes/{episode}/print/leadership-alert"),
            format!("/episodes/{episode}/print/strategic-notification"),
            format!("/children/{child}/print/police-pack"),
        ] {
            let r = b.get(&path).await;
            assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
            assert!(r.text.contains("Lee Example"), "{path} names the child");
            // The SVG namespace of inline icons is a name, not a request.
            let text = r.text.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
            assert!(
                !text.contains("http://") && !text.contains("https://"),
                "{path} refers to nothing outside the server"
            );
        }
        let board = b.get("/missing-now").await.text;
        assert!(board.contains("High risk"), "the board shows the grading");
        // Each obligation row shows the engine's due instant: compare with the API's answer.
        let api = app
            .get(
                &format!("/api/v1/children/{child}/timeline"),
                "social_worker.newham",
            )
            .await;
        let page = b.get(&format!("/episodes/{episode}")).await.text;
        let obligations = api.json["obligations"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(!obligations.is_empty());
        for o in &obligations {
            let rule = o["rule"].as_str().unwrap_or_default();
            let row = page
                .split(&format!("data-rule-id=\"{rule}\""))
                .nth(1)
                .and_then(|s| s.split("</tr>").next())
                .unwrap_or_default();
            assert!(!row.is_empty(), "{rule} has a row");
            assert!(
                row.contains(&format!(
                    "data-status=\"{}\"",
                    o["status"].as_str().unwrap_or_default()
                )),
                "{rule}"
            );
            if let Some(due) = o["due"].as_str() {
                assert!(
                    row.contains(&format!("datetime=\"{due}\"")),
                    "{rule} due {due}: {row}"
                );
            }
            let citation = o["citation"].as_str().unwrap_or_default();
            assert!(row.contains(citation), "{rule} cites {citation}");
        }
    });
}

#[test]
fn forms_without_the_csrf_token_are_refused_and_save_nothing() {
    on_both(|app| async move {
        let (child, episode) = app.seed_child().await;
        let b = Browser::sign_in(&app, "social_worker.newham").await;
        let before = events(&app, child).await;
        let r = b
            .post_raw(
                &format!("/episodes/{episode}/events"),
                &form(&[
                    ("event_type", "reported_missing"),
                    ("at", "2024-09-06T19:30"),
                    ("to", "Metropolitan Police"),
                ]),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let wrong = b
            .post_raw(
                &format!("/children/{child}/episodes"),
                &form(&[("csrf_token", "not-the-token")]),
            )
            .await;
        assert_eq!(wrong.status, StatusCode::FORBIDDEN);
        assert_eq!(events(&app, child).await, before);
    });
}

#[test]
fn invalid_events_show_the_error_summary_and_save_nothing() {
    on_both(|app| async move {
        let (child, episode) = app.seed_child().await;
        let b = Browser::sign_in(&app, "social_worker.newham").await;
        let path = format!("/episodes/{episode}/events");
        let audit = app.audit_rows().await;
        // Required fields left blank: named by the form itself.
        let r = b
            .post(
                &path,
                &[
                    ("event_type", "absence_noticed"),
                    ("at", "2024-09-06T19:00"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("govuk-error-summary") && r.text.contains("role=\"alert\""));
        for id in [
            "absence_noticed-status",
            "absence_noticed-whereabouts_known",
            "absence_noticed-contactable",
        ] {
            assert!(r.text.contains(&format!("href=\"#{id}\"")), "{id}");
            assert!(
                r.text.contains(&format!("id=\"{id}-error\"")),
                "{id} inline"
            );
        }
        // A time in the future: refused by the shared event check, shown on the field.
        let r = b
            .post(
                &path,
                &[
                    ("event_type", "reported_missing"),
                    ("at", "2024-09-07T09:00"),
                    ("to", "Met"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.text.contains("href=\"#reported_missing-at\""),
            "{}",
            r.text
        );
        assert!(r.text.contains("value=\"Met\""), "what was typed is kept");
        // An unknown rule in `satisfies`: the timeline reader's message.
        let r = b
            .post(
                &path,
                &[
                    ("event_type", "action_recorded"),
                    ("at", "2024-09-06T19:00"),
                    ("action", "x"),
                    ("satisfies", "NOT-A-RULE"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert_eq!(events(&app, child).await, 0, "nothing saved");
        // Reads are audited, but no write was recorded.
        let log = app.audit_log().await;
        assert!(log[audit..].iter().all(|r| r.entry.action == "read"));
    });
}

#[test]
fn another_authoritys_child_is_not_reachable_by_url() {
    on_both(|app| async move {
        let (child, episode) = app.seed_child().await;
        let own = Browser::sign_in(&app, "social_worker.newham").await;
        report(&own, episode).await;
        let obligation = app
            .store
            .child_obligations(child)
            .await
            .ok()
            .and_then(|o| o.iter().find(|o| o.is_open()).map(|o| o.id))
            .unwrap_or_else(|| unreachable!("an open obligation"));
        let b = Browser::sign_in(&app, "social_worker.sheffield").await;
        for path in [
            format!("/children/{child}"),
            format!("/children/{child}/photo"),
            format!("/episodes/{episode}"),
            format!("/episodes/{episode}/interviews/new"),
            format!("/episodes/{episode}/print/leadership-alert"),
            format!("/children/{child}/print/police-pack"),
            "/episodes/999999".to_owned(),
        ] {
            let r = b.get(&path).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
            assert!(
                r.text.contains("Page not found") && !r.text.contains("Lee Example"),
                "{path}"
            );
        }
        let before = events(&app, child).await;
        let r = b
            .post(
                &format!("/obligations/{obligation}/discharge"),
                &[("note", "done")],
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = b.post(&format!("/children/{child}/episodes"), &[]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(events(&app, child).await, before);
        assert!(!b.get("/missing-now").await.text.contains("Lee Example"));
    });
}

#[test]
fn discharging_an_obligation_needs_a_note_and_records_it() {
    on_both(|app| async move {
        let (child, episode) = app.seed_child().await;
        let b = Browser::sign_in(&app, "social_worker.newham").await;
        report(&b, episode).await;
        let o = app
            .store
            .child_obligations(child)
            .await
            .ok()
            .and_then(|o| o.into_iter().find(|o| o.is_open()))
            .unwrap_or_else(|| unreachable!("an open obligation"));
        let before = events(&app, child).await;
        let back = format!("/episodes/{episode}");
        let r = b
            .post(
                &format!("/obligations/{}/discharge", o.id),
                &[("note", " "), ("return_to", &back)],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains(&format!("href=\"#note-{}\"", o.id)));
        assert_eq!(events(&app, child).await, before);
        let r = b
            .post(
                &format!("/obligations/{}/discharge", o.id),
                &[("note", "Told the team"), ("return_to", &back)],
            )
            .await;
        assert_eq!(
            (r.status, location(&r)),
            (StatusCode::SEE_OTHER, back.as_str())
        );
        assert_eq!(events(&app, child).await, before + 1);
        let tag = match &o.obligation.share {
            Some(s) => format!("{}/{s}", o.obligation.rule),
            None => o.obligation.rule.clone(),
        };
        let left = app.store.child_obligations(child).await.unwrap_or_default();
        assert!(
            !left.iter().any(|x| x.is_open()
                && x.obligation.rule == o.obligation.rule
                && x.obligation.share == o.obligation.share
                && x.obligation.episode_id == o.obligation.episode_id),
            "{tag} is discharged"
        );
        // The obligation keeps its ID and stays readable, met.
        let met = left
            .iter()
            .find(|x| x.id == o.id)
            .map(|x| x.obligation.ended);
        assert_eq!(met, Some(Some(store::Ended::Discharged)), "{tag}");
        assert!(
            b.get(&back).await.text.contains("Told the team"),
            "the note is on the timeline"
        );
    });
}

#[test]
fn photos_are_checked_by_type_and_size_and_warn_when_old() {
    on_both(|app| async move {
        let (child, _) = app.seed_child().await;
        let b = Browser::sign_in(&app, "social_worker.newham").await;
        let path = format!("/children/{child}/photo");
        let png: Vec<u8> = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0].to_vec();
        let r = b.upload(&path, b"GIF89a not a photo", "2024-09-01").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("JPEG or PNG") && r.text.contains("href=\"#photo-file\""));
        let mut big = png.clone();
        big.resize(5 * 1024 * 1024 + 1, 0);
        let r = b.upload(&path, &big, "2024-09-01").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("5 MB or less"));
        let r = b.upload(&path, &png, "2024-09-08").await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "taken after today"
        );
        assert!(
            app.store.latest_photo(child).await.ok().flatten().is_none(),
            "nothing stored"
        );
        // 6 June 2024 + 3 months = 6 September 2024, before now (21:00 on 6 September).
        let r = b.upload(&path, &png, "2024-06-06").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        assert!(
            b.get(&format!("/children/{child}"))
                .await
                .text
                .contains("more than 3 months old")
        );
        let img = b.get(&path).await;
        assert_eq!(
            img.headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok()),
            Some("image/png")
        );
        // 7 June + 3 months is 7 September: not yet old.
        let r = b.upload(&path, &png, "2024-06-07").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(
            !b.get(&format!("/children/{child}"))
                .await
                .text
                .contains("more than 3 months old")
        );
        let reads = app.audit_log().await;
        assert!(
            reads
                .iter()
                .any(|r| r.entry.entity == "photo" && r.entry.action == "read"),
            "photo reads are audited"
        );
    });
}

#[test]
fn meeting_actions_are_tracked_like_obligations_and_interviews_are_signed_off() {
    on_both(|app| async move {
        let (_, episode) = app.seed_child().await;
        let b = Browser::sign_in(&app, "social_worker.newham").await;
        report(&b, episode).await;
        let r = b
            .post(
                &format!("/episodes/{episode}/meetings"),
                &[
                    ("meeting_type", "strategy"),
                    ("held_at", "2024-09-06T20:30"),
                    ("chair", "Sam Chair"),
                    (
                        "attendees",
                        "Sam Chair, Team manager, CSC\nPC Lee, Officer, Met",
                    ),
                    ("decisions", "Search the park"),
                    ("action-1-description", "Visit the school"),
                    ("action-1-owner", "Jo Bloggs"),
                    ("action-1-due", "2024-09-07T08:00"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        let meeting = location(&r).to_owned();
        let page = b.get(&meeting).await.text;
        assert!(page.contains("PC Lee") && page.contains("Search the park"));
        let work = b.get("/my-work").await.text;
        assert!(
            work.contains("Visit the school")
                && work.contains("data-rule-id=\"MEETING-ACTION\" data-status=\"open\"")
        );
        assert!(
            b.get(&format!("/episodes/{episode}"))
                .await
                .text
                .contains("Visit the school")
        );
        // Within the 12-hour session, past the action's due time (07:00 UTC).
        app.set_now("2024-09-07T07:30:00Z").await;
        let work = b.get("/my-work").await.text;
        assert!(work.contains("data-rule-id=\"MEETING-ACTION\" data-status=\"overdue\""));
        let action = work
            .split("action=\"/meeting-actions/")
            .nth(1)
            .and_then(|s| s.split('/').next())
            .unwrap_or_default()
            .to_owned();
        let r = b
            .post(
                &format!("/meeting-actions/{action}/complete"),
                &[("return_to", "/my-work")],
            )
            .await;
        assert_eq!(
            (r.status, location(&r)),
            (StatusCode::SEE_OTHER, "/my-work")
        );
        assert!(!b.get("/my-work").await.text.contains("Visit the school"));
        assert!(b.get(&meeting).await.text.contains("data-status=\"done\""));

        // Return interview: recorded by the social worker, signed off by a team manager once.
        let r = b
            .post(
                &format!("/episodes/{episode}/interviews"),
                &[
                    ("outcome", "offered"),
                    ("at", "2024-09-07T08:15"),
                    ("interviewer", "Jo Bloggs"),
                    ("mode", "in_person"),
                    ("disclosures", "private words"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        let interview = location(&r).to_owned();
        let tm = Browser::sign_in(&app, "team_manager.newham").await;
        let page = tm.get(&interview).await.text;
        assert!(page.contains("Sign off interview") && page.contains("private words"));
        let version = page
            .split("name=\"version\" value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or_default()
            .to_owned();
        let r = tm
            .post(&format!("{interview}/sign-off"), &[("version", &version)])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let again = tm
            .post(&format!("{interview}/sign-off"), &[("version", &version)])
            .await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        assert!(tm.get(&interview).await.text.contains("Signed off by"));
        let police = Browser::sign_in(&app, "police_missing_coordinator.newham").await;
        let seen = police.get(&interview).await.text;
        assert!(
            !seen.contains("private words"),
            "disclosures only for roles that need them"
        );
    });
}

#[test]
fn profile_documents_are_recorded_from_the_child_page() {
    on_both(|app| async move {
        let (child, _) = app.seed_child().await;
        let b = Browser::sign_in(&app, "social_worker.newham").await;
        let path = format!("/children/{child}/documents");
        let r = b.post(&path, &[("kind", "trigger_plan")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains("href=\"#trigger_plan-triggers\""));
        assert!(
            app.store
                .documents(child)
                .await
                .unwrap_or_default()
                .is_empty()
        );
        let r = b
            .post(
                &path,
                &[
                    ("kind", "philomena_profile"),
                    ("places", "Stratford bus station"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        let page = b.get(&format!("/children/{child}")).await.text;
        assert!(page.contains("Places the child may go") && page.contains("Stratford bus station"));
        let pack = b
            .get(&format!("/children/{child}/print/police-pack"))
            .await
            .text;
        assert!(
            pack.contains("Stratford bus station"),
            "the police pack carries the profile"
        );
        let police = Browser::sign_in(&app, "police_missing_coordinator.newham").await;
        let r = police
            .post(&path, &[("kind", "trigger_plan"), ("triggers", "x")])
            .await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "the police read, not write, the profile"
        );
    });
}

/// The obligation IDs of each obligation table on a page, by the table's caption.
fn obligation_tables(html: &str) -> Vec<(String, Vec<i64>)> {
    html.split("<caption class=\"govuk-table__caption govuk-table__caption--m\">")
        .skip(1)
        .map(|t| {
            let table = t.split("</table>").next().unwrap_or_default();
            let caption = table.split("</caption>").next().unwrap_or_default();
            let ids = table
                .split("data-obligation-id=\"")
                .skip(1)
                .filter_map(|s| s.split('"').next()?.parse().ok())
                .collect();
            (caption.to_owned(), ids)
        })
        .filter(|(_, ids): &(String, Vec<i64>)| !ids.is_empty())
        .collect()
}

#[test]
fn my_work_is_paged_25_rows_a_section() {
    on_both(|app| async move {
        let sw = "social_worker.newham";
        for _ in 0..CHILDREN {
            let (_, episode) = app.seed_child().await;
            let r = app
                .post(
                    &format!("/api/v1/episodes/{episode}/events"),
                    sw,
                    serde_json::json!({"event": {"at": "2024-09-06T20:30:00+01:00", "type": "reported_missing", "data": {"to": "Metropolitan Police"}}}),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        }
        // What the social worker owns, as the API lists it.
        let listed = app
            .get(
                "/api/v1/obligations?owner_role=social_worker&per_page=200",
                sw,
            )
            .await;
        let mut owned: Vec<i64> = listed.json["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|o| o["id"].as_i64())
            .collect();
        owned.sort_unstable();
        let b = Browser::sign_in(&app, sw).await;
        let mut shown: Vec<i64> = Vec::new();
        let mut page = 1;
        loop {
            let r = b.get(&format!("/my-work?page={page}")).await;
            assert_eq!(r.status, StatusCode::OK, "page {page}: {}", r.text);
            let tables = obligation_tables(&r.text);
            for (caption, ids) in &tables {
                assert!(
                    ids.len() <= 25,
                    "page {page}, {caption}: {} rows",
                    ids.len()
                );
                shown.extend(ids);
            }
            if page == 1 {
                assert!(
                    tables.iter().any(|(_, ids)| ids.len() == 25),
                    "a full section on the first page: {:?}",
                    tables
                        .iter()
                        .map(|(c, ids)| (c, ids.len()))
                        .collect::<Vec<_>>()
                );
            }
            let previous = format!("href=\"/my-work?page={}\" rel=\"prev\"", page - 1);
            assert_eq!(r.text.contains(&previous), page > 1, "page {page}");
            if !r
                .text
                .contains(&format!("href=\"/my-work?page={}\" rel=\"next\"", page + 1))
            {
                break;
            }
            page += 1;
            assert!(page <= 10, "the pages end");
        }
        assert!(page > 1, "more than 25 rows in a section: a second page");
        // Every obligation is on exactly one page.
        shown.sort_unstable();
        assert_eq!(shown, owned);
    });
}

/// Children reported missing for the paging test: each brings its social worker three
/// obligations due later, so nine make 27, more than a section's page of 25.
const CHILDREN: usize = 9;
