//! Turfs computed: a bureau's stops read from the store, cut, edited and ordered by
//! `terrain-geo`, and written back as a new version of the bureau's turfs. Used by the turfs
//! API and by `terrain demo`.
//!
//! A first cut partitions the bureau's doors; a later cut of the same bureau is a re-cut: the
//! turfs handed out or done are left alone, every visited stop stays in its turf, the rest is
//! cut again (new addresses included, door counts refreshed). Edits (move, split, merge, redraw)
//! change only the turfs they touch; those are ordered again. Every turf written gets its walk
//! (on the campaign's street network when one was imported, straight lines otherwise), its
//! length and session estimate, its hull and Polsby–Popper; the bureau's quality measures are
//! stored with the version.

use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use terrain_geo::cut::{CutMethod, CutParams, CutStop, cut};
use terrain_geo::edit::{EditError, PlanTurf, TurfPlan};
use terrain_geo::geom::{convex_hull, polsby_popper, ring_area};
use terrain_geo::network::{RoutingGraph, Snap, StreetNetwork};
use terrain_geo::proj::LocalProjection;
use terrain_geo::quality::{CutLayout, CutQuality, cut_quality};
use terrain_geo::route::{DistanceMatrix, RouteKind, RouteParams, WalkParams, solve};
use terrain_model::{AddressId, CampaignId, Territory, TerritoryId, TurfId};
use terrain_store::{
    Audit, BureauTurfs, PlanChange, PlanKind, PlanVersion, StopCandidate, StorageError, Store,
    Turf, TurfWrite,
};
use time::OffsetDateTime;
use utoipa::ToSchema;

/// Stops farther than this from a walkable way are walked to in a straight line.
const MAX_SNAP_M: f64 = 150.0;
/// Extra cost, metres, of crossing a street between its two sides.
const CROSSING_PENALTY_M: f64 = 15.0;
/// Margin around a bureau's stops when clipping the street network (≈ 550 m).
const NETWORK_MARGIN_DEG: f64 = 0.005;

/// How to cut and walk (stored with every version).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct CutOptions {
    /// Doors per turf: ≈ 80 for a 3-hour pair shift, 40–50 for a 2-hour solo shift.
    pub target_doors: u32,
    /// `balanced` (compact, the default) or `bisection`.
    #[schema(value_type = String)]
    pub method: CutMethod,
    /// Closed loops (back to the start) instead of open walks.
    pub closed: bool,
    /// Keep both sides of a street segment in the same turf (with a street network).
    pub keep_streets_together: bool,
    /// Walking speed, metres per second.
    pub speed_m_s: f64,
    /// Time at each door, seconds.
    pub seconds_per_door: f64,
    /// Length of a conversation, seconds.
    pub conversation_seconds: f64,
    /// Share of doors that open.
    pub open_rate: f64,
}

impl Default for CutOptions {
    fn default() -> Self {
        let w = WalkParams::default();
        Self {
            target_doors: 80,
            method: CutMethod::Balanced,
            closed: false,
            keep_streets_together: true,
            speed_m_s: w.speed_m_s,
            seconds_per_door: w.seconds_per_door,
            conversation_seconds: w.conversation_seconds,
            open_rate: w.open_rate,
        }
    }
}

impl CutOptions {
    /// Checks the options, saying which one is wrong.
    pub fn check(&self) -> Result<(), TurfError> {
        let bad = |m: &str| Err(TurfError::Options(m.to_string()));
        if !(1..=2000).contains(&self.target_doors) {
            return bad("target_doors must be between 1 and 2000");
        }
        if self.method == CutMethod::Hilbert {
            return bad("method hilbert makes interpenetrating turfs: use balanced or bisection");
        }
        if !(self.speed_m_s.is_finite() && (0.2..=3.0).contains(&self.speed_m_s)) {
            return bad("speed_m_s must be between 0.2 and 3 metres per second");
        }
        if !(self.seconds_per_door.is_finite() && (0.0..=1800.0).contains(&self.seconds_per_door)) {
            return bad("seconds_per_door must be between 0 and 1800");
        }
        if !(self.conversation_seconds.is_finite()
            && (0.0..=7200.0).contains(&self.conversation_seconds))
        {
            return bad("conversation_seconds must be between 0 and 7200");
        }
        if !(self.open_rate.is_finite() && (0.0..=1.0).contains(&self.open_rate)) {
            return bad("open_rate must be between 0 and 1");
        }
        Ok(())
    }

    fn walk(&self) -> WalkParams {
        WalkParams {
            speed_m_s: self.speed_m_s,
            seconds_per_door: self.seconds_per_door,
            conversation_seconds: self.conversation_seconds,
            open_rate: self.open_rate,
            ..WalkParams::default()
        }
    }

    fn cut_params(&self) -> CutParams {
        CutParams {
            target_doors: self.target_doors,
            method: self.method,
            ..CutParams::default()
        }
    }
}

