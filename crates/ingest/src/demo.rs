//! The Paris demo data set (`data/paris/` at the repository root): what `terrain demo` loads.
//!
//! The folder holds gzip files prepared from `shared/data/paris-75` by the crate's
//! `make_paris_demo` example (see `data/paris/PROVENANCE.md`): the 2017 results of the 896
//! bureaux (presidential and legislative, both rounds), the 2017 bureau contours, the 2013 IRIS
//! contours, the 158,048 BAN addresses placed in their bureau and IRIS, two IRIS census tables
//! of 2015 and the Paris rows of Filosofi 2015. [`load_paris_demo`] parses them from readers
//! (the caller opens the files: this crate does no I/O) and estimates each address's doors.

use crate::addresses::{AddressOptions, BanReader};
use crate::census::{CensusOptions, CensusTable};
use crate::contours::{Contour, ContourKind, ContourMapping, ContoursOptions, read_contours};
use crate::error::{IngestError, Warnings};
use crate::placement::{BureauSource, PlacedAddress, assign_doors};
use crate::results::{ResultsOptions, read_all};
use std::collections::HashMap;
use std::io::Read;
use terrain_model::{BureauId, BureauResult, ElectionId};

/// The files of `data/paris/`, by role.
pub struct ParisFiles;

impl ParisFiles {
    pub const RESULTS: &'static str = "resultats-2017-par-bureau.csv.gz";
    pub const BUREAUX: &'static str = "bureaux-de-vote-2017.geojson.gz";
    pub const IRIS: &'static str = "iris-2013.geojson.gz";
    pub const ADDRESSES: &'static str = "adresses-75-placees.csv.gz";
    pub const CENSUS: [&'static str; 2] = [
        "recensement-2015-diplomes.csv.gz",
        "recensement-2015-emploi.csv.gz",
    ];
    pub const FILOSOFI: &'static str = "filosofi-2015-paris.csv.gz";
}

/// Readers over the files of `data/paris/` (gzip or not: both are read).
pub struct ParisInputs<'a> {
    pub results: Box<dyn Read + 'a>,
    pub bureaux: Box<dyn Read + 'a>,
    pub iris: Box<dyn Read + 'a>,
    pub addresses: Box<dyn Read + 'a>,
    /// (file name, reader) for each census table.
    pub census: Vec<(String, Box<dyn Read + 'a>)>,
    pub filosofi: Box<dyn Read + 'a>,
}

/// Everything the demo campaign needs, parsed and joined.
pub struct ParisDemo {
    /// 2017: presidential T1 and T2 (896 bureaux each), legislative T1 (896) and T2 (835).
    pub results: Vec<BureauResult>,
    /// 896 bureau contours, codes `75056_AABB`.
    pub bureaux: Vec<Contour>,
    /// 992 IRIS contours.
    pub iris: Vec<Contour>,
    /// 158,048 addresses with bureau, IRIS and estimated doors.
    pub addresses: Vec<PlacedAddress>,
    pub census: Vec<CensusTable>,
    pub filosofi: CensusTable,
    pub warnings: Warnings,
}

/// The election whose registered voters set the doors estimate.
pub const DOORS_ELECTION: &str = "2017_pres_t1";

fn gunzip<'a>(r: Box<dyn Read + 'a>) -> Result<Box<dyn Read + 'a>, IngestError> {
    crate::gzip::maybe_gunzip(r, Default::default()).map_err(|e| IngestError::Compression {
        loc: crate::error::Location::file("data/paris"),
        detail: e.to_string(),
    })
}

