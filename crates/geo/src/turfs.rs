//! `terrain turfs`: cut a CSV of doors into turfs and order each turf's walk.
//!
//! The command-line wrapper (owned by the `terrain` binary) parses its flags into
//! [`TurfsOptions`], opens the files and calls [`run_turfs`]; this module does everything else
//! on readers and writers, so it can be run and compared outside the server.
//!
//! Input CSV (`,` `;` or tab separated, detected from the header; UTF-8, BOM tolerated):
//! `id,lon,lat` and optionally `bureau` (turfs never cross it), `doors` (doors at that stop,
//! default 1), `street` and `number` (to walk one side of a street, then the other).
//! Output CSV: `id,turf,order`, grouped by turf in walking order; `turf` is
//! `<bureau>-<n>` when bureaux are given, else `<n>`; `order` starts at 1.
//! Rows without usable coordinates, with a bad door count or a repeated id are skipped and
//! reported, never fatal.

use std::collections::HashMap;
use std::io::{Read, Write};

use serde::{Deserialize, Serialize};

use crate::cut::{CutMethod, CutParams, CutStop, cut};
use crate::network::{GraphReport, OsmReport, RoutingGraph, Snap, read_osm_pbf};
use crate::proj::{LocalProjection, valid_lon_lat};
use crate::quality::{CutLayout, CutQuality, cut_quality};
use crate::route::{DistanceMatrix, RouteKind, RouteParams, WalkParams, solve, walk_legs};

/// Options of `terrain turfs` (flags in brackets).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TurfsOptions {
    /// Target doors per turf [`--size`].
    pub size: u32,
    /// Cutting method [`--method balanced|bisection|hilbert`].
    pub method: CutMethod,
    /// Independent starts of the balanced cut, best kept (more: slightly more compact, slower)
    /// [`--starts`].
    pub starts: u32,
    /// Closed loops instead of open walks [`--closed`].
    pub closed: bool,
    /// Keep stops of the same street segment together (with a network) [`--split-streets` turns it off].
    pub keep_streets_together: bool,
    /// Stops farther than this from any walkable way are not tied to a street segment [`--max-snap`].
    pub max_snap_m: f64,
    /// Extra cost, metres, for crossing between the two sides of a street [`--crossing`].
    pub crossing_penalty_m: f64,
    /// Route search effort: improvement kicks per stop [`--effort`].
    pub kicks_per_stop: u32,
    /// Seed of the route search [`--seed`].
    pub seed: u64,
    /// Walking and door times for the session estimate [`--speed`, `--door-seconds`,
    /// `--talk-seconds`, `--open-rate`, `--detour`].
    pub walk: WalkParams,
    /// Threads used to order the turfs (results do not depend on it) [`--threads`].
    pub threads: usize,
    /// Include one entry per turf in the report [`--json` prints it].
    pub per_turf: bool,
}

impl Default for TurfsOptions {
    fn default() -> Self {
        Self {
            size: 80,
            method: CutMethod::Balanced,
            starts: 4,
            closed: false,
            keep_streets_together: true,
            max_snap_m: 150.0,
            crossing_penalty_m: 15.0,
            kicks_per_stop: 2,
            seed: 1,
            walk: WalkParams::default(),
            threads: 1,
            per_turf: true,
        }
    }
}

/// A failure of the whole command (bad rows are reported, not failures).
#[derive(Debug, thiserror::Error)]
pub enum TurfsError {
    #[error("doors file: {0}")]
    Csv(String),
    #[error(
        "doors file: missing column `{0}` (needed: id, lon, lat; optional: bureau, doors, street, number)"
    )]
    MissingColumn(&'static str),
    #[error("doors file: no usable row ({rejected} rejected)")]
    NoStops { rejected: usize },
    #[error("network file: {0}")]
    Network(#[from] crate::network::NetworkError),
    #[error(transparent)]
    Cut(#[from] crate::cut::CutError),
    #[error("writing the output: {0}")]
    Write(String),
}

/// A skipped input row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rejected {
    /// Line in the file (the header is line 1).
    pub line: u64,
    pub id: String,
    pub reason: String,
}

/// What was read.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InputReport {
    pub rows: u64,
    pub stops: usize,
    pub doors: u64,
    pub bureaux: usize,
    /// Stops sharing a position with an earlier stop (kept).
    pub duplicate_positions: usize,
    pub rejected_count: usize,
    /// The first 100 rejected rows.
    pub rejected: Vec<Rejected>,
}

