//! Charts served as SVG, drawn here by hand (bars, axes and labels need no library and no
//! JavaScript): episodes per week by authority, the share of return home interviews completed
//! within 72 hours of the return, and open obligations by status. Each SVG carries `role="img"`,
//! a `<title>` and a `<desc>`; the `/charts` page shows the same figures as tables.
//!
//! Figures are counts over the store and the statuses the API shows for stored obligations
//! (overdue when the engine's deadline is past); no deadline is computed here. Every figure is
//! scoped to the caller's authority: episodes in which it is involved (as responsible, host or
//! finder authority) and the obligations its protocol demands.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp, ToSpan};
use protocol::Calendar;
use store::{Authority, Episode, EventRecord, ObligationFilter, ObligationRecord};

use crate::access::Permission;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::evaluation::overdue;
use crate::ui::layout::{Chrome, PageError, Viewer};
use crate::{AppState, instant, micros};

/// Weeks shown in the episodes chart.
pub const WEEKS: usize = 12;
/// Months shown in the return interview chart.
pub const MONTHS: usize = 6;
/// "Due soon": within the next 24 hours, as on My work.
const SOON: SignedDuration = SignedDuration::from_hours(24);
/// The return interview measure: completed within 72 hours of the return.
const RHI_WINDOW: SignedDuration = SignedDuration::from_hours(72);

/// The chart routes: the page and its three SVGs.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/charts", get(page))
        .route("/charts/episodes-per-week.svg", get(episodes_svg))
        .route("/charts/rhi-within-72h.svg", get(rhi_svg))
        .route("/charts/obligations-by-status.svg", get(obligations_svg))
}

/// Episodes opened in each of the last [`WEEKS`] weeks (Monday to Sunday, UK time), one series
/// per responsible authority.
#[derive(Debug, PartialEq, Eq)]
pub struct Weekly {
    /// The Monday each week starts on, oldest first.
    pub weeks: Vec<Date>,
    /// Responsible authority's name and its count per week.
    pub series: Vec<(String, Vec<u32>)>,
}

/// Returns in a month and how many had a return interview completed within 72 hours.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Share {
    /// Returns whose 72 hours have passed or whose interview is done.
    pub returns: u32,
    /// Of those, interviews completed within 72 hours of the return.
    pub within: u32,
}

impl Share {
    /// The share in whole percent, if there were returns.
    pub fn percent(self) -> Option<u32> {
        (self.returns > 0).then(|| (self.within * 100 + self.returns / 2) / self.returns)
    }
}

/// Return interview timeliness per month of return, one series per responsible authority.
#[derive(Debug, PartialEq, Eq)]
pub struct Monthly {
    /// The first day of each month, oldest first.
    pub months: Vec<Date>,
    /// Responsible authority's name and its share per month.
    pub series: Vec<(String, Vec<Share>)>,
}

/// Stored obligations by their status now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ByStatus {
    /// The deadline has passed.
    pub overdue: u32,
    /// Due within the next 24 hours.
    pub due_soon: u32,
    /// Due later, or no deadline stated.
    pub open: u32,
}

fn authority_name(authorities: &[Authority], id: i64) -> String {
    authorities
        .iter()
        .find(|a| a.id == id)
        .map_or_else(|| format!("authority {id}"), |a| a.name.clone())
}

/// Monday of the week (UK time) of `t`.
fn monday(calendar: &Calendar, t: Timestamp) -> Date {
    let d = calendar.local_date(t);
    d.checked_sub(i64::from(d.weekday().to_monday_zero_offset()).days())
        .unwrap_or(d)
}

/// Counts episodes per week by responsible authority, for the [`WEEKS`] weeks up to `now`.
pub fn episodes_per_week(
    calendar: &Calendar,
    authorities: &[Authority],
    episodes: &[(Episode, Vec<EventRecord>)],
    now: Timestamp,
) -> Weekly {
    let last = monday(calendar, now);
    let weeks: Vec<Date> = (0..WEEKS)
        .rev()
        .filter_map(|k| last.checked_sub((7 * k as i64).days()).ok())
        .collect();
    let mut series: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for (ep, _) in episodes {
        let week = monday(calendar, instant(ep.opened_at));
        if let Some(k) = weeks.iter().position(|w| *w == week) {
            let counts = series
                .entry(authority_name(authorities, ep.responsible_authority_id))
                .or_insert_with(|| vec![0; weeks.len()]);
            counts[k] += 1;
        }
    }
    Weekly {
        weeks,
        series: series.into_iter().collect(),
    }
}

