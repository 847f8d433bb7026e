//! The walkable street network of a campaign, from an OpenStreetMap extract (`.osm.pbf`):
//! read by `terrain-geo`, kept in the store as one compact binary, and read back (clipped to
//! a bureau) when turfs are cut, so that they keep both sides of a street together and their
//! walks follow the streets.
//!
//! The binary: `TRNW`, a format byte (1), then little-endian: the node count and each node's
//! longitude and latitude in 1e-7 degrees (`i32`, about a centimetre), the edge count and
//! each edge's two node indices (`u32`) and street name (`u32`, `u32::MAX` for none), the name
//! count and each name (byte length, UTF-8). A department's network is a few megabytes.

use crate::{ImportError, Target};
use serde::Serialize;
use std::io::Read;
use terrain_geo::network::{GraphReport, OsmReport, RoutingGraph, StreetNetwork, read_osm_pbf};
use terrain_geo::proj::LocalProjection;
use terrain_store::{NewStreetNetwork, StreetNetworkInfo};

const MAGIC: &[u8; 4] = b"TRNW";
const FORMAT: u8 = 1;
const NO_NAME: u32 = u32::MAX;

/// A stored network that cannot be read back.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("stored street network is unreadable: {0}")]
pub struct NetworkCodecError(pub String);

