"""The Python anchors of bench/stats/run.sh: Meta's `balance` (raking against the population
microdata the margins come from) and `ipfn` on the collapsed cross-table of the respondents.

Usage: python anchors.py DIR. Prints WEIGHTS|task|tool|seconds|file lines.
"""
import sys
import time
import warnings

import numpy as np
import pandas as pd

warnings.filterwarnings("ignore")
out = sys.argv[1]
resp = pd.read_csv(f"{out}/respondents.csv", dtype=str)
resp["d"] = resp["d"].astype(float)
margins = pd.read_csv(f"{out}/margins.csv", dtype={"category": str})
variables = list(dict.fromkeys(margins["variable"]))


def write(weights, tag):
    path = f"{out}/weights-{tag}.csv"
    pd.DataFrame({"id": resp["id"], "weight": weights}).to_csv(path, index=False, float_format="%.17g")
    return path


def line(task, tool, seconds, path):
    print(f"WEIGHTS|{task}|{tool}|{seconds:.4f}|{path}", flush=True)


# ipfn on the collapsed cross-table (what "aggregate identical profiles first" means).
from ipfn import ipfn  # noqa: E402

cats = {v: list(margins.loc[margins["variable"] == v, "category"]) for v in variables}
codes = tuple(resp[v].map({c: i for i, c in enumerate(cats[v])}).to_numpy() for v in variables)
t0 = time.perf_counter()
table = np.zeros(tuple(len(cats[v]) for v in variables))
np.add.at(table, codes, resp["d"].to_numpy())
aggregates = [margins.loc[margins["variable"] == v, "target"].to_numpy() for v in variables]
fitted = ipfn.ipfn(table.copy(), aggregates, [[i] for i in range(len(variables))],
                   convergence_rate=1e-10, max_iteration=1000, verbose=0).iteration()
factor = np.divide(fitted, table, out=np.zeros_like(table), where=table > 0)
w = resp["d"].to_numpy() * factor[codes]
line("raking", "Python ipfn (collapsed cross-table)", time.perf_counter() - t0, write(w, "ipfn"))

# Meta's balance: raking to the population microdata.
from balance import Sample  # noqa: E402

population = pd.read_csv(f"{out}/population.csv", dtype=str)
population["w"] = 1.0
sample = Sample.from_frame(resp[["id", "d"] + variables], id_column="id", weight_column="d")
target = Sample.from_frame(population[["id", "w"] + variables], id_column="id", weight_column="w")
t0 = time.perf_counter()
adjusted = sample.set_target(target).adjust(method="rake", transformations=None)
seconds = time.perf_counter() - t0
weights = adjusted.weights().df.iloc[:, -1].to_numpy()
line("raking", "Python balance adjust(method=\"rake\")", seconds, write(weights, "balance"))
