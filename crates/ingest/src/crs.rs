//! Coordinate systems met in French files: WGS84 longitude/latitude and Lambert-93 (EPSG:2154),
//! told apart by the coordinates themselves, and converted with `proj4rs` (pure Rust).

use proj4rs::proj::Proj;
use serde::{Deserialize, Serialize};

/// The coordinate system of a file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Crs {
    /// Decided from the coordinates (a declared CRS is checked against them, not trusted: the
    /// Lyon 2012 shapefile declares RGF93/CC46 over WGS84 coordinates).
    #[default]
    Auto,
    /// WGS84 longitude, latitude in degrees (EPSG:4326 / CRS84).
    Wgs84,
    /// RGF93 / Lambert-93 metres (EPSG:2154), metropolitan France.
    Lambert93,
}

/// What a coordinate pair looks like.
pub(crate) fn classify(x: f64, y: f64) -> Option<Crs> {
    if !x.is_finite() || !y.is_finite() {
        return None;
    }
    if (-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y) {
        return Some(Crs::Wgs84);
    }
    // Lambert-93's domain (metropolitan France and Corsica), with a margin.
    if (-100_000.0..=1_400_000.0).contains(&x) && (5_900_000.0..=7_300_000.0).contains(&y) {
        return Some(Crs::Lambert93);
    }
    None
}

/// Lambert-93 → WGS84.
pub struct Lambert93 {
    from: Proj,
    to: Proj,
}

impl std::fmt::Debug for Lambert93 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Lambert93")
    }
}

impl Lambert93 {
    /// The EPSG:2154 definition (RGF93 is WGS84-compatible at the metre: no datum shift).
    pub const PROJ: &'static str = "+proj=lcc +lat_0=46.5 +lon_0=3 +lat_1=49 +lat_2=44 +x_0=700000 \
         +y_0=6600000 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs";

    pub fn new() -> Self {
        // Both definitions are constants tested below: failing to parse them is a bug here.
        #[allow(clippy::expect_used)]
        let from = Proj::from_proj_string(Self::PROJ).expect("valid Lambert-93 definition");
        #[allow(clippy::expect_used)]
        let to = Proj::from_proj_string("+proj=longlat +ellps=WGS84 +datum=WGS84 +no_defs")
            .expect("valid WGS84 definition");
        Self { from, to }
    }

    /// Converts metres to (longitude, latitude) in degrees.
    pub fn to_wgs84(&self, x: f64, y: f64) -> Option<(f64, f64)> {
        let mut p = (x, y, 0.0);
        proj4rs::transform::transform(&self.from, &self.to, &mut p).ok()?;
        let (lon, lat) = (p.0.to_degrees(), p.1.to_degrees());
        (lon.is_finite() && lat.is_finite()).then_some((lon, lat))
    }
}

impl Default for Lambert93 {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambert93_matches_the_ban_own_coordinates() {
        // BAN Paris rows give both: x;y;lon;lat (every row is checked in ban.rs's tests).
        let l = Lambert93::new();
        for (x, y, lon, lat) in [
            (650852.91, 6862571.27, 2.330113, 48.861299),
            (650873.96, 6862544.4, 2.330403, 48.861059),
        ] {
            // The BAN rounds lon/lat to 6 decimals (~0.1 m).
            let (a, b) = l.to_wgs84(x, y).unwrap();
            let tol = 2e-6;
            assert!(
                (a - lon).abs() < tol && (b - lat).abs() < tol,
                "{x},{y} → {a},{b}, want {lon},{lat}"
            );
        }
    }

    #[test]
    fn coordinates_tell_their_system() {
        assert_eq!(classify(2.33, 48.86), Some(Crs::Wgs84));
        assert_eq!(classify(650852.91, 6862571.27), Some(Crs::Lambert93));
        assert_eq!(classify(48.86e6, 2.33), None);
        assert_eq!(classify(f64::NAN, 1.0), None);
    }
}
