//! Results read from the real files in `shared/data` and from hand-made bad input.

use super::*;
use crate::error::Policy;
use crate::testutil::shared_bytes;
use std::collections::{BTreeMap, BTreeSet};
use terrain_model::{BureauResult, ResultArea};

const RHONE: &str = "elections-rhone-69-presidentielle-2017-2022";

fn opts(source: &str) -> ResultsOptions {
    ResultsOptions {
        source: source.into(),
        ..Default::default()
    }
}

fn read(bytes: &[u8], o: ResultsOptions) -> (Vec<BureauResult>, ResultsReport) {
    read_all(bytes, o).unwrap()
}

/// An independent reading of a `;` file: sums of a column, by naive splitting.
fn naive_sum(text: &str, col: usize) -> u64 {
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            l.split(';')
                .nth(col)
                .unwrap()
                .trim()
                .parse::<u64>()
                .unwrap()
        })
        .sum()
}

fn votes_for(rs: &[BureauResult], last: &str) -> u64 {
    rs.iter()
        .flat_map(|r| &r.candidates)
        .filter(|c| &*c.last_name == last)
        .map(|c| c.votes)
        .sum()
}

#[test]
fn rhone_2017_t1_official_latin1_ragged_layout() {
    let Some(bytes) = shared_bytes(&format!(
        "{RHONE}/reconstitue-format-officiel/PR17_BVot_T1_69.txt"
    )) else {
        return;
    };
    let (rs, rep) = read(&bytes, opts("PR17_BVot_T1_69.txt"));
    assert_eq!(rep.layout, Some(Layout::Ministry2017Ragged));
    assert_eq!(rep.encoding, Some(Encoding::Latin1));
    assert_eq!(
        rep.elections,
        vec![ElectionId::parse("2017_pres_t1").unwrap()]
    );
    assert_eq!(rs.len(), 1287);
    assert!(rs.iter().all(|r| r.candidates.len() == 11));
    assert_eq!(rep.inconsistent_rows, 0, "{:?}", rep.warnings.kept.first());
    assert_eq!(rs[0].area.code(), "69001_0001");
    assert_eq!(rs[0].commune_name, "Affoux");
    assert_eq!(rs[0].circonscription.as_deref(), Some("08"));
    // Accents decoded from latin-1.
    assert!(
        rs.iter()
            .flat_map(|r| &r.candidates)
            .any(|c| &*c.first_name == "François")
    );
    // The same totals as an independent reading of the UTF-8 copy.
    let utf8 =
        String::from_utf8(shared_bytes(&format!("{RHONE}/PR17_T1_burvot_69_bronze.csv")).unwrap())
            .unwrap();
    assert_eq!(rep.totals.inscrits, naive_sum(&utf8, 7));
    assert_eq!(rep.totals.exprimes, naive_sum(&utf8, 18));
    // Lyon is one commune (69123) whose bureaux carry the arrondissement: 294 in 2017.
    let lyon: Vec<_> = rs
        .iter()
        .filter(|r| r.area.commune().as_str() == "69123")
        .collect();
    assert_eq!(lyon.len(), 294);
    let arr: BTreeSet<_> = lyon
        .iter()
        .map(|r| r.arrondissement.clone().unwrap().to_string())
        .collect();
    assert_eq!(arr.len(), 9);
    assert!(arr.contains("69381") && arr.contains("69389"));
}

#[test]
fn rhone_2017_derived_numbered_copy_reads_the_same() {
    let (Some(a), Some(b)) = (
        shared_bytes(&format!(
            "{RHONE}/reconstitue-format-officiel/PR17_BVot_T2_69.txt"
        )),
        shared_bytes(&format!("{RHONE}/PR17_T2_burvot_69_bronze.csv")),
    ) else {
        return;
    };
    let (ra, pa) = read(&a, opts("PR17_BVot_T2_69.txt"));
    let (rb, pb) = read(&b, opts("PR17_T2_burvot_69_bronze.csv"));
    assert_eq!(pb.layout, Some(Layout::Ministry2017Numbered));
    assert_eq!(pb.encoding, Some(Encoding::Utf8));
    assert_eq!(ra.len(), 1287);
    assert_eq!(
        ra, rb,
        "latin-1 ragged and UTF-8 numbered copies give the same results"
    );
    assert_eq!(pa.totals, pb.totals);
    assert!(
        ra.iter()
            .all(|r| r.candidates.len() == 2 && r.inconsistencies().is_empty())
    );
    assert_eq!(
        votes_for(&ra, "MACRON") + votes_for(&ra, "LE PEN"),
        pa.totals.exprimes
    );
}

