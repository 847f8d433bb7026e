//! INSEE tables by IRIS: the census "bases infracommunales" (`base-ic-*`) and Filosofi incomes.
//!
//! Any variable columns are read: the descriptive columns INSEE puts first (`IRIS`, `REG`,
//! `DEP`, `COM`, `LIBCOM`, `LIBIRIS`, `TYP_IRIS`…, or the 1990/1999 layout's `DCOMIRIS`,
//! `NOM_IRIS`…) are recognised, every other column is a variable. Variable names are kept as
//! published (`P15_POP1564`, `C15_ACT1564_CS3`, `DISP_MED15`) and their prefix is decoded
//! (`P` main exploitation, `C` complementary, and the census year). The separator (`,` or `;`)
//! is sniffed; numbers may use a decimal point or a decimal comma (Filosofi's `"22,6"`); INSEE's
//! secret or missing markers (`s`, `nd`, `ns`, empty) read as missing values.

use crate::error::{IngestError, Location, Warning, WarningKind, Warnings};
use crate::gzip::{GzipLimits, maybe_gunzip};
use crate::sniff;
use crate::text::{Decoder, Encoding, fold, parse_decimal};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader, Read};
use terrain_model::{CommuneCode, IrisCode};

/// Which exploitation of the census a variable comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Exploitation {
    /// `P…`: main exploitation (exhaustive counts).
    Main,
    /// `C…`: complementary exploitation (a quarter sample: occupations, CS).
    Complementary,
    /// Anything else (Filosofi's `DISP_…`, the 1990/1999 layout).
    Other,
}

/// A variable column.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variable {
    /// As published (`P15_POP1564`).
    pub name: String,
    pub exploitation: Exploitation,
    /// The census year from the prefix (`P15_` → 2015), when there is one.
    pub year: Option<u16>,
}

impl Variable {
    fn new(name: &str) -> Self {
        let b = name.as_bytes();
        let (exploitation, year) = if b.len() > 4
            && (b[0] == b'P' || b[0] == b'C')
            && b[1].is_ascii_digit()
            && b[2].is_ascii_digit()
            && b[3] == b'_'
        {
            let yy = u16::from(b[1] - b'0') * 10 + u16::from(b[2] - b'0');
            let year = if yy > 50 { 1900 + yy } else { 2000 + yy };
            let e = if b[0] == b'P' {
                Exploitation::Main
            } else {
                Exploitation::Complementary
            };
            (e, Some(year))
        } else {
            (Exploitation::Other, None)
        };
        Self {
            name: name.to_string(),
            exploitation,
            year,
        }
    }
}

/// One IRIS's row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IrisRow {
    pub iris: IrisCode,
    /// The commune (arrondissement for Paris, Lyon, Marseille).
    pub commune: CommuneCode,
    pub name: Option<String>,
    /// `H` housing, `A` activity, `D` other, `Z` commune not divided into IRIS.
    pub kind: Option<char>,
    /// One value per [`CensusReader::variables`], `None` when missing or secret.
    pub values: Vec<Option<f64>>,
}

/// Options for census and Filosofi tables.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CensusOptions {
    pub source: String,
    pub encoding: Encoding,
    pub gzip: GzipLimits,
}

/// Descriptive columns (folded names) that are not variables.
const DESCRIPTIVE: &[&str] = &[
    "iris",
    "codeiris",
    "dcomiris",
    "reg",
    "dep",
    "uu2010",
    "uu2020",
    "com",
    "depcom",
    "codecom",
    "libcom",
    "nomcom",
    "triris",
    "grdquart",
    "libiris",
    "nomiris",
    "typiris",
    "modifiris",
    "labiris",
    "indic",
    "infra",
    "comp9099",
    "dciris",
    "dcirisli",
    "arr",
    "epci",
    "libepci",
    "libarr",
    "libreg",
    "libdep",
];

/// Streams an IRIS table. [`CensusReader::variables`] names the values of each row.
pub struct CensusReader<'a> {
    csv: csv::Reader<BufReader<Box<dyn Read + 'a>>>,
    source: String,
    decoder: Decoder,
    warnings: Warnings,
    iris_col: usize,
    /// When the IRIS column holds only the 4-digit part (1990/1999 `IRIS`), the commune column.
    commune_col: Option<usize>,
    name_col: Option<usize>,
    kind_col: Option<usize>,
    var_cols: Vec<usize>,
    variables: Vec<Variable>,
    record: csv::ByteRecord,
    missing_values: u64,
    done: bool,
}

