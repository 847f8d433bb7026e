//! The aggregated history on data.gouv.fr ("données des élections agrégées"): every election
//! since 1999 by bureau, as two files joined on (`id_election`, `id_brut_miom`).
//!
//! - `general_results`: `id_election;id_brut_miom;code_departement;libelle_departement;
//!   code_commune;libelle_commune;code_circonscription;code_canton;code_bv;inscrits;abstentions;
//!   votants;blancs;nuls;exprimes;ratio_…`
//! - `candidats_results`: `id_election;id_brut_miom;…;numero_panneau;nuance;nom;prenom;sexe;
//!   liste;voix;ratio_…`
//!
//! **No real file was available when this was written** (about 2.1 GB, not reachable from the
//! machine): the column names are those documented in `shared/data/FORMATS.md` §4, seen in
//! public code, and the reader is tested on small hand-made files. Columns are found by name
//! (accents, case, punctuation ignored), the separator (`;` or `,`) is sniffed, and unknown
//! columns are ignored, so a variant with extra or reordered columns still reads.
//!
//! Memory: the general file is loaded (filtered by election and department when asked: a
//! campaign needs its own territory), then the candidates file is streamed; a bureau's
//! candidate rows must be consecutive, as in the published file.

use super::{Common, ResultsReport};
use crate::codes::{Place, ministry_commune};
use crate::error::{IngestError, Location, Policy, WarningKind, Warnings};
use crate::sniff;
use crate::text::{Decoder, Encoding, fold, parse_count, zfill};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read};
use terrain_model::{
    BureauId, BureauResult, CandidateResult, CommuneCode, DepartmentCode, ElectionId, Nuance,
    ResultArea, Sex, Totals,
};

/// Options of the history import.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct HistoryOptions {
    /// Names of the two inputs, for messages.
    pub general_source: String,
    pub candidates_source: String,
    /// Keep only these elections (all when empty).
    pub elections: Vec<ElectionId>,
    /// Keep only these departments (all when empty).
    pub departments: Vec<DepartmentCode>,
    pub encoding: Encoding,
    pub policy: Policy,
}

struct General {
    area: ResultArea,
    commune_name: String,
    circonscription: Option<String>,
    totals: Totals,
    line: u64,
}

fn csv_reader<R: Read>(input: R, source: &str) -> Result<csv::Reader<BufReader<R>>, IngestError> {
    let mut b = BufReader::with_capacity(1 << 16, input);
    let head = b.fill_buf().map_err(|e| IngestError::Io {
        loc: Location::file(source),
        detail: e.to_string(),
    })?;
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
        .from_reader(b))
}

fn header<R: Read>(
    csv: &mut csv::Reader<R>,
    source: &str,
    dec: &mut Decoder,
    w: &mut Warnings,
) -> Result<Vec<String>, IngestError> {
    let mut rec = csv::ByteRecord::new();
    if !csv
        .read_byte_record(&mut rec)
        .map_err(|e| IngestError::from_csv(source, &e))?
    {
        return Err(IngestError::Header {
            loc: Location::file(source),
            detail: "the file is empty".into(),
        });
    }
    let mut out = Vec::new();
    for (i, f) in rec.iter().enumerate() {
        let f = if i == 0 { crate::text::strip_bom(f) } else { f };
        out.push(fold(&dec.decode(f, || Location::line(source, 1), w)?));
    }
    Ok(out)
}

fn find(h: &[String], names: &[&str]) -> Option<usize> {
    names.iter().find_map(|n| h.iter().position(|x| x == n))
}

