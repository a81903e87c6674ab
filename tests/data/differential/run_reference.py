#!/usr/bin/env python3
"""Runs the reference library (Microsoft Recommenders) on the differential datasets and writes
its answers as golden files beside each dataset. Contains no library code: the library is
imported from a source checkout given on the command line, e.g.

    git --git-dir=<bare clone of recommenders-team/recommenders> archive HEAD | tar -x -C /tmp/recref
    /usr/bin/python3 tests/data/differential/run_reference.py /tmp/recref --commit <sha>

The goldens were made with commit 0a1b98f7 (2024-06-26), which for every module used here
differs from the newest commit only by two pandas-2 spellings of a groupby count that
Debian's pandas 1.5 rejects ("Must provide 'func'"); see reference.json.

(Debian's python3-pandas, -numpy and -scipy are enough; scikit-learn is not needed by the
functions called here, so its imports are stubbed.)

For each dataset <name>/ratings.tsv it writes:
  split_train_rows.txt, split_test_rows.txt  python_stratified_split(ratio 0.75, seed 42, by
      user): the 0-based data-row numbers of ratings.tsv, in the order the library returns them;
      split_item_* (by item) and split_half_* (ratio 0.5, seed 7) likewise;
  sar_<variant>.tsv  SARSingleNode.recommend_k_items(test, top_k=10, remove_seen=True) fitted
      on the first train split (userID, itemID, prediction = repr of the float64 score);
  expected.json  split sizes, the SAR variants (our `sar` parameters, or why the library refused
      the data), and for every list file (SAR's and the hand-made lists_*.tsv) every ranking
      metric of python_evaluation at k = 10, as float64 (JSON keeps the shortest round trip);
      r_precision_at_k as the library averages it, over its own user set (docs/metrics.md).

Evaluation inputs: the truth is the library's test split with duplicate (user, item) rows
collapsed to one (largest rating) and restricted to the users of the list file. The library
states that its inputs hold no duplicates (it would count them twice), and its ndcg_at_k,
unlike its other metrics, also averages over truth users without a list (as 0); both are
outside what the library can evaluate consistently, so they are not asked of it.
"""

import argparse
import csv
import json
import os
import sys
import types

HERE = os.path.dirname(os.path.abspath(__file__))
K = 10
SEED = 42
RATIO = 0.75
TWENTY_YEARS = 20 * 365 * 86400
# (file prefix, filter_by, ratio, seed). The first is the split SAR and the metrics use; ratio
# 0.5 puts many group sizes on a rounding half (numpy rounds half to even).
SPLITS = [("split", "user", RATIO, SEED), ("split_item", "item", RATIO, SEED),
          ("split_half", "user", 0.5, 7)]
# Datasets on which SAR also runs with the other similarities that ours computes as the library
# does (mutual information variants deviate on purpose, docs/models-item.md).
MORE_SIMILARITIES = {"string_ids", "numeric_scattered", "span_10y_half", "popular_head",
                     "implicit_small_catalogue", "items_10_dense"}


def stub_sklearn():
    """The library imports scikit-learn at module level for functions not used here."""
    if "sklearn" in sys.modules:
        return

    def unavailable(*_a, **_k):
        raise RuntimeError("scikit-learn is stubbed in run_reference.py")

    sk = types.ModuleType("sklearn")
    metrics = types.ModuleType("sklearn.metrics")
    for name in ["mean_squared_error", "mean_absolute_error", "r2_score",
                 "explained_variance_score", "roc_auc_score", "log_loss"]:
        setattr(metrics, name, unavailable)
    ms = types.ModuleType("sklearn.model_selection")
    ms.train_test_split = unavailable
    sk.metrics, sk.model_selection = metrics, ms
    sys.modules.update({"sklearn": sk, "sklearn.metrics": metrics, "sklearn.model_selection": ms})


