//! The walkable street network: read from OpenStreetMap, snapped to, and walked on.
//!
//! [`read_osm_pbf`] reads an `.osm.pbf` extract from any reader and keeps the ways a person can
//! walk along (footways, pedestrian streets, residential streets, steps…; not motorways, not
//! ways tagged `foot=no` or private) and the buildings (centre, dwellings when tagged, address).
//! [`RoutingGraph`] projects the network to metres, labels its connected components and its
//! street segments (stretches between junctions), snaps stops to the nearest walkable edge of a
//! substantial component, and computes walking distances between stops with Dijkstra.
//!
//! A disconnected piece of network (an isolated footway in a park, a private estate) is not an
//! error: its size is reported, stops are snapped to components of at least
//! [`MIN_COMPONENT_NODES`] nodes, and two stops on different components are given their
//! straight-line distance times [`DISCONNECTED_DETOUR`], counted in the matrix statistics.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};
use std::io::Read;

use rstar::{AABB, PointDistance, RTree, RTreeObject};
use serde::{Deserialize, Serialize};

use crate::index::project_on_segment;
use crate::proj::{LocalProjection, dist};
use crate::route::DistanceMatrix;

/// Components smaller than this (in nodes) are not snapped to, unless nothing bigger exists.
pub const MIN_COMPONENT_NODES: usize = 50;
/// Straight-line factor used between stops on different components.
pub const DISCONNECTED_DETOUR: f64 = 1.5;

/// A failure to read an OpenStreetMap file.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    #[error("cannot read the OpenStreetMap PBF file: {0}")]
    Pbf(String),
    #[error("the OpenStreetMap file has no walkable way")]
    NoWalkableWay,
}

/// A walkable street network in WGS84.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StreetNetwork {
    /// `(lon, lat)` of each node.
    pub nodes: Vec<(f64, f64)>,
    /// Undirected edges between consecutive nodes of a way.
    pub edges: Vec<(u32, u32)>,
    /// Street name of each edge's way, when tagged (index into `names`).
    pub edge_name: Vec<Option<u32>>,
    pub names: Vec<String>,
}

/// A building read from OpenStreetMap: one stop.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OsmBuilding {
    pub osm_id: i64,
    /// Centre (mean of the outline's nodes).
    pub lon: f64,
    pub lat: f64,
    /// The `building` tag (`yes`, `apartments`, `house`…).
    pub kind: String,
    /// `building:flats`, when tagged.
    pub flats: Option<u32>,
    /// `building:levels`, when tagged.
    pub levels: Option<u32>,
    pub street: Option<String>,
    pub housenumber: Option<String>,
}

/// What was read.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OsmReport {
    pub nodes_read: u64,
    pub ways_read: u64,
    pub walkable_ways: u64,
    pub network_nodes: usize,
    pub network_edges: usize,
    pub network_length_km: f64,
    pub buildings: usize,
    /// Building outlines given as multipolygon relations (not read).
    pub building_relations_skipped: u64,
    /// Way node references without a node in the file (cut at the extract's border).
    pub missing_node_refs: u64,
}

/// Network, buildings and report of an OpenStreetMap extract.
#[derive(Clone, Debug, PartialEq)]
pub struct OsmData {
    pub network: StreetNetwork,
    pub buildings: Vec<OsmBuilding>,
    pub report: OsmReport,
}

/// Whether a way with these tags can be walked along.
pub fn is_walkable(tags: &HashMap<String, String>) -> bool {
    let Some(highway) = tags.get("highway") else {
        return false;
    };
    let foot = tags.get("foot").map(String::as_str);
    if matches!(foot, Some("no")) {
        return false;
    }
    let foot_yes = matches!(foot, Some("yes" | "designated" | "permissive"));
    if matches!(
        tags.get("access").map(String::as_str),
        Some("no" | "private")
    ) && !foot_yes
    {
        return false;
    }
    match highway.as_str() {
        "footway" | "pedestrian" | "path" | "steps" | "living_street" | "residential"
        | "service" | "unclassified" | "tertiary" | "tertiary_link" | "secondary"
        | "secondary_link" | "primary" | "primary_link" | "track" | "corridor" | "road"
        | "cycleway" | "bridleway" | "elevator" => true,
        "motorway" | "motorway_link" | "trunk" | "trunk_link" => foot_yes,
        _ => false,
    }
}

