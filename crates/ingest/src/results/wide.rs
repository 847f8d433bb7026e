//! The Ministry's "wide" layouts: general columns, then one block of fields per candidate.
//!
//! Columns are recognised by name (accents, case and punctuation ignored), so that the 2017–2022
//! order (Abstentions before Votants) and the 2024 order (Votants first) are read by the same
//! code. The block's fields are recognised the same way, with their numbers stripped
//! (`Voix 12` → `voix`).

use super::{Common, Layout};
use crate::codes::{Place, ministry_commune};
use crate::error::{IngestError, WarningKind};
use crate::text::{fold, parse_count, zfill};
use terrain_model::{
    BureauId, BureauResult, CandidateResult, CommuneCode, Nuance, ResultArea, Sex, Totals,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum General {
    Dep,
    Circ,
    Commune,
    CommuneLabel,
    Bureau,
    Inscrits,
    Abstentions,
    Votants,
    Blancs,
    Nuls,
    Exprimes,
}

fn general_role(folded: &str) -> Option<General> {
    Some(match folded {
        "codedudepartement" | "codedepartement" => General::Dep,
        "codedelacirconscription" | "codecirconscription" | "codecirconscriptionlegislative" => {
            General::Circ
        }
        "codedelacommune" | "codecommune" => General::Commune,
        "libelledelacommune" | "libellecommune" => General::CommuneLabel,
        "codedubvote" | "codebv" | "codebureaudevote" | "codedubureaudevote" => General::Bureau,
        "inscrits" => General::Inscrits,
        "abstentions" => General::Abstentions,
        "votants" => General::Votants,
        "blancs" => General::Blancs,
        "nuls" => General::Nuls,
        "exprimes" => General::Exprimes,
        _ => return None,
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Panel,
    Sex,
    LastName,
    FirstName,
    Nuance,
    Votes,
    ListShort,
    ListLabel,
    Elected,
    Seats,
    Ignored,
}

fn strip_number(folded: &str) -> &str {
    folded.trim_end_matches(|c: char| c.is_ascii_digit())
}

fn is_panel(folded: &str) -> bool {
    matches!(
        strip_number(folded),
        "nopanneau" | "numerodepanneau" | "numeropanneau" | "panneau"
    )
}

fn field_role(folded: &str) -> Field {
    match strip_number(folded) {
        "nopanneau" | "numerodepanneau" | "numeropanneau" | "panneau" => Field::Panel,
        "sexe" | "sexecandidat" | "sexecandidate" => Field::Sex,
        "nom" | "nomcandidat" | "nomtetedeliste" => Field::LastName,
        "prenom" | "prenomcandidat" | "prenomtetedeliste" => Field::FirstName,
        "nuance" | "nuancecandidat" | "nuanceliste" | "codenuance" => Field::Nuance,
        "voix" => Field::Votes,
        "libelleabregedeliste" | "libelleabregeliste" => Field::ListShort,
        "libelledeliste" | "libelleliste" => Field::ListLabel,
        "elu" | "elue" => Field::Elected,
        "sieges" => Field::Seats,
        _ => Field::Ignored,
    }
}

/// Column positions, found once from the header.
#[derive(Debug)]
pub(crate) struct WideParser {
    layout: Layout,
    names: Vec<String>,
    dep: usize,
    circ: Option<usize>,
    commune: usize,
    commune_label: Option<usize>,
    bureau: Option<usize>,
    counts: [usize; 6],
    /// Number of general columns (the first block starts here).
    first_block: usize,
    block_width: usize,
    fields: Vec<Field>,
    /// Blocks named in the header; `None` when the header names one block and rows are ragged.
    numbered_blocks: Option<usize>,
    abroad_warned: bool,
    /// The previous row's place, reused while rows stay in the same commune (most rows do).
    last_place: Option<PlaceCache>,
    /// The previous row's constituency (raw, padded).
    last_circ: Option<(String, Option<String>)>,
    /// Per block position, the previous row's candidate: the same names recur on every row
    /// of a file, so they are decoded once and cloned (the hot path of a national file).
    slots: Vec<Slot>,
    /// Offsets within a block of the identity fields (see [`is_identity`]).
    identity: Vec<usize>,
    /// Offsets within a block of the per-row fields (votes, elected, seats).
    per_row: Vec<(usize, Field)>,
}

#[derive(Debug)]
struct PlaceCache {
    dep: Vec<u8>,
    commune: Vec<u8>,
    label_raw: Vec<u8>,
    label: String,
    place: Result<Place, crate::codes::Unmapped>,
}

#[derive(Debug)]
struct Slot {
    /// Raw bytes of the block's identity fields (everything but votes, elected, seats).
    raw: Vec<Vec<u8>>,
    template: CandidateResult,
}

fn is_identity(f: Field) -> bool {
    !matches!(
        f,
        Field::Votes | Field::Elected | Field::Seats | Field::Ignored
    )
}

impl WideParser {
    pub(crate) fn layout(&self) -> Layout {
        self.layout
    }

    /// Recognises a wide layout; `Ok(None)` when the header is not one (try another layout).
    pub(crate) fn from_header(
        names: &[String],
        common: &Common,
    ) -> Result<Option<Self>, IngestError> {
        let folded: Vec<String> = names.iter().map(|n| fold(n)).collect();
        let Some(first_block) = folded.iter().position(|f| is_panel(f)) else {
            return Ok(None);
        };
        let pos = |role: General| {
            folded[..first_block]
                .iter()
                .position(|f| general_role(f) == Some(role))
        };
        let dep = pos(General::Dep);
        let commune = pos(General::Commune);
        let circ = pos(General::Circ);
        let commune_label = pos(General::CommuneLabel);
        let bureau = pos(General::Bureau);
        let counts = [
            pos(General::Inscrits),
            pos(General::Abstentions),
            pos(General::Votants),
            pos(General::Blancs),
            pos(General::Nuls),
            pos(General::Exprimes),
        ];
        let mut missing = Vec::new();
        if dep.is_none() {
            missing.push("Code du département");
        }
        if commune.is_none() {
            missing.push("Code de la commune");
        }
        for (c, n) in counts.iter().zip([
            "Inscrits",
            "Abstentions",
            "Votants",
            "Blancs",
            "Nuls",
            "Exprimés",
        ]) {
            if c.is_none() {
                missing.push(n);
            }
        }
        if !missing.is_empty() {
            // Not a wide file (a long file may have a panel column too): let the long layout
            // try, whose error lists what it lacks.
            return Ok(None);
        }
        let panels: Vec<usize> = folded
            .iter()
            .enumerate()
            .filter(|(_, f)| is_panel(f))
            .map(|(i, _)| i)
            .collect();
        let (block_width, numbered_blocks) = if panels.len() >= 2 {
            (panels[1] - panels[0], Some(panels.len()))
        } else {
            // One block named: it runs to the end of the header (official 2017–2022 header),
            // unless a known trailing column ends it.
            (folded.len() - first_block, None)
        };
        if block_width == 0 {
            return Err(IngestError::Header {
                loc: common.loc(1),
                detail: "empty candidate block".into(),
            });
        }
        let fields: Vec<Field> = folded[first_block..first_block + block_width]
            .iter()
            .map(|f| field_role(f))
            .collect();
        if !fields.contains(&Field::Votes) {
            return Err(IngestError::Header {
                loc: common.loc(1),
                detail: format!(
                    "the candidate block {:?} has no Voix column",
                    &names[first_block..first_block + block_width]
                ),
            });
        }
        if let Some(k) = numbered_blocks {
            // Every block must have the same shape.
            for b in 1..k {
                let start = first_block + b * block_width;
                let same = folded
                    .get(start..start + block_width)
                    .map(|blk| blk.iter().map(|f| field_role(f)).eq(fields.iter().copied()));
                if same != Some(true) {
                    return Err(IngestError::Header {
                        loc: common.loc(1),
                        detail: format!(
                            "candidate block {} (column {}) does not repeat the first block's \
                             {} fields",
                            b + 1,
                            start + 1,
                            block_width
                        ),
                    });
                }
            }
        }
        let is_2024 = folded
            .iter()
            .any(|f| f == "codebv" || f == "codedepartement");
        let layout = match (is_2024, numbered_blocks) {
            (true, _) => Layout::Ministry2024,
            (false, None) => Layout::Ministry2017Ragged,
            (false, Some(_)) => Layout::Ministry2017Numbered,
        };
        let counts = counts.map(|c| c.unwrap_or(0));
        Ok(Some(Self {
            layout,
            names: names.to_vec(),
            dep: dep.unwrap_or(0),
            circ,
            commune: commune.unwrap_or(0),
            commune_label,
            bureau,
            counts,
            first_block,
            block_width,
            numbered_blocks,
            abroad_warned: false,
            last_place: None,
            last_circ: None,
            slots: Vec::new(),
            identity: fields
                .iter()
                .enumerate()
                .filter(|(_, f)| is_identity(**f))
                .map(|(k, _)| k)
                .collect(),
            per_row: fields
                .iter()
                .enumerate()
                .filter(|(_, f)| matches!(f, Field::Votes | Field::Elected | Field::Seats))
                .map(|(k, f)| (k, *f))
                .collect(),
            fields,
        }))
    }

    fn name(&self, i: usize) -> String {
        self.names
            .get(i)
            .cloned()
            .unwrap_or_else(|| format!("column {}", i + 1))
    }

    fn ascii<'a>(
        &self,
        rec: &'a crate::record::Record,
        i: usize,
        line: u64,
        c: &Common,
    ) -> Result<&'a str, IngestError> {
        let b = rec.get(i).unwrap_or_default();
        std::str::from_utf8(b).map(str::trim).map_err(|_| {
            IngestError::field(
                c.loc(line).with_field(self.name(i)),
                &String::from_utf8_lossy(b),
                "a code (ASCII letters and digits)",
            )
        })
    }

    fn count(
        &self,
        rec: &crate::record::Record,
        i: usize,
        line: u64,
        c: &Common,
    ) -> Result<u64, IngestError> {
        let b = rec.get(i).unwrap_or_default();
        match parse_count(b) {
            Ok(Some(n)) => Ok(n),
            Ok(None) => Err(IngestError::field(
                c.loc(line).with_field(self.name(i)),
                "",
                "a count (this field is empty)",
            )),
            Err(()) => Err(IngestError::field(
                c.loc(line).with_field(self.name(i)),
                &String::from_utf8_lossy(b),
                "a whole number of voters",
            )),
        }
    }

    /// Parses one data row; `Ok(None)` for a row that is skipped (abroad, unmapped).
    pub(crate) fn row(
        &mut self,
        rec: &crate::record::Record,
        line: u64,
        c: &mut Common,
    ) -> Result<Option<BureauResult>, IngestError> {
        let n = rec.len();
        let w = self.block_width;
        if n < self.first_block {
            return Err(IngestError::Row {
                loc: c.loc(line),
                detail: format!(
                    "row cut short: {n} fields, but the general columns alone are {} \
                     (truncated file or line?)",
                    self.first_block
                ),
            });
        }
        // How many blocks this row holds.
        let blocks = match self.numbered_blocks {
            Some(k) if n >= self.first_block + k * w => k,
            _ => {
                let mut extra = n - self.first_block;
                // A trailing separator gives one empty last field.
                if extra % w == 1
                    && rec
                        .get(n - 1)
                        .is_some_and(|f| f.iter().all(u8::is_ascii_whitespace))
                {
                    extra -= 1;
                }
                if !extra.is_multiple_of(w) {
                    return Err(IngestError::Row {
                        loc: c.loc(line),
                        detail: format!(
                            "{} fields after the {} general columns, not a multiple of the \
                             {w}-field candidate block: a field is missing (row cut short, \
                             truncated file) or a ';' inside a name split one",
                            extra, self.first_block
                        ),
                    });
                }
                extra / w
            }
        };
        let dep = self.ascii(rec, self.dep, line, c)?;
        let commune_raw = self.ascii(rec, self.commune, line, c)?;
        let label_raw = self
            .commune_label
            .and_then(|i| rec.get(i))
            .unwrap_or_default();
        let hit = self.last_place.as_ref().is_some_and(|p| {
            p.dep == dep.as_bytes()
                && p.commune == commune_raw.as_bytes()
                && p.label_raw == label_raw
        });
        if !hit {
            let label = match self.commune_label {
                Some(i) => {
                    let field = self.name(i);
                    c.decoder
                        .decode(
                            label_raw,
                            || crate::error::Location::line(&c.source, line).with_field(field),
                            &mut c.report.warnings,
                        )?
                        .trim()
                        .to_string()
                }
                None => String::new(),
            };
            // 2024 files give the full INSEE code; older ones the number within the department.
            let place = if commune_raw.len() >= 4 {
                let up = commune_raw.to_ascii_uppercase();
                if up.starts_with('Z') && up.len() >= 3 {
                    ministry_commune(&up[..2], &up[2..], &label)
                } else {
                    CommuneCode::parse(&up)
                        .map(Place::Commune)
                        .map_err(|e| crate::codes::Unmapped(e.to_string()))
                }
            } else {
                ministry_commune(dep, commune_raw, &label)
            };
            self.last_place = Some(PlaceCache {
                dep: dep.as_bytes().to_vec(),
                commune: commune_raw.as_bytes().to_vec(),
                label_raw: label_raw.to_vec(),
                label,
                place,
            });
        }
        let (label, place) = match &self.last_place {
            Some(p) => (p.label.clone(), p.place.clone()),
            None => (
                String::new(),
                Err(crate::codes::Unmapped("no place".into())),
            ),
        };
        let commune = match place {
            Ok(Place::Commune(code)) => code,
            Ok(Place::Abroad) => {
                c.report.skipped_abroad += 1;
                if !self.abroad_warned {
                    self.abroad_warned = true;
                    c.warn(
                        WarningKind::Skipped,
                        line,
                        None,
                        "rows of French people abroad (ZZ) have no commune: skipped (counted in \
                         skipped_abroad)"
                            .into(),
                    );
                }
                return Ok(None);
            }
            Err(e) => {
                c.report.skipped_unmapped += 1;
                c.warn(
                    WarningKind::Skipped,
                    line,
                    None,
                    format!(
                        "department {dep:?} commune {commune_raw:?}: {}; row skipped",
                        e.0
                    ),
                );
                return Ok(None);
            }
        };
        let area = match self.bureau {
            Some(i) => {
                let code = self.ascii(rec, i, line, c)?;
                // BureauId::new pads the code (`1` → `0001`).
                let id = BureauId::new(&commune, code).map_err(|e| {
                    IngestError::field(c.loc(line).with_field(self.name(i)), code, e.to_string())
                })?;
                ResultArea::Bureau(id)
            }
            None => ResultArea::Commune(commune),
        };
        let arrondissement = match &area {
            ResultArea::Bureau(b) => b.plm_arrondissement(),
            ResultArea::Commune(_) => None,
        };
        let circonscription = match self.circ {
            Some(i) => {
                let s = self.ascii(rec, i, line, c)?;
                match &self.last_circ {
                    Some((raw, v)) if raw.as_bytes() == s.as_bytes() => v.clone(),
                    _ => {
                        let v = (!s.is_empty()).then(|| zfill(s, 2));
                        self.last_circ = Some((s.to_string(), v.clone()));
                        v
                    }
                }
            }
            None => None,
        };
        let [ins, abs, vot, bla, nul, exp] = self.counts;
        let totals = Totals {
            inscrits: self.count(rec, ins, line, c)?,
            abstentions: self.count(rec, abs, line, c)?,
            votants: self.count(rec, vot, line, c)?,
            blancs: self.count(rec, bla, line, c)?,
            nuls: self.count(rec, nul, line, c)?,
            exprimes: self.count(rec, exp, line, c)?,
        };
        let mut candidates = Vec::with_capacity(blocks);
        for b in 0..blocks {
            let start = self.first_block + b * w;
            if (start..start + w).all(|i| {
                rec.get(i)
                    .is_none_or(|f| f.iter().all(u8::is_ascii_whitespace))
            }) {
                continue; // an empty block of a fixed-width layout
            }
            candidates.push(self.block_cached(b, rec, start, line, c)?);
        }
        Ok(Some(BureauResult {
            election: c.election()?,
            area,
            arrondissement,
            commune_name: label,
            circonscription,
            totals,
            candidates,
        }))
    }

    /// A candidate block, from the slot cache when its identity fields did not change.
    fn block_cached(
        &mut self,
        b: usize,
        rec: &crate::record::Record,
        start: usize,
        line: u64,
        c: &mut Common,
    ) -> Result<CandidateResult, IngestError> {
        let same = self.slots.get(b).is_some_and(|slot| {
            self.identity
                .iter()
                .zip(&slot.raw)
                .all(|(k, raw)| raw.as_slice() == rec.get(start + k).unwrap_or_default())
        });
        if !same {
            let template = self.block(rec, start, line, c)?;
            let raw = self
                .identity
                .iter()
                .map(|k| rec.get(start + k).unwrap_or_default().to_vec())
                .collect();
            let slot = Slot {
                raw,
                template: template.clone(),
            };
            if b < self.slots.len() {
                self.slots[b] = slot;
            } else {
                self.slots.push(slot);
            }
            return Ok(template);
        }
        let mut cand = self.slots[b].template.clone();
        // Only the per-row fields are read again.
        for (k, role) in &self.per_row {
            let raw = rec.get(start + k).unwrap_or_default();
            match role {
                Field::Votes => {
                    cand.votes = match parse_count(raw) {
                        Ok(Some(v)) => v,
                        _ => return self.block(rec, start, line, c), // the full path names the error
                    }
                }
                Field::Seats => {
                    cand.seats = parse_count(raw)
                        .ok()
                        .flatten()
                        .and_then(|v| u32::try_from(v).ok())
                }
                Field::Elected => {
                    cand.elected = match fold(&String::from_utf8_lossy(raw)).as_str() {
                        "" => None,
                        "oui" | "elu" | "elue" | "true" | "1" | "vrai" => Some(true),
                        _ => Some(false),
                    }
                }
                _ => {}
            }
        }
        Ok(cand)
    }

    fn block(
        &self,
        rec: &crate::record::Record,
        start: usize,
        line: u64,
        c: &mut Common,
    ) -> Result<CandidateResult, IngestError> {
        let mut cand = CandidateResult {
            panel: None,
            sex: None,
            last_name: "".into(),
            first_name: "".into(),
            nuance: None,
            list_label: None,
            list_short_label: None,
            votes: 0,
            elected: None,
            seats: None,
        };
        for (k, role) in self.fields.iter().enumerate() {
            let i = start + k;
            let raw = rec.get(i).unwrap_or_default();
            let field_name = || {
                // Number the field as the header would (`Voix 3`).
                let base = self
                    .names
                    .get(self.first_block + k)
                    .cloned()
                    .unwrap_or_default();
                let nth = (i - self.first_block) / self.block_width + 1;
                if self.numbered_blocks.is_some() {
                    base
                } else {
                    format!("{base} (candidate {nth})")
                }
            };
            let text = |c: &mut Common| -> Result<String, IngestError> {
                let source = c.source.clone();
                Ok(c.decoder
                    .decode(
                        raw,
                        || crate::error::Location::line(&source, line).with_field(field_name()),
                        &mut c.report.warnings,
                    )?
                    .trim()
                    .to_string())
            };
            match role {
                Field::Ignored => {}
                Field::Votes => {
                    cand.votes = match parse_count(raw) {
                        Ok(Some(v)) => v,
                        _ => {
                            return Err(IngestError::field(
                                c.loc(line).with_field(field_name()),
                                &String::from_utf8_lossy(raw),
                                "a whole number of votes (a ';' inside a name shifts the fields)",
                            ));
                        }
                    }
                }
                Field::Panel => {
                    cand.panel = match parse_count(raw) {
                        Ok(v) => v.and_then(|v| u32::try_from(v).ok()),
                        Err(()) => {
                            return Err(IngestError::field(
                                c.loc(line).with_field(field_name()),
                                &String::from_utf8_lossy(raw),
                                "a panel number",
                            ));
                        }
                    }
                }
                Field::Seats => {
                    cand.seats = parse_count(raw)
                        .ok()
                        .flatten()
                        .and_then(|v| u32::try_from(v).ok())
                }
                Field::Sex => {
                    let s = text(c)?;
                    if !s.is_empty() {
                        cand.sex = Some(Sex::parse(&s).map_err(|e| {
                            IngestError::field(
                                c.loc(line).with_field(field_name()),
                                &s,
                                e.to_string(),
                            )
                        })?);
                    }
                }
                Field::LastName => cand.last_name = text(c)?.into(),
                Field::FirstName => cand.first_name = text(c)?.into(),
                Field::Nuance => {
                    let s = text(c)?;
                    if !s.is_empty() {
                        cand.nuance = Some(Nuance::parse(&s).map_err(|e| {
                            IngestError::field(
                                c.loc(line).with_field(field_name()),
                                &s,
                                e.to_string(),
                            )
                        })?);
                    }
                }
                Field::ListShort => {
                    cand.list_short_label = Some(text(c)?).filter(|s| !s.is_empty()).map(Into::into)
                }
                Field::ListLabel => {
                    cand.list_label = Some(text(c)?).filter(|s| !s.is_empty()).map(Into::into)
                }
                Field::Elected => {
                    let s = fold(&text(c)?);
                    cand.elected = match s.as_str() {
                        "" => None,
                        "oui" | "elu" | "elue" | "true" | "1" | "vrai" => Some(true),
                        _ => Some(false),
                    }
                }
            }
        }
        Ok(cand)
    }
}