/// The instant of an episode's first event of `kind` at or after `from`, ignoring events that a
/// later event corrects.
fn first(events: &[EventRecord], kind: &str, from: i64) -> Option<i64> {
    events
        .iter()
        .filter(|e| e.at >= from)
        .filter(|e| !events.iter().any(|c| c.corrects_event_id == Some(e.id)))
        .find(|e| {
            serde_json::from_str::<serde_json::Value>(&e.body)
                .is_ok_and(|b| b["type"].as_str() == Some(kind))
        })
        .map(|e| e.at)
}

/// First day of the month (UK time) of `t`.
fn month_of(calendar: &Calendar, t: Timestamp) -> Date {
    calendar.local_date(t).first_of_month()
}

/// The share of returns in each of the last [`MONTHS`] months whose return interview was
/// completed within 72 hours, by responsible authority. A return counts once its 72 hours have
/// passed or its interview is done, so the current month is not dragged down by interviews that
/// are still in time.
pub fn rhi_within_72h(
    calendar: &Calendar,
    authorities: &[Authority],
    episodes: &[(Episode, Vec<EventRecord>)],
    now: Timestamp,
) -> Monthly {
    let this = month_of(calendar, now);
    let months: Vec<Date> = (0..MONTHS)
        .rev()
        .filter_map(|k| this.checked_sub((k as i64).months()).ok())
        .collect();
    let mut series: BTreeMap<String, Vec<Share>> = BTreeMap::new();
    for (ep, events) in episodes {
        let Some(back) = first(events, "returned", i64::MIN) else {
            continue;
        };
        let Some(k) = months
            .iter()
            .position(|m| *m == month_of(calendar, instant(back)))
        else {
            continue;
        };
        let deadline = micros(instant(back) + RHI_WINDOW);
        let done = first(events, "rhi_completed", back);
        if done.is_none() && deadline > micros(now) {
            continue;
        }
        let share = &mut series
            .entry(authority_name(authorities, ep.responsible_authority_id))
            .or_insert_with(|| vec![Share::default(); months.len()])[k];
        share.returns += 1;
        if done.is_some_and(|d| d <= deadline) {
            share.within += 1;
        }
    }
    Monthly {
        months,
        series: series.into_iter().collect(),
    }
}

/// Counts stored obligations by status at `now`.
pub fn obligations_by_status(records: &[ObligationRecord], now: Timestamp) -> ByStatus {
    let soon = micros(now + SOON);
    let mut out = ByStatus::default();
    for o in records {
        match o.due {
            _ if overdue(o.due, now) => out.overdue += 1,
            Some(d) if d <= soon => out.due_soon += 1,
            _ => out.open += 1,
        }
    }
    out
}

/// The caller's view: checked permission, the instant, and the authority whose figures it sees.
/// Counts, not records, leave the server; the audit log notes who looked at them.
async fn scope(state: &AppState, caller: &Caller) -> Result<(Timestamp, i64), ApiError> {
    caller.require(Permission::ReadObligations)?;
    let now = state.now();
    state
        .audit
        .record(vec![caller.audit("read", "charts", None, None, now)])
        .await?;
    Ok((now, caller.user.authority_id))
}

/// The episodes both episode charts need, with every authority's name.
async fn recent_episodes(
    state: &AppState,
    authority: i64,
    now: Timestamp,
) -> Result<(Vec<Authority>, Vec<(Episode, Vec<EventRecord>)>), ApiError> {
    // 12 weeks, or 6 months back to the first of the month, with a week's margin for episodes
    // that opened before the month their child came back in.
    let weeks_back = now - SignedDuration::from_hours(24 * 7 * (WEEKS as i64 + 1));
    let months_back = calendar_months_back(&state.calendar, now);
    let since = weeks_back.min(months_back) - SignedDuration::from_hours(24 * 7);
    let episodes = state
        .store
        .episodes_involving(authority, micros(since))
        .await?;
    Ok((state.store.authorities().await?, episodes))
}

