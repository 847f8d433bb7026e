//! The demo's turfs: the top-priority bureaux of the 18th arrondissement (LMP's potential on
//! the 2017 presidential first round, left bloc) cut into turfs of 80 doors at start, one
//! handed to the demo walker and one to a team, so that the turfs page has something to show.

use anyhow::Context;
use terrain_model::{Campaign, Territory, TerritoryKind, UserId};
use terrain_server::api::turf_plan::{CutOptions, cut_bureaux};
use terrain_store::{Audit, NewCheckout, Scope, Store, TerritoryQuery, TurfQuery};
use time::OffsetDateTime;

/// How many bureaux of the 18th the demo cuts.
pub const DEMO_BUREAUX: usize = 12;

/// What the demo cut.
#[derive(Debug, Default)]
pub struct DemoTurfs {
    pub bureaux: usize,
    pub turfs: usize,
    pub doors: u64,
}

/// The bureaux of `within` by potential (abstentions / inscrits × left votes / exprimés), best
/// first.
async fn by_potential(
    store: &dyn Store,
    campaign: &Campaign,
    within: &Territory,
) -> anyhow::Result<Vec<Territory>> {
    let elections = store.elections(campaign.id).await?;
    let Some(election) = elections
        .iter()
        .find(|e| e.code == "2017_pres_t1")
        .or_else(|| elections.iter().find(|e| e.bureaux > 0))
    else {
        return Ok(Vec::new());
    };
    let results = store
        .bureau_results(
            campaign.id,
            election.id,
            &Scope::Within(vec![within.path.clone()]),
        )
        .await?;
    let mut scored: Vec<(f64, terrain_model::TerritoryId)> = results
        .iter()
        .filter(|r| r.counts.inscrits > 0 && r.counts.exprimes > 0)
        .map(|r| {
            let left: u64 = r
                .candidates
                .iter()
                .filter(|c| c.bloc.as_deref() == Some("left"))
                .map(|c| c.votes)
                .sum();
            let po = r.counts.abstentions as f64 / r.counts.inscrits as f64 * left as f64
                / r.counts.exprimes as f64;
            (po, r.territory_id)
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let bureaux = store
        .territories(
            campaign.id,
            &TerritoryQuery {
                kind: Some(TerritoryKind::Bureau),
                within: Some(vec![within.path.clone()]),
                limit: 10_000,
                ..Default::default()
            },
        )
        .await?;
    Ok(scored
        .into_iter()
        .filter_map(|(_, id)| bureaux.iter().find(|b| b.id == id).cloned())
        .collect())
}

/// Cuts the demo's turfs and hands two of them out.
pub async fn seed_turfs(
    store: &dyn Store,
    audit: &Audit,
    campaign: &Campaign,
    walker: Option<UserId>,
    coordinator: Option<UserId>,
) -> anyhow::Result<DemoTurfs> {
    let a18 = store
        .territory_by_code(campaign.id, TerritoryKind::Arrondissement, "75118")
        .await?;
    let top: Vec<Territory> = by_potential(store, campaign, &a18)
        .await?
        .into_iter()
        .take(DEMO_BUREAUX)
        .collect();
    let now = OffsetDateTime::now_utc();
    let cuts = cut_bureaux(store, audit, campaign.id, &top, &CutOptions::default(), now)
        .await
        .context("cutting the demo turfs")?;
    let done: Vec<_> = cuts.iter().filter(|c| c.version.is_some()).collect();
    let report = DemoTurfs {
        bureaux: done.len(),
        turfs: done.iter().map(|c| c.turfs).sum(),
        doors: done.iter().map(|c| c.doors).sum(),
    };
    // The best bureau's first turf to the demo walker, its second to a team, for the evening.
    if let Some(best) = top.first() {
        let turfs = store
            .turfs(
                campaign.id,
                &TurfQuery {
                    bureau: Some(best.id),
                    ..TurfQuery::within(Scope::Campaign)
                },
            )
            .await?;
        let handouts = [(walker, None), (None, Some("Binôme Ordener".to_string()))];
        for (t, (to_user, team)) in turfs.iter().zip(handouts) {
            if to_user.is_none() && team.is_none() {
                continue;
            }
            store
                .check_out_turf(
                    audit,
                    campaign.id,
                    t.id,
                    &NewCheckout {
                        to_user,
                        team,
                        session_id: None,
                        by: coordinator,
                        expires_at: now + time::Duration::hours(6),
                    },
                    now,
                )
                .await?;
        }
    }
    Ok(report)
}
