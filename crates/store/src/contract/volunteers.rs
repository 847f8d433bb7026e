//! The contract of [`crate::VolunteerStore`]: sign-ups placed by postcode, duplicates flagged
//! and kept, the funnel, trainings, teams, sorties, feeds and tallies — on every backend.

use super::{find, seeded, user};
use crate::types::*;
use crate::volunteers::*;
use crate::{StorageError, Store};
use std::sync::Arc;
use terrain_model::{
    Availability, CommuneCode, Email, NewAddress, Phone, Postcode, Role, TerritoryKind,
    VolunteerStatus,
};
use time::{Duration, OffsetDateTime};

fn signup(name: &str, email: Option<&str>, phone: Option<&str>, postcode: &str) -> NewSignup {
    NewSignup {
        display_name: name.into(),
        email: email.map(|e| Email::parse(e).unwrap()),
        phone: phone.map(|p| Phone::parse(p).unwrap()),
        postcode: Postcode::parse(postcode).unwrap(),
        availability: Availability::from_slots(&["saturday_morning"]).unwrap(),
        consent_contact: true,
    }
}

/// A moment a few days ahead, to the second.
fn later(days: i64, hour: u8) -> OffsetDateTime {
    let d = OffsetDateTime::now_utc().date() + Duration::days(days);
    d.with_hms(hour, 0, 0).unwrap().assume_utc()
}

async fn member(
    store: &dyn Store,
    c: terrain_model::CampaignId,
    name: &str,
    role: Role,
    t: terrain_model::TerritoryId,
) -> Member {
    let email = format!(
        "{}@exemple.fr",
        name.to_lowercase().replace(' ', ".").replace('é', "e")
    );
    let u = user(
        store,
        (role != Role::Walker).then_some(email.as_str()),
        name,
    )
    .await;
    store
        .add_member(
            &Audit::cli(),
            c,
            &NewMember {
                user_id: u.id,
                role,
                territories: vec![t],
                recruited_by: None,
                trained_by: None,
            },
        )
        .await
        .unwrap()
}

