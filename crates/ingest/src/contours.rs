//! Contours as GeoJSON: bureaux de vote, IRIS and communes, reprojected to WGS84 when needed.
//!
//! - Etalab/INSEE bureau contours: `codeBureauVote` (`01001_0001`), or `codeCommune` +
//!   `numeroBureauVote`, or `id_bv` (`01001_1`).
//! - City layers with their own property names through a [`ContourMapping`] (presets for
//!   Paris 2017, `arrondissement` + `num_bv`, and Lyon 2012, `code_bureau_ministere`).
//! - IGN IRIS contours: `CODE_IRIS` (recent editions) or `DCOMIRIS` (2013), or `INSEE_COM` +
//!   `IRIS`; often in Lambert-93.
//! - Communes: `code`, `INSEE_COM` or `insee`.
//!
//! The coordinate system is read off the coordinates (WGS84 or Lambert-93, see [`crate::crs`]);
//! a `crs` member that contradicts them is reported, and coordinates that are neither are an
//! error naming the feature. Invalid polygons (self-intersections…) are kept and reported:
//! point-in-polygon still works on them, and the user learns which ones to fix.

use crate::crs::{Crs, Lambert93, classify};
use crate::error::{IngestError, Location, Warning, WarningKind, Warnings};
use crate::gzip::{GzipLimits, maybe_gunzip};
use crate::text::{fold, zfill};
use geo::{Coord, LineString, MultiPolygon, Polygon, Validation};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read};
use terrain_model::{BureauId, CommuneCode, IrisCode};

/// What the polygons are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContourKind {
    #[default]
    Bureau,
    Iris,
    Commune,
}

/// Which properties hold the code, for layers that do not use the official names.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ContourMapping {
    /// A property holding the full code (`75056_0810`, `751010101`, `69001`).
    pub code: Option<String>,
    /// A property holding the INSEE commune.
    pub commune: Option<String>,
    /// The commune of every feature, when the layer is one city's (`75056`, `69123`).
    pub commune_code: Option<CommuneCode>,
    /// A property holding the arrondissement number, put before the bureau number (Paris:
    /// arrondissement 19, bureau 5 → `1905`).
    pub arrondissement: Option<String>,
    /// A property holding the bureau's code or number within the commune (or arrondissement).
    pub number: Option<String>,
    /// A property holding a name.
    pub name: Option<String>,
}

impl ContourMapping {
    /// Paris open data "secteurs des bureaux de vote" (2017): `arrondissement` + `num_bv`.
    pub fn paris_2017() -> Self {
        Self {
            commune_code: CommuneCode::parse("75056").ok(),
            arrondissement: Some("arrondissement".into()),
            number: Some("num_bv".into()),
            ..Default::default()
        }
    }

    /// Lyon 2012 contours (Grand Lyon): `code_bureau_ministere` (`0112`).
    pub fn lyon_2012() -> Self {
        Self {
            commune_code: CommuneCode::parse("69123").ok(),
            number: Some("code_bureau_ministere".into()),
            name: Some("nom".into()),
            ..Default::default()
        }
    }
}

/// Options for a contours file.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ContoursOptions {
    pub source: String,
    pub kind: ContourKind,
    pub mapping: Option<ContourMapping>,
    pub crs: Crs,
    pub gzip: GzipLimits,
}

/// One polygon (or multipolygon) with its normalised code, in WGS84.
#[derive(Clone, Debug, PartialEq)]
pub struct Contour {
    pub kind: ContourKind,
    /// `BureauId`, `IrisCode` or `CommuneCode` as text, normalised.
    pub code: String,
    pub name: Option<String>,
    pub geometry: MultiPolygon<f64>,
    /// Whether the polygon passed `geo`'s validity checks.
    pub valid: bool,
}

/// What a contours file held.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ContoursReport {
    pub source: String,
    pub features: u64,
    pub contours: u64,
    pub invalid: u64,
    pub reprojected_from: Option<Crs>,
    pub warnings: Warnings,
}

