//! `homeward export quarterly | weekly | annex-a` on the demo data: files with the documented
//! columns, an xlsx workbook, figures that add up, and a formula in a child's name written
//! harmlessly.

use std::path::Path;

use super::{homeward, scratch};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn run(args: &[&str]) -> Result<String, Box<dyn std::error::Error>> {
    let out = homeward(args);
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Renames every child with an episode open now to a spreadsheet formula, behind the store's
/// back (the API would take the name as typed, too).
fn formula_names(db: &Path) -> TestResult {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&format!("sqlite:{}", db.display())).await?;
        sqlx::query("UPDATE children SET name = '=HYPERLINK(\"http://example.invalid\")' WHERE id IN (SELECT child_id FROM episodes WHERE id NOT IN (SELECT episode_id FROM events WHERE body LIKE '%\"returned\"%'))")
            .execute(&mut conn)
            .await?;
        Ok(())
    })
}

#[test]
fn quarterly_weekly_and_annex_a() -> TestResult {
    let dir = scratch("exports", "all")?;
    let db = dir.join("demo.db");
    let db_arg = db.to_str().unwrap_or_default();
    run(&["demo", "--database", db_arg])?;
    formula_names(&db)?;
    let out = |name: &str| dir.join(name).to_str().unwrap_or_default().to_owned();
    let today = casework::Clock::System
        .now()
        .to_zoned(jiff::tz::TimeZone::system())
        .date()
        .to_string();
    // The quarter before last is wholly inside the demo's two years.
    let q = casework::Clock::System
        .now()
        .to_zoned(jiff::tz::TimeZone::system())
        .date()
        .checked_sub(jiff::Span::new().months(6))?;
    let quarter = format!("{}-Q{}", q.year(), (q.month() - 1) / 3 + 1);

    let text = run(&[
        "export",
        "quarterly",
        "--quarter",
        &quarter,
        "--out",
        &out("q"),
        "--database",
        db_arg,
    ])?;
    assert!(text.contains("13 authorities"), "{text}");
    let csv = std::fs::read_to_string(dir.join("q/quarterly.csv"))?;
    let header: Vec<&str> = csv.lines().next().unwrap_or_default().split(',').collect();
    assert_eq!(header, exchange::quarterly::COLUMNS);
    for line in csv.lines().skip(1) {
        let n: Vec<u64> = line
            .split(',')
            .skip(2)
            .take(22)
            .map(|c| c.parse().unwrap_or(u64::MAX))
            .collect();
        // Age groups, looked-after split and durations each add up to the episodes.
        assert_eq!(n[2..7].iter().sum::<u64>(), n[1], "{line}");
        assert_eq!(n[8] + n[10], n[1], "{line}");
        assert_eq!(n[11..15].iter().sum::<u64>(), n[1], "{line}");
        assert!(n[20] <= n[19] && n[19] <= n[1], "{line}");
    }

    let text = run(&[
        "export",
        "weekly",
        "--to",
        &today,
        "--out",
        &out("w"),
        "--database",
        db_arg,
    ])?;
    assert!(text.contains("weekly list"), "{text}");
    let weekly = std::fs::read_to_string(dir.join("w/weekly.csv"))?;
    assert!(
        weekly.starts_with("authority,child,name,age,looked_after,"),
        "{weekly}"
    );
    assert!(weekly.contains("still missing"), "{weekly}");
    // The formula is written with a leading quote, so a spreadsheet shows it as text.
    assert!(
        weekly.contains(",\"'=HYPERLINK(\"\"http://example.invalid\"\")\","),
        "{weekly}"
    );
    assert!(!weekly.contains(",\"=HYPERLINK"), "{weekly}");

    let text = run(&[
        "export",
        "annex-a",
        "--to",
        &today,
        "--out",
        &out("a"),
        "--database",
        db_arg,
    ])?;
    assert!(text.contains("Annex A list 8"), "{text}");
    // One list per responsible authority, in the template's headings.
    let mut children = 0;
    let mut episodes = 0;
    for entry in std::fs::read_dir(dir.join("a"))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "xlsx") {
            let xlsx = std::fs::read(&path)?;
            assert!(xlsx.starts_with(b"PK"), "an xlsx workbook is a zip file");
            assert!(path.with_extension("csv").exists(), "{}", path.display());
            continue;
        }
        let list = std::fs::read_to_string(&path)?;
        assert!(
            list.starts_with(
                "Child Unique ID,Gender,Ethnicity,Date of Birth,Age of Child (Years),\
                 Number of Episodes the Child has been 'Missing' from their Placement in the last 12 months,"
            ),
            "{list}"
        );
        for line in list.lines().skip(1) {
            let cells: Vec<&str> = line.split(',').collect();
            assert_eq!(cells.len(), 9, "{line}");
            episodes += cells[5].parse::<u64>()? + cells[6].parse::<u64>()?;
            children += 1;
        }
    }
    assert!(children > 20, "{children} children in care listed");
    assert!(
        episodes > 20,
        "{episodes} missing or absent episodes counted"
    );

    // Compliance over the last three months: the demo holds interviews both within and after
    // 72 hours of the return, so the engine's due instants find both.
    let from = casework::Clock::System
        .now()
        .to_zoned(jiff::tz::TimeZone::system())
        .date()
        .checked_sub(jiff::Span::new().months(3))?
        .to_string();
    let text = run(&[
        "export",
        "compliance",
        "--from",
        &from,
        "--to",
        &today,
        "--out",
        &out("c"),
        "--database",
        db_arg,
    ])?;
    assert!(text.contains("timed obligations fell due"), "{text}");
    let report = std::fs::read_to_string(dir.join("c/compliance.csv"))?;
    assert!(report.starts_with(
        "authority,period,kind,rule,fell_due,on_time,late,lapsed_child_found,percent_on_time\n"
    ));
    let (mut on_time, mut late) = (0, 0);
    for line in report.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        let n: Vec<u64> = cells[4..8]
            .iter()
            .map(|c| c.parse().unwrap_or(u64::MAX))
            .collect();
        assert_eq!(n[1] + n[2] + n[3], n[0], "{line}");
        if cells[2] == "INTERVIEW" && cells[3].ends_with("-RHI-72H") {
            on_time += n[1];
            late += n[2];
        }
    }
    assert!(
        on_time > 0 && late > 0,
        "72-hour interviews: {on_time} on time, {late} late\n{report}"
    );

    let bad = homeward(&[
        "export",
        "quarterly",
        "--quarter",
        "2025-Q9",
        "--out",
        &out("x"),
        "--database",
        db_arg,
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("expected YYYY-QN"));
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

/// The last audit row of the store, and how many there are.
fn last_audit(db: &Path) -> Result<(usize, store::AuditRecord), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let store = store::open(db.to_str().unwrap_or_default()).await?;
        let (log, _) = store.audit_log().await?;
        let last = log.last().cloned().ok_or("empty audit log")?;
        Ok((log.len(), last))
    })
}