/// The authority's stored obligations by status at `now`.
async fn statuses(state: &AppState, authority: i64, now: Timestamp) -> Result<ByStatus, ApiError> {
    let records = state
        .store
        .obligations(&ObligationFilter {
            authority_ids: vec![authority],
            owner_role: None,
            due_before: None,
            due_from: None,
            limit: i64::MAX,
            offset: 0,
        })
        .await?;
    Ok(obligations_by_status(&records, now))
}

/// The start (UK midnight) of the first of the [`MONTHS`] months shown.
fn calendar_months_back(calendar: &Calendar, now: Timestamp) -> Timestamp {
    let first = month_of(calendar, now)
        .checked_sub(((MONTHS - 1) as i64).months())
        .unwrap_or_else(|_| month_of(calendar, now));
    calendar.instant(first.to_datetime(jiff::civil::Time::midnight()))
}

fn short_date(d: Date) -> String {
    d.strftime("%-d %b").to_string()
}

fn month_name(d: Date) -> String {
    d.strftime("%b %Y").to_string()
}

/// One bar chart: categories along the bottom, one bar per series in each.
struct BarChart<'a> {
    title: &'a str,
    desc: String,
    categories: Vec<String>,
    series: Vec<(String, Vec<f64>)>,
    /// The top of the scale, when fixed (percentages); otherwise from the data.
    max: Option<f64>,
    unit: &'a str,
}

/// GOV.UK colours with at least 3:1 contrast against white (WCAG 1.4.11).
const COLOURS: [&str; 6] = [
    "#1d70b8", "#00703c", "#d4351c", "#4c2c92", "#505a5f", "#912b88",
];

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A round step for the vertical axis so that about four gridlines fit under `max`.
fn step(max: f64) -> f64 {
    let raw = (max / 4.0).max(1.0);
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(raw)
}

impl BarChart<'_> {
    fn svg(&self) -> String {
        const WIDTH: f64 = 720.0;
        const LEFT: f64 = 48.0;
        const RIGHT: f64 = 12.0;
        const TOP: f64 = 16.0;
        const AXIS: f64 = 250.0;
        let data_max = self
            .series
            .iter()
            .flat_map(|(_, v)| v.iter().copied())
            .fold(0.0, f64::max);
        let step = step(self.max.unwrap_or(data_max));
        let max = self
            .max
            .unwrap_or_else(|| (data_max / step).ceil().max(1.0) * step);
        let y = |v: f64| AXIS - (v / max) * (AXIS - TOP);
        let band = (WIDTH - LEFT - RIGHT) / self.categories.len().max(1) as f64;
        let bar = (band * 0.8) / self.series.len().max(1) as f64;
        // Room under the axis for the category labels and one legend line per series.
        let height = AXIS + 30.0 + 18.0 * self.series.len() as f64;

        let mut s = String::new();
        let _ = write!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" aria-labelledby="chart-title chart-desc" font-family="Arial, sans-serif" font-size="12"><title id="chart-title">{}</title><desc id="chart-desc">{}</desc>"#,
            escape(self.title),
            escape(&self.desc)
        );
        let mut tick = 0.0;
        while tick <= max + f64::EPSILON {
            let _ = write!(
                s,
                r##"<line x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#b1b4b6"/><text x="{}" y="{:.1}" text-anchor="end" fill="#0b0c0c">{}{}</text>"##,
                WIDTH - RIGHT,
                LEFT - 6.0,
                y(tick) + 4.0,
                tick,
                self.unit,
                y = y(tick),
            );
            tick += step;
        }
        for (c, category) in self.categories.iter().enumerate() {
            let x0 = LEFT + band * c as f64 + band * 0.1;
            for (k, (name, values)) in self.series.iter().enumerate() {
                let v = values.get(c).copied().unwrap_or(0.0);
                let _ = write!(
                    s,
                    r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{}, {}: {}{}</title></rect>"#,
                    x0 + bar * k as f64,
                    y(v),
                    bar,
                    AXIS - y(v),
                    COLOURS[k % COLOURS.len()],
                    escape(name),
                    escape(category),
                    v,
                    self.unit
                );
            }
            let _ = write!(
                s,
                r##"<text x="{:.1}" y="{}" text-anchor="middle" fill="#0b0c0c">{}</text>"##,
                LEFT + band * (c as f64 + 0.5),
                AXIS + 16.0,
                escape(category)
            );
        }
        let _ = write!(
            s,
            r##"<line x1="{LEFT}" x2="{}" y1="{AXIS}" y2="{AXIS}" stroke="#0b0c0c"/>"##,
            WIDTH - RIGHT
        );
        for (k, (name, _)) in self.series.iter().enumerate() {
            let ly = AXIS + 36.0 + 18.0 * k as f64;
            let _ = write!(
                s,
                r##"<rect x="{LEFT}" y="{}" width="12" height="12" fill="{}"/><text x="{}" y="{}" fill="#0b0c0c">{}</text>"##,
                ly - 10.0,
                COLOURS[k % COLOURS.len()],
                LEFT + 18.0,
                ly,
                escape(name)
            );
        }
        s.push_str("</svg>");
        s
    }
}