impl<'a> CensusReader<'a> {
    pub fn new<R: Read + 'a>(input: R, options: CensusOptions) -> Result<Self, IngestError> {
        let source = if options.source.is_empty() {
            "census".to_string()
        } else {
            options.source.clone()
        };
        let io = |e: std::io::Error| IngestError::Compression {
            loc: Location::file(&source),
            detail: e.to_string(),
        };
        let mut b =
            BufReader::with_capacity(1 << 16, maybe_gunzip(input, options.gzip).map_err(io)?);
        let head = b.fill_buf().map_err(io)?;
        if head.is_empty() {
            return Err(IngestError::Header {
                loc: Location::file(&source),
                detail: "the file is empty".into(),
            });
        }
        let d = sniff::delimiter(head);
        let mut csv = csv::ReaderBuilder::new()
            .delimiter(d)
            .has_headers(false)
            .flexible(true)
            .terminator(csv::Terminator::Any(b'\n'))
            .from_reader(b);
        let mut decoder = Decoder::new(options.encoding);
        let mut warnings = Warnings::default();
        let mut rec = csv::ByteRecord::new();
        if !csv
            .read_byte_record(&mut rec)
            .map_err(|e| crate::addresses::io_or_csv(&source, &e))?
        {
            return Err(IngestError::Header {
                loc: Location::file(&source),
                detail: "the file is empty".into(),
            });
        }
        let mut names = Vec::new();
        for (i, f) in rec.iter().enumerate() {
            let f = if i == 0 { crate::text::strip_bom(f) } else { f };
            names.push(
                decoder
                    .decode(f, || Location::line(&source, 1), &mut warnings)?
                    .trim()
                    .to_string(),
            );
        }
        let folded: Vec<String> = names.iter().map(|n| fold(n)).collect();
        let find = |c: &[&str]| c.iter().find_map(|n| folded.iter().position(|f| f == n));
        // The 9-character code: DCOMIRIS/CODE_IRIS when present (in the 1990/1999 layout IRIS
        // holds only the last 4 digits), else IRIS.
        let iris_col =
            find(&["codeiris", "dcomiris", "iris"]).ok_or_else(|| IngestError::Header {
                loc: Location::line(&source, 1),
                detail: format!(
                    "not an IRIS table: no IRIS, CODE_IRIS or DCOMIRIS column (columns: {})",
                    names.join(", ")
                ),
            })?;
        let commune_col = find(&["com", "depcom", "codecom"]);
        let name_col = find(&["libiris", "nomiris"]);
        let kind_col = find(&["typiris"]);
        let var_cols: Vec<usize> = (0..names.len())
            .filter(|i| !DESCRIPTIVE.contains(&folded[*i].as_str()))
            .collect();
        if var_cols.is_empty() {
            return Err(IngestError::Header {
                loc: Location::line(&source, 1),
                detail: "no variable columns after the IRIS descriptors".into(),
            });
        }
        let variables = var_cols.iter().map(|i| Variable::new(&names[*i])).collect();
        Ok(Self {
            csv,
            source,
            decoder,
            warnings,
            iris_col,
            commune_col,
            name_col,
            kind_col,
            var_cols,
            variables,
            record: csv::ByteRecord::new(),
            missing_values: 0,
            done: false,
        })
    }

    /// The variables, in the order of [`IrisRow::values`].
    pub fn variables(&self) -> &[Variable] {
        &self.variables
    }

    pub fn warnings(&self) -> &Warnings {
        &self.warnings
    }

    /// Values read as missing (empty or secret) so far.
    pub fn missing_values(&self) -> u64 {
        self.missing_values
    }

    fn step(&mut self) -> Result<Option<IrisRow>, IngestError> {
        loop {
            if self.done
                || !self
                    .csv
                    .read_byte_record(&mut self.record)
                    .map_err(|e| crate::addresses::io_or_csv(&self.source, &e))?
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
            let get = |i: usize| {
                std::str::from_utf8(self.record.get(i).unwrap_or_default())
                    .map(str::trim)
                    .unwrap_or("")
            };
            let raw = get(self.iris_col);
            let code = if raw.len() == 4 {
                // `IRIS` as the last 4 digits: prefix the commune.
                let com = self.commune_col.map(get).unwrap_or_default();
                format!("{com}{raw}")
            } else {
                raw.to_string()
            };
            let iris = match IrisCode::parse(&code) {
                Ok(i) => i,
                Err(e) => {
                    // INSEE tables end with no footer, but spreadsheet exports may add totals.
                    self.warnings.push(Warning {
                        kind: WarningKind::Skipped,
                        loc: Location::line(&self.source, line).with_field("IRIS"),
                        bureau: None,
                        message: format!("{e}; row skipped"),
                    });
                    continue;
                }
            };
            let mut values = Vec::with_capacity(self.var_cols.len());
            for (k, i) in self.var_cols.iter().enumerate() {
                let s = get(*i);
                let v = match s {
                    "" | "s" | "nd" | "ns" | "NA" | "so" | "." => None,
                    s => Some(parse_decimal(s).map_err(|()| {
                        IngestError::field(
                            Location::line(&self.source, line)
                                .with_field(self.variables[k].name.clone()),
                            s,
                            "a number (decimal point or comma)",
                        )
                    })?),
                };
                if v.is_none() {
                    self.missing_values += 1;
                }
                values.push(v.flatten());
            }
            let source = self.source.clone();
            let name = match self.name_col {
                Some(i) => {
                    let s = self.decoder.decode(
                        self.record.get(i).unwrap_or_default(),
                        || Location::line(&source, line),
                        &mut self.warnings,
                    )?;
                    Some(s.trim().to_string()).filter(|s| !s.is_empty())
                }
                None => None,
            };
            let kind = self.kind_col.map(get).and_then(|s| s.chars().next());
            return Ok(Some(IrisRow {
                commune: iris.commune(),
                iris,
                name,
                kind,
                values,
            }));
        }
    }
}

