//! The demo partnership: synthetic authorities, users, children, placements and two years of
//! episodes, some open now across risk levels and some out of area. Every name is invented.

use casework::Casework;
use casework::records::{
    BulkChild, BulkEpisode, ChildFields, Instant, LegalStatus, NewAuthority, NewPlacement, NewUser,
    PlacementType, Protocol, Role,
};
use jiff::{SignedDuration, Timestamp};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

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

/// Places children are found and frequent, by the protocol of the area (synthetic choice of
/// real public places; the pattern views group them by postcode district or name).
fn places(protocol: Option<&str>) -> &'static [&'static str] {
    match protocol {
        Some("NEWHAM") => &[
            "Stratford bus station, E15 1AZ",
            "Westfield Stratford City, E20 1EJ",
            "Canning Town station, E16 1DQ",
            "East Ham High Street, E6 1HL",
            "Forest Gate station, E7 9BU",
        ],
        Some("MERTON") => &[
            "Mitcham Fair Green, CR4 3AP",
            "Wimbledon station, SW19 7NL",
            "Morden Park, SM4 5EA",
            "Colliers Wood, SW19 2DF",
        ],
        Some("HIPS") => &[
            "Southampton Central station, SO15 1AL",
            "Commercial Road, Portsmouth, PO1 1EQ",
            "Newport bus station, PO30 1JW",
            "Winchester bus station, SO23 8DN",
        ],
        Some("LANCS") => &[
            "Blackpool North Pier, FY1 1NE",
            "Preston bus station, PR1 1YT",
            "Blackburn Mall, BB1 7JE",
        ],
        Some("SY") => &[
            "Sheffield Interchange, S1 2BP",
            "Meadowhall, S9 1EP",
            "Frenchgate Centre, DN1 1SW",
            "Barnsley Interchange, S70 1HA",
            "Rotherham Interchange, S60 1QH",
        ],
        _ => &[
            "Manchester Piccadilly, M1 2PB",
            "Chelmsford station, CM1 1HT",
            "Maidstone East station, ME14 1QJ",
        ],
    }
}

/// Invented associates' names and nicknames, as a profile would record them.
const ASSOCIATES: [&str; 12] = [
    "'Tiny' (older male)",
    "Kez",
    "'Blade'",
    "Jordan (cousin)",
    "Mo (car wash)",
    "'Shorty'",
    "Dee",
    "Ray (18, moped)",
    "'Bossman'",
    "Tash",
    "Lenny",
    "'Little P'",
];

/// Children missing together: in each authority's first six children, two groups of three go
/// missing within the hour and are found together, a few days before `now`.
const GROUPS_PER_AUTHORITY: usize = 2;
/// Children per group.
const GROUP_SIZE: usize = 3;

/// What the demo loaded.
pub struct Loaded {
    /// Children created.
    pub children: usize,
    /// Episodes created.
    pub episodes: usize,
    /// Sign-in names, one per role for each partnership authority.
    pub sign_ins: Vec<String>,
}

fn ev(at: Timestamp, kind: &str, data: Value) -> (Instant, String) {
    (
        at.into(),
        json!({"at": at.to_string(), "type": kind, "data": data}).to_string(),
    )
}

/// How much demo data to make.
#[derive(Clone, Copy, Debug)]
pub struct Size {
    /// Children.
    pub children: usize,
    /// Average episodes per child.
    pub episodes_per_child: usize,
    /// Generator seed (the same seed gives the same data).
    pub seed: u64,
}

/// Children loaded per transaction.
const BATCH: usize = 2_000;

