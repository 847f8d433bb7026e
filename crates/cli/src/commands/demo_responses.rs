//! The demo's diagnostic material: synthetic respondents to the published Grande Marche
//! questionnaire, uploaded through the field sync as the demo's accounts would (the walker of
//! the 18th there, the coordinator of the 19th there, the director elsewhere), so that the
//! diagnostic has something to analyse.
//!
//! * Where: the 60 bureaux of the demo's accepted survey plan (issue 8), 30 respondents each
//!   (1,800), at addresses of the bureau — so the weighting knows every respondent's design
//!   weight.
//! * Who: profiles drawn with a deliberate bias against the census, as door-to-door samples
//!   have — 62 % women (Paris adults, 2015 census: about 53 %), 34 % aged 65 and over (about
//!   20 %) and fewer under-35s — so that weighting has something to correct.
//! * What: the open answers are real sentences from the *cahiers citoyens* of
//!   Charente-Maritime (Grand Débat, 2019; `data/grand-debat/PROVENANCE.md`), resampled word for
//!   word, never rewritten. Each sentence is routed by its words to the questions it can
//!   answer (difficulties of daily life, what does not work, fears, the demand to politicians);
//!   the other open questions stay unanswered.
//!
//! * How: the first [`PAPER_SHEETS`] respondents of the 19th were collected on paper — the
//!   paper fallback — and keyed in by the coordinator of the 19th, so that the keying screen
//!   (*Saisie papier*) has sheets to show; they are responses like the others.
//!
//! Everything is drawn from one seeded generator: the demo is the same at every start.

use anyhow::Context;
use std::collections::BTreeMap;
use terrain_model::{Answer, CampaignId, TerritoryKind, UserId};
use terrain_store::{
    Audit, FieldRecord, NewPaperResponse, NewResponse, PaperKeyed, RecordBody, Scope, Store,
    SyncBatch,
};
use time::OffsetDateTime;
use uuid::Uuid;

/// The real sentences (see `data/grand-debat/PROVENANCE.md`).
const PHRASES: &str = include_str!("../../../../data/grand-debat/phrases-cahiers-17.tsv");

/// Respondents per bureau.
const PER_BUREAU: usize = 30;

/// Respondents of the 19th collected on paper and keyed in by its coordinator.
const PAPER_SHEETS: usize = 40;

/// A small, seeded generator (SplitMix64): reproducible without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: usize) -> usize {
        (self.unit() * n as f64) as usize % n.max(1)
    }

    /// One of `items` by their weights.
    fn pick<'a>(&mut self, items: &[(&'a str, f64)]) -> &'a str {
        let total: f64 = items.iter().map(|(_, w)| w).sum();
        let mut x = self.unit() * total;
        for (v, w) in items {
            if x < *w {
                return v;
            }
            x -= w;
        }
        items[items.len() - 1].0
    }
}

/// Sex: 62 % women (census: about 53 %).
const SEX: [(&str, f64); 3] = [("f", 0.62), ("m", 0.36), ("nsp", 0.02)];
/// Age: the over-65s over-represented, the under-35s under-represented.
const AGE: [(&str, f64); 6] = [
    ("18-24", 0.05),
    ("25-34", 0.10),
    ("35-49", 0.20),
    ("50-64", 0.29),
    ("65+", 0.34),
    ("nsp", 0.02),
];
/// Occupation (PCS 2020 groups): retired people follow from the age.
const WORK: [(&str, f64); 6] = [
    ("2", 0.05),
    ("3", 0.28),
    ("4", 0.25),
    ("5", 0.25),
    ("6", 0.07),
    ("8", 0.10),
];

