//! Engine throughput over a seeded synthetic caseload: 100,000 open episodes across the five
//! protocols, each child with up to 20 prior episodes and 10–30 events in the current one.
//!
//! `cargo bench -p protocol` reports episode evaluations per second on one core (the engine is
//! single-threaded per evaluation). See BENCHMARKS.md.

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use jiff::civil::date;
use jiff::{SignedDuration, Timestamp};
use protocol::timeline::{Child, Discharge, Event, EventKind, PriorEpisode, Ruleset, Timeline};
use protocol::vocabulary::{
    AbsenceStatus, Concern, Flag, InterviewMode, LaChannel, LegalStatus, MeetingType,
    PlacementType, Protocol, RiskLevel, Role, Set,
};
use protocol::{Calendar, Catalog, Engine};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const EPISODES: usize = 100_000;

struct Area {
    protocol: Protocol,
    authority: &'static str,
    force: &'static str,
}

const AREAS: [Area; 5] = [
    Area {
        protocol: Protocol::Hips,
        authority: "Southampton City Council",
        force: "Hampshire Constabulary",
    },
    Area {
        protocol: Protocol::Lancs,
        authority: "Lancashire County Council",
        force: "Lancashire Constabulary",
    },
    Area {
        protocol: Protocol::Newham,
        authority: "London Borough of Newham",
        force: "Metropolitan Police",
    },
    Area {
        protocol: Protocol::Sy,
        authority: "Sheffield City Council",
        force: "South Yorkshire Police",
    },
    Area {
        protocol: Protocol::Merton,
        authority: "London Borough of Merton",
        force: "Metropolitan Police",
    },
];

fn minutes(n: i64) -> SignedDuration {
    SignedDuration::from_mins(n)
}

