//! Election results by bureau de vote, from any of the layouts the Ministry and others publish.
//!
//! [`ResultsReader`] reads the header, recognises the layout and then yields one
//! [`BureauResult`] per bureau (or commune) and election, streaming: memory does not grow with
//! the file. Layouts:
//!
//! - **Ministry 2017–2022** (`wide`): ISO-8859-1, `;`, CRLF, 21 general columns (18 in the
//!   commune-level "subcom" files) then one block of 7 fields per candidate (8 with `Nuance` in
//!   legislative files). The official header names one block and rows are *ragged*; derived
//!   copies number the blocks (`N°Panneau_1`…) and may add columns after them. Both are read.
//! - **Ministry 2024** (`wide` too): UTF-8, 19 general columns in another order, numbered
//!   blocks of 9 fields (`Numéro de panneau 1`… `Elu 1`), the full INSEE commune code,
//!   percentages as `78,94%`, `MASCULIN`/`FEMININ`, bureau codes not padded; the European
//!   variant's list blocks (`Libellé de liste 1`, `Sièges 1`); quoted or unquoted headers.
//! - **Long** ([`LongMapping`]): one row per (bureau, candidate) with the bureau's totals
//!   repeated, columns found by name or given by a mapping (the Paris 2017 file).
//!
//! The aggregated data.gouv history (two files joined) is read by [`history::HistoryReader`].
//!
//! Every row is checked: inscrits = abstentions + votants, votants = blancs + nuls + exprimés,
//! Σ voix = exprimés. With [`Policy::Warn`] a broken row is kept and reported (file, line,
//! bureau); with [`Policy::Stop`] the reader stops with an error naming it.

pub mod history;
pub mod long;
mod wide;

pub use long::LongMapping;

use crate::error::{IngestError, Location, Policy, Warning, WarningKind, Warnings};
use crate::record::{Record, Records};
use crate::sniff;
use crate::text::{Decoder, Encoding};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader, Read};
use terrain_model::{BureauResult, ElectionId, ElectionKind, Totals};

/// How to read a results file.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ResultsOptions {
    /// The name used in messages (usually the file name); also used to guess the election.
    pub source: String,
    /// The election and round (`2017_pres_t1`). When absent it is guessed from the file name
    /// (`PR17_BVot_T1_FE.txt`), or read from the file's own election column (long layout).
    pub election: Option<ElectionId>,
    pub encoding: Encoding,
    /// What to do with rows whose totals do not add up.
    pub policy: Policy,
    /// For the long layout: which column holds what (found by name when absent).
    pub mapping: Option<LongMapping>,
}

/// The layout recognised from the header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    /// Ministry 2017–2022, official header with one candidate block, ragged rows.
    Ministry2017Ragged,
    /// Ministry 2017–2022 with numbered candidate blocks (derived copies, xlsx exports).
    Ministry2017Numbered,
    /// Ministry 2024 (legislative or European), numbered fixed-width blocks.
    Ministry2024,
    /// One row per (bureau, candidate).
    Long,
}

/// What a file held, for the `--json` summary.
#[derive(Clone, Debug, Serialize)]
pub struct ResultsReport {
    pub source: String,
    pub layout: Option<Layout>,
    pub encoding: Option<Encoding>,
    /// Every election met (one unless the long layout has an election column).
    pub elections: Vec<ElectionId>,
    pub rows_read: u64,
    /// Bureau (or commune) results yielded.
    pub results: u64,
    /// Candidate or list results yielded.
    pub candidate_results: u64,
    /// Rows of French people abroad (`ZZ`), which have no commune.
    pub skipped_abroad: u64,
    /// Rows whose place could not be mapped to an INSEE commune.
    pub skipped_unmapped: u64,
    pub inconsistent_rows: u64,
    /// Sums over all yielded results.
    pub totals: Totals,
    pub warnings: Warnings,
}

