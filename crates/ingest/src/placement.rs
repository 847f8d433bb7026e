//! Placing each address in its bureau de vote and its IRIS, and estimating its doors.
//!
//! **Bureau.** When INSEE's REU table is loaded, an address takes the bureau of the nearest
//! REU point of the same commune within [`Placer::reu_max_metres`] (the REU is the electoral
//! roll itself: it beats geometry). Otherwise the bureau whose contour contains the address
//! (an R-tree of the contours' bounding boxes, then an exact point-in-polygon test); an address
//! just outside every contour (parks, gaps between polygons, contours older than the address)
//! takes the nearest contour within [`Placer::nearest_max_metres`]. **IRIS**: point-in-polygon
//! the same way.
//!
//! **Doors** ([`spread_doors`]): a bureau's dwellings are estimated as its registered voters
//! divided by [`REGISTERED_PER_DWELLING`] (1.4, the ratio LMP's 2012 field campaign used),
//! rounded, then spread evenly over the bureau's addresses in BAN-id order, the remainder going
//! one door each to the first addresses; every address gets at least one door. The BAN says
//! nothing about dwellings, so this is a starting point that walkers correct in the field.

use crate::addresses::{BanAddress, ReuAddress};
use crate::contours::Contour;
use geo::{BoundingRect, Contains, Distance, Euclidean, MultiPolygon, Point};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use terrain_model::{BureauId, CommuneCode, IrisCode};

/// Registered voters per dwelling used to estimate doors.
pub const REGISTERED_PER_DWELLING: f64 = 1.4;

/// Metres per degree of latitude.
const M_PER_DEG: f64 = 111_320.0;

type Boxed = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// Contours indexed for point queries.
pub struct PolygonIndex {
    tree: RTree<Boxed>,
    items: Vec<(String, MultiPolygon<f64>)>,
}

impl PolygonIndex {
    /// Indexes contours (their order breaks ties on shared borders: the first wins).
    pub fn new(contours: impl IntoIterator<Item = Contour>) -> Self {
        let items: Vec<(String, MultiPolygon<f64>)> =
            contours.into_iter().map(|c| (c.code, c.geometry)).collect();
        let boxes = items
            .iter()
            .enumerate()
            .filter_map(|(i, (_, g))| {
                let r = g.bounding_rect()?;
                Some(GeomWithData::new(
                    Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                    i,
                ))
            })
            .collect();
        Self {
            tree: RTree::bulk_load(boxes),
            items,
        }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The code of the contour containing the point.
    pub fn locate(&self, lon: f64, lat: f64) -> Option<&str> {
        let p = Point::new(lon, lat);
        let mut hits: Vec<usize> = self
            .tree
            .locate_in_envelope_intersecting(AABB::from_point([lon, lat]))
            .map(|b| b.data)
            .filter(|i| self.items[*i].1.contains(&p))
            .collect();
        hits.sort_unstable();
        hits.first().map(|i| self.items[*i].0.as_str())
    }

    /// The code of the nearest contour within `max_metres` (0 when inside), with the distance.
    pub fn nearest(&self, lon: f64, lat: f64, max_metres: f64) -> Option<(&str, f64)> {
        let d = max_metres / M_PER_DEG;
        let kx = lat.to_radians().cos().max(0.1);
        let env = AABB::from_corners([lon - d / kx, lat - d], [lon + d / kx, lat + d]);
        let p = Point::new(lon, lat);
        self.tree
            .locate_in_envelope_intersecting(env)
            .map(|b| b.data)
            .map(|i| {
                let (code, g) = &self.items[i];
                // Degrees to metres, longitude shrunk by cos(latitude): fine at these distances.
                let scaled = scale(g, kx);
                let m = Euclidean.distance(&Point::new(p.x() * kx, p.y()), &scaled) * M_PER_DEG;
                (i, code.as_str(), m)
            })
            .filter(|(_, _, m)| *m <= max_metres)
            .min_by(|a, b| a.2.total_cmp(&b.2).then(a.0.cmp(&b.0)))
            .map(|(_, c, m)| (c, m))
    }
}

fn scale(g: &MultiPolygon<f64>, kx: f64) -> MultiPolygon<f64> {
    use geo::MapCoords;
    g.map_coords(|c| geo::Coord {
        x: c.x * kx,
        y: c.y,
    })
}

type RePoint = GeomWithData<[f64; 2], usize>;

/// REU points indexed for nearest-neighbour queries.
pub struct ReuIndex {
    tree: RTree<RePoint>,
    rows: Vec<(BureauId, CommuneCode)>,
}

impl ReuIndex {
    pub fn new(rows: impl IntoIterator<Item = ReuAddress>) -> Self {
        let mut pts = Vec::new();
        let mut data = Vec::new();
        for r in rows {
            // Longitude shrunk by cos(latitude), so that Euclidean distance ≈ ground distance.
            pts.push(GeomWithData::new(
                [r.lon * r.lat.to_radians().cos(), r.lat],
                data.len(),
            ));
            data.push((r.bureau, r.commune));
        }
        Self {
            tree: RTree::bulk_load(pts),
            rows: data,
        }
    }