/// The street network, when one was given.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetworkSummary {
    pub osm: OsmReport,
    pub graph: GraphReport,
    /// Stops farther than `max_snap_m` from any walkable way.
    pub stops_far_from_streets: usize,
    /// Pairs of stops of a turf with no walking path between them (straight line used).
    pub disconnected_pairs: u64,
}

/// Route totals.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoutesSummary {
    /// Lengths are walking distances on the network (true) or straight lines (false).
    pub on_network: bool,
    pub closed: bool,
    pub total_length_m: f64,
    pub metres_per_door: f64,
    pub session_minutes_mean: f64,
    pub session_minutes_max: f64,
}

/// One turf.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TurfReport {
    pub turf: String,
    pub bureau: Option<String>,
    pub stops: u32,
    pub doors: u64,
    pub length_m: f64,
    pub session_minutes: f64,
    /// Runs of consecutive stops on the same street side.
    pub street_runs: usize,
}

/// What `--json` prints.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TurfsReport {
    pub options: TurfsOptions,
    pub input: InputReport,
    pub network: Option<NetworkSummary>,
    pub quality: CutQuality,
    pub routes: RoutesSummary,
    pub turfs: Vec<TurfReport>,
}

/// One accepted input row.
#[derive(Clone, Debug, PartialEq)]
pub struct DoorRow {
    pub id: String,
    pub lon: f64,
    pub lat: f64,
    pub bureau: Option<String>,
    pub doors: u32,
    pub street: Option<String>,
    pub number: Option<String>,
}

fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    t.parse::<f64>()
        .ok()
        .or_else(|| t.replace(',', ".").parse::<f64>().ok())
        .filter(|v| v.is_finite())
}