def read_ratings(path, pd, np, infer_ids):
    """The dataset as the library would see it. infer_ids: ids typed as pandas infers them
    (integer columns sort numerically); otherwise ids are kept as the exact strings."""
    kw = dict(sep="\t", keep_default_na=False, na_filter=False, quoting=csv.QUOTE_NONE,
              encoding="utf-8")
    if not infer_ids:
        kw["dtype"] = {"userID": str, "itemID": str}
    df = pd.read_csv(path, **kw)
    if "rating" not in df.columns:  # implicit file without a value column: 1 per event
        df["rating"] = 1.0
    df["rating"] = df["rating"].astype(np.float64)
    df["timestamp"] = df["timestamp"].astype(np.int64)
    df["_row"] = np.arange(len(df), dtype=np.int64)
    return df[["userID", "itemID", "rating", "timestamp", "_row"]]


def write_rows(path, rows):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for r in rows:
            f.write(f"{int(r)}\n")


def write_list(path, df):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("userID\titemID\tprediction\n")
        for u, i, s in zip(df["userID"], df["itemID"], df["prediction"]):
            f.write(f"{u}\t{i}\t{float(s)!r}\n")


def sar_variants(name, train):
    """(name, library kwargs, our sar parameters)."""
    t_max = int(train["timestamp"].max())
    more = []
    if name in MORE_SIMILARITIES:
        for lib, ours in [("cooccurrence", "cooccurrence"), ("cosine", "cosine"),
                          ("lift", "lift"), ("inclusion index", "inclusion_index")]:
            more.append(("sar_" + ours, dict(similarity_type=lib, timedecay_formula=False),
                         {"similarity": ours, "time_decay": False, "threshold": 1}))
    return more + [
        ("sar_default", dict(similarity_type="jaccard", timedecay_formula=False),
         {"similarity": "jaccard", "time_decay": False, "threshold": 1}),
        ("sar_decay", dict(similarity_type="jaccard", timedecay_formula=True,
                           time_decay_coefficient=30),
         {"similarity": "jaccard", "time_decay": True, "half_life_days": 30, "time_now": 0,
          "threshold": 1}),
        ("sar_decay_20y", dict(similarity_type="jaccard", timedecay_formula=True,
                               time_decay_coefficient=30, time_now=t_max + TWENTY_YEARS),
         {"similarity": "jaccard", "time_decay": True, "half_life_days": 30,
          "time_now": t_max + TWENTY_YEARS, "threshold": 1}),
    ]


def ranking_metrics(ev, truth, recs):
    common = set(recs["userID"])
    truth = truth[truth["userID"].isin(common)]
    args = dict(col_user="userID", col_item="itemID", col_rating="rating",
                col_prediction="prediction", relevancy_method="top_k", k=K)
    out = {
        "map": ev.map(truth, recs, **args),
        "map_at_k": ev.map_at_k(truth, recs, **args),
        "ndcg_at_k": ev.ndcg_at_k(truth, recs, score_type="binary", **args),
        "ndcg_at_k_raw": ev.ndcg_at_k(truth, recs, score_type="raw", **args),
        "ndcg_at_k_exp": ev.ndcg_at_k(truth, recs, score_type="exp", **args),
        "precision_at_k": ev.precision_at_k(truth, recs, **args),
        "recall_at_k": ev.recall_at_k(truth, recs, **args),
        "r_precision_at_k": ev.r_precision_at_k(truth, recs, **args),
    }
    return {name: float(v) for name, v in out.items()}


