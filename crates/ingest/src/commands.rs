//! Entry points for `terrain import …`: a plain options struct, an input reader and an output
//! writer (the normalised CSV or GeoJSON), returning the summary that `--json` prints.
//!
//! | command | function | output |
//! |---|---|---|
//! | `terrain import results FILE [--election ID] [--mapping FILE] [--nuances FILE] [--encoding E] [--on-inconsistent warn\|stop]` | [`import_results`] | long CSV, one row per bureau × candidate, with the bloc |
//! | `terrain import history GENERAL CANDIDATES [--election ID]… [--department D]… [--nuances FILE]` | [`import_history`] | the same long CSV |
//! | `terrain import addresses FILE` | [`import_addresses`] | addresses CSV, placed when a [`Placer`] is given |
//! | `terrain import reu FILE` | [`import_reu`] | REU CSV |
//! | `terrain import census FILE` | [`import_census`] | long CSV `iris;variable;value` |
//! | `terrain import contours FILE --kind bureau\|iris\|commune [--mapping FILE]` | [`import_contours`] | GeoJSON in WGS84 with normalised codes |
//! | `terrain import communes FILE` | [`import_communes`] | communes CSV |
//!
//! The CLI reads `--mapping` and `--nuances` files itself and passes their text here.

use crate::addresses::{AddressOptions, BanReader, ReuReader};
use crate::census::{CensusOptions, CensusReader};
use crate::cog::{CogCommune, read_communes_csv, read_communes_json};
use crate::contours::{ContourMapping, ContoursOptions, ContoursReport, read_contours, to_geojson};
use crate::error::{IngestError, Location, Warning, WarningKind, Warnings};
use crate::nuance::NuanceTable;
use crate::placement::{BureauSource, Placer};
use crate::results::{LongMapping, ResultsOptions, ResultsReader, ResultsReport};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{Read, Write};

fn out_err(source: &str, e: impl std::fmt::Display) -> IngestError {
    IngestError::Io {
        loc: Location::file(source),
        detail: format!("writing the output: {e}"),
    }
}

/// Options of `terrain import results`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ImportResultsOptions {
    #[serde(flatten)]
    pub results: ResultsOptions,
    /// The text of a `--mapping` JSON file (long layout).
    pub mapping_json: Option<String>,
    /// The text of a `--nuances` CSV file, loaded over the default nuance → bloc table.
    pub nuances_csv: Option<String>,
}

/// What `terrain import results --json` prints.
#[derive(Clone, Debug, Serialize)]
pub struct ImportResultsSummary {
    #[serde(flatten)]
    pub report: ResultsReport,
    /// Votes per bloc, over all rows.
    pub votes_by_bloc: BTreeMap<String, u64>,
    /// Nuances (or presidential candidates) that the nuance → bloc table does not know, with
    /// the votes they got: add them to a `--nuances` file.
    pub unknown: BTreeMap<String, u64>,
}

/// Reads a results file, checks it and writes it as the normalised long CSV:
/// `election;bureau_id;arrondissement;nom_commune;circonscription;inscrits;abstentions;votants;
/// blancs;nuls;exprimes;numero_panneau;sexe;nom;prenom;nuance;bloc;liste;voix`.
pub fn import_results<R: Read, W: Write>(
    options: ImportResultsOptions,
    input: R,
    output: W,
) -> Result<ImportResultsSummary, IngestError> {
    let mut table = NuanceTable::defaults();
    let source = options.results.source.clone();
    if let Some(csv) = &options.nuances_csv {
        table.merge(NuanceTable::from_csv(csv.as_bytes(), "nuances")?);
    }
    let mut ropts = options.results.clone();
    if let Some(m) = &options.mapping_json {
        ropts.mapping = Some(LongMapping::from_json(m.as_bytes(), "mapping")?);
    }
    let mut reader = ResultsReader::new(input, ropts)?;
    let (votes_by_bloc, unknown, extra) = write_results(&table, &source, reader.by_ref(), output)?;
    let mut report = reader.into_report();
    report.warnings.merge(extra);
    Ok(ImportResultsSummary {
        report,
        votes_by_bloc,
        unknown,
    })
}

