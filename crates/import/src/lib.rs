//! Imports official files into a campaign: `terrain-ingest` parses them (streaming, errors naming
//! file, line and field), this crate turns what they hold into territories, results, census
//! values, shapes and addresses, and `terrain-store` writes each import in one transaction — a
//! failed import leaves the database as it was; re-importing a file changes nothing.
//!
//! Used by `terrain import …`, by the dashboard's upload and by `terrain demo`.

pub mod demo;
pub mod geography;
pub mod osm;
pub mod tree;

use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use terrain_ingest::addresses::{AddressOptions, BanAddress, BanReader};
use terrain_ingest::census::{CensusOptions, CensusTable};
use terrain_ingest::contours::{
    Contour, ContourKind, ContourMapping, ContoursOptions, read_contours,
};
use terrain_ingest::placement::{BureauSource, PlacedAddress, Placer, PolygonIndex, doors_at};
use terrain_ingest::results::{LongMapping, ResultsOptions, read_all};
use terrain_ingest::{Encoding, IngestError, NuanceTable, Policy, Warnings};
use terrain_model::{
    BureauResult, CampaignId, ElectionId, ElectionKind, NewAddress, ResultArea, TerritoryId,
    TerritoryKind,
};
use terrain_store::prelude::*;
use terrain_store::{
    Audit, CandidateVotes, CensusRow, Counts, ElectionData, ImportBatch, ImportOutcome,
    NewElection, ResultRow, Scope, ShapeRow, StorageError,
};
use tree::Tree;

/// Why an import failed. Nothing of it was stored.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be read as its format (the message names file, line and field).
    #[error(transparent)]
    Ingest(#[from] IngestError),
    /// The database refused the import.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The options do not make sense.
    #[error("{0}")]
    Options(String),
    /// Reading the input failed.
    #[error("reading {source_name}: {detail}")]
    Io { source_name: String, detail: String },
}

/// Where an import goes.
#[derive(Clone, Copy)]
pub struct Target<'a> {
    pub store: &'a dyn Store,
    pub campaign: CampaignId,
    pub audit: &'a Audit,
}

impl std::fmt::Debug for Target<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("campaign", &self.campaign)
            .finish_non_exhaustive()
    }
}

/// What an import did: what the file held, what was stored, what was odd about it.
#[derive(Clone, Debug, Serialize)]
pub struct ImportSummary {
    /// `results`, `census`, `contours`, `addresses`…
    pub kind: &'static str,
    pub source: String,
    /// What was written to the database.
    pub stored: ImportOutcome,
    /// What the parser found (layout, rows, totals…), as the parser reports it.
    pub report: serde_json::Value,
    /// Warnings: counted by kind; the first ones in full.
    pub warnings: Warnings,
}

/// Options of a results import.
#[derive(Clone, Debug, Default)]
pub struct ResultsImport {
    /// `2017_pres_t1`; guessed from the file name or its election column when absent.
    pub election: Option<String>,
    /// The text of a column-mapping JSON for the generic long layout.
    pub mapping_json: Option<String>,
    /// The text of a nuance → bloc CSV loaded over the defaults.
    pub nuances_csv: Option<String>,
    pub encoding: Encoding,
    /// Inconsistent rows: warn and import, or stop.
    pub policy: Policy,
}

/// The French label of an election: "Présidentielle 2017 — 1er tour".
pub fn election_label(e: &ElectionId) -> String {
    let kind = match e.kind() {
        ElectionKind::Presidential => "Présidentielle",
        ElectionKind::Legislative => "Législatives",
        ElectionKind::European => "Européennes",
        ElectionKind::Municipal => "Municipales",
        ElectionKind::Departmental => "Départementales",
        ElectionKind::Regional => "Régionales",
        ElectionKind::Referendum => "Référendum",
    };
    let round = if e.round() == 1 {
        "1er tour"
    } else {
        "2d tour"
    };
    format!("{kind} {} — {round}", e.year())
}

