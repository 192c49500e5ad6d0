//! `homeward serve` and `homeward demo`.

use std::net::SocketAddr;

use casework::{Casework, Clock};
use clap::Args;
use web::{AppState, Settings};

use crate::demo;
use crate::setup::{Failure, Setup, database_url};

/// Options of `homeward serve`.
#[derive(Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
    bind: SocketAddr,
    /// Database: a SQLite file path (default ./homeward.db) or postgres://…
    #[arg(long, value_name = "URL")]
    database: Option<String>,
    /// Load the synthetic demo partnership first if the database is empty.
    #[arg(long)]
    demo: bool,
    /// Mark session cookies Secure (when served behind HTTPS).
    #[arg(long)]
    secure_cookies: bool,
    /// For tests only: start the clock at this instant (RFC 3339) and let `POST /test/clock`
    /// move it. Refused with --secure-cookies or an address other than loopback.
    #[arg(long, value_name = "INSTANT")]
    test_clock: Option<jiff::Timestamp>,
    /// Do not run the notification scheduler and dispatcher in this process (run
    /// `homeward worker` instead).
    #[arg(long)]
    no_worker: bool,
    #[command(flatten)]
    delivery: crate::notify::DeliveryArgs,
}

/// Options of `homeward demo`.
#[derive(Args)]
pub struct DemoArgs {
    /// Database: a SQLite file path (default ./homeward.db) or postgres://…
    #[arg(long, value_name = "URL")]
    database: Option<String>,
    /// `demo` (240 children, about 1,200 episodes) or `national` (300,000 children, about
    /// 1,000,000 episodes, for load tests).
    #[arg(long, default_value = "demo", value_parser = ["demo", "national"])]
    scale: String,
    /// Number of children, instead of the scale's.
    #[arg(long)]
    children: Option<usize>,
    /// Seed of the generator (the same seed gives the same data).
    #[arg(long, default_value_t = 2026)]
    seed: u64,
}

/// The clock `serve` runs on: the system's, or a test clock that only a loopback server
/// without production settings may have (anyone who can reach it can move time).
fn serve_clock(args: &ServeArgs) -> Result<Clock, Failure> {
    let Some(start) = args.test_clock else {
        return Ok(Clock::System);
    };
    if args.secure_cookies {
        return Err(Failure::input(
            "--test-clock is for tests and cannot be combined with --secure-cookies",
        ));
    }
    if !args.bind.ip().is_loopback() {
        return Err(Failure::input(format!(
            "--test-clock is for tests: bind a loopback address, not {}",
            args.bind
        )));
    }
    Ok(Clock::fixed(start))
}

async fn load_demo(casework: &Casework, size: demo::Size) -> Result<demo::Loaded, Failure> {
    let hash = casework::accounts::hash_password(demo::DEMO_PASSWORD)
        .map_err(|_| Failure::runtime("cannot hash the demo password"))?;
    let started = std::time::Instant::now();
    let big = size.children > 10_000;
    let progress = |done: usize| {
        if big {
            eprint!(
                "\rloading children: {done}/{} ({:.0} s)",
                size.children,
                started.elapsed().as_secs_f64()
            );
        }
    };
    let loaded = demo::load(casework, &size, &hash, &progress)
        .await
        .map_err(Failure::runtime)?;
    if big {
        eprintln!();
    }
    Ok(loaded)
}

fn summary(loaded: &demo::Loaded) -> String {
    format!(
        "demo partnership loaded: {} children, {} episodes\nsign in with any of these (password `{}`), or the same name with another role prefix\n(team-manager., senior-manager., edt., police-missing-coordinator., rhi-provider., admin., auditor.):\n  {}\n",
        loaded.children,
        loaded.episodes,
        demo::DEMO_PASSWORD,
        loaded.sign_ins.join("\n  ")
    )
}

pub async fn serve(setup: Setup, args: ServeArgs) -> Result<String, Failure> {
    let url = database_url(args.database.as_deref());
    let clock = serve_clock(&args)?;
    let casework = crate::setup::casework(setup, &url, clock).await?;
    if args.demo {
        if casework
            .authorities()
            .await
            .map_err(Failure::runtime)?
            .is_empty()
        {
            let loaded = load_demo(
                &casework,
                demo::Size {
                    children: 240,
                    episodes_per_child: 5,
                    seed: 2026,
                },
            )
            .await?;
            print!("{}", summary(&loaded));
        } else {
            println!("the database already has data; serving it as it is");
        }
        crate::notify::demo_routing(&casework).await?;
    }
    // A store from before the lists were kept gets them before anyone reads a list.
    let rebuilt = casework.rebuild_lists().await.map_err(Failure::runtime)?;
    if rebuilt > 0 {
        println!("lists rebuilt for {rebuilt} children");
    }
    let _worker = if args.no_worker {
        Vec::new()
    } else {
        let tasks = args
            .delivery
            .start(casework.clone(), &format!("http://{}", args.bind))
            .await?;
        println!("{}", args.delivery.describe());
        tasks
    };
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .map_err(|e| Failure::runtime(format!("{}: {e}", args.bind)))?;
    println!(
        "Homeward is serving http://{} (API docs at /api/docs) with {url}",
        args.bind
    );
    if casework.clock().is_fixed() {
        println!(
            "test clock at {}: POST /test/clock moves it",
            casework.now()
        );
    }
    let state = AppState::new(
        casework,
        Settings {
            secure_cookies: args.secure_cookies,
        },
    );
    let app = web::app(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(Failure::runtime)?;
    Ok(String::new())
}

pub async fn demo(setup: Setup, args: DemoArgs) -> Result<String, Failure> {
    let url = database_url(args.database.as_deref());
    let casework = crate::setup::casework(setup, &url, Clock::System).await?;
    let (children, per_child) = match args.scale.as_str() {
        "national" => (300_000, 3),
        _ => (240, 5),
    };
    let loaded = load_demo(
        &casework,
        demo::Size {
            children: args.children.unwrap_or(children),
            episodes_per_child: per_child,
            seed: args.seed,
        },
    )
    .await?;
    Ok(summary(&loaded))
}
