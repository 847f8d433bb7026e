//! Addresses: the BAN department export (`adresses-<dep>.csv.gz`) and INSEE's REU table of
//! electors' addresses with their bureau (`id_brut_bv_reu`).
//!
//! Both are streamed: [`BanReader`] and [`ReuReader`] yield one row at a time, so a national
//! file (26 million BAN addresses) goes through in bounded memory. Columns are found by name;
//! gzip input is recognised by its magic bytes ([`crate::gzip`]).

use crate::crs::Lambert93;
use crate::error::{IngestError, Location, Warning, WarningKind, Warnings};
use crate::gzip::{GzipLimits, maybe_gunzip};
use crate::sniff;
use crate::text::{Decoder, Encoding, fold, parse_decimal};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader, Read};
use terrain_model::{BureauId, CommuneCode, IrisCode};

/// One BAN address.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BanAddress {
    /// The BAN id (`75101_cfq3tf_00001`).
    pub ban_id: String,
    pub number: Option<String>,
    /// Repetition index: `bis`, `ter`, `A`…
    pub rep: Option<String>,
    pub street: String,
    pub postcode: Option<String>,
    /// The commune (the arrondissement in Paris, Lyon and Marseille: `75101`).
    pub commune: CommuneCode,
    pub commune_name: String,
    pub lon: f64,
    pub lat: f64,
    /// Precomputed placement, when the file carries it (the Paris derived file's
    /// `code_bureau_2017` / `iris_2013`, or a file written by Terrain).
    pub bureau: Option<BureauId>,
    pub iris: Option<IrisCode>,
}

/// Options for address files.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AddressOptions {
    pub source: String,
    pub encoding: Encoding,
    pub gzip: GzipLimits,
}

fn csv_over<'a, R: Read + 'a>(
    input: R,
    source: &str,
    limits: GzipLimits,
) -> Result<csv::Reader<BufReader<Box<dyn Read + 'a>>>, IngestError> {
    let io = |e: std::io::Error| IngestError::Compression {
        loc: Location::file(source),
        detail: e.to_string(),
    };
    let plain = maybe_gunzip(input, limits).map_err(io)?;
    let mut b = BufReader::with_capacity(1 << 16, plain);
    let head = b.fill_buf().map_err(io)?;
    if head.is_empty() {
        return Err(IngestError::Header {
            loc: Location::file(source),
            detail: "the file is empty".into(),
        });
    }
    let d = sniff::delimiter(head);
    Ok(csv::ReaderBuilder::new()
        .delimiter(d)
        .has_headers(false)
        .flexible(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .buffer_capacity(1 << 16)
        .from_reader(b))
}

fn read_header<R: Read>(
    csv: &mut csv::Reader<R>,
    source: &str,
    dec: &mut Decoder,
    w: &mut Warnings,
) -> Result<Vec<String>, IngestError> {
    let mut rec = csv::ByteRecord::new();
    if !csv
        .read_byte_record(&mut rec)
        .map_err(|e| io_or_csv(source, &e))?
    {
        return Err(IngestError::Header {
            loc: Location::file(source),
            detail: "the file is empty".into(),
        });
    }
    let mut names = Vec::new();
    for (i, f) in rec.iter().enumerate() {
        let f = if i == 0 { crate::text::strip_bom(f) } else { f };
        names.push(
            dec.decode(f, || Location::line(source, 1), w)?
                .trim()
                .to_string(),
        );
    }
    Ok(names)
}

/// csv errors, with gzip problems (bomb, truncation) reported as compression errors.
pub(crate) fn io_or_csv(source: &str, e: &csv::Error) -> IngestError {
    if let csv::ErrorKind::Io(io) = e.kind()
        && io.to_string().starts_with("gzip")
    {
        return IngestError::Compression {
            loc: Location::line(source, e.position().map_or(0, |p| p.line())),
            detail: io.to_string(),
        };
    }
    IngestError::from_csv(source, e)
}