/// The open questions answered, with the share of respondents who answer each and the words
/// that route a sentence to it (any sentence may go to the demand to politicians).
const ROUTES: [(&str, f64, &[&str]); 4] = [
    (
        "vie_quotidienne",
        0.55,
        &[
            "retraite",
            "salaire",
            "pouvoir d",
            "loyer",
            "transport",
            "carburant",
            "essence",
            "médecin",
            "santé",
            "fin de mois",
            "vivre",
            "emploi",
            "travail",
            "taxe",
            "impôt",
        ],
    ),
    (
        "ce_qui_ne_marche_pas",
        0.7,
        &[
            "trop",
            "ne ",
            "n'",
            "n’",
            "scandal",
            "injust",
            "privilège",
            "abus",
            "fraude",
            "élus",
            "gaspill",
        ],
    ),
    (
        "craintes",
        0.45,
        &[
            "avenir",
            "enfants",
            "peur",
            "inquiét",
            "planète",
            "climat",
            "écolog",
            "sécurité",
            "europe",
            "désert",
        ],
    ),
    ("demande_politique", 0.8, &[]),
];

/// What the demo's respondents made.
#[derive(Debug)]
pub struct DemoResponses {
    pub bureaux: usize,
    pub responses: usize,
    /// Of which keyed in from paper.
    pub paper: usize,
}

/// The sentences routed to each question.
fn routed() -> BTreeMap<&'static str, Vec<&'static str>> {
    let sentences: Vec<&str> = PHRASES
        .lines()
        .skip(1)
        .filter_map(|l| l.splitn(3, '\t').nth(2))
        .filter(|s| !s.trim().is_empty())
        .collect();
    ROUTES
        .iter()
        .map(|(q, _, words)| {
            let fits: Vec<&str> = sentences
                .iter()
                .copied()
                .filter(|s| {
                    let low = s.to_lowercase();
                    words.is_empty() || words.iter().any(|w| low.contains(w))
                })
                .collect();
            (*q, fits)
        })
        .collect()
}