/// Turns parsed results into the batch's elections, adding their territories to `tree`.
pub fn results_to_batch(
    results: &[BureauResult],
    nuances: &NuanceTable,
    tree: &mut Tree,
) -> Vec<ElectionData> {
    let mut by_election: BTreeMap<ElectionId, Vec<ResultRow>> = BTreeMap::new();
    for r in results {
        let (kind, area) = match &r.area {
            ResultArea::Bureau(b) => {
                tree.bureau(b, Some(r.commune_name.as_str()).filter(|n| !n.is_empty()));
                (TerritoryKind::Bureau, b.to_string())
            }
            ResultArea::Commune(c) => {
                tree.commune(c, Some(r.commune_name.as_str()).filter(|n| !n.is_empty()));
                let kind = if c.plm_city().is_some() {
                    TerritoryKind::Arrondissement
                } else {
                    TerritoryKind::Commune
                };
                (kind, c.to_string())
            }
        };
        let t = &r.totals;
        by_election
            .entry(r.election.clone())
            .or_default()
            .push(ResultRow {
                kind,
                area,
                counts: Counts {
                    inscrits: t.inscrits,
                    abstentions: t.abstentions,
                    votants: t.votants,
                    blancs: t.blancs,
                    nuls: t.nuls,
                    exprimes: t.exprimes,
                },
                candidates: r
                    .candidates
                    .iter()
                    .map(|c| CandidateVotes {
                        panel: c.panel,
                        name: c.display_name(),
                        nuance: c.nuance.as_ref().map(|n| n.as_str().to_string()),
                        bloc: nuances
                            .bloc_for(&r.election, c)
                            .map(|b| b.as_str().to_string()),
                        votes: c.votes,
                    })
                    .collect(),
            });
    }
    by_election
        .into_iter()
        .map(|(e, rows)| ElectionData {
            election: NewElection {
                code: e.to_string(),
                kind: serde_json::to_value(e.kind())
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default(),
                year: i32::from(e.year()),
                round: i32::from(e.round()),
                label: election_label(&e),
            },
            rows,
        })
        .collect()
}

/// Votes per bloc over all results, and the nuances the table does not know.
fn bloc_report(results: &[BureauResult], nuances: &NuanceTable) -> serde_json::Value {
    let mut blocs: BTreeMap<String, u64> = BTreeMap::new();
    let mut unknown: BTreeMap<String, u64> = BTreeMap::new();
    for r in results {
        for c in &r.candidates {
            match nuances.bloc_for(&r.election, c) {
                Some(b) => *blocs.entry(b.as_str().into()).or_default() += c.votes,
                None => {
                    let key = c
                        .nuance
                        .as_ref()
                        .map_or_else(|| c.display_name(), |n| n.as_str().to_string());
                    *unknown.entry(key).or_default() += c.votes;
                }
            }
        }
    }
    serde_json::json!({"votes_by_bloc": blocs, "unknown_nuances": unknown})
}

fn nuance_table(csv: Option<&str>) -> Result<NuanceTable, ImportError> {
    let mut table = NuanceTable::defaults();
    if let Some(text) = csv {
        table.merge(NuanceTable::from_csv(text.as_bytes(), "--nuances")?);
    }
    Ok(table)
}