/// State shared by the layouts: where we are, what we met.
#[derive(Debug)]
pub(crate) struct Common {
    pub source: String,
    pub election: Option<ElectionId>,
    pub policy: Policy,
    pub decoder: Decoder,
    pub report: ResultsReport,
}

impl Common {
    pub(crate) fn loc(&self, line: u64) -> Location {
        Location::line(&self.source, line)
    }

    pub(crate) fn warn(&mut self, kind: WarningKind, line: u64, bureau: Option<&str>, msg: String) {
        self.report.warnings.push(Warning {
            kind,
            loc: Location::line(&self.source, line),
            bureau: bureau.map(str::to_string),
            message: msg,
        });
    }

    /// Applies the consistency checks and the policy, then counts the result.
    pub(crate) fn accept(
        &mut self,
        r: BureauResult,
        line: u64,
    ) -> Result<BureauResult, IngestError> {
        let broken = r.inconsistencies();
        if !broken.is_empty() {
            let t = &r.totals;
            let detail = broken
                .iter()
                .map(|b| match b {
                    terrain_model::Inconsistency::Registered => {
                        format!("{b} ({} ≠ {} + {})", t.inscrits, t.abstentions, t.votants)
                    }
                    terrain_model::Inconsistency::Ballots => format!(
                        "{b} ({} ≠ {} + {} + {})",
                        t.votants, t.blancs, t.nuls, t.exprimes
                    ),
                    terrain_model::Inconsistency::Votes => {
                        format!("{b} ({} ≠ {})", r.votes_cast_for_candidates(), t.exprimes)
                    }
                })
                .collect::<Vec<_>>()
                .join("; ");
            match self.policy {
                Policy::Stop => {
                    return Err(IngestError::Inconsistent {
                        loc: self.loc(line),
                        bureau: r.area.code().to_string(),
                        detail,
                    });
                }
                Policy::Warn => {
                    self.report.inconsistent_rows += 1;
                    let code = r.area.code().to_string();
                    self.warn(WarningKind::Inconsistent, line, Some(&code), detail);
                }
            }
        }
        let rep = &mut self.report;
        rep.results += 1;
        rep.candidate_results += r.candidates.len() as u64;
        let t = &mut rep.totals;
        t.inscrits += r.totals.inscrits;
        t.abstentions += r.totals.abstentions;
        t.votants += r.totals.votants;
        t.blancs += r.totals.blancs;
        t.nuls += r.totals.nuls;
        t.exprimes += r.totals.exprimes;
        if !rep.elections.contains(&r.election) {
            rep.elections.push(r.election.clone());
        }
        Ok(r)
    }

    /// The election for rows that do not carry one.
    pub(crate) fn election(&self) -> Result<ElectionId, IngestError> {
        self.election.clone().ok_or_else(|| {
            IngestError::Options(format!(
                "{}: which election is this? Pass the election id (e.g. --election 2017_pres_t1); \
                 it could not be guessed from the file name",
                self.source
            ))
        })
    }
}

enum Inner<R: Read> {
    Wide(Box<wide::WideParser>, Records<BufReader<R>>),
    Long(Box<long::LongParser>, Records<BufReader<R>>),
    Done,
}

/// Streams the results of one file. Iterate it, then call [`ResultsReader::report`].
pub struct ResultsReader<R: Read> {
    inner: Inner<R>,
    common: Common,
    record: Record,
}