#[test]
fn rhone_2022_t1_xlsx_derived_decimal_points_and_trailing_columns() {
    let Some(bytes) = shared_bytes(&format!("{RHONE}/PR22_T1_burvot_69_bronze.csv")) else {
        return;
    };
    let (rs, rep) = read(&bytes, opts("PR22_T1_burvot_69_bronze.csv"));
    assert_eq!(rs.len(), 1317);
    assert!(rs.iter().all(|r| r.candidates.len() == 12));
    assert_eq!(rep.inconsistent_rows, 0);
    let text = String::from_utf8(bytes).unwrap();
    assert_eq!(rep.totals.inscrits, naive_sum(&text, 7));
    assert_eq!(rep.totals.votants, naive_sum(&text, 10));
    // Vintages: Lyon had 305 bureaux in 2022 (294 in 2017); the Rhône 267 communes (280 in 2017).
    assert_eq!(
        rs.iter()
            .filter(|r| r.area.commune().as_str() == "69123")
            .count(),
        305
    );
    let communes: BTreeSet<_> = rs.iter().map(|r| r.area.commune()).collect();
    assert_eq!(communes.len(), 267);
    assert!(
        rs.iter()
            .flat_map(|r| &r.candidates)
            .any(|c| &*c.first_name == "Éric" && &*c.last_name == "ZEMMOUR")
    );
}

#[test]
fn rhone_communes_merge_between_2017_and_2022() {
    let Some(bytes) = shared_bytes(&format!("{RHONE}/PR17_T1_burvot_69_bronze.csv")) else {
        return;
    };
    let (rs, _) = read(&bytes, opts("PR17_T1_burvot_69_bronze.csv"));
    let communes: BTreeSet<_> = rs.iter().map(|r| r.area.commune()).collect();
    assert_eq!(communes.len(), 280);
}

#[test]
fn rhone_2022_t2_commune_level_file() {
    let Some(bytes) = shared_bytes(&format!("{RHONE}/PR22_T2_subcom_69_bronze.csv")) else {
        return;
    };
    let (rs, rep) = read(&bytes, opts("PR22_T2_subcom_69_bronze.csv"));
    assert_eq!(rs.len(), 267);
    assert!(matches!(rs[0].area, ResultArea::Commune(ref c) if c.as_str() == "69001"));
    assert_eq!(rep.inconsistent_rows, 0);
    let text = String::from_utf8(bytes).unwrap();
    assert_eq!(rep.totals.inscrits, naive_sum(&text, 5));
    assert_eq!(rep.totals.exprimes, naive_sum(&text, 16));
}