/// Loads the demo partnership into an empty store: `children` children with episodes spread over
/// the two years before `now` (about five each when `episodes_per_child` is 5). `password_hash`
/// is the hash every demo account gets. `progress` is told how many children are done.
pub async fn load(
    casework: &Casework,
    size: &Size,
    password_hash: &str,
    progress: &dyn Fn(usize),
) -> Result<Loaded, String> {
    let now = casework.now();
    let Size {
        children,
        episodes_per_child,
        seed,
    } = *size;
    let err = |e: casework::CaseError| e.to_string();
    // Whole minutes keep the synthetic instants readable.
    let now = now.round(jiff::Unit::Minute).map_err(|e| e.to_string())?;
    if !casework.authorities().await.map_err(err)?.is_empty() {
        return Err("the database already has data; the demo loads only into an empty one".into());
    }
    let mut authorities = Vec::new();
    let mut sign_ins = Vec::new();
    let mut loader = None;
    for (code, name, protocol, force) in AUTHORITIES {
        let a = casework
            .add_authority(&NewAuthority {
                code: code.into(),
                name: name.into(),
                protocol: protocol
                    .map(|p| p.parse::<Protocol>().map_err(|e| e.to_string()))
                    .transpose()?,
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
                let user = casework
                    .add_user_hashed(&NewUser {
                        username: username.clone(),
                        display_name: format!("{} ({})", role.as_str().replace('_', " "), name),
                        role: *role,
                        authority_id: a.id,
                        password_hash: password_hash.into(),
                    })
                    .await
                    .map_err(err)?;
                if matches!(role, Role::SocialWorker) {
                    sign_ins.push(username);
                }
                if code == "NEWHAM" && matches!(role, Role::SocialWorker) {
                    loader = Some(user.id);
                }
            }
        }
        authorities.push(a);
    }
    let loader = loader.ok_or("demo user missing")?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut episodes = 0;
    let mut batch = Vec::with_capacity(BATCH);
    for i in 0..children {
        let child = synthetic_child(&mut rng, seed, i, &authorities, episodes_per_child, now)?;
        episodes += child.episodes.len();
        batch.push(child);
        if batch.len() == BATCH || i + 1 == children {
            casework.bulk_load(&batch, loader).await.map_err(err)?;
            batch.clear();
            progress(i + 1);
        }
    }
    Ok(Loaded {
        children,
        episodes,
        sign_ins,
    })
}