struct RawWay {
    refs: Vec<i64>,
    name: Option<String>,
}

struct RawBuilding {
    id: i64,
    refs: Vec<i64>,
    tags: HashMap<String, String>,
}

/// Reads an OpenStreetMap PBF extract: the walkable network and the buildings.
///
/// Node positions are kept in memory for the whole file, which suits a commune or a
/// department extract (a few million nodes), not a country.
pub fn read_osm_pbf<R: Read + Send>(reader: R) -> Result<OsmData, NetworkError> {
    let mut coords: HashMap<i64, (f64, f64)> = HashMap::new();
    let mut ways: Vec<RawWay> = Vec::new();
    let mut buildings: Vec<RawBuilding> = Vec::new();
    let mut report = OsmReport::default();
    let tag_map = |it: &mut dyn Iterator<Item = (&str, &str)>| -> HashMap<String, String> {
        it.map(|(k, v)| (k.to_string(), v.to_string())).collect()
    };
    osmpbf::ElementReader::new(reader)
        .for_each(|el| match el {
            osmpbf::Element::Node(n) => {
                report.nodes_read += 1;
                coords.insert(n.id(), (n.lon(), n.lat()));
            }
            osmpbf::Element::DenseNode(n) => {
                report.nodes_read += 1;
                coords.insert(n.id(), (n.lon(), n.lat()));
            }
            osmpbf::Element::Way(w) => {
                report.ways_read += 1;
                let mut it = w.tags();
                let tags = tag_map(&mut it);
                if is_walkable(&tags) {
                    report.walkable_ways += 1;
                    ways.push(RawWay {
                        refs: w.refs().collect(),
                        name: tags.get("name").cloned(),
                    });
                }
                if tags.get("building").is_some_and(|b| b != "no") {
                    buildings.push(RawBuilding {
                        id: w.id(),
                        refs: w.refs().collect(),
                        tags,
                    });
                }
            }
            osmpbf::Element::Relation(r) => {
                if r.tags().any(|(k, v)| k == "building" && v != "no") {
                    report.building_relations_skipped += 1;
                }
            }
        })
        .map_err(|e| NetworkError::Pbf(e.to_string()))?;

    let mut network = StreetNetwork::default();
    let mut node_index: HashMap<i64, u32> = HashMap::new();
    let mut name_index: HashMap<String, u32> = HashMap::new();
    let mut edge_seen: std::collections::HashSet<(u32, u32)> = Default::default();
    for way in &ways {
        let name = way.name.as_ref().map(|n| {
            *name_index.entry(n.clone()).or_insert_with(|| {
                network.names.push(n.clone());
                (network.names.len() - 1) as u32
            })
        });
        let mut previous: Option<u32> = None;
        for r in &way.refs {
            let Some(&c) = coords.get(r) else {
                report.missing_node_refs += 1;
                previous = None;
                continue;
            };
            let idx = *node_index.entry(*r).or_insert_with(|| {
                network.nodes.push(c);
                (network.nodes.len() - 1) as u32
            });
            if let Some(p) = previous
                && p != idx
            {
                let key = (p.min(idx), p.max(idx));
                if edge_seen.insert(key) {
                    network.edges.push((p, idx));
                    network.edge_name.push(name);
                }
            }
            previous = Some(idx);
        }
    }
    if network.edges.is_empty() {
        return Err(NetworkError::NoWalkableWay);
    }
    let proj = LocalProjection::centred_on(network.nodes.iter().copied())
        .unwrap_or_else(|| LocalProjection::new(0.0, 0.0));
    report.network_nodes = network.nodes.len();
    report.network_edges = network.edges.len();
    report.network_length_km = network
        .edges
        .iter()
        .map(|&(a, b)| {
            let (pa, pb) = (network.nodes[a as usize], network.nodes[b as usize]);
            dist(proj.project(pa.0, pa.1), proj.project(pb.0, pb.1))
        })
        .sum::<f64>()
        / 1000.0;

    let mut out_buildings = Vec::with_capacity(buildings.len());
    for b in buildings {
        let mut pts: Vec<(f64, f64)> = b
            .refs
            .iter()
            .filter_map(|r| coords.get(r).copied())
            .collect();
        // A closed outline repeats its first node.
        if pts.len() > 1 && pts.first() == pts.last() {
            pts.pop();
        }
        if pts.is_empty() {
            report.missing_node_refs += b.refs.len() as u64;
            continue;
        }
        let n = pts.len() as f64;
        let lon = pts.iter().map(|p| p.0).sum::<f64>() / n;
        let lat = pts.iter().map(|p| p.1).sum::<f64>() / n;
        let num = |k: &str| b.tags.get(k).and_then(|v| v.trim().parse::<u32>().ok());
        out_buildings.push(OsmBuilding {
            osm_id: b.id,
            lon,
            lat,
            kind: b.tags.get("building").cloned().unwrap_or_default(),
            flats: num("building:flats"),
            levels: num("building:levels"),
            street: b.tags.get("addr:street").cloned(),
            housenumber: b.tags.get("addr:housenumber").cloned(),
        });
    }
    report.buildings = out_buildings.len();
    Ok(OsmData {
        network,
        buildings: out_buildings,
        report,
    })
}

