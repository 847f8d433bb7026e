//! Entry point of `terrain themes`: themes of a CSV column of open answers, outside the server.
//!
//! ```text
//! terrain themes --answers FILE.csv --text-column C [--id-column ID] [--weight-column W]
//!                [--group-column G] [--k K] [--seed S] --out FILE.csv [--json]
//! ```
//!
//! The binary opens the files and calls [`run_themes`] with a [`ThemesCommand`]; the output
//! CSV has the columns `id,theme` (the dominant theme's number, empty for an answer with no
//! usable word), and the returned [`ThemesReport`] is what `--json` prints. The input may be
//! comma- or semicolon-separated (French spreadsheets), UTF-8 with stray cp1252 bytes, with
//! a byte-order mark; weights may use a decimal comma.

use std::io::{Read, Write};

use serde::{Deserialize, Serialize};

use crate::error::TextError;
use crate::features::Phrase;
use crate::normalize::decode_lossy_cp1252;
use crate::themes::{KScore, ThemeOptions, analyse};

/// Options of `terrain themes` (the CLI flags, without the file paths).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThemesCommand {
    /// Column holding the answers' text (`--text-column`).
    pub text_column: String,
    /// Column holding an answer id (`--id-column`); default: the row number from 1.
    #[serde(default)]
    pub id_column: Option<String>,
    /// Column holding each answer's weight (`--weight-column`); default: 1.
    #[serde(default)]
    pub weight_column: Option<String>,
    /// Column to break shares down by (`--group-column`).
    #[serde(default)]
    pub group_column: Option<String>,
    /// A fixed number of themes (`--k`); default: chosen between 4 and 12.
    #[serde(default)]
    pub k: Option<usize>,
    /// Seed (`--seed`); default 42.
    #[serde(default)]
    pub seed: Option<u64>,
    /// Field delimiter; default: `;` when the header has more `;` than `,`, else `,`.
    #[serde(default)]
    pub delimiter: Option<char>,
}

/// One theme in the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThemeSummary {
    /// Theme number (what the output CSV holds).
    pub theme: usize,
    /// Label.
    pub label: String,
    /// Top terms, most important first.
    pub top_terms: Vec<String>,
    /// Multi-word expressions among them.
    pub phrases: Vec<String>,
    /// Weighted share of respondents whose dominant theme it is.
    pub share: f64,
    /// 95 % interval of `share`.
    pub share_interval: [f64; 2],
    /// Weighted share of respondents who mention it.
    pub mention_share: f64,
    /// 95 % interval of `mention_share`.
    pub mention_interval: [f64; 2],
    /// Respondents whose dominant theme it is (unweighted).
    pub respondents: usize,
    /// NPMI coherence of its top terms.
    pub coherence: f64,
    /// Ids of the answers whose words represent it best.
    pub example_ids: Vec<String>,
    /// Those words (personal data masked).
    pub examples: Vec<String>,
    /// Shares by group (when `--group-column` was given): group, respondents, share or
    /// `null` when the group is too small to show.
    pub groups: Vec<(String, usize, Option<f64>)>,
}

/// What `terrain themes --json` prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThemesReport {
    /// Data rows read.
    pub answers: usize,
    /// Answers with a theme.
    pub analysed: usize,
    /// Number of themes.
    pub k: usize,
    /// How k was chosen.
    pub k_chosen_by: String,
    /// Scores of each k tried.
    pub selection: Vec<KScore>,
    /// Mean NPMI coherence.
    pub coherence: f64,
    /// Stability across restarts.
    pub stability: f64,
    /// The themes, largest first.
    pub themes: Vec<ThemeSummary>,
    /// Multi-word expressions found (20 most frequent).
    pub phrases: Vec<Phrase>,
    /// Template lines left out.
    pub boilerplate: Vec<(String, usize)>,
}

fn column(headers: &[String], name: &str) -> Result<usize, TextError> {
    headers
        .iter()
        .position(|h| h == name)
        .ok_or_else(|| TextError::MissingColumn {
            column: name.to_string(),
            available: headers.join(", "),
        })
}

fn parse_weight(raw: &str) -> Option<f64> {
    let trimmed = raw.trim().replace(',', ".");
    trimmed
        .parse::<f64>()
        .ok()
        .filter(|w| w.is_finite() && *w >= 0.0)
}

