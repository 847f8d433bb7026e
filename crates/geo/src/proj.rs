//! Coordinate systems: Lambert-93 ↔ WGS84, and a local metric projection for distances.
//!
//! French official files carry positions in Lambert-93 (EPSG:2154, BAN `x`/`y`, IGN contours)
//! or in WGS84 longitude/latitude (BAN `lon`/`lat`, OpenStreetMap, GeoJSON). [`Lambert93`] converts
//! between the two with `proj4rs` (pure Rust). Turf cutting and routing need distances in metres
//! between nearby points: [`LocalProjection`] maps WGS84 to a plane in metres around a centre,
//! accurate to better than 0.1 % within about 100 km of it, which covers a commune or a
//! department; it also works outside France (Monaco, overseas departments), where Lambert-93 does not.

use proj4rs::proj::Proj;
use serde::{Deserialize, Serialize};

/// Semi-major axis of the GRS80/WGS84 ellipsoid, metres.
const A: f64 = 6_378_137.0;
/// First eccentricity squared of GRS80 (WGS84 differs in the 11th digit).
const E2: f64 = 0.006_694_380_022_900_787;

/// Lambert-93 (RGF93 / EPSG:2154), the official French metric projection.
const LAMBERT93: &str = "+proj=lcc +lat_0=46.5 +lon_0=3 +lat_1=49 +lat_2=44 +x_0=700000 +y_0=6600000 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs";
const WGS84: &str = "+proj=longlat +ellps=WGS84 +datum=WGS84 +no_defs";

/// A projection failure.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ProjError {
    /// proj4rs rejected a projection definition (a bug here, not an input problem).
    #[error("projection definition rejected by proj4rs: {0}")]
    Definition(String),
    /// The point could not be transformed (outside the projection's domain, or not finite).
    #[error("cannot transform point ({x}, {y}): {reason}")]
    Transform { x: f64, y: f64, reason: String },
}

/// Converter between Lambert-93 (metres) and WGS84 (degrees).
#[derive(Debug)]
pub struct Lambert93 {
    lambert: Proj,
    wgs84: Proj,
}

impl Lambert93 {
    /// Builds the converter (parses the two projection definitions once).
    pub fn new() -> Result<Self, ProjError> {
        let lambert =
            Proj::from_proj_string(LAMBERT93).map_err(|e| ProjError::Definition(e.to_string()))?;
        let wgs84 =
            Proj::from_proj_string(WGS84).map_err(|e| ProjError::Definition(e.to_string()))?;
        Ok(Self { lambert, wgs84 })
    }

    /// Lambert-93 `(x, y)` in metres to WGS84 `(lon, lat)` in degrees.
    pub fn to_wgs84(&self, x: f64, y: f64) -> Result<(f64, f64), ProjError> {
        if !x.is_finite() || !y.is_finite() {
            return Err(ProjError::Transform {
                x,
                y,
                reason: "coordinate is not a finite number".into(),
            });
        }
        let mut p = (x, y, 0.0);
        proj4rs::transform::transform(&self.lambert, &self.wgs84, &mut p).map_err(|e| {
            ProjError::Transform {
                x,
                y,
                reason: e.to_string(),
            }
        })?;
        Ok((p.0.to_degrees(), p.1.to_degrees()))
    }

    /// WGS84 `(lon, lat)` in degrees to Lambert-93 `(x, y)` in metres.
    pub fn from_wgs84(&self, lon: f64, lat: f64) -> Result<(f64, f64), ProjError> {
        if !valid_lon_lat(lon, lat) {
            return Err(ProjError::Transform {
                x: lon,
                y: lat,
                reason: "longitude/latitude out of range".into(),
            });
        }
        let mut p = (lon.to_radians(), lat.to_radians(), 0.0);
        proj4rs::transform::transform(&self.wgs84, &self.lambert, &mut p).map_err(|e| {
            ProjError::Transform {
                x: lon,
                y: lat,
                reason: e.to_string(),
            }
        })?;
        Ok((p.0, p.1))
    }
}

/// True when `lon`/`lat` are finite degrees within their ranges.
pub fn valid_lon_lat(lon: f64, lat: f64) -> bool {
    lon.is_finite()
        && lat.is_finite()
        && (-180.0..=180.0).contains(&lon)
        && (-90.0..=90.0).contains(&lat)
}

/// A local metric projection centred on an area: WGS84 degrees → plane metres.
///
/// Sinusoidal-type mapping on the ellipsoid: `y` is the meridian arc from the centre latitude
/// (radius of curvature of the meridian at the centre), `x` the parallel arc at the point's own
/// latitude. Distances between points a few kilometres apart are exact to about 10⁻⁵; the scale
/// error grows with the square of the distance from the central meridian (≈ 0.1 % at 100 km).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LocalProjection {
    lon0: f64,
    lat0: f64,
    /// Metres per radian of latitude at `lat0`.
    meridian_radius: f64,
}

impl LocalProjection {
    /// A projection centred on `(lon0, lat0)` degrees.
    pub fn new(lon0: f64, lat0: f64) -> Self {
        let phi = lat0.to_radians();
        let s = phi.sin();
        let w = (1.0 - E2 * s * s).sqrt();
        let meridian_radius = A * (1.0 - E2) / (w * w * w);
        Self {
            lon0,
            lat0,
            meridian_radius,
        }
    }

    /// A projection centred on the middle of the bounding box of the valid points given;
    /// `None` when there is none.
    pub fn centred_on(points: impl IntoIterator<Item = (f64, f64)>) -> Option<Self> {
        let mut bbox: Option<(f64, f64, f64, f64)> = None;
        for (lon, lat) in points {
            if !valid_lon_lat(lon, lat) {
                continue;
            }
            bbox = Some(match bbox {
                None => (lon, lat, lon, lat),
                Some((a, b, c, d)) => (a.min(lon), b.min(lat), c.max(lon), d.max(lat)),
            });
        }
        bbox.map(|(a, b, c, d)| Self::new((a + c) / 2.0, (b + d) / 2.0))
    }