/// Why turfs could not be made or changed.
#[derive(Debug, thiserror::Error)]
pub enum TurfError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The edit is refused by the engine (locked turf, other bureau, bad parts…).
    #[error(transparent)]
    Edit(#[from] EditError),
    #[error("{0}")]
    Options(String),
    /// Nothing to cut.
    #[error("{0} has no address with doors to cut into turfs (import the BAN addresses first)")]
    NoStops(String),
    /// Something named in the request is not where it should be.
    #[error("{0}")]
    NotInPlan(String),
    #[error("the stored street network is unreadable: {0}")]
    Network(String),
    #[error("computing turfs failed: {0}")]
    Task(String),
}

/// One stop of a bureau while turfs are computed.
#[derive(Clone, Debug)]
struct Stop {
    address: AddressId,
    lon: f64,
    lat: f64,
    doors: u32,
    /// (street, parity of the number): to walk one side, then the other.
    side: Option<(String, u8)>,
    visited: bool,
}

/// A bureau's stops with its current turfs, ready for the engine.
#[derive(Clone, Debug)]
struct Bureau {
    stops: Vec<Stop>,
    /// Current turfs, in number order; plan turf `k` is `turfs[k]` for `k < turfs.len()`.
    turfs: Vec<Turf>,
    /// Turf index of each stop (`None`: a stop in no turf yet).
    turf_of: Vec<Option<u32>>,
    version: u32,
    next_number: u32,
}

fn parity(number: &str) -> Option<u8> {
    let digits: String = number
        .trim()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse::<u64>().ok().map(|n| (n % 2) as u8)
}

impl Bureau {
    /// The current turfs, and the candidates joined in when `with_new` (a cut or re-cut).
    fn load(current: BureauTurfs, candidates: &[StopCandidate], with_new: bool) -> Self {
        let by_address: HashMap<AddressId, &StopCandidate> =
            candidates.iter().map(|c| (c.address_id, c)).collect();
        let turf_index: HashMap<TurfId, u32> = current
            .turfs
            .iter()
            .enumerate()
            .map(|(k, t)| (t.id, k as u32))
            .collect();
        let mut stops = Vec::new();
        let mut turf_of = Vec::new();
        let mut seen = HashSet::new();
        let mut plan_stops = current.stops.clone();
        plan_stops.sort_by_key(|s| (turf_index.get(&s.turf_id).copied(), s.position));
        for s in plan_stops {
            let (Some(&k), Some(c)) = (turf_index.get(&s.turf_id), by_address.get(&s.address_id))
            else {
                continue;
            };
            seen.insert(s.address_id);
            // A re-cut counts the doors known now; an edit keeps those of the turfs.
            let doors = if with_new { c.doors } else { s.doors };
            stops.push(Stop {
                address: s.address_id,
                lon: c.lon,
                lat: c.lat,
                doors,
                side: c
                    .number
                    .as_deref()
                    .and_then(parity)
                    .map(|p| (c.street.to_lowercase(), p)),
                visited: s.visited,
            });
            turf_of.push(Some(k));
        }
        if with_new {
            for c in candidates {
                if c.doors == 0 || seen.contains(&c.address_id) {
                    continue;
                }
                stops.push(Stop {
                    address: c.address_id,
                    lon: c.lon,
                    lat: c.lat,
                    doors: c.doors,
                    side: c
                        .number
                        .as_deref()
                        .and_then(parity)
                        .map(|p| (c.street.to_lowercase(), p)),
                    visited: false,
                });
                turf_of.push(None);
            }
        }
        Bureau {
            stops,
            turfs: current.turfs,
            turf_of,
            version: current.version,
            next_number: current.next_number,
        }
    }
}

/// Positions, snaps and street keys of a bureau's stops.
struct Geometry {
    proj: LocalProjection,
    pos: Vec<[f64; 2]>,
    graph: Option<RoutingGraph>,
    snaps: Vec<Option<Snap>>,
}

impl Geometry {
    fn new(stops: &[Stop], network: Option<&StreetNetwork>) -> Self {
        let proj = LocalProjection::centred_on(stops.iter().map(|s| (s.lon, s.lat)))
            .unwrap_or_else(|| LocalProjection::new(2.35, 48.85));
        let pos: Vec<[f64; 2]> = stops.iter().map(|s| proj.project(s.lon, s.lat)).collect();
        let mut graph = None;
        let mut snaps = vec![None; stops.len()];
        if let Some(net) = network {
            let (mut lo, mut la, mut hi, mut ha) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
            for s in stops {
                (lo, la, hi, ha) = (lo.min(s.lon), la.min(s.lat), hi.max(s.lon), ha.max(s.lat));
            }
            let m = NETWORK_MARGIN_DEG;
            let clipped = terrain_import::osm::clip_network(net, [lo - m, la - m, hi + m, ha + m]);
            if !clipped.edges.is_empty() {
                let g = RoutingGraph::new(&clipped, &proj);
                for (i, p) in pos.iter().enumerate() {
                    snaps[i] = g.snap(*p).filter(|s| s.offset <= MAX_SNAP_M);
                }
                if snaps.iter().any(Option::is_some) {
                    graph = Some(g);
                }
            }
        }
        Self {
            proj,
            pos,
            graph,
            snaps,
        }
    }

