//! Data-quality checks on field work (issue 7): patterns a coordinator should look at — doors
//! logged faster than one can walk between them, a turf where nobody was ever home, phones far
//! from the doors they log, the same open answer typed for several respondents. They are flags
//! to look at, never verdicts: a building's intercom, a GPS in a courtyard or a common answer
//! ("le chômage") all explain some of them.
//!
//! Pure functions over what the store returns; the thresholds are in [`QualityOptions`].

use std::collections::{BTreeMap, HashMap};
use terrain_model::{Answer, Outcome, UserId};
use terrain_store::{StoredResponse, VisitTrace};
use time::Date;
use uuid::Uuid;

/// The thresholds of the checks.
#[derive(Clone, Debug, PartialEq)]
pub struct QualityOptions {
    /// Faster than this between two doors (straight line) is not walking: 3 m/s ≈ 11 km/h.
    pub max_speed_m_s: f64,
    /// Legs shorter than this are ignored (neighbouring entrances, GPS noise).
    pub min_leg_m: f64,
    /// Fast legs in one walker's day before the day is flagged.
    pub fast_legs: u32,
    /// Visits of a turf (or of a walker's day in a bureau) before "nobody home" is flagged.
    pub not_home_visits: u32,
    /// A phone farther than this from the door it logs is "far".
    pub far_m: f64,
    /// Far visits in one walker's day before the day is flagged.
    pub far_visits: u32,
    /// Open answers shorter than this (in characters) are never "copied": short answers repeat.
    pub copied_chars: usize,
    /// Respondents of one bureau giving the same long answer before it is flagged.
    pub copied_times: u32,
}

impl Default for QualityOptions {
    fn default() -> Self {
        Self {
            max_speed_m_s: 3.0,
            min_leg_m: 60.0,
            fast_legs: 3,
            not_home_visits: 20,
            far_m: 300.0,
            far_visits: 3,
            copied_chars: 25,
            copied_times: 3,
        }
    }
}

/// What a flag is about.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum FlagKind {
    /// Doors logged faster than one can walk between them (`value`: the fastest leg, km/h).
    TooFast,
    /// Every visit "not home" (`value`: 1.0).
    AllNotHome,
    /// The phone far from the doors logged (`value`: the largest distance, metres).
    FarFromDoor,
    /// The same long open answer for several respondents of a bureau (`value`: its length).
    CopiedAnswers,
}

/// One pattern to look at.
#[derive(Clone, Debug, PartialEq)]
pub struct Flag {
    pub kind: FlagKind,
    /// The walker, for the checks on visits (never for answers: responses are not tied to
    /// walkers).
    pub walker: Option<UserId>,
    pub bureau: Option<Uuid>,
    pub turf: Option<Uuid>,
    pub day: Option<Date>,
    /// How many visits, legs or respondents show the pattern…
    pub count: u32,
    /// …out of how many looked at.
    pub out_of: u32,
    pub value: f64,
    /// For copied answers: the question's key.
    pub question: Option<String>,
}

/// Great-circle distance in metres between two `[lon, lat]` points.
pub fn metres(a: [f64; 2], b: [f64; 2]) -> f64 {
    const R: f64 = 6_371_008.8;
    let (la1, la2) = (a[1].to_radians(), b[1].to_radians());
    let dla = la2 - la1;
    let dlo = (b[0] - a[0]).to_radians();
    let h = (dla / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlo / 2.0).sin().powi(2);
    2.0 * R * h.sqrt().min(1.0).asin()
}