    /// The bureau of the nearest REU point of `commune` within `max_metres`.
    pub fn bureau(
        &self,
        commune: &CommuneCode,
        lon: f64,
        lat: f64,
        max_metres: f64,
    ) -> Option<&BureauId> {
        let q = [lon * lat.to_radians().cos(), lat];
        let max_deg2 = (max_metres / M_PER_DEG).powi(2);
        let city = commune.plm_city().unwrap_or_else(|| commune.clone());
        self.tree
            .nearest_neighbor_iter_with_distance_2(q)
            .take_while(|(_, d2)| *d2 <= max_deg2)
            .map(|(p, _)| &self.rows[p.data])
            .find(|(b, c)| c == commune || b.commune() == city)
            .map(|(b, _)| b)
    }
}

/// How an address got its bureau.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BureauSource {
    /// The nearest point of the REU table.
    Reu,
    /// Inside a bureau contour.
    Contour,
    /// Outside every contour, but near one.
    NearestContour,
    /// Given by the input file.
    File,
    /// Not placed.
    None,
}

/// An address with its bureau, IRIS and estimated doors.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlacedAddress {
    pub address: BanAddress,
    pub bureau: Option<BureauId>,
    pub bureau_source: BureauSource,
    pub iris: Option<IrisCode>,
    pub doors_estimated: u32,
}

/// Places addresses. Build it with the layers you have.
pub struct Placer {
    pub bureaux: Option<PolygonIndex>,
    pub iris: Option<PolygonIndex>,
    pub reu: Option<ReuIndex>,
    /// Furthest REU point accepted (default 60 m).
    pub reu_max_metres: f64,
    /// Furthest contour accepted for an address outside every contour (default 50 m).
    pub nearest_max_metres: f64,
}

impl Default for Placer {
    fn default() -> Self {
        Self {
            bureaux: None,
            iris: None,
            reu: None,
            reu_max_metres: 60.0,
            nearest_max_metres: 50.0,
        }
    }
}

impl Placer {
    /// Places one address (doors are set later by [`assign_doors`]).
    pub fn place(&self, a: BanAddress) -> PlacedAddress {
        let (mut bureau, mut source) = (None, BureauSource::None);
        if let Some(reu) = &self.reu
            && let Some(b) = reu.bureau(&a.commune, a.lon, a.lat, self.reu_max_metres)
        {
            bureau = Some(b.clone());
            source = BureauSource::Reu;
        }
        if bureau.is_none()
            && let Some(idx) = &self.bureaux
        {
            if let Some(code) = idx.locate(a.lon, a.lat) {
                bureau = BureauId::parse(code).ok();
                source = BureauSource::Contour;
            } else if let Some((code, _)) = idx.nearest(a.lon, a.lat, self.nearest_max_metres) {
                bureau = BureauId::parse(code).ok();
                source = BureauSource::NearestContour;
            }
        }
        if bureau.is_none() && a.bureau.is_some() {
            bureau = a.bureau.clone();
            source = BureauSource::File;
        }
        let iris = match &self.iris {
            Some(idx) => idx
                .locate(a.lon, a.lat)
                .or_else(|| {
                    idx.nearest(a.lon, a.lat, self.nearest_max_metres)
                        .map(|(c, _)| c)
                })
                .and_then(|c| IrisCode::parse(c).ok()),
            None => a.iris.clone(),
        };
        PlacedAddress {
            address: a,
            bureau,
            bureau_source: source,
            iris,
            doors_estimated: 1,
        }
    }
}

/// Dwellings of a bureau spread over its addresses (see the module documentation).
pub fn spread_doors(registered: u64, addresses: usize) -> Vec<u32> {
    if addresses == 0 {
        return Vec::new();
    }
    let dwellings = (registered as f64 / REGISTERED_PER_DWELLING).round() as u64;
    let n = addresses as u64;
    let (base, rest) = (dwellings / n, dwellings % n);
    (0..n)
        .map(|i| {
            let d = base + u64::from(i < rest);
            u32::try_from(d.max(1)).unwrap_or(u32::MAX)
        })
        .collect()
}

