//! The walk sheet: a turf on paper, for walkers without a phone or without battery. One
//! self-contained HTML page, ready to print on A4: the map drawn from the stops as inline SVG
//! (no tiles, nothing fetched), the stops in walking order with their buildings and doors, and
//! a box per door for the outcome. Questionnaire answers never go on it.

use std::fmt::Write as _;
use terrain_geo::geom::convex_hull;
use terrain_geo::proj::LocalProjection;
use terrain_store::{Turf, TurfStatus, TurfStop};
use time::{OffsetDateTime, UtcOffset};

/// What the sheet says besides the turf.
#[derive(Debug)]
pub struct SheetContext<'a> {
    pub campaign: &'a str,
    /// The person or team it is handed to, when it is.
    pub assignee: Option<String>,
    pub now: OffsetDateTime,
}

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' => {}
            c => out.push(c),
        }
    }
    out
}

/// Paris time (CET, CEST from the last Sunday of March to the last Sunday of October, 01:00
/// UTC): campaigns print for people in metropolitan France.
pub fn paris_time(t: OffsetDateTime) -> OffsetDateTime {
    let year = t.year();
    let last_sunday = |month: time::Month| {
        let mut d = time::Date::from_calendar_date(year, month, 31).unwrap_or(time::Date::MIN);
        while d.weekday() != time::Weekday::Sunday {
            d = d.previous_day().unwrap_or(time::Date::MIN);
        }
        d.with_hms(1, 0, 0).map(|dt| dt.assume_utc()).unwrap_or(t)
    };
    let summer = t >= last_sunday(time::Month::March) && t < last_sunday(time::Month::October);
    let offset = UtcOffset::from_hms(if summer { 2 } else { 1 }, 0, 0).unwrap_or(UtcOffset::UTC);
    t.to_offset(offset)
}

/// `26/11/2026 14:05` in Paris time.
pub fn french_datetime(t: OffsetDateTime) -> String {
    let p = paris_time(t);
    format!(
        "{:02}/{:02}/{} {:02}:{:02}",
        p.day(),
        u8::from(p.month()),
        p.year(),
        p.hour(),
        p.minute()
    )
}

/// `850 m`, `1,2 km`.
pub fn french_distance(m: f64) -> String {
    if m < 1000.0 {
        format!("{} m", (m / 10.0).round() * 10.0)
    } else {
        format!("{:.1} km", m / 1000.0).replace('.', ",")
    }
}

/// `2 h 35`, `45 min`.
pub fn french_duration(minutes: f64) -> String {
    let m = minutes.max(0.0).round() as u64;
    if m < 60 {
        format!("{m} min")
    } else {
        format!("{} h {:02}", m / 60, m % 60)
    }
}

const WIDTH: f64 = 680.0;
const HEIGHT: f64 = 420.0;
const PAD: f64 = 24.0;

