//! Homeward's pattern analytics (issue 6, point 4): what partnerships are asked to report about
//! children who go missing, computed from the case store's files.
//!
//! * [`repeat`]: the repeat-missing cohort, judged by each child's own protocol threshold
//!   (the rule packs' `parameters.repeat`, the engine's C11), with counts per authority;
//! * [`hotspots`]: places children are found and places they frequent, by postcode district or
//!   named place;
//! * [`together`]: children missing together and shared associates as a graph, with the groups
//!   that meet Newham's complex strategy meeting trigger (002 §11.8).
//!
//! A pure library like the engine: no SQL, no HTTP, no clock (`now` is a parameter). The
//! casework layer reads the files (scoped and audited); the web crate renders the answers.

pub mod hotspots;
pub mod input;
pub mod place;
pub mod profile;
pub mod repeat;
pub mod together;

pub use input::{ChildInput, EpisodeInput};
