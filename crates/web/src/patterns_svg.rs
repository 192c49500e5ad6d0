//! The pattern charts as hand-written SVG: a bar chart of the busiest places and a circular
//! graph of children missing together and shared associates, with the groups meeting Newham's
//! 11.8 trigger drawn in red. Each chart is an accessible image (`role="img"`, `<title>`,
//! `<desc>` summarising what it shows) and carries no script or external reference.

use std::fmt::Write as _;

use crate::api::patterns::{HotspotsView, TogetherView};

/// Escapes text for SVG/XML content and attributes.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const WIDTH: usize = 640;
const BAR_H: usize = 24;
const LABEL_W: usize = 260;
const TOP: usize = 40;

/// Horizontal bars: episodes in which a child was found at each place, busiest first.
pub fn hotspots(view: &HotspotsView) -> String {
    let n = view.rows.len();
    let height = TOP + n.max(1) * BAR_H + 20;
    let max = view.rows.iter().map(|r| r.found).max().unwrap_or(0).max(1);
    let span = WIDTH - LABEL_W - 60;
    let mut desc = format!("Episodes in which a child was found, by {}: ", view.by);
    if n == 0 {
        desc.push_str("none recorded.");
    }
    let parts: Vec<String> = view
        .rows
        .iter()
        .map(|r| format!("{} {}", r.place, r.found))
        .collect();
    desc.push_str(&parts.join("; "));
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="hotspots-title hotspots-desc" font-family="Arial, sans-serif" font-size="14"><title id="hotspots-title">Places children were found</title><desc id="hotspots-desc">{}</desc><text x="0" y="20" font-weight="bold">Children found, by {}</text>"#,
        esc(&desc),
        esc(&view.by)
    );
    if n == 0 {
        let _ = write!(
            s,
            r#"<text x="0" y="{}">No places recorded.</text>"#,
            TOP + 16
        );
    }
    for (k, r) in view.rows.iter().enumerate() {
        let y = TOP + k * BAR_H;
        let w = r.found * span / max;
        let _ = write!(
            s,
            r##"<text x="{}" y="{}" text-anchor="end">{}</text><rect x="{LABEL_W}" y="{}" width="{w}" height="{}" fill="#1d70b8"/><text x="{}" y="{}">{}</text>"##,
            LABEL_W - 8,
            y + 16,
            esc(&r.place),
            y + 4,
            BAR_H - 8,
            LABEL_W + w + 6,
            y + 16,
            r.found
        );
    }
    s.push_str("</svg>");
    s
}

const SIZE: f64 = 560.0;

