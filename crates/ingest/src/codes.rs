//! The Ministry of the Interior's place codes turned into INSEE codes, once, at the edge.
//!
//! The Ministry's results files (2017–2022 layout) give a department code and the commune's
//! number *within* the department: `69` + `001` is INSEE `69001`. Overseas departments and
//! collectivities have letter codes (`ZA`…`ZZ`). Most follow "97/98 + the commune number"
//! (`ZA;110` → `97110`, `ZN;818` → `98818`), but three need a table:
//!
//! | Ministry | INSEE | rule |
//! |---|---|---|
//! | `ZM` Mayotte, `501`…`517` | `97601`…`97617` | the Ministry kept Mayotte's numbering from when it was the collectivity `985` (`98508` → `508`); INSEE renumbered the communes `976NN` when Mayotte became a department in 2011. Verified: `ZM;508;Dzaoudzi` is INSEE `97608` |
//! | `ZP` Polynésie française, `11`…`58` | `98711`…`98758` | the Ministry drops the `987` prefix. Verified: `ZP;14;Bora-Bora` is INSEE `98714` |
//! | `ZW` Wallis-et-Futuna | `98611` Alo, `98612` Sigave, `98613` Uvea | the Ministry numbers its own units (`ZW;1;Wallis-Et-Futuna` in the 2017 presidential commune file): matched on the label; a row for the whole territory has no single INSEE commune and is reported, not guessed |
//!
//! Sources: the rows quoted above are Ministry rows of the 2017 presidential commune-level file
//! and the Rhône files, quoted in `shared/data/FORMATS.md` §2 (the `ZM`, `ZP`, `ZW` rows as printed by
//! a public Python exercise built on `PR17` that shows `ZM;Mayotte;508;Dzaoudzi`,
//! `ZP;Polynésie française;14;Bora-Bora`, `ZW;Wallis et Futuna;1;Wallis-Et-Futuna`); the INSEE
//! codes are those of the COG 2026 (`shared/data/cog-decoupage-administratif-2026/communes.json`:
//! `97608` Dzaoudzi, `98714` Bora-Bora, `98611` Alo, `98612` Sigave, `98613` Uvea, and the 17
//! Mayotte communes `97601`…`97617`, the 48 of Polynésie `98711`…`98758`). The department
//! letter codes (`ZA` 971 … `ZX` 977/978) are those the data.gouv.fr pipeline that builds the
//! aggregated results applies (`map_outremer` in its election processing). `ZZ` (French people
//! abroad) has consular areas, not communes: such rows are skipped and counted.

use crate::text::{fold, zfill};
use terrain_model::{CommuneCode, DepartmentCode};

/// Where a Ministry (department, commune) pair lands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    Commune(CommuneCode),
    /// `ZZ`: French people living abroad (consular areas, no INSEE commune).
    Abroad,
}

/// Why a Ministry code could not be mapped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unmapped(pub String);

fn from_prefix(prefix: &str, local: &str) -> Result<CommuneCode, Unmapped> {
    let width = 5 - prefix.len();
    if local.is_empty() || local.len() > width || !local.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Unmapped(format!(
            "commune number {local:?} does not fit after {prefix}"
        )));
    }
    CommuneCode::parse(&format!("{prefix}{}", zfill(local, width)))
        .map_err(|e| Unmapped(e.to_string()))
}

/// Maps a Ministry department code (`1`, `01`, `2A`, `ZA`…) and commune number (`1`, `001`,
/// `110`) to an INSEE commune. `label` is the commune's name, needed for Wallis-et-Futuna.
pub fn ministry_commune(dep: &str, local: &str, label: &str) -> Result<Place, Unmapped> {
    let dep = dep.trim().to_ascii_uppercase();
    let local = local.trim();
    let in_dep = |c: CommuneCode, want: &[&str]| {
        if want.contains(&c.department().as_str()) {
            Ok(Place::Commune(c))
        } else {
            Err(Unmapped(format!(
                "commune {c} is not in department {}",
                want.join(" or ")
            )))
        }
    };
    match dep.as_str() {
        "ZZ" => Ok(Place::Abroad),
        "ZA" => in_dep(from_prefix("97", local)?, &["971"]),
        "ZB" => in_dep(from_prefix("97", local)?, &["972"]),
        "ZC" => in_dep(from_prefix("97", local)?, &["973"]),
        "ZD" => in_dep(from_prefix("97", local)?, &["974"]),
        "ZS" => in_dep(from_prefix("97", local)?, &["975"]),
        "ZX" => in_dep(from_prefix("97", local)?, &["977", "978"]),
        "ZN" => in_dep(from_prefix("98", local)?, &["988"]),
        "ZM" => {
            // 5NN (Ministry, ex-985) or 6NN (already INSEE-like).
            let n = local.trim_start_matches('0');
            match (n.len(), n.as_bytes().first()) {
                (3, Some(b'5')) | (3, Some(b'6')) => in_dep(from_prefix("976", &n[1..])?, &["976"]),
                (1 | 2, _) => in_dep(from_prefix("976", n)?, &["976"]),
                _ => Err(Unmapped(format!(
                    "Mayotte commune number {local:?}: expected 501–517"
                ))),
            }
        }
        "ZP" => {
            let n = local.trim_start_matches('0');
            match n.len() {
                1 | 2 => in_dep(from_prefix("987", n)?, &["987"]),
                3 if n.starts_with('7') => in_dep(from_prefix("98", n)?, &["987"]),
                _ => Err(Unmapped(format!(
                    "Polynésie commune number {local:?}: expected 11–58"
                ))),
            }
        }
        "ZW" => {
            let n = local.trim_start_matches('0');
            if matches!(n, "11" | "12" | "13") {
                return in_dep(from_prefix("986", n)?, &["986"]);
            }
            let f = fold(label);
            let code = if f.contains("sigave") {
                "98612"
            } else if f.contains("alo") && !f.contains("wallis") {
                "98611"
            } else if f.contains("uvea") || f == "wallis" {
                "98613"
            } else {
                return Err(Unmapped(format!(
                    "Wallis-et-Futuna unit {local:?} ({label}) covers no single INSEE commune \
                     (98611 Alo, 98612 Sigave, 98613 Uvea)"
                )));
            };
            CommuneCode::parse(code)
                .map(Place::Commune)
                .map_err(|e| Unmapped(e.to_string()))
        }
        _ => {
            let d = DepartmentCode::parse(&dep)
                .map_err(|_| Unmapped(format!("unknown department code {dep:?}")))?;
            if d.is_overseas() {
                // Numeric overseas code (971 + 110 or 971 + 10).
                let s = d.as_str();
                let c = if local.len() == 3 {
                    from_prefix(&s[..2], local)?
                } else {
                    from_prefix(s, local)?
                };
                return in_dep(c, &[s]);
            }
            CommuneCode::from_department(&d, local)
                .map(Place::Commune)
                .map_err(|e| Unmapped(e.to_string()))
        }
    }
}

