//! The demo partnership: synthetic authorities, users, children, placements and two years of
//! episodes, some open now across risk levels and some out of area. Every name is invented.

use jiff::{SignedDuration, Timestamp};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use store::{AuditEntry, ChildFields, NewAuthority, NewEvent, NewPlacement, NewUser, Repository};
use web::access::Role;

/// Password of every demo account (synthetic data only; printed by `serve --demo`).
pub const DEMO_PASSWORD: &str = "homeward-demo";

/// The partnership's authorities and two outside it: (code, name, protocol, police force).
pub const AUTHORITIES: [(&str, &str, Option<&str>, &str); 15] = [
    (
        "HAMPSHIRE",
        "Hampshire County Council",
        Some("HIPS"),
        "Hampshire Constabulary",
    ),
    (
        "ISLE-OF-WIGHT",
        "Isle of Wight Council",
        Some("HIPS"),
        "Hampshire Constabulary",
    ),
    (
        "SOUTHAMPTON",
        "Southampton City Council",
        Some("HIPS"),
        "Hampshire Constabulary",
    ),
    (
        "PORTSMOUTH",
        "Portsmouth City Council",
        Some("HIPS"),
        "Hampshire Constabulary",
    ),
    (
        "LANCASHIRE",
        "Lancashire County Council",
        Some("LANCS"),
        "Lancashire Constabulary",
    ),
    (
        "BLACKPOOL",
        "Blackpool Council",
        Some("LANCS"),
        "Lancashire Constabulary",
    ),
    (
        "BLACKBURN",
        "Blackburn with Darwen Borough Council",
        Some("LANCS"),
        "Lancashire Constabulary",
    ),
    (
        "NEWHAM",
        "London Borough of Newham",
        Some("NEWHAM"),
        "Metropolitan Police",
    ),
    (
        "BARNSLEY",
        "Barnsley Metropolitan Borough Council",
        Some("SY"),
        "South Yorkshire Police",
    ),
    (
        "DONCASTER",
        "City of Doncaster Council",
        Some("SY"),
        "South Yorkshire Police",
    ),
    (
        "ROTHERHAM",
        "Rotherham Metropolitan Borough Council",
        Some("SY"),
        "South Yorkshire Police",
    ),
    (
        "SHEFFIELD",
        "Sheffield City Council",
        Some("SY"),
        "South Yorkshire Police",
    ),
    (
        "MERTON",
        "London Borough of Merton",
        Some("MERTON"),
        "Metropolitan Police",
    ),
    ("KENT", "Kent County Council", None, "Kent Police"),
    ("ESSEX", "Essex County Council", None, "Essex Police"),
];

const LEVELS: [&str; 4] = ["high", "medium", "medium", "low"];
const CHANNELS: [&str; 3] = ["EDT", "MASH", "SW"];
const FIRST: [&str; 24] = [
    "Amara", "Ben", "Chloe", "Dylan", "Ella", "Finn", "Grace", "Harvey", "Isla", "Jayden", "Kiera",
    "Leo", "Maya", "Noah", "Olivia", "Phoebe", "Quinn", "Riley", "Sophie", "Tyler", "Uma",
    "Vinnie", "Willow", "Zac",
];
const LAST: [&str; 16] = [
    "Ashdown", "Birch", "Calder", "Dunmore", "Elston", "Fairley", "Garrow", "Hollins", "Ingram",
    "Jessop", "Kemble", "Lyndon", "Marlow", "Norcott", "Orwin", "Pellow",
];

/// What the demo loaded.
pub struct Loaded {
    /// Children created.
    pub children: usize,
    /// Episodes created.
    pub episodes: usize,
    /// Sign-in names, one per role for each partnership authority.
    pub sign_ins: Vec<String>,
}

fn system(now: Timestamp) -> AuditEntry {
    AuditEntry {
        at: web::micros(now),
        user_id: None,
        action: "write".into(),
        entity: "demo".into(),
        entity_id: None,
        child_id: None,
        remote_addr: "demo loader".into(),
    }
}

fn ev(at: Timestamp, kind: &str, data: Value) -> (Timestamp, Value) {
    (
        at,
        json!({"at": at.to_string(), "type": kind, "data": data}),
    )
}