type BlocTally = (BTreeMap<String, u64>, BTreeMap<String, u64>, Warnings);

/// Writes results as the normalised long CSV, tallying votes by bloc and unknown nuances.
fn write_results<W: Write>(
    table: &NuanceTable,
    source: &str,
    results: impl Iterator<Item = Result<terrain_model::BureauResult, IngestError>>,
    output: W,
) -> Result<BlocTally, IngestError> {
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(output);
    w.write_record([
        "election",
        "bureau_id",
        "arrondissement",
        "nom_commune",
        "circonscription",
        "inscrits",
        "abstentions",
        "votants",
        "blancs",
        "nuls",
        "exprimes",
        "numero_panneau",
        "sexe",
        "nom",
        "prenom",
        "nuance",
        "bloc",
        "liste",
        "voix",
    ])
    .map_err(|e| out_err(source, e))?;
    let mut votes_by_bloc: BTreeMap<String, u64> = BTreeMap::new();
    let mut unknown: BTreeMap<String, u64> = BTreeMap::new();
    let mut unknown_warned = std::collections::HashSet::new();
    let mut extra = Warnings::default();
    for r in results {
        let r = r?;
        let t = r.totals;
        for c in &r.candidates {
            let bloc = table.bloc_for(&r.election, c);
            match bloc {
                Some(b) => *votes_by_bloc.entry(b.to_string()).or_default() += c.votes,
                None => {
                    let key = c
                        .nuance
                        .as_ref()
                        .map(|n| n.to_string())
                        .unwrap_or_else(|| format!("{} ({})", c.display_name(), r.election));
                    *unknown.entry(key.clone()).or_default() += c.votes;
                    if unknown_warned.insert(key.clone()) {
                        extra.push(Warning {
                            kind: WarningKind::UnknownNuance,
                            loc: Location::file(source),
                            bureau: Some(r.area.code().to_string()),
                            message: format!(
                                "{key}: not in the nuance → bloc table; counted in no bloc"
                            ),
                        });
                    }
                }
            }
            let n = |v: u64| v.to_string();
            w.write_record([
                r.election.to_string(),
                r.area.code().to_string(),
                r.arrondissement
                    .as_ref()
                    .map(|a| a.to_string())
                    .unwrap_or_default(),
                r.commune_name.clone(),
                r.circonscription.clone().unwrap_or_default(),
                n(t.inscrits),
                n(t.abstentions),
                n(t.votants),
                n(t.blancs),
                n(t.nuls),
                n(t.exprimes),
                c.panel.map(|p| p.to_string()).unwrap_or_default(),
                c.sex.map(|s| s.code().to_string()).unwrap_or_default(),
                c.last_name.to_string(),
                c.first_name.to_string(),
                c.nuance.as_ref().map(|x| x.to_string()).unwrap_or_default(),
                bloc.map(|b| b.to_string()).unwrap_or_default(),
                c.list_label
                    .as_deref()
                    .or(c.list_short_label.as_deref())
                    .unwrap_or_default()
                    .to_string(),
                n(c.votes),
            ])
            .map_err(|e| out_err(source, e))?;
        }
    }
    w.flush().map_err(|e| out_err(source, e))?;
    Ok((votes_by_bloc, unknown, extra))
}

/// Options of `terrain import history`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ImportHistoryOptions {
    #[serde(flatten)]
    pub history: crate::results::history::HistoryOptions,
    /// The text of a `--nuances` CSV file.
    pub nuances_csv: Option<String>,
}