/// An export's audit row names the user `--as` gives (who must exist), else the account that
/// ran the command.
#[test]
fn an_exports_audit_row_names_who_ran_it() -> TestResult {
    let dir = scratch("exports", "audit")?;
    let db = dir.join("demo.db");
    let db_arg = db.to_str().unwrap_or_default();
    run(&["demo", "--database", db_arg, "--children", "12"])?;
    let out = dir.join("w");
    let weekly = |user: Option<&str>| {
        let mut args = vec![
            "export",
            "weekly",
            "--to",
            "2026-01-31",
            "--out",
            out.to_str().unwrap_or_default(),
            "--database",
            db_arg,
        ];
        if let Some(u) = user {
            args.extend(["--as", u]);
        }
        homeward(&args)
    };

    let (rows, _) = last_audit(&db)?;
    let refused = weekly(Some("nobody.newham"));
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("--as nobody.newham: no such user"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert_eq!(
        last_audit(&db)?.0,
        rows,
        "a refused export wrote an audit row"
    );

    assert!(weekly(Some("team-manager.newham")).status.success());
    let (after, row) = last_audit(&db)?;
    assert_eq!(after, rows + 1);
    assert_eq!(row.entry.entity, "export:weekly");
    assert_eq!(row.entry.action, "read");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let manager = runtime.block_on(async {
        let store = store::open(db_arg).await?;
        let user = store.user_by_username("team-manager.newham").await?;
        Ok::<_, Box<dyn std::error::Error>>(user.map(|u| u.id))
    })?;
    assert!(manager.is_some(), "no demo team manager");
    assert_eq!(row.entry.user_id, manager);

    assert!(weekly(None).status.success());
    let (_, row) = last_audit(&db)?;
    assert_eq!(row.entry.user_id, None);
    assert!(
        row.entry
            .remote_addr
            .starts_with("command line (operating-system account "),
        "{}",
        row.entry.remote_addr
    );
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
