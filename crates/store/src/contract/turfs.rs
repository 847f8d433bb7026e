//! The contract of [`crate::TurfStore`]: plans saved whole or not at all, stale and locked
//! changes refused, hand-outs made once, visited stops kept, street networks stored.

use super::{address, find, seeded, user};
use crate::turfs::*;
use crate::types::*;
use crate::{StorageError, Store};
use std::sync::Arc;
use terrain_model::{AddressId, CampaignId, Role, TerritoryId, TurfId};
use time::{Duration, OffsetDateTime};

/// Campaign, bureau 18-01 and 18-02, `n` addresses of 18-01 (doors 1, 2, 3…) and two of 18-02.
async fn with_addresses(
    store: &dyn Store,
    slug: &str,
    n: usize,
) -> (
    CampaignId,
    TerritoryId,
    TerritoryId,
    Vec<AddressId>,
    AddressId,
) {
    let (c, ts) = seeded(store, slug).await;
    let b1 = find(&ts, "75056_1801").id;
    let b2 = find(&ts, "75056_1802").id;
    let items: Vec<_> = (0..n)
        .map(|i| {
            let mut a = address("75118", &(i + 1).to_string(), "Rue Ordener", Some(b1));
            a.lon += i as f64 * 0.0003;
            a.doors_estimated = i as u32 + 1;
            a
        })
        .chain((0..2).map(|i| address("75118", &(100 + i).to_string(), "Rue Marcadet", Some(b2))))
        .collect();
    let ids = store.add_addresses(&Audit::cli(), c, &items).await.unwrap();
    (c, b1, b2, ids[..n].to_vec(), ids[n])
}