/// Reads the doors CSV. Bad rows are rejected with a reason; a missing column or an unreadable
/// file is an error.
pub fn read_doors<R: Read>(reader: R) -> Result<(Vec<DoorRow>, InputReport), TurfsError> {
    let mut buf = std::io::BufReader::new(reader);
    let mut head = Vec::new();
    // Sniff the delimiter from the header line.
    std::io::BufRead::read_until(&mut buf, b'\n', &mut head)
        .map_err(|e| TurfsError::Csv(e.to_string()))?;
    let header_text = String::from_utf8_lossy(&head);
    let delimiter = [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|d| header_text.bytes().filter(|b| b == d).count())
        .unwrap_or(b',');
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(std::io::Read::chain(&head[..], buf));
    let headers = rdr
        .headers()
        .map_err(|e| TurfsError::Csv(e.to_string()))?
        .clone();
    let col = |names: &[&str]| {
        headers.iter().position(|h| {
            let h = h.trim().trim_start_matches('\u{feff}').to_lowercase();
            names.contains(&h.as_str())
        })
    };
    let id_col = col(&["id"]).ok_or(TurfsError::MissingColumn("id"))?;
    let lon_col = col(&["lon", "longitude", "lng"]).ok_or(TurfsError::MissingColumn("lon"))?;
    let lat_col = col(&["lat", "latitude"]).ok_or(TurfsError::MissingColumn("lat"))?;
    let bureau_col = col(&["bureau", "bureau_id", "id_bv"]);
    let doors_col = col(&["doors", "portes"]);
    let street_col = col(&["street", "nom_voie"]);
    let number_col = col(&["number", "numero"]);

    let mut rows = Vec::new();
    let mut report = InputReport::default();
    let mut seen_ids: std::collections::HashSet<String> = Default::default();
    let mut seen_pos: std::collections::HashSet<(u64, u64)> = Default::default();
    let reject = |report: &mut InputReport, line: u64, id: &str, reason: String| {
        report.rejected_count += 1;
        if report.rejected.len() < 100 {
            report.rejected.push(Rejected {
                line,
                id: id.to_string(),
                reason,
            });
        }
    };
    for (k, rec) in rdr.records().enumerate() {
        let line = k as u64 + 2;
        report.rows += 1;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                reject(&mut report, line, "", format!("unreadable row: {e}"));
                continue;
            }
        };
        let field = |c: Option<usize>| {
            c.and_then(|c| rec.get(c))
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let Some(id) = field(Some(id_col)) else {
            reject(&mut report, line, "", "empty id".into());
            continue;
        };
        let (lon, lat) = match (
            field(Some(lon_col)).and_then(parse_number),
            field(Some(lat_col)).and_then(parse_number),
        ) {
            (Some(lon), Some(lat)) if valid_lon_lat(lon, lat) => (lon, lat),
            (Some(_), Some(_)) => {
                reject(&mut report, line, id, "coordinates out of range".into());
                continue;
            }
            _ => {
                reject(&mut report, line, id, "no coordinates".into());
                continue;
            }
        };
        let doors = match field(doors_col) {
            None => 1,
            Some(s) => match s.parse::<u32>() {
                Ok(d) => d,
                Err(_) => {
                    reject(
                        &mut report,
                        line,
                        id,
                        format!("doors `{s}` is not a whole number ≥ 0"),
                    );
                    continue;
                }
            },
        };
        if !seen_ids.insert(id.to_string()) {
            reject(&mut report, line, id, "duplicate id".into());
            continue;
        }
        if !seen_pos.insert((lon.to_bits(), lat.to_bits())) {
            report.duplicate_positions += 1;
        }
        report.doors += u64::from(doors);
        rows.push(DoorRow {
            id: id.to_string(),
            lon,
            lat,
            bureau: field(bureau_col).map(str::to_string),
            doors,
            street: field(street_col).map(str::to_string),
            number: field(number_col).map(str::to_string),
        });
    }
    report.stops = rows.len();
    Ok((rows, report))
}

/// Parity of a house number (`12`, `12bis`, `3 B`): the side of the street in France.
fn parity(number: &str) -> Option<u8> {
    let digits: String = number
        .trim()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse::<u64>().ok().map(|n| (n % 2) as u8)
}