/// Uploads the synthetic respondents of the published questionnaire `version`, in the
/// bureaux of the accepted survey plan (`plan_bureaux`): that is where a survey's interviews
/// are made, and where the weighting knows each bureau's inclusion probability.
pub async fn seed(
    store: &dyn Store,
    campaign: CampaignId,
    version: Uuid,
    plan_bureaux: &[terrain_model::TerritoryId],
    walker18: UserId,
    coord19: UserId,
    director: UserId,
) -> anyhow::Result<DemoResponses> {
    let began = std::time::Instant::now();
    let mut rng = Rng(2027);
    let pool = routed();
    let start = OffsetDateTime::now_utc() - time::Duration::days(20);
    let mut total = 0;
    let mut bureaux = 0;
    // Who uploads: the walker in the 18th, the coordinator in the 19th, the director elsewhere.
    let a18 = store
        .territory_by_code(campaign, TerritoryKind::Arrondissement, "75118")
        .await?;
    let a19 = store
        .territory_by_code(campaign, TerritoryKind::Arrondissement, "75119")
        .await?;
    let mut per_user: BTreeMap<Uuid, (UserId, Scope, Vec<FieldRecord>)> = BTreeMap::new();
    let mut paper: Vec<NewPaperResponse> = Vec::new();
    for id in plan_bureaux {
        let bureau = store.territory(campaign, *id).await?;
        let (user, scope) = if bureau.path.as_str().starts_with(a18.path.as_str()) {
            (walker18, Scope::Within(vec![a18.path.clone()]))
        } else if bureau.path.as_str().starts_with(a19.path.as_str()) {
            (coord19, Scope::Within(vec![a19.path.clone()]))
        } else {
            (director, Scope::Campaign)
        };
        let stops: Vec<(terrain_model::AddressId, Option<String>)> = store
            .addresses_within(campaign, &bureau.path, 10_000, 0)
            .await?
            .into_iter()
            .map(|a| (a.id, a.fields.postcode.clone()))
            .collect();
        if stops.is_empty() {
            continue;
        }
        bureaux += 1;
        let records = &mut per_user
            .entry(user.0)
            .or_insert_with(|| (user, scope, Vec::new()))
            .2;
        {
            for _ in 0..PER_BUREAU {
                let (address, postcode) = &stops[rng.below(stops.len())];
                let mut answers = BTreeMap::new();
                answers.insert("consentement".to_string(), Answer::Flag(true));
                let age = rng.pick(&AGE);
                answers.insert("sexe".into(), Answer::Text(rng.pick(&SEX).into()));
                answers.insert("age".into(), Answer::Text(age.into()));
                // Retired people are mostly over 65, some 50–64 (so that weighting on age and
                // occupation can reach both margins).
                let retired = match age {
                    "65+" => 0.85,
                    "50-64" => 0.25,
                    _ => 0.0,
                };
                let work = if rng.unit() < retired {
                    "7"
                } else {
                    rng.pick(&WORK)
                };
                answers.insert("profession".into(), Answer::Text(work.into()));
                if let Some(pc) = postcode {
                    answers.insert("code_postal".into(), Answer::Text(pc.clone()));
                }
                for (q, share, _) in ROUTES {
                    let fits = &pool[q];
                    if !fits.is_empty() && rng.unit() < share {
                        let s = fits[rng.below(fits.len())];
                        answers.insert(q.to_string(), Answer::Text(s.to_string()));
                    }
                }
                let at = start + time::Duration::minutes(rng.below(20 * 24 * 60) as i64);
                if user == coord19 && paper.len() < PAPER_SHEETS {
                    paper.push(NewPaperResponse {
                        client_id: Uuid::from_u64_pair(0x9a9e, paper.len() as u64),
                        version_id: version,
                        bureau_id: bureau.id,
                        collected_on: at.date(),
                        sheet_ref: format!(
                            "{}-{:03}",
                            &bureau.code[bureau.code.len().saturating_sub(4)..],
                            paper.len() + 1
                        ),
                        answers,
                    });
                    continue;
                }
                records.push(FieldRecord {
                    id: Uuid::now_v7(),
                    at,
                    body: RecordBody::Response(NewResponse {
                        version_id: version,
                        address_id: *address,
                        answers,
                        contact: None,
                    }),
                });
            }
        }
    }
    for (_, (user, scope, records)) in per_user {
        // One phone per person.
        let device = Uuid::from_u64_pair(user.0.as_u64_pair().0, 0xde70);
        for chunk in records.chunks(terrain_store::MAX_BATCH) {
            let acks = store
                .apply_sync(
                    &Audit::api(user),
                    campaign,
                    user,
                    &scope,
                    &SyncBatch {
                        device_id: device,
                        records: chunk.to_vec(),
                    },
                )
                .await
                .context("uploading the demo responses")?;
            if let Some(bad) = acks
                .iter()
                .find(|a| !matches!(a.ack, terrain_store::Ack::Stored))
            {
                anyhow::bail!("a demo response was not stored: {bad:?}");
            }
            total += chunk.len();
        }
    }
    let scope19 = Scope::Within(vec![a19.path.clone()]);
    for sheet in &paper {
        match store
            .key_in_paper(&Audit::api(coord19), campaign, coord19, &scope19, sheet)
            .await
            .context("keying in the demo's paper sheets")?
        {
            PaperKeyed::Stored(_) => total += 1,
            other => anyhow::bail!("a demo paper sheet was not stored: {other:?}"),
        }
    }
    tracing::info!(
        responses = total,
        paper = paper.len(),
        bureaux,
        ms = began.elapsed().as_millis() as u64,
        "demo responses seeded"
    );
    Ok(DemoResponses {
        bureaux,
        responses: total,
        paper: paper.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_question_gets_real_sentences_and_the_generator_is_seeded() {
        let pool = routed();
        for (q, _, _) in ROUTES {
            assert!(pool[q].len() >= 50, "{q}: {}", pool[q].len());
            // Sentences are taken whole from the file.
            assert!(pool[q].iter().all(|s| PHRASES.contains(s)));
        }
        let (mut a, mut b) = (Rng(7), Rng(7));
        assert!((0..100).all(|_| a.next() == b.next()));
        let mut r = Rng(1);
        let women = (0..10_000).filter(|_| r.pick(&SEX) == "f").count();
        assert!((5_900..6_500).contains(&women), "{women}");
    }
}
