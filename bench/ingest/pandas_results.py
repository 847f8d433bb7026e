"""Anchor for the results benchmark: what a pandas user writes to read the Ministry's
2017-2022 file (ISO-8859-1, ';', ragged candidate blocks), reshape the blocks to one row per
(bureau, candidate) and check the totals. Prints one JSON line with the seconds spent after
the imports (the same span Terrain's own timing covers)."""
import json
import sys
import time

import numpy as np
import pandas as pd

path, n_candidates = sys.argv[1], int(sys.argv[2])
t0 = time.perf_counter()
c0 = time.process_time()
GENERAL = 21
BLOCK = ["panneau", "sexe", "nom", "prenom", "voix", "pct_ins", "pct_exp"]
width = GENERAL + len(BLOCK) * n_candidates
# The header names one block only: read without it, naming every column ourselves.
df = pd.read_csv(
    path,
    sep=";",
    encoding="latin-1",
    header=None,
    skiprows=1,
    names=list(range(width)),
    dtype={0: str, 2: str, 4: str, 6: str},
    decimal=",",
)
general = df.iloc[:, :GENERAL]
general.columns = [
    "dep", "lib_dep", "circ", "lib_circ", "com", "lib_com", "bv", "inscrits", "abstentions", "pct_abs",
    "votants", "pct_vot", "blancs", "pct_bl_ins", "pct_bl_vot", "nuls", "pct_nuls_ins", "pct_nuls_vot",
    "exprimes", "pct_exp_ins", "pct_exp_vot",
]
key = general["dep"].str.zfill(2) + general["com"].str.zfill(3) + "_" + general["bv"].str.zfill(4)
blocks = []
for k in range(n_candidates):
    b = df.iloc[:, GENERAL + k * len(BLOCK): GENERAL + (k + 1) * len(BLOCK)].copy()
    b.columns = BLOCK
    b["bureau"] = key.values
    blocks.append(b)
long = pd.concat(blocks, ignore_index=True).dropna(subset=["nom"])
# Validation: the same three identities Terrain checks.
bad_ins = (general["inscrits"] != general["abstentions"] + general["votants"]).sum()
bad_vot = (general["votants"] != general["blancs"] + general["nuls"] + general["exprimes"]).sum()
sums = long.groupby("bureau", sort=False)["voix"].sum()
bad_voix = (sums.reindex(key.values).values != general["exprimes"].values).sum()
secs = time.perf_counter() - t0
cpu = time.process_time() - c0
print(json.dumps({
    "tool": f"pandas {pd.__version__}", "task": "parse+validate results", "seconds": round(secs, 3), "cpu_seconds": round(cpu, 3),
    "bureaux": int(len(general)), "candidate_rows": int(len(long)), "voix": int(long["voix"].sum()),
    "inconsistent": int(bad_ins + bad_vot + bad_voix),
}))