/// Imports a results file (every layout `terrain-ingest` reads).
pub async fn import_results(
    target: Target<'_>,
    source: &str,
    input: impl Read,
    opts: &ResultsImport,
) -> Result<ImportSummary, ImportError> {
    let election = opts
        .election
        .as_deref()
        .map(ElectionId::parse)
        .transpose()
        .map_err(|e| ImportError::Options(e.to_string()))?;
    let mapping = opts
        .mapping_json
        .as_deref()
        .map(serde_json::from_str::<LongMapping>)
        .transpose()
        .map_err(|e| ImportError::Options(format!("--mapping: {e}")))?;
    let nuances = nuance_table(opts.nuances_csv.as_deref())?;
    let (results, report) = read_all(
        input,
        ResultsOptions {
            source: source.to_string(),
            election,
            encoding: opts.encoding,
            policy: opts.policy,
            mapping,
        },
    )?;
    if results.is_empty() {
        return Err(ImportError::Options(format!(
            "{source}: no results found in the file"
        )));
    }
    let index = target.store.territory_index(target.campaign).await?;
    let mut tree = Tree::new(&index);
    let elections = results_to_batch(&results, &nuances, &mut tree);
    let batch = ImportBatch {
        source: source.to_string(),
        territories: tree.items,
        elections,
        ..Default::default()
    };
    let stored = target
        .store
        .apply_import(target.audit, target.campaign, &batch)
        .await?;
    let mut report_json = serde_json::to_value(&report).unwrap_or_default();
    if let (Some(obj), serde_json::Value::Object(extra)) =
        (report_json.as_object_mut(), bloc_report(&results, &nuances))
    {
        obj.remove("warnings");
        obj.extend(extra);
    }
    Ok(ImportSummary {
        kind: "results",
        source: source.into(),
        stored,
        report: report_json,
        warnings: report.warnings,
    })
}

/// Census values of parsed tables, adding their IRIS to `tree`. Missing values (secret cells)
/// are left out.
pub fn census_to_rows(table: &CensusTable, source: &str, tree: &mut Tree) -> Vec<CensusRow> {
    let mut out = Vec::new();
    for row in &table.rows {
        tree.iris(&row.iris, row.name.as_deref(), None);
        for (v, value) in table.variables.iter().zip(&row.values) {
            if let Some(value) = value.filter(|x| x.is_finite()) {
                out.push(CensusRow {
                    kind: TerritoryKind::Iris,
                    code: row.iris.to_string(),
                    source: source.to_string(),
                    variable: v.name.clone(),
                    value,
                });
            }
        }
    }
    out
}

/// Imports an INSEE IRIS table (census `base-ic-*` or Filosofi). `table` names it in the store
/// (`diplomes-2015`); by default the file name without extensions.
pub async fn import_census(
    target: Target<'_>,
    source: &str,
    table: Option<&str>,
    input: impl Read,
    encoding: Encoding,
) -> Result<ImportSummary, ImportError> {
    let parsed = CensusTable::read(
        input,
        CensusOptions {
            source: source.to_string(),
            encoding,
            ..Default::default()
        },
    )?;
    let name = table.map_or_else(|| table_name(source), str::to_string);
    let index = target.store.territory_index(target.campaign).await?;
    let mut tree = Tree::new(&index);
    let census = census_to_rows(&parsed, &name, &mut tree);
    let report = serde_json::json!({"table": name, "iris": parsed.rows.len(), "variables": parsed.variables.len()});
    let batch = ImportBatch {
        source: source.to_string(),
        territories: tree.items,
        census,
        ..Default::default()
    };
    let stored = target
        .store
        .apply_import(target.audit, target.campaign, &batch)
        .await?;
    Ok(ImportSummary {
        kind: "census",
        source: source.into(),
        stored,
        report,
        warnings: Warnings::default(),
    })
}

/// `base-ic-diplomes-formation-2015.csv.gz` → `base-ic-diplomes-formation-2015`.
fn table_name(source: &str) -> String {
    let file = source.rsplit(['/', '\\']).next().unwrap_or(source);
    let mut name = file;
    for ext in [".gz", ".csv", ".txt"] {
        name = name.strip_suffix(ext).unwrap_or(name);
    }
    name.to_string()
}