/// Parses the Paris demo files.
pub fn load_paris_demo(inputs: ParisInputs<'_>) -> Result<ParisDemo, IngestError> {
    let mut warnings = Warnings::default();
    let (results, rep) = read_all(
        gunzip(inputs.results)?,
        ResultsOptions {
            source: ParisFiles::RESULTS.into(),
            ..Default::default()
        },
    )?;
    warnings.merge(rep.warnings);
    let (bureaux, rep) = read_contours(
        inputs.bureaux,
        ContoursOptions {
            source: ParisFiles::BUREAUX.into(),
            kind: ContourKind::Bureau,
            mapping: Some(ContourMapping::paris_2017()),
            ..Default::default()
        },
    )?;
    warnings.merge(rep.warnings);
    let (iris, rep) = read_contours(
        inputs.iris,
        ContoursOptions {
            source: ParisFiles::IRIS.into(),
            kind: ContourKind::Iris,
            ..Default::default()
        },
    )?;
    warnings.merge(rep.warnings);
    let mut reader = BanReader::new(
        inputs.addresses,
        AddressOptions {
            source: ParisFiles::ADDRESSES.into(),
            ..Default::default()
        },
    )?;
    let mut addresses = Vec::new();
    for a in reader.by_ref() {
        let a = a?;
        let (bureau, iris) = (a.bureau.clone(), a.iris.clone());
        addresses.push(PlacedAddress {
            bureau_source: if bureau.is_some() {
                BureauSource::File
            } else {
                BureauSource::None
            },
            bureau,
            iris,
            address: a,
            doors_estimated: 1,
        });
    }
    warnings.merge(reader.warnings().clone());
    let doors_election =
        ElectionId::parse(DOORS_ELECTION).map_err(|e| IngestError::Options(e.to_string()))?;
    let registered: HashMap<BureauId, u64> = results
        .iter()
        .filter(|r| r.election == doors_election)
        .filter_map(|r| match &r.area {
            terrain_model::ResultArea::Bureau(b) => Some((b.clone(), r.totals.inscrits)),
            terrain_model::ResultArea::Commune(_) => None,
        })
        .collect();
    assign_doors(&mut addresses, &registered);
    let mut census = Vec::new();
    for (name, r) in inputs.census {
        census.push(CensusTable::read(
            r,
            CensusOptions {
                source: name,
                ..Default::default()
            },
        )?);
    }
    let filosofi = CensusTable::read(
        inputs.filosofi,
        CensusOptions {
            source: ParisFiles::FILOSOFI.into(),
            ..Default::default()
        },
    )?;
    Ok(ParisDemo {
        results,
        bureaux,
        iris,
        addresses,
        census,
        filosofi,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::path::PathBuf;

    fn open(name: &str) -> Box<dyn Read> {
        let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/paris")).join(name);
        Box::new(std::fs::File::open(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
    }

    /// The committed demo folder loads whole and joins up.
    #[test]
    fn the_committed_paris_demo_loads() {
        let d = load_paris_demo(ParisInputs {
            results: open(ParisFiles::RESULTS),
            bureaux: open(ParisFiles::BUREAUX),
            iris: open(ParisFiles::IRIS),
            addresses: open(ParisFiles::ADDRESSES),
            census: ParisFiles::CENSUS
                .iter()
                .map(|n| (n.to_string(), open(n)))
                .collect(),
            filosofi: open(ParisFiles::FILOSOFI),
        })
        .unwrap();
        let t1: Vec<&BureauResult> = d
            .results
            .iter()
            .filter(|r| r.election.to_string() == "2017_pres_t1")
            .collect();
        assert_eq!(t1.len(), 896);
        assert_eq!(t1.iter().map(|r| r.totals.inscrits).sum::<u64>(), 1_301_637);
        assert_eq!(d.bureaux.len(), 896);
        assert_eq!(d.iris.len(), 992);
        assert_eq!(d.addresses.len(), 158_048);
        assert_eq!(d.census.len(), 2);
        assert!(d.census.iter().all(|c| c.rows.len() == 992));
        assert_eq!(d.filosofi.rows.len(), 868);
        // Every bureau has addresses; nearly every address has a bureau and an IRIS.
        let with_bv: BTreeSet<&str> = d
            .addresses
            .iter()
            .filter_map(|a| a.bureau.as_ref().map(|b| b.as_str()))
            .collect();
        assert_eq!(with_bv.len(), 896);
        let placed = d.addresses.iter().filter(|a| a.bureau.is_some()).count();
        assert!(placed as f64 > 0.99 * 158_048.0, "{placed}");
        assert!(d.addresses.iter().filter(|a| a.iris.is_some()).count() as f64 > 0.995 * 158_048.0);
        // Doors add up to the registered voters / 1.4, bureau by bureau.
        let doors: u64 = d
            .addresses
            .iter()
            .filter(|a| a.bureau.is_some())
            .map(|a| u64::from(a.doors_estimated))
            .sum();
        let want: u64 = t1
            .iter()
            .map(|r| (r.totals.inscrits as f64 / 1.4).round() as u64)
            .sum();
        assert!(
            doors >= want && (doors as f64) < want as f64 * 1.05,
            "{doors} vs {want}"
        );
    }
}