/// Loads the demo partnership into an empty store: `children` children with episodes spread over
/// the two years before `now`. `password_hash` is the hash every demo account gets.
pub async fn load(
    store: &dyn Repository,
    web: &web::AppState,
    children: usize,
    now: Timestamp,
    password_hash: &str,
    seed: u64,
) -> Result<Loaded, String> {
    let err = |e: store::StoreError| e.to_string();
    // Whole minutes keep the synthetic instants readable.
    let now = now.round(jiff::Unit::Minute).map_err(|e| e.to_string())?;
    if !store.authorities().await.map_err(err)?.is_empty() {
        return Err("the database already has data; the demo loads only into an empty one".into());
    }
    let mut authorities = Vec::new();
    let mut sign_ins = Vec::new();
    for (code, name, protocol, force) in AUTHORITIES {
        let a = store
            .create_authority(&NewAuthority {
                code: code.into(),
                name: name.into(),
                protocol: protocol.map(Into::into),
                police_force: force.into(),
            })
            .await
            .map_err(err)?;
        if protocol.is_some() {
            for role in Role::ALL {
                let username = format!(
                    "{}.{}",
                    role.as_str().replace('_', "-"),
                    code.to_ascii_lowercase()
                );
                store
                    .create_user(&NewUser {
                        username: username.clone(),
                        display_name: format!("{} ({})", role.as_str().replace('_', " "), name),
                        role: role.as_str().into(),
                        authority_id: a.id,
                        password_hash: password_hash.into(),
                    })
                    .await
                    .map_err(err)?;
                if matches!(role, Role::SocialWorker) {
                    sign_ins.push(username);
                }
            }
        }
        authorities.push(a);
    }
    let partnership: Vec<_> = authorities
        .iter()
        .filter(|a| a.protocol.is_some())
        .cloned()
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let loader = store
        .user_by_username(&format!(
            "social-worker.{}",
            partnership[0].code.to_ascii_lowercase()
        ))
        .await
        .map_err(err)?
        .ok_or("demo user missing")?;
    let two_years = SignedDuration::from_hours(24 * 730);
    let mut episodes = 0;
    for i in 0..children {
        let responsible = &partnership[i % partnership.len()];
        let out_of_area = rng.random_bool(0.2);
        let host = if out_of_area {
            &authorities[rng.random_range(0..authorities.len())]
        } else {
            responsible
        };
        let looked_after = out_of_area || rng.random_bool(0.5);
        let age = rng.random_range(8..17);
        let dob = now - SignedDuration::from_hours(24 * (365 * age + rng.random_range(0..365)));
        let mut flags = vec!["open_to_csc", "allocated_sw"];
        if rng.random_bool(0.2) {
            flags.push("cp_plan");
        }
        if rng.random_bool(0.4) {
            flags.push("trigger_plan_exists");
        }
        let concerns: Vec<&str> = [("cse", 0.15), ("cce", 0.15), ("known_mental_health", 0.1)]
            .into_iter()
            .filter(|(_, p)| rng.random_bool(*p))
            .map(|(c, _)| c)
            .collect();
        let fields = ChildFields {
            name: format!(
                "{} {}",
                FIRST[rng.random_range(0..FIRST.len())],
                LAST[rng.random_range(0..LAST.len())]
            ),
            dob: dob.to_zoned(jiff::tz::TimeZone::UTC).date().to_string(),
            facts: json!({"flags": flags, "concerns": concerns}).to_string(),
        };
        let placement = NewPlacement {
            responsible_authority_id: responsible.id,
            host_authority_id: host.id,
            legal_status: if looked_after {
                "s31_care_order"
            } else {
                "none"
            }
            .into(),
            placement_type: if looked_after {
                ["foster", "residential"][rng.random_range(0..2)]
            } else {
                "family_home"
            }
            .into(),
            police_force: host.police_force.clone(),
            travel_minutes: if out_of_area {
                rng.random_range(30..180)
            } else {
                10
            },
            starts_on: (now - two_years - SignedDuration::from_hours(24 * 30))
                .to_zoned(jiff::tz::TimeZone::UTC)
                .date()
                .to_string(),
        };
        let (child, _) = store
            .create_child(
                &fields,
                &placement,
                web::micros(now - two_years),
                &system(now),
            )
            .await
            .map_err(err)?;
        let count = rng.random_range(2..=8);
        let mut t = now - two_years + SignedDuration::from_hours(rng.random_range(0..24 * 60));
        for k in 0..count {
            let open_now = k + 1 == count && rng.random_bool(0.12);
            if open_now {
                t = now - SignedDuration::from_mins(rng.random_range(60..60 * 24 * 4));
            }
            if t >= now {
                break;
            }
            let episode = store
                .open_episode(child.id, web::micros(t), &system(now))
                .await
                .map_err(err)?;
            episodes += 1;
            let mut events = vec![
                ev(
                    t,
                    "reported_missing",
                    json!({"to": host.police_force, "police_ref": format!("DEMO-{}-{k}", child.id)}),
                ),
                ev(
                    t + SignedDuration::from_mins(10),
                    "risk_graded",
                    json!({"level": LEVELS[rng.random_range(0..LEVELS.len())]}),
                ),
                ev(
                    t + SignedDuration::from_mins(40),
                    "la_aware",
                    json!({"authority": responsible.name, "via": CHANNELS[rng.random_range(0..CHANNELS.len())]}),
                ),
            ];
            if !open_now {
                let back = t + SignedDuration::from_mins(rng.random_range(120..60 * 60));
                events.push(ev(back, "located", json!({"where": "known address"})));
                events.push(ev(
                    back + SignedDuration::from_mins(30),
                    "returned",
                    json!({}),
                ));
                events.push(ev(
                    back + SignedDuration::from_mins(90),
                    "prevention_interview_completed",
                    json!({"mode": "face_to_face"}),
                ));
                let rhi = back + SignedDuration::from_hours(rng.random_range(20..100));
                if rhi < now {
                    events.push(ev(
                        rhi,
                        if rng.random_bool(0.85) {
                            "rhi_completed"
                        } else {
                            "rhi_declined"
                        },
                        json!({}),
                    ));
                }
                t = back + SignedDuration::from_hours(24 * rng.random_range(20..120));
            }
            // Obligations are computed once per child, after its last event, not per event.
            let later = |_: &store::ChildFile| Ok(Vec::new());
            for (at, body) in events.into_iter().filter(|(at, _)| *at <= now) {
                let event = NewEvent {
                    at: web::micros(at),
                    body: body.to_string(),
                    correction: None,
                    recorded_by: loader.id,
                    recorded_at: web::micros(now),
                };
                store
                    .append_event(episode.id, None, &event, &later, &system(now))
                    .await
                    .map_err(err)?;
            }
        }
        let (catalog, calendar) = (web.catalog.clone(), web.calendar.clone());
        let recompute = move |file: &store::ChildFile| {
            web::evaluation::recompute(&catalog, &calendar, file, now)
        };
        store
            .recompute(child.id, web::micros(now), &recompute)
            .await
            .map_err(err)?;
    }
    Ok(Loaded {
        children,
        episodes,
        sign_ins,
    })
}
