//! The printable questionnaire: a version on paper, for the days a walker has no phone (part
//! of the 2016 Grande Marche was collected so). One self-contained HTML page, ready to print on
//! A4, in French: boxes for the sheet number, the bureau de vote and the day, the script, each
//! question numbered as the keying screen numbers it, drawn for a pen (tick boxes, 0–10 boxes,
//! lines), the conditions as "go to question X" notes, the profile and the consents.

use super::walk_sheet::{esc, french_datetime};
use std::fmt::Write as _;
use terrain_model::Questionnaire;
use terrain_model::questionnaire::{ConsentPurpose, ProfileField, Question, QuestionKind};
use terrain_store::VersionStatus;
use time::OffsetDateTime;

/// What the page says besides the questionnaire.
#[derive(Debug)]
pub struct FormContext<'a> {
    pub campaign: &'a str,
    pub questionnaire: &'a str,
    pub version: u32,
    pub status: VersionStatus,
    pub now: OffsetDateTime,
}

/// How a stored value reads on paper (`yes` → `Oui`, an option → its label).
fn value_label(kind: &QuestionKind, value: &str) -> String {
    let found = match kind {
        QuestionKind::SingleChoice { options } | QuestionKind::MultipleChoice { options, .. } => {
            options
                .iter()
                .find(|o| o.value == value)
                .map(|o| o.label.clone())
        }
        QuestionKind::YesNo | QuestionKind::Consent { .. } => match value {
            "yes" => Some("Oui".into()),
            "no" => Some("Non".into()),
            _ => None,
        },
        QuestionKind::Profile { field } => field
            .codes()
            .iter()
            .find(|(c, _)| *c == value)
            .map(|(_, l)| l.to_string()),
        QuestionKind::Scale { .. } | QuestionKind::Open { .. } => None,
    };
    found.unwrap_or_else(|| value.to_string())
}

/// `« Oui »` or `« Emploi » ou « Santé »`.
fn values_text(kind: &QuestionKind, values: &[String]) -> String {
    values
        .iter()
        .map(|v| format!("« {} »", value_label(kind, v)))
        .collect::<Vec<_>>()
        .join(" ou ")
}

