//! Questionnaires: what a walker asks at the door, and the checks an answered questionnaire
//! must pass before it is stored.
//!
//! A [`Definition`] is what a director writes (questions, script, conditions); it becomes a
//! [`Questionnaire`] only through [`Questionnaire::parse`], which checks every rule and says
//! where a rule is broken (`questions[3] (age): …`). Answers are checked against the
//! questionnaire by [`Questionnaire::check`], which also pulls out what representativeness
//! needs (the respondent's profile) and the consents, so that storage never re-reads answers.
//!
//! The respondent profile uses fixed codes: sex, age band, occupation in INSEE's PCS 2020
//! groups (*groupes socioprofessionnels*), postcode. Their codes are chosen here, not by the
//! director, so that every questionnaire of every campaign can be weighted the same way.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The longest open answer accepted when a question does not say.
pub const DEFAULT_OPEN_MAX: u32 = 2000;
/// The most questions a questionnaire may hold.
pub const MAX_QUESTIONS: usize = 200;

/// A questionnaire as written by a director: the script read at the door and the questions.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    #[serde(default)]
    pub script: Script,
    pub questions: Vec<Question>,
}

/// What the walker says and keeps in mind, shown before the questions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    /// The opening words at the door.
    #[serde(default)]
    pub intro: String,
    /// Talking points: short reminders (what the campaign stands for, how answers are used).
    #[serde(default)]
    pub talking_points: Vec<String>,
    /// The closing words.
    #[serde(default)]
    pub closing: String,
}

/// One question.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Question {
    /// A short stable name (`a-z`, digits, `_`), used to store and analyse answers.
    pub key: String,
    /// The question as read to the respondent.
    pub text: String,
    /// A hint for the walker (not read aloud).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub help: String,
    /// Whether the questionnaire cannot be saved without an answer (when the question shows).
    #[serde(default)]
    pub required: bool,
    /// Shown only when an earlier answer is one of some values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_if: Option<Condition>,
    #[serde(flatten)]
    pub kind: QuestionKind,
}

/// The kinds of question.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum QuestionKind {
    /// One option among several.
    SingleChoice { options: Vec<Choice> },
    /// Any number of options (at most `max_choices` when given).
    MultipleChoice {
        options: Vec<Choice>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_choices: Option<u32>,
    },
    /// A whole number from `min` to `max` (within 0–10).
    Scale {
        #[serde(default)]
        min: u8,
        #[serde(default = "ten")]
        max: u8,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        min_label: String,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        max_label: String,
    },
    /// Yes or no.
    YesNo,
    /// Free text, typed (or dictated through the phone's keyboard).
    Open {
        #[serde(default = "open_max")]
        max_length: u32,
    },
    /// A part of the respondent's profile, with fixed codes.
    Profile { field: ProfileField },
    /// A consent, answered yes or no; `statement` is what the respondent agrees to, kept
    /// with the consent record.
    Consent {
        purpose: ConsentPurpose,
        statement: String,
    },
}

fn ten() -> u8 {
    10
}

fn open_max() -> u32 {
    DEFAULT_OPEN_MAX
}

impl QuestionKind {
    /// The stable name of the kind (`single_choice`, `open`…).
    pub fn name(&self) -> &'static str {
        match self {
            QuestionKind::SingleChoice { .. } => "single_choice",
            QuestionKind::MultipleChoice { .. } => "multiple_choice",
            QuestionKind::Scale { .. } => "scale",
            QuestionKind::YesNo => "yes_no",
            QuestionKind::Open { .. } => "open",
            QuestionKind::Profile { .. } => "profile",
            QuestionKind::Consent { .. } => "consent",
        }
    }

    /// The values a condition may name for this kind, or `None` when conditions on it make no
    /// sense (open answers, postcodes).
    fn condition_values(&self) -> Option<BTreeSet<String>> {
        match self {
            QuestionKind::SingleChoice { options }
            | QuestionKind::MultipleChoice { options, .. } => {
                Some(options.iter().map(|o| o.value.clone()).collect())
            }
            QuestionKind::Scale { min, max, .. } => {
                Some((*min..=*max).map(|v| v.to_string()).collect())
            }
            QuestionKind::YesNo | QuestionKind::Consent { .. } => {
                Some(["yes".to_string(), "no".to_string()].into())
            }
            QuestionKind::Profile { field } => {
                let codes = field.codes();
                (!codes.is_empty()).then(|| codes.iter().map(|(c, _)| c.to_string()).collect())
            }
            QuestionKind::Open { .. } => None,
        }
    }
}

