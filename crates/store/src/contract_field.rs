//! The contract of [`FieldStore`](crate::FieldStore), run against SQLite and PostgreSQL by
//! [`field_contract_suite!`](crate::field_contract_suite): questionnaire versions, packages, and
//! the exactly-once sync — including random interleavings of duplicated, reordered,
//! concurrent and interrupted uploads.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::Coding;
use crate::field::*;
use crate::types::*;
use crate::{StorageError, Store};
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use terrain_model::questionnaire::{
    Choice, ConsentPurpose, Definition, Question, QuestionKind, Script,
};
use terrain_model::{
    AddressId, Answer, BuildingId, CampaignId, CommuneCode, Door, NewAddress, Outcome,
    Questionnaire, Slug, Template, Territory, TerritoryKind, UnitId, UserId,
};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// Generates one `#[tokio::test]` per field contract check (and the diagnostic's codings, which
/// need the same responses), like
/// [`contract_suite!`](crate::contract_suite).
#[macro_export]
macro_rules! field_contract_suite {
    ($setup:expr) => {
        $crate::field_contract_suite!(@each $setup;
            questionnaires_are_versioned_never_edited_in_place,
            sync_stores_each_record_once,
            sync_refuses_what_it_cannot_store,
            packages_carry_doors_and_their_history,
            sync_converges_under_random_interleavings,
            weightings_keep_one_weight_per_response,
            codings_are_kept_per_coder_and_question,
            paper_sheets_are_keyed_once_and_checked_like_phones,
            voided_paper_sheets_take_their_weights_along
        );
    };
    (@each $setup:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let (store, guard) = $setup.await;
                let Some(store) = store else { return };
                $crate::contract_field::$name(store).await;
                $crate::testing::Cleanup::cleanup(guard).await;
            }
        )*
    };
}

/// A campaign on Paris with two bureaux of the 18th and one of the 19th, addresses in each,
/// a walker scoped to bureau 18-01 and a published questionnaire.
struct Fixture {
    c: CampaignId,
    walker: UserId,
    other_walker: UserId,
    /// The walkers' scope: bureau 18-01.
    scope: Scope,
    /// Addresses in bureau 18-01 with their (only) building.
    stops: Vec<(AddressId, BuildingId)>,
    /// An address of bureau 19-01, outside the walkers' scope.
    outside: (AddressId, BuildingId),
    version: Uuid,
    questionnaire: Uuid,
}

fn t(
    kind: TerritoryKind,
    code: &str,
    name: &str,
    parent: Option<(TerritoryKind, &str)>,
) -> NewTerritory {
    NewTerritory {
        kind,
        code: code.into(),
        name: name.into(),
        parent: parent.map(|(k, c)| (k, c.to_string())),
    }
}

fn address(code: &str, number: usize, street: &str, bureau: &Territory) -> NewAddress {
    NewAddress {
        ban_id: Some(format!("{code}_field_{number:0>5}")),
        number: Some(number.to_string()),
        rep: None,
        street: street.into(),
        postcode: Some(format!("750{}", &code[3..])),
        commune: CommuneCode::parse(code).unwrap(),
        lon: 2.34 + number as f64 * 0.0001,
        lat: 48.89,
        bureau_id: Some(bureau.id),
        iris_id: None,
        doors_estimated: 8,
    }
}

/// A small survey: consent, a choice, a scale, an open question shown on a condition, the
/// profile and the recontact consent.
fn survey() -> Questionnaire {
    let q = |key: &str, kind: QuestionKind| Question {
        key: key.into(),
        text: format!("{key} ?"),
        help: String::new(),
        required: false,
        show_if: None,
        kind,
    };
    let mut why = q("pourquoi", QuestionKind::Open { max_length: 500 });
    why.show_if = Some(terrain_model::questionnaire::Condition {
        question: "satisfait".into(),
        any_of: vec!["no".into()],
    });
    Questionnaire::parse(Definition {
        script: Script {
            intro: "Bonjour".into(),
            talking_points: vec!["Nous écoutons".into()],
            closing: "Merci".into(),
        },
        questions: vec![
            q(
                "accord",
                QuestionKind::Consent {
                    purpose: ConsentPurpose::Survey,
                    statement: "J’accepte".into(),
                },
            ),
            q(
                "priorite",
                QuestionKind::SingleChoice {
                    options: vec![
                        Choice {
                            value: "emploi".into(),
                            label: "Emploi".into(),
                        },
                        Choice {
                            value: "sante".into(),
                            label: "Santé".into(),
                        },
                    ],
                },
            ),
            q("satisfait", QuestionKind::YesNo),
            why,
            q(
                "note",
                QuestionKind::Scale {
                    min: 0,
                    max: 10,
                    min_label: String::new(),
                    max_label: String::new(),
                },
            ),
            q(
                "age",
                QuestionKind::Profile {
                    field: terrain_model::questionnaire::ProfileField::AgeBand,
                },
            ),
            q(
                "rappel",
                QuestionKind::Consent {
                    purpose: ConsentPurpose::Recontact,
                    statement: "Me recontacter".into(),
                },
            ),
        ],
    })
    .unwrap()
}

async fn fixture(store: &dyn Store, slug: &str) -> Fixture {
    use TerritoryKind::*;
    let audit = Audit::cli();
    let c = store
        .create_campaign(
            &audit,
            &NewCampaign {
                slug: Slug::parse(slug).unwrap(),
                name: slug.into(),
                retention_until: None,
            },
        )
        .await
        .unwrap()
        .id;
    let ts = store
        .upsert_territories(
            &audit,
            c,
            &[
                t(Department, "75", "Paris", None),
                t(Commune, "75056", "Paris", Some((Department, "75"))),
                t(
                    Arrondissement,
                    "75118",
                    "Paris 18e",
                    Some((Commune, "75056")),
                ),
                t(
                    Arrondissement,
                    "75119",
                    "Paris 19e",
                    Some((Commune, "75056")),
                ),
                t(
                    Bureau,
                    "75056_1801",
                    "Bureau 18-01",
                    Some((Arrondissement, "75118")),
                ),
                t(
                    Bureau,
                    "75056_1901",
                    "Bureau 19-01",
                    Some((Arrondissement, "75119")),
                ),
            ],
        )
        .await
        .unwrap();
    let b1801 = ts.iter().find(|t| t.code == "75056_1801").unwrap().clone();
    let b1901 = ts.iter().find(|t| t.code == "75056_1901").unwrap().clone();
    let mut items: Vec<NewAddress> = (1..=6)
        .map(|n| address("75118", n, "Rue Ordener", &b1801))
        .collect();
    items.push(address("75119", 1, "Rue de Crimée", &b1901));
    let ids = store.add_addresses(&audit, c, &items).await.unwrap();
    let mut stops = Vec::new();
    for id in &ids {
        let b = store.buildings(c, *id).await.unwrap();
        stops.push((*id, b[0].id));
    }
    let outside = stops.pop().unwrap();
    let mk = |name: &str| NewUser {
        email: None,
        display_name: name.into(),
        password_hash: None,
        is_admin: false,
    };
    let walker = store.create_user(&audit, &mk("Nadia")).await.unwrap().id;
    let other_walker = store.create_user(&audit, &mk("Yann")).await.unwrap().id;
    let info = store
        .create_questionnaire(&audit, c, "Enquête", &survey())
        .await
        .unwrap();
    let version = store.publish_draft(&audit, c, info.id).await.unwrap().id;
    Fixture {
        c,
        walker,
        other_walker,
        scope: Scope::Within(vec![b1801.path.clone()]),
        stops,
        outside,
        version,
        questionnaire: info.id,
    }
}

