//! The Code officiel géographique (COG): communes, their kind and their parents.
//!
//! Two sources: the JSON of `@etalab/decoupage-administratif` (`communes.json`, with
//! populations and postcodes) and INSEE's `v_commune_AAAA.csv`
//! (`TYPECOM,COM,REG,DEP,CTCD,ARR,TNCC,NCC,NCCENR,LIBELLE,CAN,COMPARENT`).

use crate::error::{IngestError, Location};
use crate::sniff;
use crate::text::fold;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader, Read};
use terrain_model::{CommuneCode, DepartmentCode, RegionCode};

/// The kind of a COG entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommuneKind {
    /// A commune in its own right (`COM`, `commune-actuelle`).
    Current,
    /// A delegated commune inside a new commune (`COMD`).
    Delegated,
    /// An associated commune (`COMA`).
    Associated,
    /// A municipal arrondissement of Paris, Lyon or Marseille (`ARM`).
    MunicipalArrondissement,
}

/// One COG entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CogCommune {
    pub code: CommuneCode,
    pub name: String,
    pub kind: CommuneKind,
    pub department: Option<DepartmentCode>,
    pub region: Option<RegionCode>,
    /// The commune it belongs to (delegated and associated communes, arrondissements).
    pub parent: Option<CommuneCode>,
    pub population: Option<u64>,
    pub postcodes: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawJson {
    code: String,
    nom: String,
    #[serde(rename = "type")]
    kind: String,
    departement: Option<String>,
    region: Option<String>,
    commune: Option<String>,
    chef_lieu: Option<String>,
    population: Option<u64>,
    #[serde(default)]
    codes_postaux: Vec<String>,
}

/// Reads `communes.json` (an array of communes).
pub fn read_communes_json<R: Read>(input: R, source: &str) -> Result<Vec<CogCommune>, IngestError> {
    let raw: Vec<RawJson> =
        serde_json::from_reader(BufReader::new(input)).map_err(|e| IngestError::Json {
            loc: Location::line(source, e.line() as u64),
            detail: e.to_string(),
        })?;
    raw.into_iter()
        .enumerate()
        .map(|(i, r)| {
            let loc = || Location::file(source).with_field(format!("entry {} ({})", i + 1, r.code));
            let code = CommuneCode::parse(&r.code).map_err(|e| IngestError::field(loc(), &r.code, e.to_string()))?;
            let kind = match r.kind.as_str() {
                "commune-actuelle" => CommuneKind::Current,
                "commune-deleguee" => CommuneKind::Delegated,
                "commune-associee" => CommuneKind::Associated,
                "arrondissement-municipal" => CommuneKind::MunicipalArrondissement,
                other => return Err(IngestError::field(loc(), other, "commune-actuelle, commune-deleguee, commune-associee or arrondissement-municipal")),
            };
            let parent = r.commune.as_deref().or(r.chef_lieu.as_deref()).and_then(|p| CommuneCode::parse(p).ok());
            Ok(CogCommune {
                department: r.departement.as_deref().and_then(|d| DepartmentCode::parse(d).ok()).or_else(|| Some(code.department())),
                region: r.region.as_deref().and_then(|g| RegionCode::parse(g).ok()),
                code,
                name: r.nom,
                kind,
                parent,
                population: r.population,
                postcodes: r.codes_postaux,
            })
        })
        .collect()
}