/// An option of a choice question.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    /// The stored value (`transport`).
    pub value: String,
    /// What the walker reads (`Les transports`).
    pub label: String,
}

/// "Show this question when question `question` was answered with one of `any_of`". Values are
/// written as text: option values, `yes`/`no`, scale numbers (`"7"`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub question: String,
    pub any_of: Vec<String>,
}

/// The parts of a respondent's profile that representativeness needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileField {
    Sex,
    AgeBand,
    /// Occupation, in INSEE's PCS 2020 groups.
    Occupation,
    Postcode,
}

/// The answer code for "does not wish to say", accepted by every coded profile field.
pub const NO_ANSWER: &str = "nsp";

const SEX_CODES: &[(&str, &str)] = &[
    ("f", "Femme"),
    ("m", "Homme"),
    (NO_ANSWER, "Autre / ne souhaite pas répondre"),
];

const AGE_CODES: &[(&str, &str)] = &[
    ("18-24", "18 à 24 ans"),
    ("25-34", "25 à 34 ans"),
    ("35-49", "35 à 49 ans"),
    ("50-64", "50 à 64 ans"),
    ("65+", "65 ans et plus"),
    (NO_ANSWER, "Ne souhaite pas répondre"),
];

/// INSEE PCS 2020, the eight *groupes socioprofessionnels*.
const PCS_CODES: &[(&str, &str)] = &[
    ("1", "Agriculteurs exploitants"),
    ("2", "Artisans, commerçants, chefs d’entreprise"),
    ("3", "Cadres et professions intellectuelles supérieures"),
    ("4", "Professions intermédiaires"),
    ("5", "Employés"),
    ("6", "Ouvriers"),
    ("7", "Retraités"),
    (
        "8",
        "Autres sans activité professionnelle (étudiants, chômeurs n’ayant jamais travaillé…)",
    ),
    (NO_ANSWER, "Ne souhaite pas répondre"),
];

impl ProfileField {
    /// Every profile field.
    pub const ALL: [ProfileField; 4] = [
        ProfileField::Sex,
        ProfileField::AgeBand,
        ProfileField::Occupation,
        ProfileField::Postcode,
    ];

    /// The codes and French labels of the field (empty for the postcode, typed freely).
    pub fn codes(self) -> &'static [(&'static str, &'static str)] {
        match self {
            ProfileField::Sex => SEX_CODES,
            ProfileField::AgeBand => AGE_CODES,
            ProfileField::Occupation => PCS_CODES,
            ProfileField::Postcode => &[],
        }
    }

    /// The stable name (`age_band`…).
    pub fn as_str(self) -> &'static str {
        match self {
            ProfileField::Sex => "sex",
            ProfileField::AgeBand => "age_band",
            ProfileField::Occupation => "occupation",
            ProfileField::Postcode => "postcode",
        }
    }

    /// Whether `value` is a valid answer: one of the codes, or five digits for the postcode.
    pub fn accepts(self, value: &str) -> bool {
        match self {
            ProfileField::Postcode => {
                value == NO_ANSWER
                    || (value.len() == 5 && value.bytes().all(|b| b.is_ascii_digit()))
            }
            other => other.codes().iter().any(|(c, _)| *c == value),
        }
    }
}

/// What a consent question asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentPurpose {
    /// Processing the answers for this survey. Without it, nothing is stored.
    Survey,
    /// Being contacted again: only then are contact details kept (apart from the answers).
    Recontact,
}

/// A rule of questionnaires broken, and where.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {reason}")]
pub struct DefinitionError {
    /// `questions[3] (age)`, `script.intro`…
    pub location: String,
    pub reason: String,
}

/// A checked questionnaire definition. Only [`Questionnaire::parse`] makes one.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Questionnaire(Definition);

