//! iCalendar (RFC 5545) feeds: the sorties and trainings of a volunteer or a team, for the
//! calendar app on their phone. Times are written in UTC, so no time-zone table is needed.

use time::OffsetDateTime;

/// One event of a feed.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// Stable across updates, so calendars replace rather than duplicate.
    pub uid: String,
    pub starts_at: OffsetDateTime,
    pub ends_at: OffsetDateTime,
    pub summary: String,
    pub location: Option<String>,
    /// `(lat, lon)`.
    pub geo: Option<(f64, f64)>,
    pub description: Option<String>,
    /// False for an invitation not yet answered (`TENTATIVE`).
    pub confirmed: bool,
}

fn stamp(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Escapes a TEXT value (backslash, semicolon, comma, new lines).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets (never inside a UTF-8 character), lines ending in CRLF.
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

/// The calendar named `name` holding `events`.
pub fn calendar(name: &str, events: &[Event], now: OffsetDateTime) -> String {
    let mut out = String::new();
    for l in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Terrain//Sorties et formations//FR",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ] {
        fold(l, &mut out);
    }
    fold(&format!("X-WR-CALNAME:{}", escape(name)), &mut out);
    for e in events {
        fold("BEGIN:VEVENT", &mut out);
        fold(&format!("UID:{}", escape(&e.uid)), &mut out);
        fold(&format!("DTSTAMP:{}", stamp(now)), &mut out);
        fold(&format!("DTSTART:{}", stamp(e.starts_at)), &mut out);
        fold(&format!("DTEND:{}", stamp(e.ends_at)), &mut out);
        fold(&format!("SUMMARY:{}", escape(&e.summary)), &mut out);
        if let Some(l) = &e.location {
            fold(&format!("LOCATION:{}", escape(l)), &mut out);
        }
        if let Some((lat, lon)) = e.geo {
            fold(&format!("GEO:{lat:.6};{lon:.6}"), &mut out);
        }
        if let Some(d) = &e.description {
            fold(&format!("DESCRIPTION:{}", escape(d)), &mut out);
        }
        fold(
            if e.confirmed {
                "STATUS:CONFIRMED"
            } else {
                "STATUS:TENTATIVE"
            },
            &mut out,
        );
        fold("END:VEVENT", &mut out);
    }
    fold("END:VCALENDAR", &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_feed_is_valid_icalendar() {
        let e = Event {
            uid: "sortie-1@terrain".into(),
            starts_at: datetime!(2026-06-06 10:00 +02:00),
            ends_at: datetime!(2026-06-06 12:00 +02:00),
            summary: "Samedi, Marcadet; Poissonniers".into(),
            location: Some("Métro Marcadet-Poissonniers, sortie 1".into()),
            geo: Some((48.8913, 2.3497)),
            description: Some("Apportez des tracts\net de l’eau.".into()),
            confirmed: false,
        };
        let ics = calendar("Léa — Terrain", &[e], datetime!(2026-06-01 08:00 UTC));
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
        assert!(ics.contains("DTSTART:20260606T080000Z\r\n"), "{ics}");
        assert!(ics.contains("SUMMARY:Samedi\\, Marcadet\\; Poissonniers\r\n"));
        assert!(ics.contains("DESCRIPTION:Apportez des tracts\\net de l’eau.\r\n"));
        assert!(ics.contains("GEO:48.891300;2.349700\r\n"));
        assert!(ics.contains("STATUS:TENTATIVE"));
        for line in ics.split("\r\n") {
            assert!(line.len() <= 75, "line longer than 75 octets: {line}");
        }
    }

    #[test]
    fn long_lines_fold_between_characters() {
        let mut out = String::new();
        fold(&format!("SUMMARY:{}", "é".repeat(60)), &mut out);
        let lines: Vec<&str> = out.trim_end().split("\r\n").collect();
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| l.len() <= 75));
        let joined: String = lines
            .iter()
            .enumerate()
            .map(|(i, l)| if i == 0 { *l } else { &l[1..] })
            .collect();
        assert_eq!(joined, format!("SUMMARY:{}", "é".repeat(60)));
    }
}