/// The checks on visits. `traces` must be sorted by walker, then time (as the store returns
/// them).
pub fn visit_flags(traces: &[VisitTrace], o: &QualityOptions) -> Vec<Flag> {
    let mut flags = Vec::new();
    // Fast legs and far visits, per walker and day.
    #[derive(Default)]
    struct Day {
        legs: u32,
        fast: u32,
        fastest: f64,
        located: u32,
        far: u32,
        farthest: f64,
        bureau: BTreeMap<Uuid, u32>,
    }
    let mut days: BTreeMap<(Uuid, Date), Day> = BTreeMap::new();
    for (i, v) in traces.iter().enumerate() {
        let day = days.entry((v.user_id.0, v.at.date())).or_default();
        if let Some(b) = v.bureau_id {
            *day.bureau.entry(b).or_default() += 1;
        }
        if let Some(p) = v.position {
            day.located += 1;
            let d = metres(p, v.address);
            if d > o.far_m {
                day.far += 1;
                day.farthest = day.farthest.max(d);
            }
        }
        let Some(prev) = i.checked_sub(1).map(|j| &traces[j]) else {
            continue;
        };
        if prev.user_id != v.user_id
            || prev.at.date() != v.at.date()
            || prev.building_id == v.building_id
        {
            continue;
        }
        day.legs += 1;
        let d = metres(prev.address, v.address);
        let dt = (v.at - prev.at).as_seconds_f64().max(1.0);
        if d >= o.min_leg_m && d / dt > o.max_speed_m_s {
            day.fast += 1;
            day.fastest = day.fastest.max(d / dt * 3.6);
        }
    }
    for ((user, date), d) in &days {
        let bureau = d.bureau.iter().max_by_key(|(_, n)| **n).map(|(b, _)| *b);
        let base = |kind, count, out_of, value| Flag {
            kind,
            walker: Some(UserId(*user)),
            bureau,
            turf: None,
            day: Some(*date),
            count,
            out_of,
            value,
            question: None,
        };
        if d.fast >= o.fast_legs {
            flags.push(base(FlagKind::TooFast, d.fast, d.legs, d.fastest));
        }
        if d.far >= o.far_visits {
            flags.push(base(FlagKind::FarFromDoor, d.far, d.located, d.farthest));
        }
    }
    // Nobody ever home: per turf, or per walker, day and bureau outside turfs.
    // (turf, or walker × day × bureau outside turfs) → (visits, not home).
    type Group = (Option<Uuid>, Option<(Uuid, Date, Option<Uuid>)>);
    let mut groups: BTreeMap<Group, (u32, u32)> = BTreeMap::new();
    let mut where_: HashMap<Option<Uuid>, Option<Uuid>> = HashMap::new();
    for v in traces {
        let key = match v.turf_id {
            Some(t) => (Some(t), None),
            None => (None, Some((v.user_id.0, v.at.date(), v.bureau_id))),
        };
        if v.turf_id.is_some() {
            where_.insert(v.turf_id, v.bureau_id);
        }
        let g = groups.entry(key).or_default();
        g.0 += 1;
        if v.outcome == Outcome::NotHome {
            g.1 += 1;
        }
    }
    for ((turf, who), (n, not_home)) in groups {
        if n >= o.not_home_visits && not_home == n {
            flags.push(Flag {
                kind: FlagKind::AllNotHome,
                walker: who.map(|w| UserId(w.0)),
                bureau: match who {
                    Some(w) => w.2,
                    None => where_.get(&turf).copied().flatten(),
                },
                turf,
                day: who.map(|w| w.1),
                count: not_home,
                out_of: n,
                value: 1.0,
                question: None,
            });
        }
    }
    flags
}