/// Shapes of parsed contours, adding their territories to `tree`.
pub fn contours_to_shapes(contours: &[Contour], tree: &mut Tree) -> Vec<ShapeRow> {
    use geo::BoundingRect;
    let mut out = Vec::with_capacity(contours.len());
    for c in contours {
        let kind = match c.kind {
            ContourKind::Bureau => match terrain_model::BureauId::parse(&c.code) {
                Ok(b) => {
                    tree.bureau(&b, None);
                    TerritoryKind::Bureau
                }
                Err(_) => continue,
            },
            ContourKind::Iris => match terrain_model::IrisCode::parse(&c.code) {
                Ok(i) => {
                    tree.iris(&i, c.name.as_deref(), None);
                    TerritoryKind::Iris
                }
                Err(_) => continue,
            },
            ContourKind::Commune => match terrain_model::CommuneCode::parse(&c.code) {
                Ok(code) => {
                    let key = tree.commune(&code, c.name.as_deref());
                    key.0
                }
                Err(_) => continue,
            },
        };
        let Some(rect) = c.geometry.bounding_rect() else {
            continue;
        };
        out.push(ShapeRow {
            kind,
            code: c.code.clone(),
            geometry: geojson::Geometry::from(&c.geometry).to_string(),
            bbox: [rect.min().x, rect.min().y, rect.max().x, rect.max().y],
            valid: c.valid,
        });
    }
    out
}

/// Imports a contours GeoJSON (bureaux, IRIS or communes; Lambert-93 is reprojected).
pub async fn import_contours(
    target: Target<'_>,
    source: &str,
    input: impl Read,
    kind: ContourKind,
    mapping: Option<ContourMapping>,
) -> Result<ImportSummary, ImportError> {
    let (contours, report) = read_contours(
        input,
        ContoursOptions {
            source: source.to_string(),
            kind,
            mapping,
            ..Default::default()
        },
    )?;
    let index = target.store.territory_index(target.campaign).await?;
    let mut tree = Tree::new(&index);
    let shapes = contours_to_shapes(&contours, &mut tree);
    let batch = ImportBatch {
        source: source.to_string(),
        territories: tree.items,
        shapes,
        ..Default::default()
    };
    let stored = target
        .store
        .apply_import(target.audit, target.campaign, &batch)
        .await?;
    let mut report_json = serde_json::to_value(&report).unwrap_or_default();
    if let Some(o) = report_json.as_object_mut() {
        o.remove("warnings");
    }
    Ok(ImportSummary {
        kind: "contours",
        source: source.into(),
        stored,
        report: report_json,
        warnings: report.warnings,
    })
}

/// Addresses to store, with their bureau and IRIS resolved to the campaign's territories.
/// Addresses placed in a bureau or IRIS the campaign does not have keep no link to it.
pub fn addresses_to_store(
    placed: &[PlacedAddress],
    ids: &HashMap<(TerritoryKind, String), TerritoryId>,
) -> Vec<NewAddress> {
    placed
        .iter()
        .map(|p| {
            let a = &p.address;
            NewAddress {
                ban_id: Some(a.ban_id.clone()),
                number: a.number.clone(),
                rep: a.rep.clone(),
                street: a.street.clone(),
                postcode: a.postcode.clone(),
                commune: a.commune.clone(),
                lon: a.lon,
                lat: a.lat,
                bureau_id: p
                    .bureau
                    .as_ref()
                    .and_then(|b| ids.get(&(TerritoryKind::Bureau, b.to_string())).copied()),
                iris_id: p
                    .iris
                    .as_ref()
                    .and_then(|i| ids.get(&(TerritoryKind::Iris, i.to_string())).copied()),
                doors_estimated: p.doors_estimated,
            }
        })
        .collect()
}

/// What an addresses import did, beside what was stored.
#[derive(Clone, Debug, Default, Serialize)]
pub struct AddressesReport {
    pub read: u64,
    pub stored: u64,
    /// Placed in a bureau by the file itself, by a contour, by the nearest contour.
    pub placed_by: BTreeMap<String, u64>,
    pub without_bureau: u64,
    pub without_iris: u64,
    /// The election whose registered voters set the doors estimate.
    pub doors_from: Option<String>,
    pub doors_estimated: u64,
}