#[test]
fn paris_2017_long_file_matches_the_published_results() {
    let Some(bytes) =
        shared_bytes("paris-75/resultats-2017-par-bureau/paris_2017_resultats_par_bureau_long.csv")
    else {
        return;
    };
    let (rs, rep) = read(&bytes, opts("paris_2017_resultats_par_bureau_long.csv"));
    assert_eq!(rep.layout, Some(Layout::Long));
    assert_eq!(rep.inconsistent_rows, 0, "{:?}", rep.warnings.kept.first());
    let mut by: BTreeMap<String, Vec<&BureauResult>> = BTreeMap::new();
    for r in &rs {
        by.entry(r.election.to_string()).or_default().push(r);
    }
    assert_eq!(
        by.keys().cloned().collect::<Vec<_>>(),
        [
            "2017_legi_t1",
            "2017_legi_t2",
            "2017_pres_t1",
            "2017_pres_t2"
        ]
    );
    let t1 = &by["2017_pres_t1"];
    assert_eq!(t1.len(), 896);
    assert_eq!(by["2017_legi_t2"].len(), 896 - 61);
    let inscrits: u64 = t1.iter().map(|r| r.totals.inscrits).sum();
    let exprimes: u64 = t1.iter().map(|r| r.totals.exprimes).sum();
    assert_eq!(inscrits, 1_301_637);
    assert_eq!(exprimes, 1_076_559);
    let share = |name: &str| {
        let v: u64 = t1
            .iter()
            .flat_map(|r| &r.candidates)
            .filter(|c| &*c.last_name == name)
            .map(|c| c.votes)
            .sum();
        (v as f64 / exprimes as f64 * 10000.0).round() / 100.0
    };
    assert_eq!(share("MACRON"), 34.83);
    assert_eq!(share("FILLON"), 26.45);
    // nuls derived: votants − blancs − exprimés.
    let first = t1.iter().find(|r| r.area.code() == "75056_0110").unwrap();
    assert_eq!(first.totals.nuls, 747 - 6 - 738);
    assert_eq!(first.arrondissement.as_ref().unwrap().as_str(), "75101");
    let arr: BTreeSet<_> = t1.iter().filter_map(|r| r.arrondissement.clone()).collect();
    assert_eq!(arr.len(), 20);
}

#[test]
fn lyon_2012_percentages_are_refused_with_the_missing_columns_named() {
    let Some(bytes) = shared_bytes(
        "lyon-69123-bureaux-2012/resultats_presidentielle_2012_t1_lyon_pourcentages.csv",
    ) else {
        return;
    };
    let e = ResultsReader::new(&bytes[..], opts("lyon.csv"))
        .err()
        .unwrap();
    let s = e.to_string();
    assert!(
        s.contains("lyon.csv") && s.contains("votants") && s.contains("exprimes"),
        "{s}"
    );
}

// ---------------------------------------------------------------- hand-made files

const HEADER_17: &str = "Code du département;Libellé du département;Code de la circonscription;Libellé de la circonscription;Code de la commune;Libellé de la commune;Code du b.vote;Inscrits;Abstentions;% Abs/Ins;Votants;% Vot/Ins;Blancs;% Blancs/Ins;% Blancs/Vot;Nuls;% Nuls/Ins;% Nuls/Vot;Exprimés;% Exp/Ins;% Exp/Vot;N°Panneau;Sexe;Nom;Prénom;Voix;% Voix/Ins;% Voix/Exp";
const ROW_17: &str = "69;Rhône;08;8ème circonscription;001;Affoux;0001;257;39;15,18;218;84,82;20;7,78;9,17;7;2,72;3,21;191;74,32;87,61;1;M;MACRON;Emmanuel;93;36,19;48,69;2;F;LE PEN;Marine;98;38,13;51,31";

fn latin1(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap())
        .collect()
}

fn file17(rows: &[&str]) -> Vec<u8> {
    let mut s = String::from(HEADER_17);
    for r in rows {
        s.push_str("\r\n");
        s.push_str(r);
    }
    s.push_str("\r\n");
    latin1(&s)
}

fn err_of(bytes: &[u8], o: ResultsOptions) -> String {
    match read_all(bytes, o) {
        Ok(_) => panic!("accepted"),
        Err(e) => e.to_string(),
    }
}

fn o17() -> ResultsOptions {
    ResultsOptions {
        source: "PR17_BVot_T2_FE.txt".into(),
        ..Default::default()
    }
}

#[test]
fn overseas_corsica_and_abroad_rows() {
    let rows = [
        ROW_17.replacen(
            "69;Rhône;08;8ème circonscription;001;Affoux",
            "ZM;Mayotte;01;1ère circonscription;508;Dzaoudzi",
            1,
        ),
        ROW_17.replacen(
            "69;Rhône;08;8ème circonscription;001;Affoux",
            "2A;Corse-du-Sud;01;1ère circonscription;4;Ajaccio",
            1,
        ),
        ROW_17.replacen(
            "69;Rhône;08;8ème circonscription;001;Affoux",
            "ZZ;Français établis hors de France;11;11ème circonscription;25;Bangkok",
            1,
        ),
        ROW_17.replacen(
            "69;Rhône;08;8ème circonscription;001;Affoux;0001",
            "1;Ain;2;2ème circonscription;2;L'Abergement-de-Varey;1",
            1,
        ),
    ];
    let refs: Vec<&str> = rows.iter().map(String::as_str).collect();
    let (rs, rep) = read(&file17(&refs), o17());
    let codes: Vec<&str> = rs.iter().map(|r| r.area.code()).collect();
    assert_eq!(codes, ["97608_0001", "2A004_0001", "01002_0001"]);
    assert_eq!(rep.skipped_abroad, 1);
    assert_eq!(
        rs[2].circonscription.as_deref(),
        Some("02"),
        "zero-padding restored"
    );
}