fn col(folded: &[String], names: &[&str]) -> Option<usize> {
    names
        .iter()
        .find_map(|n| folded.iter().position(|f| f == n))
}

struct BanCols {
    id: Option<usize>,
    number: Option<usize>,
    rep: Option<usize>,
    street: usize,
    postcode: Option<usize>,
    commune: usize,
    commune_name: Option<usize>,
    lon: Option<usize>,
    lat: Option<usize>,
    x: Option<usize>,
    y: Option<usize>,
    bureau: Option<usize>,
    bureau_code: Option<usize>,
    iris: Option<usize>,
}

/// Streams a BAN file (plain or gzip). Iterate, then read [`BanReader::warnings`].
pub struct BanReader<'a> {
    csv: csv::Reader<BufReader<Box<dyn Read + 'a>>>,
    cols: BanCols,
    names: Vec<String>,
    source: String,
    decoder: Decoder,
    warnings: Warnings,
    record: csv::ByteRecord,
    lambert: Option<Lambert93>,
    rows: u64,
    skipped: u64,
    done: bool,
}

impl<'a> BanReader<'a> {
    pub fn new<R: Read + 'a>(input: R, options: AddressOptions) -> Result<Self, IngestError> {
        let source = if options.source.is_empty() {
            "addresses".to_string()
        } else {
            options.source.clone()
        };
        let mut csv = csv_over(input, &source, options.gzip)?;
        let mut decoder = Decoder::new(options.encoding);
        let mut warnings = Warnings::default();
        let names = read_header(&mut csv, &source, &mut decoder, &mut warnings)?;
        let f: Vec<String> = names.iter().map(|n| fold(n)).collect();
        let street = col(&f, &["nomvoie", "voie", "street"]);
        let commune = col(&f, &["codeinsee", "codecommune", "insee"]);
        let (lon, lat) = (
            col(&f, &["lon", "longitude"]),
            col(&f, &["lat", "latitude"]),
        );
        let (x, y) = (col(&f, &["x"]), col(&f, &["y"]));
        let mut missing = Vec::new();
        if street.is_none() {
            missing.push("nom_voie");
        }
        if commune.is_none() {
            missing.push("code_insee");
        }
        if (lon.is_none() || lat.is_none()) && (x.is_none() || y.is_none()) {
            missing.push("lon + lat (or x + y in Lambert-93)");
        }
        if !missing.is_empty() {
            return Err(IngestError::Header {
                loc: Location::line(&source, 1),
                detail: format!(
                    "not a BAN address file: missing {} (columns: {})",
                    missing.join(", "),
                    names.join(", ")
                ),
            });
        }
        let cols = BanCols {
            id: col(&f, &["id", "idban", "banid"]),
            number: col(&f, &["numero", "number"]),
            rep: col(&f, &["rep", "suffixe"]),
            street: street.unwrap_or(0),
            postcode: col(&f, &["codepostal", "postcode"]),
            commune: commune.unwrap_or(0),
            commune_name: col(&f, &["nomcommune", "commune"]),
            lon,
            lat,
            x,
            y,
            bureau: col(&f, &["bureau", "idbureau", "bureauid"]),
            bureau_code: f.iter().position(|n| n.starts_with("codebureau")),
            iris: col(&f, &["iris", "codeiris"])
                .or_else(|| f.iter().position(|n| n.starts_with("iris"))),
        };
        let lambert = (lon.is_none() || lat.is_none()).then(Lambert93::new);
        Ok(Self {
            csv,
            cols,
            names,
            source,
            decoder,
            warnings,
            record: csv::ByteRecord::new(),
            lambert,
            rows: 0,
            skipped: 0,
            done: false,
        })
    }

    pub fn warnings(&self) -> &Warnings {
        &self.warnings
    }

    /// Data rows read so far, and rows skipped (no usable position or commune).
    pub fn counts(&self) -> (u64, u64) {
        (self.rows, self.skipped)
    }

    fn text(&mut self, i: Option<usize>, line: u64) -> Result<Option<String>, IngestError> {
        let Some(i) = i else { return Ok(None) };
        let raw = self.record.get(i).unwrap_or_default();
        let (src, name) = (&self.source, self.names.get(i).cloned().unwrap_or_default());
        let s = self.decoder.decode(
            raw,
            || Location::line(src, line).with_field(name),
            &mut self.warnings,
        )?;
        let s = s.trim();
        Ok((!s.is_empty()).then(|| s.to_string()))
    }

    fn number(&self, i: Option<usize>, line: u64) -> Result<Option<f64>, IngestError> {
        let Some(i) = i else { return Ok(None) };
        let raw = self.record.get(i).unwrap_or_default();
        let s = std::str::from_utf8(raw).unwrap_or("?");
        parse_decimal(s).map_err(|()| {
            IngestError::field(
                Location::line(&self.source, line)
                    .with_field(self.names.get(i).cloned().unwrap_or_default()),
                s,
                "a coordinate",
            )
        })
    }

    fn skip(&mut self, line: u64, why: String) {
        self.skipped += 1;
        self.warnings.push(Warning {
            kind: WarningKind::Skipped,
            loc: Location::line(&self.source, line),
            bureau: None,
            message: why,
        });
    }

    fn step(&mut self) -> Result<Option<BanAddress>, IngestError> {
        loop {
            if self.done
                || !self
                    .csv
                    .read_byte_record(&mut self.record)
                    .map_err(|e| io_or_csv(&self.source, &e))?
            {
                self.done = true;
                return Ok(None);
            }
            let line = self.record.position().map_or(0, |p| p.line());
            if self
                .record
                .iter()
                .all(|f| f.iter().all(u8::is_ascii_whitespace))
            {
                continue;
            }
            self.rows += 1;
            let code = self
                .text(Some(self.cols.commune), line)?
                .unwrap_or_default();
            let commune = match CommuneCode::parse(&code) {
                Ok(c) => c,
                Err(e) => {
                    self.skip(line, format!("{e}; address skipped"));
                    continue;
                }
            };
            let (lon, lat) = match (
                self.number(self.cols.lon, line)?,
                self.number(self.cols.lat, line)?,
            ) {
                (Some(lon), Some(lat)) => (lon, lat),
                _ => {
                    match (
                        self.number(self.cols.x, line)?,
                        self.number(self.cols.y, line)?,
                        &self.lambert,
                    ) {
                        (Some(x), Some(y), Some(l)) => match l.to_wgs84(x, y) {
                            Some(p) => p,
                            None => {
                                self.skip(line, format!("x/y {x}, {y} do not convert from Lambert-93; address skipped"));
                                continue;
                            }
                        },
                        _ => {
                            self.skip(line, "no position; address skipped".into());
                            continue;
                        }
                    }
                }
            };
            if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
                return Err(IngestError::field(
                    Location::line(&self.source, line).with_field("lon/lat"),
                    &format!("{lon}, {lat}"),
                    "WGS84 longitude and latitude (are these Lambert-93 metres?)",
                ));
            }
            let bureau = match (
                self.text(self.cols.bureau, line)?,
                self.text(self.cols.bureau_code, line)?,
            ) {
                (Some(b), _) => BureauId::parse(&b).ok(),
                // The Paris derived file: a bureau code (AABB) within the city.
                (None, Some(code)) => commune
                    .plm_city()
                    .and_then(|city| BureauId::new(&city, &code).ok()),
                (None, None) => None,
            };
            let iris = self
                .text(self.cols.iris, line)?
                .and_then(|s| IrisCode::parse(&s).ok());
            let street = self.text(Some(self.cols.street), line)?.unwrap_or_default();
            return Ok(Some(BanAddress {
                ban_id: self.text(self.cols.id, line)?.unwrap_or_default(),
                number: self.text(self.cols.number, line)?,
                rep: self.text(self.cols.rep, line)?,
                street,
                postcode: self.text(self.cols.postcode, line)?,
                commune_name: self.text(self.cols.commune_name, line)?.unwrap_or_default(),
                commune,
                lon,
                lat,
                bureau,
                iris,
            }));
        }
    }
}