/// How many addresses are written per transaction: a national file streams through in
/// batches of this size, so memory stays bounded; a re-run after a failure skips what is
/// already stored (BAN ids are unique per campaign).
pub const ADDRESS_BATCH: usize = 50_000;

fn shapes_index(features: Vec<terrain_store::MapFeature>, kind: ContourKind) -> PolygonIndex {
    let contours = features.into_iter().filter_map(|f| {
        let g: geojson::Geometry = f.geometry.parse().ok()?;
        let geometry: geo::Geometry<f64> = g.try_into().ok()?;
        let mp = match geometry {
            geo::Geometry::Polygon(p) => geo::MultiPolygon(vec![p]),
            geo::Geometry::MultiPolygon(mp) => mp,
            _ => return None,
        };
        Some(Contour {
            kind,
            code: f.code,
            name: Some(f.name),
            geometry: mp,
            valid: f.valid,
        })
    });
    PolygonIndex::new(contours)
}

/// Imports a BAN addresses file (plain or gzip). Each address is placed in the campaign's
/// bureau and IRIS contours (a bureau the file itself names wins), and its doors are
/// estimated from the registered voters of `doors_election` (the latest election when absent):
/// 1.4 registered per dwelling, spread over the bureau's addresses. `open` is called twice: the
/// first pass counts addresses per bureau, the second stores them.
pub async fn import_addresses<R: Read>(
    target: Target<'_>,
    source: &str,
    mut open: impl FnMut() -> std::io::Result<R>,
    doors_election: Option<&str>,
) -> Result<ImportSummary, ImportError> {
    let io = |e: std::io::Error| ImportError::Io {
        source_name: source.to_string(),
        detail: e.to_string(),
    };
    let store = target.store;
    let placer = Placer {
        bureaux: Some(shapes_index(
            store
                .shapes(target.campaign, TerritoryKind::Bureau, &Scope::Campaign)
                .await?,
            ContourKind::Bureau,
        )),
        iris: Some(shapes_index(
            store
                .shapes(target.campaign, TerritoryKind::Iris, &Scope::Campaign)
                .await?,
            ContourKind::Iris,
        )),
        ..Placer::default()
    };
    // Registered voters per bureau, for the doors estimate.
    let elections = store.elections(target.campaign).await?;
    let election = match doors_election {
        Some(code) => Some(store.election_by_code(target.campaign, code).await?),
        None => elections.into_iter().find(|e| e.bureaux > 0),
    };
    let index = store.territory_index(target.campaign).await?;
    let ids: HashMap<(TerritoryKind, String), TerritoryId> = index
        .iter()
        .map(|(k, c, id, _)| ((*k, c.clone()), *id))
        .collect();
    let code_of: HashMap<TerritoryId, String> = index
        .iter()
        .filter(|(k, ..)| *k == TerritoryKind::Bureau)
        .map(|(_, c, id, _)| (*id, c.clone()))
        .collect();
    let mut registered: HashMap<String, u64> = HashMap::new();
    if let Some(e) = &election {
        for r in store
            .bureau_results(target.campaign, e.id, &Scope::Campaign)
            .await?
        {
            if let Some(code) = code_of.get(&r.territory_id) {
                registered.insert(code.clone(), r.counts.inscrits);
            }
        }
    }
    let options = || AddressOptions {
        source: source.to_string(),
        ..Default::default()
    };
    let place = |a: BanAddress| -> PlacedAddress {
        if a.bureau.is_some() {
            let (bureau, iris) = (a.bureau.clone(), a.iris.clone());
            let iris = iris.or_else(|| placer.place(a.clone()).iris);
            PlacedAddress {
                address: a,
                bureau,
                bureau_source: BureauSource::File,
                iris,
                doors_estimated: 1,
            }
        } else {
            placer.place(a)
        }
    };
    // Pass 1: addresses per bureau.
    let mut per_bureau: HashMap<String, usize> = HashMap::new();
    let mut reader = BanReader::new(open().map_err(io)?, options())?;
    for a in reader.by_ref() {
        if let Some(b) = place(a?).bureau {
            *per_bureau.entry(b.to_string()).or_default() += 1;
        }
    }
    // Pass 2: store, in batches.
    let mut report = AddressesReport {
        doors_from: election.as_ref().map(|e| e.code.clone()),
        ..Default::default()
    };
    let mut rank: HashMap<String, usize> = HashMap::new();
    let mut reader = BanReader::new(open().map_err(io)?, options())?;
    let mut batch: Vec<PlacedAddress> = Vec::with_capacity(ADDRESS_BATCH.min(1 << 16));
    let stored = ImportOutcome::default();
    let mut done = false;
    while !done {
        match reader.next() {
            Some(a) => {
                report.read += 1;
                let mut p = place(a?);
                let how = serde_json::to_value(p.bureau_source)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default();
                *report.placed_by.entry(how).or_default() += 1;
                match &p.bureau {
                    Some(b) => {
                        let key = b.to_string();
                        let r = rank.entry(key.clone()).or_default();
                        p.doors_estimated = match registered.get(&key) {
                            Some(&inscrits) => {
                                report.doors_estimated += 1;
                                doors_at(inscrits, per_bureau.get(&key).copied().unwrap_or(1), *r)
                            }
                            None => 1,
                        };
                        *r += 1;
                    }
                    None => report.without_bureau += 1,
                }
                if p.iris.is_none() {
                    report.without_iris += 1;
                }
                batch.push(p);
            }
            None => done = true,
        }
        if batch.len() >= ADDRESS_BATCH || (done && !batch.is_empty()) {
            let items = addresses_to_store(&batch, &ids);
            report.stored += store
                .add_addresses(target.audit, target.campaign, &items)
                .await?
                .len() as u64;
            batch.clear();
        }
    }
    let warnings = reader.warnings().clone();
    Ok(ImportSummary {
        kind: "addresses",
        source: source.into(),
        stored,
        report: serde_json::to_value(&report).unwrap_or_default(),
        warnings,
    })
}