/// Tick boxes, one per `(label)`, on one or several lines.
fn ticks<'a>(labels: impl IntoIterator<Item = &'a str>, column: bool) -> String {
    let mut s = format!(
        r#"<div class="ticks{}">"#,
        if column { " column" } else { "" }
    );
    for l in labels {
        let _ = write!(s, r#"<span class="tick"><i></i>{}</span>"#, esc(l));
    }
    s.push_str("</div>");
    s
}

/// The part of a question a pen fills in.
fn answer_area(kind: &QuestionKind) -> String {
    match kind {
        QuestionKind::SingleChoice { options } => format!(
            r#"<div class="how">Une seule réponse.</div>{}"#,
            ticks(options.iter().map(|o| o.label.as_str()), options.len() > 4)
        ),
        QuestionKind::MultipleChoice {
            options,
            max_choices,
        } => format!(
            r#"<div class="how">Plusieurs réponses possibles{}.</div>{}"#,
            max_choices.map_or(String::new(), |m| format!(" ({m} au plus)")),
            ticks(options.iter().map(|o| o.label.as_str()), options.len() > 4)
        ),
        QuestionKind::Scale {
            min,
            max,
            min_label,
            max_label,
        } => {
            let mut s = String::from(r#"<div class="how">Entourez une note.</div><div class="scale">"#);
            if !min_label.is_empty() {
                let _ = write!(s, r#"<span class="end">{}</span>"#, esc(min_label));
            }
            for n in *min..=*max {
                let _ = write!(s, r#"<span class="num">{n}</span>"#);
            }
            if !max_label.is_empty() {
                let _ = write!(s, r#"<span class="end">{}</span>"#, esc(max_label));
            }
            s.push_str("</div>");
            s
        }
        QuestionKind::YesNo => ticks(["Oui", "Non"], false),
        QuestionKind::Open { max_length } => {
            let lines = (*max_length / 150).clamp(3, 8);
            let mut s = String::from(r#"<div class="lines">"#);
            for _ in 0..lines {
                s.push_str("<span></span>");
            }
            s.push_str("</div>");
            s
        }
        QuestionKind::Profile {
            field: ProfileField::Postcode,
        } => r#"<div class="digits"><span></span><span></span><span></span><span></span><span></span></div><div class="how">Ou cochez : </div>"#
            .to_string()
            + &ticks(["Ne souhaite pas répondre"], false),
        QuestionKind::Profile { field } => ticks(
            field.codes().iter().map(|(_, l)| *l),
            field.codes().len() > 4,
        ),
        QuestionKind::Consent { statement, .. } => format!(
            r#"<blockquote>{}</blockquote>{}"#,
            esc(statement),
            ticks(["Oui", "Non"], false)
        ),
    }
}

/// The questionnaire as a complete HTML page.
pub fn render(q: &Questionnaire, ctx: &FormContext<'_>) -> String {
    let def = q.definition();
    let number_of = |key: &str| {
        def.questions
            .iter()
            .position(|x| x.key == key)
            .map_or(0, |i| i + 1)
    };
    let status = match ctx.status {
        VersionStatus::Published => "",
        VersionStatus::Draft => " · <b>brouillon</b> (ne pas utiliser sur le terrain)",
        VersionStatus::Retired => " · <b>version retirée</b>",
    };
    let mut h = String::with_capacity(12 * 1024 + def.questions.len() * 800);
    let _ = write!(
        h,
        r#"<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Questionnaire — {name}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
@page {{ size: A4; margin: 12mm; }}
* {{ box-sizing: border-box; }}
body {{ font-family: "DejaVu Sans", Arial, sans-serif; color: #1c2321; margin: 0 auto; max-width: 190mm; font-size: 10.5pt; line-height: 1.35; }}
header {{ display: flex; justify-content: space-between; align-items: baseline; gap: 12px; border-bottom: 2px solid #1c2321; margin-bottom: 8px; }}
h1 {{ font-size: 16pt; margin: 6px 0 2px; }}
h2 {{ font-size: 11pt; text-transform: uppercase; letter-spacing: .03em; margin: 12px 0 4px; border-bottom: 1px solid #999; }}
.muted {{ color: #555; font-size: 9pt; }}
.boxes {{ display: grid; grid-template-columns: 1fr 1.4fr 1.2fr; gap: 6px; margin: 6px 0 8px; }}
.field {{ border: 1.5px solid #1c2321; padding: 3px 6px 18px; font-size: 9pt; }}
.field b {{ display: block; }}
.script {{ border: 1px solid #999; padding: 4px 10px; font-size: 9.5pt; }}
.script p {{ margin: 4px 0; }}
.script ul {{ margin: 2px 0 4px 18px; padding: 0; }}
ol.questions {{ list-style: none; padding: 0; margin: 0; }}
ol.questions > li {{ break-inside: avoid; page-break-inside: avoid; border-bottom: 1px solid #ccc; padding: 6px 0 7px; }}
.q {{ font-weight: 700; }}
.q .n {{ display: inline-block; min-width: 2.1em; }}
.req {{ color: #b3261e; }}
.help {{ color: #555; font-size: 9pt; margin-left: 2.1em; }}
.only {{ font-size: 9pt; margin: 2px 0 0 2.1em; font-style: italic; }}
.goto {{ font-size: 9pt; margin: 3px 0 0 2.1em; padding: 1px 6px; border-left: 3px solid #1f7a5c; }}
.how {{ font-size: 8.5pt; color: #555; margin: 2px 0 0 2.1em; }}
.ticks {{ display: flex; flex-wrap: wrap; gap: 4px 18px; margin: 4px 0 0 2.1em; }}
.ticks.column {{ display: grid; grid-template-columns: 1fr 1fr; }}
.tick {{ display: inline-flex; align-items: center; gap: 6px; }}
.tick i {{ display: inline-block; width: 4mm; height: 4mm; border: 1.2px solid #1c2321; flex: none; }}
.scale {{ display: flex; align-items: center; gap: 4px; margin: 4px 0 0 2.1em; flex-wrap: wrap; }}
.scale .num {{ display: inline-block; width: 7mm; height: 7mm; border: 1.2px solid #1c2321; border-radius: 50%; text-align: center; line-height: 6.6mm; font-size: 9pt; }}
.scale .end {{ font-size: 8.5pt; color: #555; max-width: 28mm; }}
.lines {{ margin: 2px 0 0 2.1em; }}
.lines span {{ display: block; height: 7mm; border-bottom: 1px dotted #777; }}
.digits {{ display: inline-flex; gap: 2px; margin: 4px 0 0 2.1em; }}
.digits span {{ width: 6mm; height: 7mm; border: 1.2px solid #1c2321; display: inline-block; }}
.digits + .how {{ display: inline-block; margin-left: 8px; }}
.digits ~ .ticks {{ display: inline-flex; margin-left: 4px; }}
blockquote {{ margin: 4px 0 0 2.1em; padding: 3px 8px; border-left: 3px solid #999; font-size: 9.5pt; }}
li.profile, li.consent {{ background: #f5f7f6; padding-left: 4px; padding-right: 4px; }}
footer {{ margin-top: 10px; font-size: 8.5pt; color: #555; border-top: 1px solid #999; padding-top: 4px; }}
@media screen {{ body {{ padding: 12px; }} }}
@media print {{ a {{ color: inherit; text-decoration: none; }} }}
</style></head><body>
<header><div><h1>{name}</h1><div class="muted">{campaign} · version {version}{status}</div></div>
<div class="muted">Questionnaire papier · imprimé le {printed}</div></header>
<section class="boxes"><div class="field"><b>N° de fiche</b></div><div class="field"><b>Bureau de vote (code)</b></div><div class="field"><b>Date</b> ___ / ___ / 20___</div></section>
"#,
        name = esc(ctx.questionnaire),
        campaign = esc(ctx.campaign),
        version = ctx.version,
        printed = french_datetime(ctx.now),
    );
    let s = &def.script;
    if !s.intro.is_empty() || !s.talking_points.is_empty() || !s.closing.is_empty() {
        h.push_str(r#"<h2>À dire à la porte</h2><section class="script">"#);
        if !s.intro.is_empty() {
            let _ = write!(h, "<p><b>Pour commencer :</b> {}</p>", esc(&s.intro));
        }
        if !s.talking_points.is_empty() {
            h.push_str("<p><b>À garder en tête :</b></p><ul>");
            for p in &s.talking_points {
                let _ = write!(h, "<li>{}</li>", esc(p));
            }
            h.push_str("</ul>");
        }
        if !s.closing.is_empty() {
            let _ = write!(h, "<p><b>Pour finir :</b> {}</p>", esc(&s.closing));
        }
        h.push_str("</section>");
    }
    h.push_str(r#"<h2>Questions</h2><ol class="questions">"#);
    for (i, question) in def.questions.iter().enumerate() {
        h.push_str(&question_item(i + 1, question, def, &number_of));
    }
    h.push_str("</ol>\n");
    let recontact = q.consent(ConsentPurpose::Recontact).is_some();
    let _ = write!(
        h,
        r#"<footer>Les questions marquées <span class="req">*</span> sont obligatoires ; une question précédée d’une condition ne se pose que si la condition est remplie. Ne notez ni le nom ni l’adresse de la personne sur cette fiche{}. Rendez la fiche à votre coordinateur ou coordinatrice, qui la saisira dans Terrain (« Saisie papier ») avec son numéro.</footer>
</body></html>
"#,
        if recontact {
            " : la saisie papier ne reprend pas de coordonnées"
        } else {
            ""
        }
    );
    h
}

/// One numbered question with its answer area and its conditions, both ways.
fn question_item(
    n: usize,
    q: &Question,
    def: &terrain_model::questionnaire::Definition,
    number_of: &dyn Fn(&str) -> usize,
) -> String {
    let class = match q.kind {
        QuestionKind::Profile { .. } => r#" class="profile""#,
        QuestionKind::Consent { .. } => r#" class="consent""#,
        _ => "",
    };
    let mut s = format!(
        r#"<li{class} id="q{n}"><div class="q"><span class="n">{n}.</span>{text}{req}</div>"#,
        text = esc(&q.text),
        req = if q.required {
            r#" <span class="req">*</span>"#
        } else {
            ""
        },
    );
    if let Some(c) = &q.show_if
        && let Some(source) = def.questions.iter().find(|x| x.key == c.question)
    {
        let _ = write!(
            s,
            r#"<div class="only">Seulement si la réponse à la question {} est {}.</div>"#,
            number_of(&c.question),
            esc(&values_text(&source.kind, &c.any_of)),
        );
    }
    if !q.help.is_empty() {
        let _ = write!(s, r#"<div class="help">{}</div>"#, esc(&q.help));
    }
    s.push_str(&answer_area(&q.kind));
    // The questions this answer opens: "if « Non », go to question 4".
    let opened: Vec<(usize, &Question)> = def
        .questions
        .iter()
        .enumerate()
        .filter(|(_, x)| x.show_if.as_ref().is_some_and(|c| c.question == q.key))
        .map(|(i, x)| (i + 1, x))
        .collect();
    if !opened.is_empty() {
        let notes: Vec<String> = opened
            .iter()
            .filter_map(|(m, x)| {
                let c = x.show_if.as_ref()?;
                Some(format!(
                    "si {} → posez la question {m}",
                    values_text(&q.kind, &c.any_of)
                ))
            })
            .collect();
        let after = opened.iter().map(|(m, _)| *m).max().unwrap_or(n) + 1;
        let next = if after <= def.questions.len() {
            format!("sinon passez à la question {after}")
        } else {
            "sinon le questionnaire est fini".to_string()
        };
        let _ = write!(
            s,
            r#"<div class="goto">{} ; {}.</div>"#,
            esc(&notes.join(" ; ")),
            next
        );
    }
    s.push_str("</li>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use terrain_model::Template;

    fn ctx(name: &str) -> FormContext<'_> {
        FormContext {
            campaign: "Campagne <test>",
            questionnaire: name,
            version: 2,
            status: VersionStatus::Published,
            now: time::macros::datetime!(2026-11-26 13:05 UTC),
        }
    }

    #[test]
    fn the_grande_marche_prints_with_its_profile_and_consents() {
        let gm = Template::GrandeMarche2016.questionnaire();
        let html = render(&gm, &ctx("Grande Marche"));
        assert!(html.starts_with("<!doctype html>"));
        assert!(html.contains("@media print") && html.contains("size: A4"));
        assert!(html.contains("N° de fiche") && html.contains("Bureau de vote"));
        assert!(html.contains("Campagne &lt;test&gt;"));
        assert!(html.contains("26/11/2026 14:05"));
        // Every question, numbered from 1.
        for i in 1..=gm.definition().questions.len() {
            assert!(html.contains(&format!(r#"id="q{i}""#)), "question {i}");
        }
        // The PCS groups and the age bands as tick boxes; the consents' statements.
        assert!(html.contains("Cadres et professions intellectuelles supérieures"));
        assert!(html.contains("65 ans et plus"));
        for q in &gm.definition().questions {
            if let QuestionKind::Consent { statement, .. } = &q.kind {
                assert!(html.contains(&esc(statement)));
            }
        }
        // Nothing fetched from the network.
        assert!(!html.contains("http"));
        assert!(!html.contains("<script") && !html.contains("<link"));
    }

    #[test]
    fn kinds_are_drawn_for_a_pen_and_conditions_say_where_to_go() {
        let def: terrain_model::questionnaire::Definition = serde_json::from_value(serde_json::json!({
            "script": {"intro": "Bonjour", "talking_points": ["Point"], "closing": "Merci"},
            "questions": [
                {"key": "sat", "text": "Satisfait ?", "kind": "yes_no", "required": true},
                {"key": "why", "text": "Pourquoi ?", "kind": "open", "max_length": 600,
                 "show_if": {"question": "sat", "any_of": ["no"]}},
                {"key": "note", "text": "Note ?", "kind": "scale", "min": 0, "max": 10,
                 "min_label": "pas du tout", "max_label": "tout à fait"},
                {"key": "themes", "text": "Thèmes ?", "kind": "multiple_choice", "max_choices": 2,
                 "options": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}, {"value": "c", "label": "C"}]},
                {"key": "cp", "text": "Code postal ?", "kind": "profile", "field": "postcode"}
            ]
        })).unwrap();
        let q = Questionnaire::parse(def).unwrap();
        let html = render(&q, &ctx("Q"));
        assert!(html.contains("Seulement si la réponse à la question 1 est « Non »."));
        assert!(html.contains("si « Non » → posez la question 2 ; sinon passez à la question 3."));
        assert_eq!(html.matches(r#"<span class="num">"#).count(), 11);
        assert!(html.contains("pas du tout") && html.contains("tout à fait"));
        assert!(html.contains("Plusieurs réponses possibles (2 au plus)."));
        assert_eq!(
            html.matches(
                "<div class=\"lines\"><span></span><span></span><span></span><span></span></div>"
            )
            .count(),
            1
        );
        assert!(html.contains(r#"<div class="digits">"#));
        assert!(html.contains(r#"<span class="req">*</span>"#));
        assert!(html.contains("Bonjour") && html.contains("Point") && html.contains("Merci"));
    }

    #[test]
    fn everything_written_by_people_is_escaped() {
        let evil = "<script>alert('x')</script>";
        let def: terrain_model::questionnaire::Definition = serde_json::from_value(serde_json::json!({
            "script": {"intro": evil, "talking_points": [evil], "closing": evil},
            "questions": [
                {"key": "c", "text": evil, "help": evil, "kind": "single_choice",
                 "options": [{"value": "v1", "label": evil}, {"value": "v2", "label": "ok"}]},
                {"key": "d", "text": "Suite", "kind": "open", "show_if": {"question": "c", "any_of": ["v1"]}},
                {"key": "e", "text": "Accord", "kind": "consent", "purpose": "survey", "statement": evil}
            ]
        })).unwrap();
        let q = Questionnaire::parse(def).unwrap();
        let html = render(&q, &ctx(evil));
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    }
}