/// Runs `terrain themes` on a CSV of answers: writes `id,theme` and returns the report.
///
/// # Errors
/// [`TextError::Csv`] (malformed CSV, with its line), [`TextError::MissingColumn`],
/// [`TextError::BadWeight`], [`TextError::Write`], and the analysis' own errors.
pub fn run_themes(
    command: &ThemesCommand,
    input: impl Read,
    output: impl Write,
) -> Result<ThemesReport, TextError> {
    let mut raw = Vec::new();
    let mut input = input;
    input.read_to_end(&mut raw).map_err(|e| TextError::Csv {
        line: 0,
        message: e.to_string(),
    })?;
    let body = raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&raw);
    let delimiter = match command.delimiter {
        Some(c) => u8::try_from(u32::from(c)).map_err(|_| TextError::InvalidOption {
            option: "delimiter".into(),
            message: format!("{c:?} is not a one-byte character"),
        })?,
        None => {
            let first = body.split(|b| *b == b'\n').next().unwrap_or(&[]);
            let semis = first.iter().filter(|b| **b == b';').count();
            let commas = first.iter().filter(|b| **b == b',').count();
            if semis > commas { b';' } else { b',' }
        }
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .from_reader(body);
    let headers: Vec<String> = reader
        .byte_headers()
        .map_err(|e| TextError::Csv {
            line: 1,
            message: e.to_string(),
        })?
        .iter()
        .map(|h| decode_lossy_cp1252(h).trim().to_string())
        .collect();
    let text_col = column(&headers, &command.text_column)?;
    let id_col = command
        .id_column
        .as_deref()
        .map(|c| column(&headers, c))
        .transpose()?;
    let weight_col = command
        .weight_column
        .as_deref()
        .map(|c| column(&headers, c))
        .transpose()?;
    let group_col = command
        .group_column
        .as_deref()
        .map(|c| column(&headers, c))
        .transpose()?;

    let mut texts = Vec::new();
    let mut ids = Vec::new();
    let mut weights = Vec::new();
    let mut groups: Vec<Option<String>> = Vec::new();
    for (row, record) in reader.byte_records().enumerate() {
        let record = record.map_err(|e| TextError::Csv {
            line: e.position().map_or(0, csv::Position::line),
            message: e.to_string(),
        })?;
        let line = record
            .position()
            .map_or(row as u64 + 2, csv::Position::line);
        let field = |c: usize| {
            record
                .get(c)
                .map(|b| decode_lossy_cp1252(b).into_owned())
                .unwrap_or_default()
        };
        texts.push(field(text_col));
        ids.push(id_col.map_or_else(|| (row + 1).to_string(), field));
        if let Some(c) = weight_col {
            let value = field(c);
            let weight = parse_weight(&value).ok_or_else(|| TextError::BadWeight {
                line,
                column: command.weight_column.clone().unwrap_or_default(),
                value: value.clone(),
            })?;
            weights.push(weight);
        }
        groups.push(group_col.map(field).filter(|g| !g.trim().is_empty()));
    }

    let options = ThemeOptions {
        k: command.k,
        seed: command.seed.unwrap_or(42),
        ..ThemeOptions::default()
    };
    let analysis = analyse(
        &texts,
        weight_col.map(|_| weights.as_slice()),
        group_col.map(|_| groups.as_slice()),
        &options,
    )?;

    let write_err = |e: csv::Error| TextError::Write {
        what: "themes CSV".into(),
        message: e.to_string(),
    };
    let mut writer = csv::Writer::from_writer(output);
    writer.write_record(["id", "theme"]).map_err(write_err)?;
    for (id, dominant) in ids.iter().zip(&analysis.dominant) {
        let theme = dominant.map(|d| (d + 1).to_string()).unwrap_or_default();
        writer
            .write_record([id.as_str(), theme.as_str()])
            .map_err(write_err)?;
    }
    writer.flush().map_err(|e| TextError::Write {
        what: "themes CSV".into(),
        message: e.to_string(),
    })?;

    let themes = analysis
        .themes
        .iter()
        .map(|t| ThemeSummary {
            theme: t.id,
            label: t.label.clone(),
            top_terms: t.terms.iter().map(|x| x.label.clone()).collect(),
            phrases: t.phrases.clone(),
            share: t.share.estimate,
            share_interval: [t.share.lower, t.share.upper],
            mention_share: t.mention_share.estimate,
            mention_interval: [t.mention_share.lower, t.mention_share.upper],
            respondents: t.share.count,
            coherence: t.coherence,
            example_ids: t.examples.iter().map(|e| ids[e.answer].clone()).collect(),
            examples: t.examples.iter().map(|e| e.text.clone()).collect(),
            groups: t
                .groups
                .iter()
                .map(|g| (g.group.clone(), g.n, g.share.map(|s| s.estimate)))
                .collect(),
        })
        .collect();
    Ok(ThemesReport {
        answers: analysis.answers,
        analysed: analysis.usable,
        k: analysis.k,
        k_chosen_by: analysis.k_chosen_by.clone(),
        selection: analysis.selection.clone(),
        coherence: analysis.coherence,
        stability: analysis.stability,
        themes,
        phrases: analysis.phrases.iter().take(20).cloned().collect(),
        boilerplate: analysis.boilerplate.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small CSV: 30 answers on three subjects, with ids, French decimal-comma weights
    /// and a cp1252 apostrophe byte.
    fn csv_input(delimiter: char) -> Vec<u8> {
        let subjects = [
            [
                "impôts trop lourds",
                "baisser la TVA et les taxes",
                "la fiscalité étouffe les ménages",
                "trop de taxes et d\u{92}impôts",
            ],
            [
                "manque de médecins",
                "l'hôpital ferme ses urgences",
                "déserts médicaux et soins",
                "plus de médecins à l'hôpital",
            ],
            [
                "prix du carburant",
                "pas de bus ni de train",
                "la voiture coûte cher en carburant",
                "des trains et des bus",
            ],
        ];
        let mut out =
            format!("\u{feff}numero{d}reponse{d}poids{d}sexe\n", d = delimiter).into_bytes();
        for i in 0..30 {
            let s = &subjects[i % 3];
            let text = format!("{} ; {}", s[i % 4], s[(i + 1) % 4]);
            let sexe = if i % 2 == 0 { "femme" } else { "homme" };
            out.extend_from_slice(format!("R{i}{delimiter}\"").as_bytes());
            out.extend_from_slice(text.as_bytes());
            out.extend_from_slice(format!("\"{delimiter}\"1,5\"{delimiter}{sexe}\n").as_bytes());
        }
        // U+0092 is encoded C2 92 in UTF-8: put the raw cp1252 byte 0x92 in its place
        let mut raw = Vec::with_capacity(out.len());
        let mut k = 0;
        while k < out.len() {
            if out[k] == 0xC2 && out.get(k + 1) == Some(&0x92) {
                raw.push(0x92);
                k += 2;
            } else {
                raw.push(out[k]);
                k += 1;
            }
        }
        raw
    }

    fn command() -> ThemesCommand {
        ThemesCommand {
            text_column: "reponse".into(),
            id_column: Some("numero".into()),
            weight_column: Some("poids".into()),
            group_column: Some("sexe".into()),
            k: Some(3),
            seed: None,
            delimiter: None,
        }
    }

    #[test]
    fn writes_id_theme_and_reports() {
        for delimiter in [',', ';'] {
            let input = csv_input(delimiter);
            assert!(input.contains(&0x92));
            let mut out = Vec::new();
            let report = run_themes(&command(), input.as_slice(), &mut out).expect("themes");
            let text = String::from_utf8(out).expect("utf-8 output");
            let lines: Vec<&str> = text.lines().collect();
            assert_eq!(lines[0], "id,theme");
            assert_eq!(lines.len(), 31);
            assert!(lines[1].starts_with("R0,"));
            // every answer got a theme in 1..=3, and answers of a subject share it
            let themes: Vec<&str> = lines[1..]
                .iter()
                .map(|l| l.split(',').nth(1).unwrap_or(""))
                .collect();
            assert!(
                themes.iter().all(|t| ["1", "2", "3"].contains(t)),
                "{themes:?}"
            );
            assert_eq!(report.k, 3);
            assert_eq!(report.answers, 30);
            let total: f64 = report.themes.iter().map(|t| t.share).sum();
            assert!((total - 1.0).abs() < 1e-9);
            for t in &report.themes {
                assert!(
                    !t.example_ids.is_empty() && t.example_ids.iter().all(|id| id.starts_with('R'))
                );
                assert_eq!(t.groups.len(), 2);
            }
            let json = serde_json::to_value(&report).expect("json");
            assert!(json["themes"][0]["label"].is_string());
        }
    }

    #[test]
    fn missing_column_names_the_columns() {
        let cmd = ThemesCommand {
            text_column: "texte".into(),
            ..command()
        };
        let err =
            run_themes(&cmd, csv_input(',').as_slice(), Vec::new()).expect_err("no such column");
        let message = err.to_string();
        assert!(
            message.contains("texte") && message.contains("reponse"),
            "{message}"
        );
    }

    #[test]
    fn bad_weight_says_line_and_value() {
        let input = b"id,text,w\n1,des imp\xc3\xb4ts,1\n2,la sant\xc3\xa9,abc\n".to_vec();
        let cmd = ThemesCommand {
            text_column: "text".into(),
            id_column: Some("id".into()),
            weight_column: Some("w".into()),
            group_column: None,
            k: Some(2),
            seed: None,
            delimiter: None,
        };
        let err = run_themes(&cmd, input.as_slice(), Vec::new()).expect_err("bad weight");
        assert_eq!(
            err,
            TextError::BadWeight {
                line: 3,
                column: "w".into(),
                value: "abc".into()
            }
        );
    }

    #[test]
    fn ragged_rows_are_reported_with_their_line() {
        let input = b"id,text\n1,a\n2,b,c\n".to_vec();
        let cmd = ThemesCommand {
            text_column: "text".into(),
            id_column: None,
            weight_column: None,
            group_column: None,
            k: None,
            seed: None,
            delimiter: None,
        };
        let err = run_themes(&cmd, input.as_slice(), Vec::new()).expect_err("ragged");
        assert!(matches!(err, TextError::Csv { line: 3, .. }), "{err}");
    }

    #[test]
    fn weights_accept_decimal_commas() {
        assert_eq!(parse_weight(" 1,25 "), Some(1.25));
        assert_eq!(parse_weight("2"), Some(2.0));
        assert_eq!(parse_weight("-1"), None);
        assert_eq!(parse_weight(""), None);
    }
}