/// Runs the command: reads doors (and optionally an OSM PBF network), cuts, orders, writes
/// `id,turf,order` and returns the report.
pub fn run_turfs<R: Read, N: Read + Send, W: Write>(
    options: &TurfsOptions,
    doors: R,
    network: Option<N>,
    out: W,
) -> Result<TurfsReport, TurfsError> {
    let (rows, mut input) = read_doors(doors)?;
    if rows.is_empty() {
        return Err(TurfsError::NoStops {
            rejected: input.rejected_count,
        });
    }
    let proj = LocalProjection::centred_on(rows.iter().map(|r| (r.lon, r.lat)))
        .unwrap_or_else(|| LocalProjection::new(0.0, 0.0));
    let pos: Vec<[f64; 2]> = rows.iter().map(|r| proj.project(r.lon, r.lat)).collect();
    let doors: Vec<u32> = rows.iter().map(|r| r.doors).collect();

    // Bureaux, densely numbered in order of first appearance.
    let mut bureau_ids: HashMap<&str, u32> = HashMap::new();
    let mut bureau_names: Vec<Option<String>> = Vec::new();
    let bureau_of: Vec<u32> = rows
        .iter()
        .map(|r| {
            let key = r.bureau.as_deref().unwrap_or("");
            *bureau_ids.entry(key).or_insert_with(|| {
                bureau_names.push(r.bureau.clone());
                (bureau_names.len() - 1) as u32
            })
        })
        .collect();
    input.bureaux = bureau_names.iter().filter(|b| b.is_some()).count();

    // Street network.
    let mut graph = None;
    let mut network_summary = None;
    let mut snaps: Vec<Option<Snap>> = vec![None; rows.len()];
    if let Some(reader) = network {
        let data = read_osm_pbf(reader)?;
        let g = RoutingGraph::new(&data.network, &proj);
        let mut far = 0;
        for (i, p) in pos.iter().enumerate() {
            snaps[i] = g.snap(*p);
            if snaps[i].is_none_or(|s| s.offset > options.max_snap_m) {
                far += 1;
            }
        }
        network_summary = Some(NetworkSummary {
            osm: data.report,
            graph: g.report().clone(),
            stops_far_from_streets: far,
            disconnected_pairs: 0,
        });
        graph = Some(g);
    }
    let segment_of: Vec<Option<u32>> = snaps
        .iter()
        .map(|s| {
            s.filter(|s| s.offset <= options.max_snap_m)
                .map(|s| s.segment)
        })
        .collect();

    let stops: Vec<CutStop> = (0..rows.len())
        .map(|i| CutStop {
            pos: pos[i],
            doors: doors[i],
            bureau: bureau_of[i],
            street: if options.keep_streets_together {
                segment_of[i]
            } else {
                None
            },
        })
        .collect();
    let params = CutParams {
        target_doors: options.size,
        method: options.method,
        starts: options.starts,
        ..CutParams::default()
    };
    let the_cut = cut(&stops, &params)?;
    let quality = cut_quality(&CutLayout {
        pos: &pos,
        doors: &doors,
        turf_of: &the_cut.turf_of,
        turfs: the_cut.turfs.len(),
        bureau_of: Some(&bureau_of),
        segment_of: graph.as_ref().map(|_| segment_of.as_slice()),
    });

    // Street-side keys for grouping: (street key, side).
    let mut street_names: HashMap<String, u32> = HashMap::new();
    let side_key: Vec<Option<(u32, u8)>> = (0..rows.len())
        .map(|i| {
            if let (Some(st), Some(num)) = (&rows[i].street, &rows[i].number) {
                let n = street_names.len() as u32;
                let s = *street_names.entry(st.to_lowercase()).or_insert(n);
                return parity(num).map(|p| (s, p));
            }
            graph.as_ref()?;
            let snap = snaps[i].filter(|s| s.offset <= options.max_snap_m)?;
            Some((u32::MAX - snap.segment, snap.side))
        })
        .collect();

    // Members of each turf.
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); the_cut.turfs.len()];
    for (i, &t) in the_cut.turf_of.iter().enumerate() {
        members[t as usize].push(i);
    }
    let route_params = RouteParams {
        kind: if options.closed {
            RouteKind::Closed
        } else {
            RouteKind::Open
        },
        kicks_per_stop: options.kicks_per_stop,
        seed: options.seed,
    };
    let order_turf = |t: usize| -> (Vec<usize>, f64, u64, usize) {
        let m = &members[t];
        let pts: Vec<[f64; 2]> = m.iter().map(|&i| pos[i]).collect();
        let (mut matrix, disconnected) = match &graph {
            Some(g) => {
                let turf_snaps: Option<Vec<Snap>> = m.iter().map(|&i| snaps[i]).collect();
                match turf_snaps {
                    Some(s) => {
                        let (mx, st) = g.distance_matrix(&s, &pts);
                        (mx, st.disconnected_pairs)
                    }
                    None => (DistanceMatrix::euclidean(&pts), 0),
                }
            }
            None => (DistanceMatrix::euclidean(&pts), 0),
        };
        let true_matrix = if options.crossing_penalty_m > 0.0 {
            Some(matrix.clone())
        } else {
            None
        };
        if options.crossing_penalty_m > 0.0 {
            let keys: Vec<Option<(u32, u8)>> = m.iter().map(|&i| side_key[i]).collect();
            matrix.add_penalty(options.crossing_penalty_m, |a, b| {
                match (keys[a], keys[b]) {
                    (Some((sa, pa)), Some((sb, pb))) => sa == sb && pa != pb,
                    _ => false,
                }
            });
        }
        let params = RouteParams {
            seed: route_params.seed ^ (t as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            ..route_params
        };
        let route = solve(&matrix, &params).unwrap_or_else(|_| crate::route::Route {
            order: (0..m.len()).collect(),
            length: 0.0,
            closed: options.closed,
        });
        let length = match &true_matrix {
            Some(tm) => tm.route_length(&route.order, route.closed),
            None => route.length,
        };
        let keys: Vec<Option<(u32, u8)>> = route.order.iter().map(|&k| side_key[m[k]]).collect();
        let runs = walk_legs(&keys).len();
        (route.order, length, disconnected, runs)
    };
    let threads = options.threads.clamp(1, 64);
    let results: Vec<(Vec<usize>, f64, u64, usize)> = if threads == 1 || members.len() < 2 {
        (0..members.len()).map(order_turf).collect()
    } else {
        let chunk = members.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..members.len())
                .step_by(chunk)
                .map(|from| {
                    let order_turf = &order_turf;
                    let to = (from + chunk).min(members.len());
                    scope.spawn(move || (from..to).map(order_turf).collect::<Vec<_>>())
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_default())
                .collect()
        })
    };

    // Turf labels.
    let mut number_in_bureau = vec![0u32; bureau_names.len()];
    let labels: Vec<String> = the_cut
        .turfs
        .iter()
        .map(|t| {
            number_in_bureau[t.bureau as usize] += 1;
            let n = number_in_bureau[t.bureau as usize];
            match &bureau_names[t.bureau as usize] {
                Some(b) => format!("{b}-{n}"),
                None => n.to_string(),
            }
        })
        .collect();

    let mut w = csv::Writer::from_writer(out);
    w.write_record(["id", "turf", "order"])
        .map_err(|e| TurfsError::Write(e.to_string()))?;
    let on_network = graph.is_some();
    let mut turf_reports = Vec::with_capacity(members.len());
    let mut total_len = 0.0;
    let mut disconnected = 0;
    for (t, (order, length, disc, runs)) in results.iter().enumerate() {
        for (k, &local) in order.iter().enumerate() {
            let i = members[t][local];
            w.write_record([
                rows[i].id.as_str(),
                labels[t].as_str(),
                &(k + 1).to_string(),
            ])
            .map_err(|e| TurfsError::Write(e.to_string()))?;
        }
        total_len += length;
        disconnected += disc;
        let turf = &the_cut.turfs[t];
        turf_reports.push(TurfReport {
            turf: labels[t].clone(),
            bureau: bureau_names[turf.bureau as usize].clone(),
            stops: turf.stops,
            doors: turf.doors,
            length_m: *length,
            session_minutes: options
                .walk
                .session_seconds(*length, turf.doors, on_network)
                / 60.0,
            street_runs: *runs,
        });
    }
    w.flush().map_err(|e| TurfsError::Write(e.to_string()))?;
    if let Some(ns) = &mut network_summary {
        ns.disconnected_pairs = disconnected;
    }
    let minutes: Vec<f64> = turf_reports.iter().map(|t| t.session_minutes).collect();
    let routes = RoutesSummary {
        on_network,
        closed: options.closed,
        total_length_m: total_len,
        metres_per_door: if input.doors > 0 {
            total_len / input.doors as f64
        } else {
            0.0
        },
        session_minutes_mean: if minutes.is_empty() {
            0.0
        } else {
            minutes.iter().sum::<f64>() / minutes.len() as f64
        },
        session_minutes_max: minutes.iter().copied().fold(0.0, f64::max),
    };
    Ok(TurfsReport {
        options: options.clone(),
        input,
        network: network_summary,
        quality,
        routes,
        turfs: if options.per_turf {
            turf_reports
        } else {
            Vec::new()
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(csv: &str, options: &TurfsOptions) -> (TurfsReport, Vec<(String, String, usize)>) {
        let mut out = Vec::new();
        let report = run_turfs(options, csv.as_bytes(), None::<&[u8]>, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let mut rdr = csv::Reader::from_reader(text.as_bytes());
        let rows = rdr
            .records()
            .map(|r| {
                let r = r.unwrap();
                (r[0].to_string(), r[1].to_string(), r[2].parse().unwrap())
            })
            .collect();
        (report, rows)
    }

    fn grid_csv(n: usize, bureaux: usize) -> String {
        let mut s = String::from("id,lon,lat,bureau,doors\n");
        for i in 0..n {
            let lon = 2.35 + (i % 40) as f64 * 0.0002;
            let lat = 48.85 + (i / 40) as f64 * 0.00015;
            s.push_str(&format!(
                "a{i},{lon},{lat},B{},{}\n",
                (i % 40) * bureaux / 40,
                1 + i % 3
            ));
        }
        s
    }

    #[test]
    fn every_stop_gets_one_turf_and_one_place_in_its_walk() {
        let (report, rows) = run(&grid_csv(1200, 3), &TurfsOptions::default());
        assert_eq!(rows.len(), 1200);
        let mut by_turf: HashMap<String, Vec<usize>> = HashMap::new();
        for (_, t, o) in &rows {
            by_turf.entry(t.clone()).or_default().push(*o);
        }
        for (t, mut orders) in by_turf {
            orders.sort_unstable();
            assert_eq!(orders, (1..=orders.len()).collect::<Vec<_>>(), "turf {t}");
            assert!(t.starts_with('B'));
        }
        assert_eq!(report.input.doors, 2400);
        assert_eq!(report.input.bureaux, 3);
        assert_eq!(report.quality.doors, 2400);
        assert!(report.routes.total_length_m > 0.0);
        assert!(!report.routes.on_network);
        assert_eq!(report.turfs.len(), report.quality.turfs);
        assert!(report.quality.hull_overlap < 1.01);
    }

    #[test]
    fn bad_rows_are_reported_not_fatal() {
        let csv = "id;lon;lat;doors\n\
                   a;2,35;48,85;3\n\
                   b;;48.85;1\n\
                   c;2.35;95;1\n\
                   a;2.36;48.85;1\n\
                   d;2.35;48.85;-2\n\
                   ;2.35;48.85;1\n\
                   e;2.35;48.85;\n\
                   f;2.3501;48.8501;0\n";
        let (report, rows) = run(csv, &TurfsOptions::default());
        let ids: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
        assert_eq!(ids.len(), 3);
        assert!(ids.contains(&"a") && ids.contains(&"e") && ids.contains(&"f"));
        assert_eq!(report.input.rejected_count, 5);
        assert_eq!(report.input.duplicate_positions, 1);
        let reasons: Vec<&str> = report
            .input
            .rejected
            .iter()
            .map(|r| r.reason.as_str())
            .collect();
        assert!(reasons.contains(&"no coordinates"));
        assert!(reasons.contains(&"duplicate id"));
        assert_eq!(report.input.rejected[0].line, 3);
        // One turf, unnumbered bureau.
        assert!(rows.iter().all(|r| r.1 == "1"));
    }

    #[test]
    fn errors_on_missing_columns_and_empty_input() {
        let mut out = Vec::new();
        let e = run_turfs(
            &TurfsOptions::default(),
            "id,x,y\n1,2,3\n".as_bytes(),
            None::<&[u8]>,
            &mut out,
        );
        assert!(matches!(e, Err(TurfsError::MissingColumn("lon"))));
        let e = run_turfs(
            &TurfsOptions::default(),
            "id,lon,lat\n".as_bytes(),
            None::<&[u8]>,
            &mut out,
        );
        assert!(matches!(e, Err(TurfsError::NoStops { rejected: 0 })));
        let e = run_turfs(
            &TurfsOptions::default(),
            "id,lon,lat\n1,2,48\n".as_bytes(),
            Some(&b"garbage"[..]),
            &mut out,
        );
        assert!(matches!(e, Err(TurfsError::Network(_))));
    }

    #[test]
    fn results_do_not_depend_on_threads() {
        let csv = grid_csv(900, 2);
        let (a, ra) = run(&csv, &TurfsOptions::default());
        let (b, rb) = run(
            &csv,
            &TurfsOptions {
                threads: 3,
                ..TurfsOptions::default()
            },
        );
        assert_eq!(ra, rb);
        assert_eq!(a.routes, b.routes);
    }

    #[test]
    fn sides_of_a_street_are_walked_in_runs() {
        // One street, 30 numbers on each side 12 m apart across, 8 m between neighbours.
        let proj = LocalProjection::new(2.35, 48.85);
        let mut s = String::from("id,lon,lat,street,number\n");
        for i in 0..60u32 {
            let side = i % 2;
            let x = f64::from(i / 2) * 8.0;
            let y = if side == 0 { 6.0 } else { -6.0 };
            let (lon, lat) = proj.unproject([x, y]);
            s.push_str(&format!("n{i},{lon},{lat},Rue X,{}\n", i + 1));
        }
        let (report, _) = run(
            &s,
            &TurfsOptions {
                size: 60,
                ..TurfsOptions::default()
            },
        );
        assert_eq!(report.turfs.len(), 1);
        // Down one side and back the other: two runs.
        assert_eq!(report.turfs[0].street_runs, 2);
        let (zigzag, _) = run(
            &s,
            &TurfsOptions {
                size: 60,
                crossing_penalty_m: 0.0,
                ..TurfsOptions::default()
            },
        );
        assert!(zigzag.turfs[0].length_m <= report.turfs[0].length_m + 1e-6);
    }

    #[test]
    fn parity_of_house_numbers() {
        assert_eq!(parity("12"), Some(0));
        assert_eq!(parity("13bis"), Some(1));
        assert_eq!(parity("3 B"), Some(1));
        assert_eq!(parity("bis"), None);
    }

    #[test]
    fn monaco_buildings_on_the_street_network() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/osm-monaco"
        );
        let path = format!("{dir}/monaco.osm.pbf");
        let Ok(bytes) = std::fs::read(&path) else {
            eprintln!("SKIPPED monaco_buildings_on_the_street_network: {path} is absent");
            return;
        };
        let data = read_osm_pbf(&bytes[..]).unwrap();
        // The first 1,500 buildings (by id), one door each.
        let mut csv = String::from("id,lon,lat\n");
        for b in data.buildings.iter().take(1500) {
            csv.push_str(&format!("{},{},{}\n", b.osm_id, b.lon, b.lat));
        }
        let options = TurfsOptions {
            kicks_per_stop: 2,
            ..TurfsOptions::default()
        };
        let mut out = Vec::new();
        let on_net = run_turfs(&options, csv.as_bytes(), Some(&bytes[..]), &mut out).unwrap();
        let (straight, _) = run(&csv, &options);
        assert!(on_net.routes.on_network);
        let streets = on_net.quality.streets.clone().unwrap();
        assert!(streets.segments > 0);
        // Walking is longer than flying.
        assert!(on_net.routes.total_length_m > straight.routes.total_length_m);
        assert_eq!(on_net.quality.doors, 1500);
    }
}
