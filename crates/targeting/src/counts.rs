//! Per-bureau counts of one election with the bloc resolved: what every score reads.
//!
//! Counts are `f64` because counts carried onto redrawn bureaux ([`crate::redraw`]) are
//! fractional. A compact CSV layout (`election;bureau;inscrits;abstentions;exprimes;bloc`)
//! lets a caller keep resolved counts without the full results files.

use crate::bloc::BlocResolver;
use crate::error::TargetingError;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use terrain_model::{BureauId, BureauResult, ElectionId, ResultArea};

/// One bureau's counts in one election.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BureauCounts {
    pub bureau: BureauId,
    /// Legislative constituency within the department, when the results give it.
    pub circonscription: Option<String>,
    pub inscrits: f64,
    pub abstentions: f64,
    /// Valid votes (exprimés).
    pub exprimes: f64,
    /// The bloc's votes.
    pub bloc: f64,
}

impl BureauCounts {
    /// abstentions / inscrits (0 for a bureau without registered voters).
    pub fn abstention_rate(&self) -> f64 {
        ratio(self.abstentions, self.inscrits)
    }

    /// bloc / exprimés (0 when nobody cast a valid vote).
    pub fn bloc_share(&self) -> f64 {
        ratio(self.bloc, self.exprimes)
    }

    /// LMP's potential rate PO = (abstentions / inscrits) × (bloc / exprimés).
    pub fn potential(&self) -> f64 {
        self.abstention_rate() * self.bloc_share()
    }
}

/// `num / den`, 0 when `den` is not positive.
pub(crate) fn ratio(num: f64, den: f64) -> f64 {
    if den > 0.0 { num / den } else { 0.0 }
}

/// Every bureau's counts in one election round.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ElectionCounts {
    pub election: ElectionId,
    pub bureaux: Vec<BureauCounts>,
}

impl ElectionCounts {
    /// Bureau → position in `bureaux`.
    pub fn index(&self) -> HashMap<&BureauId, usize> {
        self.bureaux
            .iter()
            .enumerate()
            .map(|(i, b)| (&b.bureau, i))
            .collect()
    }

    /// Whether the bloc got any vote at all (a second round without the bloc's candidate).
    pub fn bloc_stood(&self) -> bool {
        self.bureaux.iter().any(|b| b.bloc > 0.0)
    }

    /// Sums over all bureaux.
    pub fn totals(&self) -> BureauTotals {
        let mut t = BureauTotals::default();
        for b in &self.bureaux {
            t.inscrits += b.inscrits;
            t.abstentions += b.abstentions;
            t.exprimes += b.exprimes;
            t.bloc += b.bloc;
        }
        t
    }
}

/// Sums of counts over bureaux.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct BureauTotals {
    pub inscrits: f64,
    pub abstentions: f64,
    pub exprimes: f64,
    pub bloc: f64,
}

/// What [`counts_from_results`] met.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CountsReport {
    /// Commune-level rows (the Ministry's "subcom" files) left out: targeting needs bureaux.
    pub commune_level_rows: u64,
    /// Rows for a bureau already met in the same election, added to it.
    pub duplicate_rows: u64,
}

/// Groups result rows by election and resolves the bloc in each row.
pub fn counts_from_results<'r>(
    results: impl IntoIterator<Item = &'r BureauResult>,
    resolver: &mut BlocResolver<'_>,
) -> (BTreeMap<ElectionId, ElectionCounts>, CountsReport) {
    let mut out: BTreeMap<ElectionId, (ElectionCounts, HashMap<BureauId, usize>)> = BTreeMap::new();
    let mut report = CountsReport::default();
    for r in results {
        let ResultArea::Bureau(id) = &r.area else {
            report.commune_level_rows += 1;
            continue;
        };
        let bloc = resolver.bloc_votes(r) as f64;
        let (ec, idx) = out.entry(r.election.clone()).or_insert_with(|| {
            (
                ElectionCounts {
                    election: r.election.clone(),
                    bureaux: Vec::new(),
                },
                HashMap::new(),
            )
        });
        let t = &r.totals;
        if let Some(&i) = idx.get(id) {
            report.duplicate_rows += 1;
            let b = &mut ec.bureaux[i];
            b.inscrits += t.inscrits as f64;
            b.abstentions += t.abstentions as f64;
            b.exprimes += t.exprimes as f64;
            b.bloc += bloc;
            continue;
        }
        idx.insert(id.clone(), ec.bureaux.len());
        ec.bureaux.push(BureauCounts {
            bureau: id.clone(),
            circonscription: r.circonscription.clone(),
            inscrits: t.inscrits as f64,
            abstentions: t.abstentions as f64,
            exprimes: t.exprimes as f64,
            bloc,
        });
    }
    (
        out.into_iter().map(|(k, (ec, _))| (k, ec)).collect(),
        report,
    )
}

