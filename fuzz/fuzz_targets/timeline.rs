//! Feeds arbitrary bytes to the timeline reader and evaluates whatever it accepts: neither may
//! panic. Run with `RUSTC_BOOTSTRAP=1 cargo fuzz run timeline` (see BENCHMARKS.md / README).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use protocol::{Calendar, Catalog, Engine};

fn setup() -> &'static (Catalog, Calendar) {
    static LOADED: OnceLock<(Catalog, Calendar)> = OnceLock::new();
    LOADED.get_or_init(|| match (Catalog::bundled(), Calendar::bundled()) {
        (Ok(c), Ok(k)) => (c, k),
        _ => std::process::abort(),
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (catalog, calendar) = setup();
    if let Ok(timeline) = protocol::timeline::parse(text, catalog) {
        Engine::new(catalog, calendar).evaluate(&timeline, timeline.evaluate_at);
    }
});