/// The map: hull, route and numbered stops, north up, with a scale bar.
fn map_svg(stops: &[TurfStop]) -> String {
    if stops.is_empty() {
        return String::new();
    }
    let proj = LocalProjection::centred_on(
        stops
            .iter()
            .map(|s| (s.address.fields.lon, s.address.fields.lat)),
    )
    .unwrap_or_else(|| LocalProjection::new(2.35, 48.85));
    let pts: Vec<[f64; 2]> = stops
        .iter()
        .map(|s| proj.project(s.address.fields.lon, s.address.fields.lat))
        .collect();
    let (mut min, mut max) = ([f64::MAX; 2], [f64::MIN; 2]);
    for p in &pts {
        for k in 0..2 {
            min[k] = min[k].min(p[k]);
            max[k] = max[k].max(p[k]);
        }
    }
    let span = [(max[0] - min[0]).max(50.0), (max[1] - min[1]).max(50.0)];
    let scale = ((WIDTH - 2.0 * PAD) / span[0]).min((HEIGHT - 2.0 * PAD) / span[1]);
    let off = [
        (WIDTH - span[0] * scale) / 2.0 - min[0] * scale,
        (HEIGHT - span[1] * scale) / 2.0 + max[1] * scale,
    ];
    let xy = |p: [f64; 2]| (off[0] + p[0] * scale, off[1] - p[1] * scale);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg class="map" viewBox="0 0 {WIDTH} {HEIGHT}" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Plan du secteur">"##
    );
    svg.push_str(r##"<rect x="0" y="0" width="100%" height="100%" fill="#fff" stroke="#999"/>"##);
    let hull = convex_hull(&pts);
    if hull.len() >= 3 {
        let d: Vec<String> = hull
            .iter()
            .map(|p| {
                let (x, y) = xy(*p);
                format!("{x:.1},{y:.1}")
            })
            .collect();
        let _ = write!(
            svg,
            r##"<polygon points="{}" fill="#eef4f1" stroke="#9bb8ab" stroke-width="1"/>"##,
            d.join(" ")
        );
    }
    let line: Vec<String> = pts
        .iter()
        .map(|p| {
            let (x, y) = xy(*p);
            format!("{x:.1},{y:.1}")
        })
        .collect();
    let _ = write!(
        svg,
        r##"<polyline points="{}" fill="none" stroke="#1f7a5c" stroke-width="1.6" stroke-dasharray="5 3"/>"##,
        line.join(" ")
    );
    for (s, p) in stops.iter().zip(&pts) {
        let (x, y) = xy(*p);
        let first = s.position == 1;
        let _ = write!(
            svg,
            r##"<circle cx="{x:.1}" cy="{y:.1}" r="8" fill="{}" stroke="#fff" stroke-width="1"/><text x="{x:.1}" y="{:.1}" text-anchor="middle" font-size="8" font-weight="700" fill="#fff">{}</text>"##,
            if first { "#b3261e" } else { "#1c2321" },
            y + 2.8,
            s.position
        );
    }
    // Scale bar: the round length closest to a fifth of the width.
    let target = (WIDTH / 5.0) / scale;
    let bar = [10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0]
        .into_iter()
        .min_by(|a, b| (a - target).abs().total_cmp(&(b - target).abs()))
        .unwrap_or(100.0);
    let px = bar * scale;
    let _ = write!(
        svg,
        r##"<g font-size="10" fill="#333"><rect x="{x0}" y="{y0}" width="{px:.1}" height="4" fill="#333"/><text x="{x0}" y="{ty}">{label}</text><text x="{nx}" y="22" text-anchor="middle" font-weight="700">N ↑</text></g>"##,
        x0 = 12.0,
        y0 = HEIGHT - 14.0,
        ty = HEIGHT - 18.0,
        label = french_distance(bar),
        nx = WIDTH - 18.0,
    );
    svg.push_str("</svg>");
    svg
}

