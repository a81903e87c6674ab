#!/usr/bin/env python3
"""Recipe of the differential suite's input datasets (issue 13, "Right on any data").

Writes, for every dataset below, tests/data/differential/<name>/ratings.tsv (header, tab
separated, rows in a deliberate file order) and, for some, hand-made recommendation lists
(lists_ties.tsv, lists_tiny.tsv) with score ties and scores that only a double can tell apart.
The library's answers on these inputs are produced by run_reference.py (see docs/metrics.md,
"Parity, proved on generated data").

Deterministic: every dataset has its own seed; stdlib + numpy only. Run from anywhere:
    python3 tests/data/differential/make_datasets.py
"""

import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
T2000 = 946684800  # 2000-01-01 00:00:00 UTC
DAY = 86400
YEAR = 365 * DAY

# Ids that exercise the id maps and the library's sort of the id column: leading zeros,
# spaces, non-ASCII (accents, CJK, emoji), hyphens, mixed case. No tab, quote, comma,
# semicolon or '|' (delimiter detection), no "NA"/"null"-like ids.
STRING_POOL = ["007", "a b", "ünï", "用户", "x-1", "Zed", "zed", "É", "é", "ß", "🙂", "0",
               "00", "10", "9", "A", "b c d", "ümlaut", "ωmega", "k9"]


def string_ids(prefix, n, rng):
    """n distinct string ids: the pool first (shuffled), then prefix + number forms."""
    ids = list(STRING_POOL)
    rng.shuffle(ids)
    k = 0
    while len(ids) < n:
        ids.append(f"{prefix}{k:03d}" if k % 3 else f"{prefix} {k}")
        k += 1
    return ids[:n]


def numeric_ids(n, rng, style):
    if style == "small":
        return [str(i) for i in range(1, n + 1)]
    if style == "scattered":  # numeric order differs from text order ("9" < "10")
        vals = rng.choice(np.arange(1, 50 * n), size=n, replace=False)
        return [str(int(v)) for v in vals]
    if style == "zeros":  # integers written with leading zeros and a sign; all distinct numbers
        vals = rng.choice(np.arange(-20, 20 * n), size=n, replace=False)
        return [(f"{int(v):04d}" if v >= 0 and v % 2 else str(int(v))) for v in vals]
    if style == "large":
        vals = rng.choice(np.arange(10**12, 10**12 + 10**6), size=n, replace=False)
        return [str(int(v)) for v in vals]
    raise ValueError(style)


def zipf_weights(n, a, rng):
    w = 1.0 / np.arange(1, n + 1) ** a
    rng.shuffle(w)
    return w / w.sum()