    fn cut_stops(&self, stops: &[Stop], opts: &CutOptions) -> Vec<CutStop> {
        stops
            .iter()
            .enumerate()
            .map(|(i, s)| CutStop {
                pos: self.pos[i],
                doors: s.doors,
                bureau: 0,
                street: if opts.keep_streets_together {
                    self.snaps[i].map(|s| s.segment)
                } else {
                    None
                },
            })
            .collect()
    }

    /// The walking order of `members` (stop indices), its length and whether it follows the
    /// streets.
    fn walk(
        &self,
        stops: &[Stop],
        members: &[usize],
        opts: &CutOptions,
        seed: u64,
    ) -> (Vec<usize>, f64, bool) {
        let pts: Vec<[f64; 2]> = members.iter().map(|&i| self.pos[i]).collect();
        let snapped: Option<Vec<Snap>> = members.iter().map(|&i| self.snaps[i]).collect();
        let (matrix, on_network) = match (&self.graph, snapped) {
            (Some(g), Some(s)) => (g.distance_matrix(&s, &pts).0, true),
            _ => (DistanceMatrix::euclidean(&pts), false),
        };
        let mut penalised = matrix.clone();
        penalised.add_penalty(CROSSING_PENALTY_M, |a, b| {
            match (&stops[members[a]].side, &stops[members[b]].side) {
                (Some((sa, pa)), Some((sb, pb))) => sa == sb && pa != pb,
                _ => false,
            }
        });
        let params = RouteParams {
            kind: if opts.closed {
                RouteKind::Closed
            } else {
                RouteKind::Open
            },
            kicks_per_stop: 2,
            seed,
        };
        let order = match solve(&penalised, &params) {
            Ok(r) => r.order,
            Err(_) => (0..members.len()).collect(),
        };
        let length = matrix.route_length(&order, opts.closed);
        (
            order.into_iter().map(|k| members[k]).collect(),
            length,
            on_network,
        )
    }

    /// The convex hull as a GeoJSON polygon in WGS84, and its Polsby–Popper.
    fn hull(&self, members: &[usize]) -> (Option<String>, Option<f64>) {
        let pts: Vec<[f64; 2]> = members.iter().map(|&i| self.pos[i]).collect();
        let ring = convex_hull(&pts);
        if ring.len() < 3 || ring_area(&ring).abs() < 1.0 {
            return (None, None);
        }
        let mut coords: Vec<[f64; 2]> = ring
            .iter()
            .map(|p| {
                let (lon, lat) = self.proj.unproject(*p);
                [(lon * 1e7).round() / 1e7, (lat * 1e7).round() / 1e7]
            })
            .collect();
        coords.push(coords[0]);
        let geojson = serde_json::json!({"type": "Polygon", "coordinates": [coords]});
        (Some(geojson.to_string()), polsby_popper(&ring))
    }
}

/// A computed change, and what it did.
struct Outcome {
    change: PlanChange,
    quality: CutQuality,
}

/// The turfs of `plan` (over `b.stops`) written as a change: every turf in `rewrite` (plan
/// indices) and every new turf is ordered again; locked turfs must not be in `rewrite`.
#[allow(clippy::too_many_arguments)]
fn finish(
    b: &Bureau,
    geo: &Geometry,
    plan: &TurfPlan,
    rewrite: &HashSet<u32>,
    opts: &CutOptions,
    kind: PlanKind,
    params: serde_json::Value,
    mut summary: serde_json::Map<String, serde_json::Value>,
) -> Outcome {
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); plan.turfs.len()];
    for (i, &t) in plan.turf_of.iter().enumerate() {
        members[t as usize].push(i);
    }
    let walk = opts.walk();
    let mut write = Vec::new();
    let mut empty = Vec::new();
    let mut number = b.next_number;
    // The final order of every non-empty turf, for the quality measures.
    let mut dense: Vec<u32> = vec![0; b.stops.len()];
    let mut n_dense = 0u32;
    for (k, m) in members.iter().enumerate() {
        let existing = b.turfs.get(k);
        if m.is_empty() {
            if let Some(t) = existing {
                empty.push((t.id, (t.revision, t.lock_version)));
            }
            continue;
        }
        for &i in m {
            dense[i] = n_dense;
        }
        n_dense += 1;
        if existing.is_some() && !rewrite.contains(&(k as u32)) {
            continue;
        }
        let seed = existing.map_or(u64::from(number), |t| u64::from(t.number));
        let (order, length_m, on_network) = geo.walk(&b.stops, m, opts, seed);
        let doors: u64 = m.iter().map(|&i| u64::from(b.stops[i].doors)).sum();
        let (hull, pp) = geo.hull(m);
        let (id, expected, n) = match existing {
            Some(t) => (t.id, Some((t.revision, t.lock_version)), t.number),
            None => {
                number += 1;
                (TurfId::new(), None, number - 1)
            }
        };
        write.push(TurfWrite {
            id,
            expected,
            number: n,
            stops: order
                .iter()
                .map(|&i| (b.stops[i].address, b.stops[i].doors))
                .collect(),
            length_m,
            minutes: walk.session_seconds(length_m, doors, on_network) / 60.0,
            on_network,
            polsby_popper: pp,
            hull,
        });
    }
    let doors: Vec<u32> = b.stops.iter().map(|s| s.doors).collect();
    let segments: Vec<Option<u32>> = geo.snaps.iter().map(|s| s.map(|s| s.segment)).collect();
    let quality = cut_quality(&CutLayout {
        pos: &geo.pos,
        doors: &doors,
        turf_of: &dense,
        turfs: n_dense as usize,
        bureau_of: None,
        segment_of: geo.graph.as_ref().map(|_| segments.as_slice()),
    });
    summary.insert("turfs".into(), n_dense.into());
    summary.insert("written".into(), write.len().into());
    summary.insert("emptied".into(), empty.len().into());
    summary.insert("on_network".into(), geo.graph.is_some().into());
    let change = PlanChange {
        bureau_id: TerritoryId::default(),
        base_version: b.version,
        kind,
        params,
        quality: serde_json::to_value(&quality).unwrap_or_default(),
        summary: serde_json::Value::Object(summary),
        write,
        empty,
    };
    Outcome { change, quality }
}

