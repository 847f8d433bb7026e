//! Choropleth maps as inline SVG, for the self-contained diagnostic report: territories'
//! GeoJSON outlines projected once (a local projection, metres, north up), drawn as `<defs>`
//! paths that every map reuses with `<use>`, so that five maps weigh little more than one.
//! No tiles, no script, nothing fetched.

use std::fmt::Write as _;
use terrain_geo::proj::LocalProjection;

/// A territory to draw: its id in the page, its name, its GeoJSON geometry (`Polygon` or
/// `MultiPolygon`, longitude/latitude).
#[derive(Clone, Debug)]
pub struct Area {
    pub name: String,
    pub geometry: serde_json::Value,
}

/// The projected outlines of the areas, defined once in the page.
#[derive(Clone, Debug)]
pub struct Outlines {
    /// A hidden `<svg>` holding one `<path id="{prefix}{i}">` per area and the hatching of
    /// suppressed areas: put it in the page once, before the maps.
    pub defs: String,
    prefix: String,
    names: Vec<String>,
    width: f64,
    height: f64,
}

/// What one area shows on a map.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fill {
    /// Nothing to show (no respondent there).
    NoData,
    /// Too few respondents: hidden, drawn hatched grey.
    Suppressed,
    /// A value, coloured on the map's scale.
    Value(f64),
}