fn at(minutes: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_780_000_000).unwrap() + Duration::minutes(minutes)
}

fn visit(stop: (AddressId, BuildingId), door: u32, outcome: Outcome, minute: i64) -> FieldRecord {
    FieldRecord {
        id: Uuid::now_v7(),
        at: at(minute),
        body: RecordBody::Visit(NewVisit {
            address_id: stop.0,
            building_id: stop.1,
            door: Some(Door::Number(door)),
            outcome,
            turf_id: None,
            position: None,
        }),
    }
}

fn answers(pairs: &[(&str, Answer)]) -> BTreeMap<String, Answer> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn good_answers() -> BTreeMap<String, Answer> {
    answers(&[
        ("accord", Answer::Flag(true)),
        ("priorite", Answer::Text("emploi".into())),
        ("satisfait", Answer::Flag(false)),
        (
            "pourquoi",
            Answer::Text("Les transports sont saturés".into()),
        ),
        ("note", Answer::Number(4)),
        ("age", Answer::Text("25-34".into())),
    ])
}

fn response(
    f: &Fixture,
    stop: (AddressId, BuildingId),
    answers: BTreeMap<String, Answer>,
    contact: Option<Contact>,
) -> FieldRecord {
    FieldRecord {
        id: Uuid::now_v7(),
        at: at(5),
        body: RecordBody::Response(NewResponse {
            version_id: f.version,
            address_id: stop.0,
            answers,
            contact,
        }),
    }
}

async fn sync(
    store: &dyn Store,
    f: &Fixture,
    user: UserId,
    device: Uuid,
    records: Vec<FieldRecord>,
) -> Vec<RecordAck> {
    store
        .apply_sync(
            &Audit::api(user),
            f.c,
            user,
            &f.scope,
            &SyncBatch {
                device_id: device,
                records,
            },
        )
        .await
        .unwrap()
}

fn statuses(acks: &[RecordAck]) -> Vec<String> {
    acks.iter()
        .map(|a| match &a.ack {
            Ack::Stored => "stored".to_string(),
            Ack::Duplicate => "duplicate".to_string(),
            Ack::Rejected { code, .. } => code.clone(),
        })
        .collect()
}

pub async fn questionnaires_are_versioned_never_edited_in_place(store: Arc<dyn Store>) {
    let store = &*store;
    let audit = Audit::cli();
    let f = fixture(store, "q-versions").await;
    let gm = Template::GrandeMarche2016.questionnaire();
    let info = store
        .create_questionnaire(&audit, f.c, "  Grande Marche  ", &gm)
        .await
        .unwrap();
    assert_eq!(info.name, "Grande Marche");
    assert_eq!(info.versions.len(), 1);
    assert_eq!(info.versions[0].status, VersionStatus::Draft);
    assert_eq!(info.versions[0].questionnaire, gm);
    // A draft changes in place.
    let edited = survey();
    let v1 = store
        .save_draft(&audit, f.c, info.id, Some("GM 2016"), &edited)
        .await
        .unwrap();
    assert_eq!(
        (v1.number, v1.id, v1.status),
        (1, info.versions[0].id, VersionStatus::Draft)
    );
    // Published, it never changes again: the next change is version 2.
    let p1 = store.publish_draft(&audit, f.c, info.id).await.unwrap();
    assert_eq!((p1.id, p1.status), (v1.id, VersionStatus::Published));
    assert!(p1.published_at.is_some());
    let err = store.publish_draft(&audit, f.c, info.id).await.unwrap_err();
    assert!(
        matches!(
            err,
            StorageError::Invalid {
                what: "questionnaire",
                ..
            }
        ),
        "{err}"
    );
    let v2 = store
        .save_draft(&audit, f.c, info.id, None, &gm)
        .await
        .unwrap();
    assert_eq!((v2.number, v2.status), (2, VersionStatus::Draft));
    let now = store.questionnaire(f.c, info.id).await.unwrap();
    assert_eq!(now.name, "GM 2016");
    assert_eq!(
        now.published().unwrap().questionnaire,
        edited,
        "the published version is untouched"
    );
    assert_eq!(now.draft().unwrap().questionnaire, gm);
    let p2 = store.publish_draft(&audit, f.c, info.id).await.unwrap();
    assert_eq!(p2.number, 2);
    let now = store.questionnaire(f.c, info.id).await.unwrap();
    let st: Vec<_> = now.versions.iter().map(|v| (v.number, v.status)).collect();
    assert_eq!(
        st,
        [(1, VersionStatus::Retired), (2, VersionStatus::Published)]
    );
    let published = store.published_questionnaires(f.c).await.unwrap();
    let names: Vec<_> = published
        .iter()
        .map(|(n, v)| (n.as_str(), v.number))
        .collect();
    assert_eq!(names, [("Enquête", 1), ("GM 2016", 2)]);
    // Names are checked, unknown questionnaires are not found, campaigns are apart.
    assert!(matches!(
        store
            .create_questionnaire(&audit, f.c, "  ", &gm)
            .await
            .unwrap_err(),
        StorageError::Invalid { .. }
    ));
    assert!(matches!(
        store
            .save_draft(&audit, f.c, Uuid::now_v7(), None, &gm)
            .await
            .unwrap_err(),
        StorageError::NotFound {
            what: "questionnaire",
            ..
        }
    ));
    let other = fixture(store, "q-versions-other").await;
    assert!(matches!(
        store.questionnaire(other.c, info.id).await.unwrap_err(),
        StorageError::NotFound { .. }
    ));
    assert_eq!(store.questionnaires(other.c).await.unwrap().len(), 1);
    let log = store.audit_log(f.c, 50, None).await.unwrap();
    assert!(log.iter().any(|e| e.action == "questionnaire.publish"));
}

