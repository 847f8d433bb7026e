//! The Paris demo data set (`data/paris/`, committed with its provenance): parsed by
//! `terrain_ingest::demo` and stored into a campaign — 896 bureaux with their 2017
//! presidential and legislative results and contours, 992 IRIS with their contours and 2015
//! census, 158,048 BAN addresses placed in bureaux and IRIS with their estimated doors.
//!
//! The files are compiled into the binary, so `terrain demo` needs nothing beside it.

use crate::tree::Tree;
use crate::{
    ImportError, Target, addresses_to_store, census_to_rows, contours_to_shapes, results_to_batch,
};
use serde::Serialize;
use std::collections::HashMap;
use terrain_ingest::NuanceTable;
use terrain_ingest::demo::{ParisFiles, ParisInputs, load_paris_demo};
use terrain_model::TerritoryKind;
use terrain_store::ImportBatch;

macro_rules! paris_file {
    ($name:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../data/paris/",
            $name
        ))
        .as_slice()
    };
}

const RESULTS: &[u8] = paris_file!("resultats-2017-par-bureau.csv.gz");
const BUREAUX: &[u8] = paris_file!("bureaux-de-vote-2017.geojson.gz");
const IRIS: &[u8] = paris_file!("iris-2013.geojson.gz");
const ADDRESSES: &[u8] = paris_file!("adresses-75-placees.csv.gz");
const DIPLOMES: &[u8] = paris_file!("recensement-2015-diplomes.csv.gz");
const EMPLOI: &[u8] = paris_file!("recensement-2015-emploi.csv.gz");
const FILOSOFI: &[u8] = paris_file!("filosofi-2015-paris.csv.gz");

/// What the demo import stored.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ParisLoaded {
    pub territories: u64,
    pub elections: Vec<String>,
    pub bureaux_with_results: u64,
    pub shapes: u64,
    pub census_values: u64,
    pub addresses: u64,
    pub warnings: u64,
}

/// Loads the Paris demo data into a campaign.
pub async fn load_paris(target: Target<'_>) -> Result<ParisLoaded, ImportError> {
    let demo = load_paris_demo(ParisInputs {
        results: Box::new(RESULTS),
        bureaux: Box::new(BUREAUX),
        iris: Box::new(IRIS),
        addresses: Box::new(ADDRESSES),
        census: vec![
            (ParisFiles::CENSUS[0].to_string(), Box::new(DIPLOMES)),
            (ParisFiles::CENSUS[1].to_string(), Box::new(EMPLOI)),
        ],
        filosofi: Box::new(FILOSOFI),
    })?;
    let index = target.store.territory_index(target.campaign).await?;
    let mut tree = Tree::new(&index);
    let elections = results_to_batch(&demo.results, &NuanceTable::defaults(), &mut tree);
    let mut shapes = contours_to_shapes(&demo.bureaux, &mut tree);
    shapes.extend(contours_to_shapes(&demo.iris, &mut tree));
    let mut census = Vec::new();
    for (table, name) in demo
        .census
        .iter()
        .zip(["recensement-2015-diplomes", "recensement-2015-emploi"])
    {
        census.extend(census_to_rows(table, name, &mut tree));
    }
    census.extend(census_to_rows(&demo.filosofi, "filosofi-2015", &mut tree));
    let batch = ImportBatch {
        source: "data/paris".into(),
        territories: tree.items,
        elections,
        census,
        shapes,
    };
    let stored = target
        .store
        .apply_import(target.audit, target.campaign, &batch)
        .await?;
    let index = target.store.territory_index(target.campaign).await?;
    let ids: HashMap<(TerritoryKind, String), terrain_model::TerritoryId> = index
        .into_iter()
        .map(|(k, c, id, _)| ((k, c), id))
        .collect();
    let addresses = addresses_to_store(&demo.addresses, &ids);
    let n = target
        .store
        .add_addresses(target.audit, target.campaign, &addresses)
        .await?
        .len() as u64;
    Ok(ParisLoaded {
        territories: stored.territories_seen,
        elections: stored.elections.iter().map(|(c, _)| c.clone()).collect(),
        bureaux_with_results: stored.bureaux_with_results,
        shapes: stored.shapes,
        census_values: stored.census_values,
        addresses: n,
        warnings: demo.warnings.total,
    })
}