pub async fn signups_are_placed_by_postcode_and_duplicates_kept(store: Arc<dyn Store>) {
    let (c, ts) = seeded(&*store, "signup").await;
    let a = Audit::system(AuditSource::Api);
    // The Paris rule: 75018 is the 18th arrondissement (INSEE 75118).
    let v = store
        .sign_up(
            &a,
            c,
            &signup("Inès", Some("ines@exemple.fr"), None, "75018"),
        )
        .await
        .unwrap();
    assert_eq!(v.territory.as_ref().unwrap().code, "75118");
    assert_eq!(v.placement, Placement::Arrondissement);
    assert_eq!(v.status, VolunteerStatus::SignedUp);
    assert!(v.consent_contact && v.consent_at.is_some());
    assert_eq!(v.availability.slots(), vec!["saturday_morning"]);
    // A listed postcode wins over the rule.
    store
        .add_postcodes(
            &Audit::cli(),
            c,
            &[(Postcode::parse("75010").unwrap(), find(&ts, "75110").id)],
        )
        .await
        .unwrap();
    let v10 = store
        .sign_up(
            &a,
            c,
            &signup("Marc", None, Some("06 11 22 33 44"), "75010"),
        )
        .await
        .unwrap();
    assert_eq!(v10.territory.as_ref().unwrap().code, "75110");
    assert_eq!(v10.placement, Placement::Postcode);
    // Addresses carry postcodes too: a commune outside Paris found through them.
    store
        .upsert_territories(
            &Audit::cli(),
            c,
            &[
                NewTerritory {
                    kind: TerritoryKind::Department,
                    code: "92".into(),
                    name: "Hauts-de-Seine".into(),
                    parent: None,
                },
                NewTerritory {
                    kind: TerritoryKind::Commune,
                    code: "92012".into(),
                    name: "Boulogne-Billancourt".into(),
                    parent: Some((TerritoryKind::Department, "92".into())),
                },
            ],
        )
        .await
        .unwrap();
    store
        .add_addresses(
            &Audit::cli(),
            c,
            &[NewAddress {
                ban_id: Some("92012_0001_00001".into()),
                number: Some("1".into()),
                rep: None,
                street: "Rue de Silly".into(),
                postcode: Some("92100".into()),
                commune: CommuneCode::parse("92012").unwrap(),
                lon: 2.24,
                lat: 48.83,
                bureau_id: None,
                iris_id: None,
                doors_estimated: 10,
            }],
        )
        .await
        .unwrap();
    let v92 = store
        .sign_up(&a, c, &signup("Zoé", Some("zoe@exemple.fr"), None, "92100"))
        .await
        .unwrap();
    assert_eq!(v92.territory.as_ref().unwrap().code, "92012");
    assert_eq!(v92.placement, Placement::Addresses);
    // Nowhere: kept, unplaced.
    let nowhere = store
        .sign_up(
            &a,
            c,
            &signup("Paul", Some("paul@exemple.fr"), None, "33000"),
        )
        .await
        .unwrap();
    assert!(nowhere.territory.is_none());
    assert_eq!(nowhere.placement, Placement::Unplaced);
    // The same person again, differently spelled: stored, marked as a possible duplicate.
    let again = store
        .sign_up(
            &a,
            c,
            &signup("Ines B.", Some(" INES+terrain@Exemple.fr "), None, "75018"),
        )
        .await
        .unwrap();
    assert_eq!(again.duplicate_of, Some(v.id));
    let by_phone = store
        .sign_up(
            &a,
            c,
            &signup("Marc D", None, Some("+33 6 11 22 33 44"), "75010"),
        )
        .await
        .unwrap();
    assert_eq!(by_phone.duplicate_of, Some(v10.id));
    // Refused, and nothing stored.
    let mut no_consent = signup("Sans", Some("sans@exemple.fr"), None, "75018");
    no_consent.consent_contact = false;
    assert!(matches!(
        store.sign_up(&a, c, &no_consent).await,
        Err(StorageError::Invalid {
            what: "consent",
            ..
        })
    ));
    assert!(matches!(
        store
            .sign_up(&a, c, &signup("Muet", None, None, "75018"))
            .await,
        Err(StorageError::Invalid { .. })
    ));
    assert!(matches!(
        store
            .sign_up(&a, c, &signup("   ", Some("x@exemple.fr"), None, "75018"))
            .await,
        Err(StorageError::Invalid { .. })
    ));
    let all = store
        .volunteers(
            c,
            &VolunteerQuery {
                limit: 2,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(all.total, 6);
    assert_eq!(all.items.len(), 2, "paged");
    assert_eq!(all.items[0].id, by_phone.id, "newest first");
    // A coordinator of the 18th sees the 18th only; unplaced people only campaign-wide.
    let a18 = Scope::Within(vec![find(&ts, "75118").path.clone()]);
    let mine = store
        .volunteers(
            c,
            &VolunteerQuery {
                scope: a18.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(mine.total, 2);
    assert!(
        mine.items
            .iter()
            .all(|v| v.territory.as_ref().unwrap().code == "75118")
    );
    let q = |f: fn(&mut VolunteerQuery)| {
        let mut q = VolunteerQuery::default();
        f(&mut q);
        q
    };
    let dups = store
        .volunteers(c, &q(|q| q.duplicates = true))
        .await
        .unwrap();
    assert_eq!(dups.total, 4, "both sides of each pair");
    let unplaced = store
        .volunteers(c, &q(|q| q.unplaced = true))
        .await
        .unwrap();
    assert_eq!(unplaced.items[0].id, nowhere.id);
    let found = store
        .volunteers(c, &q(|q| q.search = Some("ZOÉ".into())))
        .await
        .unwrap();
    assert_eq!(found.total, 1);
    let by_digits = store
        .volunteers(c, &q(|q| q.search = Some("0611".into())))
        .await
        .unwrap();
    assert_eq!(by_digits.total, 2);
    let literal = store
        .volunteers(c, &q(|q| q.search = Some("%".into())))
        .await
        .unwrap();
    assert_eq!(literal.total, 0, "LIKE wildcards are matched literally");
    // Campaigns are apart.
    let (other, _) = seeded(&*store, "signup-other").await;
    assert_eq!(
        store
            .volunteers(other, &VolunteerQuery::default())
            .await
            .unwrap()
            .total,
        0
    );
    assert!(matches!(
        store.volunteer(other, v.id).await,
        Err(StorageError::NotFound { .. })
    ));
}

pub async fn members_are_volunteers_and_the_funnel_counts_them(store: Arc<dyn Store>) {
    let (c, ts) = seeded(&*store, "funnel").await;
    let a18 = find(&ts, "75118");
    let coord = member(&*store, c, "Karim", Role::Coordinator, a18.id).await;
    let walker = member(&*store, c, "Léa", Role::Walker, find(&ts, "75056_1801").id).await;
    let a = Audit::cli();
    let s = store
        .sign_up(
            &a,
            c,
            &signup("Inès", Some("ines@exemple.fr"), None, "75018"),
        )
        .await
        .unwrap();
    let page = store
        .volunteers(c, &VolunteerQuery::default())
        .await
        .unwrap();
    assert_eq!(page.total, 3, "members get a volunteer record");
    let wv = store.volunteer_of_user(c, walker.user.id).await.unwrap();
    assert_eq!(
        wv.id.0, walker.user.id.0,
        "a member's record has their user id"
    );
    assert_eq!(wv.status, VolunteerStatus::Contacted);
    assert_eq!(wv.territory.as_ref().unwrap().code, "75056_1801");
    let cv = store.volunteer_of_user(c, coord.user.id).await.unwrap();
    assert_eq!(cv.status, VolunteerStatus::Trained);
    // Reading again makes no second record.
    assert_eq!(
        store
            .volunteers(c, &VolunteerQuery::default())
            .await
            .unwrap()
            .total,
        3
    );
    // The coordinator calls the sign-up.
    let s = store
        .update_volunteer(
            &Audit::api(coord.user.id),
            c,
            s.id,
            &VolunteerUpdate {
                status: Some(VolunteerStatus::Contacted),
                recruited_by: Some(coord.user.id),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(s.status, VolunteerStatus::Contacted);
    assert_eq!(s.recruited_by, Some(coord.user.id));
    let counts = store.funnel_counts(c, &Scope::Campaign).await.unwrap();
    let n = |st: VolunteerStatus| -> u64 {
        counts
            .iter()
            .filter(|f| f.status == st)
            .map(|f| f.count)
            .sum()
    };
    assert_eq!(n(VolunteerStatus::Contacted), 2);
    assert_eq!(n(VolunteerStatus::Trained), 1);
    assert_eq!(
        counts
            .iter()
            .filter(|f| f.recruited_by == Some(coord.user.id))
            .map(|f| f.count)
            .sum::<u64>(),
        1
    );
    let a19 = Scope::Within(vec![find(&ts, "75119").path.clone()]);
    assert!(store.funnel_counts(c, &a19).await.unwrap().is_empty());
    // Moving someone to a territory of another campaign fails and changes nothing.
    let (other, ots) = seeded(&*store, "funnel-other").await;
    let _ = other;
    assert!(
        store
            .update_volunteer(
                &a,
                c,
                s.id,
                &VolunteerUpdate {
                    territory: Some(find(&ots, "75119").id),
                    ..Default::default()
                },
            )
            .await
            .is_err()
    );
    assert_eq!(
        store
            .volunteer(c, s.id)
            .await
            .unwrap()
            .territory
            .unwrap()
            .code,
        "75118"
    );
    // She joins with an invite: her sign-up is linked to her account, no second record.
    let joined = member(&*store, c, "Inès", Role::Walker, a18.id).await;
    store
        .volunteers(c, &VolunteerQuery::default())
        .await
        .unwrap();
    let linked = store
        .link_volunteer(&a, c, s.id, joined.user.id)
        .await
        .unwrap();
    assert_eq!(linked.user_id, Some(joined.user.id));
    assert_eq!(
        store.volunteer_of_user(c, joined.user.id).await.unwrap().id,
        s.id
    );
    assert_eq!(
        store
            .volunteers(c, &VolunteerQuery::default())
            .await
            .unwrap()
            .total,
        3
    );
    assert!(matches!(
        store.link_volunteer(&a, c, s.id, joined.user.id).await,
        Err(StorageError::Conflict { .. })
    ));
    // An invite made for a sign-up links whoever redeems it to that sign-up.
    let zoe = store
        .sign_up(&a, c, &signup("Zoé", Some("zoe@exemple.fr"), None, "75018"))
        .await
        .unwrap();
    let inv = store
        .create_invite(
            &a,
            c,
            &NewInvite {
                code_hash: "zoe-code".into(),
                created_by: Some(coord.user.id),
                role: Role::Walker,
                territory_id: a18.id,
                expires_at: OffsetDateTime::now_utc() + Duration::days(2),
                max_uses: 1,
            },
        )
        .await
        .unwrap();
    store.tie_invite(&a, c, inv.id, zoe.id).await.unwrap();
    let (_, zm) = store
        .redeem_invite("zoe-code", "Zoé", OffsetDateTime::now_utc())
        .await
        .unwrap();
    let linked = store
        .link_by_invite("zoe-code", zm.user.id)
        .await
        .unwrap()
        .expect("the sign-up is linked");
    assert_eq!(linked.id, zoe.id);
    assert_eq!(linked.user_id, Some(zm.user.id));
    assert_eq!(linked.status, VolunteerStatus::Contacted);
    assert_eq!(
        store.link_by_invite("zoe-code", zm.user.id).await.unwrap(),
        None
    );
    assert_eq!(
        store.link_by_invite("unknown", zm.user.id).await.unwrap(),
        None
    );
    // Turfs only once trained (the default).
    assert!(
        store
            .volunteer_settings(c)
            .await
            .unwrap()
            .turfs_require_training
    );
    assert!(!store.may_receive_turfs(c, walker.user.id).await.unwrap());
    assert!(store.may_receive_turfs(c, coord.user.id).await.unwrap());
    let mut settings = store.volunteer_settings(c).await.unwrap();
    settings.turfs_require_training = false;
    store
        .set_volunteer_settings(&a, c, &settings)
        .await
        .unwrap();
    assert!(store.may_receive_turfs(c, walker.user.id).await.unwrap());
}

pub async fn trainings_fill_up_and_validate_skills(store: Arc<dyn Store>) {
    let (c, ts) = seeded(&*store, "training").await;
    let a18 = find(&ts, "75118");
    let trainer = member(&*store, c, "Thomas", Role::Trainer, a18.id).await;
    let w1 = member(&*store, c, "Léa", Role::Walker, a18.id).await;
    let w2 = member(&*store, c, "Nadia", Role::Walker, a18.id).await;
    let w3 = member(&*store, c, "Yann", Role::Walker, a18.id).await;
    let v = |m: &Member| terrain_model::VolunteerId(m.user.id.0);
    let a = Audit::api(trainer.user.id);
    let new = NewTraining {
        title: "Porte-à-porte : les bases".into(),
        territory_id: a18.id,
        starts_at: later(3, 17),
        ends_at: later(3, 19),
        place: Some("Local, 12 rue Ordener".into()),
        video_url: None,
        capacity: 2,
        programme: vec!["Se présenter".into(), "Écouter".into(), "Conclure".into()],
        trainer_id: Some(trainer.user.id),
    };
    let tr = store.create_training(&a, c, &new).await.unwrap();
    assert_eq!(tr.programme.len(), 3);
    assert_eq!(tr.territory.id, a18.id);
    // Bad trainings are refused whole.
    for bad in [
        NewTraining {
            ends_at: new.starts_at,
            ..new.clone()
        },
        NewTraining {
            capacity: 0,
            ..new.clone()
        },
        NewTraining {
            programme: vec![],
            ..new.clone()
        },
        NewTraining {
            place: None,
            video_url: None,
            ..new.clone()
        },
        NewTraining {
            video_url: Some("javascript:alert(1)".into()),
            ..new.clone()
        },
    ] {
        assert!(
            matches!(
                store.create_training(&a, c, &bad).await,
                Err(StorageError::Invalid { .. })
            ),
            "{bad:?}"
        );
    }
    assert_eq!(
        store
            .trainings(c, &Scope::Campaign, None)
            .await
            .unwrap()
            .len(),
        1
    );
    store.register(&a, c, tr.id, v(&w1)).await.unwrap();
    assert!(matches!(
        store.register(&a, c, tr.id, v(&w1)).await,
        Err(StorageError::Conflict {
            what: "registration",
            ..
        })
    ));
    store.register(&a, c, tr.id, v(&w2)).await.unwrap();
    assert!(matches!(
        store.register(&a, c, tr.id, v(&w3)).await,
        Err(StorageError::Conflict {
            what: "training full",
            ..
        })
    ));
    let tr = store.training(c, tr.id).await.unwrap();
    assert_eq!(tr.registered, 2);
    assert!(matches!(
        store
            .record_attendance(
                &a,
                c,
                tr.id,
                v(&w1),
                &Attendance {
                    attended: true,
                    skills: vec!["Voler".into()],
                    validated: false
                }
            )
            .await,
        Err(StorageError::Invalid { .. })
    ));
    assert!(matches!(
        store
            .record_attendance(
                &a,
                c,
                tr.id,
                v(&w2),
                &Attendance {
                    attended: false,
                    skills: vec![],
                    validated: true
                }
            )
            .await,
        Err(StorageError::Invalid { .. })
    ));
    let r = store
        .record_attendance(
            &a,
            c,
            tr.id,
            v(&w1),
            &Attendance {
                attended: true,
                skills: vec!["Se présenter".into(), "Écouter".into(), "Conclure".into()],
                validated: true,
            },
        )
        .await
        .unwrap();
    assert_eq!(r.attended, Some(true));
    assert!(r.validated_at.is_some());
    assert_eq!(r.validated_by, Some(trainer.user.id));
    let lea = store.volunteer(c, v(&w1)).await.unwrap();
    assert_eq!(lea.status, VolunteerStatus::Trained);
    assert!(lea.trained_at.is_some());
    assert_eq!(
        store.member(c, w1.user.id).await.unwrap().trained_by,
        Some(trainer.user.id),
        "the pyramid records who trained whom"
    );
    store
        .record_attendance(
            &a,
            c,
            tr.id,
            v(&w2),
            &Attendance {
                attended: false,
                skills: vec![],
                validated: false,
            },
        )
        .await
        .unwrap();
    let tr = store.training(c, tr.id).await.unwrap();
    assert_eq!((tr.attended, tr.validated), (1, 1));
    let mine = store.registrations_of(c, v(&w1)).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].1.skills.len(), 3);
    // Scoped: the 19th sees none of it.
    let a19 = Scope::Within(vec![find(&ts, "75119").path.clone()]);
    assert!(store.trainings(c, &a19, None).await.unwrap().is_empty());
    assert!(
        store
            .trainings(c, &Scope::Campaign, Some(later(5, 0)))
            .await
            .unwrap()
            .is_empty(),
        "past trainings are left out from a later date"
    );
}

pub async fn concurrent_registrations_for_the_last_seat(store: Arc<dyn Store>) {
    let (c, ts) = seeded(&*store, "seat").await;
    let a18 = find(&ts, "75118");
    let tr = store
        .create_training(
            &Audit::cli(),
            c,
            &NewTraining {
                title: "Dernière place".into(),
                territory_id: a18.id,
                starts_at: later(2, 17),
                ends_at: later(2, 19),
                place: None,
                video_url: Some("https://visio.exemple.fr/formation".into()),
                capacity: 1,
                programme: vec!["Se présenter".into()],
                trainer_id: None,
            },
        )
        .await
        .unwrap();
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            store
                .sign_up(
                    &Audit::cli(),
                    c,
                    &signup(
                        &format!("V{i}"),
                        Some(&format!("v{i}@exemple.fr")),
                        None,
                        "75018",
                    ),
                )
                .await
                .unwrap()
                .id,
        );
    }
    let mut handles = Vec::new();
    for id in ids {
        let s = store.clone();
        handles.push(tokio::spawn(async move {
            s.register(&Audit::cli(), c, tr.id, id).await
        }));
    }
    let mut ok = 0;
    for h in handles {
        match h.await.unwrap() {
            Ok(_) => ok += 1,
            Err(StorageError::Conflict {
                what: "training full",
                ..
            }) => {}
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    assert_eq!(ok, 1, "the last seat went to {ok} people");
}

pub async fn sorties_check_training_overlaps_and_coverage(store: Arc<dyn Store>) {
    let (c, ts) = seeded(&*store, "sortie").await;
    let a18 = find(&ts, "75118");
    let coord = member(&*store, c, "Karim", Role::Coordinator, a18.id).await;
    let a = Audit::api(coord.user.id);
    let mut walkers = Vec::new();
    for name in ["Léa", "Nadia", "Yann"] {
        let m = member(&*store, c, name, Role::Walker, a18.id).await;
        walkers.push(terrain_model::VolunteerId(m.user.id.0));
    }
    let team = store
        .create_team(
            &a,
            c,
            &NewTeam {
                name: "Équipe Ordener".into(),
                territory_id: a18.id,
                members: walkers.clone(),
            },
        )
        .await
        .unwrap();
    assert_eq!(team.members.len(), 3);
    assert!(matches!(
        store
            .create_team(
                &a,
                c,
                &NewTeam {
                    name: "Équipe Ordener".into(),
                    territory_id: a18.id,
                    members: vec![]
                }
            )
            .await,
        Err(StorageError::Conflict { .. })
    ));
    let new = NewSortie {
        title: "Samedi matin à Marcadet".into(),
        territory_id: a18.id,
        starts_at: later(4, 8),
        ends_at: later(4, 11),
        meeting_point: "Métro Marcadet-Poissonniers".into(),
        meeting_lonlat: Some((2.3497, 48.8913)),
        areas: vec![find(&ts, "75056_1801").id, find(&ts, "75056_1802").id],
        team_id: Some(team.id),
        open_signup: true,
        min_per_area: 2,
        notes: None,
    };
    let s = store.create_sortie(&a, c, &new).await.unwrap();
    assert_eq!(s.areas.len(), 2);
    assert_eq!(s.participants.len(), 3, "the team is invited");
    assert!(
        s.participants
            .iter()
            .all(|p| p.status == ParticipantStatus::Invited)
    );
    assert_eq!(s.uncovered().count(), 2);
    assert_eq!(s.meeting_lonlat, Some((2.3497, 48.8913)));
    // An area outside the sortie's territory, or from another campaign, is refused.
    let outside = NewSortie {
        areas: vec![find(&ts, "75056_1901").id],
        ..new.clone()
    };
    assert!(matches!(
        store.create_sortie(&a, c, &outside).await,
        Err(StorageError::Invalid { .. })
    ));
    let (_, ots) = seeded(&*store, "sortie-other").await;
    let foreign = NewSortie {
        areas: vec![find(&ots, "75056_1801").id],
        ..new.clone()
    };
    assert!(matches!(
        store.create_sortie(&a, c, &foreign).await,
        Err(StorageError::NotFound { .. })
    ));
    let accept = ParticipantUpdate {
        status: Some(ParticipantStatus::Accepted),
        ..Default::default()
    };
    // Untrained walkers cannot go while the campaign requires training.
    assert!(matches!(
        store
            .set_participant(&a, c, s.id, walkers[0], &accept)
            .await,
        Err(StorageError::Invalid {
            what: "untrained volunteer",
            ..
        })
    ));
    let mut settings = store.volunteer_settings(c).await.unwrap();
    settings.turfs_require_training = false;
    store
        .set_volunteer_settings(&a, c, &settings)
        .await
        .unwrap();
    let s1 = store
        .set_participant(&a, c, s.id, walkers[0], &accept)
        .await
        .unwrap();
    let s2 = store
        .set_participant(&a, c, s.id, walkers[1], &accept)
        .await
        .unwrap();
    let area_of = |s: &Sortie, v| s.participant(v).unwrap().area_id.unwrap();
    assert_ne!(
        area_of(&s1, walkers[0]),
        area_of(&s2, walkers[1]),
        "accepting spreads people over the areas"
    );
    // Pair them in the first area: it is covered, the second is not.
    let first = s.areas[0].territory.id;
    for w in &walkers[..2] {
        store
            .set_participant(
                &a,
                c,
                s.id,
                *w,
                &ParticipantUpdate {
                    area: Some(Some(first)),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
    }
    let s = store.sortie(c, s.id).await.unwrap();
    assert!(s.areas[0].covered && !s.areas[1].covered);
    assert_eq!(
        store.volunteer(c, walkers[0]).await.unwrap().status,
        VolunteerStatus::Active,
        "accepting a sortie makes one active"
    );
    // The same walker cannot be at two places at once.
    let overlapping = store
        .create_sortie(
            &a,
            c,
            &NewSortie {
                title: "Même heure ailleurs".into(),
                starts_at: later(4, 10),
                ends_at: later(4, 12),
                team_id: None,
                ..new.clone()
            },
        )
        .await
        .unwrap();
    assert!(overlapping.participants.is_empty());
    match store
        .set_participant(&a, c, overlapping.id, walkers[0], &accept)
        .await
    {
        Err(StorageError::Conflict { what, key }) => {
            assert_eq!(what, "schedule");
            assert_eq!(key, "Samedi matin à Marcadet");
        }
        other => panic!("expected a schedule conflict, got {other:?}"),
    }
    // Declining frees the area; an area of another sortie is refused.
    let d = store
        .set_participant(
            &a,
            c,
            s.id,
            walkers[2],
            &ParticipantUpdate {
                status: Some(ParticipantStatus::Declined),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(d.participant(walkers[2]).unwrap().area_id, None);
    assert!(matches!(
        store
            .set_participant(
                &a,
                c,
                s.id,
                walkers[2],
                &ParticipantUpdate {
                    area: Some(Some(find(&ts, "75056_1901").id)),
                    ..Default::default()
                }
            )
            .await,
        Err(StorageError::Invalid { .. })
    ));
    // What a walker sees: their sorties and the open ones of their territory.
    let lea = store
        .sorties(
            c,
            &SortieQuery {
                participant: Some(walkers[0]),
                from: Some(OffsetDateTime::now_utc()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(lea.len(), 1);
    let open = store
        .sorties(
            c,
            &SortieQuery {
                participant: Some(walkers[0]),
                open_in: Some(Scope::Within(vec![a18.path.clone()])),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(open.len(), 2);
    let a19 = Scope::Within(vec![find(&ts, "75119").path.clone()]);
    assert!(
        store
            .sorties(
                c,
                &SortieQuery {
                    scope: a19,
                    ..Default::default()
                }
            )
            .await
            .unwrap()
            .is_empty()
    );
    let week = store
        .sorties(
            c,
            &SortieQuery {
                from: Some(later(4, 0)),
                to: Some(later(5, 0)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(week.len(), 2);
    assert!(
        store
            .sorties(
                c,
                &SortieQuery {
                    from: Some(later(6, 0)),
                    ..Default::default()
                }
            )
            .await
            .unwrap()
            .is_empty()
    );
    // Changing the team changes who is on it.
    let t = store
        .set_team_members(&a, c, team.id, &walkers[..1])
        .await
        .unwrap();
    assert_eq!(t.members.len(), 1);
    assert_eq!(store.teams(c, &Scope::Campaign).await.unwrap().len(), 1);
}

pub async fn feeds_tallies_and_the_leaderboard_switch(store: Arc<dyn Store>) {
    let (c, ts) = seeded(&*store, "tally").await;
    let a18 = find(&ts, "75118");
    let coord = member(&*store, c, "Karim", Role::Coordinator, a18.id).await;
    let a = Audit::api(coord.user.id);
    let w = member(&*store, c, "Léa", Role::Walker, a18.id).await;
    let wv = store.volunteer_of_user(c, w.user.id).await.unwrap().id;
    let team = store
        .create_team(
            &a,
            c,
            &NewTeam {
                name: "Équipe 18".into(),
                territory_id: a18.id,
                members: vec![wv],
            },
        )
        .await
        .unwrap();
    let mut settings = store.volunteer_settings(c).await.unwrap();
    settings.turfs_require_training = false;
    store
        .set_volunteer_settings(&a, c, &settings)
        .await
        .unwrap();
    // A sortie in the past, accepted and attended; one coming, accepted.
    let past_start = OffsetDateTime::now_utc() - Duration::days(2);
    let mut ids = Vec::new();
    for (title, start) in [("Passée", past_start), ("À venir", later(3, 9))] {
        let s = store
            .create_sortie(
                &a,
                c,
                &NewSortie {
                    title: title.into(),
                    territory_id: a18.id,
                    starts_at: start,
                    ends_at: start + Duration::hours(2),
                    meeting_point: "Mairie du 18e".into(),
                    meeting_lonlat: None,
                    areas: vec![find(&ts, "75056_1801").id],
                    team_id: Some(team.id),
                    open_signup: false,
                    min_per_area: 2,
                    notes: None,
                },
            )
            .await
            .unwrap();
        store
            .set_participant(
                &a,
                c,
                s.id,
                wv,
                &ParticipantUpdate {
                    status: Some(ParticipantStatus::Accepted),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        ids.push(s.id);
    }
    let tallies = store
        .tallies(c, &Scope::Campaign, OffsetDateTime::now_utc())
        .await
        .unwrap();
    let lea = tallies.iter().find(|t| t.volunteer_id == wv).unwrap();
    assert_eq!(lea.sorties, 1, "only the sortie that is over counts");
    assert_eq!(lea.teams, vec![team.id]);
    assert_eq!(lea.doors, 0);
    // Marked absent: it no longer counts.
    store
        .set_participant(
            &a,
            c,
            ids[0],
            wv,
            &ParticipantUpdate {
                attended: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let tallies = store
        .tallies(c, &Scope::Campaign, OffsetDateTime::now_utc())
        .await
        .unwrap();
    assert_eq!(
        tallies
            .iter()
            .find(|t| t.volunteer_id == wv)
            .unwrap()
            .sorties,
        0
    );
    let a19 = Scope::Within(vec![find(&ts, "75119").path.clone()]);
    assert!(
        store
            .tallies(c, &a19, OffsetDateTime::now_utc())
            .await
            .unwrap()
            .is_empty()
    );
    // Feeds: a new one revokes the old one.
    store
        .create_feed(&a, c, FeedOwner::Volunteer(wv), "hash-1")
        .await
        .unwrap();
    assert_eq!(
        store.feed("hash-1").await.unwrap(),
        Some((c, FeedOwner::Volunteer(wv)))
    );
    store
        .create_feed(&a, c, FeedOwner::Volunteer(wv), "hash-2")
        .await
        .unwrap();
    assert_eq!(store.feed("hash-1").await.unwrap(), None);
    store
        .create_feed(&a, c, FeedOwner::Team(team.id), "hash-team")
        .await
        .unwrap();
    assert_eq!(
        store.feed("hash-team").await.unwrap(),
        Some((c, FeedOwner::Team(team.id)))
    );
    assert_eq!(
        store.feed("hash-2").await.unwrap(),
        Some((c, FeedOwner::Volunteer(wv))),
        "a team's feed leaves the volunteer's alone"
    );
    // The leaderboard switch.
    let s = store.set_leaderboard(&a, c, a18.id, false).await.unwrap();
    assert_eq!(s.leaderboard_hidden, vec![a18.id]);
    let s = store.set_leaderboard(&a, c, a18.id, false).await.unwrap();
    assert_eq!(
        s.leaderboard_hidden.len(),
        1,
        "switching off twice is harmless"
    );
    let s = store.set_leaderboard(&a, c, a18.id, true).await.unwrap();
    assert!(s.leaderboard_hidden.is_empty());
    // Every write of this part is in the audit log.
    let log = store.audit_log(c, 200, None).await.unwrap();
    for action in [
        "team.create",
        "sortie.create",
        "sortie.participant",
        "calendar_feed.create",
        "leaderboard.set",
        "volunteer_settings.set",
    ] {
        assert!(
            log.iter().any(|e| e.action == action),
            "{action} not audited"
        );
    }
}