/// The header of the compact counts CSV.
pub const COUNTS_HEADER: [&str; 7] = [
    "election",
    "bureau",
    "circonscription",
    "inscrits",
    "abstentions",
    "exprimes",
    "bloc",
];

/// Writes counts as the compact CSV (`;`-separated, header [`COUNTS_HEADER`]).
pub fn write_counts_csv<W: Write>(
    elections: &[ElectionCounts],
    out: W,
) -> Result<(), TargetingError> {
    let werr = |e: csv::Error| TargetingError::Write {
        target: "counts CSV".into(),
        detail: e.to_string(),
    };
    let mut w = csv::WriterBuilder::new().delimiter(b';').from_writer(out);
    w.write_record(COUNTS_HEADER).map_err(werr)?;
    for e in elections {
        let id = e.election.to_string();
        for b in &e.bureaux {
            w.write_record([
                id.as_str(),
                b.bureau.as_str(),
                b.circonscription.as_deref().unwrap_or(""),
                &fmt_count(b.inscrits),
                &fmt_count(b.abstentions),
                &fmt_count(b.exprimes),
                &fmt_count(b.bloc),
            ])
            .map_err(werr)?;
        }
    }
    w.flush().map_err(|e| TargetingError::Write {
        target: "counts CSV".into(),
        detail: e.to_string(),
    })
}

