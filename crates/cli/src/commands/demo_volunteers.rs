//! The demo's organisation (issue 6): sign-ups placed by postcode in the 18th and 19th (one of
//! them signed up twice), walkers of the 18th, a past training with attendance and validated
//! skills, an upcoming one, a team, a sortie that took place and one next Saturday.

use anyhow::Context;
use terrain_model::{
    Availability, CampaignId, Email, Phone, Postcode, Role, TerritoryKind, UserId, VolunteerId,
    VolunteerStatus,
};
use terrain_store::{
    Attendance, Audit, NewMember, NewSignup, NewSortie, NewTeam, NewTraining, NewUser,
    ParticipantStatus, ParticipantUpdate, Store, TerritoryQuery, VolunteerUpdate,
};
use time::{Duration, OffsetDateTime, Weekday};

/// What the demo organisation needs from the accounts already made.
#[derive(Debug, Clone, Copy)]
pub struct DemoPeople {
    pub coord18: UserId,
    pub coord19: UserId,
    pub trainer18: UserId,
    pub walker18: UserId,
}

/// A demo sign-up: name, e-mail, phone, postcode, availability.
type Signup = (
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
    &'static [&'static str],
);

const SIGNUPS: [Signup; 9] = [
    (
        "Inès Haddad",
        "ines.haddad@exemple.fr",
        Some("06 12 34 56 78"),
        "75018",
        &["saturday_morning", "weekday_evening"],
    ),
    (
        "Marc Dubois",
        "marc.dubois@exemple.fr",
        None,
        "75018",
        &["saturday_morning", "sunday_morning"],
    ),
    (
        "Aïcha Traoré",
        "aicha.traore@exemple.fr",
        Some("07 61 22 33 44"),
        "75018",
        &["weekday_evening"],
    ),
    (
        "Julien Roux",
        "julien.roux@exemple.fr",
        None,
        "75018",
        &["saturday_afternoon"],
    ),
    // The same person as the first, signing up again with another spelling.
    (
        "Ines Haddad",
        "Ines.Haddad+terrain@exemple.fr",
        Some("+33 6 12 34 56 78"),
        "75018",
        &["saturday_morning"],
    ),
    (
        "Paul Nguyen",
        "paul.nguyen@exemple.fr",
        None,
        "75019",
        &["saturday_morning"],
    ),
    (
        "Fatou Diallo",
        "fatou.diallo@exemple.fr",
        Some("06 98 76 54 32"),
        "75019",
        &["sunday_morning", "weekday_evening"],
    ),
    (
        "Hugo Martin",
        "hugo.martin@exemple.fr",
        None,
        "75019",
        &["weekday_daytime"],
    ),
    (
        "Chloé Bernard",
        "chloe.bernard@exemple.fr",
        None,
        "33000",
        &["saturday_morning"],
    ),
];

/// The next `weekday` strictly after `from`, at `hour` UTC.
fn next(from: OffsetDateTime, weekday: Weekday, hour: u8) -> OffsetDateTime {
    let mut d = from.date() + Duration::days(1);
    while d.weekday() != weekday {
        d += Duration::days(1);
    }
    d.with_hms(hour, 0, 0).unwrap_or(d.midnight()).assume_utc()
}