def make(spec):
    """Rows (user, item, value, timestamp) for one dataset spec."""
    rng = np.random.default_rng(spec["seed"])
    nu, ni = spec["users"], spec["items"]
    if spec["ids"] == "string":
        users, items = string_ids("u", nu, rng), string_ids("i", ni, rng)
    else:
        users = numeric_ids(nu, rng, spec["ids"])
        items = numeric_ids(ni, rng, spec["ids"])
    item_w = zipf_weights(ni, spec.get("item_skew", 0.8), rng)
    # Rows per user: a skewed activity distribution, at least one row each.
    act = rng.pareto(1.2, size=nu) + 1.0
    act = act / act.sum() * (spec["rows"] - nu)
    per_user = 1 + np.floor(act).astype(int)
    for h in range(spec.get("heavy", 0)):  # heavy users
        per_user[h] = spec["heavy_rows"]
    rows = []
    span = spec["span"]
    for u in range(nu):
        n = int(per_user[u]) if spec.get("repeats") else min(int(per_user[u]), ni)
        distinct = min(n, ni)
        chosen = rng.choice(ni, size=distinct, replace=False, p=item_w)
        if n > distinct:  # more events than items: repeat items
            chosen = np.concatenate([chosen, rng.choice(chosen, size=n - distinct)])
        for i in chosen:
            rows.append([users[u], items[int(i)], None, None])
    rng.shuffle(rows)
    if "once_items" in spec:  # extra items seen exactly once
        extra = numeric_ids(spec["once_items"], rng, "large") if spec["ids"] != "string" else [
            f"once {k}" for k in range(spec["once_items"])]
        for k, it in enumerate(extra):
            rows.insert(int(rng.integers(0, len(rows) + 1)), [users[int(rng.integers(nu))], it,
                                                             None, None])
    # Values.
    for r in rows:
        if spec["values"] == "explicit":
            r[2] = str(int(rng.integers(1, 6)))
        elif spec["values"] == "half":
            r[2] = f"{int(rng.integers(1, 11)) / 2:g}"
        else:
            r[2] = "1"
    # Timestamps.
    distinct_ts = spec.get("distinct_ts")
    if distinct_ts:
        pool = T2000 + np.sort(rng.integers(0, max(span, 1), size=distinct_ts))
        for r in rows:
            r[3] = str(int(rng.choice(pool)))
    else:
        for r in rows:
            r[3] = str(int(T2000 + rng.integers(0, max(span, 1))))
    # Duplicates: repeat (user, item) pairs with another timestamp (and value when explicit).
    for _ in range(spec.get("dup_pairs", 0)):
        src = rows[int(rng.integers(len(rows)))]
        ts = str(int(T2000 + rng.integers(0, max(span, 1))))
        val = src[2] if spec.get("dup_same_value", True) else str(int(rng.integers(1, 6)))
        rows.insert(int(rng.integers(0, len(rows) + 1)), [src[0], src[1], val, ts])
    for _ in range(spec.get("dup_rows", 0)):  # exact duplicate rows
        src = rows[int(rng.integers(len(rows)))]
        rows.insert(int(rng.integers(0, len(rows) + 1)), list(src))
    return rows, users, items


def write_ratings(path, rows, with_value):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        if with_value:
            f.write("userID\titemID\trating\ttimestamp\n")
            for u, i, v, t in rows:
                f.write(f"{u}\t{i}\t{v}\t{t}\n")
        else:
            f.write("userID\titemID\ttimestamp\n")
            for u, i, _, t in rows:
                f.write(f"{u}\t{i}\t{t}\n")


# Scores that collapse when read as float: tiny values (subnormal doubles too), near-equal
# values beyond float precision (but distinct doubles), huge values beyond float range.
TINY = ["1e-300", "3e-300", "2e-300", "1.5e-300", "1e-200", "1e-45", "1.4e-45", "7e-46", "5e-324",
        "1e-310", "2.5e-310"]
NEAR = ["0.1234567890123", "0.1234567890124", "0.12345678901235", "0.1234567890122",
        "0.12345678901225"]
HUGE = ["1e300", "2e300", "1.5e300", "3e39", "4e39"]