/// A cut or re-cut of one bureau (pure: no I/O).
fn compute_cut(
    b: &Bureau,
    network: Option<&StreetNetwork>,
    opts: &CutOptions,
    now: OffsetDateTime,
) -> Result<Outcome, TurfError> {
    let geo = Geometry::new(&b.stops, network);
    let stops = geo.cut_stops(&b.stops, opts);
    let params = opts.cut_params();
    let mut summary = serde_json::Map::new();
    let (plan, kind) = if b.turfs.is_empty() {
        let c = cut(&stops, &params).map_err(|e| TurfError::Options(e.to_string()))?;
        (TurfPlan::from_cut(&c), PlanKind::Cut)
    } else {
        let mut plan = TurfPlan {
            turf_of: Vec::with_capacity(b.stops.len()),
            turfs: b
                .turfs
                .iter()
                .map(|t| PlanTurf {
                    bureau: 0,
                    locked: t.is_locked(now),
                })
                .collect(),
        };
        let free = plan.turfs.iter().position(|t| !t.locked);
        let free = match free {
            Some(k) => k as u32,
            None => {
                plan.turfs.push(PlanTurf {
                    bureau: 0,
                    locked: false,
                });
                (plan.turfs.len() - 1) as u32
            }
        };
        let new_stops = b.turf_of.iter().filter(|t| t.is_none()).count();
        plan.turf_of = b.turf_of.iter().map(|t| t.unwrap_or(free)).collect();
        let visited: Vec<bool> = b.stops.iter().map(|s| s.visited).collect();
        let locked = plan.turfs.iter().filter(|t| t.locked).count();
        summary.insert("kept_locked".into(), locked.into());
        summary.insert(
            "kept_visited".into(),
            visited.iter().filter(|v| **v).count().into(),
        );
        summary.insert("new_stops".into(), new_stops.into());
        (
            terrain_geo::edit::recut(&plan, &stops, &visited, &params)?,
            PlanKind::Recut,
        )
    };
    let rewrite: HashSet<u32> = (0..plan.turfs.len() as u32)
        .filter(|&k| !plan.turfs[k as usize].locked)
        .collect();
    let params = serde_json::to_value(opts).unwrap_or_default();
    Ok(finish(
        b, &geo, &plan, &rewrite, opts, kind, params, summary,
    ))
}

/// An edit of one bureau's turfs.
#[derive(Clone, Debug)]
pub enum Edit {
    /// These stops go to this turf.
    Move { stops: Vec<AddressId>, to: TurfId },
    /// This turf becomes `parts` turfs.
    Split { turf: TurfId, parts: usize },
    /// The second turf's stops join the first.
    Merge { into: TurfId, from: TurfId },
    /// The stops inside this ring (`[lon, lat]`) go to the turf, or to a new one.
    Redraw {
        ring: Vec<[f64; 2]>,
        to: Option<TurfId>,
    },
}