/// Joins the aggregated history's two files and writes the same normalised long CSV as
/// [`import_results`].
pub fn import_history<G: Read, C: Read, W: Write>(
    options: ImportHistoryOptions,
    general: G,
    candidates: C,
    output: W,
) -> Result<ImportResultsSummary, IngestError> {
    let mut table = NuanceTable::defaults();
    if let Some(csv) = &options.nuances_csv {
        table.merge(NuanceTable::from_csv(csv.as_bytes(), "nuances")?);
    }
    let source = options.history.candidates_source.clone();
    let mut reader =
        crate::results::history::HistoryReader::new(general, candidates, options.history)?;
    let (votes_by_bloc, unknown, extra) = write_results(&table, &source, reader.by_ref(), output)?;
    let mut report = reader.report().clone();
    report.warnings.merge(extra);
    Ok(ImportResultsSummary {
        report,
        votes_by_bloc,
        unknown,
    })
}

/// Options of `terrain import addresses` and `terrain import reu`.
pub type ImportAddressesOptions = AddressOptions;

/// What `terrain import addresses --json` prints.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ImportAddressesSummary {
    pub source: String,
    pub rows_read: u64,
    pub addresses: u64,
    pub skipped: u64,
    /// How addresses got their bureau (`contour`, `reu`, `nearest_contour`, `none`…).
    pub placed_by: BTreeMap<String, u64>,
    pub with_iris: u64,
    /// Addresses per bureau: with the registered voters, what [`crate::placement::doors_at`]
    /// needs to estimate each address's doors.
    pub addresses_per_bureau: BTreeMap<String, u64>,
    pub warnings: Warnings,
}

/// Streams a BAN file to the normalised CSV
/// `ban_id;numero;rep;nom_voie;code_postal;code_insee;nom_commune;lon;lat;bureau_id;placement;iris`,
/// placing each address when a [`Placer`] is given (memory stays bounded: addresses are not
/// kept; doors are estimated afterwards from `addresses_per_bureau`).
pub fn import_addresses<R: Read, W: Write>(
    options: ImportAddressesOptions,
    placer: Option<&Placer>,
    input: R,
    output: W,
) -> Result<ImportAddressesSummary, IngestError> {
    let source = options.source.clone();
    let mut reader = BanReader::new(input, options)?;
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(output);
    w.write_record([
        "ban_id",
        "numero",
        "rep",
        "nom_voie",
        "code_postal",
        "code_insee",
        "nom_commune",
        "lon",
        "lat",
        "bureau_id",
        "placement",
        "iris",
    ])
    .map_err(|e| out_err(&source, e))?;
    let mut s = ImportAddressesSummary {
        source: source.clone(),
        ..Default::default()
    };
    let default_placer = Placer::default();
    let placer = placer.unwrap_or(&default_placer);
    for a in reader.by_ref() {
        let p = placer.place(a?);
        s.addresses += 1;
        let src = serde_json::to_value(p.bureau_source)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        *s.placed_by.entry(src.clone()).or_default() += 1;
        if let Some(b) = &p.bureau {
            *s.addresses_per_bureau.entry(b.to_string()).or_default() += 1;
        }
        s.with_iris += u64::from(p.iris.is_some());
        let a = &p.address;
        w.write_record([
            a.ban_id.as_str(),
            a.number.as_deref().unwrap_or(""),
            a.rep.as_deref().unwrap_or(""),
            &a.street,
            a.postcode.as_deref().unwrap_or(""),
            a.commune.as_str(),
            &a.commune_name,
            &format!("{:.6}", a.lon),
            &format!("{:.6}", a.lat),
            p.bureau.as_ref().map(|b| b.as_str()).unwrap_or(""),
            if p.bureau_source == BureauSource::None {
                ""
            } else {
                &src
            },
            p.iris.as_ref().map(|i| i.as_str()).unwrap_or(""),
        ])
        .map_err(|e| out_err(&source, e))?;
    }
    w.flush().map_err(|e| out_err(&source, e))?;
    (s.rows_read, s.skipped) = reader.counts();
    s.warnings = reader.warnings().clone();
    Ok(s)
}

/// What `terrain import reu --json` prints.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ImportReuSummary {
    pub source: String,
    pub points: u64,
    pub bureaux: u64,
}