/// Reads INSEE's `v_commune_AAAA.csv`.
pub fn read_communes_csv<R: Read>(input: R, source: &str) -> Result<Vec<CogCommune>, IngestError> {
    let mut b = BufReader::new(input);
    let head = b.fill_buf().map_err(|e| IngestError::Io {
        loc: Location::file(source),
        detail: e.to_string(),
    })?;
    let d = sniff::delimiter(head);
    let mut csv = csv::ReaderBuilder::new()
        .delimiter(d)
        .flexible(true)
        .from_reader(b);
    let headers: Vec<String> = csv
        .headers()
        .map_err(|e| IngestError::from_csv(source, &e))?
        .iter()
        .map(|h| fold(h.trim_start_matches('\u{feff}')))
        .collect();
    let col = |n: &str| headers.iter().position(|h| h == n);
    let (Some(typ), Some(com)) = (col("typecom"), col("com")) else {
        return Err(IngestError::Header {
            loc: Location::line(source, 1),
            detail: format!(
                "not a v_commune file: needs TYPECOM and COM (columns: {})",
                headers.join(", ")
            ),
        });
    };
    let (dep, reg, libelle, parent) = (
        col("dep"),
        col("reg"),
        col("libelle").or(col("nccenr")),
        col("comparent"),
    );
    let mut out = Vec::new();
    for rec in csv.records() {
        let rec = rec.map_err(|e| IngestError::from_csv(source, &e))?;
        let line = rec.position().map_or(0, |p| p.line());
        let get = |i: Option<usize>| i.and_then(|i| rec.get(i)).map(str::trim).unwrap_or("");
        let loc = |f: &str| Location::line(source, line).with_field(f);
        let kind = match get(Some(typ)) {
            "COM" => CommuneKind::Current,
            "COMD" => CommuneKind::Delegated,
            "COMA" => CommuneKind::Associated,
            "ARM" => CommuneKind::MunicipalArrondissement,
            other => {
                return Err(IngestError::field(
                    loc("TYPECOM"),
                    other,
                    "COM, COMD, COMA or ARM",
                ));
            }
        };
        let code = CommuneCode::parse(get(Some(com)))
            .map_err(|e| IngestError::field(loc("COM"), get(Some(com)), e.to_string()))?;
        out.push(CogCommune {
            department: DepartmentCode::parse(get(dep))
                .ok()
                .or_else(|| Some(code.department())),
            region: RegionCode::parse(get(reg)).ok(),
            parent: CommuneCode::parse(get(parent)).ok(),
            name: get(libelle).to_string(),
            code,
            kind,
            population: None,
            postcodes: Vec::new(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::shared_bytes;

    #[test]
    fn cog_2026_json() {
        let Some(bytes) = shared_bytes("cog-decoupage-administratif-2026/communes.json") else {
            return;
        };
        let all = read_communes_json(&bytes[..], "communes.json").unwrap();
        assert_eq!(all.len(), 37_590);
        let count = |k| all.iter().filter(|c| c.kind == k).count();
        assert_eq!(count(CommuneKind::Current), 34_969);
        assert_eq!(count(CommuneKind::Delegated), 2_105);
        assert_eq!(count(CommuneKind::Associated), 471);
        assert_eq!(count(CommuneKind::MunicipalArrondissement), 45);
        let a18 = all.iter().find(|c| c.code.as_str() == "75118").unwrap();
        assert_eq!(a18.parent.as_ref().unwrap().as_str(), "75056");
        let dz = all.iter().find(|c| c.code.as_str() == "97608").unwrap();
        assert_eq!(dz.name, "Dzaoudzi");
        assert_eq!(dz.department.as_ref().unwrap().as_str(), "976");
    }

    #[test]
    fn v_commune_csv() {
        let text = "TYPECOM,COM,REG,DEP,CTCD,ARR,TNCC,NCC,NCCENR,LIBELLE,CAN,COMPARENT\n\
COM,01001,84,01,01D,012,5,ABERGEMENT CLEMENCIAT,Abergement-Clémenciat,L'Abergement-Clémenciat,0108,\n\
ARM,75118,11,75,75C,751,0,PARIS 18,Paris 18e Arrondissement,Paris 18e Arrondissement,,75056\n\
COMD,01015,84,01,01D,011,1,ARBIGNIEU,Arbignieu,Arbignieu,,01015\n";
        let c = read_communes_csv(text.as_bytes(), "v_commune_2024.csv").unwrap();
        assert_eq!(c.len(), 3);
        assert_eq!(c[1].kind, CommuneKind::MunicipalArrondissement);
        assert_eq!(c[1].parent.as_ref().unwrap().as_str(), "75056");
        assert_eq!(c[0].name, "L'Abergement-Clémenciat");
        let bad = text.replace("ARM,", "XXX,");
        let e = read_communes_csv(bad.as_bytes(), "v.csv").unwrap_err();
        assert!(
            e.to_string().contains("v.csv:3") && e.to_string().contains("TYPECOM"),
            "{e}"
        );
    }

    #[test]
    fn broken_json_names_the_line() {
        let e = read_communes_json("[\n{\"code\":\"01001\",\n".as_bytes(), "c.json").unwrap_err();
        assert!(e.to_string().contains("c.json:"), "{e}");
    }
}