fn episodes_chart(w: &Weekly) -> BarChart<'static> {
    let total: u32 = w.series.iter().flat_map(|(_, v)| v).sum();
    BarChart {
        title: "Missing episodes per week by responsible authority",
        desc: format!(
            "Episodes opened in each of the last {WEEKS} weeks (weeks starting Monday, UK time), {total} in all, by responsible authority ({}).",
            match w.series.len() {
                1 => "one authority".to_owned(),
                n => format!("{n} authorities"),
            }
        ),
        categories: w.weeks.iter().copied().map(short_date).collect(),
        series: w
            .series
            .iter()
            .map(|(n, v)| (n.clone(), v.iter().map(|x| f64::from(*x)).collect()))
            .collect(),
        max: None,
        unit: "",
    }
}

fn rhi_chart(m: &Monthly) -> BarChart<'static> {
    BarChart {
        title: "Return home interviews completed within 72 hours of the return",
        desc: format!(
            "Share of returns in each of the last {MONTHS} months whose interview was completed within 72 hours, by responsible authority; months without returns show no bar."
        ),
        categories: m.months.iter().copied().map(month_name).collect(),
        series: m
            .series
            .iter()
            .map(|(n, v)| {
                (
                    n.clone(),
                    v.iter()
                        .map(|s| f64::from(s.percent().unwrap_or(0)))
                        .collect(),
                )
            })
            .collect(),
        max: Some(100.0),
        unit: "%",
    }
}

fn obligations_chart(b: ByStatus) -> BarChart<'static> {
    BarChart {
        title: "Open obligations by status",
        desc: format!(
            "{} overdue, {} due within 24 hours, {} due later or without a stated deadline.",
            b.overdue, b.due_soon, b.open
        ),
        categories: vec![
            "Overdue".into(),
            "Due within 24 hours".into(),
            "Due later or no deadline".into(),
        ],
        series: vec![(
            "Obligations".into(),
            vec![
                f64::from(b.overdue),
                f64::from(b.due_soon),
                f64::from(b.open),
            ],
        )],
        max: None,
        unit: "",
    }
}

fn svg_response(svg: String) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml; charset=utf-8"),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        svg,
    )
}

