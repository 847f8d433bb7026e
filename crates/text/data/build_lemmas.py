#!/usr/bin/env python3
"""Build `fr_lemmas.txt.gz`, Terrain's compact French lemma table, from spaCy's lookup data.

Source: the PyPI package `spacy-lookups-data` (MIT licence, (c) ExplosionAI GmbH), files
`spacy_lookups_data/data/fr_lemma_{index,exc,rules,lookup}.json.gz`. Run it with a Python
that has that package installed (bench/text/run.sh makes one):

    python3 crates/text/data/build_lemmas.py [path/to/spacy_lookups_data/data]

Output format (UTF-8 text, gzip): sections introduced by a line `#<section> <pos>`;
  #rules <pos>   lines `old<TAB>new`: suffix rules, in spaCy's order
  #index <pos>   lines `form`: forms known to be lemmas of that part of speech
  #exc <pos>     lines `form<TAB>edit`: irregular forms
  #lookup -      lines `form<TAB>edit`: POS-less fallback, only for forms no POS table knows
An edit is `<n><suffix>`: drop the last n characters of the form, then append suffix
(`0` alone means the lemma is the form itself). Exceptions that the rules already produce
are left out, since the lemmatiser would find the same lemma without them.
"""
import gzip, json, os, sys

def edit(form: str, lemma: str) -> str:
    n = 0
    while n < min(len(form), len(lemma)) and form[n] == lemma[n]:
        n += 1
    return f"{len(form) - n}{lemma[n:]}"

def main() -> None:
    if len(sys.argv) > 1:
        data = sys.argv[1]
    else:
        import spacy_lookups_data
        data = os.path.join(os.path.dirname(spacy_lookups_data.__file__), "data")
    load = lambda name: json.load(gzip.open(os.path.join(data, f"fr_lemma_{name}.json.gz")))
    index = {pos: set(forms) for pos, forms in load("index").items()}
    exc = load("exc")
    rules = load("rules")
    lookup = load("lookup")

    def known(s: str, pos: str) -> bool:
        """True when the rule lemmatiser finds s under pos in the index or exceptions."""
        if s in index.get(pos, set()) or s in exc.get(pos, {}):
            return True
        for old, new in rules.get(pos, []):
            if s.endswith(old):
                form = s[: len(s) - len(old)] + new
                if form and (form in index.get(pos, set()) or not form.isalpha()):
                    return True
        return False

    def by_rules(s: str, pos: str):
        if s in index.get(pos, set()):
            return s
        oov = []
        for old, new in rules.get(pos, []):
            if s.endswith(old):
                form = s[: len(s) - len(old)] + new
                if not form:
                    continue
                if form in index.get(pos, set()) or not form.isalpha():
                    return form
                oov.append(form)
        return oov[0] if oov else None

    out = []
    for pos in sorted(rules):
        out.append(f"#rules {pos}")
        out += [f"{old}\t{new}" for old, new in rules[pos]]
    for pos in sorted(index):
        out.append(f"#index {pos}")
        out += sorted(index[pos])
    kept = dropped = 0
    for pos in sorted(exc):
        out.append(f"#exc {pos}")
        for form in sorted(exc[pos]):
            lemma = exc[pos][form][0]
            if by_rules(form, pos) == lemma:
                dropped += 1
                continue
            kept += 1
            out.append(f"{form}\t{edit(form, lemma)}")
    out.append("#lookup -")
    lk = 0
    for form in sorted(lookup):
        lemma = lookup[form][0] if isinstance(lookup[form], list) else lookup[form]
        # The lookup table is only a last resort: keep the forms no POS table knows.
        if lemma != form and not any(known(form, p) for p in ("noun", "adj", "verb", "adv")):
            out.append(f"{form}\t{edit(form, lemma)}")
            lk += 1
    text = ("\n".join(out) + "\n").encode("utf-8")
    target = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fr_lemmas.txt.gz")
    with open(target, "wb") as f:
        # mtime=0 keeps the file byte-identical between runs.
        f.write(gzip.compress(text, compresslevel=9, mtime=0))
    print(f"exceptions kept {kept}, dropped {dropped}; lookup entries {lk}; "
          f"{len(text)} bytes raw, {os.path.getsize(target)} gzipped -> {target}")

if __name__ == "__main__":
    main()
