//! Where "now" comes from. This module is the only place that reads the real time
//! (`clippy.toml` forbids it elsewhere): every other function is handed `now`, so deadlines,
//! lists and tests are deterministic.

use std::sync::{Arc, Mutex};

use jiff::Timestamp;

/// The system clock in service, a settable clock in tests and in test mode.
#[derive(Clone, Debug)]
pub enum Clock {
    /// The system clock.
    System,
    /// An instant that tests (or `serve --test-clock`) move by hand, forwards only.
    Fixed(Arc<Mutex<Timestamp>>),
}

impl Clock {
    /// A test clock standing at `t`.
    pub fn fixed(t: Timestamp) -> Self {
        Clock::Fixed(Arc::new(Mutex::new(t)))
    }

    /// The current instant.
    pub fn now(&self) -> Timestamp {
        match self {
            #[expect(clippy::disallowed_methods, reason = "the one reader of the real time")]
            Clock::System => Timestamp::now(),
            Clock::Fixed(t) => *t.lock().unwrap_or_else(|p| p.into_inner()),
        }
    }

    /// Whether this is a test clock.
    pub fn is_fixed(&self) -> bool {
        matches!(self, Clock::Fixed(_))
    }

    /// Moves a test clock to `to` (never backwards: events already recorded would otherwise
    /// lie in the future); `None` on the system clock or for a move backwards.
    pub(crate) fn set(&self, to: Timestamp) -> Option<Timestamp> {
        let Clock::Fixed(t) = self else {
            return None;
        };
        let mut now = t.lock().unwrap_or_else(|p| p.into_inner());
        (to >= *now).then(|| {
            *now = to;
            to
        })
    }
}