/// An edge in the R-tree.
#[derive(Clone, Copy, Debug)]
struct EdgeObject {
    a: [f64; 2],
    b: [f64; 2],
    edge: u32,
}

impl RTreeObject for EdgeObject {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        AABB::from_corners(self.a, self.b)
    }
}

impl PointDistance for EdgeObject {
    fn distance_2(&self, point: &[f64; 2]) -> f64 {
        let (_, q) = project_on_segment(*point, self.a, self.b);
        crate::proj::dist2(*point, q)
    }
}

/// Where a stop meets the network.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snap {
    pub edge: u32,
    /// Metres from the edge's first node to the snapped point.
    pub along: f64,
    /// Metres from the stop to the snapped point (the walk from the street to the door).
    pub offset: f64,
    /// Street segment (stretch between junctions) of the edge.
    pub segment: u32,
    pub component: u32,
    /// Side of the street: 0 left of the edge's direction, 1 right.
    pub side: u8,
}

/// Statistics of the network and of a snapping.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GraphReport {
    pub nodes: usize,
    pub edges: usize,
    pub length_km: f64,
    pub components: usize,
    /// Share of the network length in the largest component.
    pub largest_component_share: f64,
    /// Components of fewer than [`MIN_COMPONENT_NODES`] nodes (not snapped to).
    pub small_components: usize,
    pub street_segments: usize,
    /// Lengths of the five largest components, km.
    pub largest_components_km: Vec<f64>,
}

/// Pairs of stops with no path between them in a distance matrix.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MatrixStats {
    pub disconnected_pairs: u64,
}

/// The network projected to metres, ready for snapping and shortest paths.
#[derive(Debug)]
pub struct RoutingGraph {
    coords: Vec<[f64; 2]>,
    edges: Vec<(u32, u32)>,
    edge_len: Vec<f64>,
    edge_segment: Vec<u32>,
    edge_name: Vec<Option<u32>>,
    names: Vec<String>,
    node_component: Vec<u32>,
    /// CSR adjacency: neighbours of node `v` are `adj[start[v]..start[v + 1]]` as (node, edge).
    start: Vec<usize>,
    adj: Vec<(u32, u32)>,
    tree: RTree<EdgeObject>,
    report: GraphReport,
}