/// One synthetic child: record, placement (a fifth out of area) and episodes over two years,
/// some open now (the store plans their obligations as it loads them).
fn synthetic_child(
    rng: &mut ChaCha8Rng,
    size_seed: u64,
    i: usize,
    authorities: &[casework::records::Authority],
    episodes_per_child: usize,
    now: Timestamp,
) -> Result<BulkChild, String> {
    let partnership: Vec<&casework::records::Authority> = authorities
        .iter()
        .filter(|a| a.protocol.is_some())
        .collect();
    let two_years = SignedDuration::from_hours(24 * 730);
    let responsible = partnership[i % partnership.len()];
    let out_of_area = rng.random_bool(0.2);
    let host = if out_of_area {
        &authorities[rng.random_range(0..authorities.len())]
    } else {
        responsible
    };
    let looked_after = out_of_area || rng.random_bool(0.5);
    let age = rng.random_range(8..17);
    let dob = now - SignedDuration::from_hours(24 * (365 * age + rng.random_range(0..365)));
    // Slot within the authority decides membership of a missing-together group.
    let slot = i / partnership.len();
    let group = (slot < GROUPS_PER_AUTHORITY * GROUP_SIZE).then_some(slot / GROUP_SIZE);
    let mut flags = vec!["open_to_csc", "allocated_sw"];
    if group == Some(0) {
        // The first group is recorded as missing with others (the engine's Newham 11.8
        // trigger); the second is not, so the together view shows whom to flag.
        flags.push("missing_with_others");
    }
    if rng.random_bool(0.2) {
        flags.push("cp_plan");
    }
    if rng.random_bool(0.4) {
        flags.push("trigger_plan_exists");
    }
    let mut concerns: Vec<&str> = [("cse", 0.15), ("cce", 0.15), ("known_mental_health", 0.1)]
        .into_iter()
        .filter(|(_, p)| rng.random_bool(*p))
        .map(|(c, _)| c)
        .collect();
    if group == Some(1) && !concerns.contains(&"cce") {
        concerns.push("cce");
    }
    let region = places(host.protocol.map(|p| p.as_str()));
    let documents = profile(rng, region, group, i % partnership.len());
    let fields = ChildFields {
        name: format!(
            "{} {}",
            FIRST[rng.random_range(0..FIRST.len())],
            LAST[rng.random_range(0..LAST.len())]
        ),
        dob: dob.to_zoned(jiff::tz::TimeZone::UTC).date().to_string(),
        facts: json!({"flags": flags, "concerns": concerns, "demographics": demographics(size_seed, i, &responsible.code, &host.code)})
            .to_string(),
    };
    let start = now - two_years;
    let mut placement = NewPlacement {
        responsible_authority_id: responsible.id,
        host_authority_id: host.id,
        legal_status: if looked_after {
            LegalStatus::S31CareOrder
        } else {
            LegalStatus::None
        },
        placement_type: if looked_after {
            [PlacementType::Foster, PlacementType::Residential][rng.random_range(0..2)]
        } else {
            PlacementType::FamilyHome
        },
        police_force: host.police_force.clone(),
        travel_minutes: if out_of_area {
            rng.random_range(30..180)
        } else {
            10
        },
        starts_on: (start - SignedDuration::from_hours(24 * 30))
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date()
            .to_string(),
        change_reason: None,
    };
    let earlier_placements = moved_placement(&mut placement, i, start);
    let count =
        rng.random_range(episodes_per_child.saturating_sub(3).max(1)..=episodes_per_child + 3);
    let spacing = 730 * 24 / (count as i64 + 1);
    let mut t = start + SignedDuration::from_hours(rng.random_range(0..spacing.max(1)));
    // A group's joint absence: days before now, members going missing 40 minutes apart.
    let joint = group.map(|g| {
        let first = now
            - SignedDuration::from_hours(24 * (2 + 5 * g as i64 + (i % partnership.len()) as i64));
        first + SignedDuration::from_mins(40 * (slot % GROUP_SIZE) as i64)
    });
    // One child per authority goes missing repeatedly in the last month (the repeat cohort).
    let repeat = slot == GROUPS_PER_AUTHORITY * GROUP_SIZE;
    let cutoff = match (joint, repeat) {
        (Some(j), _) => j - SignedDuration::from_hours(72),
        (None, true) => now - SignedDuration::from_hours(24 * 30),
        (None, false) => now,
    };
    let mut episodes = Vec::with_capacity(count + 4);
    for k in 0..count {
        let open_now = cutoff == now && k + 1 == count && rng.random_bool(0.12);
        if open_now {
            t = now - SignedDuration::from_mins(rng.random_range(60..60 * 24 * 4));
        }
        if t >= cutoff {
            break;
        }
        let mut events = vec![
            ev(
                t,
                "reported_missing",
                json!({"to": host.police_force, "police_ref": format!("DEMO-{i}-{k}")}),
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
            let found = if rng.random_bool(0.75) {
                json!({"where": region[rng.random_range(0..region.len())]})
            } else {
                json!({})
            };
            events.push(ev(back, "located", found));
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
            t = back
                + SignedDuration::from_hours(
                    spacing.max(48) / 2 + rng.random_range(0..spacing.max(48)),
                );
        }
        events.retain(|(at, _)| *at <= Instant::from(now));
        episodes.push(BulkEpisode {
            opened_at: events[0].0,
            events,
        });
    }
    let short = |t: Timestamp, back: Timestamp, tag: String, place: &str| {
        let events = vec![
            ev(
                t,
                "reported_missing",
                json!({"to": host.police_force, "police_ref": tag}),
            ),
            ev(
                t + SignedDuration::from_mins(10),
                "risk_graded",
                json!({"level": "medium"}),
            ),
            ev(
                t + SignedDuration::from_mins(40),
                "la_aware",
                json!({"authority": responsible.name, "via": "EDT"}),
            ),
            ev(back, "located", json!({"where": place})),
            ev(back + SignedDuration::from_mins(30), "returned", json!({})),
        ];
        BulkEpisode {
            opened_at: events[0].0,
            events,
        }
    };
    if let (Some(t), Some(g)) = (joint, group) {
        // Found together 14 hours after the group's first member went missing.
        let first = t - SignedDuration::from_mins(40 * (slot % GROUP_SIZE) as i64);
        let place = region[(g + i % partnership.len()) % region.len()];
        episodes.push(short(
            t,
            first + SignedDuration::from_hours(14),
            format!("DEMO-{i}-G{g}"),
            place,
        ));
    }
    if repeat {
        // Four short absences in the last four weeks: over the HIPS, SY and Merton thresholds.
        for k in 0..4i64 {
            let t = now - SignedDuration::from_hours(24 * (26 - 6 * k) + 3);
            let place = region[rng.random_range(0..region.len())];
            episodes.push(short(
                t,
                t + SignedDuration::from_hours(6),
                format!("DEMO-{i}-R{k}"),
                place,
            ));
        }
    }
    let created_at = Instant::from(start);
    Ok(BulkChild {
        fields,
        placement,
        earlier_placements,
        created_at,
        episodes,
        documents,
    })
}

/// A third of the looked-after children moved placement in the last two years (decided by `i`,
/// not the random stream, so the rest of the demo is as before): `placement` becomes the one
/// they moved to, with a DfE reason for the change (SSDA903 `REASON_PLACE_CHANGE`), and the
/// one they left is returned. The move keeps the legal status and authorities, so the return
/// reads it as a change of placement (RNE `P`). `CUSTOD` is left out: rule 234 forbids it
/// under 10 and demo children may be 8.
fn moved_placement(placement: &mut NewPlacement, i: usize, start: Timestamp) -> Vec<NewPlacement> {
    if placement.legal_status == LegalStatus::None || i % 3 != 1 {
        return Vec::new();
    }
    let reasons: Vec<&str> = casework::records::CHANGE_REASONS
        .iter()
        .map(|(code, _)| *code)
        .filter(|code| *code != "CUSTOD")
        .collect();
    let left = NewPlacement {
        placement_type: if placement.placement_type == PlacementType::Foster {
            PlacementType::Residential
        } else {
            PlacementType::Foster
        },
        ..placement.clone()
    };
    // Between about three and twenty months into the two years.
    let moved_on = start + SignedDuration::from_hours(24 * (90 + (i as i64 * 37) % 510));
    placement.starts_on = moved_on
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .to_string();
    placement.change_reason = Some(reasons[(i / 3) % reasons.len()].into());
    vec![left]
}

/// A Philomena profile for about a third of the children (always for group members): places
/// they frequent and associates. Members of a group share an associate.
fn profile(
    rng: &mut ChaCha8Rng,
    region: &[&str],
    group: Option<usize>,
    authority: usize,
) -> Vec<(String, String)> {
    if group.is_none() && !rng.random_bool(0.35) {
        return Vec::new();
    }
    let frequented: Vec<&str> = (0..rng.random_range(1..=2))
        .map(|_| region[rng.random_range(0..region.len())])
        .collect();
    let mut associates: Vec<&str> = Vec::new();
    if let Some(g) = group {
        associates.push(ASSOCIATES[(authority * GROUPS_PER_AUTHORITY + g) % ASSOCIATES.len()]);
    } else if rng.random_bool(0.3) {
        associates.push(ASSOCIATES[rng.random_range(0..ASSOCIATES.len())]);
    }
    vec![(
        "philomena_profile".into(),
        json!({"places_frequented": frequented, "associates": associates}).to_string(),
    )]
}

/// Synthetic SSDA903 demographics (sex, ethnicity, UPN, category of need) for child `i`, from a
/// generator of their own so that the rest of the demo data stays as it was.
fn demographics(seed: u64, i: usize, responsible: &str, host: &str) -> Value {
    const ETHNIC: [&str; 8] = [
        "WBRI", "WBRI", "WBRI", "WOTH", "MWBC", "ABAN", "BAFR", "AOTH",
    ];
    const NEED: [&str; 5] = ["N1", "N1", "N2", "N4", "N5"];
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let digits: String = (0..12)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect();
    let female = rng.random_bool(0.5);
    let urn: u32 = rng.random_range(500_000..600_000);
    json!({
        "sex": if female { "F" } else { "M" },
        "mother": if female { Some("0") } else { None },
        "home_postcode": postcode(responsible, true),
        "placement_postcode": postcode(host, false),
        "placement_urn": format!("SC{urn}"),
        "ethnicity": ETHNIC[rng.random_range(0..ETHNIC.len())],
        "upn": format!("{}{digits}", upn_check_letter(&digits)),
        "cin": NEED[rng.random_range(0..NEED.len())],
    })
}

/// The check letter of a unique pupil number (DfE UPN guidance: weights 2 to 13 over the
/// twelve characters that follow it, modulo 23, into the letters without I, O and S).
fn upn_check_letter(digits: &str) -> char {
    const LETTERS: &[u8; 23] = b"ABCDEFGHJKLMNPQRTUVWXYZ";
    let sum: u32 = digits
        .bytes()
        .zip(2u32..)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    char::from(LETTERS[(sum % 23) as usize])
}

/// Real postcodes in each demo authority's area (public buildings' or the first listed in the
/// ONS postcode directory): one for the family home, another for the placement.
fn postcode(authority: &str, home: bool) -> &'static str {
    let (home_pc, placement_pc) = match authority {
        "HAMPSHIRE" => ("SO20 6HR", "SO23 8UJ"),
        "ISLE-OF-WIGHT" => ("PO30 1AB", "PO30 1AA"),
        "SOUTHAMPTON" => ("SO1 0AA", "SO14 7LY"),
        "PORTSMOUTH" => ("PO1 1AA", "PO1 2AL"),
        "LANCASHIRE" => ("PR1 0BS", "PR1 8XJ"),
        "BLACKPOOL" => ("FY1 1AB", "FY1 1AA"),
        "BLACKBURN" => ("BB1 1AA", "BB1 7DY"),
        "NEWHAM" => ("E16 1AA", "E16 2QU"),
        "BARNSLEY" => ("S70 1AA", "S70 2TA"),
        "DONCASTER" => ("DN1 1AA", "DN1 3BU"),
        "ROTHERHAM" => ("S60 1AA", "S60 2TH"),
        "SHEFFIELD" => ("S1 2AA", "S1 2HH"),
        "MERTON" => ("SM4 4AB", "SM4 5DX"),
        "KENT" => ("ME13 0BF", "ME14 1XQ"),
        _ => ("CM1 1AA", "CM1 1QH"),
    };
    if home { home_pc } else { placement_pc }
}
