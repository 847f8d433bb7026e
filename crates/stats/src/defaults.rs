//! Default margins shipped with the crate (real INSEE-derived figures; see `data/README.md`
//! for their sources, vintages and limits).

use crate::calibration::{MarginVariable, margins_from_long};
use crate::error::{Result, StatsError};

/// Population by region (18 INSEE region codes) and by commune size band, from the commune
/// populations of the COG 2026 package. All residents, every age.
pub const FRANCE_COG2026_CSV: &str = include_str!("../data/margins-france-cog2026.csv");

/// Paris residents aged 15 or more by occupation group (PCS, 8 groups) and by arrondissement,
/// census 2011.
pub const PARIS_RP2011_CSV: &str = include_str!("../data/margins-paris-rp2011.csv");

/// Parses one of the shipped long-form CSVs into margin variables.
pub fn parse_margins(csv_text: &str) -> Result<Vec<MarginVariable>> {
    let mut rows = Vec::new();
    for (i, line) in csv_text.lines().enumerate().skip(1) {
        let mut f = line.splitn(4, ',');
        let (Some(v), Some(c), Some(t)) = (f.next(), f.next(), f.next()) else {
            return Err(StatsError::Csv {
                file: "default margins".into(),
                line: i as u64 + 1,
                message: "expected variable,category,target".into(),
            });
        };
        let target = t.parse::<f64>().map_err(|e| StatsError::Csv {
            file: "default margins".into(),
            line: i as u64 + 1,
            message: e.to_string(),
        })?;
        rows.push((v.to_string(), c.to_string(), target));
    }
    margins_from_long(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared_data() -> Option<std::path::PathBuf> {
        let p =
            std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data"));
        if p.is_dir() {
            Some(p)
        } else {
            eprintln!(
                "shared/data not found next to the repository: skipping the check of the shipped margins against their sources"
            );
            None
        }
    }

    #[test]
    fn shipped_margins_parse_and_every_variable_adds_up_to_the_same_total() {
        for (csv, total, vars) in [
            (FRANCE_COG2026_CSV, 68_350_798.0, 2),
            (PARIS_RP2011_CSV, 1_926_663.0, 2),
        ] {
            let m = parse_margins(csv).unwrap();
            assert_eq!(m.len(), vars);
            for v in &m {
                assert_eq!(v.targets.iter().sum::<f64>(), total, "{}", v.name);
            }
        }
        assert_eq!(
            parse_margins(FRANCE_COG2026_CSV).unwrap()[0]
                .categories
                .len(),
            18
        );
    }

    #[test]
    fn shipped_france_margins_match_the_cog_communes() {
        let Some(dir) = shared_data() else { return };
        let text =
            std::fs::read_to_string(dir.join("cog-decoupage-administratif-2026/communes.json"))
                .unwrap();
        let communes: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
        let mut by_region = std::collections::BTreeMap::<String, f64>::new();
        for c in &communes {
            let zone = c["zone"].as_str().unwrap_or("");
            if c["type"] == "commune-actuelle" && (zone == "metro" || zone == "drom") {
                let pop = c["population"].as_f64().unwrap_or(0.0);
                *by_region
                    .entry(c["region"].as_str().unwrap().to_string())
                    .or_default() += pop;
            }
        }
        let m = parse_margins(FRANCE_COG2026_CSV).unwrap();
        let region = m.iter().find(|v| v.name == "region").unwrap();
        for (cat, t) in region.categories.iter().zip(&region.targets) {
            assert_eq!(by_region[cat], *t, "region {cat}");
        }
        assert_eq!(by_region.len(), region.categories.len());
    }

    #[test]
    fn shipped_paris_margins_match_the_census_table() {
        let Some(dir) = shared_data() else { return };
        let text = std::fs::read_to_string(
            dir.join("paris-75/iris-et-bureaux-2011-2013/RP_2011_CS8_Paris_iris.csv"),
        )
        .unwrap();
        let mut by_group = [0.0; 8];
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split(';').collect();
            for g in 0..8 {
                by_group[g] += f[2 + g].parse::<f64>().unwrap();
            }
        }
        let m = parse_margins(PARIS_RP2011_CSV).unwrap();
        assert_eq!(m[0].name, "occupation");
        assert_eq!(m[0].targets, by_group.to_vec());
    }
}