/// Streams a REU table to `bureau_id;code_commune;lon;lat;geo_type;geo_score;nb_adresses`.
pub fn import_reu<R: Read, W: Write>(
    options: ImportAddressesOptions,
    input: R,
    output: W,
) -> Result<ImportReuSummary, IngestError> {
    let source = options.source.clone();
    let reader = ReuReader::new(input, options)?;
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(output);
    w.write_record([
        "bureau_id",
        "code_commune",
        "lon",
        "lat",
        "geo_type",
        "geo_score",
        "nb_adresses",
    ])
    .map_err(|e| out_err(&source, e))?;
    let mut s = ImportReuSummary {
        source: source.clone(),
        ..Default::default()
    };
    let mut bureaux = std::collections::HashSet::new();
    for r in reader {
        let r = r?;
        s.points += 1;
        bureaux.insert(r.bureau.clone());
        w.write_record([
            r.bureau.to_string(),
            r.commune.to_string(),
            format!("{:.6}", r.lon),
            format!("{:.6}", r.lat),
            r.geo_type.unwrap_or_default(),
            r.geo_score.map(|g| g.to_string()).unwrap_or_default(),
            r.addresses.to_string(),
        ])
        .map_err(|e| out_err(&source, e))?;
    }
    w.flush().map_err(|e| out_err(&source, e))?;
    s.bureaux = bureaux.len() as u64;
    Ok(s)
}

/// What `terrain import census --json` prints.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ImportCensusSummary {
    pub source: String,
    pub iris: u64,
    pub variables: Vec<crate::census::Variable>,
    pub missing_values: u64,
    pub warnings: Warnings,
}

/// Streams an IRIS table (census or Filosofi) to the long CSV `iris;code_commune;variable;value`
/// (missing values left out).
pub fn import_census<R: Read, W: Write>(
    options: CensusOptions,
    input: R,
    output: W,
) -> Result<ImportCensusSummary, IngestError> {
    let source = options.source.clone();
    let mut reader = CensusReader::new(input, options)?;
    let vars: Vec<String> = reader.variables().iter().map(|v| v.name.clone()).collect();
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(output);
    w.write_record(["iris", "code_commune", "variable", "value"])
        .map_err(|e| out_err(&source, e))?;
    let mut s = ImportCensusSummary {
        source: source.clone(),
        variables: reader.variables().to_vec(),
        ..Default::default()
    };
    for row in reader.by_ref() {
        let row = row?;
        s.iris += 1;
        for (v, x) in vars.iter().zip(&row.values) {
            if let Some(x) = x {
                w.write_record([row.iris.as_str(), row.commune.as_str(), v, &x.to_string()])
                    .map_err(|e| out_err(&source, e))?;
            }
        }
    }
    w.flush().map_err(|e| out_err(&source, e))?;
    s.missing_values = reader.missing_values();
    s.warnings = reader.warnings().clone();
    Ok(s)
}

/// Options of `terrain import contours`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ImportContoursOptions {
    #[serde(flatten)]
    pub contours: ContoursOptions,
    /// The text of a `--mapping` JSON file ([`ContourMapping`]), or a preset name:
    /// `paris-2017`, `lyon-2012`.
    pub mapping_json: Option<String>,
}

/// Reads a contours file and writes it back as GeoJSON (WGS84, properties `code`, `kind`,
/// `name`, `valid`). The whole file is held in memory (a national bureau layer is ~70,000
/// polygons, a few hundred MB: fine for an import, which stores them anyway).
pub fn import_contours<R: Read, W: Write>(
    options: ImportContoursOptions,
    input: R,
    mut output: W,
) -> Result<ContoursReport, IngestError> {
    let mut copts = options.contours.clone();
    if let Some(m) = &options.mapping_json {
        copts.mapping = Some(match m.trim() {
            "paris-2017" => ContourMapping::paris_2017(),
            "lyon-2012" => ContourMapping::lyon_2012(),
            json => serde_json::from_str(json).map_err(|e| IngestError::Json {
                loc: Location::line("mapping", e.line() as u64),
                detail: e.to_string(),
            })?,
        });
    }
    let source = copts.source.clone();
    let (contours, report) = read_contours(input, copts)?;
    output
        .write_all(to_geojson(&contours).as_bytes())
        .map_err(|e| out_err(&source, e))?;
    Ok(report)
}