fn write(id: TurfId, number: u32, stops: &[AddressId]) -> TurfWrite {
    TurfWrite {
        id,
        expected: None,
        number,
        stops: stops.iter().map(|a| (*a, 2)).collect(),
        length_m: 120.0 * stops.len() as f64,
        minutes: 10.0,
        on_network: false,
        polsby_popper: Some(0.8),
        hull: Some(r#"{"type":"Polygon","coordinates":[[[2.34,48.89],[2.35,48.89],[2.35,48.9],[2.34,48.89]]]}"#.into()),
    }
}

fn change(bureau: TerritoryId, base: u32, kind: PlanKind, write: Vec<TurfWrite>) -> PlanChange {
    PlanChange {
        bureau_id: bureau,
        base_version: base,
        kind,
        params: serde_json::json!({"target_doors": 4}),
        quality: serde_json::json!({"turfs": write.len()}),
        summary: serde_json::json!({}),
        write,
        empty: vec![],
    }
}

fn expect(t: &Turf) -> Option<(u32, u32)> {
    Some((t.revision, t.lock_version))
}

/// The first cut of bureau 18-01: turf 1 = stops 0..3 reversed, turf 2 = stops 3..n.
async fn first_cut(
    store: &dyn Store,
    c: CampaignId,
    b1: TerritoryId,
    stops: &[AddressId],
) -> (Turf, Turf) {
    let (t1, t2) = (TurfId::new(), TurfId::new());
    let first: Vec<AddressId> = stops[..3].iter().rev().copied().collect();
    let v = store
        .save_turf_plan(
            &Audit::cli(),
            c,
            &change(
                b1,
                0,
                PlanKind::Cut,
                vec![write(t1, 1, &first), write(t2, 2, &stops[3..])],
            ),
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    assert_eq!(v.version, 1);
    (
        store.turf(c, t1).await.unwrap(),
        store.turf(c, t2).await.unwrap(),
    )
}

pub async fn turfs_are_cut_stored_and_read_back(store: Arc<dyn Store>) {
    let store = &*store;
    let (c, b1, b2, stops, other) = with_addresses(store, "turfs-cut", 6).await;
    // Candidates: the bureau's addresses with their doors (their building's).
    let cands = store.stop_candidates(c, &[b1]).await.unwrap();
    assert_eq!(cands.len(), 6);
    assert!(cands.iter().all(|s| s.bureau_id == b1));
    let doors: u32 = cands.iter().map(|s| s.doors).sum();
    assert_eq!(doors, 1 + 2 + 3 + 4 + 5 + 6);
    assert_eq!(store.stop_candidates(c, &[b1, b2]).await.unwrap().len(), 8);
    let empty = store.bureau_turfs(c, b1).await.unwrap();
    assert_eq!(
        (empty.version, empty.turfs.len(), empty.next_number),
        (0, 0, 1)
    );

    let (t1, t2) = first_cut(store, c, b1, &stops).await;
    assert_eq!((t1.number, t1.stops, t1.doors), (1, 3, 6));
    assert_eq!(t1.status, TurfStatus::Planned);
    assert_eq!((t1.revision, t1.lock_version), (1, 1));
    assert_eq!(t1.bureau_code, "75056_1801");
    assert!(t1.checkout.is_none());
    let plan = store.bureau_turfs(c, b1).await.unwrap();
    assert_eq!(plan.version, 1);
    assert_eq!((plan.turfs.len(), plan.next_number), (2, 3));
    assert_eq!(plan.stops.len(), 6);
    // Stops in walking order, with their addresses, buildings and named doors.
    let building = store.buildings(c, stops[2]).await.unwrap()[0].clone();
    store
        .add_unit(&Audit::cli(), c, building.id, Some(2), "Porte gauche")
        .await
        .unwrap();
    let walk = store.turf_stops(c, t1.id).await.unwrap();
    let order: Vec<AddressId> = walk.iter().map(|s| s.address.id).collect();
    assert_eq!(order, vec![stops[2], stops[1], stops[0]]);
    assert_eq!(walk[0].position, 1);
    assert_eq!(walk[0].buildings.len(), 1);
    assert_eq!(walk[0].buildings[0].units[0].label, "Porte gauche");
    assert!(walk.iter().all(|s| s.visited_at.is_none()));
    // Listing, scoped: the 18th sees them, the 19th does not.
    let a18 = store
        .territory_by_code(c, terrain_model::TerritoryKind::Arrondissement, "75118")
        .await
        .unwrap();
    let a19 = store
        .territory_by_code(c, terrain_model::TerritoryKind::Arrondissement, "75119")
        .await
        .unwrap();
    let in18 = store
        .turfs(c, &TurfQuery::within(Scope::Within(vec![a18.path.clone()])))
        .await
        .unwrap();
    assert_eq!(
        in18.iter().map(|t| t.number).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert!(
        store
            .turfs(c, &TurfQuery::within(Scope::Within(vec![a19.path.clone()])))
            .await
            .unwrap()
            .is_empty()
    );
    let points = store
        .stop_points(c, &TurfQuery::within(Scope::Campaign))
        .await
        .unwrap();
    assert_eq!(points.len(), 6);
    assert_eq!(points[0].label, "3 Rue Ordener");
    assert_eq!((points[0].turf_id, points[0].position), (t1.id, 1));
    // Versions and the current one per bureau.
    let plans = store.turf_plans(c, b1).await.unwrap();
    assert_eq!(plans.len(), 1);
    assert_eq!(plans[0].kind, PlanKind::Cut);
    assert_eq!(plans[0].params["target_doors"], 4);
    let current = store.current_turf_plans(c, &Scope::Campaign).await.unwrap();
    assert_eq!(current.len(), 1);
    // A move: stop 3 goes from turf 2 to turf 1; both written, version 2.
    let mut w1 = write(t1.id, 1, &[stops[2], stops[1], stops[0], stops[3]]);
    w1.expected = expect(&t1);
    let mut w2 = write(t2.id, 2, &stops[4..]);
    w2.expected = expect(&t2);
    store
        .save_turf_plan(
            &Audit::cli(),
            c,
            &change(b1, 1, PlanKind::Move, vec![w1, w2]),
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    let t1b = store.turf(c, t1.id).await.unwrap();
    assert_eq!((t1b.stops, t1b.revision), (4, 2));
    assert_eq!(store.turf(c, t2.id).await.unwrap().stops, 2);
    let plan = store.bureau_turfs(c, b1).await.unwrap();
    assert_eq!(plan.version, 2);
    assert_eq!(plan.stops.len(), 6, "no stop lost or doubled");
    assert_eq!(
        store.current_turf_plans(c, &Scope::Campaign).await.unwrap()[0].version,
        2
    );
    // The other campaign sees none of it; an unknown turf is not found.
    let (other_c, _) = seeded(store, "turfs-cut-other").await;
    assert!(
        store
            .turfs(other_c, &TurfQuery::within(Scope::Campaign))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        store.turf(other_c, t1.id).await.unwrap_err(),
        StorageError::NotFound { what: "turf", .. }
    ));
    let _ = other;
}

pub async fn stale_and_locked_turf_changes_are_refused(store: Arc<dyn Store>) {
    let store = &*store;
    let (c, b1, b2, stops, other) = with_addresses(store, "turfs-stale", 6).await;
    let now = OffsetDateTime::now_utc();
    let (t1, t2) = first_cut(store, c, b1, &stops).await;
    let before = store.bureau_turfs(c, b1).await.unwrap();
    // A second first cut, made from version 0, finds version 1 taken.
    let stale = store
        .save_turf_plan(
            &Audit::cli(),
            c,
            &change(
                b1,
                0,
                PlanKind::Cut,
                vec![write(TurfId::new(), 3, &stops[..1])],
            ),
            now,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            stale,
            StorageError::Conflict {
                what: "turf plan",
                ..
            }
        ),
        "{stale}"
    );
    // A revision that moved.
    let mut w = write(t1.id, 1, &stops[..3]);
    w.expected = Some((t1.revision + 1, t1.lock_version));
    let moved = store
        .save_turf_plan(
            &Audit::cli(),
            c,
            &change(b1, 1, PlanKind::Move, vec![w]),
            now,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(moved, StorageError::Conflict { what: "turf", .. }),
        "{moved}"
    );
    // A stop leaving a turf the change does not write.
    let mut w1 = write(t1.id, 1, &[stops[0], stops[1], stops[2], stops[5]]);
    w1.expected = expect(&t1);
    let leaving = store
        .save_turf_plan(
            &Audit::cli(),
            c,
            &change(b1, 1, PlanKind::Move, vec![w1]),
            now,
        )
        .await
        .unwrap_err();
    assert!(matches!(leaving, StorageError::Invalid { .. }), "{leaving}");
    // An address of another bureau.
    let mut w1 = write(t1.id, 1, &[stops[0], stops[1], stops[2], other]);
    w1.expected = expect(&t1);
    let foreign = store
        .save_turf_plan(
            &Audit::cli(),
            c,
            &change(b1, 1, PlanKind::Move, vec![w1]),
            now,
        )
        .await
        .unwrap_err();
    assert!(matches!(foreign, StorageError::Invalid { .. }), "{foreign}");
    assert!(
        foreign.to_string().contains("not in Bureau 18-01"),
        "{foreign}"
    );
    // A bureau that is no bureau.
    let a18 = store
        .territory_by_code(c, terrain_model::TerritoryKind::Arrondissement, "75118")
        .await
        .unwrap();
    let not_bureau = store
        .save_turf_plan(
            &Audit::cli(),
            c,
            &change(
                a18.id,
                0,
                PlanKind::Cut,
                vec![write(TurfId::new(), 1, &stops[..1])],
            ),
            now,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(not_bureau, StorageError::Invalid { .. }),
        "{not_bureau}"
    );
    // Turf 2 handed out: an edit of it is refused, until the hand-out lapses.
    let walker = user(store, None, "Nadia").await;
    store
        .add_member(
            &Audit::cli(),
            c,
            &NewMember {
                user_id: walker.id,
                role: Role::Walker,
                territories: vec![b1],
                recruited_by: None,
                trained_by: None,
            },
        )
        .await
        .unwrap();
    let out = store
        .check_out_turf(
            &Audit::cli(),
            c,
            t2.id,
            &NewCheckout {
                to_user: Some(walker.id),
                team: None,
                session_id: None,
                by: None,
                expires_at: now + Duration::hours(3),
            },
            now,
        )
        .await
        .unwrap();
    let mut w1 = write(t1.id, 1, &[stops[0], stops[1], stops[2], stops[3]]);
    w1.expected = expect(&t1);
    let mut w2 = write(t2.id, 2, &stops[4..]);
    w2.expected = expect(&out);
    let locked = store
        .save_turf_plan(
            &Audit::cli(),
            c,
            &change(b1, 1, PlanKind::Move, vec![w1.clone(), w2.clone()]),
            now,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            locked,
            StorageError::Conflict {
                what: "turf lock",
                ..
            }
        ),
        "{locked}"
    );
    assert!(locked.to_string().contains("checked_out"), "{locked}");
    // Nothing of the refused changes was stored.
    assert_eq!(
        store.bureau_turfs(c, b1).await.unwrap(),
        before_with(&before, &out)
    );
    assert_eq!(store.turf_plans(c, b1).await.unwrap().len(), 1);
    // Four hours later the hand-out has lapsed: the edit goes through and frees the turf.
    let later = now + Duration::hours(4);
    store
        .save_turf_plan(
            &Audit::cli(),
            c,
            &change(b1, 1, PlanKind::Move, vec![w1, w2]),
            later,
        )
        .await
        .unwrap();
    let t2b = store.turf(c, t2.id).await.unwrap();
    assert_eq!((t2b.status, t2b.stops), (TurfStatus::Planned, 2));
    assert!(t2b.checkout.is_none());
    let _ = b2;
}

/// The plan `before` with turf `out` as it is now (handed out: only its hand-out changed).
fn before_with(before: &BureauTurfs, out: &Turf) -> BureauTurfs {
    let mut b = before.clone();
    for t in &mut b.turfs {
        if t.id == out.id {
            *t = out.clone();
        }
    }
    b
}

pub async fn turfs_are_handed_out_once(store: Arc<dyn Store>) {
    let store = Arc::clone(&store);
    let s = &*store;
    let (c, b1, _, stops, _) = with_addresses(s, "turfs-out", 6).await;
    let (t1, t2) = first_cut(s, c, b1, &stops).await;
    let now = OffsetDateTime::now_utc();
    let coord = user(s, Some("coord@test.fr"), "Coord").await;
    s.add_member(
        &Audit::cli(),
        c,
        &NewMember {
            user_id: coord.id,
            role: Role::Coordinator,
            territories: vec![b1],
            recruited_by: None,
            trained_by: None,
        },
    )
    .await
    .unwrap();
    let to = |team: &str, hours: i64| NewCheckout {
        to_user: None,
        team: Some(team.into()),
        session_id: None,
        by: Some(coord.id),
        expires_at: now + Duration::hours(hours),
    };
    let out = s
        .check_out_turf(&Audit::cli(), c, t1.id, &to("Binôme A", 3), now)
        .await
        .unwrap();
    assert_eq!(out.status, TurfStatus::CheckedOut);
    let co = out.checkout.clone().unwrap();
    assert_eq!(
        (co.team.as_deref(), co.by),
        (Some("Binôme A"), Some(coord.id))
    );
    assert!(out.is_locked(now));
    assert_eq!(out.lock_version, t1.lock_version + 1);
    assert_eq!(
        out.revision, t1.revision,
        "a hand-out does not change the walk"
    );
    // Not twice.
    let again = s
        .check_out_turf(&Audit::cli(), c, t1.id, &to("Binôme B", 3), now)
        .await
        .unwrap_err();
    assert!(
        matches!(
            again,
            StorageError::Conflict {
                what: "turf checkout",
                ..
            }
        ),
        "{again}"
    );
    // After its expiry it is free again, and may be handed to someone else.
    let later = now + Duration::hours(5);
    assert_eq!(out.effective_status(later), TurfStatus::Planned);
    let mut b = to("Binôme B", 8);
    b.expires_at = later + Duration::hours(2);
    let second = s
        .check_out_turf(&Audit::cli(), c, t1.id, &b, later)
        .await
        .unwrap();
    assert_eq!(second.checkout.unwrap().team.as_deref(), Some("Binôme B"));
    // Bad hand-outs: past expiry, nobody, someone outside the campaign.
    let past = s
        .check_out_turf(&Audit::cli(), c, t2.id, &to("X", -1), now)
        .await
        .unwrap_err();
    assert!(matches!(past, StorageError::Invalid { .. }), "{past}");
    let nobody = NewCheckout {
        team: Some("  ".into()),
        ..to("X", 2)
    };
    assert!(matches!(
        s.check_out_turf(&Audit::cli(), c, t2.id, &nobody, now)
            .await
            .unwrap_err(),
        StorageError::Invalid { .. }
    ));
    let stranger = user(s, Some("stranger@test.fr"), "Stranger").await;
    let foreign = NewCheckout {
        to_user: Some(stranger.id),
        ..to("X", 2)
    };
    assert!(matches!(
        s.check_out_turf(&Audit::cli(), c, t2.id, &foreign, now)
            .await
            .unwrap_err(),
        StorageError::NotFound { what: "member", .. }
    ));
    // Done, then released (reopened), then done again.
    let done = s.finish_turf(&Audit::cli(), c, t1.id, later).await.unwrap();
    assert_eq!(done.status, TurfStatus::Done);
    assert!(done.done_at.is_some());
    assert!(
        done.is_locked(later + Duration::days(30)),
        "a walked turf stays locked"
    );
    let refused = s
        .check_out_turf(&Audit::cli(), c, t1.id, &to("C", 8), later)
        .await
        .unwrap_err();
    assert!(
        matches!(
            refused,
            StorageError::Conflict {
                what: "turf checkout",
                ..
            }
        ),
        "{refused}"
    );
    let reopened = s
        .release_turf(&Audit::cli(), c, t1.id, later)
        .await
        .unwrap();
    assert_eq!(reopened.status, TurfStatus::Planned);
    assert!(reopened.checkout.is_none() && reopened.done_at.is_none());
    assert_eq!(
        s.release_turf(&Audit::cli(), c, t1.id, later)
            .await
            .unwrap(),
        reopened
    );
    // Issue 6's hook: a turf handed to a canvassing session, listed by session.
    let session = uuid::Uuid::now_v7();
    let for_session = s
        .assign_turf_to_session(
            &Audit::cli(),
            c,
            t2.id,
            &SessionAssignment {
                session_id: session,
                team: Some("Équipe du samedi".into()),
                until: now + Duration::hours(6),
            },
            now,
        )
        .await
        .unwrap();
    assert_eq!(
        for_session.checkout.as_ref().unwrap().session_id,
        Some(session)
    );
    let of_session = s
        .turfs(
            c,
            &TurfQuery {
                session: Some(session),
                ..TurfQuery::within(Scope::Campaign)
            },
        )
        .await
        .unwrap();
    assert_eq!(
        of_session.iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![t2.id]
    );
    // Two coordinators racing for the same free turf: exactly one gets it.
    s.release_turf(&Audit::cli(), c, t2.id, now).await.unwrap();
    let mut racers = Vec::new();
    for k in 0..4 {
        let store = Arc::clone(&store);
        let co = to(&format!("Équipe {k}"), 3);
        racers.push(tokio::spawn(async move {
            store
                .check_out_turf(&Audit::cli(), c, t2.id, &co, now)
                .await
        }));
    }
    let mut won = 0;
    for r in racers {
        match r.await.unwrap() {
            Ok(_) => won += 1,
            Err(StorageError::Conflict {
                what: "turf checkout",
                ..
            }) => {}
            Err(e) => panic!("unexpected: {e}"),
        }
    }
    assert_eq!(won, 1);
    // Every hand-out is in the audit log.
    let log = s.audit_log(c, 100, None).await.unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    for a in ["turf.plan", "turf.checkout", "turf.release", "turf.done"] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
}

pub async fn visited_stops_stay_and_emptied_turfs_go(store: Arc<dyn Store>) {
    let store = &*store;
    let (c, b1, _, stops, _) = with_addresses(store, "turfs-visited", 6).await;
    let now = OffsetDateTime::now_utc();
    let (t1, t2) = first_cut(store, c, b1, &stops).await;
    // Issue 7's hook: stop 0 (in turf 1) was visited; visiting again keeps the first time.
    let marked = store
        .mark_stops_visited(&Audit::cli(), c, &[stops[0], AddressId::new()], now)
        .await
        .unwrap();
    assert_eq!(marked, 1);
    assert_eq!(
        store
            .mark_stops_visited(&Audit::cli(), c, &[stops[0]], now + Duration::hours(1))
            .await
            .unwrap(),
        0
    );
    let walk = store.turf_stops(c, t1.id).await.unwrap();
    let v = walk.iter().find(|s| s.address.id == stops[0]).unwrap();
    assert!(v.visited_at.is_some());
    assert!(
        store
            .bureau_turfs(c, b1)
            .await
            .unwrap()
            .stops
            .iter()
            .any(|s| s.visited)
    );
    // A change that drops the visited stop from every turf is refused.
    let mut w1 = write(t1.id, 1, &stops[1..3]);
    w1.expected = expect(&t1);
    let dropped = store
        .save_turf_plan(
            &Audit::cli(),
            c,
            &change(b1, 1, PlanKind::Move, vec![w1]),
            now,
        )
        .await
        .unwrap_err();
    assert!(matches!(dropped, StorageError::Invalid { .. }), "{dropped}");
    // Merging turf 2 into turf 1: turf 2, never handed out, is deleted; the visit is kept.
    let mut w1 = write(t1.id, 1, &stops);
    w1.expected = expect(&t1);
    let mut merge = change(b1, 1, PlanKind::Merge, vec![w1]);
    merge.empty = vec![(t2.id, (t2.revision, t2.lock_version))];
    store
        .save_turf_plan(&Audit::cli(), c, &merge, now)
        .await
        .unwrap();
    assert!(matches!(
        store.turf(c, t2.id).await.unwrap_err(),
        StorageError::NotFound { .. }
    ));
    let merged = store.turf_stops(c, t1.id).await.unwrap();
    assert_eq!(merged.len(), 6);
    assert!(
        merged
            .iter()
            .find(|s| s.address.id == stops[0])
            .unwrap()
            .visited_at
            .is_some()
    );
    // Split again into turf 1 and a new turf 3; turf 3 is handed out, released, then emptied
    // by a merge: it is retired (kept for the record), not deleted.
    let t1 = store.turf(c, t1.id).await.unwrap();
    let t3 = TurfId::new();
    let mut w1 = write(t1.id, 1, &stops[..3]);
    w1.expected = expect(&t1);
    store
        .save_turf_plan(
            &Audit::cli(),
            c,
            &change(b1, 2, PlanKind::Split, vec![w1, write(t3, 3, &stops[3..])]),
            now,
        )
        .await
        .unwrap();
    let co = NewCheckout {
        to_user: None,
        team: Some("Binôme".into()),
        session_id: None,
        by: None,
        expires_at: now + Duration::hours(2),
    };
    store
        .check_out_turf(&Audit::cli(), c, t3, &co, now)
        .await
        .unwrap();
    let t3r = store.release_turf(&Audit::cli(), c, t3, now).await.unwrap();
    let t1 = store.turf(c, t1.id).await.unwrap();
    let mut w1 = write(t1.id, 1, &stops);
    w1.expected = expect(&t1);
    let mut merge = change(b1, 3, PlanKind::Merge, vec![w1]);
    merge.empty = vec![(t3, (t3r.revision, t3r.lock_version))];
    store
        .save_turf_plan(&Audit::cli(), c, &merge, now)
        .await
        .unwrap();
    // Never handed out, the release cleared the hand-out: deleted as well.
    assert!(store.turf(c, t3).await.is_err());
    // A turf whose hand-out lapsed, emptied by a merge, is retired: kept for the record of
    // who held it, out of the lists.
    let t1 = store.turf(c, t1.id).await.unwrap();
    let t4 = TurfId::new();
    let mut w1 = write(t1.id, 1, &stops[..3]);
    w1.expected = expect(&t1);
    store
        .save_turf_plan(
            &Audit::cli(),
            c,
            &change(b1, 4, PlanKind::Split, vec![w1, write(t4, 4, &stops[3..])]),
            now,
        )
        .await
        .unwrap();
    let out = store
        .check_out_turf(&Audit::cli(), c, t4, &co, now)
        .await
        .unwrap();
    let later = now + Duration::hours(3);
    let t1 = store.turf(c, t1.id).await.unwrap();
    let mut w1 = write(t1.id, 1, &stops);
    w1.expected = expect(&t1);
    let mut merge = change(b1, 5, PlanKind::Merge, vec![w1]);
    merge.empty = vec![(t4, (out.revision, out.lock_version))];
    store
        .save_turf_plan(&Audit::cli(), c, &merge, later)
        .await
        .unwrap();
    let retired = store.turf(c, t4).await.unwrap();
    assert_eq!(
        (retired.status, retired.stops, retired.doors),
        (TurfStatus::Retired, 0, 0)
    );
    assert!(store.turf_stops(c, t4).await.unwrap().is_empty());
    let listed = store
        .turfs(c, &TurfQuery::within(Scope::Campaign))
        .await
        .unwrap();
    assert_eq!(listed.iter().map(|t| t.id).collect::<Vec<_>>(), vec![t1.id]);
    let all = store
        .turfs(
            c,
            &TurfQuery {
                include_retired: true,
                ..TurfQuery::within(Scope::Campaign)
            },
        )
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
    assert!(matches!(
        store
            .check_out_turf(&Audit::cli(), c, t4, &co, later)
            .await
            .unwrap_err(),
        StorageError::Invalid { .. }
    ));
    // A new turf never takes the number of a retired one.
    let t1 = store.turf(c, t1.id).await.unwrap();
    let mut w1 = write(t1.id, 1, &stops[..3]);
    w1.expected = expect(&t1);
    let reuse = store
        .save_turf_plan(
            &Audit::cli(),
            c,
            &change(
                b1,
                6,
                PlanKind::Split,
                vec![w1, write(TurfId::new(), 4, &stops[3..])],
            ),
            later,
        )
        .await
        .unwrap_err();
    assert!(matches!(reuse, StorageError::Invalid { .. }), "{reuse}");
    assert_eq!(store.bureau_turfs(c, b1).await.unwrap().next_number, 5);
    assert_eq!(store.turf_plans(c, b1).await.unwrap().len(), 6);
}

pub async fn street_networks_are_stored_and_replaced(store: Arc<dyn Store>) {
    let store = &*store;
    let (c, _) = seeded(store, "turfs-network").await;
    assert!(store.street_network_info(c).await.unwrap().is_none());
    assert!(store.street_network_data(c).await.unwrap().is_none());
    let net = NewStreetNetwork {
        source: "monaco.osm.pbf".into(),
        nodes: 3,
        edges: 2,
        length_km: 0.4,
        bbox: [7.40, 43.72, 7.44, 43.75],
        data: vec![1, 2, 3, 0, 255],
    };
    let info = store
        .put_street_network(&Audit::cli(), c, &net)
        .await
        .unwrap();
    assert_eq!((info.nodes, info.edges, info.bbox), (3, 2, net.bbox));
    assert_eq!(
        store.street_network_data(c).await.unwrap().unwrap(),
        net.data
    );
    let again = NewStreetNetwork {
        source: "b.osm.pbf".into(),
        data: vec![9; 1000],
        ..net.clone()
    };
    store
        .put_street_network(&Audit::cli(), c, &again)
        .await
        .unwrap();
    assert_eq!(
        store.street_network_info(c).await.unwrap().unwrap().source,
        "b.osm.pbf"
    );
    assert_eq!(
        store.street_network_data(c).await.unwrap().unwrap().len(),
        1000
    );
    let bad = NewStreetNetwork {
        data: vec![],
        ..net
    };
    assert!(matches!(
        store
            .put_street_network(&Audit::cli(), c, &bad)
            .await
            .unwrap_err(),
        StorageError::Invalid { .. }
    ));
}