/// One synthetic child whose current episode is open at the returned evaluation instant.
fn synthetic(rng: &mut ChaCha8Rng, catalog: &Catalog, i: usize) -> Timeline {
    let area = &AREAS[i % AREAS.len()];
    let start = Timestamp::from_second(1_704_067_200 + rng.random_range(0..63_072_000))
        .unwrap_or(Timestamp::UNIX_EPOCH);
    let looked_after = rng.random_bool(0.6);
    let mut flags = Set::<Flag>::empty();
    for f in [
        Flag::OpenToCsc,
        Flag::AllocatedSw,
        Flag::CpPlan,
        Flag::TriggerPlanExists,
        Flag::MissingWithOthers,
    ] {
        if rng.random_bool(0.3) {
            flags.insert(f);
        }
    }
    let mut concerns = Set::<Concern>::empty();
    if rng.random_bool(0.2) {
        concerns.insert(Concern::Cse);
    }
    if rng.random_bool(0.15) {
        concerns.insert(Concern::Cce);
    }
    let priors = rng.random_range(0..=20);
    let prior_episodes = (0..priors)
        .map(|k| {
            let at =
                start - minutes(60 * 24 * (3 + 9 * (priors - k) as i64) + rng.random_range(0..600));
            PriorEpisode {
                reported_missing_at: at,
                returned_at: Some(at + minutes(600)),
            }
        })
        .collect();
    let timed: Vec<_> = catalog
        .keys_of(area.protocol)
        .filter(|k| catalog.rule(*k).timed)
        .collect();
    let n_events = rng.random_range(10..=30);
    let mut events = Vec::with_capacity(n_events);
    let mut t = start;
    let push = |events: &mut Vec<Event>, at: Timestamp, kind: EventKind| {
        events.push(Event {
            at,
            kind,
            by: None,
            note: None,
            satisfies: Vec::new(),
        });
    };
    push(
        &mut events,
        t,
        EventKind::AbsenceNoticed {
            status: AbsenceStatus::Missing,
            whereabouts_known: false,
            contactable: false,
            at_risk: false,
            aggravating_factors: false,
        },
    );
    t += minutes(20);
    push(
        &mut events,
        t,
        EventKind::ReportedMissing {
            to: area.force.into(),
            police_ref: None,
        },
    );
    t += minutes(10);
    push(
        &mut events,
        t,
        EventKind::RiskGraded {
            level: if rng.random_bool(0.2) {
                RiskLevel::High
            } else {
                RiskLevel::Medium
            },
        },
    );
    push(
        &mut events,
        t + minutes(15),
        EventKind::LaAware {
            authority: area.authority.into(),
            via: LaChannel::Edt,
        },
    );
    t += minutes(15);
    let returned = rng.random_bool(0.25);
    while events.len() < n_events - usize::from(returned) {
        t += minutes(rng.random_range(30..600));
        let kind = match rng.random_range(0..5) {
            0 => EventKind::RiskReviewed { kind: None },
            1 => EventKind::MeetingHeld {
                meeting_type: MeetingType::Strategy,
                chair: None,
                face_to_face: true,
            },
            2 => EventKind::PreventionInterviewCompleted {
                mode: InterviewMode::FaceToFace,
            },
            _ => EventKind::NotificationSent {
                to: "social worker".into(),
                from: None,
                form: None,
                automated: false,
            },
        };
        let satisfies = if rng.random_bool(0.7) && !timed.is_empty() {
            vec![Discharge {
                rule: timed[rng.random_range(0..timed.len())],
                share: None,
            }]
        } else {
            Vec::new()
        };
        events.push(Event {
            at: t,
            kind,
            by: None,
            note: None,
            satisfies,
        });
    }
    if returned {
        t += minutes(60);
        push(&mut events, t, EventKind::Returned { to: None });
    }
    let host = if rng.random_bool(0.2) {
        "Kent County Council"
    } else {
        area.authority
    };
    Timeline {
        id: format!("SYN-{i}"),
        title: None,
        rulesets: vec![Ruleset {
            protocol: area.protocol,
            role: Role::Responsible,
        }],
        child: Child {
            pseudonym: None,
            dob: date(
                2007 + rng.random_range(0..10),
                rng.random_range(1..=12),
                rng.random_range(1..=28),
            ),
            legal_status: if looked_after {
                LegalStatus::S31CareOrder
            } else {
                LegalStatus::None
            },
            placement_type: if looked_after {
                PlacementType::Residential
            } else {
                PlacementType::FamilyHome
            },
            responsible_authority: area.authority.into(),
            host_authority: host.into(),
            police_force: area.force.into(),
            return_police_force: None,
            placement_travel_minutes: rng.random_range(0..120),
            criminal_justice_order: None,
            flags,
            concerns,
            prior_episodes,
        },
        events,
        evaluate_at: t + minutes(rng.random_range(0..4_320)),
    }
}

fn caseload(catalog: &Catalog) -> Vec<Timeline> {
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    (0..EPISODES)
        .map(|i| synthetic(&mut rng, catalog, i))
        .collect()
}

fn engine(c: &mut Criterion) {
    let catalog = Catalog::bundled().unwrap_or_else(|e| unreachable!("{e}"));
    let calendar = Calendar::bundled().unwrap_or_else(|e| unreachable!("{e}"));
    let engine = Engine::new(&catalog, &calendar);
    let timelines = caseload(&catalog);

    // One full pass over the 100,000 episodes, timed as a whole, for BENCHMARKS.md.
    let started = Instant::now();
    let mut obligations = 0usize;
    for t in &timelines {
        obligations += engine.evaluate(black_box(t), t.evaluate_at).len();
    }
    let elapsed = started.elapsed();
    println!(
        "full pass: {} episodes in {:.3} s = {:.0} episode evaluations per second on one core ({} open obligations)",
        timelines.len(),
        elapsed.as_secs_f64(),
        timelines.len() as f64 / elapsed.as_secs_f64(),
        obligations
    );

    let chunk = &timelines[..1_000];
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Elements(chunk.len() as u64));
    group.bench_function("evaluate 1,000 synthetic open episodes", |b| {
        b.iter(|| {
            chunk
                .iter()
                .map(|t| engine.evaluate(black_box(t), t.evaluate_at).len())
                .sum::<usize>()
        })
    });
    group.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