/// Encodes a network (see the module's documentation).
pub fn encode_network(n: &StreetNetwork) -> Vec<u8> {
    let names_len: usize = n.names.iter().map(|s| s.len() + 4).sum();
    let mut out = Vec::with_capacity(17 + n.nodes.len() * 8 + n.edges.len() * 12 + names_len);
    out.extend_from_slice(MAGIC);
    out.push(FORMAT);
    let fixed = |v: f64| {
        (v * 1e7)
            .round()
            .clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i32
    };
    out.extend_from_slice(&(n.nodes.len() as u32).to_le_bytes());
    for &(lon, lat) in &n.nodes {
        out.extend_from_slice(&fixed(lon).to_le_bytes());
        out.extend_from_slice(&fixed(lat).to_le_bytes());
    }
    out.extend_from_slice(&(n.edges.len() as u32).to_le_bytes());
    for (k, &(a, b)) in n.edges.iter().enumerate() {
        out.extend_from_slice(&a.to_le_bytes());
        out.extend_from_slice(&b.to_le_bytes());
        let name = n.edge_name.get(k).copied().flatten().unwrap_or(NO_NAME);
        out.extend_from_slice(&name.to_le_bytes());
    }
    out.extend_from_slice(&(n.names.len() as u32).to_le_bytes());
    for s in &n.names {
        out.extend_from_slice(&(s.len() as u32).to_le_bytes());
        out.extend_from_slice(s.as_bytes());
    }
    out
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], NetworkCodecError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| NetworkCodecError(format!("truncated at byte {}", self.at)))?;
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn u32(&mut self) -> Result<u32, NetworkCodecError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn i32(&mut self) -> Result<i32, NetworkCodecError> {
        let b = self.take(4)?;
        Ok(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A count of items of `size` bytes each, checked against what is left.
    fn count(&mut self, size: usize) -> Result<usize, NetworkCodecError> {
        let n = self.u32()? as usize;
        if n.saturating_mul(size) > self.bytes.len() - self.at {
            return Err(NetworkCodecError(format!(
                "{n} items announced, fewer present"
            )));
        }
        Ok(n)
    }
}

/// Decodes a network made by [`encode_network`]; a damaged one is an error, never a panic.
pub fn decode_network(bytes: &[u8]) -> Result<StreetNetwork, NetworkCodecError> {
    let mut c = Cursor { bytes, at: 0 };
    if c.take(4)? != MAGIC {
        return Err(NetworkCodecError("not a Terrain street network".into()));
    }
    let format = c.take(1)?[0];
    if format != FORMAT {
        return Err(NetworkCodecError(format!("unknown format {format}")));
    }
    let n_nodes = c.count(8)?;
    let mut nodes = Vec::with_capacity(n_nodes);
    for _ in 0..n_nodes {
        let lon = f64::from(c.i32()?) / 1e7;
        let lat = f64::from(c.i32()?) / 1e7;
        nodes.push((lon, lat));
    }
    let n_edges = c.count(12)?;
    let mut edges = Vec::with_capacity(n_edges);
    let mut edge_name = Vec::with_capacity(n_edges);
    for k in 0..n_edges {
        let (a, b) = (c.u32()?, c.u32()?);
        if a as usize >= n_nodes || b as usize >= n_nodes {
            return Err(NetworkCodecError(format!(
                "edge {k} joins a node that does not exist"
            )));
        }
        edges.push((a, b));
        let name = c.u32()?;
        edge_name.push((name != NO_NAME).then_some(name));
    }
    let n_names = c.count(4)?;
    let mut names = Vec::with_capacity(n_names);
    for _ in 0..n_names {
        let len = c.u32()? as usize;
        let s = std::str::from_utf8(c.take(len)?)
            .map_err(|_| NetworkCodecError("a street name is not UTF-8".into()))?;
        names.push(s.to_string());
    }
    if edge_name.iter().flatten().any(|&i| i as usize >= n_names) {
        return Err(NetworkCodecError(
            "an edge names a street that does not exist".into(),
        ));
    }
    if c.at != bytes.len() {
        return Err(NetworkCodecError("trailing bytes".into()));
    }
    Ok(StreetNetwork {
        nodes,
        edges,
        edge_name,
        names,
    })
}

/// `[min_lon, min_lat, max_lon, max_lat]` of the network's nodes.
pub fn network_bbox(n: &StreetNetwork) -> Option<[f64; 4]> {
    let mut it = n.nodes.iter();
    let &(lon, lat) = it.next()?;
    let mut b = [lon, lat, lon, lat];
    for &(lon, lat) in it {
        b = [b[0].min(lon), b[1].min(lat), b[2].max(lon), b[3].max(lat)];
    }
    Some(b)
}

/// The part of a network with at least one end of each edge inside `bbox` (nodes renumbered,
/// names kept): what a bureau needs, instead of a whole city.
pub fn clip_network(n: &StreetNetwork, bbox: [f64; 4]) -> StreetNetwork {
    let inside = |(lon, lat): (f64, f64)| {
        lon >= bbox[0] && lon <= bbox[2] && lat >= bbox[1] && lat <= bbox[3]
    };
    let mut map = vec![u32::MAX; n.nodes.len()];
    let mut out = StreetNetwork {
        names: n.names.clone(),
        ..StreetNetwork::default()
    };
    for (k, &(a, b)) in n.edges.iter().enumerate() {
        let (pa, pb) = (n.nodes[a as usize], n.nodes[b as usize]);
        if !(inside(pa) || inside(pb)) {
            continue;
        }
        let mut node = |v: u32, p: (f64, f64)| {
            if map[v as usize] == u32::MAX {
                map[v as usize] = out.nodes.len() as u32;
                out.nodes.push(p);
            }
            map[v as usize]
        };
        let (na, nb) = (node(a, pa), node(b, pb));
        out.edges.push((na, nb));
        out.edge_name.push(n.edge_name.get(k).copied().flatten());
    }
    out
}

/// What `terrain import osm` did.
#[derive(Clone, Debug, Serialize)]
pub struct OsmSummary {
    pub source: String,
    /// What was read from the file.
    pub osm: OsmReport,
    /// The network's shape: components, street segments, length.
    pub graph: GraphReport,
    pub stored: StreetNetworkInfo,
    /// Size of the stored network.
    pub bytes: usize,
}

/// Reads an OpenStreetMap PBF extract and stores its walkable network for the campaign
/// (replacing any earlier one). Buildings are counted, not stored: doors come from addresses.
pub async fn import_osm<R: Read + Send>(
    target: Target<'_>,
    source: &str,
    reader: R,
) -> Result<OsmSummary, ImportError> {
    let data = read_osm_pbf(reader).map_err(|e| ImportError::Io {
        source_name: source.to_string(),
        detail: e.to_string(),
    })?;
    let network = data.network;
    let bbox = network_bbox(&network).ok_or_else(|| ImportError::Io {
        source_name: source.to_string(),
        detail: "the file has no walkable way".into(),
    })?;
    let proj = LocalProjection::new((bbox[0] + bbox[2]) / 2.0, (bbox[1] + bbox[3]) / 2.0);
    let graph = RoutingGraph::new(&network, &proj).report().clone();
    let bytes = encode_network(&network);
    let stored = target
        .store
        .put_street_network(
            target.audit,
            target.campaign,
            &NewStreetNetwork {
                source: source.to_string(),
                nodes: network.nodes.len() as u64,
                edges: network.edges.len() as u64,
                length_km: graph.length_km,
                bbox,
                data: bytes.clone(),
            },
        )
        .await?;
    Ok(OsmSummary {
        source: source.to_string(),
        osm: data.report,
        graph,
        stored,
        bytes: bytes.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> StreetNetwork {
        StreetNetwork {
            nodes: vec![(7.42, 43.73), (7.421, 43.731), (7.43, 43.74), (2.35, 48.85)],
            edges: vec![(0, 1), (1, 2), (2, 3)],
            edge_name: vec![Some(0), None, Some(1)],
            names: vec!["Boulevard des Moulins".into(), "Rue Grimaldi".into()],
        }
    }

    #[test]
    fn networks_round_trip_to_the_centimetre() {
        let n = sample();
        let back = decode_network(&encode_network(&n)).unwrap();
        assert_eq!(back.edges, n.edges);
        assert_eq!(back.edge_name, n.edge_name);
        assert_eq!(back.names, n.names);
        for (a, b) in back.nodes.iter().zip(&n.nodes) {
            assert!((a.0 - b.0).abs() < 1e-7 && (a.1 - b.1).abs() < 1e-7);
        }
        let empty = StreetNetwork::default();
        assert_eq!(decode_network(&encode_network(&empty)).unwrap(), empty);
    }

    #[test]
    fn damaged_networks_are_errors_not_panics() {
        let good = encode_network(&sample());
        assert!(decode_network(b"").is_err());
        assert!(decode_network(b"XXXX\x01").is_err());
        for cut in 0..good.len() {
            assert!(decode_network(&good[..cut]).is_err(), "cut at {cut}");
        }
        let mut bad_edge = good.clone();
        // First edge's first node (after magic, format, node count and 4 nodes).
        let at = 4 + 1 + 4 + 4 * 8 + 4;
        bad_edge[at..at + 4].copy_from_slice(&99u32.to_le_bytes());
        assert!(decode_network(&bad_edge).is_err());
        let mut huge = good.clone();
        huge[5..9].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(decode_network(&huge).is_err());
        let mut trailing = good;
        trailing.push(0);
        assert!(decode_network(&trailing).is_err());
    }

    #[test]
    fn clipping_keeps_edges_touching_the_box() {
        let n = sample();
        let c = clip_network(&n, [7.41, 43.72, 7.425, 43.735]);
        // Edges 0-1 (both inside) and 1-2 (one end inside); not 2-3.
        assert_eq!(c.edges.len(), 2);
        assert_eq!(c.nodes.len(), 3);
        assert_eq!(c.edge_name, vec![Some(0), None]);
        assert_eq!(network_bbox(&n).unwrap(), [2.35, 43.73, 7.43, 48.85]);
        assert!(network_bbox(&StreetNetwork::default()).is_none());
    }

    #[tokio::test]
    async fn the_monaco_extract_is_stored_for_a_campaign() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/osm-monaco/monaco.osm.pbf"
        );
        let Ok(file) = std::fs::File::open(path) else {
            eprintln!("SKIPPED the_monaco_extract_is_stored_for_a_campaign: {path} is absent");
            return;
        };
        let store = terrain_store::connect("sqlite::memory:").await.unwrap();
        let audit = terrain_store::Audit::cli();
        let c = store
            .create_campaign(
                &audit,
                &terrain_store::NewCampaign {
                    slug: terrain_model::Slug::parse("monaco").unwrap(),
                    name: "Monaco".into(),
                    retention_until: None,
                },
            )
            .await
            .unwrap();
        let target = Target {
            store: &*store,
            campaign: c.id,
            audit: &audit,
        };
        let s = import_osm(target, "monaco.osm.pbf", std::io::BufReader::new(file))
            .await
            .unwrap();
        assert!(s.graph.length_km > 300.0, "{} km", s.graph.length_km);
        assert!(s.osm.buildings > 10_000);
        let bytes = store.street_network_data(c.id).await.unwrap().unwrap();
        let back = decode_network(&bytes).unwrap();
        assert_eq!(back.edges.len() as u64, s.stored.edges);
        // Bad files are refused and leave the stored network as it was.
        let bad = import_osm(target, "garbage.osm.pbf", &b"garbage"[..]).await;
        assert!(matches!(bad, Err(ImportError::Io { .. })));
        assert_eq!(
            store
                .street_network_info(c.id)
                .await
                .unwrap()
                .unwrap()
                .source,
            "monaco.osm.pbf"
        );
    }
}