impl Iterator for BanReader<'_> {
    type Item = Result<BanAddress, IngestError>;
    fn next(&mut self) -> Option<Self::Item> {
        match self.step() {
            Ok(Some(a)) => Some(Ok(a)),
            Ok(None) => None,
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// One row of INSEE's REU address table: a geocoded electors' address and its bureau.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReuAddress {
    pub bureau: BureauId,
    pub commune: CommuneCode,
    pub lon: f64,
    pub lat: f64,
    /// `housenumber`, `street` or `locality`: how precise the position is.
    pub geo_type: Option<String>,
    /// Geocoding score, 0–1.
    pub geo_score: Option<f64>,
    /// Addresses aggregated at this point.
    pub addresses: u32,
}

/// Streams a REU address table (CSV, plain or gzip).
pub struct ReuReader<'a> {
    csv: csv::Reader<BufReader<Box<dyn Read + 'a>>>,
    source: String,
    c: [Option<usize>; 7],
    record: csv::ByteRecord,
    done: bool,
}

impl<'a> ReuReader<'a> {
    pub fn new<R: Read + 'a>(input: R, options: AddressOptions) -> Result<Self, IngestError> {
        let source = if options.source.is_empty() {
            "reu".to_string()
        } else {
            options.source.clone()
        };
        let mut csv = csv_over(input, &source, options.gzip)?;
        let mut dec = Decoder::new(options.encoding);
        let names = read_header(&mut csv, &source, &mut dec, &mut Warnings::default())?;
        let f: Vec<String> = names.iter().map(|n| fold(n)).collect();
        let c = [
            col(&f, &["idbrutbvreu", "idbrutbv", "idbv"]),
            col(&f, &["codecommuneref", "codecommune"]),
            col(&f, &["longitude", "lon"]),
            col(&f, &["latitude", "lat"]),
            col(&f, &["geotype"]),
            col(&f, &["geoscore"]),
            col(&f, &["nbadresses"]),
        ];
        if c[0].is_none() || c[2].is_none() || c[3].is_none() {
            return Err(IngestError::Header {
                loc: Location::line(&source, 1),
                detail: format!(
                    "not a REU address table: needs id_brut_bv_reu, longitude, latitude (columns: {})",
                    names.join(", ")
                ),
            });
        }
        Ok(Self {
            csv,
            source,
            c,
            record: csv::ByteRecord::new(),
            done: false,
        })
    }

    fn get(&self, k: usize) -> &str {
        self.c[k]
            .and_then(|i| self.record.get(i))
            .and_then(|b| std::str::from_utf8(b).ok())
            .map(str::trim)
            .unwrap_or("")
    }

    fn step(&mut self) -> Result<Option<ReuAddress>, IngestError> {
        loop {
            if self.done
                || !self
                    .csv
                    .read_byte_record(&mut self.record)
                    .map_err(|e| io_or_csv(&self.source, &e))?
            {
                self.done = true;
                return Ok(None);
            }
            let line = self.record.position().map_or(0, |p| p.line());
            if self
                .record
                .iter()
                .all(|f| f.iter().all(u8::is_ascii_whitespace))
            {
                continue;
            }
            let loc = |f: &str| Location::line(&self.source, line).with_field(f);
            let id = self.get(0);
            let bureau = BureauId::parse(id)
                .map_err(|e| IngestError::field(loc("id_brut_bv_reu"), id, e.to_string()))?;
            let commune = match self.get(1) {
                "" => bureau.commune(),
                s => CommuneCode::parse(s)
                    .map_err(|e| IngestError::field(loc("code_commune_ref"), s, e.to_string()))?,
            };
            let num = |k: usize, name: &str| -> Result<Option<f64>, IngestError> {
                let s = self.get(k);
                parse_decimal(s).map_err(|()| IngestError::field(loc(name), s, "a number"))
            };
            let (Some(lon), Some(lat)) = (num(2, "longitude")?, num(3, "latitude")?) else {
                continue; // not geocoded: nothing to place with
            };
            if crate::crs::classify(lon, lat) != Some(crate::crs::Crs::Wgs84) {
                return Err(IngestError::field(
                    loc("longitude"),
                    &format!("{lon}, {lat}"),
                    "WGS84 longitude and latitude",
                ));
            }
            let geo_score = num(5, "geo_score")?;
            let addresses = match self.get(6) {
                "" => 1,
                s => s
                    .parse()
                    .map_err(|_| IngestError::field(loc("nb_adresses"), s, "a whole number"))?,
            };
            let geo_type = Some(self.get(4).to_string()).filter(|s| !s.is_empty());
            return Ok(Some(ReuAddress {
                bureau,
                commune,
                lon,
                lat,
                geo_type,
                geo_score,
                addresses,
            }));
        }
    }
}