/// Reads the bureau out of the code columns, or out of `id_brut_miom` (`01001_0001`,
/// `ZA110_0001`).
fn area_of(
    dep: Option<&str>,
    com: Option<&str>,
    bv: Option<&str>,
    id: Option<&str>,
    label: &str,
) -> Result<Option<ResultArea>, String> {
    let (commune, bureau) = match (com, bv) {
        (Some(com), Some(bv)) if !com.is_empty() && !bv.is_empty() => {
            let place = if com.len() >= 4 || dep.is_none() {
                CommuneCode::parse(com)
                    .map(Place::Commune)
                    .map_err(|e| e.to_string())?
            } else {
                ministry_commune(dep.unwrap_or_default(), com, label).map_err(|e| e.0)?
            };
            (place, bv.to_string())
        }
        _ => {
            let id = id.ok_or("no bureau: neither code_commune + code_bv nor id_brut_miom")?;
            let (c, b) = id
                .split_once('_')
                .ok_or_else(|| format!("id_brut_miom {id:?} has no '_'"))?;
            let place = if c.to_ascii_uppercase().starts_with('Z') && c.len() > 2 {
                ministry_commune(&c[..2], &c[2..], label).map_err(|e| e.0)?
            } else {
                CommuneCode::parse(c)
                    .map(Place::Commune)
                    .map_err(|e| e.to_string())?
            };
            (place, b.to_string())
        }
    };
    match commune {
        Place::Abroad => Ok(None),
        Place::Commune(c) => BureauId::new(&c, &zfill(&bureau, 4))
            .map(|b| Some(ResultArea::Bureau(b)))
            .map_err(|e| e.to_string()),
    }
}

/// Joins the two files; iterate it, then read [`HistoryReader::report`].
pub struct HistoryReader<R: Read> {
    general: HashMap<(ElectionId, String), General>,
    csv: csv::Reader<BufReader<R>>,
    cols: CandCols,
    common: Common,
    record: csv::ByteRecord,
    current: Option<((ElectionId, String), BureauResult, u64)>,
    done: HashSet<(ElectionId, String)>,
    skipping: Option<(ElectionId, String)>,
    filter: HistoryOptions,
    finished: bool,
}

struct CandCols {
    election: usize,
    id: usize,
    panel: Option<usize>,
    nuance: Option<usize>,
    last: Option<usize>,
    first: Option<usize>,
    sex: Option<usize>,
    list: Option<usize>,
    votes: usize,
}