#[derive(Clone, Copy, PartialEq)]
struct QueueItem {
    d: f64,
    v: u32,
}
impl Eq for QueueItem {}
impl PartialOrd for QueueItem {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for QueueItem {
    fn cmp(&self, other: &Self) -> Ordering {
        other.d.total_cmp(&self.d).then(other.v.cmp(&self.v))
    }
}

impl RoutingGraph {
    /// Projects the network with `proj` (use the same projection as the stops) and prepares it.
    pub fn new(network: &StreetNetwork, proj: &LocalProjection) -> Self {
        let coords: Vec<[f64; 2]> = network
            .nodes
            .iter()
            .map(|&(lon, lat)| proj.project(lon, lat))
            .collect();
        let n = coords.len();
        let edges: Vec<(u32, u32)> = network
            .edges
            .iter()
            .copied()
            .filter(|&(a, b)| (a as usize) < n && (b as usize) < n)
            .collect();
        let edge_len: Vec<f64> = edges
            .iter()
            .map(|&(a, b)| dist(coords[a as usize], coords[b as usize]))
            .collect();
        let mut degree = vec![0usize; n + 1];
        for &(a, b) in &edges {
            degree[a as usize] += 1;
            degree[b as usize] += 1;
        }
        let mut start = vec![0usize; n + 1];
        for v in 0..n {
            start[v + 1] = start[v] + degree[v];
        }
        let mut fill = start.clone();
        let mut adj = vec![(0u32, 0u32); start[n]];
        for (e, &(a, b)) in edges.iter().enumerate() {
            adj[fill[a as usize]] = (b, e as u32);
            fill[a as usize] += 1;
            adj[fill[b as usize]] = (a, e as u32);
            fill[b as usize] += 1;
        }
        // Components.
        let mut node_component = vec![u32::MAX; n];
        let mut comp_nodes: Vec<usize> = Vec::new();
        let mut comp_len: Vec<f64> = Vec::new();
        let mut stack = Vec::new();
        for s in 0..n {
            if node_component[s] != u32::MAX || start[s] == start[s + 1] {
                continue;
            }
            let c = comp_nodes.len() as u32;
            comp_nodes.push(0);
            comp_len.push(0.0);
            node_component[s] = c;
            stack.push(s);
            while let Some(v) = stack.pop() {
                comp_nodes[c as usize] += 1;
                for &(w, _) in &adj[start[v]..start[v + 1]] {
                    if node_component[w as usize] == u32::MAX {
                        node_component[w as usize] = c;
                        stack.push(w as usize);
                    }
                }
            }
        }
        for (e, &(a, _)) in edges.iter().enumerate() {
            comp_len[node_component[a as usize] as usize] += edge_len[e];
        }
        // Street segments: maximal chains through nodes of degree 2.
        let mut edge_segment = vec![u32::MAX; edges.len()];
        let mut segments = 0u32;
        for e0 in 0..edges.len() {
            if edge_segment[e0] != u32::MAX {
                continue;
            }
            edge_segment[e0] = segments;
            let (a, b) = edges[e0];
            for mut v in [a as usize, b as usize] {
                let mut from_edge = e0;
                while degree[v] == 2 {
                    let next = adj[start[v]..start[v + 1]]
                        .iter()
                        .find(|&&(_, e)| e as usize != from_edge);
                    let Some(&(w, e)) = next else { break };
                    if edge_segment[e as usize] != u32::MAX {
                        break;
                    }
                    edge_segment[e as usize] = segments;
                    from_edge = e as usize;
                    v = w as usize;
                }
            }
            segments += 1;
        }
        let largest = comp_nodes.iter().copied().max().unwrap_or(0);
        let min_nodes = MIN_COMPONENT_NODES.min(largest);
        let tree = RTree::bulk_load(
            edges
                .iter()
                .enumerate()
                .filter(|&(_, &(a, _))| {
                    let c = node_component[a as usize];
                    c != u32::MAX && comp_nodes[c as usize] >= min_nodes
                })
                .map(|(e, &(a, b))| EdgeObject {
                    a: coords[a as usize],
                    b: coords[b as usize],
                    edge: e as u32,
                })
                .collect(),
        );
        let total_len: f64 = edge_len.iter().sum();
        let report = GraphReport {
            nodes: n,
            edges: edges.len(),
            length_km: total_len / 1000.0,
            components: comp_nodes.len(),
            largest_component_share: if total_len > 0.0 {
                comp_len.iter().copied().fold(0.0, f64::max) / total_len
            } else {
                0.0
            },
            small_components: comp_nodes.iter().filter(|&&c| c < min_nodes).count(),
            street_segments: segments as usize,
            largest_components_km: {
                let mut v: Vec<f64> = comp_len.iter().map(|l| l / 1000.0).collect();
                v.sort_by(|a, b| b.total_cmp(a));
                v.truncate(5);
                v
            },
        };
        let edge_name = network
            .edges
            .iter()
            .zip(&network.edge_name)
            .filter(|&(&(a, b), _)| (a as usize) < n && (b as usize) < n)
            .map(|(_, name)| *name)
            .collect();
        Self {
            coords,
            edges,
            edge_len,
            edge_segment,
            edge_name,
            names: network.names.clone(),
            node_component,
            start,
            adj,
            tree,
            report,
        }
    }