def make_lists(rows, rng, kind):
    """Hand-made lists for every user: 3 to 16 items (own items and others), file order
    shuffled within and across users so that ties are not in item order."""
    user_items = {}
    all_items = []
    seen = set()
    for u, i, _, _ in rows:
        user_items.setdefault(u, [])
        if i not in user_items[u]:
            user_items[u].append(i)
        if i not in seen:
            seen.add(i)
            all_items.append(i)
    out = []
    for u, own in user_items.items():
        n = int(rng.integers(3, 17))
        pick = list(rng.permutation(own))[: max(1, n // 2)]
        others = [x for x in rng.permutation(all_items)[: n + len(pick)] if x not in pick]
        cand = (pick + others)[:n]
        if kind == "ties":
            # Few distinct score levels: many ties, also across the k = 10 boundary.
            levels = ["1", "0.5", "0.25", "0.25", "0", "-1", "0.1234567890123", "0.1234567890124"]
            scores = [levels[int(rng.integers(len(levels)))] for _ in cand]
        else:
            pool = TINY + NEAR + HUGE
            scores = [pool[int(rng.integers(len(pool)))] for _ in cand]
            # Duplicate score values of the same tiny kind create exact double ties too.
        for it, s in zip(cand, scores):
            out.append((u, it, s))
    # Shuffle by blocks: users interleave, and each user's rows are not in score order.
    idx = rng.permutation(len(out))
    return [out[j] for j in idx]


def write_lists(path, lists):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("userID\titemID\tprediction\n")
        for u, i, s in lists:
            f.write(f"{u}\t{i}\t{s}\n")


def specs():
    s = []

    def add(name, **kw):
        kw.setdefault("seed", 1000 + len(s))
        kw.setdefault("values", "explicit")
        kw.setdefault("ids", "small")
        kw.setdefault("span", YEAR)
        kw["name"] = name
        s.append(kw)

    add("tiny_numeric", users=20, items=10, rows=150, span=DAY, repeats=True)
    add("string_ids", users=60, items=80, rows=700, ids="string", span=YEAR, lists="ties")
    add("numeric_zeros_signs", users=50, items=60, rows=600, ids="zeros", span=5 * YEAR)
    add("numeric_scattered", users=70, items=120, rows=900, ids="scattered", span=2 * YEAR,
        values="implicit", lists="tiny")
    add("large_numeric_ids", users=40, items=100, rows=500, ids="large", span=90 * DAY)
    add("heavy_users", users=80, items=200, rows=2500, heavy=2, heavy_rows=600, repeats=True,
        values="implicit",
        span=3 * YEAR)
    add("items_seen_once", users=60, items=150, rows=500, once_items=300, span=YEAR, lists="ties")
    add("dup_pairs_implicit", users=50, items=70, rows=600, dup_pairs=120, values="implicit",
        span=YEAR)
    add("dup_pairs_explicit", users=50, items=70, rows=600, dup_pairs=120, dup_same_value=False,
        span=2 * YEAR)
    add("exact_dup_rows", users=40, items=50, rows=400, dup_rows=40, span=YEAR)
    add("equal_timestamps", users=60, items=90, rows=800, distinct_ts=1, span=YEAR)
    add("few_timestamps", users=60, items=90, rows=800, distinct_ts=7, span=10 * YEAR,
        values="implicit")
    add("span_1day", users=70, items=100, rows=900, span=DAY, values="half")
    add("span_30y", users=80, items=150, rows=1200, span=30 * YEAR, lists="tiny")
    add("span_30y_implicit", users=100, items=300, rows=1500, span=30 * YEAR, values="implicit",
        ids="string")
    add("span_10y_half", users=60, items=120, rows=900, span=10 * YEAR, values="half")
    add("items_5000_few_rows", users=120, items=600, rows=900, once_items=4600, item_skew=0.3,
        span=4 * YEAR, values="implicit")
    add("items_10_dense", users=30, items=10, rows=400, item_skew=0.2, span=60 * DAY)
    add("many_small_users", users=500, items=200, rows=1300, span=YEAR, values="implicit")
    add("popular_head", users=150, items=400, rows=2500, item_skew=1.4, span=6 * YEAR)
    add("no_value_column", users=60, items=100, rows=700, values="implicit", span=YEAR,
        no_value=True)
    add("mixed_ids_explicit", users=90, items=250, rows=1500, ids="string", span=15 * YEAR,
        lists="tiny")
    add("implicit_small_catalogue", users=200, items=25, rows=1200, values="implicit",
        span=2 * YEAR, item_skew=0.5)
    return s


def main():
    manifest = []
    for spec in specs():
        rows, _, _ = make(spec)
        d = os.path.join(HERE, spec["name"])
        os.makedirs(d, exist_ok=True)
        write_ratings(os.path.join(d, "ratings.tsv"), rows, not spec.get("no_value"))
        entry = {"name": spec["name"], "rows": len(rows),
                 "users": len({r[0] for r in rows}), "items": len({r[1] for r in rows}),
                 "values": spec["values"], "has_value_column": not spec.get("no_value"),
                 "span_seconds": spec["span"], "lists": []}
        if "lists" in spec:
            rng = np.random.default_rng(spec["seed"] + 7)
            fname = "lists_" + spec["lists"] + ".tsv"
            write_lists(os.path.join(d, fname), make_lists(rows, rng, spec["lists"]))
            entry["lists"].append(fname)
        manifest.append(entry)
    with open(os.path.join(HERE, "datasets.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"{len(manifest)} datasets written under {HERE}")


if __name__ == "__main__":
    main()