/// Door boxes of one building: named doors first, then unnamed ones.
fn door_boxes(named: &[String], doors: u32) -> String {
    let mut s = String::from(r#"<span class="boxes">"#);
    for n in named {
        let _ = write!(s, r#"<span class="box"><i>{}</i></span>"#, esc(n));
    }
    for _ in named.len() as u32..doors.max(1) {
        s.push_str(r#"<span class="box"></span>"#);
    }
    s.push_str("</span>");
    s
}

/// The sheet as a complete HTML page.
pub fn render(turf: &Turf, stops: &[TurfStop], ctx: &SheetContext<'_>) -> String {
    let title = format!("{} · secteur {}", turf.bureau_name, turf.number);
    let mut h = String::with_capacity(16 * 1024 + stops.len() * 600);
    let _ = write!(
        h,
        r#"<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Feuille de route — {t}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
@page {{ size: A4; margin: 12mm; }}
* {{ box-sizing: border-box; }}
body {{ font-family: "DejaVu Sans", Arial, sans-serif; color: #1c2321; margin: 0 auto; max-width: 190mm; font-size: 10.5pt; }}
header {{ display: flex; justify-content: space-between; align-items: baseline; border-bottom: 2px solid #1c2321; margin-bottom: 6px; }}
h1 {{ font-size: 16pt; margin: 6px 0 2px; }}
.muted {{ color: #555; font-size: 9pt; }}
.facts {{ display: flex; flex-wrap: wrap; gap: 4px 18px; margin: 6px 0; }}
.facts b {{ font-size: 11.5pt; }}
.map {{ width: 100%; height: auto; display: block; margin: 4px 0 8px; }}
.legend {{ border: 1px solid #999; padding: 4px 8px; margin-bottom: 8px; font-size: 9pt; }}
table {{ width: 100%; border-collapse: collapse; }}
th, td {{ border-bottom: 1px solid #bbb; padding: 4px 4px; text-align: left; vertical-align: top; }}
th {{ font-size: 9pt; text-transform: uppercase; letter-spacing: .02em; border-bottom: 2px solid #1c2321; }}
tr {{ break-inside: avoid; page-break-inside: avoid; }}
td.n {{ font-weight: 700; width: 2.2em; }}
td.doors {{ width: 4em; }}
.bld {{ margin: 1px 0 3px; }}
.bld small {{ color: #555; margin-right: 4px; }}
.boxes {{ display: inline-flex; flex-wrap: wrap; gap: 3px; vertical-align: middle; }}
.box {{ display: inline-block; width: 7.5mm; height: 7.5mm; border: 1px solid #1c2321; position: relative; }}
.box i {{ position: absolute; left: 1px; top: 0; font-size: 5.5pt; font-style: normal; color: #555; }}
td.notes {{ width: 28%; }}
footer {{ margin-top: 10px; font-size: 8.5pt; color: #555; border-top: 1px solid #999; padding-top: 4px; }}
.visited {{ color: #555; }}
@media screen {{ body {{ padding: 12px; }} }}
</style></head><body>
<header><div><h1>Feuille de route — {t}</h1><div class="muted">{campaign}</div></div>
<div class="muted">Révision {rev} · imprimée le {printed}</div></header>
"#,
        t = esc(&title),
        campaign = esc(ctx.campaign),
        rev = turf.revision,
        printed = french_datetime(ctx.now),
    );
    let doors: u64 = stops.iter().map(|s| u64::from(s.doors)).sum();
    let _ = write!(
        h,
        r#"<section class="facts"><span>Arrêts <b>{}</b></span><span>Portes <b>{}</b></span><span>Marche <b>{}</b>{}</span><span>Durée estimée <b>{}</b></span>"#,
        stops.len(),
        doors,
        french_distance(turf.length_m),
        if turf.on_network {
            ""
        } else {
            " <span class=\"muted\">(à vol d’oiseau)</span>"
        },
        french_duration(turf.minutes),
    );
    match (
        &turf.checkout,
        turf.effective_status(ctx.now),
        &ctx.assignee,
    ) {
        (Some(c), TurfStatus::CheckedOut, who) => {
            let _ = write!(
                h,
                r#"<span>Confié à <b>{}</b> jusqu’au {}</span>"#,
                esc(who.as_deref().unwrap_or("—")),
                french_datetime(c.expires_at)
            );
        }
        _ => h.push_str(r#"<span>Confié à ______________________</span>"#),
    }
    h.push_str("</section>\n");
    h.push_str(&map_svg(stops));
    h.push_str(
        r#"<div class="legend"><b>Une case par porte</b>, à remplir d’une lettre : <b>A</b> absent · <b>O</b> ouvert (conversation) · <b>R</b> refus · <b>N</b> ne plus frapper · <b>X</b> porte introuvable. Portes en plus : ajoutez-les en marge. Le point rouge est le départ.</div>
<table><thead><tr><th>N°</th><th>Adresse</th><th>Portes</th><th>Résultats</th><th>Notes</th></tr></thead><tbody>
"#,
    );
    for s in stops {
        let label = {
            let f = &s.address.fields;
            let mut l = String::new();
            if let Some(n) = &f.number {
                l.push_str(n);
                if let Some(r) = &f.rep {
                    l.push(' ');
                    l.push_str(r);
                }
                l.push(' ');
            }
            l.push_str(&f.street);
            l
        };
        let mut cells = String::new();
        if s.buildings.is_empty() {
            cells.push_str(&door_boxes(&[], s.doors));
        } else {
            for b in &s.buildings {
                let named: Vec<String> = b
                    .units
                    .iter()
                    .map(|u| match u.floor {
                        Some(f) => format!("{f}·{}", u.label),
                        None => u.label.clone(),
                    })
                    .collect();
                let _ = write!(
                    cells,
                    r#"<div class="bld">{}{}</div>"#,
                    if b.building.label.is_empty() {
                        String::new()
                    } else {
                        format!("<small>{}</small>", esc(&b.building.label))
                    },
                    door_boxes(&named, b.building.doors.max(b.units.len() as u32))
                );
            }
        }
        let _ = writeln!(
            h,
            r#"<tr{cls}><td class="n">{n}</td><td>{a}{v}</td><td class="doors">{d}</td><td>{cells}</td><td class="notes"></td></tr>"#,
            cls = if s.visited_at.is_some() {
                r#" class="visited""#
            } else {
                ""
            },
            n = s.position,
            a = esc(&label),
            v = if s.visited_at.is_some() {
                r#"<br><span class="muted">déjà visitée</span>"#
            } else {
                ""
            },
            d = s.doors,
        );
    }
    h.push_str("</tbody></table>\n");
    let _ = write!(
        h,
        r#"<footer>Secteur {n} de {b} ({code}), {stops} arrêts. Les réponses aux questionnaires ne s’écrivent jamais sur cette feuille : elles sont confidentielles et se saisissent dans l’application. Rendez la feuille à votre coordinateur ou coordinatrice.</footer>
</body></html>
"#,
        n = turf.number,
        b = esc(&turf.bureau_name),
        code = esc(&turf.bureau_code),
        stops = stops.len(),
    );
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            esc(r#"<b>"A" & 'B'</b>"#),
            "&lt;b&gt;&quot;A&quot; &amp; &#39;B&#39;&lt;/b&gt;"
        );
        assert_eq!(esc("a\u{0}b"), "ab");
    }

    #[test]
    fn french_figures() {
        assert_eq!(french_distance(845.0), "850 m");
        assert_eq!(french_distance(1234.0), "1,2 km");
        assert_eq!(french_duration(155.4), "2 h 35");
        assert_eq!(french_duration(45.0), "45 min");
    }

    #[test]
    fn paris_time_follows_summer_time() {
        let winter = time::macros::datetime!(2026-11-26 13:05 UTC);
        assert_eq!(french_datetime(winter), "26/11/2026 14:05");
        let summer = time::macros::datetime!(2027-06-01 08:00 UTC);
        assert_eq!(french_datetime(summer), "01/06/2027 10:00");
        // The switch: 28 March 2027, 01:00 UTC.
        assert_eq!(
            paris_time(time::macros::datetime!(2027-03-28 00:59 UTC))
                .offset()
                .whole_hours(),
            1
        );
        assert_eq!(
            paris_time(time::macros::datetime!(2027-03-28 01:00 UTC))
                .offset()
                .whole_hours(),
            2
        );
        assert_eq!(
            paris_time(time::macros::datetime!(2026-10-25 01:00 UTC))
                .offset()
                .whole_hours(),
            1
        );
    }

    #[test]
    fn door_boxes_name_known_doors_first() {
        let b = door_boxes(&["2·G".into()], 3);
        assert_eq!(b.matches("class=\"box\"").count(), 3);
        assert!(b.contains("<i>2·G</i>"));
        assert_eq!(door_boxes(&[], 0).matches("class=\"box\"").count(), 1);
    }
}