/// Maps a Ministry department code to the INSEE one (`ZA` → `971`); `None` for `ZZ` (abroad)
/// and for `ZX`, which holds two collectivities (977 and 978).
pub fn ministry_department(dep: &str) -> Option<DepartmentCode> {
    let code = match dep.trim().to_ascii_uppercase().as_str() {
        "ZA" => "971",
        "ZB" => "972",
        "ZC" => "973",
        "ZD" => "974",
        "ZM" => "976",
        "ZN" => "988",
        "ZP" => "987",
        "ZS" => "975",
        "ZW" => "986",
        "ZX" | "ZZ" => return None,
        other => return DepartmentCode::parse(other).ok(),
    };
    DepartmentCode::parse(code).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn insee(dep: &str, local: &str, label: &str) -> String {
        match ministry_commune(dep, local, label).unwrap() {
            Place::Commune(c) => c.to_string(),
            Place::Abroad => "abroad".into(),
        }
    }

    #[test]
    fn metropolitan_and_corsica_with_lost_zeros() {
        assert_eq!(insee("69", "001", "Affoux"), "69001");
        assert_eq!(insee("1", "2", "L'Abergement-de-Varey"), "01002");
        assert_eq!(insee("2A", "4", "Ajaccio"), "2A004");
        assert_eq!(insee("2b", "096", "Corte"), "2B096");
        assert_eq!(insee("75", "056", "Paris"), "75056");
    }

    #[test]
    fn overseas_rule_and_tables_match_the_verified_rows() {
        // The rows quoted in FORMATS.md §2, each checked against the COG 2026.
        assert_eq!(insee("ZA", "110", "La Désirade"), "97110");
        assert_eq!(insee("ZB", "209", "Fort-de-France"), "97209");
        assert_eq!(insee("ZC", "302", "Cayenne"), "97302");
        assert_eq!(insee("ZD", "416", "Saint-Pierre"), "97416");
        assert_eq!(insee("ZS", "502", "Saint-Pierre"), "97502");
        assert_eq!(insee("ZX", "801", "Saint-Martin"), "97801");
        assert_eq!(insee("ZX", "701", "Saint-Barthélemy"), "97701");
        assert_eq!(insee("ZN", "818", "Nouméa"), "98818");
        assert_eq!(insee("ZM", "508", "Dzaoudzi"), "97608");
        assert_eq!(insee("ZM", "517", "Tsingoni"), "97617");
        assert_eq!(insee("ZP", "14", "Bora-Bora"), "98714");
        assert_eq!(insee("ZP", "714", "Bora-Bora"), "98714");
        assert_eq!(insee("ZW", "2", "Sigave"), "98612");
        assert_eq!(insee("ZW", "1", "Alo"), "98611");
        assert_eq!(insee("ZW", "3", "Uvea"), "98613");
        assert_eq!(insee("971", "110", "La Désirade"), "97110");
        assert_eq!(insee("ZZ", "25", "Bangkok"), "abroad");
    }

    #[test]
    fn what_cannot_be_mapped_says_why() {
        let e = ministry_commune("ZW", "1", "Wallis-Et-Futuna").unwrap_err();
        assert!(e.0.contains("98611"), "{e:?}");
        assert!(
            ministry_commune("ZA", "210", "x").is_err(),
            "210 is Martinique"
        );
        assert!(ministry_commune("ZM", "999", "x").is_err());
        assert!(ministry_commune("QQ", "1", "x").is_err());
        assert!(ministry_commune("69", "1234", "x").is_err());
    }

    #[test]
    fn departments() {
        assert_eq!(ministry_department("ZM").unwrap().as_str(), "976");
        assert_eq!(ministry_department("1").unwrap().as_str(), "01");
        assert!(ministry_department("ZZ").is_none());
    }
}
