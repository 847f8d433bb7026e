//! `terrain import …`: official files into a campaign, with a progress bar, one transaction per
//! file (addresses: per batch of 50,000), a summary (`--json` for scripts) naming counts,
//! warnings and errors.

use super::{DbArgs, print_json};
use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use terrain_import::{ImportSummary, ResultsImport, Target};
use terrain_ingest::contours::{ContourKind, ContourMapping};
use terrain_ingest::{Encoding, Policy};
use terrain_model::Slug;
use terrain_store::{Audit, Store};

/// Options every import takes.
#[derive(Debug, clap::Args)]
pub struct Common {
    #[command(flatten)]
    pub db: DbArgs,
    /// The campaign (slug) to import into.
    #[arg(long)]
    pub campaign: String,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
    /// The file (plain or gzip).
    pub file: PathBuf,
}

/// The file's text encoding.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum EncodingArg {
    Auto,
    Utf8,
    Latin1,
}

impl From<EncodingArg> for Encoding {
    fn from(e: EncodingArg) -> Self {
        match e {
            EncodingArg::Auto => Encoding::Auto,
            EncodingArg::Utf8 => Encoding::Utf8,
            EncodingArg::Latin1 => Encoding::Latin1,
        }
    }
}

/// What to do with a row whose totals do not add up.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum OnInconsistent {
    /// Import it and report a warning.
    Warn,
    /// Stop: nothing of the file is imported.
    Stop,
}

/// `terrain import …`.
#[derive(Debug, clap::Subcommand)]
pub enum ImportCommand {
    /// Results by bureau de vote: Ministry 2017–2022 and 2024 layouts, or a long CSV.
    Results {
        #[command(flatten)]
        common: Common,
        /// Election and round, e.g. `2017_pres_t1` (guessed from the file name otherwise).
        #[arg(long)]
        election: Option<String>,
        /// Column mapping (JSON) for a long CSV.
        #[arg(long)]
        mapping: Option<PathBuf>,
        /// Nuance → bloc table (CSV `kind;scope;code;bloc`), loaded over the defaults.
        #[arg(long)]
        nuances: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "auto")]
        encoding: EncodingArg,
        #[arg(long, value_enum, default_value = "warn")]
        on_inconsistent: OnInconsistent,
    },
    /// An INSEE IRIS table: census `base-ic-*` or Filosofi.
    Census {
        #[command(flatten)]
        common: Common,
        /// Name of the table in Terrain (default: the file name).
        #[arg(long)]
        table: Option<String>,
        #[arg(long, value_enum, default_value = "auto")]
        encoding: EncodingArg,
    },
    /// Contours (GeoJSON; Lambert-93 is reprojected): bureaux, IRIS or communes.
    Contours {
        #[command(flatten)]
        common: Common,
        #[arg(long, value_enum)]
        kind: KindArg,
        /// Which properties hold the codes: a JSON file, or `paris-2017` / `lyon-2012`.
        #[arg(long)]
        mapping: Option<String>,
    },
    /// BAN addresses (`adresses-<dep>.csv.gz`), placed in the campaign's bureaux and IRIS.
    Addresses {
        #[command(flatten)]
        common: Common,
        /// Election whose registered voters estimate the doors (default: the latest).
        #[arg(long)]
        doors_election: Option<String>,
    },
    /// COG communes (JSON or `v_commune_AAAA.csv`): official names of the territory tree.
    Communes {
        #[command(flatten)]
        common: Common,
    },
    /// An OpenStreetMap extract (`.osm.pbf`): its walkable ways become the campaign's street
    /// network, used for walking distances when turfs are cut (replaces an earlier one).
    Osm {
        #[command(flatten)]
        common: Common,
    },
}

/// Contour layers.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum KindArg {
    Bureau,
    Iris,
    Commune,
}

/// A reader that moves a progress bar by the bytes it reads.
struct Counting<R> {
    inner: R,
    bar: ProgressBar,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
}

fn bar(path: &Path, quiet: bool) -> ProgressBar {
    let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg:<12} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar
}

fn open(path: &Path, bar: &ProgressBar, phase: &str) -> anyhow::Result<Counting<File>> {
    bar.reset();
    bar.set_message(phase.to_string());
    let f = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    Ok(Counting {
        inner: f,
        bar: bar.clone(),
    })
}

fn source_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

fn read_text(path: &Option<PathBuf>) -> anyhow::Result<Option<String>> {
    path.as_ref()
        .map(|p| std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display())))
        .transpose()
}