    /// Network statistics.
    pub fn report(&self) -> &GraphReport {
        &self.report
    }

    /// Projected positions of an edge's two nodes.
    pub fn edge_ends(&self, edge: u32) -> ([f64; 2], [f64; 2]) {
        let (a, b) = self.edges[edge as usize];
        (self.coords[a as usize], self.coords[b as usize])
    }

    /// Street name of a snapped stop's edge, when tagged.
    pub fn street_name(&self, snap: &Snap) -> Option<&str> {
        self.edge_name
            .get(snap.edge as usize)
            .copied()
            .flatten()
            .and_then(|i| self.names.get(i as usize))
            .map(String::as_str)
    }

    /// Snaps a projected point to the nearest walkable edge (of a substantial component).
    pub fn snap(&self, p: [f64; 2]) -> Option<Snap> {
        let e = self.tree.nearest_neighbor(p)?;
        let (t, q) = project_on_segment(p, e.a, e.b);
        let edge = e.edge as usize;
        let cross = (e.b[0] - e.a[0]) * (p[1] - e.a[1]) - (e.b[1] - e.a[1]) * (p[0] - e.a[0]);
        Some(Snap {
            side: u8::from(cross < 0.0),
            edge: e.edge,
            along: t * self.edge_len[edge],
            offset: dist(p, q),
            segment: self.edge_segment[edge],
            component: self.node_component[self.edges[edge].0 as usize],
        })
    }