/// The rings of a GeoJSON Polygon or MultiPolygon, as (lon, lat) points.
fn rings(geometry: &serde_json::Value) -> Vec<Vec<(f64, f64)>> {
    let ring = |r: &serde_json::Value| -> Vec<(f64, f64)> {
        r.as_array()
            .map(|pts| {
                pts.iter()
                    .filter_map(|p| Some((p.get(0)?.as_f64()?, p.get(1)?.as_f64()?)))
                    .collect()
            })
            .unwrap_or_default()
    };
    let coords = geometry.get("coordinates");
    match geometry.get("type").and_then(|t| t.as_str()) {
        Some("Polygon") => coords
            .and_then(|c| c.as_array())
            .map(|rs| rs.iter().map(ring).collect())
            .unwrap_or_default(),
        Some("MultiPolygon") => coords
            .and_then(|c| c.as_array())
            .map(|ps| {
                ps.iter()
                    .filter_map(|p| p.as_array())
                    .flat_map(|rs| rs.iter().map(ring))
                    .collect()
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Projects the areas into a `width`-wide drawing (height from their extent). `prefix` keeps
/// the paths' ids apart from the page's others. `None` when no area has a usable outline.
pub fn outlines(areas: &[Area], width: f64, prefix: &str) -> Option<Outlines> {
    let all: Vec<Vec<Vec<(f64, f64)>>> = areas.iter().map(|a| rings(&a.geometry)).collect();
    let proj = LocalProjection::centred_on(all.iter().flatten().flatten().copied())?;
    let projected: Vec<Vec<Vec<[f64; 2]>>> = all
        .iter()
        .map(|rs| {
            rs.iter()
                .map(|r| r.iter().map(|&(lon, lat)| proj.project(lon, lat)).collect())
                .collect()
        })
        .collect();
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for p in projected.iter().flatten().flatten() {
        x0 = x0.min(p[0]);
        x1 = x1.max(p[0]);
        y0 = y0.min(p[1]);
        y1 = y1.max(p[1]);
    }
    if x1 <= x0 || y1 <= y0 {
        return None;
    }
    let scale = width / (x1 - x0);
    let height = ((y1 - y0) * scale).ceil();
    let mut defs = String::from(
        "<svg width=\"0\" height=\"0\" style=\"position:absolute\" aria-hidden=\"true\"><defs>\
         <pattern id=\"choropleth-hatch\" width=\"4\" height=\"4\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">\
         <rect width=\"4\" height=\"4\" fill=\"#d9d9d9\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"4\" stroke=\"#999\" stroke-width=\"1.2\"/></pattern>",
    );
    for (i, rs) in projected.iter().enumerate() {
        let mut d = String::new();
        for r in rs {
            let mut last: Option<(i64, i64)> = None;
            let mut n = 0;
            for p in r {
                // Tenths of a pixel: finer detail is invisible and would weigh.
                let q = (
                    ((p[0] - x0) * scale * 10.0).round() as i64,
                    ((y1 - p[1]) * scale * 10.0).round() as i64,
                );
                if last == Some(q) {
                    continue;
                }
                let _ = write!(
                    d,
                    "{}{:.1},{:.1}",
                    if n == 0 { "M" } else { "L" },
                    q.0 as f64 / 10.0,
                    q.1 as f64 / 10.0
                );
                last = Some(q);
                n += 1;
            }
            if n > 0 {
                d.push('Z');
            }
        }
        let _ = write!(defs, "<path id=\"{prefix}{i}\" d=\"{d}\"/>");
    }
    defs.push_str("</defs></svg>");
    Some(Outlines {
        defs,
        prefix: prefix.to_string(),
        names: areas.iter().map(|a| a.name.clone()).collect(),
        width,
        height,
    })
}

/// Blues, light to dark: five classes.
const SCALE: [&str; 5] = ["#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c"];
const NO_DATA: &str = "#f4f4f4";
const SUPPRESSED: &str = "url(#choropleth-hatch)";

/// One map of the outlines: each area filled by `fills` (one per area, in order), on five
/// equal classes between the smallest and the largest value shown; `label` formats a value
/// (legend and tooltips); `suppressed_note` says why hatched areas are hidden.
pub fn map(
    o: &Outlines,
    fills: &[Fill],
    title: &str,
    label: &dyn Fn(f64) -> String,
    suppressed_note: &str,
) -> String {
    let values: Vec<f64> = fills
        .iter()
        .filter_map(|f| match f {
            Fill::Value(v) if v.is_finite() => Some(*v),
            _ => None,
        })
        .collect();
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let class = |v: f64| -> usize {
        if hi <= lo {
            return SCALE.len() - 1;
        }
        (((v - lo) / (hi - lo) * SCALE.len() as f64) as usize).min(SCALE.len() - 1)
    };
    // Legend text stays readable when a map is drawn a third of a page wide.
    let (font, sw, char_w) = (15.0, 16.0, 8.6);
    let legend_h = 26.0;
    let mut s = format!(
        "<figure class=\"map\"><figcaption>{}</figcaption><svg viewBox=\"0 0 {w} {h}\" width=\"100%\" role=\"img\" aria-label=\"{}\">\
",
        esc(title),
        esc(title),
        w = o.width,
        h = o.height + legend_h * 2.0 + 6.0,
    );
    // Areas without data first, so the coloured ones' edges stay on top.
    let mut order: Vec<usize> = (0..o.names.len()).collect();
    order.sort_by_key(|&i| !matches!(fills.get(i), None | Some(Fill::NoData)));
    for i in order {
        let (fill, tip) = match fills.get(i).copied().unwrap_or(Fill::NoData) {
            Fill::NoData => (NO_DATA.to_string(), "aucun répondant".to_string()),
            Fill::Suppressed => (
                SUPPRESSED.to_string(),
                "masqué (effectif trop faible)".into(),
            ),
            Fill::Value(v) => (SCALE[class(v)].to_string(), label(v)),
        };
        let _ = write!(
            s,
            "<use href=\"#{}{i}\" fill=\"{fill}\" stroke=\"#fff\" stroke-width=\"0.4\"><title>{} : {}</title></use>",
            o.prefix,
            esc(&o.names[i]),
            esc(&tip)
        );
    }
    // The legend: the classes, then the hatched and empty areas.
    let y = o.height + 6.0;
    let mut x = 0.0;
    if !values.is_empty() {
        for (k, colour) in SCALE.iter().enumerate() {
            let from = lo + (hi - lo) * k as f64 / SCALE.len() as f64;
            let text = if hi <= lo {
                label(lo)
            } else {
                format!("≥ {}", label(from))
            };
            if hi <= lo && k + 1 < SCALE.len() {
                continue;
            }
            let _ = write!(
                s,
                "<rect x=\"{x}\" y=\"{y}\" width=\"{sw}\" height=\"{sw}\" fill=\"{colour}\"/><text x=\"{}\" y=\"{}\" font-size=\"{font}\">{}</text>",
                x + sw + 4.0,
                y + 13.0,
                esc(&text)
            );
            x += sw + 14.0 + char_w * text.chars().count() as f64;
        }
    }
    let y2 = y + legend_h;
    let after = sw + 18.0 + char_w * suppressed_note.chars().count() as f64;
    let _ = write!(
        s,
        "<rect x=\"0\" y=\"{y2}\" width=\"{sw}\" height=\"{sw}\" fill=\"{SUPPRESSED}\"/><text x=\"{}\" y=\"{}\" font-size=\"{font}\">{}</text>\
         <rect x=\"{after}\" y=\"{y2}\" width=\"{sw}\" height=\"{sw}\" fill=\"{NO_DATA}\" stroke=\"#ccc\"/><text x=\"{}\" y=\"{}\" font-size=\"{font}\">aucun répondant</text>",
        sw + 4.0,
        y2 + 13.0,
        esc(suppressed_note),
        after + sw + 4.0,
        y2 + 13.0,
    );
    s.push_str("</svg></figure>");
    s
}

/// A whole number written the French way, thousands apart with a narrow no-break space:
/// `20853.4` → `20 853`.
pub fn whole_fr(v: f64) -> String {
    let n = v.round();
    let digits = format!("{:.0}", n.abs());
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 3 + 1);
    if n < 0.0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('\u{202F}');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn square(lon: f64, lat: f64, name: &str) -> Area {
        let d = 0.01;
        Area {
            name: name.into(),
            geometry: json!({"type": "Polygon", "coordinates": [[[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]]}),
        }
    }

    #[test]
    fn outlines_are_projected_north_up_into_the_drawing() {
        let areas = [
            square(2.35, 48.88, "Nord-ouest <1>"),
            square(2.36, 48.87, "Sud-est"),
        ];
        let o = outlines(&areas, 200.0, "m").unwrap();
        assert_eq!(o.defs.matches("<path").count(), 2);
        assert!(o.defs.contains("id=\"m0\"") && o.defs.contains("id=\"m1\""));
        // Two squares side by side diagonally: as tall as wide, give or take the latitude.
        assert!(
            (o.height - 200.0 * (48.89 - 48.87) / (0.02 * 48.88f64.to_radians().cos())).abs() < 3.0
        );
        // The first (north-west) starts at the left edge, its top at the top.
        assert!(o.defs.contains("d=\"M0.0,"), "{}", o.defs);
        let svg = map(
            &o,
            &[Fill::Value(0.25), Fill::Suppressed],
            "Part",
            &|v| format!("{:.0} %", v * 100.0),
            "masqué : moins de 10 répondants",
        );
        assert!(svg.contains("href=\"#m0\" fill=\"#08519c\""));
        assert!(svg.contains("href=\"#m1\" fill=\"url(#choropleth-hatch)\""));
        assert!(svg.contains("Nord-ouest &lt;1&gt; : 25 %"));
        assert!(svg.contains("masqué : moins de 10 répondants"));
        assert!(!svg.contains("<1>"));
    }

    #[test]
    fn multipolygons_and_bad_geometries() {
        let multi = Area {
            name: "îles".into(),
            geometry: json!({"type": "MultiPolygon", "coordinates": [
                [[[2.0, 48.0], [2.01, 48.0], [2.01, 48.01], [2.0, 48.0]]],
                [[[2.02, 48.0], [2.03, 48.0], [2.03, 48.01], [2.02, 48.0]]]
            ]}),
        };
        let o = outlines(std::slice::from_ref(&multi), 100.0, "x").unwrap();
        assert_eq!(o.defs.matches('M').count(), 2);
        let point = Area {
            name: "point".into(),
            geometry: json!({"type": "Point", "coordinates": [2.0, 48.0]}),
        };
        assert!(outlines(&[point], 100.0, "x").is_none());
    }

    #[test]
    fn classes_span_the_values_shown() {
        let areas: Vec<Area> = (0..5)
            .map(|i| square(2.3 + 0.01 * f64::from(i), 48.8, &format!("b{i}")))
            .collect();
        let o = outlines(&areas, 300.0, "c").unwrap();
        let fills: Vec<Fill> = (0..5).map(|i| Fill::Value(f64::from(i))).collect();
        let svg = map(&o, &fills, "n", &|v| format!("{v:.0}"), "masqué");
        for (i, colour) in SCALE.iter().enumerate() {
            assert!(
                svg.contains(&format!("href=\"#c{i}\" fill=\"{colour}\"")),
                "{i}"
            );
        }
        let none = map(
            &o,
            &[Fill::NoData; 5],
            "vide",
            &|v| format!("{v}"),
            "masqué",
        );
        assert_eq!(none.matches(&format!("fill=\"{NO_DATA}\"")).count(), 6);
    }

    #[test]
    fn whole_numbers_are_grouped_by_thousands() {
        assert_eq!(whole_fr(0.4), "0");
        assert_eq!(whole_fr(999.0), "999");
        assert_eq!(whole_fr(20853.4), "20\u{202F}853");
        assert_eq!(whole_fr(1234567.0), "1\u{202F}234\u{202F}567");
        assert_eq!(whole_fr(-4321.0), "-4\u{202F}321");
    }
}