pub async fn sync_stores_each_record_once(store: Arc<dyn Store>) {
    let store = &*store;
    let f = fixture(store, "sync-once").await;
    let device = Uuid::now_v7();
    let unit = Uuid::now_v7();
    let records = vec![
        FieldRecord {
            id: unit,
            at: at(0),
            body: RecordBody::Unit {
                building_id: f.stops[0].1,
                floor: Some(2),
                label: " Gardien ".into(),
            },
        },
        visit(f.stops[0], 1, Outcome::NotHome, 1),
        visit(f.stops[0], 2, Outcome::QuestionnaireDone, 2),
        FieldRecord {
            id: Uuid::now_v7(),
            at: at(3),
            body: RecordBody::Visit(NewVisit {
                address_id: f.stops[0].0,
                building_id: f.stops[0].1,
                door: Some(Door::Unit(UnitId(unit))),
                outcome: Outcome::DoNotKnock,
                turf_id: Some(Uuid::now_v7()),
                position: Some([2.3447, 48.8924]),
            }),
        },
        response(&f, f.stops[0], good_answers(), None),
        {
            let mut a = good_answers();
            a.insert("rappel".into(), Answer::Flag(true));
            response(
                &f,
                f.stops[1],
                a,
                Some(Contact {
                    name: "M. Dupont".into(),
                    phone: Some("06 12 34 56 78".into()),
                    email: None,
                }),
            )
        },
        FieldRecord {
            id: Uuid::now_v7(),
            at: at(4),
            body: RecordBody::DoorCount {
                building_id: f.stops[1].1,
                doors: 14,
            },
        },
    ];
    let acks = sync(store, &f, f.walker, device, records.clone()).await;
    assert_eq!(statuses(&acks), vec!["stored"; 7]);
    assert_eq!(
        acks.iter().map(|a| a.id).collect::<Vec<_>>(),
        records.iter().map(|r| r.id).collect::<Vec<_>>()
    );
    let p = store.field_progress(f.c, &Scope::Campaign).await.unwrap();
    assert_eq!(
        (
            p.visits,
            p.responses,
            p.doors_visited,
            p.do_not_knock,
            p.recontacts,
            p.walkers
        ),
        (3, 2, 3, 1, 1, 1)
    );
    assert_eq!(p.outcomes.get("not_home"), Some(&1));
    assert_eq!(p.responses_by_version.get(&f.version), Some(&2));
    // The same batch again changes nothing and is acknowledged again.
    let again = sync(store, &f, f.walker, device, records.clone()).await;
    assert_eq!(statuses(&again), vec!["duplicate"; 7]);
    // So does a record twice in one batch.
    let twice = visit(f.stops[2], 1, Outcome::Refused, 9);
    let acks = sync(store, &f, f.walker, device, vec![twice.clone(), twice]).await;
    assert_eq!(statuses(&acks), ["stored", "duplicate"]);
    let p2 = store.field_progress(f.c, &Scope::Campaign).await.unwrap();
    assert_eq!((p2.visits, p2.responses), (4, 2));
    // The door was added, the count corrected.
    let units = store.units(f.c, f.stops[0].1).await.unwrap();
    assert_eq!(units.len(), 1);
    assert_eq!(
        (units[0].id.0, units[0].label.as_str(), units[0].floor),
        (unit, "Gardien", Some(2))
    );
    assert_eq!(
        store.buildings(f.c, f.stops[1].0).await.unwrap()[0].doors,
        14
    );
    // Contact details are kept apart, with the consent statement.
    let contacts = store.recontacts(f.c).await.unwrap();
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0].contact.name, "M. Dupont");
    assert_eq!(contacts[0].statement, "Me recontacter");
    assert_eq!(contacts[0].address_id, Some(f.stops[1].0));
    // The stored response is not under the phone's id, whose UUIDv7 dates it to the minute.
    assert_ne!(contacts[0].response_id, records[5].id);
    assert_ne!(contacts[0].response_id.get_version_num(), 7);
    // The progress of a scope counts only what lies in it.
    let b19 = store
        .territory_by_code(f.c, TerritoryKind::Bureau, "75056_1901")
        .await
        .unwrap();
    let p19 = store
        .field_progress(f.c, &Scope::Within(vec![b19.path.clone()]))
        .await
        .unwrap();
    assert_eq!((p19.visits, p19.responses, p19.recontacts), (0, 0, 0));
    let p18 = store.field_progress(f.c, &f.scope).await.unwrap();
    assert_eq!((p18.visits, p18.responses, p18.do_not_knock), (4, 2, 1));
    // Coverage per bureau: the distinct doors visited, all in bureau 18-01.
    let by_bureau = store.doors_visited_by_bureau(f.c).await.unwrap();
    assert_eq!(by_bureau.len(), 1);
    assert_eq!(by_bureau.values().sum::<u64>(), p2.doors_visited);
    // The responses read back for analysis: in the scope, of the questionnaire asked for.
    let all = store.responses(f.c, &Scope::Campaign, None).await.unwrap();
    assert_eq!(all.len(), 2);
    assert!(
        all.iter()
            .all(|r| r.version_id == f.version && r.bureau_id.is_some())
    );
    assert!(all.windows(2).all(|w| w[0].id < w[1].id));
    assert_eq!(all.iter().filter(|r| r.recontact_consent).count(), 1);
    assert!(all.iter().any(|r| r.id == contacts[0].response_id));
    assert!(all.iter().all(|r| !r.answers.is_empty()));
    assert_eq!(store.responses(f.c, &f.scope, None).await.unwrap(), all);
    let in19 = Scope::Within(vec![b19.path.clone()]);
    assert!(store.responses(f.c, &in19, None).await.unwrap().is_empty());
    let mine = store
        .responses(f.c, &Scope::Campaign, Some(f.questionnaire))
        .await;
    assert_eq!(mine.unwrap(), all);
    let other = store
        .responses(f.c, &Scope::Campaign, Some(Uuid::new_v4()))
        .await;
    assert!(other.unwrap().is_empty());
    // One audit line per batch, with counts and no answers.
    let log = store.audit_log(f.c, 10, None).await.unwrap();
    let sync_lines: Vec<_> = log.iter().filter(|e| e.action == "field.sync").collect();
    assert_eq!(sync_lines.len(), 3);
    assert!(
        !sync_lines
            .iter()
            .any(|e| e.detail.to_string().contains("transports"))
    );
}