fn compute_edit(
    b: &Bureau,
    network: Option<&StreetNetwork>,
    opts: &CutOptions,
    edit: &Edit,
    now: OffsetDateTime,
) -> Result<Outcome, TurfError> {
    let geo = Geometry::new(&b.stops, network);
    let stops = geo.cut_stops(&b.stops, opts);
    let plan = TurfPlan {
        turf_of: b.turf_of.iter().map(|t| t.unwrap_or(0)).collect(),
        turfs: b
            .turfs
            .iter()
            .map(|t| PlanTurf {
                bureau: 0,
                locked: t.is_locked(now),
            })
            .collect(),
    };
    let index = |id: &TurfId| {
        b.turfs
            .iter()
            .position(|t| t.id == *id)
            .map(|k| k as u32)
            .ok_or_else(|| TurfError::NotInPlan(format!("turf {id} is not a turf of this bureau")))
    };
    let mut summary = serde_json::Map::new();
    let (new_plan, kind, detail) = match edit {
        Edit::Move { stops: moving, to } => {
            let by_address: HashMap<AddressId, usize> = b
                .stops
                .iter()
                .enumerate()
                .map(|(i, s)| (s.address, i))
                .collect();
            let idx = moving
                .iter()
                .map(|a| {
                    by_address.get(a).copied().ok_or_else(|| {
                        TurfError::NotInPlan(format!(
                            "address {a} is not a stop of the turfs of this bureau"
                        ))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let to_k = index(to)?;
            summary.insert("moved".into(), idx.len().into());
            (
                terrain_geo::edit::move_stops(&plan, &stops, &idx, to_k)?,
                PlanKind::Move,
                serde_json::json!({"move": {"stops": idx.len(), "to": to}}),
            )
        }
        Edit::Split { turf, parts } => {
            let k = index(turf)?;
            let params = CutParams {
                target_doors: (b.turfs[k as usize].doors / (*parts).max(1) as u64).max(1) as u32,
                ..opts.cut_params()
            };
            (
                terrain_geo::edit::split_turf(&plan, &stops, k, *parts, &params)?,
                PlanKind::Split,
                serde_json::json!({"split": {"turf": turf, "parts": parts}}),
            )
        }
        Edit::Merge { into, from } => {
            let (a, c) = (index(into)?, index(from)?);
            if a == c {
                return Err(TurfError::Options(
                    "a turf cannot be merged with itself".into(),
                ));
            }
            (
                terrain_geo::edit::merge_turfs(&plan, a, c)?,
                PlanKind::Merge,
                serde_json::json!({"merge": {"into": into, "from": from}}),
            )
        }
        Edit::Redraw { ring, to } => {
            if ring.len() < 3 || ring.iter().any(|p| !(p[0].is_finite() && p[1].is_finite())) {
                return Err(TurfError::Options(
                    "the polygon needs at least 3 points with finite coordinates".into(),
                ));
            }
            let projected: Vec<[f64; 2]> =
                ring.iter().map(|p| geo.proj.project(p[0], p[1])).collect();
            let to_k = to.as_ref().map(index).transpose()?;
            let (p, report) = terrain_geo::edit::assign_polygon(&plan, &stops, &projected, to_k)?;
            summary.insert("moved".into(), report.moved.into());
            summary.insert("skipped_locked".into(), report.skipped_locked.into());
            if report.moved == 0 {
                return Err(TurfError::NotInPlan(
                    "the polygon holds no stop that can move (none, or all in locked turfs)".into(),
                ));
            }
            (
                p,
                PlanKind::Redraw,
                serde_json::json!({"redraw": {"to": to, "moved": report.moved, "skipped_locked": report.skipped_locked}}),
            )
        }
    };
    // Rewrite the turfs whose stops changed.
    let mut rewrite = HashSet::new();
    for (&old, &new) in plan.turf_of.iter().zip(&new_plan.turf_of) {
        if old != new {
            rewrite.insert(old);
            rewrite.insert(new);
        }
    }
    let mut params = serde_json::to_value(opts).unwrap_or_default();
    if let serde_json::Value::Object(m) = &mut params {
        m.insert("edit".into(), detail);
    }
    Ok(finish(
        b, &geo, &new_plan, &rewrite, opts, kind, params, summary,
    ))
}

/// What happened to one bureau of a cut.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct BureauCut {
    #[schema(value_type = Uuid)]
    pub bureau_id: TerritoryId,
    pub code: String,
    pub name: String,
    /// `cut`, `recut`, or `skipped` (with the reason).
    pub outcome: String,
    pub reason: Option<String>,
    pub version: Option<u32>,
    pub turfs: usize,
    pub stops: usize,
    pub doors: u64,
    /// The bureau's quality measures after the cut.
    #[schema(value_type = Object)]
    pub quality: Option<CutQuality>,
    /// Counts: turfs kept because handed out or done, visited stops kept, new stops…
    #[schema(value_type = Object)]
    pub summary: serde_json::Value,
}

async fn network(
    store: &dyn Store,
    campaign: CampaignId,
) -> Result<Option<StreetNetwork>, TurfError> {
    match store.street_network_data(campaign).await? {
        None => Ok(None),
        Some(bytes) => terrain_import::osm::decode_network(&bytes)
            .map(Some)
            .map_err(|e| TurfError::Network(e.to_string())),
    }
}

async fn in_pool<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, TurfError> + Send + 'static,
) -> Result<T, TurfError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| TurfError::Task(e.to_string()))?
}

