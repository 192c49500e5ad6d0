//! Homeward's protocol engine.
//!
//! A pure library: it knows no HTTP, no SQL, no clock and no file system. Callers pass in the
//! rule packs, the calendar and the instant to evaluate at (`now`); the engine returns every open
//! obligation with its rule, deadline and status. See `ARCHITECTURE.md`.

pub mod calendar;
pub mod catalog;
pub mod duration;
pub mod engine;
pub mod episode;
pub mod output;
pub mod pack;
pub mod rule_id;
pub mod timeline;
pub mod vocabulary;

pub use calendar::Calendar;
pub use catalog::{Catalog, PackError, RuleKey};
pub use engine::{Engine, Evaluation, Met, Obligation, Record, Status};
pub use timeline::{Timeline, TimelineError};