impl Iterator for ReuReader<'_> {
    type Item = Result<ReuAddress, IngestError>;
    fn next(&mut self) -> Option<Self::Item> {
        match self.step() {
            Ok(Some(a)) => Some(Ok(a)),
            Ok(None) => None,
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::shared_bytes;

    const BAN: &str = "id;id_fantoir;numero;rep;nom_voie;code_postal;code_insee;nom_commune;code_insee_ancienne_commune;nom_ancienne_commune;x;y;lon;lat;type_position;alias;nom_ld;libelle_acheminement;nom_afnor;source_position;source_nom_voie;certification_commune;cad_parcelles\n\
75101_cfq3tf_00001;;1;;Avenue du Général Lemonnier;75001;75101;Paris 1er Arrondissement;;;650852.91;6862571.27;2.330113;48.861299;parcelle;;;PARIS;AVENUE DU GENERAL LEMONNIER;commune;commune;1;\n";

    fn opts(s: &str) -> AddressOptions {
        AddressOptions {
            source: s.into(),
            ..Default::default()
        }
    }

    #[test]
    fn ban_rows_read_plain_and_gzip() {
        let a: Vec<BanAddress> = BanReader::new(BAN.as_bytes(), opts("adresses-75.csv"))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].street, "Avenue du Général Lemonnier");
        assert_eq!(a[0].commune.as_str(), "75101");
        assert_eq!((a[0].lon, a[0].lat), (2.330113, 48.861299));
        let gz = crate::gzip::tests_support::gz(BAN.as_bytes());
        let b: Vec<BanAddress> = BanReader::new(&gz[..], opts("adresses-75.csv.gz"))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(a, b);
    }

    #[test]
    fn lambert_only_files_are_converted() {
        let text = "id;numero;nom_voie;code_insee;x;y\nA;1;Rue X;75101;650852.91;6862571.27\n";
        let a: Vec<BanAddress> = BanReader::new(text.as_bytes(), opts("l93.csv"))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert!((a[0].lon - 2.330113).abs() < 2e-6 && (a[0].lat - 48.861299).abs() < 2e-6);
    }

    #[test]
    fn lambert_in_the_lon_lat_columns_is_an_error() {
        let text = "id;nom_voie;code_insee;lon;lat\nA;Rue X;75101;650852.91;6862571.27\n";
        let e = BanReader::new(text.as_bytes(), opts("bad.csv"))
            .unwrap()
            .next()
            .unwrap()
            .unwrap_err();
        assert!(
            e.to_string().contains("bad.csv:2") && e.to_string().contains("Lambert"),
            "{e}"
        );
    }

    #[test]
    fn a_gzip_bomb_and_a_truncated_gzip_are_compression_errors() {
        let mut big = BAN.to_string();
        let row = BAN.lines().nth(1).unwrap();
        for _ in 0..2000 {
            big.push_str(row);
            big.push('\n');
        }
        let gz = crate::gzip::tests_support::gz(big.as_bytes());
        let cut = &gz[..gz.len() * 2 / 3];
        let e = BanReader::new(cut, opts("cut.csv.gz"))
            .unwrap()
            .find_map(Result::err)
            .unwrap();
        assert!(
            matches!(e, IngestError::Compression { .. }) && e.to_string().contains("truncated"),
            "{e}"
        );
        let bomb = crate::gzip::tests_support::gz(
            &[
                b"id;nom_voie;code_insee;lon;lat\n".as_slice(),
                &vec![b' '; 32 << 20],
            ]
            .concat(),
        );
        let limits = GzipLimits {
            ratio_after: 1 << 20,
            ..Default::default()
        };
        let opts = AddressOptions {
            source: "bomb.csv.gz".into(),
            gzip: limits,
            ..Default::default()
        };
        // Either the header read or the first row trips the guard, both naming the file.
        let e2 = match BanReader::new(&bomb[..], opts) {
            Err(e) => e.to_string(),
            Ok(mut r) => r.find_map(Result::err).unwrap().to_string(),
        };
        assert!(e2.contains("bomb.csv.gz") && e2.contains("bomb"), "{e2}");
    }

    #[test]
    fn the_whole_paris_ban_export() {
        let Some(bytes) = shared_bytes("paris-75/ban-adresses/adresses-75.csv.gz") else {
            return;
        };
        let mut r = BanReader::new(&bytes[..], opts("adresses-75.csv.gz")).unwrap();
        let all: Vec<BanAddress> = r.by_ref().map(Result::unwrap).collect();
        assert_eq!(all.len(), 158_048);
        assert_eq!(r.counts(), (158_048, 0));
        let arr: std::collections::BTreeSet<_> =
            all.iter().map(|a| a.commune.as_str().to_string()).collect();
        assert_eq!(arr.len(), 20);
        assert!(arr.iter().all(|c| c.starts_with("751")));
    }

    #[test]
    fn lambert93_conversion_agrees_with_every_paris_ban_position() {
        let Some(bytes) = shared_bytes("paris-75/ban-adresses/adresses-75.csv.gz") else {
            return;
        };
        let mut text = String::new();
        maybe_gunzip(&bytes[..], GzipLimits::default())
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        let l = Lambert93::new();
        let mut worst: f64 = 0.0;
        for line in text.lines().skip(1).step_by(7) {
            let f: Vec<&str> = line.split(';').collect();
            let (x, y, lon, lat): (f64, f64, f64, f64) = (
                f[10].parse().unwrap(),
                f[11].parse().unwrap(),
                f[12].parse().unwrap(),
                f[13].parse().unwrap(),
            );
            let (a, b) = l.to_wgs84(x, y).unwrap();
            worst = worst.max((a - lon).abs()).max((b - lat).abs());
        }
        assert!(worst < 2e-6, "worst difference {worst} degrees");
    }

    #[test]
    fn reu_rows() {
        let text = "id_brut_bv_reu,code_commune_ref,longitude,latitude,geo_type,geo_score,nb_adresses\n29039_1,29039,-4.1,47.99,housenumber,0.97,3\n29039_2,29039,,,,0,1\n";
        let r: Vec<ReuAddress> = ReuReader::new(text.as_bytes(), opts("reu.csv"))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(r.len(), 1, "ungeocoded rows are left out");
        assert_eq!(r[0].bureau.as_str(), "29039_0001");
        assert_eq!(r[0].addresses, 3);
        let bad = text.replace("-4.1,47.99", "170000,6800000");
        let e = ReuReader::new(bad.as_bytes(), opts("reu.csv"))
            .unwrap()
            .find_map(Result::err)
            .unwrap();
        assert!(e.to_string().contains("reu.csv:2"), "{e}");
    }
}
