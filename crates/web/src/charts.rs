//! Charts served as SVG, drawn here by hand (bars, axes and labels need no library and no
//! JavaScript): episodes per week by authority, the share of return home interviews held by the
//! protocol's deadline, and open obligations by status. Each SVG carries `role="img"`, a
//! `<title>` and a `<desc>`; the `/charts` page shows the same figures as tables.
//!
//! The figures are the casework layer's (`Casework::charts`), counted by the database from the
//! engine's stored deadlines and scoped to the caller's authority; nothing is computed here but
//! the drawing.

use std::fmt::Write as _;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use casework::charts::{MONTHS, WEEKS};
use casework::{ByStatus, Charts, Monthly, Weekly};
use jiff::civil::Date;

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::ui::layout::{Chrome, PageError, Viewer};

/// The chart routes: the page and its three SVGs.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/charts", get(page))
        .route("/charts/episodes-per-week.svg", get(episodes_svg))
        .route("/charts/rhi-within-72h.svg", get(rhi_svg))
        .route("/charts/obligations-by-status.svg", get(obligations_svg))
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
        title: "Return home interviews held by the protocol's deadline",
        desc: format!(
            "Share of return home interviews falling due in each of the last {MONTHS} months that were held by the deadline their protocol sets (72 hours after the return), by responsible authority; months with none due show no bar."
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
            vec![b.overdue as f64, b.due_soon as f64, b.open as f64],
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
    let c = state.casework.charts(&caller).await?;
    Ok(svg_response(episodes_chart(&c.weekly).svg()))
}

async fn rhi_svg(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<impl IntoResponse, ApiError> {
    let c = state.casework.charts(&caller).await?;
    Ok(svg_response(rhi_chart(&c.monthly).svg()))
}

async fn obligations_svg(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<impl IntoResponse, ApiError> {
    let c = state.casework.charts(&caller).await?;
    Ok(svg_response(obligations_chart(c.by_status).svg()))
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

#[derive(Template, WebTemplate)]
#[template(path = "charts.html")]
struct ChartsPage {
    chrome: Chrome,
    panels: Vec<Panel>,
}

async fn page(State(state): State<AppState>, viewer: Viewer) -> Result<ChartsPage, PageError> {
    let f: Charts = state.casework.charts(&viewer.caller).await?;
    let weekly = episodes_chart(&f.weekly);
    let monthly = rhi_chart(&f.monthly);
    let statuses = obligations_chart(f.by_status);
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
            first_column: "Month the interview was due",
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
                            Some(p) => format!("{p}% ({} of {})", v[k].on_time, v[k].due),
                            None => "none due".to_owned(),
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
                ("Overdue", f.by_status.overdue),
                ("Due within 24 hours", f.by_status.due_soon),
                ("Due later or no deadline", f.by_status.open),
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