/// How an open answer is compared: trimmed, lower-cased, blanks collapsed.
fn fingerprint(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The check on answers: the same long open answer for several respondents of one bureau.
pub fn answer_flags(responses: &[StoredResponse], o: &QualityOptions) -> Vec<Flag> {
    let mut seen: BTreeMap<(Option<Uuid>, &str, String), (u32, usize)> = BTreeMap::new();
    let mut per_bureau: HashMap<Option<Uuid>, u32> = HashMap::new();
    for r in responses {
        *per_bureau.entry(r.bureau_id).or_default() += 1;
        for (key, a) in &r.answers {
            let Answer::Text(t) = a else { continue };
            let f = fingerprint(t);
            if f.chars().count() < o.copied_chars {
                continue;
            }
            let len = f.chars().count();
            let e = seen
                .entry((r.bureau_id, key.as_str(), f))
                .or_insert((0, len));
            e.0 += 1;
        }
    }
    seen.into_iter()
        .filter(|(_, (n, _))| *n >= o.copied_times)
        .map(|((bureau, key, _), (n, len))| Flag {
            kind: FlagKind::CopiedAnswers,
            walker: None,
            bureau,
            turf: None,
            day: None,
            count: n,
            out_of: per_bureau.get(&bureau).copied().unwrap_or(n),
            value: len as f64,
            question: Some(key.to_string()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use terrain_model::BuildingId;
    use time::macros::datetime;

    fn v(user: u128, secs: i64, building: u128, lon: f64, outcome: Outcome) -> VisitTrace {
        VisitTrace {
            user_id: UserId(Uuid::from_u128(user)),
            at: datetime!(2026-11-20 10:00 UTC) + time::Duration::seconds(secs),
            building_id: BuildingId(Uuid::from_u128(building)),
            address: [lon, 48.89],
            outcome,
            turf_id: None,
            bureau_id: Some(Uuid::from_u128(99)),
            position: None,
        }
    }

    #[test]
    fn distances_are_great_circle_metres() {
        // 0.001° of longitude at 48.89° N ≈ 73 m.
        let d = metres([2.35, 48.89], [2.351, 48.89]);
        assert!((d - 73.2).abs() < 0.5, "{d}");
        assert_eq!(metres([2.35, 48.89], [2.35, 48.89]), 0.0);
    }

    #[test]
    fn walking_pace_is_not_flagged_driving_pace_is() {
        let o = QualityOptions::default();
        // 146 m every two minutes: 1.2 m/s, a walk.
        let walk: Vec<_> = (0..6)
            .map(|i| {
                v(
                    1,
                    i * 120,
                    i as u128,
                    2.35 + 0.002 * i as f64,
                    Outcome::Refused,
                )
            })
            .collect();
        assert!(visit_flags(&walk, &o).is_empty());
        // 146 m every ten seconds: 14.6 m/s, nobody walks that.
        let fast: Vec<_> = (0..6)
            .map(|i| {
                v(
                    2,
                    i * 10,
                    i as u128,
                    2.35 + 0.002 * i as f64,
                    Outcome::Refused,
                )
            })
            .collect();
        let flags = visit_flags(&fast, &o);
        assert_eq!(flags.len(), 1);
        assert_eq!(flags[0].kind, FlagKind::TooFast);
        assert_eq!((flags[0].count, flags[0].out_of), (5, 5));
        assert!((flags[0].value - 52.7).abs() < 1.0, "{}", flags[0].value);
        assert_eq!(flags[0].walker, Some(UserId(Uuid::from_u128(2))));
        // Doors of one building logged in a burst are not legs at all.
        let burst: Vec<_> = (0..30)
            .map(|i| v(3, i, 7, 2.35, Outcome::NotHome))
            .collect();
        assert!(
            visit_flags(&burst, &o)
                .iter()
                .all(|f| f.kind != FlagKind::TooFast)
        );
    }

    #[test]
    fn a_turf_where_nobody_is_ever_home_is_flagged_once_big_enough() {
        let o = QualityOptions::default();
        let turf = Uuid::from_u128(5);
        let mut vs: Vec<_> = (0..19)
            .map(|i| {
                let mut x = v(
                    1,
                    i * 120,
                    i as u128,
                    2.35 + 0.001 * i as f64,
                    Outcome::NotHome,
                );
                x.turf_id = Some(turf);
                x
            })
            .collect();
        assert!(
            visit_flags(&vs, &o).is_empty(),
            "19 visits are too few to say"
        );
        let mut last = v(1, 19 * 120, 19, 2.369, Outcome::NotHome);
        last.turf_id = Some(turf);
        vs.push(last.clone());
        let flags = visit_flags(&vs, &o);
        assert_eq!(flags.len(), 1);
        assert_eq!(
            (flags[0].kind, flags[0].turf, flags[0].count),
            (FlagKind::AllNotHome, Some(turf), 20)
        );
        // One door opened and the turf is plausible.
        last.outcome = Outcome::Conversation;
        *vs.last_mut().unwrap() = last;
        assert!(visit_flags(&vs, &o).is_empty());
    }

    #[test]
    fn phones_far_from_their_doors_are_flagged_only_when_located() {
        let o = QualityOptions::default();
        let mut vs: Vec<_> = (0..4)
            .map(|i| {
                v(
                    1,
                    i * 300,
                    i as u128,
                    2.35 + 0.001 * i as f64,
                    Outcome::Refused,
                )
            })
            .collect();
        assert!(
            visit_flags(&vs, &o).is_empty(),
            "no position, nothing to say"
        );
        for x in &mut vs {
            x.position = Some([x.address[0], x.address[1] + 0.01]); // 1.1 km north
        }
        let flags = visit_flags(&vs, &o);
        assert_eq!(flags.len(), 1);
        assert_eq!(flags[0].kind, FlagKind::FarFromDoor);
        assert_eq!((flags[0].count, flags[0].out_of), (4, 4));
        assert!((flags[0].value - 1112.0).abs() < 5.0, "{}", flags[0].value);
    }

    #[test]
    fn the_same_long_answer_three_times_in_a_bureau_is_flagged() {
        let o = QualityOptions::default();
        let r = |bureau: u128, text: &str| StoredResponse {
            id: Uuid::new_v4(),
            version_id: Uuid::nil(),
            bureau_id: Some(Uuid::from_u128(bureau)),
            iris_id: None,
            collected_on: time::macros::date!(2026 - 11 - 20),
            profile: Default::default(),
            recontact_consent: false,
            answers: [("marche".to_string(), Answer::Text(text.into()))].into(),
        };
        let long = "Les services publics ferment les uns après les autres";
        let mut rs = vec![
            r(1, long),
            r(1, &format!("  {}  ", long.to_uppercase())),
            r(2, long),
            r(1, "le chômage"),
            r(1, "le chômage"),
            r(1, "le chômage"),
        ];
        assert!(
            answer_flags(&rs, &o).is_empty(),
            "short answers repeat; two is not a pattern"
        );
        rs.push(r(1, &long.replace(' ', "   ")));
        let flags = answer_flags(&rs, &o);
        assert_eq!(flags.len(), 1);
        assert_eq!(flags[0].bureau, Some(Uuid::from_u128(1)));
        assert_eq!((flags[0].count, flags[0].out_of), (3, 6));
        assert_eq!(flags[0].question.as_deref(), Some("marche"));
        assert_eq!(flags[0].walker, None);
    }
}