fn valid_key(k: &str) -> bool {
    let mut chars = k.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && k.len() <= 40
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl Questionnaire {
    /// Checks every rule of a definition: keys well-formed and unique; texts present; choice
    /// questions with at least two distinct options; scales within 0–10; each profile field and
    /// consent purpose at most once; conditions pointing back at an earlier question and naming
    /// values it can take. Texts are trimmed.
    pub fn parse(mut def: Definition) -> Result<Self, DefinitionError> {
        let err = |location: String, reason: &str| DefinitionError {
            location,
            reason: reason.to_string(),
        };
        def.script.intro = def.script.intro.trim().to_string();
        def.script.closing = def.script.closing.trim().to_string();
        for (name, text) in [
            ("script.intro", &def.script.intro),
            ("script.closing", &def.script.closing),
        ] {
            if text.chars().count() > 5000 {
                return Err(err(name.into(), "is longer than 5,000 characters"));
            }
        }
        def.script.talking_points = def
            .script
            .talking_points
            .iter()
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .collect();
        if def.script.talking_points.len() > 30 {
            return Err(err(
                "script.talking_points".into(),
                "more than 30 talking points",
            ));
        }
        if let Some(i) = def
            .script
            .talking_points
            .iter()
            .position(|p| p.chars().count() > 1000)
        {
            return Err(err(
                format!("script.talking_points[{i}]"),
                "is longer than 1,000 characters",
            ));
        }
        if def.questions.is_empty() {
            return Err(err(
                "questions".into(),
                "a questionnaire needs at least one question",
            ));
        }
        if def.questions.len() > MAX_QUESTIONS {
            return Err(err("questions".into(), "more than 200 questions"));
        }
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut profiles = BTreeSet::new();
        let mut consents = BTreeSet::new();
        for i in 0..def.questions.len() {
            let q = &mut def.questions[i];
            q.key = q.key.trim().to_string();
            q.text = q.text.trim().to_string();
            q.help = q.help.trim().to_string();
            let at = format!("questions[{i}] ({})", q.key);
            if !valid_key(&q.key) {
                return Err(err(
                    at,
                    "the key must start with a letter and use only a-z, 0-9 and _ (40 at most)",
                ));
            }
            if seen.contains_key(&q.key) {
                return Err(err(at, "another question has the same key"));
            }
            if q.text.is_empty() {
                return Err(err(at, "the question has no text"));
            }
            if q.text.chars().count() > 1000 || q.help.chars().count() > 1000 {
                return Err(err(at, "the text or help is longer than 1,000 characters"));
            }
            match &mut q.kind {
                QuestionKind::SingleChoice { options }
                | QuestionKind::MultipleChoice { options, .. } => {
                    let mut values = BTreeSet::new();
                    for o in options.iter_mut() {
                        o.value = o.value.trim().to_string();
                        o.label = o.label.trim().to_string();
                        if o.value.is_empty() || o.value.chars().count() > 60 || o.label.is_empty()
                        {
                            return Err(err(
                                at,
                                "every option needs a value (60 characters at most) and a label",
                            ));
                        }
                        if !values.insert(o.value.clone()) {
                            return Err(err(
                                at,
                                &format!("the option value {:?} appears twice", o.value),
                            ));
                        }
                    }
                    if options.len() < 2 {
                        return Err(err(at, "a choice question needs at least two options"));
                    }
                    if options.len() > 50 {
                        return Err(err(at, "more than 50 options"));
                    }
                }
                QuestionKind::Scale { min, max, .. } => {
                    if *max > 10 || *min >= *max {
                        return Err(err(
                            at,
                            "a scale goes from min to max within 0–10, with min below max",
                        ));
                    }
                }
                QuestionKind::Open { max_length } => {
                    if *max_length == 0 || *max_length > 5000 {
                        return Err(err(at, "max_length must be between 1 and 5,000"));
                    }
                }
                QuestionKind::Profile { field } => {
                    if !profiles.insert(*field) {
                        return Err(err(
                            at,
                            &format!("the profile field {} is asked twice", field.as_str()),
                        ));
                    }
                }
                QuestionKind::Consent { purpose, statement } => {
                    *statement = statement.trim().to_string();
                    if statement.is_empty() {
                        return Err(err(
                            at,
                            "a consent question needs the text the respondent agrees to",
                        ));
                    }
                    if !consents.insert(*purpose) {
                        return Err(err(at, "the same consent is asked twice"));
                    }
                }
                QuestionKind::YesNo => {}
            }
            if let QuestionKind::MultipleChoice {
                options,
                max_choices: Some(m),
            } = &q.kind
                && (*m == 0 || *m as usize > options.len())
            {
                return Err(err(
                    at,
                    "max_choices must be between 1 and the number of options",
                ));
            }
            let condition = q.show_if.clone();
            if let Some(cond) = condition {
                let Some(&target) = seen.get(&cond.question) else {
                    return Err(err(
                        at,
                        &format!(
                            "the condition names {:?}, which is not an earlier question",
                            cond.question
                        ),
                    ));
                };
                let target = &def.questions[target];
                let Some(allowed) = target.kind.condition_values() else {
                    return Err(err(
                        at,
                        &format!(
                            "a condition cannot depend on {:?} (free text)",
                            cond.question
                        ),
                    ));
                };
                if cond.any_of.is_empty() {
                    return Err(err(at, "the condition names no value"));
                }
                if let Some(v) = cond.any_of.iter().find(|v| !allowed.contains(*v)) {
                    return Err(err(
                        at,
                        &format!(
                            "the condition's value {v:?} is not an answer of {:?}",
                            target.key
                        ),
                    ));
                }
            }
            seen.insert(def.questions[i].key.clone(), i);
        }
        Ok(Questionnaire(def))
    }

    /// The definition.
    pub fn definition(&self) -> &Definition {
        &self.0
    }

    /// The question with this key.
    pub fn question(&self, key: &str) -> Option<&Question> {
        self.0.questions.iter().find(|q| q.key == key)
    }

    /// The consent question for `purpose`, when the questionnaire has one.
    pub fn consent(&self, purpose: ConsentPurpose) -> Option<&Question> {
        self.0
            .questions
            .iter()
            .find(|q| matches!(&q.kind, QuestionKind::Consent { purpose: p, .. } if *p == purpose))
    }

    /// Checks answers against the questionnaire: every key is a question, every value fits its
    /// question, no hidden question is answered, every visible required question is, and the
    /// survey consent (when asked) was given. Returns the answers with the profile and
    /// consents pulled out.
    pub fn check(&self, answers: &BTreeMap<String, Answer>) -> Result<CheckedAnswers, AnswerError> {
        for key in answers.keys() {
            if self.question(key).is_none() {
                return Err(AnswerError::new(
                    key,
                    "is not a question of this questionnaire",
                ));
            }
        }
        let mut out = CheckedAnswers::default();
        let mut visible: HashMap<&str, bool> = HashMap::new();
        for q in &self.0.questions {
            let shown = match &q.show_if {
                None => true,
                Some(c) => {
                    visible.get(c.question.as_str()).copied().unwrap_or(false)
                        && answers
                            .get(&c.question)
                            .is_some_and(|a| a.matches_any(&c.any_of))
                }
            };
            visible.insert(&q.key, shown);
            let answer = answers.get(&q.key);
            let Some(answer) = answer else {
                if shown && q.required {
                    return Err(AnswerError::new(&q.key, "is required and has no answer"));
                }
                if shown
                    && matches!(
                        q.kind,
                        QuestionKind::Consent {
                            purpose: ConsentPurpose::Survey,
                            ..
                        }
                    )
                {
                    return Err(AnswerError::new(
                        &q.key,
                        "the consent to the survey was not recorded",
                    ));
                }
                continue;
            };
            if !shown {
                return Err(AnswerError::new(
                    &q.key,
                    "is answered but its condition hides it",
                ));
            }
            let bad = |why: &str| AnswerError::new(&q.key, why);
            match (&q.kind, answer) {
                (QuestionKind::SingleChoice { options }, Answer::Text(v)) => {
                    if !options.iter().any(|o| &o.value == v) {
                        return Err(bad(&format!("{v:?} is not one of its options")));
                    }
                }
                (
                    QuestionKind::MultipleChoice {
                        options,
                        max_choices,
                    },
                    Answer::Choices(vs),
                ) => {
                    let distinct: BTreeSet<&String> = vs.iter().collect();
                    if distinct.len() != vs.len() {
                        return Err(bad("an option is chosen twice"));
                    }
                    if let Some(v) = vs.iter().find(|v| !options.iter().any(|o| &o.value == *v)) {
                        return Err(bad(&format!("{v:?} is not one of its options")));
                    }
                    if max_choices.is_some_and(|m| vs.len() > m as usize) {
                        return Err(bad("too many options are chosen"));
                    }
                }
                (QuestionKind::Scale { min, max, .. }, Answer::Number(n)) => {
                    if *n < i64::from(*min) || *n > i64::from(*max) {
                        return Err(bad(&format!("{n} is outside {min}–{max}")));
                    }
                }
                (QuestionKind::YesNo, Answer::Flag(_)) => {}
                (QuestionKind::Open { max_length }, Answer::Text(t)) => {
                    if t.trim().is_empty() {
                        return Err(bad("the answer is empty"));
                    }
                    if t.chars().count() > *max_length as usize {
                        return Err(bad(&format!(
                            "the answer is longer than {max_length} characters"
                        )));
                    }
                }
                (QuestionKind::Profile { field }, Answer::Text(v)) => {
                    if !field.accepts(v) {
                        return Err(bad(&format!("{v:?} is not a valid {}", field.as_str())));
                    }
                    let v = (v != NO_ANSWER).then(|| v.clone());
                    match field {
                        ProfileField::Sex => out.profile.sex = v,
                        ProfileField::AgeBand => out.profile.age_band = v,
                        ProfileField::Occupation => out.profile.occupation = v,
                        ProfileField::Postcode => out.profile.postcode = v,
                    }
                }
                (QuestionKind::Consent { purpose, .. }, Answer::Flag(given)) => match purpose {
                    ConsentPurpose::Survey => {
                        if !given {
                            return Err(bad(
                                "the respondent refused the survey: nothing may be stored",
                            ));
                        }
                        out.survey_consent = true;
                    }
                    ConsentPurpose::Recontact => out.recontact_consent = *given,
                },
                (kind, _) => {
                    return Err(bad(&format!(
                        "the answer does not fit a {} question",
                        kind.name()
                    )));
                }
            }
            out.answers.insert(q.key.clone(), answer.clone());
        }
        Ok(out)
    }
}

impl<'de> Deserialize<'de> for Questionnaire {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Questionnaire::parse(Definition::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// One answer, as JSON writes it: text (a choice, a profile code, free text), a list of
/// choices, a number (scales), or yes/no.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Answer {
    Flag(bool),
    Number(i64),
    Text(String),
    Choices(Vec<String>),
}

impl Answer {
    /// Whether the answer is one of `values` (for conditions): a choice among them, `yes`/`no`
    /// for a flag, a number written as text.
    pub fn matches_any(&self, values: &[String]) -> bool {
        match self {
            Answer::Text(t) => values.iter().any(|v| v == t),
            Answer::Choices(cs) => cs.iter().any(|c| values.contains(c)),
            Answer::Number(n) => values.iter().any(|v| *v == n.to_string()),
            Answer::Flag(b) => values.iter().any(|v| v == if *b { "yes" } else { "no" }),
        }
    }
}

/// An answer that does not fit its questionnaire.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("answer to {question:?}: {reason}")]
pub struct AnswerError {
    pub question: String,
    pub reason: String,
}

impl AnswerError {
    fn new(question: &str, reason: &str) -> Self {
        Self {
            question: question.to_string(),
            reason: reason.to_string(),
        }
    }
}

/// The respondent's profile: coded answers, `None` when not asked or not given.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RespondentProfile {
    pub sex: Option<String>,
    pub age_band: Option<String>,
    /// PCS 2020 group, `1`–`8`.
    pub occupation: Option<String>,
    pub postcode: Option<String>,
}

/// Answers that passed [`Questionnaire::check`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckedAnswers {
    pub answers: BTreeMap<String, Answer>,
    pub profile: RespondentProfile,
    /// True when the questionnaire asked for consent to the survey and it was given.
    pub survey_consent: bool,
    /// True only when the respondent agreed to be contacted again.
    pub recontact_consent: bool,
}