    /// Walking distances between snapped stops (`points` are their projected positions, used
    /// for the fallback between components). Distances include the walk from the street to
    /// each door, except between neighbours on the same side of the same street segment, who
    /// are joined in a straight line along the facades.
    pub fn distance_matrix(
        &self,
        snaps: &[Snap],
        points: &[[f64; 2]],
    ) -> (DistanceMatrix, MatrixStats) {
        let n = snaps.len();
        let nodes = self.coords.len();
        let mut d = vec![0.0; n * n];
        let mut stats = MatrixStats::default();
        // Dense work arrays, reset through the list of touched nodes.
        let mut dist_v = vec![f64::INFINITY; nodes];
        let mut settled = vec![false; nodes];
        let mut target_stamp = vec![usize::MAX; nodes];
        let mut touched: Vec<u32> = Vec::new();
        let mut heap = BinaryHeap::new();
        for i in 0..n {
            let si = snaps[i];
            // Nodes to settle: the ends of the later stops' edges in the same component.
            let mut remaining = 0usize;
            for sj in &snaps[i + 1..] {
                if sj.component == si.component {
                    let (a, b) = self.edges[sj.edge as usize];
                    for v in [a, b] {
                        if target_stamp[v as usize] != i {
                            target_stamp[v as usize] = i;
                            remaining += 1;
                        }
                    }
                }
            }
            for &v in &touched {
                dist_v[v as usize] = f64::INFINITY;
                settled[v as usize] = false;
            }
            touched.clear();
            heap.clear();
            let (a, b) = self.edges[si.edge as usize];
            let len = self.edge_len[si.edge as usize];
            for (v, dv) in [(a, si.along), (b, len - si.along)] {
                if dv < dist_v[v as usize] {
                    dist_v[v as usize] = dv;
                    touched.push(v);
                    heap.push(QueueItem { d: dv, v });
                }
            }
            while remaining > 0 {
                let Some(QueueItem { d: du, v }) = heap.pop() else {
                    break;
                };
                let vs = v as usize;
                if settled[vs] || du > dist_v[vs] {
                    continue;
                }
                settled[vs] = true;
                if target_stamp[vs] == i {
                    remaining -= 1;
                }
                for &(w, e) in &self.adj[self.start[vs]..self.start[vs + 1]] {
                    let nd = du + self.edge_len[e as usize];
                    if nd < dist_v[w as usize] {
                        if dist_v[w as usize].is_infinite() {
                            touched.push(w);
                        }
                        dist_v[w as usize] = nd;
                        heap.push(QueueItem { d: nd, v: w });
                    }
                }
            }
            for j in (i + 1)..n {
                let sj = snaps[j];
                let mut best = f64::INFINITY;
                if sj.component == si.component {
                    let (ja, jb) = self.edges[sj.edge as usize];
                    let jlen = self.edge_len[sj.edge as usize];
                    best =
                        (dist_v[ja as usize] + sj.along).min(dist_v[jb as usize] + jlen - sj.along);
                    if sj.edge == si.edge {
                        best = best.min((sj.along - si.along).abs());
                    }
                }
                let value = if best.is_finite() {
                    let via_street = best + si.offset + sj.offset;
                    if si.segment == sj.segment && si.side == sj.side {
                        // Neighbours on the same side of a street walk along the facades,
                        // not back to the centre line and out again.
                        via_street.min(dist(points[i], points[j]))
                    } else {
                        via_street
                    }
                } else {
                    stats.disconnected_pairs += 1;
                    dist(points[i], points[j]) * DISCONNECTED_DETOUR
                };
                d[i * n + j] = value;
                d[j * n + i] = value;
            }
        }
        // Symmetric and finite by construction; from_full only validates.
        let m =
            DistanceMatrix::from_full(n, d).unwrap_or_else(|_| DistanceMatrix::euclidean(points));
        (m, stats)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 3×3 grid of streets 100 m apart, plus a detached footway far away.
    fn grid_network(proj: &LocalProjection) -> StreetNetwork {
        let mut net = StreetNetwork::default();
        for y in 0..3 {
            for x in 0..3 {
                net.nodes
                    .push(proj.unproject([f64::from(x) * 100.0, f64::from(y) * 100.0]));
            }
        }
        for y in 0..3u32 {
            for x in 0..3u32 {
                let v = y * 3 + x;
                if x < 2 {
                    net.edges.push((v, v + 1));
                    net.edge_name.push(Some(0));
                }
                if y < 2 {
                    net.edges.push((v, v + 3));
                    net.edge_name.push(None);
                }
            }
        }
        net.names.push("Rue du Test".into());
        let base = net.nodes.len() as u32;
        net.nodes.push(proj.unproject([5000.0, 5000.0]));
        net.nodes.push(proj.unproject([5010.0, 5000.0]));
        net.edges.push((base, base + 1));
        net.edge_name.push(None);
        net
    }

    #[test]
    fn walking_distance_goes_round_the_block() {
        let proj = LocalProjection::new(7.42, 43.74);
        let g = RoutingGraph::new(&grid_network(&proj), &proj);
        assert_eq!(g.report().components, 2);
        assert_eq!(g.report().small_components, 1);
        assert!((g.report().length_km - 1.21).abs() < 1e-6);
        // Two doors in the middle of two opposite blocks' streets: 5 m off the streets.
        let p = [[50.0, 5.0], [50.0, 195.0], [5000.0, 5001.0]];
        let snaps: Vec<Snap> = p.iter().map(|&q| g.snap(q).unwrap()).collect();
        assert!((snaps[0].offset - 5.0).abs() < 1e-6);
        // The far point snaps to the main grid, not to the isolated footway.
        assert_eq!(snaps[2].component, snaps[0].component);
        let (m, stats) = g.distance_matrix(&snaps[..2], &p[..2]);
        // 5 + 50 (to a corner) + 200 (up) + 50 + 5 = 310 m (straight line: 190 m).
        assert!((m.get(0, 1) - 310.0).abs() < 1e-6, "{}", m.get(0, 1));
        assert_eq!(stats.disconnected_pairs, 0);
        assert_eq!(g.street_name(&snaps[0]), Some("Rue du Test"));
    }

    #[test]
    fn same_edge_and_segments() {
        let proj = LocalProjection::new(7.42, 43.74);
        let g = RoutingGraph::new(&grid_network(&proj), &proj);
        let p = [[10.0, 3.0], [40.0, -3.0]];
        let snaps: Vec<Snap> = p.iter().map(|&q| g.snap(q).unwrap()).collect();
        assert_eq!(snaps[0].segment, snaps[1].segment);
        let (m, _) = g.distance_matrix(&snaps, &p);
        assert!((m.get(0, 1) - 36.0).abs() < 1e-6);
        // Segments: the grid's 12 edges join at junctions everywhere except the corners
        // (degree 2), where the two edges form one segment: 12 − 4 = 8, plus the footway.
        assert_eq!(g.report().street_segments, 9);
    }

    #[test]
    fn disconnected_stops_fall_back_to_straight_lines() {
        let proj = LocalProjection::new(7.42, 43.74);
        // Two separate chains of 60 nodes, 10 m apart along y = 0 and y = 5000.
        let mut net = StreetNetwork::default();
        for y in [0.0, 5000.0] {
            let base = net.nodes.len() as u32;
            for i in 0..60u32 {
                net.nodes.push(proj.unproject([f64::from(i) * 10.0, y]));
                if i > 0 {
                    net.edges.push((base + i - 1, base + i));
                    net.edge_name.push(None);
                }
            }
        }
        let g = RoutingGraph::new(&net, &proj);
        assert_eq!(g.report().components, 2);
        assert!((g.report().largest_component_share - 0.5).abs() < 1e-9);
        let p = [[50.0, 1.0], [100.0, 4999.0]];
        let snaps: Vec<Snap> = p.iter().map(|&q| g.snap(q).unwrap()).collect();
        assert_ne!(snaps[0].component, snaps[1].component);
        let (m, stats) = g.distance_matrix(&snaps, &p);
        assert_eq!(stats.disconnected_pairs, 1);
        assert!((m.get(0, 1) - dist(p[0], p[1]) * DISCONNECTED_DETOUR).abs() < 1e-6);
    }

    #[test]
    fn walkable_tags() {
        let t = |pairs: &[(&str, &str)]| -> HashMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert!(is_walkable(&t(&[("highway", "residential")])));
        assert!(is_walkable(&t(&[("highway", "steps")])));
        assert!(!is_walkable(&t(&[("highway", "motorway")])));
        assert!(is_walkable(&t(&[("highway", "trunk"), ("foot", "yes")])));
        assert!(!is_walkable(&t(&[("highway", "footway"), ("foot", "no")])));
        assert!(!is_walkable(&t(&[
            ("highway", "service"),
            ("access", "private")
        ])));
        assert!(!is_walkable(&t(&[("building", "yes")])));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let bytes = b"this is not a protobuf file at all, just some bytes";
        assert!(read_osm_pbf(&bytes[..]).is_err());
        assert!(matches!(
            read_osm_pbf(&b""[..]),
            Err(NetworkError::NoWalkableWay)
        ));
    }

    #[test]
    fn reads_the_monaco_extract() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/osm-monaco"
        );
        let path = format!("{dir}/monaco.osm.pbf");
        let Ok(file) = std::fs::File::open(&path) else {
            eprintln!(
                "SKIPPED reads_the_monaco_extract: {path} is absent (shared data not present)"
            );
            return;
        };
        let data = read_osm_pbf(std::io::BufReader::new(file)).unwrap();
        let r = &data.report;
        // PROVENANCE: about 23,000 buildings and about 470 km of walkable streets.
        assert!((20_000..26_000).contains(&r.buildings), "{r:?}");
        assert!((350.0..600.0).contains(&r.network_length_km), "{r:?}");
        let proj = LocalProjection::new(7.42, 43.74);
        let g = RoutingGraph::new(&data.network, &proj);
        assert!(g.report().largest_component_share > 0.8, "{:?}", g.report());
        // Every building snaps within a reasonable distance of a walkable edge.
        let far = data
            .buildings
            .iter()
            .filter(|b| {
                g.snap(proj.project(b.lon, b.lat))
                    .is_none_or(|s| s.offset > 200.0)
            })
            .count();
        assert!(
            far * 100 < data.buildings.len(),
            "{far} buildings far from any street"
        );
    }
}