async fn episodes_svg(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<impl IntoResponse, ApiError> {
    let (now, authority) = scope(&state, &caller).await?;
    let (authorities, episodes) = recent_episodes(&state, authority, now).await?;
    let weekly = episodes_per_week(&state.calendar, &authorities, &episodes, now);
    Ok(svg_response(episodes_chart(&weekly).svg()))
}

async fn rhi_svg(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<impl IntoResponse, ApiError> {
    let (now, authority) = scope(&state, &caller).await?;
    let (authorities, episodes) = recent_episodes(&state, authority, now).await?;
    let monthly = rhi_within_72h(&state.calendar, &authorities, &episodes, now);
    Ok(svg_response(rhi_chart(&monthly).svg()))
}

async fn obligations_svg(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<impl IntoResponse, ApiError> {
    let (now, authority) = scope(&state, &caller).await?;
    let counts = statuses(&state, authority, now).await?;
    Ok(svg_response(obligations_chart(counts).svg()))
}

/// A row of a table alternative: a label and one cell per series.
struct Row {
    label: String,
    cells: Vec<String>,
}

/// A chart on the page: its image, description and the same figures as a table.
struct Panel {
    id: &'static str,
    title: String,
    desc: String,
    src: &'static str,
    first_column: &'static str,
    columns: Vec<String>,
    rows: Vec<Row>,
}

/// Everything the page shows.
struct Figures {
    weekly: Weekly,
    monthly: Monthly,
    statuses: ByStatus,
}

#[derive(Template, WebTemplate)]
#[template(path = "charts.html")]
struct ChartsPage {
    chrome: Chrome,
    panels: Vec<Panel>,
}

async fn page(State(state): State<AppState>, viewer: Viewer) -> Result<ChartsPage, PageError> {
    let (now, authority) = scope(&state, &viewer.caller).await?;
    let (authorities, episodes) = recent_episodes(&state, authority, now).await?;
    let f = Figures {
        weekly: episodes_per_week(&state.calendar, &authorities, &episodes, now),
        monthly: rhi_within_72h(&state.calendar, &authorities, &episodes, now),
        statuses: statuses(&state, authority, now).await?,
    };
    let weekly = episodes_chart(&f.weekly);
    let monthly = rhi_chart(&f.monthly);
    let statuses = obligations_chart(f.statuses);
    let panels = vec![
        Panel {
            id: "episodes-per-week",
            title: weekly.title.to_owned(),
            desc: weekly.desc,
            src: "/charts/episodes-per-week.svg",
            first_column: "Week starting",
            columns: f.weekly.series.iter().map(|(n, _)| n.clone()).collect(),
            rows: f
                .weekly
                .weeks
                .iter()
                .enumerate()
                .map(|(k, w)| Row {
                    label: short_date(*w),
                    cells: f
                        .weekly
                        .series
                        .iter()
                        .map(|(_, v)| v[k].to_string())
                        .collect(),
                })
                .collect(),
        },
        Panel {
            id: "rhi-within-72h",
            title: monthly.title.to_owned(),
            desc: monthly.desc,
            src: "/charts/rhi-within-72h.svg",
            first_column: "Month of return",
            columns: f.monthly.series.iter().map(|(n, _)| n.clone()).collect(),
            rows: f
                .monthly
                .months
                .iter()
                .enumerate()
                .map(|(k, m)| Row {
                    label: month_name(*m),
                    cells: f
                        .monthly
                        .series
                        .iter()
                        .map(|(_, v)| match v[k].percent() {
                            Some(p) => format!("{p}% ({} of {})", v[k].within, v[k].returns),
                            None => "no returns".to_owned(),
                        })
                        .collect(),
                })
                .collect(),
        },
        Panel {
            id: "obligations-by-status",
            title: statuses.title.to_owned(),
            desc: statuses.desc,
            src: "/charts/obligations-by-status.svg",
            first_column: "Status",
            columns: vec!["Obligations".to_owned()],
            rows: [
                ("Overdue", f.statuses.overdue),
                ("Due within 24 hours", f.statuses.due_soon),
                ("Due later or no deadline", f.statuses.open),
            ]
            .into_iter()
            .map(|(label, n)| Row {
                label: label.to_owned(),
                cells: vec![n.to_string()],
            })
            .collect(),
        },
    ];
    Ok(ChartsPage {
        chrome: viewer.chrome("Charts", "charts"),
        panels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_steps_are_round() {
        assert_eq!(step(3.0), 1.0);
        assert_eq!(step(9.0), 5.0);
        assert_eq!(step(37.0), 10.0);
        assert_eq!(step(100.0), 50.0);
    }

    #[test]
    fn shares_round_to_whole_percent() {
        assert_eq!(
            Share {
                returns: 3,
                within: 2
            }
            .percent(),
            Some(67)
        );
        assert_eq!(Share::default().percent(), None);
    }

    #[test]
    fn names_are_escaped_in_the_svg() {
        let chart = BarChart {
            title: "A <b> & \"c\"",
            desc: String::new(),
            categories: vec!["x".into()],
            series: vec![("<s>".into(), vec![1.0])],
            max: None,
            unit: "",
        };
        let svg = chart.svg();
        assert!(svg.contains("A &lt;b&gt; &amp; &quot;c&quot;"), "{svg}");
        assert!(!svg.contains("<s>"), "{svg}");
    }
}