/// Nodes on a circle (children as circles, associates as squares), missing-together edges as
/// solid lines, associate edges dashed; children of a flagged group in red.
pub fn together(view: &TogetherView) -> String {
    let n = view.nodes.len();
    let (cx, cy, radius) = (SIZE / 2.0, SIZE / 2.0 + 10.0, SIZE / 2.0 - 90.0);
    let flagged: Vec<i64> = view
        .groups
        .iter()
        .flat_map(|g| g.children.iter().copied())
        .collect();
    let pos = |k: usize| {
        let a = std::f64::consts::TAU * k as f64 / n.max(1) as f64 - std::f64::consts::FRAC_PI_2;
        (cx + radius * a.cos(), cy + radius * a.sin())
    };
    let index = |id: &str| view.nodes.iter().position(|x| x.id == id);
    let children = view.nodes.iter().filter(|x| x.kind == "child").count();
    let desc = format!(
        "{children} children and {} associates; {} links of children missing together; {} groups meeting the Newham complex strategy meeting trigger (11.8), drawn in red.",
        n - children,
        view.edges
            .iter()
            .filter(|e| e.kind == "missing_together")
            .count(),
        view.groups.len()
    );
    let mut s = String::new();
    let h = SIZE + 20.0;
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{h}" viewBox="0 0 {SIZE} {h}" role="img" aria-labelledby="together-title together-desc" font-family="Arial, sans-serif" font-size="12"><title id="together-title">Children missing together and shared associates</title><desc id="together-desc">{}</desc>"#,
        esc(&desc)
    );
    if n == 0 {
        let _ = write!(
            s,
            r#"<text x="10" y="30">No children missing together.</text>"#
        );
    }
    for e in &view.edges {
        let (Some(a), Some(b)) = (index(&e.from), index(&e.to)) else {
            continue;
        };
        let ((x1, y1), (x2, y2)) = (pos(a), pos(b));
        let style = if e.kind == "missing_together" {
            r##"stroke="#0b0c0c" stroke-width="2""##
        } else {
            r##"stroke="#505a5f" stroke-width="1" stroke-dasharray="4 3""##
        };
        let _ = write!(
            s,
            r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" {style}/>"#
        );
    }
    for (k, node) in view.nodes.iter().enumerate() {
        let (x, y) = pos(k);
        let red = node.child_id.is_some_and(|id| flagged.contains(&id));
        let fill = if red {
            "#d4351c"
        } else if node.kind == "child" {
            "#1d70b8"
        } else {
            "#f3f2f1"
        };
        if node.kind == "child" {
            let _ = write!(
                s,
                r##"<circle cx="{x:.1}" cy="{y:.1}" r="9" fill="{fill}" stroke="#0b0c0c"/>"##
            );
        } else {
            let _ = write!(
                s,
                r##"<rect x="{:.1}" y="{:.1}" width="16" height="16" fill="{fill}" stroke="#0b0c0c"/>"##,
                x - 8.0,
                y - 8.0
            );
        }
        let anchor = if x < cx - 1.0 {
            "end"
        } else if x > cx + 1.0 {
            "start"
        } else {
            "middle"
        };
        let dx = if x < cx - 1.0 {
            -14.0
        } else if x > cx + 1.0 {
            14.0
        } else {
            0.0
        };
        let dy = if (x - cx).abs() <= 1.0 && y < cy {
            -14.0
        } else if (x - cx).abs() <= 1.0 {
            22.0
        } else {
            4.0
        };
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="{anchor}">{}</text>"#,
            x + dx,
            y + dy,
            esc(&node.label)
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::patterns::{EdgeView, GroupView, HotspotView, NodeView};

    #[test]
    fn bars_are_labelled_escaped_and_scaled() {
        let view = HotspotsView {
            by: "place".into(),
            rows: vec![
                HotspotView {
                    place: "Fish & <Chips>".into(),
                    found: 4,
                    children: 2,
                    last_found: None,
                    frequented_by: 0,
                },
                HotspotView {
                    place: "Meadowhall".into(),
                    found: 2,
                    children: 1,
                    last_found: None,
                    frequented_by: 1,
                },
            ],
        };
        let svg = hotspots(&view);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains(r#"role="img""#) && svg.contains("<title id=\"hotspots-title\">"));
        assert!(svg.contains("Fish &amp; &lt;Chips&gt;") && !svg.contains("<Chips>"));
        assert!(
            svg.contains(r#"width="320""#) && svg.contains(r#"width="160""#),
            "{svg}"
        );
        assert!(svg.contains("Fish &amp; &lt;Chips&gt; 4; Meadowhall 2"));
    }

    #[test]
    fn flagged_children_are_red_and_associates_square() {
        let node = |id: &str, kind: &str, child: Option<i64>| NodeView {
            id: id.into(),
            kind: kind.into(),
            label: id.into(),
            child_id: child,
            authority: None,
        };
        let view = TogetherView {
            at: String::new(),
            start_within_hours: 24,
            nodes: vec![
                node("child-1", "child", Some(1)),
                node("child-2", "child", Some(2)),
                node("child-3", "child", Some(3)),
                node("associate-1", "associate", None),
            ],
            edges: vec![
                EdgeView {
                    from: "child-1".into(),
                    to: "child-2".into(),
                    kind: "missing_together".into(),
                    episodes: vec![[1, 2]],
                    links: vec![],
                },
                EdgeView {
                    from: "child-3".into(),
                    to: "associate-1".into(),
                    kind: "associate".into(),
                    episodes: vec![],
                    links: vec![],
                },
            ],
            groups: vec![GroupView {
                trigger: "missing_together".into(),
                children: vec![1, 2],
                names: vec![],
                associates: vec![],
                first_missing: None,
                unflagged: vec![],
                newham: true,
                citation: String::new(),
                action: String::new(),
            }],
        };
        let svg = together(&view);
        assert_eq!(svg.matches("#d4351c").count(), 2, "two flagged children");
        assert_eq!(svg.matches("<circle").count(), 3);
        assert_eq!(svg.matches("<rect").count(), 1);
        assert_eq!(svg.matches("<line").count(), 2);
        assert!(svg.contains("3 children and 1 associates; 1 links"));
    }
}