pub async fn sync_refuses_what_it_cannot_store(store: Arc<dyn Store>) {
    let store = &*store;
    let f = fixture(store, "sync-refuses").await;
    let audit = Audit::cli();
    let device = Uuid::now_v7();
    let draft = store
        .save_draft(&audit, f.c, f.questionnaire, None, &survey())
        .await
        .unwrap();
    let mut on_draft = response(&f, f.stops[0], good_answers(), None);
    if let RecordBody::Response(r) = &mut on_draft.body {
        r.version_id = draft.id;
    }
    let mut unknown_version = response(&f, f.stops[0], good_answers(), None);
    if let RecordBody::Response(r) = &mut unknown_version.body {
        r.version_id = Uuid::now_v7();
    }
    let mut no_consent = good_answers();
    no_consent.insert("accord".into(), Answer::Flag(false));
    let mut wrong_address = visit(f.stops[0], 1, Outcome::NotHome, 0);
    if let RecordBody::Visit(v) = &mut wrong_address.body {
        v.address_id = f.stops[1].0;
    }
    let records = vec![
        visit((f.stops[0].0, BuildingId::new()), 1, Outcome::NotHome, 0),
        visit(f.outside, 1, Outcome::NotHome, 0),
        wrong_address,
        visit(f.stops[0], 0, Outcome::NotHome, 0),
        on_draft,
        unknown_version,
        response(&f, f.stops[0], no_consent, None),
        response(
            &f,
            f.stops[0],
            good_answers(),
            Some(Contact {
                name: "X".into(),
                phone: Some("0600000000".into()),
                email: None,
            }),
        ),
        response(&f, f.outside, good_answers(), None),
        FieldRecord {
            id: Uuid::now_v7(),
            at: at(0),
            body: RecordBody::Unit {
                building_id: f.stops[0].1,
                floor: None,
                label: "  ".into(),
            },
        },
        FieldRecord {
            id: Uuid::now_v7(),
            at: at(0),
            body: RecordBody::DoorCount {
                building_id: f.outside.1,
                doors: 3,
            },
        },
        visit(f.stops[0], 3, Outcome::Conversation, 0),
    ];
    let acks = sync(store, &f, f.walker, device, records).await;
    assert_eq!(
        statuses(&acks),
        [
            "building_not_found",
            "out_of_scope",
            "invalid_record",
            "invalid_record",
            "questionnaire_not_published",
            "questionnaire_not_found",
            "invalid_answers",
            "contact_without_consent",
            "out_of_scope",
            "invalid_record",
            "out_of_scope",
            "stored",
        ]
    );
    for a in &acks {
        if let Ack::Rejected { message, .. } = &a.ack {
            assert!(!message.is_empty());
        }
    }
    let p = store.field_progress(f.c, &Scope::Campaign).await.unwrap();
    assert_eq!(
        (p.visits, p.responses),
        (1, 0),
        "nothing refused was stored"
    );
    assert_eq!(store.buildings(f.c, f.outside.0).await.unwrap()[0].doors, 8);
    // Another walker cannot replay (or forge) a record under an id already stored…
    let mine = visit(f.stops[2], 1, Outcome::NotHome, 1);
    assert_eq!(
        statuses(&sync(store, &f, f.walker, device, vec![mine.clone()]).await),
        ["stored"]
    );
    let theirs = sync(store, &f, f.other_walker, Uuid::now_v7(), vec![mine]).await;
    assert_eq!(statuses(&theirs), ["record_id_taken"]);
    // …nor upload from a device that is someone else's: the batch is refused whole.
    let err = store
        .apply_sync(
            &Audit::api(f.other_walker),
            f.c,
            f.other_walker,
            &f.scope,
            &SyncBatch {
                device_id: device,
                records: vec![visit(f.stops[3], 1, Outcome::NotHome, 2)],
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, StorageError::Conflict { what: "device", .. }),
        "{err}"
    );
    // Too big a batch is refused before anything is read.
    let big: Vec<_> = (0..=MAX_BATCH)
        .map(|i| visit(f.stops[0], 1, Outcome::NotHome, i as i64))
        .collect();
    let err = store
        .apply_sync(
            &Audit::api(f.walker),
            f.c,
            f.walker,
            &f.scope,
            &SyncBatch {
                device_id: device,
                records: big,
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, StorageError::Invalid { what: "batch", .. }),
        "{err}"
    );
    let p = store.field_progress(f.c, &Scope::Campaign).await.unwrap();
    assert_eq!(p.visits, 2);
    // A version replaced while the phone was offline still takes its answers: they stay with it.
    store
        .publish_draft(&audit, f.c, f.questionnaire)
        .await
        .unwrap();
    let late = response(&f, f.stops[0], good_answers(), None);
    assert_eq!(
        statuses(&sync(store, &f, f.walker, device, vec![late]).await),
        ["stored"]
    );
    let p = store.field_progress(f.c, &Scope::Campaign).await.unwrap();
    assert_eq!(p.responses_by_version.get(&f.version), Some(&1));
}

pub async fn packages_carry_doors_and_their_history(store: Arc<dyn Store>) {
    let store = &*store;
    let f = fixture(store, "packages").await;
    let device_a = Uuid::now_v7();
    let device_b = Uuid::now_v7();
    // Two walkers on the same building: the latest outcome of each door wins, whoever sent it
    // and in whatever order.
    let later = visit(f.stops[0], 1, Outcome::ComeBackLater, 30);
    let earlier = visit(f.stops[0], 1, Outcome::NotHome, 10);
    let dnk = visit(f.stops[0], 4, Outcome::DoNotKnock, 12);
    sync(store, &f, f.walker, device_a, vec![later]).await;
    sync(store, &f, f.other_walker, device_b, vec![earlier, dnk]).await;
    // Door counts: the latest by the phones' clocks, even when it arrives first.
    let count_late = FieldRecord {
        id: Uuid::now_v7(),
        at: at(50),
        body: RecordBody::DoorCount {
            building_id: f.stops[0].1,
            doors: 6,
        },
    };
    let count_early = FieldRecord {
        id: Uuid::now_v7(),
        at: at(40),
        body: RecordBody::DoorCount {
            building_id: f.stops[0].1,
            doors: 20,
        },
    };
    sync(store, &f, f.walker, device_a, vec![count_late]).await;
    sync(store, &f, f.other_walker, device_b, vec![count_early]).await;
    let b1801 = store
        .territory_by_code(f.c, TerritoryKind::Bureau, "75056_1801")
        .await
        .unwrap();
    let stops = store.package_stops(f.c, &b1801.path, 100).await.unwrap();
    assert_eq!(stops.len(), 6);
    let numbers: Vec<_> = stops
        .iter()
        .map(|s| s.address.fields.number.clone().unwrap())
        .collect();
    assert_eq!(
        numbers,
        ["1", "2", "3", "4", "5", "6"],
        "by street and number"
    );
    let first = &stops[0].buildings[0];
    assert_eq!(first.building.doors, 6);
    let doors: Vec<_> = first
        .doors
        .iter()
        .map(|d| (d.door, d.last_outcome, d.do_not_knock))
        .collect();
    assert_eq!(
        doors,
        [
            (Door::Number(1), Some(Outcome::ComeBackLater), false),
            (Door::Number(4), Some(Outcome::DoNotKnock), true)
        ]
    );
    // "Do not knock" stays, whatever comes after.
    sync(
        store,
        &f,
        f.walker,
        device_a,
        vec![visit(f.stops[0], 4, Outcome::Conversation, 60)],
    )
    .await;
    let stops = store.package_stops(f.c, &b1801.path, 100).await.unwrap();
    let d4 = stops[0].buildings[0]
        .doors
        .iter()
        .find(|d| d.door == Door::Number(4))
        .unwrap();
    assert!(d4.do_not_knock);
    assert_eq!(d4.last_outcome, Some(Outcome::Conversation));
    assert!(stops[1].buildings[0].doors.is_empty());
    // The limit holds.
    assert_eq!(
        store
            .package_stops(f.c, &b1801.path, 2)
            .await
            .unwrap()
            .len(),
        2
    );
}