/// Runs `terrain import …`.
pub async fn run(cmd: ImportCommand) -> anyhow::Result<()> {
    let common = match &cmd {
        ImportCommand::Results { common, .. }
        | ImportCommand::Census { common, .. }
        | ImportCommand::Contours { common, .. }
        | ImportCommand::Addresses { common, .. }
        | ImportCommand::Communes { common }
        | ImportCommand::Osm { common } => common,
    };
    let store = common.db.open().await?;
    let campaign = store
        .campaign_by_slug(&Slug::parse(&common.campaign)?)
        .await
        .with_context(|| format!("campaign {}", common.campaign))?;
    let audit = Audit::cli();
    let target = Target {
        store: &*store,
        campaign: campaign.id,
        audit: &audit,
    };
    let path = common.file.clone();
    let source = source_name(&path);
    let bar = bar(&path, common.json);
    let summary: ImportSummary = match &cmd {
        ImportCommand::Results {
            election,
            mapping,
            nuances,
            encoding,
            on_inconsistent,
            ..
        } => {
            let opts = ResultsImport {
                election: election.clone(),
                mapping_json: read_text(mapping)?,
                nuances_csv: read_text(nuances)?,
                encoding: (*encoding).into(),
                policy: match on_inconsistent {
                    OnInconsistent::Warn => Policy::Warn,
                    OnInconsistent::Stop => Policy::Stop,
                },
            };
            terrain_import::import_results(target, &source, open(&path, &bar, "results")?, &opts)
                .await?
        }
        ImportCommand::Census {
            table, encoding, ..
        } => {
            terrain_import::import_census(
                target,
                &source,
                table.as_deref(),
                open(&path, &bar, "census")?,
                (*encoding).into(),
            )
            .await?
        }
        ImportCommand::Contours { kind, mapping, .. } => {
            let mapping = match mapping.as_deref() {
                None => None,
                Some("paris-2017") => Some(ContourMapping::paris_2017()),
                Some("lyon-2012") => Some(ContourMapping::lyon_2012()),
                Some(file) => Some(
                    serde_json::from_str(
                        &std::fs::read_to_string(file)
                            .with_context(|| format!("reading {file}"))?,
                    )
                    .with_context(|| format!("{file}: not a contour mapping"))?,
                ),
            };
            let kind = match kind {
                KindArg::Bureau => ContourKind::Bureau,
                KindArg::Iris => ContourKind::Iris,
                KindArg::Commune => ContourKind::Commune,
            };
            terrain_import::import_contours(
                target,
                &source,
                open(&path, &bar, "contours")?,
                kind,
                mapping,
            )
            .await?
        }
        ImportCommand::Addresses { doors_election, .. } => {
            let mut pass = 0;
            terrain_import::import_addresses(
                target,
                &source,
                || {
                    pass += 1;
                    open(&path, &bar, if pass == 1 { "placing" } else { "storing" })
                        .map_err(std::io::Error::other)
                },
                doors_election.as_deref(),
            )
            .await?
        }
        ImportCommand::Communes { .. } => {
            terrain_import::import_communes(target, &source, open(&path, &bar, "communes")?).await?
        }
        ImportCommand::Osm { .. } => {
            let reader = std::io::BufReader::new(open(&path, &bar, "streets")?);
            let s = terrain_import::osm::import_osm(target, &source, reader).await?;
            bar.finish_and_clear();
            return print_osm(&s, common.json);
        }
    };
    bar.finish_and_clear();
    if common.json {
        return print_json(&summary);
    }
    print_summary(&summary, &*store);
    Ok(())
}

fn print_osm(s: &terrain_import::osm::OsmSummary, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(s);
    }
    let g = &s.graph;
    println!("Imported {} (OpenStreetMap):", s.source);
    println!(
        "  walkable ways: {} of {} ways read; {} buildings seen (doors come from addresses)",
        s.osm.walkable_ways, s.osm.ways_read, s.osm.buildings
    );
    println!(
        "  street network: {} nodes, {} edges, {:.1} km, {} street segments, stored in {} kB",
        s.stored.nodes,
        s.stored.edges,
        g.length_km,
        g.street_segments,
        s.bytes / 1024
    );
    println!(
        "  connected pieces: {} ({:.1} % of the length in the largest; {} small pieces not used for snapping)",
        g.components,
        100.0 * g.largest_component_share,
        g.small_components
    );
    if s.osm.missing_node_refs > 0 {
        println!(
            "  {} way nodes missing from the extract (ways cut at its edge)",
            s.osm.missing_node_refs
        );
    }
    println!("  Turfs cut from now on use walking distances on these streets.");
    Ok(())
}

fn print_summary(s: &ImportSummary, _store: &dyn Store) {
    let st = &s.stored;
    println!("Imported {} ({}):", s.source, s.kind);
    println!(
        "  territories: {} new, {} named in the file",
        st.territories_created, st.territories_seen
    );
    for (code, _) in &st.elections {
        println!("  election {code}");
    }
    if st.bureaux_with_results > 0 {
        println!(
            "  results: {} bureaux, {} candidate rows",
            st.bureaux_with_results, st.candidate_rows
        );
    }
    if st.census_values > 0 {
        println!("  census values: {}", st.census_values);
    }
    if st.shapes > 0 {
        println!("  shapes: {}", st.shapes);
    }
    if let Some(o) = s.report.as_object() {
        for key in [
            "read",
            "stored",
            "without_bureau",
            "without_iris",
            "doors_from",
        ] {
            if let Some(v) = o.get(key) {
                println!("  {key}: {v}");
            }
        }
        if let Some(u) = o
            .get("unknown_nuances")
            .and_then(|u| u.as_object())
            .filter(|u| !u.is_empty())
        {
            println!(
                "  nuances with no bloc (add them with --nuances): {}",
                u.keys().cloned().collect::<Vec<_>>().join(", ")
            );
        }
    }
    if s.warnings.total > 0 {
        println!("  {} warning(s):", s.warnings.total);
        for w in s.warnings.kept.iter().take(10) {
            println!("    {w}");
        }
        if s.warnings.total > 10 {
            println!(
                "    … (--json lists up to {})",
                terrain_ingest::Warnings::KEPT
            );
        }
    }
}