/// The ready-made questionnaires a director can start from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Template {
    /// Eight open questions on the model of the 2016 Grande Marche, with the profile and the
    /// two consents.
    #[serde(rename = "grande_marche_2016")]
    GrandeMarche2016,
}

impl Template {
    /// Every template.
    pub const ALL: [Template; 1] = [Template::GrandeMarche2016];

    /// The name a new questionnaire gets.
    pub fn name(self) -> &'static str {
        match self {
            Template::GrandeMarche2016 => "Grande Marche (modèle 2016)",
        }
    }

    /// The template's questionnaire.
    pub fn questionnaire(self) -> Questionnaire {
        match self {
            Template::GrandeMarche2016 => grande_marche(),
        }
    }
}

fn open(key: &str, text: &str, help: &str) -> Question {
    Question {
        key: key.into(),
        text: text.into(),
        help: help.into(),
        required: false,
        show_if: None,
        kind: QuestionKind::Open {
            max_length: DEFAULT_OPEN_MAX,
        },
    }
}

fn profile(key: &str, text: &str, field: ProfileField) -> Question {
    Question {
        key: key.into(),
        text: text.into(),
        help: String::new(),
        required: false,
        show_if: None,
        kind: QuestionKind::Profile { field },
    }
}

/// The Grande Marche of spring 2016: volunteers knocked on doors with a two-page questionnaire
/// of eight open questions ("Qu'est-ce qui marche en France ? Qu'est-ce qui ne marche pas ?"),
/// analysed afterwards as a diagnostic of the country. The wording here follows what the press
/// reported of it; directors adapt it.
fn grande_marche() -> Questionnaire {
    let def = Definition {
        script: Script {
            intro: "Bonjour, je m’appelle … Je suis bénévole et nous faisons le tour du quartier pour \
                    écouter les habitants : qu’est-ce qui marche, qu’est-ce qui ne marche pas en \
                    France ? Cela prend dix minutes, vos réponses sont anonymes."
                .into(),
            talking_points: vec![
                "Nous ne venons rien vendre : nous venons écouter.".into(),
                "Les réponses sont anonymes : elles ne sont pas rattachées à votre adresse.".into(),
                "Toutes les réponses seront lues et serviront à établir un diagnostic du pays.".into(),
                "Vous pouvez arrêter à tout moment ou ne pas répondre à une question.".into(),
            ],
            closing: "Merci beaucoup pour votre temps et vos réponses. Bonne journée !".into(),
        },
        questions: vec![
            Question {
                key: "consentement".into(),
                text: "Acceptez-vous que vos réponses, anonymes, soient enregistrées et analysées pour cette enquête ?".into(),
                help: "Sans cet accord, ne rien noter : remerciez et passez à la porte suivante.".into(),
                required: true,
                show_if: None,
                kind: QuestionKind::Consent {
                    purpose: ConsentPurpose::Survey,
                    statement: "Mes réponses, sans mon nom ni mon adresse, sont enregistrées et analysées pour cette enquête.".into(),
                },
            },
            open("ce_qui_marche", "Selon vous, qu’est-ce qui marche en France ?", "Laissez la personne parler ; notez ses mots."),
            open("ce_qui_ne_marche_pas", "Et qu’est-ce qui ne marche pas ?", ""),
            open("meilleur_moment", "Quel a été pour vous le meilleur moment de ces derniers mois ?", ""),
            open("vie_quotidienne", "Quelles difficultés rencontrez-vous dans votre vie de tous les jours ?", ""),
            open("demande_politique", "Si vous aviez une chose à demander aux responsables politiques, ce serait laquelle ?", ""),
            open("espoirs", "Qu’est-ce qui vous donne de l’espoir pour les années à venir ?", ""),
            open("craintes", "Et qu’est-ce qui vous inquiète le plus ?", ""),
            open("engagement", "Qu’est-ce qui vous donnerait envie de vous engager, dans votre quartier ou ailleurs ?", ""),
            profile("sexe", "Sexe", ProfileField::Sex),
            profile("age", "Tranche d’âge", ProfileField::AgeBand),
            profile("profession", "Profession (catégorie)", ProfileField::Occupation),
            profile("code_postal", "Code postal", ProfileField::Postcode),
            Question {
                key: "recontact".into(),
                text: "Souhaitez-vous être recontacté·e pour connaître les résultats ou participer à la suite ?".into(),
                help: "Seulement si la personne le demande : ses coordonnées seront conservées à part de ses réponses.".into(),
                required: false,
                show_if: None,
                kind: QuestionKind::Consent {
                    purpose: ConsentPurpose::Recontact,
                    statement: "J’accepte d’être recontacté·e par la campagne ; mes coordonnées sont conservées à part de mes réponses et effacées à la fin de la campagne.".into(),
                },
            },
        ],
    };
    // The template is written above and checked by a test: it cannot fail to parse.
    Questionnaire(def)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(key: &str, kind: QuestionKind) -> Question {
        Question {
            key: key.into(),
            text: format!("Question {key} ?"),
            help: String::new(),
            required: false,
            show_if: None,
            kind,
        }
    }

    fn choices(vs: &[&str]) -> Vec<Choice> {
        vs.iter()
            .map(|v| Choice {
                value: v.to_string(),
                label: v.to_uppercase(),
            })
            .collect()
    }

    fn def(questions: Vec<Question>) -> Definition {
        Definition {
            script: Script::default(),
            questions,
        }
    }

    fn answers(pairs: &[(&str, Answer)]) -> BTreeMap<String, Answer> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn the_template_is_a_valid_questionnaire_with_eight_open_questions() {
        let t = Template::GrandeMarche2016.questionnaire();
        let again = Questionnaire::parse(t.definition().clone()).unwrap();
        assert_eq!(again, t);
        let open = t
            .definition()
            .questions
            .iter()
            .filter(|q| matches!(q.kind, QuestionKind::Open { .. }))
            .count();
        assert_eq!(open, 8);
        assert!(t.consent(ConsentPurpose::Survey).is_some());
        assert!(t.consent(ConsentPurpose::Recontact).is_some());
    }

    #[test]
    fn definitions_round_trip_through_json_shapes() {
        let t = Template::GrandeMarche2016.questionnaire();
        let json = serde_json::to_string(&t).unwrap();
        assert!(json.contains(r#""kind":"open""#), "{json}");
        let back: Questionnaire = serde_json::from_str(&json).unwrap();
        assert_eq!(back, t);
        // Defaults fill what a builder may leave out.
        let d: Definition = serde_json::from_str(
            r#"{"questions":[{"key":"note","text":"Note ?","kind":"scale"},{"key":"avis","text":"Avis ?","kind":"open"}]}"#,
        )
        .unwrap();
        assert_eq!(
            d.questions[0].kind,
            QuestionKind::Scale {
                min: 0,
                max: 10,
                min_label: String::new(),
                max_label: String::new()
            }
        );
        assert_eq!(
            d.questions[1].kind,
            QuestionKind::Open {
                max_length: DEFAULT_OPEN_MAX
            }
        );
        assert!(serde_json::from_str::<Definition>(r#"{"questions":[],"extra":1}"#).is_err());
    }

    #[test]
    fn broken_rules_say_where() {
        let cases: Vec<(Definition, &str)> = vec![
            (def(vec![]), "questions"),
            (
                def(vec![q("Bad Key", QuestionKind::YesNo)]),
                "questions[0] (Bad Key)",
            ),
            (
                def(vec![
                    q("a", QuestionKind::YesNo),
                    q("a", QuestionKind::YesNo),
                ]),
                "questions[1] (a)",
            ),
            (
                def(vec![q(
                    "c",
                    QuestionKind::SingleChoice {
                        options: choices(&["x"]),
                    },
                )]),
                "questions[0] (c)",
            ),
            (
                def(vec![q(
                    "c",
                    QuestionKind::SingleChoice {
                        options: choices(&["x", "x"]),
                    },
                )]),
                "questions[0] (c)",
            ),
            (
                def(vec![q(
                    "s",
                    QuestionKind::Scale {
                        min: 0,
                        max: 11,
                        min_label: String::new(),
                        max_label: String::new(),
                    },
                )]),
                "questions[0] (s)",
            ),
            (
                def(vec![
                    q(
                        "p",
                        QuestionKind::Profile {
                            field: ProfileField::Sex,
                        },
                    ),
                    q(
                        "p2",
                        QuestionKind::Profile {
                            field: ProfileField::Sex,
                        },
                    ),
                ]),
                "questions[1] (p2)",
            ),
            (
                def(vec![q(
                    "m",
                    QuestionKind::MultipleChoice {
                        options: choices(&["a", "b"]),
                        max_choices: Some(3),
                    },
                )]),
                "questions[0] (m)",
            ),
        ];
        for (d, at) in cases {
            let e = Questionnaire::parse(d.clone()).unwrap_err();
            assert_eq!(e.location, at, "{e} for {d:?}");
        }
        let mut empty_text = q("t", QuestionKind::YesNo);
        empty_text.text = "   ".into();
        assert!(Questionnaire::parse(def(vec![empty_text])).is_err());
    }

    #[test]
    fn conditions_point_back_at_answerable_questions() {
        let mut later = q("b", QuestionKind::Open { max_length: 100 });
        later.show_if = Some(Condition {
            question: "a".into(),
            any_of: vec!["yes".into()],
        });
        // Forward reference.
        let e = Questionnaire::parse(def(vec![later.clone(), q("a", QuestionKind::YesNo)]))
            .unwrap_err();
        assert!(e.reason.contains("not an earlier question"), "{e}");
        // A value the question cannot take.
        let mut wrong = later.clone();
        wrong.show_if = Some(Condition {
            question: "a".into(),
            any_of: vec!["peut-être".into()],
        });
        let e = Questionnaire::parse(def(vec![q("a", QuestionKind::YesNo), wrong])).unwrap_err();
        assert!(e.reason.contains("peut-être"), "{e}");
        // On free text.
        let mut on_open = later.clone();
        on_open.show_if = Some(Condition {
            question: "a".into(),
            any_of: vec!["x".into()],
        });
        let e = Questionnaire::parse(def(vec![
            q("a", QuestionKind::Open { max_length: 10 }),
            on_open,
        ]))
        .unwrap_err();
        assert!(e.reason.contains("free text"), "{e}");
        // On a scale value.
        let mut on_scale = later;
        on_scale.show_if = Some(Condition {
            question: "a".into(),
            any_of: vec!["9".into(), "10".into()],
        });
        Questionnaire::parse(def(vec![
            q(
                "a",
                QuestionKind::Scale {
                    min: 0,
                    max: 10,
                    min_label: String::new(),
                    max_label: String::new(),
                },
            ),
            on_scale,
        ]))
        .unwrap();
    }

    fn survey() -> Questionnaire {
        let mut why = q("pourquoi", QuestionKind::Open { max_length: 20 });
        why.show_if = Some(Condition {
            question: "vote".into(),
            any_of: vec!["no".into()],
        });
        why.required = true;
        let mut themes = q(
            "themes",
            QuestionKind::MultipleChoice {
                options: choices(&["emploi", "sante", "ecole"]),
                max_choices: Some(2),
            },
        );
        themes.required = true;
        Questionnaire::parse(def(vec![
            q(
                "ok",
                QuestionKind::Consent {
                    purpose: ConsentPurpose::Survey,
                    statement: "D’accord".into(),
                },
            ),
            q("vote", QuestionKind::YesNo),
            why,
            themes,
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
                    field: ProfileField::AgeBand,
                },
            ),
            q(
                "cp",
                QuestionKind::Profile {
                    field: ProfileField::Postcode,
                },
            ),
            q(
                "rappel",
                QuestionKind::Consent {
                    purpose: ConsentPurpose::Recontact,
                    statement: "Me rappeler".into(),
                },
            ),
        ]))
        .unwrap()
    }

    #[test]
    fn good_answers_pass_and_the_profile_is_pulled_out() {
        let s = survey();
        let a = answers(&[
            ("ok", Answer::Flag(true)),
            ("vote", Answer::Flag(false)),
            ("pourquoi", Answer::Text("Pas le temps".into())),
            (
                "themes",
                Answer::Choices(vec!["emploi".into(), "sante".into()]),
            ),
            ("note", Answer::Number(7)),
            ("age", Answer::Text("35-49".into())),
            ("cp", Answer::Text("75018".into())),
            ("rappel", Answer::Flag(true)),
        ]);
        let c = s.check(&a).unwrap();
        assert!(c.survey_consent && c.recontact_consent);
        assert_eq!(c.profile.age_band.as_deref(), Some("35-49"));
        assert_eq!(c.profile.postcode.as_deref(), Some("75018"));
        assert_eq!(c.profile.sex, None);
        assert_eq!(c.answers.len(), 8);
        // "Does not wish to say" is kept as an answer but not as a profile value.
        let mut a2 = a.clone();
        a2.insert("age".into(), Answer::Text(NO_ANSWER.into()));
        a2.insert("vote".into(), Answer::Flag(true));
        a2.remove("pourquoi");
        let c2 = s.check(&a2).unwrap();
        assert_eq!(c2.profile.age_band, None);
    }

    #[test]
    fn bad_answers_name_their_question() {
        let s = survey();
        let base = answers(&[
            ("ok", Answer::Flag(true)),
            ("vote", Answer::Flag(true)),
            ("themes", Answer::Choices(vec!["emploi".into()])),
        ]);
        s.check(&base).unwrap();
        let bad: Vec<(&str, Answer, &str)> = vec![
            ("inconnue", Answer::Flag(true), "inconnue"),
            ("note", Answer::Number(11), "note"),
            ("note", Answer::Text("7".into()), "note"),
            (
                "themes",
                Answer::Choices(vec!["emploi".into(), "emploi".into()]),
                "themes",
            ),
            (
                "themes",
                Answer::Choices(vec!["emploi".into(), "sante".into(), "ecole".into()]),
                "themes",
            ),
            ("themes", Answer::Choices(vec!["loisirs".into()]), "themes"),
            ("age", Answer::Text("30-40".into()), "age"),
            ("cp", Answer::Text("7501".into()), "cp"),
            // Hidden: "pourquoi" shows only when vote = no.
            ("pourquoi", Answer::Text("x".into()), "pourquoi"),
            ("ok", Answer::Flag(false), "ok"),
        ];
        for (k, v, at) in bad {
            let mut a = base.clone();
            a.insert(k.into(), v.clone());
            let e = s.check(&a).unwrap_err();
            assert_eq!(e.question, at, "{k} = {v:?}: {e}");
        }
        // Required when shown.
        let mut a = base.clone();
        a.insert("vote".into(), Answer::Flag(false));
        assert_eq!(s.check(&a).unwrap_err().question, "pourquoi");
        a.insert(
            "pourquoi".into(),
            Answer::Text("trop long pour la limite de vingt".into()),
        );
        assert_eq!(s.check(&a).unwrap_err().question, "pourquoi");
        // The survey consent must be there.
        let mut a = base.clone();
        a.remove("ok");
        assert_eq!(s.check(&a).unwrap_err().question, "ok");
    }

    #[test]
    fn profile_codes_accept_their_values() {
        assert!(ProfileField::Occupation.accepts("3"));
        assert!(!ProfileField::Occupation.accepts("9"));
        assert!(ProfileField::Sex.accepts(NO_ANSWER));
        assert!(ProfileField::Postcode.accepts("20090"));
        assert!(!ProfileField::Postcode.accepts("2A004"));
        for f in ProfileField::ALL {
            assert!(f.accepts(NO_ANSWER), "{f:?}");
        }
    }
}