/// A small deterministic generator (SplitMix64): the schedule of each run is reproducible from
/// its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Polls a future at most `polls` times, then drops it: a phone whose battery dies (or whose
/// connection drops) in the middle of an upload. `None` when it was cut.
struct CutAfter<F> {
    inner: Option<Pin<Box<F>>>,
    polls: usize,
}

impl<F: Future> Future for CutAfter<F> {
    type Output = Option<F::Output>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if self.polls == 0 {
            self.inner = None;
            return Poll::Ready(None);
        }
        self.polls -= 1;
        match self.inner.as_mut().map(|f| f.as_mut().poll(cx)) {
            Some(Poll::Ready(v)) => Poll::Ready(Some(v)),
            Some(Poll::Pending) => Poll::Pending,
            None => Poll::Ready(None),
        }
    }
}

/// Two walkers' records, split into batches at random; every batch is sent one to three times,
/// in a shuffled order, some concurrently, some cut off mid-way (then sent again, as the phone
/// retries until acknowledged). Whatever the schedule, each record is stored exactly once:
/// the counts equal the distinct records, no record is acknowledged `stored` twice, every
/// record ends acknowledged, and the building's door count is the latest correction's.
pub async fn sync_converges_under_random_interleavings(store: Arc<dyn Store>) {
    for seed in 1..=6u64 {
        // A fresh campaign per schedule, so that the counts below are exact.
        let f = Arc::new(fixture(&*store, &format!("sync-random-{seed}")).await);
        let mut rng = Rng(seed);
        let walkers = [(f.walker, Uuid::now_v7()), (f.other_walker, Uuid::now_v7())];
        let mut batches: Vec<(usize, Vec<FieldRecord>)> = Vec::new();
        let mut expected_visits = 0u64;
        let mut expected_responses = 0u64;
        let mut latest_count: Option<(OffsetDateTime, Uuid, u32)> = None;
        let count_building = f.stops[4].1;
        for (w, _) in walkers.iter().enumerate() {
            let mut records = Vec::new();
            for i in 0..(20 + rng.below(20)) {
                let stop = f.stops[rng.below(f.stops.len())];
                let minute = (seed as i64) * 1000 + i as i64 * 2 + w as i64;
                let r = match rng.below(10) {
                    0..=5 => {
                        expected_visits += 1;
                        visit(
                            stop,
                            1 + rng.below(8) as u32,
                            Outcome::ALL[rng.below(Outcome::ALL.len())],
                            minute,
                        )
                    }
                    6 | 7 => {
                        expected_responses += 1;
                        let mut r = response(&f, stop, good_answers(), None);
                        r.at = at(minute);
                        r
                    }
                    _ => {
                        let doors = 1 + rng.below(30) as u32;
                        let r = FieldRecord {
                            id: Uuid::now_v7(),
                            at: at(minute),
                            body: RecordBody::DoorCount {
                                building_id: count_building,
                                doors,
                            },
                        };
                        if latest_count.is_none_or(|(a, id, _)| (r.at, r.id) > (a, id)) {
                            latest_count = Some((r.at, r.id, doors));
                        }
                        r
                    }
                };
                records.push(r);
            }
            while !records.is_empty() {
                let n = (1 + rng.below(8)).min(records.len());
                batches.push((w, records.drain(..n).collect()));
            }
        }
        // The delivery schedule: each batch one to three times, shuffled.
        let mut deliveries: Vec<usize> = Vec::new();
        for (i, _) in batches.iter().enumerate() {
            for _ in 0..(1 + rng.below(3)) {
                deliveries.push(i);
            }
        }
        for i in (1..deliveries.len()).rev() {
            deliveries.swap(i, rng.below(i + 1));
        }
        let mut stored_acks: HashMap<Uuid, usize> = HashMap::new();
        let mut acked: std::collections::HashSet<Uuid> = std::collections::HashSet::new();
        let mut pending = deliveries;
        let mut rounds = 0;
        while !pending.is_empty() {
            rounds += 1;
            assert!(rounds < 50, "seed {seed}: deliveries never finished");
            let mut retry = Vec::new();
            let mut i = 0;
            while i < pending.len() {
                // One to three deliveries at once.
                let group: Vec<usize> =
                    pending[i..(i + 1 + rng.below(3)).min(pending.len())].to_vec();
                i += group.len();
                let mut tasks = Vec::new();
                for &b in &group {
                    let (w, records) = batches[b].clone();
                    let (user, device) = walkers[w];
                    let store = store.clone();
                    let f = f.clone();
                    // About one delivery in five is cut off after a few polls.
                    let polls = if rng.below(5) == 0 {
                        1 + rng.below(6)
                    } else {
                        usize::MAX
                    };
                    tasks.push(tokio::spawn(async move {
                        let fut = async move {
                            store
                                .apply_sync(
                                    &Audit::api(user),
                                    f.c,
                                    user,
                                    &f.scope,
                                    &SyncBatch {
                                        device_id: device,
                                        records,
                                    },
                                )
                                .await
                        };
                        CutAfter {
                            inner: Some(Box::pin(fut)),
                            polls,
                        }
                        .await
                    }));
                }
                for (task, &b) in tasks.into_iter().zip(&group) {
                    match task.await.unwrap() {
                        None => retry.push(b),
                        Some(acks) => {
                            for a in acks.unwrap() {
                                match a.ack {
                                    Ack::Stored => *stored_acks.entry(a.id).or_default() += 1,
                                    Ack::Duplicate => {}
                                    Ack::Rejected { code, message } => {
                                        panic!("seed {seed}: {code}: {message}")
                                    }
                                }
                                acked.insert(a.id);
                            }
                        }
                    }
                }
            }
            pending = retry;
        }
        let all: Vec<Uuid> = batches
            .iter()
            .flat_map(|(_, rs)| rs.iter().map(|r| r.id))
            .collect();
        assert!(
            all.iter().all(|id| acked.contains(id)),
            "seed {seed}: a record was never acknowledged"
        );
        assert!(
            stored_acks.values().all(|n| *n == 1),
            "seed {seed}: a record was stored twice"
        );
        let p = store.field_progress(f.c, &Scope::Campaign).await.unwrap();
        assert_eq!(p.responses, expected_responses, "seed {seed}: responses");
        assert_eq!(p.visits, expected_visits, "seed {seed}: visits");
        if let Some((_, _, doors)) = latest_count {
            assert_eq!(
                store.buildings(f.c, f.stops[4].0).await.unwrap()[0].doors,
                doors,
                "seed {seed}: door count"
            );
        }
    }
}