impl<R: Read> HistoryReader<R> {
    /// Loads the general file (filtered) and reads the candidates file's header.
    pub fn new<G: Read>(
        general: G,
        candidates: R,
        opts: HistoryOptions,
    ) -> Result<Self, IngestError> {
        let gsrc = if opts.general_source.is_empty() {
            "general_results".to_string()
        } else {
            opts.general_source.clone()
        };
        let csrc = if opts.candidates_source.is_empty() {
            "candidats_results".to_string()
        } else {
            opts.candidates_source.clone()
        };
        let mut common = Common {
            source: csrc.clone(),
            election: None,
            policy: opts.policy,
            decoder: Decoder::new(opts.encoding),
            report: ResultsReport {
                source: format!("{gsrc} + {csrc}"),
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
        // 1. The general file.
        let mut g = csv_reader(general, &gsrc)?;
        let h = header(
            &mut g,
            &gsrc,
            &mut common.decoder,
            &mut common.report.warnings,
        )?;
        let need = |names: &[&str], what: &str| {
            find(&h, names).ok_or_else(|| IngestError::Header {
                loc: Location::line(&gsrc, 1),
                detail: format!(
                    "general results: no {what} column (columns: {})",
                    h.join(", ")
                ),
            })
        };
        let g_election = need(&["idelection"], "id_election")?;
        let g_id = find(&h, &["idbrutmiom", "idbv"]);
        let g_dep = find(&h, &["codedepartement", "codedudepartement"]);
        let g_com = find(&h, &["codecommune", "codedelacommune"]);
        let g_bv = find(&h, &["codebv", "codedubvote"]);
        let g_name = find(&h, &["libellecommune", "libelledelacommune"]);
        let g_circ = find(&h, &["codecirconscription", "codedelacirconscription"]);
        let counts = [
            need(&["inscrits"], "inscrits")?,
            need(&["abstentions"], "abstentions")?,
            need(&["votants"], "votants")?,
            find(&h, &["blancs"]).unwrap_or(usize::MAX),
            find(&h, &["nuls", "blancsetnuls"]).unwrap_or(usize::MAX),
            need(&["exprimes"], "exprimes")?,
        ];
        if g_id.is_none() && (g_com.is_none() || g_bv.is_none()) {
            return Err(IngestError::Header {
                loc: Location::line(&gsrc, 1),
                detail: "general results: no id_brut_miom, nor code_commune + code_bv".into(),
            });
        }
        let mut general = HashMap::new();
        let mut rec = csv::ByteRecord::new();
        let str_at = |rec: &csv::ByteRecord, i: Option<usize>| -> Option<String> {
            i.and_then(|i| rec.get(i))
                .map(|b| String::from_utf8_lossy(b).trim().to_string())
        };
        while g
            .read_byte_record(&mut rec)
            .map_err(|e| IngestError::from_csv(&gsrc, &e))?
        {
            let line = rec.position().map_or(0, |p| p.line());
            let loc = |f: &str| Location::line(&gsrc, line).with_field(f);
            let eraw = str_at(&rec, Some(g_election)).unwrap_or_default();
            let election = ElectionId::parse(&eraw)
                .map_err(|e| IngestError::field(loc("id_election"), &eraw, e.to_string()))?;
            if !opts.elections.is_empty() && !opts.elections.contains(&election) {
                continue;
            }
            let name = match g_name.and_then(|i| rec.get(i)) {
                Some(b) => common
                    .decoder
                    .decode(b, || loc("libelle_commune"), &mut common.report.warnings)?
                    .trim()
                    .to_string(),
                None => String::new(),
            };
            let dep = str_at(&rec, g_dep);
            let id = str_at(&rec, g_id);
            let area = match area_of(
                dep.as_deref(),
                str_at(&rec, g_com).as_deref(),
                str_at(&rec, g_bv).as_deref(),
                id.as_deref(),
                &name,
            ) {
                Ok(Some(a)) => a,
                Ok(None) => {
                    common.report.skipped_abroad += 1;
                    continue;
                }
                Err(e) => {
                    common.report.skipped_unmapped += 1;
                    common.report.warnings.push(crate::error::Warning {
                        kind: WarningKind::Skipped,
                        loc: Location::line(&gsrc, line),
                        bureau: id.clone(),
                        message: format!("{e}; row skipped"),
                    });
                    continue;
                }
            };
            if !opts.departments.is_empty()
                && !opts.departments.contains(&area.commune().department())
            {
                continue;
            }
            let mut t = [0u64; 6];
            for (k, i) in counts.iter().enumerate() {
                let Some(b) = rec.get(*i) else { continue };
                t[k] = parse_count(b)
                    .map_err(|()| {
                        IngestError::field(
                            loc(&h[*i]),
                            &String::from_utf8_lossy(b),
                            "a whole number",
                        )
                    })?
                    .unwrap_or(0);
            }
            let key_id = id.unwrap_or_else(|| area.code().to_string());
            general.insert(
                (election, key_id),
                General {
                    area,
                    commune_name: name,
                    circonscription: str_at(&rec, g_circ)
                        .filter(|s| !s.is_empty())
                        .map(|s| zfill(&s, 2)),
                    totals: Totals {
                        inscrits: t[0],
                        abstentions: t[1],
                        votants: t[2],
                        blancs: t[3],
                        nuls: t[4],
                        exprimes: t[5],
                    },
                    line,
                },
            );
        }
        // 2. The candidates file's header.
        let mut csv = csv_reader(candidates, &csrc)?;
        let h = header(
            &mut csv,
            &csrc,
            &mut common.decoder,
            &mut common.report.warnings,
        )?;
        let need = |names: &[&str], what: &str| {
            find(&h, names).ok_or_else(|| IngestError::Header {
                loc: Location::line(&csrc, 1),
                detail: format!(
                    "candidates results: no {what} column (columns: {})",
                    h.join(", ")
                ),
            })
        };
        let cols = CandCols {
            election: need(&["idelection"], "id_election")?,
            id: need(&["idbrutmiom", "idbv"], "id_brut_miom")?,
            panel: find(&h, &["numeropanneau", "nopanneau", "panneau"]),
            nuance: find(&h, &["nuance", "codenuance"]),
            last: find(&h, &["nom", "nomcandidat"]),
            first: find(&h, &["prenom", "prenomcandidat"]),
            sex: find(&h, &["sexe"]),
            list: find(&h, &["liste", "libelleabregeliste", "libelleliste"]),
            votes: need(&["voix"], "voix")?,
        };
        Ok(Self {
            general,
            csv,
            cols,
            common,
            record: csv::ByteRecord::new(),
            current: None,
            done: HashSet::new(),
            skipping: None,
            filter: opts,
            finished: false,
        })
    }

    /// What was read so far.
    pub fn report(&self) -> &ResultsReport {
        &self.common.report
    }

    /// Bureaux of the general file that had no candidate rows (left after iterating).
    pub fn general_without_candidates(&self) -> usize {
        self.general.len()
    }

    fn text(&mut self, i: Option<usize>, line: u64) -> Result<String, IngestError> {
        let Some(b) = i.and_then(|i| self.record.get(i)) else {
            return Ok(String::new());
        };
        let src = self.common.source.clone();
        Ok(self
            .common
            .decoder
            .decode(
                b,
                || Location::line(&src, line),
                &mut self.common.report.warnings,
            )?
            .trim()
            .to_string())
    }

    fn step(&mut self) -> Result<Option<(BureauResult, u64)>, IngestError> {
        loop {
            if self.finished {
                return Ok(None);
            }
            if !self
                .csv
                .read_byte_record(&mut self.record)
                .map_err(|e| IngestError::from_csv(&self.common.source, &e))?
            {
                self.finished = true;
                let rest = self.general.len();
                if rest > 0 {
                    let line = 0;
                    self.common.warn(
                        WarningKind::Other,
                        line,
                        None,
                        format!("{rest} bureaux of the general file have no candidate rows"),
                    );
                }
                return Ok(self.current.take().map(|(k, r, l)| {
                    self.done.insert(k);
                    (r, l)
                }));
            }
            let line = self.record.position().map_or(0, |p| p.line());
            self.common.report.rows_read += 1;
            let eraw = self.text(Some(self.cols.election), line)?;
            let election = ElectionId::parse(&eraw).map_err(|e| {
                IngestError::field(
                    self.common.loc(line).with_field("id_election"),
                    &eraw,
                    e.to_string(),
                )
            })?;
            if !self.filter.elections.is_empty() && !self.filter.elections.contains(&election) {
                continue;
            }
            let id = self.text(Some(self.cols.id), line)?;
            let key = (election, id);
            let votes_raw = self.record.get(self.cols.votes).unwrap_or_default();
            let votes = parse_count(votes_raw)
                .map_err(|()| {
                    IngestError::field(
                        self.common.loc(line).with_field("voix"),
                        &String::from_utf8_lossy(votes_raw),
                        "a whole number",
                    )
                })?
                .unwrap_or(0);
            let nuance_s = self.text(self.cols.nuance, line)?;
            let sex_s = self.text(self.cols.sex, line)?;
            let panel_s = self.text(self.cols.panel, line)?;
            let cand = CandidateResult {
                panel: panel_s.parse().ok(),
                sex: Sex::parse(&sex_s).ok(),
                last_name: self.text(self.cols.last, line)?.into(),
                first_name: self.text(self.cols.first, line)?.into(),
                nuance: if nuance_s.is_empty() {
                    None
                } else {
                    Some(Nuance::parse(&nuance_s).map_err(|e| {
                        IngestError::field(
                            self.common.loc(line).with_field("nuance"),
                            &nuance_s,
                            e.to_string(),
                        )
                    })?)
                },
                list_label: Some(self.text(self.cols.list, line)?)
                    .filter(|s| !s.is_empty())
                    .map(Into::into),
                list_short_label: None,
                votes,
                elected: None,
                seats: None,
            };
            if let Some((k, r, _)) = &mut self.current
                && *k == key
            {
                r.candidates.push(cand);
                continue;
            }
            if self.skipping.as_ref() == Some(&key) {
                continue;
            }
            if self.done.contains(&key) {
                return Err(IngestError::Row {
                    loc: self.common.loc(line),
                    detail: format!(
                        "bureau {} ({}) met again: its candidate rows must be consecutive",
                        key.1, key.0
                    ),
                });
            }
            let Some(g) = self.general.remove(&key) else {
                // Filtered out (department) or absent from the general file.
                if self.filter.departments.is_empty() {
                    self.common.warn(
                        WarningKind::Skipped,
                        line,
                        Some(&key.1),
                        format!("{}: no row in the general file; skipped", key.0),
                    );
                }
                self.done.insert(key.clone());
                self.skipping = Some(key);
                continue;
            };
            let arrondissement = match &g.area {
                ResultArea::Bureau(b) => b.plm_arrondissement(),
                ResultArea::Commune(_) => None,
            };
            let result = BureauResult {
                election: key.0.clone(),
                area: g.area,
                arrondissement,
                commune_name: g.commune_name,
                circonscription: g.circonscription,
                totals: g.totals,
                candidates: vec![cand],
            };
            let _ = g.line;
            if let Some((k, r, l)) = self.current.replace((key, result, line)) {
                self.done.insert(k);
                return Ok(Some((r, l)));
            }
        }
    }
}

impl<R: Read> Iterator for HistoryReader<R> {
    type Item = Result<BureauResult, IngestError>;
    fn next(&mut self) -> Option<Self::Item> {
        match self.step() {
            Ok(Some((r, line))) => Some(self.common.accept(r, line)),
            Ok(None) => None,
            Err(e) => {
                self.finished = true;
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GENERAL: &str = "id_election;id_brut_miom;code_departement;libelle_departement;code_commune;libelle_commune;code_circonscription;code_bv;inscrits;abstentions;votants;blancs;nuls;exprimes;ratio_exprimes_inscrits\n\
2022_pres_t2;01001_0001;01;Ain;001;L'Abergement-Clémenciat;04;0001;643;120;523;30;8;485;75,4\n\
2022_pres_t2;ZA110_0001;ZA;Guadeloupe;110;La Désirade;01;0001;1200;700;500;10;10;480;40\n\
2022_pres_t2;ZZ25_0001;ZZ;Hors de France;25;Bangkok;11;0001;100;90;10;0;0;10;10\n\
2017_pres_t1;75056_0110;75;Paris;056;Paris;01;0110;858;111;747;6;3;738;86\n";

    const CANDIDATES: &str = "id_election,id_brut_miom,numero_panneau,nuance,nom,prenom,sexe,liste,voix\n\
2022_pres_t2,01001_0001,1,,MACRON,Emmanuel,M,,250\n\
2022_pres_t2,01001_0001,2,,LE PEN,Marine,F,,235\n\
2022_pres_t2,ZA110_0001,1,,MACRON,Emmanuel,M,,200\n\
2022_pres_t2,ZA110_0001,2,,LE PEN,Marine,F,,280\n\
2022_pres_t2,ZZ25_0001,1,,MACRON,Emmanuel,M,,10\n\
2017_pres_t1,75056_0110,3,,MACRON,Emmanuel,M,,738\n";

    #[test]
    fn joins_the_two_files_and_maps_overseas_codes() {
        let r = HistoryReader::new(
            GENERAL.as_bytes(),
            CANDIDATES.as_bytes(),
            HistoryOptions::default(),
        )
        .unwrap();
        let all: Vec<BureauResult> = r.map(|x| x.unwrap()).collect();
        assert_eq!(all.len(), 3);
        assert_eq!(all[0].area.code(), "01001_0001");
        assert_eq!(all[0].candidates.len(), 2);
        assert_eq!(all[0].commune_name, "L'Abergement-Clémenciat");
        assert_eq!(all[1].area.code(), "97110_0001");
        assert_eq!(all[2].arrondissement.as_ref().unwrap().as_str(), "75101");
    }

    #[test]
    fn filters_by_election_and_department() {
        let opts = HistoryOptions {
            elections: vec![ElectionId::parse("2022_pres_t2").unwrap()],
            departments: vec![DepartmentCode::parse("971").unwrap()],
            ..Default::default()
        };
        let mut r = HistoryReader::new(GENERAL.as_bytes(), CANDIDATES.as_bytes(), opts).unwrap();
        let all: Vec<BureauResult> = r.by_ref().map(|x| x.unwrap()).collect();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].totals.inscrits, 1200);
        assert_eq!(r.report().skipped_abroad, 1);
    }

    #[test]
    fn inconsistent_history_rows_stop_when_asked() {
        let bad = CANDIDATES.replace(",,250", ",,251");
        let opts = HistoryOptions {
            policy: Policy::Stop,
            candidates_source: "c.csv".into(),
            ..Default::default()
        };
        let r = HistoryReader::new(GENERAL.as_bytes(), bad.as_bytes(), opts).unwrap();
        let e = r.filter_map(Result::err).next().unwrap();
        assert!(
            e.to_string().contains("01001_0001") && e.to_string().contains("c.csv:2"),
            "{e}"
        );
    }

    #[test]
    fn missing_columns_are_named() {
        let e = HistoryReader::new(
            "id_election;inscrits\n".as_bytes(),
            CANDIDATES.as_bytes(),
            HistoryOptions::default(),
        )
        .err()
        .unwrap();
        assert!(e.to_string().contains("abstentions"), "{e}");
    }
}