def run_dataset(d, name, pd, np, splitters, SAR, ev):
    path = os.path.join(d, "ratings.tsv")
    exact = read_ratings(path, pd, np, infer_ids=False)
    typed = read_ratings(path, pd, np, infer_ids=True)
    expected = {"splits": [], "k": K, "sar": {}, "metrics": {}}
    for prefix, by, ratio, seed in SPLITS:
        train_part, test_part = splitters.python_stratified_split(
            typed.copy(), ratio=ratio, min_rating=1, filter_by=by, col_user="userID",
            col_item="itemID", seed=seed)
        rows = {"train": train_part["_row"].to_numpy(), "test": test_part["_row"].to_numpy()}
        entry = {"method": "recommenders", "ratio": ratio, "by": by, "seed": seed}
        for part, r in rows.items():
            write_rows(os.path.join(d, f"{prefix}_{part}_rows.txt"), r)
            entry[part] = int(len(r))
            entry[part + "_file"] = f"{prefix}_{part}_rows.txt"
        expected["splits"].append(entry)
        if prefix == "split":  # the split every later step uses
            train_rows, test_rows = rows["train"], rows["test"]

    cols = ["userID", "itemID", "rating", "timestamp"]
    train = exact.iloc[train_rows][cols].reset_index(drop=True)
    test = exact.iloc[test_rows][cols].reset_index(drop=True)
    truth = test.groupby(["userID", "itemID"], as_index=False, sort=False)["rating"].max()

    lists = {}
    for variant, lib_kwargs, ours in sar_variants(name, train):
        entry = {"params": ours}
        try:
            model = SAR(col_user="userID", col_item="itemID", col_rating="rating",
                        col_timestamp="timestamp", col_prediction="prediction", **lib_kwargs)
            model.fit(train)
            recs = model.recommend_k_items(test, top_k=K, sort_top_k=True, remove_seen=True)
        except ValueError as e:  # the library refuses duplicate rows
            entry.update(status="refused", reason=str(e))
            expected["sar"][variant] = entry
            continue
        fname = variant + ".tsv"
        write_list(os.path.join(d, fname), recs)
        entry.update(status="ok", file=fname, users=int(recs["userID"].nunique()),
                     test_users=int(test["userID"].nunique()))
        expected["sar"][variant] = entry
        lists[fname] = recs[["userID", "itemID", "prediction"]].reset_index(drop=True)

    for fname in sorted(os.listdir(d)):
        if fname.startswith("lists_") and fname.endswith(".tsv"):
            lists[fname] = pd.read_csv(
                os.path.join(d, fname), sep="\t", keep_default_na=False, na_filter=False,
                quoting=csv.QUOTE_NONE, dtype={"userID": str, "itemID": str},
                float_precision="round_trip", encoding="utf-8")
    for fname, recs in lists.items():
        expected["metrics"][fname] = ranking_metrics(ev, truth, recs)

    with open(os.path.join(d, "expected.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(expected, f, indent=1, ensure_ascii=False, sort_keys=True)
        f.write("\n")
    return expected


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("library", help="root of a recommenders-team/recommenders source tree")
    ap.add_argument("--only", help="one dataset name")
    ap.add_argument("--commit", default="unknown",
                    help="the library commit, recorded in reference.json")
    a = ap.parse_args()
    sys.path.insert(0, os.path.abspath(a.library))
    stub_sklearn()
    import numpy as np
    import pandas as pd
    from recommenders.datasets import python_splitters as splitters
    from recommenders.evaluation import python_evaluation as ev
    from recommenders.models.sar.sar_singlenode import SARSingleNode as SAR

    import scipy
    with open(os.path.join(HERE, "reference.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump({"library": "recommenders-team/recommenders", "commit": a.commit,
                   "python": sys.version.split()[0], "pandas": pd.__version__,
                   "numpy": np.__version__, "scipy": scipy.__version__}, f, indent=1)
        f.write("\n")
    with open(os.path.join(HERE, "datasets.json"), encoding="utf-8") as f:
        names = [e["name"] for e in json.load(f)]
    for name in names:
        if a.only and name != a.only:
            continue
        e = run_dataset(os.path.join(HERE, name), name, pd, np, splitters, SAR, ev)
        sar = ", ".join(f"{v}={x['status']}" for v, x in e["sar"].items())
        split = e["splits"][0]
        print(f"{name}: train {split['train']} test {split['test']}; {sar}")


if __name__ == "__main__":
    main()