/// Weightings (issue 8): a run with one weight per stored response, read back as the latest;
/// a newer run replaces it; a weight for a response the campaign does not hold, or a weight
/// that is no positive number, stores nothing. The campaign's quota options round-trip.
pub async fn weightings_keep_one_weight_per_response(store: Arc<dyn Store>) {
    use crate::survey::{NewWeighting, QuotaSettings};
    let store = &*store;
    let f = fixture(store, "weights").await;
    assert_eq!(
        store.latest_weights(f.c, f.questionnaire).await.unwrap(),
        None
    );
    let records = (0..3)
        .map(|i| response(&f, f.stops[i], good_answers(), None))
        .collect();
    let acks = sync(store, &f, f.walker, Uuid::now_v7(), records).await;
    assert_eq!(statuses(&acks), vec!["stored"; 3]);
    let responses = store.responses(f.c, &Scope::Campaign, None).await.unwrap();
    assert_eq!(responses.len(), 3);
    let weights: Vec<(Uuid, f64)> = responses
        .iter()
        .zip([1.5, 2.0, 0.25])
        .map(|(r, w)| (r.id, w))
        .collect();
    let new = NewWeighting {
        questionnaire_id: f.questionnaire,
        plan_id: None,
        params: serde_json::json!({"method": "raking"}),
        report: serde_json::json!({"kish_deff": 1.2}),
        weights: weights.clone(),
    };
    let audit = Audit::cli();
    let run = store.save_weighting(&audit, f.c, &new).await.unwrap();
    assert_eq!((run.weighted, run.questionnaire_id), (3, f.questionnaire));
    assert_eq!(run.report["kish_deff"], 1.2);
    let (latest, read) = store
        .latest_weights(f.c, f.questionnaire)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(latest, run);
    let mut sorted = weights.clone();
    sorted.sort_by_key(|(id, _)| *id);
    assert_eq!(read, sorted);
    // Another questionnaire has no weighting.
    assert_eq!(
        store.latest_weighting(f.c, Uuid::now_v7()).await.unwrap(),
        None
    );

    // A newer run, on two responses only, is the latest.
    let second = NewWeighting {
        weights: weights[..2].to_vec(),
        ..new.clone()
    };
    let run2 = store.save_weighting(&audit, f.c, &second).await.unwrap();
    assert!(run2.id > run.id);
    let (latest, read) = store
        .latest_weights(f.c, f.questionnaire)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((latest.id, read.len()), (run2.id, 2));

    // Refused whole: an unknown response, a weight that is no positive number, an unknown
    // questionnaire.
    let mut bad = new.clone();
    bad.weights.push((Uuid::now_v7(), 1.0));
    let err = store.save_weighting(&audit, f.c, &bad).await.unwrap_err();
    assert!(matches!(err, StorageError::NotFound { .. }), "{err}");
    let mut bad = new.clone();
    bad.weights[0].1 = f64::NAN;
    let err = store.save_weighting(&audit, f.c, &bad).await.unwrap_err();
    assert!(matches!(err, StorageError::Invalid { .. }), "{err}");
    let bad = NewWeighting {
        questionnaire_id: Uuid::now_v7(),
        ..new.clone()
    };
    let err = store.save_weighting(&audit, f.c, &bad).await.unwrap_err();
    assert!(matches!(err, StorageError::NotFound { .. }), "{err}");
    let (latest, _) = store
        .latest_weights(f.c, f.questionnaire)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(latest.id, run2.id);
    let log = store.audit_log(f.c, 50, None).await.unwrap();
    assert_eq!(
        log.iter().filter(|e| e.action == "weighting.run").count(),
        2
    );

    // Quota options: defaults, then set and read back; a period ending before it starts is
    // refused.
    assert_eq!(
        store.quota_settings(f.c).await.unwrap(),
        QuotaSettings::default()
    );
    let s = QuotaSettings {
        show_to_walkers: true,
        field_starts_on: Some(time::macros::date!(2027 - 01 - 04)),
        field_ends_on: Some(time::macros::date!(2027 - 02 - 28)),
    };
    assert_eq!(store.set_quota_settings(&audit, f.c, &s).await.unwrap(), s);
    assert_eq!(store.quota_settings(f.c).await.unwrap(), s);
    let backwards = QuotaSettings {
        field_ends_on: Some(time::macros::date!(2026 - 12 - 01)),
        ..s.clone()
    };
    let err = store
        .set_quota_settings(&audit, f.c, &backwards)
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::Invalid { .. }), "{err}");
    assert_eq!(store.quota_settings(f.c).await.unwrap(), s);
}

/// Codebooks are saved and replaced per question; a coder's codes for an answer replace their
/// earlier ones, two coders keep two codings; a coding of a response that is not the
/// campaign's is refused; codings are read per question.
pub async fn codings_are_kept_per_coder_and_question(store: Arc<dyn Store>) {
    let f = fixture(&*store, "diag").await;
    let records: Vec<FieldRecord> = f.stops[..3]
        .iter()
        .map(|s| response(&f, *s, good_answers(), None))
        .collect();
    let acks = sync(&*store, &f, f.walker, Uuid::new_v4(), records).await;
    assert_eq!(statuses(&acks), vec!["stored"; 3]);
    let rs = store
        .responses(f.c, &Scope::Campaign, Some(f.questionnaire))
        .await
        .unwrap();
    assert_eq!(rs.len(), 3);
    // The codebook.
    assert_eq!(
        store
            .codebook(f.c, f.questionnaire, "pourquoi")
            .await
            .unwrap(),
        None
    );
    let book = serde_json::json!([{"id": "T1", "label": "transports"}]);
    let audit = Audit::cli();
    store
        .save_codebook(&audit, f.c, f.questionnaire, "pourquoi", &book)
        .await
        .unwrap();
    let book2 =
        serde_json::json!([{"id": "T1", "label": "transports"}, {"id": "T2", "label": "logement"}]);
    store
        .save_codebook(&audit, f.c, f.questionnaire, "pourquoi", &book2)
        .await
        .unwrap();
    assert_eq!(
        store
            .codebook(f.c, f.questionnaire, "pourquoi")
            .await
            .unwrap(),
        Some(book2.clone())
    );
    assert_eq!(
        store.codebook(f.c, f.questionnaire, "note").await.unwrap(),
        None
    );
    let missing = store
        .save_codebook(&audit, f.c, Uuid::new_v4(), "pourquoi", &book2)
        .await;
    assert!(
        matches!(missing, Err(StorageError::NotFound { .. })),
        "{missing:?}"
    );
    // Codings.
    let coding = |r: usize, coder: UserId, codes: &[&str], flagged: bool| Coding {
        response_id: rs[r].id,
        question: "pourquoi".into(),
        coder,
        codes: codes.iter().map(|c| c.to_string()).collect(),
        flagged,
        coded_at: at(60),
    };
    store
        .save_coding(&audit, f.c, &coding(0, f.walker, &["T1"], false))
        .await
        .unwrap();
    store
        .save_coding(&audit, f.c, &coding(0, f.walker, &["T1", "T2"], true))
        .await
        .unwrap();
    store
        .save_coding(&audit, f.c, &coding(0, f.other_walker, &["T2"], false))
        .await
        .unwrap();
    store
        .save_coding(&audit, f.c, &coding(1, f.walker, &[], false))
        .await
        .unwrap();
    let mut other_q = coding(2, f.walker, &["X"], false);
    other_q.question = "autre".into();
    store.save_coding(&audit, f.c, &other_q).await.unwrap();
    let all = store.codings(f.c, Some("pourquoi")).await.unwrap();
    assert_eq!(all.len(), 3, "{all:?}");
    let mine: Vec<_> = all.iter().filter(|c| c.coder == f.walker).collect();
    assert_eq!(mine.len(), 2);
    let first = mine.iter().find(|c| c.response_id == rs[0].id).unwrap();
    assert_eq!(
        (first.codes.clone(), first.flagged),
        (vec!["T1".to_string(), "T2".to_string()], true)
    );
    assert_eq!(first.coded_at, at(60));
    assert!(
        all.iter()
            .any(|c| c.coder == f.other_walker && c.codes == ["T2"] && !c.flagged)
    );
    assert_eq!(store.codings(f.c, None).await.unwrap().len(), 4);
    let mut stray = coding(0, f.walker, &["T1"], false);
    stray.response_id = Uuid::new_v4();
    let refused = store.save_coding(&audit, f.c, &stray).await;
    assert!(
        matches!(refused, Err(StorageError::NotFound { .. })),
        "{refused:?}"
    );
    // Another campaign sees none of them.
    let g = fixture(&*store, "diag-other").await;
    assert!(store.codings(g.c, None).await.unwrap().is_empty());
    assert_eq!(
        store
            .codebook(g.c, f.questionnaire, "pourquoi")
            .await
            .unwrap(),
        None
    );
}