/// What `terrain import communes --json` prints.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ImportCommunesSummary {
    pub source: String,
    pub communes: u64,
    pub by_kind: BTreeMap<String, u64>,
}

/// Reads the COG (JSON from `@etalab/decoupage-administratif`, or INSEE's `v_commune` CSV,
/// told apart by the first byte) and writes
/// `code;nom;type;departement;region;parent;population;codes_postaux`.
pub fn import_communes<R: Read, W: Write>(
    source: &str,
    input: R,
    output: W,
) -> Result<ImportCommunesSummary, IngestError> {
    let mut b = std::io::BufReader::new(input);
    let first = std::io::BufRead::fill_buf(&mut b)
        .map_err(|e| IngestError::Io {
            loc: Location::file(source),
            detail: e.to_string(),
        })?
        .iter()
        .find(|c| !c.is_ascii_whitespace())
        .copied();
    let communes: Vec<CogCommune> = if first == Some(b'[') {
        read_communes_json(b, source)?
    } else {
        read_communes_csv(b, source)?
    };
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(output);
    w.write_record([
        "code",
        "nom",
        "type",
        "departement",
        "region",
        "parent",
        "population",
        "codes_postaux",
    ])
    .map_err(|e| out_err(source, e))?;
    let mut s = ImportCommunesSummary {
        source: source.into(),
        ..Default::default()
    };
    for c in &communes {
        let kind = serde_json::to_value(c.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        *s.by_kind.entry(kind.clone()).or_default() += 1;
        s.communes += 1;
        w.write_record([
            c.code.to_string(),
            c.name.clone(),
            kind,
            c.department
                .as_ref()
                .map(|d| d.to_string())
                .unwrap_or_default(),
            c.region.as_ref().map(|r| r.to_string()).unwrap_or_default(),
            c.parent.as_ref().map(|p| p.to_string()).unwrap_or_default(),
            c.population.map(|p| p.to_string()).unwrap_or_default(),
            c.postcodes.join(","),
        ])
        .map_err(|e| out_err(source, e))?;
    }
    w.flush().map_err(|e| out_err(source, e))?;
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::read_all;
    use crate::testutil::shared_bytes;

    #[test]
    fn results_round_trip_through_the_normalised_csv_with_blocs() {
        let Some(bytes) = shared_bytes(
            "elections-rhone-69-presidentielle-2017-2022/reconstitue-format-officiel/PR17_BVot_T1_69.txt",
        ) else {
            return;
        };
        let mut out = Vec::new();
        let o = ImportResultsOptions {
            results: ResultsOptions {
                source: "PR17_BVot_T1_69.txt".into(),
                ..Default::default()
            },
            ..Default::default()
        };
        let s = import_results(o, &bytes[..], &mut out).unwrap();
        assert_eq!(s.report.results, 1287);
        assert!(
            s.unknown.is_empty(),
            "every 2017 candidate has a bloc: {:?}",
            s.unknown
        );
        assert_eq!(
            s.votes_by_bloc.values().sum::<u64>(),
            s.report.totals.exprimes
        );
        let (again, rep) = read_all(
            &out[..],
            ResultsOptions {
                source: "normalised.csv".into(),
                ..Default::default()
            },
        )
        .unwrap();
        let (orig, _) = read_all(
            &bytes[..],
            ResultsOptions {
                source: "PR17_BVot_T1_69.txt".into(),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(rep.totals, s.report.totals);
        assert_eq!(again.len(), orig.len());
        assert_eq!(again[0].candidates, orig[0].candidates);
    }

    #[test]
    fn unknown_nuances_are_reported_and_user_tables_fix_them() {
        let text = "bureau_id;election;inscrits;votants;blancs;nuls;exprimes;nom;nuance;voix\n01001_1;2024_legi_t1;10;8;0;0;8;A;ZZZ;5\n01001_1;2024_legi_t1;10;8;0;0;8;B;RN;3\n";
        let o = ImportResultsOptions {
            results: ResultsOptions {
                source: "x.csv".into(),
                ..Default::default()
            },
            ..Default::default()
        };
        let s = import_results(o.clone(), text.as_bytes(), Vec::new()).unwrap();
        assert_eq!(s.unknown.get("ZZZ"), Some(&5));
        assert_eq!(s.report.warnings.by_kind.get("unknown_nuance"), Some(&1));
        let o = ImportResultsOptions {
            nuances_csv: Some("nuance;*;ZZZ;other\n".into()),
            ..o
        };
        let s = import_results(o, text.as_bytes(), Vec::new()).unwrap();
        assert!(s.unknown.is_empty());
        assert_eq!(s.votes_by_bloc["other"], 5);
    }

    #[test]
    fn history_import_writes_the_same_csv() {
        let general = "id_election;id_brut_miom;inscrits;abstentions;votants;blancs;nuls;exprimes\n2022_pres_t2;01001_0001;643;120;523;30;8;485\n";
        let cands = "id_election;id_brut_miom;nom;voix\n2022_pres_t2;01001_0001;MACRON;250\n2022_pres_t2;01001_0001;LE PEN;235\n";
        let mut out = Vec::new();
        let s = import_history(
            ImportHistoryOptions::default(),
            general.as_bytes(),
            cands.as_bytes(),
            &mut out,
        )
        .unwrap();
        assert_eq!(s.report.results, 1);
        assert_eq!(
            (s.votes_by_bloc["centre"], s.votes_by_bloc["far_right"]),
            (250, 235)
        );
        let (again, _) = read_all(&out[..], ResultsOptions::default()).unwrap();
        assert_eq!(again[0].totals.exprimes, 485);
    }

    #[test]
    fn other_imports_write_their_normalised_outputs() {
        let ban = "id;numero;nom_voie;code_insee;lon;lat\nA;1;Rue X;01001;5.005;46.005\n";
        let mut out = Vec::new();
        let s =
            import_addresses(AddressOptions::default(), None, ban.as_bytes(), &mut out).unwrap();
        assert_eq!((s.addresses, s.placed_by["none"]), (1, 1));
        assert!(
            String::from_utf8(out)
                .unwrap()
                .contains("A;1;;Rue X;;01001;;5.005000;46.005000;;;")
        );
        let census = "IRIS,COM,P15_POP\n010010000,01001,767\n";
        let mut out = Vec::new();
        let s = import_census(CensusOptions::default(), census.as_bytes(), &mut out).unwrap();
        assert_eq!(s.iris, 1);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "iris;code_commune;variable;value\n010010000;01001;P15_POP;767\n"
        );
        let cog = "TYPECOM,COM,REG,DEP,LIBELLE,COMPARENT\nCOM,01001,84,01,L'Abergement,\n";
        let mut out = Vec::new();
        assert_eq!(
            import_communes("v.csv", cog.as_bytes(), &mut out)
                .unwrap()
                .communes,
            1
        );
        let reu = "id_brut_bv_reu;longitude;latitude\n29039_1;-4.1;47.99\n";
        assert_eq!(
            import_reu(AddressOptions::default(), reu.as_bytes(), Vec::new())
                .unwrap()
                .bureaux,
            1
        );
        let geo = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"arrondissement":19,"num_bv":5},"geometry":{"type":"Polygon","coordinates":[[[2.37,48.88],[2.38,48.88],[2.38,48.89],[2.37,48.88]]]}}]}"#;
        let mut out = Vec::new();
        let o = ImportContoursOptions {
            mapping_json: Some("paris-2017".into()),
            ..Default::default()
        };
        assert_eq!(
            import_contours(o, geo.as_bytes(), &mut out)
                .unwrap()
                .contours,
            1
        );
        assert!(String::from_utf8(out).unwrap().contains("75056_1905"));
    }
}
