//! Timer precision (issue 5, point 6): 100,000 open obligations in SQLite, the scheduler and
//! dispatcher running against the loopback SMTP sink, and for every escalation that falls due
//! during the run: due instant → written to the outbox → delivered to the sink, p50 and p99.
//!
//! `HOMEWARD_TEST_SMTP_PYTHON=target/smtp-venv/bin/python cargo bench -p worker --bench timer`
//! (scripts/test makes that venv). Optional: `HOMEWARD_BENCH_CHILDREN` (default 17,000, six to
//! eight open obligations each) and `HOMEWARD_BENCH_WINDOW_SECS` (default 60).

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use casework::records::DueWindow;
use casework::{Clock, MessageStatus};
use jiff::SignedDuration;
use support::{Sink, actor, free_port, outbox, python, seed_with, senior_only};
use worker::{Config, SmtpTls, Templates, Transport};

fn percentile(sorted: &[i64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `cargo test --benches` and clippy build this; only `cargo bench` passes --bench.
    if !std::env::args().any(|a| a == "--bench") {
        return Ok(());
    }
    let Some(python) = python()? else {
        return Err("set HOMEWARD_TEST_SMTP_PYTHON to a Python with aiosmtpd".into());
    };
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(python))
}

async fn run(python: std::path::PathBuf) -> Result<(), Box<dyn std::error::Error>> {
    let children = env("HOMEWARD_BENCH_CHILDREN", 17_000);
    let window = env("HOMEWARD_BENCH_WINDOW_SECS", 60) as i64;
    let dir = std::env::temp_dir().join(format!("homeward-timer-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let sink = Sink::start(&python, free_port()?, &dir.join("sink.jsonl"))?;
    let casework = support::casework(&dir.join("bench.db"), Clock::System).await?;

    // Every child's 72-hour escalation falls due inside the window, which opens after a lead
    // long enough for the first pass over every child.
    let lead = SignedDuration::from_secs(20 + children as i64 / 500);
    let first_due = casework.now() + lead;
    let spacing = SignedDuration::from_micros(window * 1_000_000 / children.max(1) as i64);
    let started = Instant::now();
    let newham = seed_with(
        &casework,
        children,
        first_due,
        spacing,
        SignedDuration::from_hours(72),
        &senior_only(),
    )
    .await?;
    eprintln!(
        "loaded {children} children in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // Schedule every child now, so that waiting for the first pass below cannot end before it
    // starts.
    casework.seed_schedule().await?;
    let transport = Transport::smtp(
        &format!("smtp://127.0.0.1:{}", sink.port),
        SmtpTls::None,
        "homeward@example.invalid",
    )?;
    let tasks = worker::start(
        casework.clone(),
        Config::new(
            transport,
            Templates::default(),
            "http://homeward.test".into(),
        ),
    )
    .await?;

    // Wait for the first pass, count the open obligations, then for the window to close and
    // the outbox to drain.
    while !casework.due_children(casework.now(), 1).await?.is_empty() {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let reader = actor(&casework, &newham).await?;
    let open = casework
        .obligations(&reader, None, DueWindow::Any, 10_000_000, 0)
        .await?
        .len();
    eprintln!(
        "first pass done after {:.1} s: {open} open obligations",
        started.elapsed().as_secs_f64()
    );
    if casework.now() >= first_due {
        return Err("the first pass overran the lead; the figures would include it".into());
    }
    let last_due = first_due + spacing * (children as i32);
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        if casework.now() < last_due {
            continue;
        }
        let pending = outbox(&casework, &newham, Some(MessageStatus::Pending), 1).await?;
        if pending.is_empty() {
            break;
        }
    }
    for t in tasks {
        t.abort();
    }
    let rows = outbox(&casework, &newham, None, 10_000_000).await?;
    let escalations: Vec<_> = rows
        .iter()
        .filter(|r| r.message.context.contains("NEWHAM-ESC-LAC-72H"))
        .collect();
    let mut to_outbox: Vec<i64> = escalations
        .iter()
        .map(|r| r.created_at.micros() - r.message.due_at.micros())
        .collect();
    let mut to_sink: Vec<i64> = escalations
        .iter()
        .filter_map(|r| {
            r.delivered_at
                .map(|d| d.micros() - r.message.due_at.micros())
        })
        .collect();
    to_outbox.sort_unstable();
    to_sink.sort_unstable();
    let received = sink.messages()?.len();
    println!(
        "{children} children, {open} open obligations, {} escalations due over {window} s, {} delivered, {received} received by the sink",
        escalations.len(),
        to_sink.len()
    );
    println!(
        "due -> outbox:    p50 {:.1} ms  p99 {:.1} ms  max {:.1} ms",
        percentile(&to_outbox, 0.5),
        percentile(&to_outbox, 0.99),
        to_outbox.last().copied().unwrap_or_default() as f64 / 1000.0
    );
    println!(
        "due -> delivered: p50 {:.1} ms  p99 {:.1} ms  max {:.1} ms",
        percentile(&to_sink, 0.5),
        percentile(&to_sink, 0.99),
        to_sink.last().copied().unwrap_or_default() as f64 / 1000.0
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