/// Cuts (or re-cuts) each bureau, one version per bureau. A bureau without addresses is
/// skipped and said so; a bureau changed meanwhile by someone else is reported, the others go
/// on.
pub async fn cut_bureaux(
    store: &dyn Store,
    audit: &Audit,
    campaign: CampaignId,
    bureaux: &[Territory],
    opts: &CutOptions,
    now: OffsetDateTime,
) -> Result<Vec<BureauCut>, TurfError> {
    opts.check()?;
    let net = std::sync::Arc::new(network(store, campaign).await?);
    let ids: Vec<TerritoryId> = bureaux.iter().map(|b| b.id).collect();
    let mut candidates: HashMap<TerritoryId, Vec<StopCandidate>> = HashMap::new();
    for c in store.stop_candidates(campaign, &ids).await? {
        candidates.entry(c.bureau_id).or_default().push(c);
    }
    let mut out = Vec::with_capacity(bureaux.len());
    for t in bureaux {
        let report = |outcome: &str, reason: Option<String>| BureauCut {
            bureau_id: t.id,
            code: t.code.clone(),
            name: t.name.clone(),
            outcome: outcome.into(),
            reason,
            version: None,
            turfs: 0,
            stops: 0,
            doors: 0,
            quality: None,
            summary: serde_json::Value::Null,
        };
        let current = store.bureau_turfs(campaign, t.id).await?;
        let cands = candidates.remove(&t.id).unwrap_or_default();
        let b = Bureau::load(current, &cands, true);
        if b.stops.is_empty() {
            out.push(report(
                "skipped",
                Some(TurfError::NoStops(t.name.clone()).to_string()),
            ));
            continue;
        }
        let (o, n) = (*opts, net.clone());
        let (b, outcome) = in_pool(move || {
            let r = compute_cut(&b, n.as_ref().as_ref(), &o, now);
            r.map(|r| (b, r))
        })
        .await?;
        let mut change = outcome.change;
        change.bureau_id = t.id;
        match store.save_turf_plan(audit, campaign, &change, now).await {
            Ok(v) => out.push(BureauCut {
                outcome: v.kind.as_str().into(),
                version: Some(v.version),
                turfs: outcome.quality.turfs,
                stops: b.stops.len(),
                doors: b.stops.iter().map(|s| u64::from(s.doors)).sum(),
                quality: Some(outcome.quality),
                summary: change.summary,
                ..report("", None)
            }),
            Err(StorageError::Conflict { key, .. }) => out.push(report("skipped", Some(key))),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(out)
}

/// Applies an edit to the bureau of the turfs it names, as a new version.
pub async fn edit_bureau(
    store: &dyn Store,
    audit: &Audit,
    campaign: CampaignId,
    bureau: TerritoryId,
    edit: Edit,
    now: OffsetDateTime,
) -> Result<(PlanVersion, CutQuality), TurfError> {
    let current = store.bureau_turfs(campaign, bureau).await?;
    if current.turfs.is_empty() {
        return Err(TurfError::NotInPlan(
            "this bureau has no turfs yet: cut it first".into(),
        ));
    }
    let opts: CutOptions = store
        .turf_plans(campaign, bureau)
        .await?
        .first()
        .and_then(|v| serde_json::from_value(v.params.clone()).ok())
        .unwrap_or_default();
    let cands = store.stop_candidates(campaign, &[bureau]).await?;
    let b = Bureau::load(current, &cands, false);
    let net = network(store, campaign).await?;
    let outcome = in_pool(move || compute_edit(&b, net.as_ref(), &opts, &edit, now)).await?;
    let mut change = outcome.change;
    change.bureau_id = bureau;
    let v = store.save_turf_plan(audit, campaign, &change, now).await?;
    Ok((v, outcome.quality))
}

#[cfg(test)]
mod tests {
    use super::*;
    use terrain_store::{PlanStop, TurfStatus};

    fn candidates(n: usize) -> Vec<StopCandidate> {
        (0..n)
            .map(|i| StopCandidate {
                address_id: AddressId::new(),
                bureau_id: TerritoryId::default(),
                lon: 2.35 + (i % 10) as f64 * 0.0004,
                lat: 48.89 + (i / 10) as f64 * 0.0003,
                street: format!("Rue {}", i / 10),
                number: Some(((i % 10) + 1).to_string()),
                doors: 1 + (i % 4) as u32,
            })
            .collect()
    }

    fn empty() -> BureauTurfs {
        BureauTurfs {
            bureau_id: TerritoryId::default(),
            version: 0,
            turfs: vec![],
            stops: vec![],
            next_number: 1,
        }
    }

    fn opts(target: u32) -> CutOptions {
        CutOptions {
            target_doors: target,
            ..CutOptions::default()
        }
    }

    /// The stored state after saving `change` (what the store would return).
    fn stored(change: &PlanChange, before: &BureauTurfs, locked: &[TurfId]) -> BureauTurfs {
        let now = OffsetDateTime::now_utc();
        let mut turfs: Vec<Turf> = before
            .turfs
            .iter()
            .filter(|t| !change.empty.iter().any(|(id, _)| *id == t.id))
            .cloned()
            .collect();
        let mut stops: Vec<PlanStop> = before.stops.clone();
        for w in &change.write {
            stops.retain(|s| !w.stops.iter().any(|(a, _)| *a == s.address_id));
            let visited: HashSet<AddressId> = before
                .stops
                .iter()
                .filter(|s| s.visited)
                .map(|s| s.address_id)
                .collect();
            for (k, (a, d)) in w.stops.iter().enumerate() {
                stops.push(PlanStop {
                    address_id: *a,
                    turf_id: w.id,
                    position: k as u32 + 1,
                    doors: *d,
                    visited: visited.contains(a),
                });
            }
            let t = Turf {
                id: w.id,
                campaign_id: CampaignId::default(),
                bureau_id: TerritoryId::default(),
                bureau_code: "75056_1801".into(),
                bureau_name: "Bureau 18-01".into(),
                bureau_path: terrain_model::TerritoryPath::from_stored("/bureau:75056_1801".into()),
                number: w.number,
                status: TurfStatus::Planned,
                stops: w.stops.len() as u32,
                doors: w.stops.iter().map(|(_, d)| u64::from(*d)).sum(),
                length_m: w.length_m,
                minutes: w.minutes,
                on_network: w.on_network,
                polsby_popper: w.polsby_popper,
                hull: w.hull.clone(),
                revision: 1,
                lock_version: 1,
                checkout: None,
                done_at: None,
                created_at: now,
                updated_at: now,
            };
            match turfs.iter_mut().find(|x| x.id == w.id) {
                Some(x) => *x = t,
                None => turfs.push(t),
            }
        }
        for t in &mut turfs {
            if locked.contains(&t.id) {
                t.status = TurfStatus::Done;
            }
        }
        turfs.sort_by_key(|t| t.number);
        BureauTurfs {
            bureau_id: TerritoryId::default(),
            version: change.base_version + 1,
            next_number: turfs.iter().map(|t| t.number).max().unwrap_or(0) + 1,
            turfs,
            stops,
        }
    }

    #[test]
    fn a_first_cut_covers_every_door_once_and_walks_every_stop() {
        let cands = candidates(200);
        let b = Bureau::load(empty(), &cands, true);
        let o = compute_cut(&b, None, &opts(40), OffsetDateTime::now_utc()).unwrap();
        let c = &o.change;
        assert_eq!(c.kind, PlanKind::Cut);
        let total: u32 = cands.iter().map(|s| s.doors).sum();
        assert_eq!(o.quality.doors, u64::from(total));
        assert_eq!(c.write.len(), (f64::from(total) / 40.0).round() as usize);
        let mut seen = HashSet::new();
        for (k, w) in c.write.iter().enumerate() {
            assert_eq!(w.number, k as u32 + 1);
            assert!(w.expected.is_none());
            assert!(w.length_m > 0.0 && w.minutes > 0.0);
            assert!(w.hull.is_some() && w.polsby_popper.unwrap() > 0.3);
            for (a, _) in &w.stops {
                assert!(seen.insert(*a), "a stop in two turfs");
            }
        }
        assert_eq!(seen.len(), 200);
        assert!(o.quality.hull_overlap < 1.01);
    }

    #[test]
    fn a_recut_keeps_locked_turfs_and_visited_stops_and_takes_new_addresses() {
        let mut cands = candidates(200);
        let now = OffsetDateTime::now_utc();
        let b = Bureau::load(empty(), &cands, true);
        let first = compute_cut(&b, None, &opts(40), now).unwrap().change;
        // Turf 1 walked (locked); one stop of turf 2 visited.
        let locked = first.write[0].id;
        let mut state = stored(&first, &empty(), &[locked]);
        let visited_addr = first.write[1].stops[3].0;
        let visited_turf = first.write[1].id;
        for s in &mut state.stops {
            if s.address_id == visited_addr {
                s.visited = true;
            }
        }
        // New addresses, and a smaller target.
        cands.extend(candidates(30).into_iter().map(|mut c| {
            c.lon += 0.0001;
            c
        }));
        let b = Bureau::load(state.clone(), &cands, true);
        assert_eq!(b.stops.len(), 230);
        let o = compute_cut(&b, None, &opts(30), now).unwrap();
        assert_eq!(o.change.kind, PlanKind::Recut);
        assert!(
            o.change.write.iter().all(|w| w.id != locked),
            "locked turf rewritten"
        );
        let holder = o
            .change
            .write
            .iter()
            .find(|w| w.stops.iter().any(|(a, _)| *a == visited_addr))
            .unwrap();
        assert_eq!(holder.id, visited_turf, "the visited stop left its turf");
        let after = stored(&o.change, &state, &[locked]);
        let mut all: Vec<AddressId> = after.stops.iter().map(|s| s.address_id).collect();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 230, "every stop in exactly one turf");
        let kept: Vec<&PlanStop> = after.stops.iter().filter(|s| s.turf_id == locked).collect();
        assert_eq!(kept.len(), first.write[0].stops.len());
        // New turfs take fresh numbers.
        for w in o.change.write.iter().filter(|w| w.expected.is_none()) {
            assert!(w.number >= state.next_number);
        }
    }

    #[test]
    fn edits_move_split_merge_and_redraw() {
        let cands = candidates(120);
        let now = OffsetDateTime::now_utc();
        let b = Bureau::load(empty(), &cands, true);
        let first = compute_cut(&b, None, &opts(100), now).unwrap().change;
        let state = stored(&first, &empty(), &[]);
        assert!(state.turfs.len() >= 2);
        let (t1, t2) = (state.turfs[0].id, state.turfs[1].id);
        let load = || Bureau::load(state.clone(), &cands, false);
        let o = opts(100);
        // Move two stops of turf 2 to turf 1: both rewritten, nothing else.
        let moving: Vec<AddressId> = first.write[1].stops[..2].iter().map(|s| s.0).collect();
        let m = compute_edit(
            &load(),
            None,
            &o,
            &Edit::Move {
                stops: moving.clone(),
                to: t1,
            },
            now,
        )
        .unwrap()
        .change;
        assert_eq!(m.kind, PlanKind::Move);
        assert_eq!(m.write.len(), 2);
        let w1 = m.write.iter().find(|w| w.id == t1).unwrap();
        assert!(moving.iter().all(|a| w1.stops.iter().any(|s| s.0 == *a)));
        // Split turf 1 in 3: it and two new turfs.
        let s = compute_edit(&load(), None, &o, &Edit::Split { turf: t1, parts: 3 }, now)
            .unwrap()
            .change;
        assert_eq!(s.write.len(), 3);
        assert_eq!(s.write.iter().filter(|w| w.expected.is_none()).count(), 2);
        // Merge turf 2 into turf 1: turf 2 emptied.
        let g = compute_edit(&load(), None, &o, &Edit::Merge { into: t1, from: t2 }, now)
            .unwrap()
            .change;
        assert_eq!(g.empty.len(), 1);
        assert_eq!(g.empty[0].0, t2);
        // Redraw: a box around the first row of addresses makes a new turf.
        let ring = vec![
            [2.3495, 48.8899],
            [2.3545, 48.8899],
            [2.3545, 48.8901],
            [2.3495, 48.8901],
        ];
        let r = compute_edit(&load(), None, &o, &Edit::Redraw { ring, to: None }, now)
            .unwrap()
            .change;
        let new = r.write.iter().find(|w| w.expected.is_none()).unwrap();
        assert_eq!(new.stops.len(), 10);
        // Refusals: an unknown turf, a stop not in the turfs, a turf merged with itself,
        // an empty polygon.
        let unknown = TurfId::new();
        assert!(matches!(
            compute_edit(
                &load(),
                None,
                &o,
                &Edit::Split {
                    turf: unknown,
                    parts: 2
                },
                now
            ),
            Err(TurfError::NotInPlan(_))
        ));
        assert!(matches!(
            compute_edit(
                &load(),
                None,
                &o,
                &Edit::Move {
                    stops: vec![AddressId::new()],
                    to: t1
                },
                now
            ),
            Err(TurfError::NotInPlan(_))
        ));
        assert!(matches!(
            compute_edit(&load(), None, &o, &Edit::Merge { into: t1, from: t1 }, now),
            Err(TurfError::Options(_))
        ));
        assert!(matches!(
            compute_edit(
                &load(),
                None,
                &o,
                &Edit::Redraw {
                    ring: vec![[2.0, 48.0], [2.1, 48.0], [2.1, 48.1]],
                    to: None
                },
                now
            ),
            Err(TurfError::NotInPlan(_))
        ));
        assert!(matches!(
            compute_edit(&load(), None, &o, &Edit::Split { turf: t1, parts: 1 }, now),
            Err(TurfError::Edit(EditError::BadParts(1)))
        ));
    }

    #[test]
    fn on_a_street_network_walks_follow_the_streets() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/osm-monaco/monaco.osm.pbf"
        );
        let Ok(bytes) = std::fs::read(path) else {
            eprintln!("SKIPPED on_a_street_network_walks_follow_the_streets: {path} is absent");
            return;
        };
        let data = terrain_geo::network::read_osm_pbf(&bytes[..]).unwrap();
        // Stored and read back as the server does, then 400 buildings of 2 doors.
        let network = terrain_import::osm::decode_network(&terrain_import::osm::encode_network(
            &data.network,
        ))
        .unwrap();
        let cands: Vec<StopCandidate> = data
            .buildings
            .iter()
            .take(400)
            .map(|b| StopCandidate {
                address_id: AddressId::new(),
                bureau_id: TerritoryId::default(),
                lon: b.lon,
                lat: b.lat,
                street: b.street.clone().unwrap_or_default(),
                number: b.housenumber.clone(),
                doors: 2,
            })
            .collect();
        let b = Bureau::load(empty(), &cands, true);
        let now = OffsetDateTime::now_utc();
        let on = compute_cut(&b, Some(&network), &opts(80), now).unwrap();
        let off = compute_cut(&b, None, &opts(80), now).unwrap();
        assert_eq!(on.change.summary["on_network"], true);
        assert!(on.change.write.iter().any(|w| w.on_network));
        assert!(on.quality.streets.is_some(), "street segments measured");
        assert!(off.quality.streets.is_none());
        // Walking is longer than flying.
        let total = |c: &PlanChange| c.write.iter().map(|w| w.length_m).sum::<f64>();
        assert!(total(&on.change) > total(&off.change));
        let stops: usize = on.change.write.iter().map(|w| w.stops.len()).sum();
        assert_eq!(stops, 400);
    }

    #[test]
    fn options_are_checked() {
        assert!(CutOptions::default().check().is_ok());
        for bad in [
            CutOptions {
                target_doors: 0,
                ..CutOptions::default()
            },
            CutOptions {
                method: CutMethod::Hilbert,
                ..CutOptions::default()
            },
            CutOptions {
                open_rate: 1.5,
                ..CutOptions::default()
            },
            CutOptions {
                speed_m_s: f64::NAN,
                ..CutOptions::default()
            },
        ] {
            assert!(matches!(bad.check(), Err(TurfError::Options(_))));
        }
        assert_eq!(parity("12bis"), Some(0));
        assert_eq!(parity("B"), None);
    }
}