impl<R: Read> ResultsReader<R> {
    /// Reads the header and recognises the layout.
    pub fn new(input: R, options: ResultsOptions) -> Result<Self, IngestError> {
        let source = if options.source.is_empty() {
            "input".to_string()
        } else {
            options.source.clone()
        };
        let election = options.election.clone().or_else(|| guess_election(&source));
        let mut buffered = BufReader::with_capacity(1 << 16, input);
        let delimiter = {
            let head = buffered.fill_buf().map_err(|e| IngestError::Io {
                loc: Location::file(&source),
                detail: e.to_string(),
            })?;
            if head.is_empty() {
                return Err(IngestError::Header {
                    loc: Location::file(&source),
                    detail: "the file is empty".into(),
                });
            }
            sniff::delimiter(head)
        };
        let mut csv = Records::new(buffered, delimiter, &source);
        let mut header = Record::default();
        if !csv.read(&mut header)? {
            return Err(IngestError::Header {
                loc: Location::file(&source),
                detail: "the file is empty".into(),
            });
        }
        let mut common = Common {
            source: source.clone(),
            election,
            policy: options.policy,
            decoder: Decoder::new(options.encoding),
            report: ResultsReport {
                source,
                layout: None,
                encoding: None,
                elections: Vec::new(),
                rows_read: 0,
                results: 0,
                candidate_results: 0,
                skipped_abroad: 0,
                skipped_unmapped: 0,
                inconsistent_rows: 0,
                totals: Totals::default(),
                warnings: Warnings::default(),
            },
        };
        let names = header_names(&header, &mut common)?;
        let inner = if let Some(w) = wide::WideParser::from_header(&names, &common)? {
            common.report.layout = Some(w.layout());
            Inner::Wide(Box::new(w), csv)
        } else {
            let l = long::LongParser::from_header(&names, options.mapping.as_ref(), &common)?;
            common.report.layout = Some(Layout::Long);
            Inner::Long(Box::new(l), csv)
        };
        common.report.encoding = common.decoder.detected();
        Ok(Self {
            inner,
            common,
            record: Record::default(),
        })
    }

    /// The layout recognised from the header.
    pub fn layout(&self) -> Option<Layout> {
        self.common.report.layout
    }

    /// What was read so far (complete once the iterator is exhausted).
    pub fn report(&self) -> &ResultsReport {
        &self.common.report
    }

    /// Consumes the reader, returning the report.
    pub fn into_report(mut self) -> ResultsReport {
        self.common.report.encoding = self.common.decoder.detected();
        self.common.report
    }

    fn next_result(&mut self) -> Result<Option<BureauResult>, IngestError> {
        loop {
            let (csv, is_long) = match &mut self.inner {
                Inner::Wide(_, csv) => (csv, false),
                Inner::Long(_, csv) => (csv, true),
                Inner::Done => return Ok(None),
            };
            let more = csv.read(&mut self.record)?;
            let line = self.record.line();
            if !more {
                let out = match &mut self.inner {
                    Inner::Long(p, _) => p.finish(&mut self.common)?,
                    _ => None,
                };
                self.inner = Inner::Done;
                return match out {
                    Some((r, l)) => self.common.accept(r, l).map(Some),
                    None => Ok(None),
                };
            }
            if self
                .record
                .iter()
                .all(|f| f.iter().all(u8::is_ascii_whitespace))
            {
                continue; // blank line
            }
            self.common.report.rows_read += 1;
            let produced = match &mut self.inner {
                Inner::Wide(p, _) => p
                    .row(&self.record, line, &mut self.common)?
                    .map(|r| (r, line)),
                Inner::Long(p, _) => p.row(&self.record, line, &mut self.common)?,
                Inner::Done => None,
            };
            let _ = is_long;
            if let Some((r, l)) = produced {
                return self.common.accept(r, l).map(Some);
            }
        }
    }
}

impl<R: Read> Iterator for ResultsReader<R> {
    type Item = Result<BureauResult, IngestError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.next_result() {
            Ok(Some(r)) => Some(Ok(r)),
            Ok(None) => None,
            Err(e) => {
                self.inner = Inner::Done;
                Some(Err(e))
            }
        }
    }
}