fn sheet(f: &Fixture, bureau: terrain_model::TerritoryId, n: u32) -> NewPaperResponse {
    NewPaperResponse {
        client_id: Uuid::now_v7(),
        version_id: f.version,
        bureau_id: bureau,
        collected_on: OffsetDateTime::now_utc().date() - Duration::days(2),
        sheet_ref: format!("  F-{n:03}  "),
        answers: good_answers(),
    }
}

async fn key(store: &dyn Store, f: &Fixture, user: UserId, s: &NewPaperResponse) -> PaperKeyed {
    store
        .key_in_paper(&Audit::api(user), f.c, user, &f.scope, s)
        .await
        .unwrap()
}

fn refusal(k: PaperKeyed) -> PaperRefusal {
    match k {
        PaperKeyed::Rejected(r) => r,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

pub async fn paper_sheets_are_keyed_once_and_checked_like_phones(store: Arc<dyn Store>) {
    let store = &*store;
    let f = fixture(store, "paper-sheets").await;
    let b1801 = store
        .territory_by_code(f.c, TerritoryKind::Bureau, "75056_1801")
        .await
        .unwrap();
    let b1901 = store
        .territory_by_code(f.c, TerritoryKind::Bureau, "75056_1901")
        .await
        .unwrap();
    let coordinator = f.walker;
    let first = sheet(&f, b1801.id, 1);
    let stored = match key(store, &f, coordinator, &first).await {
        PaperKeyed::Stored(e) => e,
        other => panic!("{other:?}"),
    };
    assert_eq!(stored.sheet_ref, "F-001", "the sheet number is trimmed");
    assert_eq!(
        (stored.keyed_by, stored.keyed_by_name.as_str()),
        (coordinator, "Nadia")
    );
    assert_eq!(
        (
            stored.bureau_id,
            stored.bureau_code.as_str(),
            stored.version_number
        ),
        (b1801.id.0, "75056_1801", 1)
    );
    assert_eq!(stored.questionnaire_name, "Enquête");
    assert_eq!(stored.collected_on, first.collected_on);
    // The response is a response like a phone's: bureau, day, profile, answers; no IRIS.
    let responses = store.responses(f.c, &f.scope, None).await.unwrap();
    assert_eq!(responses.len(), 1);
    let r = &responses[0];
    assert_eq!(r.id, stored.response_id);
    assert_ne!(
        r.id, first.client_id,
        "the browser's id is not the response's"
    );
    assert_eq!(
        (r.bureau_id, r.iris_id, r.collected_on),
        (Some(b1801.id.0), None, first.collected_on)
    );
    assert_eq!(r.profile.age_band.as_deref(), Some("25-34"));
    assert_eq!(r.answers, good_answers());
    let progress = store.field_progress(f.c, &f.scope).await.unwrap();
    assert_eq!(
        progress.responses, 1,
        "a paper response counts like a phone's"
    );
    // Keyed again (a double submit): the same entry, nothing more stored.
    match key(store, &f, coordinator, &first).await {
        PaperKeyed::Duplicate(e) => assert_eq!(e, stored),
        other => panic!("{other:?}"),
    }
    assert_eq!(store.responses(f.c, &f.scope, None).await.unwrap().len(), 1);
    // The same client id from someone else is refused.
    assert_eq!(
        refusal(key(store, &f, f.other_walker, &first).await).code,
        "client_id_taken"
    );

    // The phone's checks, with the question at fault named.
    let mut bad = sheet(&f, b1801.id, 2);
    bad.answers
        .insert("priorite".into(), Answer::Text("logement".into()));
    let r = refusal(key(store, &f, coordinator, &bad).await);
    assert_eq!(
        (r.code, r.question.as_deref()),
        ("invalid_answers", Some("priorite"))
    );
    assert!(r.message.contains("logement"), "{}", r.message);
    let mut hidden = sheet(&f, b1801.id, 2);
    hidden
        .answers
        .insert("satisfait".into(), Answer::Flag(true));
    let r = refusal(key(store, &f, coordinator, &hidden).await);
    assert_eq!(
        (r.code, r.question.as_deref()),
        ("invalid_answers", Some("pourquoi"))
    );
    let mut unknown = sheet(&f, b1801.id, 2);
    unknown.answers.insert("couleur".into(), Answer::Number(3));
    let r = refusal(key(store, &f, coordinator, &unknown).await);
    assert_eq!(r.question.as_deref(), Some("couleur"));
    let mut wrong_type = sheet(&f, b1801.id, 2);
    wrong_type
        .answers
        .insert("note".into(), Answer::Text("4".into()));
    let r = refusal(key(store, &f, coordinator, &wrong_type).await);
    assert_eq!(r.question.as_deref(), Some("note"));
    let mut no_consent = sheet(&f, b1801.id, 2);
    no_consent.answers.remove("accord");
    assert_eq!(
        refusal(key(store, &f, coordinator, &no_consent).await)
            .question
            .as_deref(),
        Some("accord")
    );
    // The paper's own checks.
    let code = |k: PaperKeyed| refusal(k).code;
    let outside = sheet(&f, b1901.id, 3);
    assert_eq!(
        code(key(store, &f, coordinator, &outside).await),
        "out_of_scope"
    );
    let arrondissement = store
        .territory_by_code(f.c, TerritoryKind::Arrondissement, "75118")
        .await
        .unwrap();
    assert_eq!(
        code(key(store, &f, coordinator, &sheet(&f, arrondissement.id, 3)).await),
        "not_a_bureau"
    );
    assert_eq!(
        code(
            key(
                store,
                &f,
                coordinator,
                &sheet(&f, terrain_model::TerritoryId(Uuid::now_v7()), 3)
            )
            .await
        ),
        "territory_not_found"
    );
    let mut future = sheet(&f, b1801.id, 3);
    future.collected_on = OffsetDateTime::now_utc().date() + Duration::days(3);
    assert_eq!(
        code(key(store, &f, coordinator, &future).await),
        "invalid_date"
    );
    let mut ancient = sheet(&f, b1801.id, 3);
    ancient.collected_on = OffsetDateTime::now_utc().date() - Duration::days(800);
    assert_eq!(
        code(key(store, &f, coordinator, &ancient).await),
        "invalid_date"
    );
    let mut unnumbered = sheet(&f, b1801.id, 3);
    unnumbered.sheet_ref = "   ".into();
    assert_eq!(
        code(key(store, &f, coordinator, &unnumbered).await),
        "invalid_sheet_ref"
    );
    let mut unknown_version = sheet(&f, b1801.id, 3);
    unknown_version.version_id = Uuid::now_v7();
    assert_eq!(
        code(key(store, &f, coordinator, &unknown_version).await),
        "questionnaire_not_found"
    );
    let draft = store
        .create_questionnaire(&Audit::cli(), f.c, "Brouillon", &survey())
        .await
        .unwrap();
    let mut drafted = sheet(&f, b1801.id, 3);
    drafted.version_id = draft.versions[0].id;
    assert_eq!(
        code(key(store, &f, coordinator, &drafted).await),
        "questionnaire_not_published"
    );
    // A campaign-wide keyer may key the 19th; nothing refused was stored.
    let other = sheet(&f, b1901.id, 4);
    let entry = match store
        .key_in_paper(&Audit::cli(), f.c, f.other_walker, &Scope::Campaign, &other)
        .await
        .unwrap()
    {
        PaperKeyed::Stored(e) => e,
        k => panic!("{k:?}"),
    };
    let all = store.responses(f.c, &Scope::Campaign, None).await.unwrap();
    assert_eq!(all.len(), 2);

    // Listed newest first, within the scope, paginated.
    let (list, total) = store
        .paper_entries(f.c, &Scope::Campaign, 10, 0)
        .await
        .unwrap();
    assert_eq!(total, 2);
    assert_eq!(
        list.iter().map(|e| e.response_id).collect::<Vec<_>>(),
        [entry.response_id, stored.response_id]
    );
    let (page, total) = store
        .paper_entries(f.c, &Scope::Campaign, 1, 1)
        .await
        .unwrap();
    assert_eq!(
        (page.len(), total, page[0].response_id),
        (1, 2, stored.response_id)
    );
    let (mine, total) = store.paper_entries(f.c, &f.scope, 10, 0).await.unwrap();
    assert_eq!((mine.len(), total), (1, 1));
    assert_eq!(mine[0], stored);
    assert_eq!(
        store
            .paper_entry(f.c, entry.response_id)
            .await
            .unwrap()
            .bureau_path,
        b1901.path
    );
    // Every stored sheet left an audit line; answers are not in it.
    let audit = store.audit_log(f.c, 100, None).await.unwrap();
    let keyed: Vec<_> = audit
        .iter()
        .filter(|l| l.action == "paper.key_in")
        .collect();
    assert_eq!(keyed.len(), 2);
    assert!(!keyed[0].detail.to_string().contains("emploi"));
}

pub async fn voided_paper_sheets_take_their_weights_along(store: Arc<dyn Store>) {
    use crate::survey::NewWeighting;
    let store = &*store;
    let f = fixture(store, "paper-void").await;
    let b1801 = store
        .territory_by_code(f.c, TerritoryKind::Bureau, "75056_1801")
        .await
        .unwrap();
    let acks = sync(
        store,
        &f,
        f.walker,
        Uuid::now_v7(),
        vec![response(&f, f.stops[0], good_answers(), None)],
    )
    .await;
    assert_eq!(statuses(&acks), ["stored"]);
    let phone = store.responses(f.c, &Scope::Campaign, None).await.unwrap()[0].id;
    let entry = match key(store, &f, f.walker, &sheet(&f, b1801.id, 7)).await {
        PaperKeyed::Stored(e) => e,
        k => panic!("{k:?}"),
    };
    store
        .save_weighting(
            &Audit::cli(),
            f.c,
            &NewWeighting {
                questionnaire_id: f.questionnaire,
                plan_id: None,
                params: serde_json::json!({}),
                report: serde_json::json!({}),
                weights: vec![(phone, 1.0), (entry.response_id, 2.0)],
            },
        )
        .await
        .unwrap();
    // A purge of personal data keeps the anonymous responses, paper ones with their entry;
    // erasure on request concerns respondents who left contact details, which paper has not.
    store
        .purge_campaign(
            &Audit::cli(),
            f.c,
            crate::privacy::PurgeReason::Manual,
            false,
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .paper_entry(f.c, entry.response_id)
            .await
            .unwrap()
            .sheet_ref,
        "F-007"
    );
    assert_eq!(
        store
            .responses(f.c, &Scope::Campaign, None)
            .await
            .unwrap()
            .len(),
        2
    );
    assert!(matches!(
        store
            .erase_respondent(&Audit::cli(), f.c, entry.response_id)
            .await,
        Err(StorageError::NotFound { .. })
    ));
    // A phone response cannot be voided as a paper one.
    assert!(matches!(
        store.void_paper_entry(&Audit::cli(), f.c, phone).await,
        Err(StorageError::NotFound { .. })
    ));
    store
        .void_paper_entry(&Audit::api(f.walker), f.c, entry.response_id)
        .await
        .unwrap();
    assert!(matches!(
        store.paper_entry(f.c, entry.response_id).await,
        Err(StorageError::NotFound { .. })
    ));
    assert!(matches!(
        store
            .void_paper_entry(&Audit::cli(), f.c, entry.response_id)
            .await,
        Err(StorageError::NotFound { .. })
    ));
    let left: Vec<Uuid> = store
        .responses(f.c, &Scope::Campaign, None)
        .await
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(left, [phone]);
    let (_, weights) = store
        .latest_weights(f.c, f.questionnaire)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        weights,
        [(phone, 1.0)],
        "the voided sheet's weight went with it"
    );
    assert_eq!(
        store
            .paper_entries(f.c, &Scope::Campaign, 10, 0)
            .await
            .unwrap()
            .1,
        0
    );
    let audit = store.audit_log(f.c, 100, None).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|l| l.action == "paper.void" && l.target == entry.response_id.to_string())
    );
}