/// Imports the COG communes (the JSON of `@etalab/decoupage-administratif` or INSEE's
/// `v_commune_AAAA.csv`): regions, departments, communes and municipal arrondissements with
/// their official names. Associated and delegated communes are left out of the tree.
pub async fn import_communes(
    target: Target<'_>,
    source: &str,
    input: impl Read,
) -> Result<ImportSummary, ImportError> {
    use terrain_ingest::cog::{CommuneKind, read_communes_csv, read_communes_json};
    let mut buf = std::io::BufReader::new(input);
    let first = {
        use std::io::BufRead;
        let data = buf.fill_buf().map_err(|e| ImportError::Io {
            source_name: source.to_string(),
            detail: e.to_string(),
        })?;
        data.iter()
            .copied()
            .find(|b| !b.is_ascii_whitespace() && *b != 0xEF && *b != 0xBB && *b != 0xBF)
    };
    let communes = if first == Some(b'[') {
        read_communes_json(buf, source)?
    } else {
        read_communes_csv(buf, source)?
    };
    let index = target.store.territory_index(target.campaign).await?;
    let mut tree = Tree::new(&index);
    let mut kept = 0u64;
    for c in &communes {
        if matches!(
            c.kind,
            CommuneKind::Current | CommuneKind::MunicipalArrondissement
        ) {
            tree.commune(&c.code, Some(c.name.as_str()));
            kept += 1;
        }
    }
    let batch = ImportBatch {
        source: source.to_string(),
        territories: tree.items,
        ..Default::default()
    };
    let stored = target
        .store
        .apply_import(target.audit, target.campaign, &batch)
        .await?;
    let report = serde_json::json!({"communes_read": communes.len(), "communes_kept": kept});
    Ok(ImportSummary {
        kind: "communes",
        source: source.into(),
        stored,
        report,
        warnings: Warnings::default(),
    })
}