impl Iterator for CensusReader<'_> {
    type Item = Result<IrisRow, IngestError>;
    fn next(&mut self) -> Option<Self::Item> {
        match self.step() {
            Ok(Some(r)) => Some(Ok(r)),
            Ok(None) => None,
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// A whole IRIS table in memory (a department's worth: a few thousand rows).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CensusTable {
    pub source: String,
    pub variables: Vec<Variable>,
    pub rows: Vec<IrisRow>,
}

impl CensusTable {
    /// Reads a table whole.
    pub fn read<R: Read>(input: R, options: CensusOptions) -> Result<Self, IngestError> {
        let source = options.source.clone();
        let mut r = CensusReader::new(input, options)?;
        let mut rows = Vec::new();
        for row in r.by_ref() {
            rows.push(row?);
        }
        Ok(Self {
            source,
            variables: r.variables.clone(),
            rows,
        })
    }

    /// The position of a variable.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.variables.iter().position(|v| v.name == name)
    }

    /// Sum of a variable over all rows (missing values skipped).
    pub fn total(&self, name: &str) -> Option<f64> {
        let i = self.index(name)?;
        Some(self.rows.iter().filter_map(|r| r.values[i]).sum())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::shared_bytes;

    fn opts(s: &str) -> CensusOptions {
        CensusOptions {
            source: s.into(),
            ..Default::default()
        }
    }

    #[test]
    fn variable_prefixes() {
        let v = Variable::new("P15_POP1564");
        assert_eq!((v.exploitation, v.year), (Exploitation::Main, Some(2015)));
        let v = Variable::new("C11_POP15P_CS3");
        assert_eq!(
            (v.exploitation, v.year),
            (Exploitation::Complementary, Some(2011))
        );
        assert_eq!(
            Variable::new("DISP_MED15").exploitation,
            Exploitation::Other
        );
        assert_eq!(Variable::new("P99_X").year, Some(1999));
    }

    #[test]
    fn semicolon_decimal_comma_secret_values_and_undivided_communes() {
        let text = "IRIS;COM;LIBIRIS;TYP_IRIS;P20_POP;C20_ACT1564_CS3\n010010000;01001;L'Abergement;Z;767,5;s\n751010101;75101;Saint-Germain;H;1200;45.25\nTotal;;;;;\n";
        let mut r = CensusReader::new(text.as_bytes(), opts("base-ic.csv")).unwrap();
        let rows: Vec<IrisRow> = r.by_ref().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].values, vec![Some(767.5), None]);
        assert_eq!(rows[0].kind, Some('Z'));
        assert_eq!(rows[1].commune.as_str(), "75101");
        assert_eq!(r.missing_values(), 1);
        assert_eq!(
            r.warnings().total,
            1,
            "the footer row is skipped with a warning"
        );
        let bad = text.replace("1200", "douze");
        let e = CensusReader::new(bad.as_bytes(), opts("base-ic.csv"))
            .unwrap()
            .find_map(Result::err)
            .unwrap();
        assert!(
            e.to_string().contains("base-ic.csv:3") && e.to_string().contains("P20_POP"),
            "{e}"
        );
    }

    #[test]
    fn paris_census_2015_tables() {
        for (file, var, min_total) in [
            ("diplomes-2015.csv", "P15_NSCOL15P_SUP", 600_000.0),
            ("emploi-2015.csv", "P15_POP1564", 1_400_000.0),
        ] {
            let Some(bytes) =
                shared_bytes(&format!("paris-75/iris-recensement-2015-filosofi/{file}"))
            else {
                return;
            };
            let t = CensusTable::read(&bytes[..], opts(file)).unwrap();
            assert_eq!(t.rows.len(), 992, "{file}");
            assert!(t.rows.iter().all(|r| r.iris.as_str().starts_with("751")));
            assert!(
                t.variables.iter().all(|v| v.year == Some(2015)),
                "{file}: {:?}",
                t.variables.first()
            );
            let total = t.total(var).unwrap();
            assert!(
                total > min_total && total < 2_300_000.0,
                "{file} {var} {total}"
            );
            // Each row's value equals the independent naive split of the file.
            let text = String::from_utf8(bytes).unwrap();
            let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
            let col = header.iter().position(|h| *h == var).unwrap();
            let naive: f64 = text
                .lines()
                .skip(1)
                .map(|l| l.split(',').nth(col).unwrap().parse::<f64>().unwrap())
                .sum();
            assert_eq!(total, naive);
        }
    }

    #[test]
    fn paris_census_1999_old_layout() {
        let Some(bytes) = shared_bytes("paris-75/iris-recensement-2015-filosofi/diplomes-1999.csv")
        else {
            return;
        };
        let t = CensusTable::read(&bytes[..], opts("diplomes-1999.csv")).unwrap();
        assert!(t.rows.len() > 900);
        assert_eq!(t.rows[0].iris.as_str(), "751010101");
        assert_eq!(
            t.rows[0].name.as_deref(),
            Some("SAINT GERMAIN L'AUXERROIS 1")
        );
        assert!(t.variables.iter().all(|v| v.name.starts_with("AF99")));
    }

    #[test]
    fn filosofi_with_comma_separator_and_quoted_decimal_commas() {
        let Some(bytes) = shared_bytes("paris-75/iris-recensement-2015-filosofi/revenus-2015.csv")
        else {
            return;
        };
        let t = CensusTable::read(&bytes[..], opts("revenus-2015.csv")).unwrap();
        assert_eq!(t.rows.len(), 12_227);
        let paris = t
            .rows
            .iter()
            .filter(|r| r.commune.as_str().starts_with("751"))
            .count();
        assert_eq!(paris, 868);
        let first = &t.rows[0];
        assert_eq!(first.iris.as_str(), "010040101");
        let i = t.index("DISP_TP6015").unwrap();
        assert_eq!(first.values[i], Some(22.6));
        assert_eq!(first.values[t.index("DISP_MED15").unwrap()], Some(18689.0));
        assert_eq!(first.values[t.index("DISP_PIMPOT15").unwrap()], Some(-13.9));
    }

    #[test]
    fn a_table_without_iris_is_refused() {
        let e = CensusReader::new("CODGEO;P15_POP\n01001;767\n".as_bytes(), opts("x.csv"))
            .err()
            .unwrap();
        assert!(e.to_string().contains("CODGEO"), "{e}");
    }
}