fn fmt_count(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// Reads the compact counts CSV (`;` or `,`), grouping rows by election in order of appearance.
pub fn read_counts_csv<R: Read>(
    input: R,
    source: &str,
) -> Result<Vec<ElectionCounts>, TargetingError> {
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(b';')
        .flexible(false)
        .from_reader(input);
    let row_err = |line: u64, field: &str, detail: String| TargetingError::Row {
        source_name: source.to_string(),
        line,
        field: field.to_string(),
        detail,
    };
    let headers = rdr
        .headers()
        .map_err(|e| row_err(1, "header", e.to_string()))?
        .clone();
    let col = |name: &str| -> Result<usize, TargetingError> {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                row_err(
                    1,
                    name,
                    format!("missing column (expected {})", COUNTS_HEADER.join(";")),
                )
            })
    };
    let (ce, cb, ci, ca, cx, cv) = (
        col("election")?,
        col("bureau")?,
        col("inscrits")?,
        col("abstentions")?,
        col("exprimes")?,
        col("bloc")?,
    );
    let cc = col("circonscription").ok();
    let mut out: Vec<ElectionCounts> = Vec::new();
    let mut by_election: HashMap<String, usize> = HashMap::new();
    let mut rec = csv::StringRecord::new();
    loop {
        match rdr.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                return Err(row_err(line, "row", e.to_string()));
            }
        }
        let line = rec.position().map_or(0, |p| p.line());
        let get = |c: usize| rec.get(c).unwrap_or("").trim();
        let eid = get(ce);
        let slot = match by_election.get(eid) {
            Some(&i) => i,
            None => {
                let election =
                    ElectionId::parse(eid).map_err(|e| row_err(line, "election", e.to_string()))?;
                out.push(ElectionCounts {
                    election,
                    bureaux: Vec::new(),
                });
                by_election.insert(eid.to_string(), out.len() - 1);
                out.len() - 1
            }
        };
        let bureau =
            BureauId::parse(get(cb)).map_err(|e| row_err(line, "bureau", e.to_string()))?;
        let num = |c: usize, name: &str| -> Result<f64, TargetingError> {
            let s = get(c);
            let v: f64 = s
                .replace(',', ".")
                .parse()
                .map_err(|_| row_err(line, name, format!("{s:?} is not a number")))?;
            if !v.is_finite() || v < 0.0 {
                return Err(row_err(line, name, format!("{s:?} must be a count ≥ 0")));
            }
            Ok(v)
        };
        let b = BureauCounts {
            bureau,
            circonscription: cc.map(get).filter(|s| !s.is_empty()).map(str::to_string),
            inscrits: num(ci, "inscrits")?,
            abstentions: num(ca, "abstentions")?,
            exprimes: num(cx, "exprimes")?,
            bloc: num(cv, "bloc")?,
        };
        if b.abstentions > b.inscrits || b.bloc > b.exprimes || b.exprimes > b.inscrits {
            return Err(row_err(
                line,
                "row",
                format!(
                    "inconsistent counts for {}: need abstentions ≤ inscrits, exprimés ≤ inscrits \
                     and bloc ≤ exprimés",
                    b.bureau
                ),
            ));
        }
        out[slot].bureaux.push(b);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bloc::BlocSpec;
    use proptest::prelude::*;
    use terrain_ingest::NuanceTable;
    use terrain_model::{CandidateResult, Totals};

    fn row(id: &str, e: &str, ins: u64, abs: u64, exp: u64, votes: &[(&str, u64)]) -> BureauResult {
        BureauResult {
            election: ElectionId::parse(e).unwrap(),
            area: ResultArea::Bureau(BureauId::parse(id).unwrap()),
            arrondissement: None,
            commune_name: "X".into(),
            circonscription: Some("01".into()),
            totals: Totals {
                inscrits: ins,
                abstentions: abs,
                votants: ins - abs,
                blancs: 0,
                nuls: ins - abs - exp,
                exprimes: exp,
            },
            candidates: votes
                .iter()
                .map(|(n, v)| CandidateResult {
                    panel: None,
                    sex: None,
                    last_name: (*n).into(),
                    first_name: "".into(),
                    nuance: None,
                    list_label: None,
                    list_short_label: None,
                    votes: *v,
                    elected: None,
                    seats: None,
                })
                .collect(),
        }
    }

    #[test]
    fn results_are_grouped_by_election_with_the_bloc_resolved() {
        let rows = vec![
            row(
                "69001_0001",
                "2017_pres_t1",
                100,
                20,
                78,
                &[("MELENCHON", 30), ("HAMON", 8), ("MACRON", 40)],
            ),
            row(
                "69001_0002",
                "2017_pres_t1",
                50,
                10,
                40,
                &[("MÉLENCHON", 10), ("FILLON", 30)],
            ),
            row(
                "69001_0001",
                "2017_pres_t2",
                100,
                25,
                70,
                &[("MACRON", 50), ("LE PEN", 20)],
            ),
        ];
        let table = NuanceTable::defaults();
        let spec = BlocSpec::parse("left").unwrap();
        let mut res = BlocResolver::new(&spec, &table);
        let (by, rep) = counts_from_results(&rows, &mut res);
        assert_eq!(rep, CountsReport::default());
        let t1 = &by[&ElectionId::parse("2017_pres_t1").unwrap()];
        assert_eq!(t1.bureaux[0].bloc, 38.0);
        assert_eq!(t1.bureaux[1].bloc, 10.0);
        assert!((t1.bureaux[0].potential() - 0.2 * 38.0 / 78.0).abs() < 1e-15);
        let t2 = &by[&ElectionId::parse("2017_pres_t2").unwrap()];
        assert!(!t2.bloc_stood());
        let tallies = res.tallies();
        let melenchon = &tallies[&t1.election]["MELENCHON"];
        assert!(melenchon.in_bloc);
        assert!(!tallies[&t1.election]["MACRON"].in_bloc);
    }

    #[test]
    fn counts_csv_round_trips_and_names_bad_rows() {
        let e = ElectionCounts {
            election: ElectionId::parse("2022_pres_t1").unwrap(),
            bureaux: vec![BureauCounts {
                bureau: BureauId::parse("69123_0101").unwrap(),
                circonscription: Some("01".into()),
                inscrits: 1000.0,
                abstentions: 250.5,
                exprimes: 700.0,
                bloc: 140.0,
            }],
        };
        let mut buf = Vec::new();
        write_counts_csv(std::slice::from_ref(&e), &mut buf).unwrap();
        let back = read_counts_csv(buf.as_slice(), "c.csv").unwrap();
        assert_eq!(back, vec![e]);
        let bad = "election;bureau;inscrits;abstentions;exprimes;bloc\n2022_pres_t1;69123_0101;10;20;5;1\n";
        let err = read_counts_csv(bad.as_bytes(), "c.csv")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("c.csv:2") && err.contains("69123_0101"),
            "{err}"
        );
        let bad =
            "election;bureau;inscrits;abstentions;exprimes;bloc\n2022_pres_t1;69123_0101;x;2;5;1\n";
        let err = read_counts_csv(bad.as_bytes(), "c.csv")
            .unwrap_err()
            .to_string();
        assert!(err.contains("inscrits"), "{err}");
        let bad = "election;bureau;inscrits;exprimes;bloc\n";
        assert!(
            read_counts_csv(bad.as_bytes(), "c.csv")
                .unwrap_err()
                .to_string()
                .contains("abstentions")
        );
    }

    proptest! {
        #[test]
        fn potential_is_a_rate_and_zero_without_voters(
            ins in 0u32..5000, abs_frac in 0.0f64..=1.0, exp_frac in 0.0f64..=1.0, bloc_frac in 0.0f64..=1.0
        ) {
            let ins = f64::from(ins);
            let abstentions = (ins * abs_frac).floor();
            let exprimes = ((ins - abstentions) * exp_frac).floor();
            let bloc = (exprimes * bloc_frac).floor();
            let b = BureauCounts {
                bureau: BureauId::parse("69001_0001").unwrap(),
                circonscription: None,
                inscrits: ins, abstentions, exprimes, bloc,
            };
            let po = b.potential();
            prop_assert!((0.0..=1.0).contains(&po));
            if ins == 0.0 || exprimes == 0.0 { prop_assert_eq!(po, 0.0); }
            prop_assert!((b.inscrits * po - abstentions * bloc / exprimes.max(1.0)).abs() < 1e-6 || exprimes == 0.0);
        }
    }
}
