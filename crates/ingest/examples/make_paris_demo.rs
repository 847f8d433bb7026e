//! Builds `data/paris/` (the demo data set) from `shared/data/paris-75`.
//!
//! Usage: `cargo run --release -p terrain-ingest --example make_paris_demo -- SHARED_PARIS OUT_DIR`
//! The addresses are placed by Terrain's own placement (2017 bureau contours, 2013 IRIS contours,
//! nearest contour within 50 m for the few addresses in gaps).

use flate2::{Compression, write::GzEncoder};
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use terrain_ingest::addresses::AddressOptions;
use terrain_ingest::commands::import_addresses;
use terrain_ingest::contours::{ContourKind, ContourMapping, ContoursOptions, read_contours};
use terrain_ingest::demo::ParisFiles;
use terrain_ingest::placement::{Placer, PolygonIndex};

fn gz_copy(from: &Path, to: &Path, keep: impl Fn(usize, &str) -> bool) -> std::io::Result<()> {
    let mut out = GzEncoder::new(File::create(to)?, Compression::best());
    for (i, line) in BufReader::new(File::open(from)?).lines().enumerate() {
        let line = line?;
        if keep(i, &line) {
            out.write_all(line.as_bytes())?;
            out.write_all(b"\n")?;
        }
    }
    out.finish()?;
    Ok(())
}

fn gz_bytes(bytes: &[u8], to: &Path) -> std::io::Result<()> {
    let mut out = GzEncoder::new(File::create(to)?, Compression::best());
    out.write_all(bytes)?;
    out.finish()?;
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (src, out) = match (args.get(1), args.get(2)) {
        (Some(a), Some(b)) => (PathBuf::from(a), PathBuf::from(b)),
        _ => return Err("usage: make_paris_demo SHARED_PARIS_75_DIR OUT_DIR".into()),
    };
    std::fs::create_dir_all(&out)?;
    let all = |_: usize, _: &str| true;
    gz_copy(
        &src.join("resultats-2017-par-bureau/paris_2017_resultats_par_bureau_long.csv"),
        &out.join(ParisFiles::RESULTS),
        all,
    )?;
    let bv = std::fs::read(src.join("bureaux-de-vote-2017/secteurs-des-bureaux-de-vote.geojson"))?;
    gz_bytes(&bv, &out.join(ParisFiles::BUREAUX))?;
    let iris = std::fs::read(src.join("iris-et-bureaux-2011-2013/paris_iris_2013_wgs84.geojson"))?;
    gz_bytes(&iris, &out.join(ParisFiles::IRIS))?;
    let census = src.join("iris-recensement-2015-filosofi");
    gz_copy(
        &census.join("diplomes-2015.csv"),
        &out.join(ParisFiles::CENSUS[0]),
        all,
    )?;
    gz_copy(
        &census.join("emploi-2015.csv"),
        &out.join(ParisFiles::CENSUS[1]),
        all,
    )?;
    gz_copy(
        &census.join("revenus-2015.csv"),
        &out.join(ParisFiles::FILOSOFI),
        |i, l| i == 0 || l.split(',').nth(2).is_some_and(|c| c.starts_with("751")),
    )?;
    // Addresses: placed by Terrain.
    let bureaux = read_contours(
        &bv[..],
        ContoursOptions {
            kind: ContourKind::Bureau,
            mapping: Some(ContourMapping::paris_2017()),
            ..Default::default()
        },
    )?
    .0;
    let iris = read_contours(
        &iris[..],
        ContoursOptions {
            kind: ContourKind::Iris,
            ..Default::default()
        },
    )?
    .0;
    let placer = Placer {
        bureaux: Some(PolygonIndex::new(bureaux)),
        iris: Some(PolygonIndex::new(iris)),
        ..Default::default()
    };
    let mut ban = Vec::new();
    File::open(src.join("ban-adresses/adresses-75.csv.gz"))?.read_to_end(&mut ban)?;
    let mut placed = Vec::new();
    let summary = import_addresses(
        AddressOptions {
            source: "adresses-75.csv.gz".into(),
            ..Default::default()
        },
        Some(&placer),
        &ban[..],
        &mut placed,
    )?;
    gz_bytes(&placed, &out.join(ParisFiles::ADDRESSES))?;
    eprintln!(
        "addresses: {} placed by {:?}, {} with IRIS",
        summary.addresses, summary.placed_by, summary.with_iris
    );
    Ok(())
}