#[test]
fn a_trailing_separator_and_a_blank_line_are_tolerated() {
    let row = format!("{ROW_17};");
    let (rs, _) = read(&file17(&[&row, ""]), o17());
    assert_eq!(rs.len(), 1);
    assert_eq!(rs[0].candidates.len(), 2);
}

#[test]
fn a_truncated_file_is_an_error_naming_the_line() {
    let mut bytes = file17(&[ROW_17, ROW_17]);
    bytes.truncate(bytes.len() - 20);
    let e = err_of(&bytes, o17());
    assert!(
        e.contains("PR17_BVot_T2_FE.txt:3") && e.contains("cut short"),
        "{e}"
    );
}

#[test]
fn a_ragged_row_cut_short_is_an_error() {
    let short = ROW_17.rsplitn(3, ';').nth(2).unwrap();
    let e = err_of(&file17(&[ROW_17, short]), o17());
    assert!(e.contains(":3") && e.contains("not a multiple"), "{e}");
}

#[test]
fn a_semicolon_inside_a_name_is_caught() {
    let row = ROW_17.replace("LE PEN;Marine", "LE;PEN;Marine");
    let e = err_of(&file17(&[&row]), o17());
    assert!(e.contains(":2") && e.contains("';' inside a name"), "{e}");
}

#[test]
fn latin1_read_as_utf8_and_the_reverse_are_clear_errors() {
    let o = ResultsOptions {
        encoding: Encoding::Utf8,
        ..o17()
    };
    let e = err_of(&file17(&[ROW_17]), o);
    assert!(
        e.contains("PR17_BVot_T2_FE.txt:1") && e.contains("latin"),
        "{e}"
    );
    let utf8 = format!("{HEADER_17}\n{ROW_17}\n");
    let o = ResultsOptions {
        encoding: Encoding::Latin1,
        ..o17()
    };
    let e = err_of(utf8.as_bytes(), o);
    assert!(e.contains("UTF-8") && e.contains("Ã©"), "{e}");
    // Auto reads both.
    assert_eq!(
        read(utf8.as_bytes(), o17()).0,
        read(&file17(&[ROW_17]), o17()).0
    );
}

#[test]
fn inconsistent_rows_warn_or_stop() {
    let row = ROW_17.replace(";2;F;LE PEN;Marine;98;", ";2;F;LE PEN;Marine;97;");
    let (rs, rep) = read(&file17(&[ROW_17, &row]), o17());
    assert_eq!(rs.len(), 2);
    assert_eq!(rep.inconsistent_rows, 1);
    let w = &rep.warnings.kept[0];
    assert_eq!((w.loc.line, w.bureau.as_deref()), (3, Some("69001_0001")));
    assert!(w.message.contains("190 ≠ 191"), "{}", w.message);
    let o = ResultsOptions {
        policy: Policy::Stop,
        ..o17()
    };
    let e = err_of(&file17(&[ROW_17, &row]), o);
    assert!(
        e.contains(":3") && e.contains("69001_0001") && e.contains("voix"),
        "{e}"
    );
    let row = ROW_17.replacen(";257;39;", ";258;39;", 1);
    let (_, rep) = read(&file17(&[&row]), o17());
    assert!(rep.warnings.kept[0].message.contains("inscrits"));
}