/// The doors of the `rank`-th address (0-based, in BAN-id order) of a bureau with `addresses`
/// addresses and `registered` voters: the same rule as [`spread_doors`], one address at a
/// time, for a store that estimates doors after a streamed import.
pub fn doors_at(registered: u64, addresses: usize, rank: usize) -> u32 {
    if addresses == 0 {
        return 1;
    }
    let dwellings = (registered as f64 / REGISTERED_PER_DWELLING).round() as u64;
    let n = addresses as u64;
    let d = dwellings / n + u64::from((rank as u64) < dwellings % n);
    u32::try_from(d.max(1)).unwrap_or(u32::MAX)
}

/// Sets `doors_estimated` on every address from its bureau's registered voters (addresses with
/// no bureau, or a bureau with no known count, keep one door).
pub fn assign_doors(addresses: &mut [PlacedAddress], registered: &HashMap<BureauId, u64>) {
    let mut by_bureau: HashMap<&BureauId, Vec<usize>> = HashMap::new();
    for (i, a) in addresses.iter().enumerate() {
        if let Some(b) = &a.bureau {
            by_bureau.entry(b).or_default().push(i);
        }
    }
    let mut plan: Vec<(usize, u32)> = Vec::with_capacity(addresses.len());
    for (b, mut idx) in by_bureau {
        let Some(r) = registered.get(b) else { continue };
        idx.sort_by(|x, y| {
            addresses[*x]
                .address
                .ban_id
                .cmp(&addresses[*y].address.ban_id)
        });
        plan.extend(idx.iter().copied().zip(spread_doors(*r, idx.len())));
    }
    for a in addresses.iter_mut() {
        a.doors_estimated = 1;
    }
    for (i, d) in plan {
        addresses[i].doors_estimated = d;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addresses::{AddressOptions, BanReader};
    use crate::contours::{ContourKind, ContourMapping, ContoursOptions, read_contours};
    use crate::testutil::shared_bytes;
    use proptest::prelude::*;

    fn square(code: &str, x0: f64, y0: f64, side: f64) -> Contour {
        let ring = geo::LineString::from(vec![
            (x0, y0),
            (x0 + side, y0),
            (x0 + side, y0 + side),
            (x0, y0 + side),
            (x0, y0),
        ]);
        Contour {
            kind: ContourKind::Bureau,
            code: code.into(),
            name: None,
            geometry: MultiPolygon::new(vec![geo::Polygon::new(ring, vec![])]),
            valid: true,
        }
    }

    fn addr(id: &str, lon: f64, lat: f64) -> BanAddress {
        BanAddress {
            ban_id: id.into(),
            number: None,
            rep: None,
            street: "Rue".into(),
            postcode: None,
            commune: CommuneCode::parse("01001").unwrap(),
            commune_name: String::new(),
            lon,
            lat,
            bureau: None,
            iris: None,
        }
    }

    #[test]
    fn point_in_polygon_then_nearest_then_reu_first() {
        let idx = PolygonIndex::new(vec![
            square("01001_0001", 5.0, 46.0, 0.01),
            square("01001_0002", 5.01, 46.0, 0.01),
        ]);
        assert_eq!(idx.locate(5.005, 46.005), Some("01001_0001"));
        assert_eq!(idx.locate(5.015, 46.005), Some("01001_0002"));
        assert_eq!(idx.locate(5.03, 46.005), None);
        // 0.0003° east of the second square at 46°N ≈ 23 m.
        let (code, m) = idx.nearest(5.0203, 46.005, 50.0).unwrap();
        assert_eq!(code, "01001_0002");
        assert!((15.0..30.0).contains(&m), "{m}");
        let mut placer = Placer {
            bureaux: Some(idx),
            ..Default::default()
        };
        assert_eq!(
            placer.place(addr("a", 5.0203, 46.005)).bureau_source,
            BureauSource::NearestContour
        );
        assert_eq!(
            placer.place(addr("a", 5.1, 46.005)).bureau_source,
            BureauSource::None
        );
        placer.reu = Some(ReuIndex::new(vec![ReuAddress {
            bureau: BureauId::parse("01001_0003").unwrap(),
            commune: CommuneCode::parse("01001").unwrap(),
            lon: 5.0051,
            lat: 46.0051,
            geo_type: None,
            geo_score: None,
            addresses: 1,
        }]));
        let p = placer.place(addr("a", 5.005, 46.005));
        assert_eq!(
            (p.bureau.unwrap().as_str(), p.bureau_source),
            ("01001_0003", BureauSource::Reu)
        );
        // Too far from the REU point: back to the contours.
        assert_eq!(
            placer.place(addr("a", 5.015, 46.005)).bureau_source,
            BureauSource::Contour
        );
    }

    #[test]
    fn doors_are_spread_with_the_remainder_first() {
        assert_eq!(spread_doors(14, 3), vec![4, 3, 3]);
        assert_eq!(spread_doors(1, 3), vec![1, 1, 1], "at least one door each");
        assert!(spread_doors(100, 0).is_empty());
        let mut placed: Vec<PlacedAddress> = ["b", "a", "c"]
            .iter()
            .map(|id| PlacedAddress {
                address: addr(id, 5.0, 46.0),
                bureau: BureauId::parse("01001_0001").ok(),
                bureau_source: BureauSource::Contour,
                iris: None,
                doors_estimated: 0,
            })
            .collect();
        let reg = HashMap::from([(BureauId::parse("01001_0001").unwrap(), 14)]);
        assign_doors(&mut placed, &reg);
        let d: Vec<(String, u32)> = placed
            .iter()
            .map(|p| (p.address.ban_id.clone(), p.doors_estimated))
            .collect();
        assert_eq!(
            d,
            [
                ("b".to_string(), 3),
                ("a".to_string(), 4),
                ("c".to_string(), 3)
            ]
        );
    }

    proptest! {
        #[test]
        fn spread_doors_sums_to_the_dwellings(registered in 0u64..100_000, n in 1usize..500) {
            let d = spread_doors(registered, n);
            let dwellings = (registered as f64 / REGISTERED_PER_DWELLING).round() as u64;
            let sum: u64 = d.iter().map(|x| u64::from(*x)).sum();
            prop_assert_eq!(d.len(), n);
            // Σ doors = the dwellings, or one per address when there are fewer dwellings.
            prop_assert_eq!(sum, dwellings.max(n as u64));
            let (mx, mn) = (d.iter().max().unwrap(), d.iter().min().unwrap());
            prop_assert!(mx - mn <= 1);
            for (rank, doors) in d.iter().enumerate() {
                prop_assert_eq!(doors_at(registered, n, rank), *doors);
            }
        }
    }

    /// Our placement of every Paris BAN address agrees with the derived file's (same 2017
    /// bureau polygons, same 2013 IRIS polygons, computed independently).
    #[test]
    fn paris_addresses_placed_as_the_reference_file() {
        let (Some(ban), Some(bv), Some(iris)) = (
            shared_bytes("paris-75/ban-adresses/adresses-75_bureau2017_iris2013.csv.gz"),
            shared_bytes("paris-75/bureaux-de-vote-2017/secteurs-des-bureaux-de-vote.geojson"),
            shared_bytes("paris-75/iris-et-bureaux-2011-2013/paris_iris_2013_wgs84.geojson"),
        ) else {
            return;
        };
        let bv = read_contours(
            &bv[..],
            ContoursOptions {
                kind: ContourKind::Bureau,
                mapping: Some(ContourMapping::paris_2017()),
                ..Default::default()
            },
        )
        .unwrap()
        .0;
        let iris = read_contours(
            &iris[..],
            ContoursOptions {
                kind: ContourKind::Iris,
                ..Default::default()
            },
        )
        .unwrap()
        .0;
        let placer = Placer {
            bureaux: Some(PolygonIndex::new(bv)),
            iris: Some(PolygonIndex::new(iris)),
            nearest_max_metres: 0.0,
            ..Default::default()
        };
        let (mut n, mut same_bv, mut ref_bv, mut same_iris, mut ref_iris) = (0, 0, 0, 0, 0);
        for a in BanReader::new(&ban[..], AddressOptions::default())
            .unwrap()
            .step_by(5)
        {
            let a = a.unwrap();
            let (want_bv, want_iris) = (a.bureau.clone(), a.iris.clone());
            let p = placer.place(BanAddress {
                bureau: None,
                iris: None,
                ..a
            });
            n += 1;
            if want_bv.is_some() {
                ref_bv += 1;
                same_bv += usize::from(p.bureau == want_bv);
            }
            if want_iris.is_some() {
                ref_iris += 1;
                same_iris += usize::from(p.iris == want_iris);
            }
        }
        assert!(n > 30_000);
        assert!(
            same_bv as f64 >= 0.999 * ref_bv as f64,
            "{same_bv}/{ref_bv}"
        );
        assert!(
            same_iris as f64 >= 0.999 * ref_iris as f64,
            "{same_iris}/{ref_iris}"
        );
    }
}