fn prop_str(props: &Map<String, Value>, key: &str) -> Option<String> {
    let f = fold(key);
    let v = props.iter().find(|(k, _)| fold(k) == f).map(|(_, v)| v)?;
    match v {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Streams the contours of a GeoJSON FeatureCollection.
pub struct ContoursReader<'a> {
    features: Box<dyn Iterator<Item = geojson::Result<geojson::Feature>> + 'a>,
    options: ContoursOptions,
    source: String,
    lambert: Option<Lambert93>,
    crs: Option<Crs>,
    declared: Option<Crs>,
    seen: HashSet<String>,
    report: ContoursReport,
    done: bool,
}

impl<'a> ContoursReader<'a> {
    pub fn new<R: Read + 'a>(input: R, options: ContoursOptions) -> Result<Self, IngestError> {
        let source = if options.source.is_empty() {
            "contours".to_string()
        } else {
            options.source.clone()
        };
        let io = |e: std::io::Error| IngestError::Compression {
            loc: Location::file(&source),
            detail: e.to_string(),
        };
        let mut b =
            BufReader::with_capacity(1 << 16, maybe_gunzip(input, options.gzip).map_err(io)?);
        // Peek at a declared `crs` member (old GeoJSON), to compare with the coordinates.
        let head = b.fill_buf().map_err(io)?;
        if head.is_empty() {
            return Err(IngestError::Json {
                loc: Location::file(&source),
                detail: "the file is empty".into(),
            });
        }
        let head = String::from_utf8_lossy(&head[..head.len().min(4096)]).to_string();
        let declared = head.find("\"crs\"").map(|i| {
            let rest = &head[i..head.len().min(i + 300)];
            if rest.contains("2154") {
                Crs::Lambert93
            } else if rest.contains("4326") || rest.contains("CRS84") {
                Crs::Wgs84
            } else {
                Crs::Auto
            }
        });
        let features = Box::new(geojson::FeatureReader::from_reader(b).features());
        let crs = match options.crs {
            Crs::Auto => None,
            c => Some(c),
        };
        Ok(Self {
            features,
            report: ContoursReport {
                source: source.clone(),
                ..Default::default()
            },
            source,
            lambert: None,
            crs,
            declared,
            seen: HashSet::new(),
            options,
            done: false,
        })
    }

    /// What was read so far.
    pub fn report(&self) -> &ContoursReport {
        &self.report
    }

    pub fn into_report(self) -> ContoursReport {
        self.report
    }

    fn warn(&mut self, kind: WarningKind, feature: u64, msg: String) {
        self.report.warnings.push(Warning {
            kind,
            loc: Location::file(&self.source).with_field(format!("feature {feature}")),
            bureau: None,
            message: msg,
        });
    }

    fn geometry(
        &mut self,
        g: &geojson::GeometryValue,
        n: u64,
    ) -> Result<MultiPolygon<f64>, IngestError> {
        let polys: Vec<&geojson::PolygonType> = match g {
            geojson::GeometryValue::Polygon { coordinates } => vec![coordinates],
            geojson::GeometryValue::MultiPolygon { coordinates } => coordinates.iter().collect(),
            other => {
                return Err(IngestError::Geometry {
                    loc: Location::file(&self.source),
                    feature: n,
                    detail: format!(
                        "a {} where a Polygon or MultiPolygon was expected",
                        other.type_name()
                    ),
                });
            }
        };
        // Decide the CRS from the first coordinate met.
        if self.crs.is_none() {
            let first = polys
                .iter()
                .flat_map(|p| p.iter())
                .flat_map(|r| r.iter())
                .next();
            if let Some(p) = first {
                let (x, y) = (
                    p.as_slice().first().copied().unwrap_or(f64::NAN),
                    p.as_slice().get(1).copied().unwrap_or(f64::NAN),
                );
                let c = classify(x, y).ok_or_else(|| IngestError::Geometry {
                    loc: Location::file(&self.source),
                    feature: n,
                    detail: format!("coordinates ({x}, {y}) are neither WGS84 degrees nor Lambert-93 metres: wrong or unsupported CRS"),
                })?;
                self.crs = Some(c);
                if let Some(d) = self.declared
                    && d != Crs::Auto
                    && d != c
                {
                    self.warn(
                        WarningKind::Crs,
                        n,
                        format!(
                            "the file declares {d:?} but its coordinates are {c:?}: read as {c:?}"
                        ),
                    );
                }
                if c == Crs::Lambert93 {
                    self.report.reprojected_from = Some(Crs::Lambert93);
                }
            }
        }
        if self.crs == Some(Crs::Lambert93) && self.lambert.is_none() {
            self.lambert = Some(Lambert93::new());
        }
        let mut out = Vec::with_capacity(polys.len());
        for p in polys {
            let mut rings = Vec::with_capacity(p.len());
            for ring in p {
                let mut coords = Vec::with_capacity(ring.len());
                for pos in ring {
                    let s = pos.as_slice();
                    let (x, y) = match (s.first(), s.get(1)) {
                        (Some(x), Some(y)) => (*x, *y),
                        _ => {
                            return Err(IngestError::Geometry {
                                loc: Location::file(&self.source),
                                feature: n,
                                detail: "a position with fewer than 2 coordinates".into(),
                            });
                        }
                    };
                    let (lon, lat) = match &self.lambert {
                        Some(l) => l.to_wgs84(x, y).filter(|_| classify(x, y) == Some(Crs::Lambert93)),
                        None => Some((x, y)).filter(|_| classify(x, y) == Some(Crs::Wgs84)),
                    }
                    .ok_or_else(|| IngestError::Geometry {
                        loc: Location::file(&self.source),
                        feature: n,
                        detail: format!("coordinate ({x}, {y}) is not {:?} like the rest of the file: wrong CRS or corrupt coordinates", self.crs.unwrap_or(Crs::Wgs84)),
                    })?;
                    coords.push(Coord { x: lon, y: lat });
                }
                rings.push(LineString::new(coords));
            }
            let mut it = rings.into_iter();
            let Some(exterior) = it.next() else { continue };
            out.push(Polygon::new(exterior, it.collect()));
        }
        Ok(MultiPolygon::new(out))
    }

    fn code(&self, props: &Map<String, Value>) -> Result<(String, Option<String>), String> {
        let m = self.options.mapping.clone().unwrap_or_default();
        let get = |k: &Option<String>| k.as_ref().and_then(|k| prop_str(props, k));
        let name = get(&m.name).or_else(|| {
            ["nomBureauVote", "NOM_IRIS", "nom", "NOM_COM", "libelle"]
                .iter()
                .find_map(|k| prop_str(props, k))
        });
        let commune = || -> Result<CommuneCode, String> {
            if let Some(c) = &m.commune_code {
                return Ok(c.clone());
            }
            let raw = get(&m.commune)
                .or_else(|| {
                    [
                        "codeCommune",
                        "INSEE_COM",
                        "DEPCOM",
                        "code_commune",
                        "insee",
                    ]
                    .iter()
                    .find_map(|k| prop_str(props, k))
                })
                .ok_or("no commune property (codeCommune, INSEE_COM…): give one in the mapping")?;
            CommuneCode::parse(&raw).map_err(|e| e.to_string())
        };
        let code = match self.options.kind {
            ContourKind::Bureau => {
                if let Some(full) = get(&m.code).or_else(|| prop_str(props, "codeBureauVote")) {
                    BureauId::parse(&full)
                        .map_err(|e| e.to_string())?
                        .to_string()
                } else if let Some(num) = get(&m.number).or_else(|| {
                    if m.arrondissement.is_none() {
                        prop_str(props, "numeroBureauVote")
                    } else {
                        None
                    }
                }) {
                    let local = match get(&m.arrondissement) {
                        Some(a) => format!("{}{}", zfill(&a, 2), zfill(&num, 2)),
                        None => num,
                    };
                    BureauId::new(&commune()?, &local)
                        .map_err(|e| e.to_string())?
                        .to_string()
                } else if let Some(id) =
                    prop_str(props, "id_bv").filter(|s| BureauId::parse(s).is_ok())
                {
                    BureauId::parse(&id).map_err(|e| e.to_string())?.to_string()
                } else {
                    return Err("no bureau code (codeBureauVote, codeCommune + numeroBureauVote, id_bv): give the properties in the mapping (code, or commune/commune_code + number, with arrondissement for Paris, Lyon, Marseille layers)".into());
                }
            }
            ContourKind::Iris => {
                let full = get(&m.code).or_else(|| {
                    ["CODE_IRIS", "DCOMIRIS", "code_iris"]
                        .iter()
                        .find_map(|k| prop_str(props, k))
                });
                let full = match full {
                    Some(f) => f,
                    None => {
                        let four = prop_str(props, "IRIS")
                            .ok_or("no IRIS code (CODE_IRIS, DCOMIRIS, or INSEE_COM + IRIS)")?;
                        format!("{}{}", commune()?, four)
                    }
                };
                IrisCode::parse(&full)
                    .map_err(|e| e.to_string())?
                    .to_string()
            }
            ContourKind::Commune => {
                let c = get(&m.code)
                    .or_else(|| {
                        ["code", "INSEE_COM", "insee", "codeCommune", "DEPCOM"]
                            .iter()
                            .find_map(|k| prop_str(props, k))
                    })
                    .ok_or("no commune code property")?;
                CommuneCode::parse(&c)
                    .map_err(|e| e.to_string())?
                    .to_string()
            }
        };
        Ok((code, name))
    }

    fn step(&mut self) -> Result<Option<Contour>, IngestError> {
        loop {
            if self.done {
                return Ok(None);
            }
            let Some(f) = self.features.next() else {
                self.done = true;
                return Ok(None);
            };
            let n = self.report.features + 1;
            let f = f.map_err(|e| IngestError::Json {
                loc: Location::file(&self.source).with_field(format!("feature {n}")),
                detail: e.to_string(),
            })?;
            self.report.features = n;
            let props = f.properties.unwrap_or_default();
            let Some(geom) = f.geometry else {
                self.warn(WarningKind::Skipped, n, "no geometry; skipped".into());
                continue;
            };
            let (code, name) = match self.code(&props) {
                Ok(c) => c,
                Err(e) => {
                    let keys: Vec<&String> = props.keys().collect();
                    return Err(IngestError::Geometry {
                        loc: Location::file(&self.source),
                        feature: n,
                        detail: format!("{e} (properties: {keys:?})"),
                    });
                }
            };
            let geometry = self.geometry(&geom.value, n)?;
            let valid = geometry.is_valid();
            if !valid {
                self.report.invalid += 1;
                let why = geometry
                    .validation_errors()
                    .first()
                    .map(|e| e.to_string())
                    .unwrap_or_default();
                self.warn(
                    WarningKind::InvalidGeometry,
                    n,
                    format!("{code}: invalid polygon ({why}); kept as is"),
                );
            }
            if !self.seen.insert(code.clone()) {
                self.warn(
                    WarningKind::Other,
                    n,
                    format!("{code} appears in more than one feature"),
                );
            }
            self.report.contours += 1;
            return Ok(Some(Contour {
                kind: self.options.kind,
                code,
                name,
                geometry,
                valid,
            }));
        }
    }
}