/// Decodes the header (also deciding the encoding in auto mode).
fn header_names(header: &Record, common: &mut Common) -> Result<Vec<String>, IngestError> {
    let mut names = Vec::with_capacity(header.len());
    for (i, f) in header.iter().enumerate() {
        let f = if i == 0 { crate::text::strip_bom(f) } else { f };
        let source = common.source.clone();
        let s = common.decoder.decode(
            f,
            || Location::line(&source, 1).with_field(format!("column {}", i + 1)),
            &mut common.report.warnings,
        )?;
        names.push(s.trim().trim_matches('"').trim().to_string());
    }
    Ok(names)
}

/// Guesses the election from a file name: `PR17_BVot_T1_FE.txt` → `2017_pres_t1`,
/// `Leg_2017_Resultats_BVT_T2_c.txt` → `2017_legi_t2`, `europeennes-2024-tour1` → `2024_euro_t1`.
pub fn guess_election(name: &str) -> Option<ElectionId> {
    let base = name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(name)
        .to_ascii_lowercase();
    let tokens: Vec<&str> = base
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|t| !t.is_empty())
        .collect();
    let mut year: Option<u16> = None;
    let mut kind: Option<ElectionKind> = None;
    let mut round: Option<u8> = None;
    for t in &tokens {
        let digits_at = t.find(|c: char| c.is_ascii_digit()).unwrap_or(t.len());
        let (word, num) = t.split_at(digits_at);
        let k = match word {
            "pr" | "pres" | "presidentielle" | "presidentielles" => {
                Some(ElectionKind::Presidential)
            }
            "leg" | "legi" | "legislatives" | "legislative" | "lg" => {
                Some(ElectionKind::Legislative)
            }
            "eu" | "euro" | "er" | "europeennes" => Some(ElectionKind::European),
            "mn" | "muni" | "municipales" => Some(ElectionKind::Municipal),
            "rg" | "regi" | "regionales" => Some(ElectionKind::Regional),
            "dp" | "departementales" | "cantonales" => Some(ElectionKind::Departmental),
            _ => None,
        };
        if let Some(k) = k {
            kind.get_or_insert(k);
            if num.len() == 2 {
                year = year.or(num.parse::<u16>().ok().map(|y| 2000 + y));
            }
        }
        if (word == "t" || word == "tour") && (num == "1" || num == "2") {
            round = num.parse().ok();
        }
        if word.is_empty() && t.len() == 4 && (t.starts_with("19") || t.starts_with("20")) {
            year = year.or(t.parse().ok());
        }
    }
    ElectionId::new(year?, kind?, round.unwrap_or(1)).ok()
}

/// Reads every result of a file into memory (small files, tests). Prefer iterating.
pub fn read_all<R: Read>(
    input: R,
    options: ResultsOptions,
) -> Result<(Vec<BureauResult>, ResultsReport), IngestError> {
    let mut reader = ResultsReader::new(input, options)?;
    let mut out = Vec::new();
    for r in reader.by_ref() {
        out.push(r?);
    }
    Ok((out, reader.into_report()))
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod guess_tests {
    use super::*;

    #[test]
    fn elections_are_guessed_from_official_file_names() {
        let g = |n: &str| guess_election(n).map(|e| e.to_string());
        assert_eq!(g("PR17_BVot_T1_FE.txt").as_deref(), Some("2017_pres_t1"));
        assert_eq!(g("PR17_BVot_T2_69.txt").as_deref(), Some("2017_pres_t2"));
        assert_eq!(
            g("Leg_2017_Resultats_BVT_T2_c.txt").as_deref(),
            Some("2017_legi_t2")
        );
        assert_eq!(
            g("PR22_T1_burvot_69_bronze.csv").as_deref(),
            Some("2022_pres_t1")
        );
        assert_eq!(
            g("/x/europeennes-2024-tour1.csv").as_deref(),
            Some("2024_euro_t1")
        );
        assert_eq!(g("resultats-par-niveau-burvot-t1-france-entiere.txt"), None);
        assert_eq!(g("paris_2017_resultats_par_bureau_long.csv"), None);
    }
}