#[test]
fn the_election_must_be_known() {
    let o = ResultsOptions {
        source: "resultats-par-niveau-burvot-t1-france-entiere.txt".into(),
        ..Default::default()
    };
    let e = err_of(&file17(&[ROW_17]), o);
    assert!(e.contains("--election"), "{e}");
    let o = ResultsOptions {
        source: "x.txt".into(),
        election: Some(ElectionId::parse("2017_pres_t2").unwrap()),
        ..Default::default()
    };
    assert_eq!(read(&file17(&[ROW_17]), o).0.len(), 1);
}

#[test]
fn legislative_blocks_of_eight_fields_with_nuance() {
    let header = HEADER_17.replace("Prénom;Voix", "Prénom;Nuance;Voix");
    let row = ROW_17
        .replace("Emmanuel;93", "Emmanuel;REM;93")
        .replace("Marine;98", "Marine;FN;98");
    let row2 = format!("{};3;M;DUPONT;Jean;DIV;0;0,00;0,00", row);
    let text = format!("{header}\r\n{row}\r\n{row2}\r\n");
    let o = ResultsOptions {
        source: "Leg_2017_Resultats_BVT_T1_c.txt".into(),
        ..Default::default()
    };
    let (rs, _) = read(text.as_bytes(), o);
    assert_eq!(rs[0].election.to_string(), "2017_legi_t1");
    assert_eq!(rs[0].candidates[1].nuance.as_ref().unwrap().as_str(), "FN");
    assert_eq!(rs[1].candidates.len(), 3, "legislative rows vary in width");
}

const HEADER_24: &str = "Code département;Libellé département;Code commune;Libellé commune;Code BV;Inscrits;Votants;% Votants;Abstentions;% Abstentions;Exprimés;% Exprimés/inscrits;% Exprimés/votants;Blancs;% Blancs/inscrits;% Blancs/votants;Nuls;% Nuls/inscrits;% Nuls/votants";

fn header24(blocks: usize) -> String {
    let mut h = HEADER_24.to_string();
    for n in 1..=blocks {
        h.push_str(&format!(";Numéro de panneau {n};Nuance candidat {n};Nom candidat {n};Prénom candidat {n};Sexe candidat {n};Voix {n};% Voix/inscrits {n};% Voix/exprimés {n};Elu {n}"));
    }
    h
}

#[test]
fn layout_2024_legislative_with_percent_strings_and_unpadded_bureaux() {
    let row = "29;Finistère;29019;Brest;1;1000;789;78,90%;211;21,10%;760;76,00%;96,32%;20;2,00%;2,53%;9;0,90%;1,14%;1;UG;DUPONT;Anne;FEMININ;400;40,00%;52,63%;;2;RN;MARTIN;Paul;MASCULIN;360;36,00%;47,37%;;;;;;;;;;";
    let text = format!("{}\n{row}\n", header24(3));
    let o = ResultsOptions {
        source: "resultats-definitifs-par-bureau-de-vote-tour1.csv".into(),
        election: Some(ElectionId::parse("2024_legi_t1").unwrap()),
        ..Default::default()
    };
    let (rs, rep) = read(text.as_bytes(), o);
    assert_eq!(rep.layout, Some(Layout::Ministry2024));
    assert_eq!(rs[0].area.code(), "29019_0001");
    assert_eq!(rs[0].totals.abstentions, 211);
    assert_eq!(
        rs[0].candidates.len(),
        2,
        "the empty third block is skipped"
    );
    assert_eq!(rs[0].candidates[0].sex, Some(terrain_model::Sex::Female));
    assert!(rs[0].inconsistencies().is_empty());
}