/// Fills the demo campaign with its volunteers, trainings, team and sorties.
pub async fn seed(
    store: &dyn Store,
    audit: &Audit,
    c: CampaignId,
    p: DemoPeople,
) -> anyhow::Result<()> {
    let a18 = store
        .territory_by_code(c, TerritoryKind::Arrondissement, "75118")
        .await?;
    let mut signups = Vec::new();
    for (name, email, phone, postcode, slots) in SIGNUPS {
        let v = store
            .sign_up(
                audit,
                c,
                &NewSignup {
                    display_name: name.into(),
                    email: Some(Email::parse(email)?),
                    phone: phone.map(Phone::parse).transpose()?,
                    postcode: Postcode::parse(postcode)?,
                    availability: Availability::from_slots(slots).map_err(anyhow::Error::msg)?,
                    consent_contact: true,
                },
            )
            .await
            .with_context(|| format!("sign-up of {name}"))?;
        signups.push(v.id);
    }
    // Karim called Inès and Marc; Sophie called Paul.
    for (i, by) in [(0, p.coord18), (1, p.coord18), (5, p.coord19)] {
        store
            .update_volunteer(
                &Audit::api(by),
                c,
                signups[i],
                &VolunteerUpdate {
                    status: Some(VolunteerStatus::Contacted),
                    recruited_by: Some(by),
                    ..Default::default()
                },
            )
            .await?;
    }
    // Walkers of the 18th who joined earlier (no e-mail: they joined with an invite).
    let mut walkers = vec![VolunteerId(p.walker18.0)];
    for name in ["Nadia", "Yann", "Samir"] {
        let u = store
            .create_user(
                audit,
                &NewUser {
                    email: None,
                    display_name: name.into(),
                    password_hash: None,
                    is_admin: false,
                },
            )
            .await?;
        store
            .add_member(
                audit,
                c,
                &NewMember {
                    user_id: u.id,
                    role: Role::Walker,
                    territories: vec![a18.id],
                    recruited_by: Some(p.coord18),
                    trained_by: None,
                },
            )
            .await?;
        walkers.push(VolunteerId(u.id.0));
    }
    let now = OffsetDateTime::now_utc();
    let programme: Vec<String> = [
        "Se présenter à la porte",
        "Écouter sans contredire",
        "Répondre aux objections",
        "Remplir le questionnaire",
        "Appeler un·e bénévole pour le faire venir",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    let trainer = Audit::api(p.trainer18);
    let past_start = now - Duration::days(10);
    let past = store
        .create_training(
            &trainer,
            c,
            &NewTraining {
                title: "Porte-à-porte : les bases".into(),
                territory_id: a18.id,
                starts_at: past_start,
                ends_at: past_start + Duration::hours(2),
                place: Some("Local de campagne, 12 rue Ordener".into()),
                video_url: None,
                capacity: 12,
                programme: programme.clone(),
                trainer_id: Some(p.trainer18),
            },
        )
        .await?;
    // Léa, Nadia and Yann came and were validated; Samir did not come.
    for (i, v) in walkers.iter().enumerate() {
        store.register(&trainer, c, past.id, *v).await?;
        let came = i < 3;
        store
            .record_attendance(
                &trainer,
                c,
                past.id,
                *v,
                &Attendance {
                    attended: came,
                    skills: if came { programme.clone() } else { vec![] },
                    validated: came,
                },
            )
            .await?;
    }
    let soon = next(now, Weekday::Wednesday, 17);
    let upcoming = store
        .create_training(
            &trainer,
            c,
            &NewTraining {
                title: "Porte-à-porte : jeux de rôle".into(),
                territory_id: a18.id,
                starts_at: soon,
                ends_at: soon + Duration::hours(2),
                place: Some("Local de campagne, 12 rue Ordener".into()),
                video_url: Some("https://visio.exemple.fr/formation-18".into()),
                capacity: 10,
                programme,
                trainer_id: Some(p.trainer18),
            },
        )
        .await?;
    for v in [signups[0], signups[1], walkers[3]] {
        store.register(&trainer, c, upcoming.id, v).await?;
    }
    let bureaux = store
        .territories(
            c,
            &TerritoryQuery {
                parent: Some(a18.id),
                kind: Some(TerritoryKind::Bureau),
                limit: 200,
                ..Default::default()
            },
        )
        .await?;
    let pick = |n: usize| bureaux.get(n).map(|b| b.id);
    let areas: Vec<_> = [pick(0), pick(1)].into_iter().flatten().collect();
    if areas.is_empty() {
        return Ok(());
    }
    let coord = Audit::api(p.coord18);
    let team = store
        .create_team(
            &coord,
            c,
            &NewTeam {
                name: "Équipe Marcadet".into(),
                territory_id: a18.id,
                members: walkers[..3].to_vec(),
            },
        )
        .await?;
    let last_saturday = next(now - Duration::days(14), Weekday::Saturday, 8);
    let done = store
        .create_sortie(
            &coord,
            c,
            &NewSortie {
                title: "Samedi matin rue Ordener".into(),
                territory_id: a18.id,
                starts_at: last_saturday,
                ends_at: last_saturday + Duration::hours(3),
                meeting_point: "Métro Jules Joffrin, sortie mairie".into(),
                meeting_lonlat: Some((2.3443, 48.8925)),
                areas: areas.clone(),
                team_id: Some(team.id),
                open_signup: false,
                min_per_area: 2,
                notes: None,
            },
        )
        .await?;
    for v in &walkers[..3] {
        store
            .set_participant(
                &coord,
                c,
                done.id,
                *v,
                &ParticipantUpdate {
                    status: Some(ParticipantStatus::Accepted),
                    attended: Some(true),
                    ..Default::default()
                },
            )
            .await?;
    }
    let saturday = next(now, Weekday::Saturday, 8);
    let upcoming = store
        .create_sortie(
            &coord,
            c,
            &NewSortie {
                title: "Porte-à-porte à Marcadet".into(),
                territory_id: a18.id,
                starts_at: saturday,
                ends_at: saturday + Duration::hours(3),
                meeting_point: "Métro Marcadet-Poissonniers, sortie 1".into(),
                meeting_lonlat: Some((2.3497, 48.8913)),
                areas,
                team_id: Some(team.id),
                open_signup: true,
                min_per_area: 2,
                notes: Some("Apportez de l’eau et une pièce d’identité.".into()),
            },
        )
        .await?;
    // Nadia already said yes; Léa has not answered yet.
    store
        .set_participant(
            &Audit::api(UserId(walkers[1].0)),
            c,
            upcoming.id,
            walkers[1],
            &ParticipantUpdate {
                status: Some(ParticipantStatus::Accepted),
                ..Default::default()
            },
        )
        .await?;
    Ok(())
}
