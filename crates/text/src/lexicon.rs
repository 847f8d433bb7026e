//! French stop words: the words left out of themes because they carry no theme.
//!
//! The base is NLTK's French list (157 function words, via the `stop-words` crate). The
//! larger ISO list that crate also has is **not** used: it holds content words that matter
//! in political answers (`état`, `gens`, `personne`, `force`, `retour`, `valeur`…). On top
//! of NLTK we add lemmas of auxiliaries and modal verbs, adverbs of degree, connectives and
//! forms of address, all checked as *lemmas* so that every inflection is covered.

use std::collections::HashSet;
use std::sync::OnceLock;

/// Lemmas added to NLTK's list (see module documentation).
const EXTRA_STOP_LEMMAS: &[&str] = &[
    // auxiliaries, modal and light verbs
    "être",
    "avoir",
    "faire",
    "pouvoir",
    "devoir",
    "falloir",
    "aller",
    "vouloir",
    "dire",
    "savoir",
    "venir",
    "voir",
    "sembler",
    "paraître",
    "rester",
    "devenir",
    // determiners, pronouns, conjunctions, prepositions NLTK lacks
    "un",
    "le",
    "ce",
    "cet",
    "celui",
    "cela",
    "ceci",
    "ça",
    "lequel",
    "duquel",
    "auquel",
    "dont",
    "où",
    "quoi",
    "quel",
    "quelque",
    "quelqu'un",
    "chacun",
    "chaque",
    "aucun",
    "nul",
    "autre",
    "autrui",
    "même",
    "tel",
    "tout",
    "plusieurs",
    "certain",
    "divers",
    "différent",
    "leur",
    "mien",
    "tien",
    "sien",
    "nôtre",
    "vôtre",
    "soi",
    "ils",
    "elles",
    "on",
    "jusque",
    "lorsque",
    "puisque",
    "quoique",
    "parce",
    "afin",
    "car",
    "donc",
    "or",
    "ni",
    "mais",
    "ou",
    "si",
    "comme",
    "quand",
    "alors",
    "ainsi",
    "puis",
    "ensuite",
    "enfin",
    "cependant",
    "pourtant",
    "toutefois",
    "néanmoins",
    "sinon",
    "après",
    "avant",
    "depuis",
    "pendant",
    "selon",
    "malgré",
    "sans",
    "sous",
    "vers",
    "chez",
    "contre",
    "entre",
    "parmi",
    "durant",
    "hors",
    "via",
    "concernant",
    "notamment",
    // adverbs of degree, time, negation, affirmation
    "plus",
    "moins",
    "très",
    "trop",
    "assez",
    "bien",
    "mal",
    "aussi",
    "autant",
    "tant",
    "tellement",
    "peu",
    "beaucoup",
    "encore",
    "déjà",
    "toujours",
    "jamais",
    "souvent",
    "parfois",
    "ici",
    "là",
    "ailleurs",
    "non",
    "oui",
    "pas",
    "ne",
    "rien",
    "surtout",
    "vraiment",
    "seulement",
    "plutôt",
    "voire",
    "environ",
    "etc",
    "exemple",
    "ex",
    "cf",
    "vs",
    "svp",
    "actuellement",
    "maintenant",
    "aujourd'hui",
    "y",
    "en",
    // generic nouns of open answers
    "chose",
    "fois",
    "façon",
    "manière",
    "cas",
    "niveau",
    "part",
    "faut",
    // forms of address and signatures
    "monsieur",
    "madame",
    "mademoiselle",
    "mr",
    "mme",
    "mlle",
    "m.",
    "merci",
    "cordialement",
    "salutation",
];

static STOP: OnceLock<HashSet<String>> = OnceLock::new();

/// The stop-word set (folded forms and lemmas).
#[must_use]
pub fn stop_words() -> &'static HashSet<String> {
    STOP.get_or_init(|| {
        let mut set: HashSet<String> = stop_words::get("fr")
            .iter()
            .map(|w| (*w).to_string())
            .collect();
        set.extend(EXTRA_STOP_LEMMAS.iter().map(|w| (*w).to_string()));
        set
    })
}

/// True when a folded word or lemma is a stop word, a single letter, or has no letter.
#[must_use]
pub fn is_stop(word: &str) -> bool {
    let mut letters = word.chars().filter(|c| c.is_alphabetic());
    if letters.next().is_none() || letters.next().is_none() {
        return true;
    }
    stop_words().contains(word.trim_end_matches('\''))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_words_are_stop_words() {
        for w in [
            "le", "de", "et", "avoir", "être", "pouvoir", "plus", "l'", "qu'", "x", "2019",
        ] {
            assert!(is_stop(w), "{w}");
        }
    }

    #[test]
    fn content_words_of_political_answers_are_kept() {
        for w in [
            "état", "gens", "personne", "impôt", "retraite", "marché", "marche", "service", "force",
        ] {
            assert!(!is_stop(w), "{w}");
        }
    }
}