#[test]
fn layout_2024_european_quoted_header_with_lists() {
    let mut h = String::from("\"Code localisation\";\"Libellé localisation\";");
    h.push_str(
        &HEADER_24
            .split(';')
            .map(|c| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(";"),
    );
    for n in 1..=2 {
        h.push_str(&format!(";\"Numéro de panneau {n}\";\"Nuance liste {n}\";\"Libellé abrégé de liste {n}\";\"Libellé de liste {n}\";\"Voix {n}\";\"% Voix/inscrits {n}\";\"% Voix/exprimés {n}\";\"Sièges {n}\""));
    }
    let row = "\"13055-1\";\"Marseille 1\";13;Bouches-du-Rhône;13055;Marseille;0101;900;500;55,56%;400;44,44%;490;54,44%;98,00%;6;0,67%;1,20%;4;0,44%;0,80%;1;LRN;LA FRANCE REVIENT;\"LA FRANCE REVIENT ! AVEC JORDAN BARDELLA\";290;32,22%;59,18%;30;2;LENS;BESOIN D'EUROPE;\"BESOIN D'EUROPE; AVEC LA MAJORITÉ\";200;22,22%;40,82%;13";
    let text = format!("{h}\n{row}\n");
    let o = ResultsOptions {
        source: "resultats-europeennes-2024-tour1.csv".into(),
        ..Default::default()
    };
    let (rs, _) = read(text.as_bytes(), o);
    let r = &rs[0];
    assert_eq!(r.election.to_string(), "2024_euro_t1");
    assert_eq!(r.area.code(), "13055_0101");
    assert_eq!(r.arrondissement.as_ref().unwrap().as_str(), "13201");
    assert_eq!(
        r.candidates[1].list_label.as_deref(),
        Some("BESOIN D'EUROPE; AVEC LA MAJORITÉ"),
        "a quoted ';' stays in the label"
    );
    assert_eq!(r.candidates[0].seats, Some(30));
    assert_eq!(
        r.candidates[0].list_short_label.as_deref(),
        Some("LA FRANCE REVIENT")
    );
}

#[test]
fn long_layout_with_a_mapping_and_non_contiguous_rows() {
    let text = "bv;tour;ins;vot;bl;nu;exp;cand;voix\n\
69001_1;2017_pres_t2;257;218;20;7;191;MACRON;93\n\
69001_1;2017_pres_t2;257;218;20;7;191;LE PEN;98\n\
69002_1;2017_pres_t2;224;173;13;11;149;MACRON;84\n\
69002_1;2017_pres_t2;224;173;13;11;149;LE PEN;65\n";
    let m = LongMapping {
        bureau: Some("bv".into()),
        election: Some("tour".into()),
        inscrits: Some("ins".into()),
        votants: Some("vot".into()),
        blancs: Some("bl".into()),
        nuls: Some("nu".into()),
        exprimes: Some("exp".into()),
        last_name: Some("cand".into()),
        ..Default::default()
    };
    let o = ResultsOptions {
        source: "mine.csv".into(),
        mapping: Some(m.clone()),
        ..Default::default()
    };
    let (rs, _) = read(text.as_bytes(), o.clone());
    assert_eq!(rs.len(), 2);
    assert_eq!(rs[0].totals.abstentions, 39, "abstentions derived");
    assert!(rs.iter().all(|r| r.inconsistencies().is_empty()));
    let shuffled = text
        .replace("69001_1;2017_pres_t2;257;218;20;7;191;LE PEN;98\n", "")
        .to_string()
        + "69001_1;2017_pres_t2;257;218;20;7;191;LE PEN;98\n";
    let e = err_of(shuffled.as_bytes(), o.clone());
    assert!(e.contains("mine.csv:5") && e.contains("consecutive"), "{e}");
    let differing = text.replace(
        "69001_1;2017_pres_t2;257;218;20;7;191;LE PEN",
        "69001_1;2017_pres_t2;258;218;20;7;191;LE PEN",
    );
    let e = err_of(differing.as_bytes(), o);
    assert!(
        e.contains("mine.csv:3") && e.contains("totals differ"),
        "{e}"
    );
    let bad = LongMapping {
        votes: Some("nb_voix".into()),
        ..m
    };
    let e = err_of(
        text.as_bytes(),
        ResultsOptions {
            mapping: Some(bad),
            ..Default::default()
        },
    );
    assert!(e.contains("nb_voix"), "{e}");
    let json = r#"{"bureau": "bv", "election_values": {"p2": "2017_pres_t2"}}"#;
    let m = LongMapping::from_json(json.as_bytes(), "m.json").unwrap();
    assert_eq!(m.election_values["p2"].to_string(), "2017_pres_t2");
    assert!(LongMapping::from_json(r#"{"bureaux": "x"}"#.as_bytes(), "m.json").is_err());
}