    /// The centre `(lon, lat)` in degrees.
    pub fn centre(&self) -> (f64, f64) {
        (self.lon0, self.lat0)
    }

    /// Degrees to metres east/north of the centre.
    pub fn project(&self, lon: f64, lat: f64) -> [f64; 2] {
        let phi = lat.to_radians();
        let s = phi.sin();
        let normal_radius = A / (1.0 - E2 * s * s).sqrt();
        let x = normal_radius * phi.cos() * (lon - self.lon0).to_radians();
        let y = self.meridian_radius * (lat - self.lat0).to_radians();
        [x, y]
    }

    /// Metres back to degrees (inverse of [`Self::project`]).
    pub fn unproject(&self, p: [f64; 2]) -> (f64, f64) {
        let lat = self.lat0 + (p[1] / self.meridian_radius).to_degrees();
        let phi = lat.to_radians();
        let s = phi.sin();
        let normal_radius = A / (1.0 - E2 * s * s).sqrt();
        let c = normal_radius * phi.cos();
        let lon = if c.abs() < 1e-9 {
            self.lon0
        } else {
            self.lon0 + (p[0] / c).to_degrees()
        };
        (lon, lat)
    }
}

/// Euclidean distance between two projected points, metres.
#[inline]
pub fn dist(a: [f64; 2], b: [f64; 2]) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
}

/// Squared Euclidean distance between two projected points.
#[inline]
pub fn dist2(a: [f64; 2], b: [f64; 2]) -> f64 {
    (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Real BAN rows (Paris, `adresses-75.csv.gz`): Lambert-93 x, y and WGS84 lon, lat of the
    /// same address, as published. See testdata/PROVENANCE.md.
    fn ban_points() -> Vec<(String, f64, f64, f64, f64)> {
        let text = include_str!("../testdata/ban-75-lambert93-wgs84.csv");
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(b';')
            .from_reader(text.as_bytes());
        rdr.records()
            .map(|r| {
                let r = r.unwrap();
                (
                    r[0].to_string(),
                    r[1].parse().unwrap(),
                    r[2].parse().unwrap(),
                    r[3].parse().unwrap(),
                    r[4].parse().unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn lambert93_matches_published_ban_positions() {
        let l93 = Lambert93::new().unwrap();
        let local = LocalProjection::new(2.35, 48.86);
        let points = ban_points();
        assert!(points.len() >= 20);
        for (id, x, y, lon, lat) in points {
            let (x2, y2) = l93.from_wgs84(lon, lat).unwrap();
            // BAN lon/lat have 6 decimals (≈ 0.1 m); x/y have 2.
            let err = ((x - x2).powi(2) + (y - y2).powi(2)).sqrt();
            assert!(err < 0.5, "{id}: forward error {err} m");
            let (lon2, lat2) = l93.to_wgs84(x, y).unwrap();
            let back = dist(local.project(lon, lat), local.project(lon2, lat2));
            assert!(back < 0.5, "{id}: inverse error {back} m");
        }
    }

    #[test]
    fn local_distances_agree_with_lambert93_in_paris() {
        // Lambert-93's scale factor at 48.86° N is within 2·10⁻⁴ of 1 (standard parallel 49°).
        let l93 = Lambert93::new().unwrap();
        let points = ban_points();
        let local = LocalProjection::centred_on(points.iter().map(|p| (p.3, p.4))).unwrap();
        for w in points.windows(2) {
            let (a, b) = (&w[0], &w[1]);
            let d93 = ((a.1 - b.1).powi(2) + (a.2 - b.2).powi(2)).sqrt();
            let dl = dist(local.project(a.3, a.4), local.project(b.3, b.4));
            if d93 > 200.0 {
                let rel = (d93 - dl).abs() / d93;
                assert!(rel < 5e-4, "{} → {}: {d93} vs {dl}", a.0, b.0);
            }
            let _ = l93.from_wgs84(a.3, a.4).unwrap();
        }
    }

    #[test]
    fn invalid_points_are_errors_not_panics() {
        let l93 = Lambert93::new().unwrap();
        assert!(l93.from_wgs84(f64::NAN, 48.0).is_err());
        assert!(l93.from_wgs84(2.0, 95.0).is_err());
        assert!(l93.to_wgs84(f64::INFINITY, 6.8e6).is_err());
        assert!(LocalProjection::centred_on([(f64::NAN, 1.0)]).is_none());
    }

    proptest! {
        #[test]
        fn local_projection_round_trips(lon in -10.0f64..10.0, lat in 40.0f64..52.0,
                                        dx in -0.5f64..0.5, dy in -0.5f64..0.5) {
            let p = LocalProjection::new(lon, lat);
            let q = p.project(lon + dx, lat + dy);
            let (lon2, lat2) = p.unproject(q);
            prop_assert!((lon2 - lon - dx).abs() < 1e-9);
            prop_assert!((lat2 - lat - dy).abs() < 1e-9);
        }

        #[test]
        fn lambert93_round_trips(lon in -5.0f64..9.5, lat in 41.5f64..51.0) {
            let l93 = Lambert93::new().unwrap();
            let (x, y) = l93.from_wgs84(lon, lat).unwrap();
            let (lon2, lat2) = l93.to_wgs84(x, y).unwrap();
            prop_assert!((lon2 - lon).abs() < 1e-8 && (lat2 - lat).abs() < 1e-8);
        }
    }
}