impl Iterator for ContoursReader<'_> {
    type Item = Result<Contour, IngestError>;
    fn next(&mut self) -> Option<Self::Item> {
        match self.step() {
            Ok(Some(c)) => Some(Ok(c)),
            Ok(None) => None,
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// Reads every contour of a file.
pub fn read_contours<R: Read>(
    input: R,
    options: ContoursOptions,
) -> Result<(Vec<Contour>, ContoursReport), IngestError> {
    let mut r = ContoursReader::new(input, options)?;
    let mut out = Vec::new();
    for c in r.by_ref() {
        out.push(c?);
    }
    Ok((out, r.into_report()))
}

/// Writes contours back as a GeoJSON FeatureCollection (WGS84), with `code`, `kind`, `name`.
pub fn to_geojson(contours: &[Contour]) -> String {
    let features: Vec<geojson::Feature> = contours
        .iter()
        .map(|c| {
            let mut props = Map::new();
            props.insert("code".into(), Value::String(c.code.clone()));
            props.insert(
                "kind".into(),
                serde_json::to_value(c.kind).unwrap_or(Value::Null),
            );
            if let Some(n) = &c.name {
                props.insert("name".into(), Value::String(n.clone()));
            }
            props.insert("valid".into(), Value::Bool(c.valid));
            geojson::Feature {
                bbox: None,
                geometry: Some(geojson::Geometry::from(&c.geometry)),
                id: None,
                properties: Some(props),
                foreign_members: None,
            }
        })
        .collect();
    geojson::FeatureCollection {
        bbox: None,
        features,
        foreign_members: None,
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::shared_bytes;
    use geo::{Area, Contains, Point};

    fn opts(source: &str, kind: ContourKind, mapping: Option<ContourMapping>) -> ContoursOptions {
        ContoursOptions {
            source: source.into(),
            kind,
            mapping,
            ..Default::default()
        }
    }

    const SQUARE: &str = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"codeBureauVote":"01001_0001","codeCommune":"01001","numeroBureauVote":"0001","id_bv":"01001_1"},"geometry":{"type":"Polygon","coordinates":[[[5.0,46.0],[5.1,46.0],[5.1,46.1],[5.0,46.1],[5.0,46.0]]]}}]}"#;

    #[test]
    fn etalab_bureau_contours() {
        let (c, rep) = read_contours(
            SQUARE.as_bytes(),
            opts("contours.geojson", ContourKind::Bureau, None),
        )
        .unwrap();
        assert_eq!(c[0].code, "01001_0001");
        assert!(c[0].valid);
        assert_eq!(rep.reprojected_from, None);
        // Without codeBureauVote, the commune + number, then id_bv, are used.
        let only_id = SQUARE.replace(
            r#""codeBureauVote":"01001_0001","codeCommune":"01001","numeroBureauVote":"0001","#,
            "",
        );
        assert_eq!(
            read_contours(only_id.as_bytes(), opts("c", ContourKind::Bureau, None))
                .unwrap()
                .0[0]
                .code,
            "01001_0001"
        );
    }

    #[test]
    fn lambert93_files_are_reprojected_and_a_contradicting_crs_is_reported() {
        let l93 = r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:OGC:1.3:CRS84"}},"features":[{"type":"Feature","properties":{"CODE_IRIS":"751010101"},"geometry":{"type":"Polygon","coordinates":[[[650800,6862500],[650900,6862500],[650900,6862600],[650800,6862600],[650800,6862500]]]}}]}"#;
        let (c, rep) = read_contours(
            l93.as_bytes(),
            opts("iris.geojson", ContourKind::Iris, None),
        )
        .unwrap();
        assert_eq!(rep.reprojected_from, Some(Crs::Lambert93));
        assert!(
            c[0].geometry.contains(&Point::new(2.330113, 48.861299)),
            "the BAN point at 650852.91, 6862571.27"
        );
        assert_eq!(rep.warnings.kept[0].kind, WarningKind::Crs);
    }

    #[test]
    fn coordinates_in_no_known_crs_are_an_error() {
        let bad = SQUARE.replace("[5.0,46.0],[5.1,46.0]", "[5000000.0,46.0],[5.1,46.0]");
        let e = read_contours(
            bad.as_bytes(),
            opts("bad.geojson", ContourKind::Bureau, None),
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("bad.geojson")
                && e.to_string().contains("feature 1")
                && e.to_string().contains("CRS"),
            "{e}"
        );
        let mixed = SQUARE.replace("[5.1,46.1]", "[650800,6862500]");
        let e = read_contours(
            mixed.as_bytes(),
            opts("mixed.geojson", ContourKind::Bureau, None),
        )
        .unwrap_err();
        assert!(e.to_string().contains("not Wgs84"), "{e}");
    }

    #[test]
    fn invalid_json_points_and_unknown_properties_are_errors() {
        let e = read_contours(
            &SQUARE.as_bytes()[..SQUARE.len() - 40],
            opts("cut.geojson", ContourKind::Bureau, None),
        )
        .unwrap_err();
        assert!(e.to_string().contains("cut.geojson"), "{e}");
        let point = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"codeBureauVote":"01001_0001"},"geometry":{"type":"Point","coordinates":[5.0,46.0]}}]}"#;
        let e = read_contours(
            point.as_bytes(),
            opts("p.geojson", ContourKind::Bureau, None),
        )
        .unwrap_err();
        assert!(e.to_string().contains("Point"), "{e}");
        let unknown = SQUARE
            .replace("codeBureauVote", "x")
            .replace("codeCommune", "y")
            .replace("numeroBureauVote", "z")
            .replace("id_bv", "w");
        let e = read_contours(
            unknown.as_bytes(),
            opts("u.geojson", ContourKind::Bureau, None),
        )
        .unwrap_err();
        assert!(e.to_string().contains("mapping"), "{e}");
    }

    #[test]
    fn a_self_intersecting_polygon_is_kept_and_reported() {
        let bow = SQUARE.replace(
            "[[5.0,46.0],[5.1,46.0],[5.1,46.1],[5.0,46.1],[5.0,46.0]]",
            "[[5.0,46.0],[5.1,46.1],[5.1,46.0],[5.0,46.1],[5.0,46.0]]",
        );
        let (c, rep) = read_contours(
            bow.as_bytes(),
            opts("bow.geojson", ContourKind::Bureau, None),
        )
        .unwrap();
        assert!(!c[0].valid);
        assert_eq!(rep.invalid, 1);
        assert!(rep.warnings.kept[0].message.contains("01001_0001"));
    }

    #[test]
    fn paris_2017_bureaux_with_the_city_mapping() {
        let Some(bytes) =
            shared_bytes("paris-75/bureaux-de-vote-2017/secteurs-des-bureaux-de-vote.geojson")
        else {
            return;
        };
        let e = read_contours(
            &bytes[..],
            opts("secteurs.geojson", ContourKind::Bureau, None),
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("arrondissement"),
            "the error lists the properties: {e}"
        );
        let (c, rep) = read_contours(
            &bytes[..],
            opts(
                "secteurs.geojson",
                ContourKind::Bureau,
                Some(ContourMapping::paris_2017()),
            ),
        )
        .unwrap();
        assert_eq!(c.len(), 896);
        assert_eq!(rep.warnings.by_kind.get("other"), None, "codes are unique");
        assert!(c.iter().any(|x| x.code == "75056_1905"));
        // The same 896 codes as the 2017 results.
        let res = shared_bytes(
            "paris-75/resultats-2017-par-bureau/paris_2017_resultats_par_bureau_long.csv",
        )
        .unwrap();
        let codes: std::collections::BTreeSet<String> = String::from_utf8(res)
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| format!("75056_{}", l.split(';').nth(2).unwrap()))
            .collect();
        let ours: std::collections::BTreeSet<String> = c.iter().map(|x| x.code.clone()).collect();
        assert_eq!(codes, ours);
    }

    #[test]
    fn paris_iris_2013_and_rhone_iris_contours() {
        let Some(bytes) =
            shared_bytes("paris-75/iris-et-bureaux-2011-2013/paris_iris_2013_wgs84.geojson")
        else {
            return;
        };
        let (c, _) = read_contours(
            &bytes[..],
            opts("paris_iris.geojson", ContourKind::Iris, None),
        )
        .unwrap();
        assert_eq!(c.len(), 992);
        let area: f64 = c.iter().map(|x| x.geometry.unsigned_area()).sum();
        // Paris is ~105 km², ~0.0128 square degrees at this latitude.
        assert!((0.0115..0.0140).contains(&area), "{area}");
        let Some(bytes) = shared_bytes(
            "elections-rhone-69-presidentielle-2017-2022/iris-contours-69/iris_ge_69_wgs84.geojson",
        ) else {
            return;
        };
        let (c, _) =
            read_contours(&bytes[..], opts("iris_69.geojson", ContourKind::Iris, None)).unwrap();
        assert_eq!(c.len(), 752);
        assert!(c.iter().all(|x| x.code.starts_with("69")));
    }

    #[test]
    fn lyon_2012_contours_have_eight_invalid_polygons() {
        let Some(bytes) =
            shared_bytes("lyon-69123-bureaux-2012/contours_bureaux_vote_lyon_2012_wgs84.geojson")
        else {
            return;
        };
        let (c, rep) = read_contours(
            &bytes[..],
            opts(
                "lyon_2012.geojson",
                ContourKind::Bureau,
                Some(ContourMapping::lyon_2012()),
            ),
        )
        .unwrap();
        assert_eq!(c.len(), 288);
        assert_eq!(rep.invalid, 8);
        assert!(c.iter().any(|x| x.code == "69123_0112"));
    }

    #[test]
    fn contours_round_trip_through_geojson() {
        let (c, _) =
            read_contours(SQUARE.as_bytes(), opts("c", ContourKind::Bureau, None)).unwrap();
        let out = to_geojson(&c);
        let mapping = ContourMapping {
            code: Some("code".into()),
            ..Default::default()
        };
        let (again, _) = read_contours(
            out.as_bytes(),
            opts("c2", ContourKind::Bureau, Some(mapping)),
        )
        .unwrap();
        assert_eq!(again, c);
    }
}
