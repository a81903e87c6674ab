#!/usr/bin/env python3
"""Writes the seed corpora of tests/fuzz/corpus/<target>/ (deterministic; rerun after a format
change). Hand-made edge cases are written out literally below; the generated seeds are slices of
the sample data, the test fixtures and the docs' specs, and model packages exported by recwb.

Usage, from the source root: tests/fuzz/make_seeds.py [RECWB] (RECWB, default build/app/recwb,
exports the package seeds; ../shared/data/ml-100k gives the u.* slices when present)."""
import json
import os
import pathlib
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests/fuzz/corpus"
RECWB = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "build/app/recwb")


def put(target, name, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))


def head(path, n):
    with open(path, "rb") as f:
        return b"".join(f.readline() for _ in range(n))


# --- delimited: one options byte (docs in delimited_fuzz.cpp), then the file ----------------
def delimited():
    sample = head(ROOT / "sample-data/interactions.csv", 25)
    put("delimited", "sample_auto", b"\x00" + sample)
    put("delimited", "sample_lenient_comma_header", b"\x29" + sample)
    put("delimited", "tsv_no_header", b"\x12" + b"1\t10\t4\t881250949\n2\t10\t3\t891717742\n1\t11\t5\t878887116\n")
    put("delimited", "ml1m_double_colon", b"\x85" + b"1::1193::5::978300760\n1::661::3::978302109\n2::1357::5::978298709\n")
    put("delimited", "quoted_fields", b"\x01" + b'user,item,rating\n"a,1","b ""x""",4.5\n"multi\nline",c,1\n')
    put("delimited", "crlf_bom", b"\x00" + b"\xef\xbb\xbfuserId,movieId,rating,timestamp\r\n1,31,2.5,1260759144\r\n1,1029,3.0,1260759179\r\n")
    put("delimited", "bad_rows_lenient", b"\x21" + b"user,item,value,timestamp\nu1,i1,x,1\nu2,,1,2\nu3,i3,1e400,3\nu4,i4,nan,4\nu5,i5,1,-99999999999999\nu6,i6,1,2024-01-02T03:04:05Z\nu7,i7\nu8,i8,1,5,extra\n")
    put("delimited", "bad_row_strict", b"\x01" + b"user,item,value\nu1,i1,notanumber\n")
    put("delimited", "latin1", b"\x41" + b"user;item;rating\nJos\xe9;caf\xe9;3\n")
    put("delimited", "semicolon_pipe", b"\x00" + b"user|item|event\na|b|view\na|c|purchase\n")
    put("delimited", "header_only", b"\x00" + b"user,item,rating,timestamp\n")
    put("delimited", "empty", b"\x00")
    put("delimited", "events_dates", b"\x00" + b"customer_id,product_id,event_type,date\nc1,p1,view,2023-05-01\nc1,p2,purchase,2023-05-02 10:11:12\n")
    put("delimited", "unterminated_quote", b"\x01" + b'user,item\n"abc,def\n')
    put("delimited", "no_quote_mode", b"\x81" + b'user,item\n"a,b"\n')


# --- movielens: one byte (layout | lenient), files separated by "\n~~~\n" ------------------
def movielens():
    sep = b"\n~~~\n"
    ml = ROOT.parent / "shared/data/ml-100k"
    if ml.is_dir():
        data = head(ml / "u.data", 40)
        item = head(ml / "u.item", 30)
        user = head(ml / "u.user", 30)
    else:
        data = b"196\t242\t3\t881250949\n186\t302\t3\t891717742\n22\t377\t1\t878887116\n"
        item = b"242|Kolya (1996)|24-Jan-1997||http://x|0|0|0|0|0|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n"
        user = b"196|49|M|writer|55105\n"
    put("movielens", "ml100k", b"\x00" + data + sep + item + sep + user)
    put("movielens", "ml100k_lenient", b"\x04" + data + b"1\t2\tx\t3\n\n9\n" + sep + item + b"bad|line\n" + sep + user + b"1|x|M|writer\n")
    put("movielens", "ml100k_data_only", b"\x00" + data)
    put("movielens", "ml100k_latin1_title", b"\x00" + b"1\t1\t5\t874965758\n" + sep + b"1|Caf\xe9 (1995)|01-Jan-1995||http://x|0|0|0|0|0|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n")
    fx = ROOT / "tests/data/fixtures"
    put("movielens", "ml1m", b"\x01" + (fx / "ml-1m/ratings.dat").read_bytes() + sep + (fx / "ml-1m/movies.dat").read_bytes() + sep + (fx / "ml-1m/users.dat").read_bytes())
    put("movielens", "ml1m_lenient_bad", b"\x05" + b"1::1::x::1\n1::2::5\n" + sep + b"1::Toy Story (1995)::Animation|Children's\n2::Bad\n" + sep + b"1::F::1::10::48067\n1::X::y::z::w\n")
    put("movielens", "latest", b"\x02" + (fx / "ml-latest/ratings.csv").read_bytes() + sep + (fx / "ml-latest/movies.csv").read_bytes() + sep + (fx / "ml-latest/tags.csv").read_bytes())
    put("movielens", "latest_quoted", b"\x06" + b"userId,movieId,rating,timestamp\n1,1,4.0,964982703\n" + sep + b'movieId,title,genres\n1,"American President, The (1995)",Comedy|Drama|Romance\n2,"unterminated,(no genres listed)\n')


# --- spec: the JSON text ------------------------------------------------------------------
def spec():
    for p in sorted((ROOT / "resources/specs").glob("*.json")):
        put("spec", "resources_" + p.stem, p.read_bytes())
    n = 0
    for doc in sorted((ROOT / "docs").glob("*.md")):
        for block in re.findall(r"```json\n(.*?)```", doc.read_text(encoding="utf-8"), re.S):
            if '"models"' in block:
                n += 1
                put("spec", f"docs_{doc.stem}_{n}", block)
    put("spec", "minimal", '{"version":1,"dataset":{"path":"d.csv"},"models":[{"name":"most_popular"}]}')
    put("spec", "search", json.dumps({
        "version": 1, "dataset": {"path": "d.csv", "delimiter": ",", "header": "yes"},
        "split": {"method": "random", "ratio": 0.8, "seed": 3},
        "models": [{"name": "ials", "search": {"method": "grid", "space": {"factors": [8, 16], "regularization": {"min": 0.01, "max": 1, "log": True}}, "trials": 4}}],
        "metrics": {"k": 5, "names": ["ndcg", "map_at_k", "hit_rate"]}, "seeds": [1, 2]}))
    put("spec", "features", json.dumps({
        "version": 1, "dataset": {"path": "x", "format": "recworkbench"},
        "models": [{"name": "gbdt", "params": {"features": json.dumps({"crosses": [{"user": "segment", "item": "genre"}], "behaviour": {"profile_cosine": False}})}}]}))
    put("spec", "bad_types", '{"version":"1","dataset":[],"models":{},"seeds":[-1,1e999]}')
    put("spec", "dup_key", '{"version":1,"version":2}')
    put("spec", "unsafe_name", '{"version":1,"dataset":{"path":"d"},"models":[{"name":"sar","run_name":"../x"},{"name":"sar","run_name":"CON"}]}')
    put("spec", "deep", "[" * 200 + "]" * 200)
    put("spec", "bad_utf8", b'{"version":1,"name":"\xff\xfe"}')


# --- http: raw bytes of one connection ----------------------------------------------------
def http():
    def get(target, extra=""):
        return f"GET {target} HTTP/1.1\r\nHost: x\r\n{extra}\r\n"

    def post(target, body, extra=""):
        return f"POST {target} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len(body.encode())}\r\n{extra}\r\n{body}"

    put("http", "health", get("/health"))
    put("http", "metadata", get("/metadata", "Connection: close\r\n"))
    put("http", "recommend", get("/recommend?user=u3&k=5&exclude=i1,i2&exclude_seen=false"))
    put("http", "recommend_unknown_user", get("/recommend?user=nobody&k=1000"))
    put("http", "recommend_bad", get("/recommend?user=%FF&k=0&k=2&zzz=1"))
    put("http", "similar", get("/similar?item=i4&k=3"))
    put("http", "similar_unknown", get("/similar?item=nope"))
    put("http", "metrics", get("/metrics"))
    put("http", "score", post("/score", '{"user":"u1","items":["i1","i2","zz"]}'))
    put("http", "score_new_user", post("/score", '{"history":["i1","i9","nope"],"items":["i3"]}'))
    put("http", "score_attributes", post("/score", '{"attributes":{"segment":"a","age":3,"tags":["x"]},"items":["i3"]}'))
    put("http", "score_bad_json", post("/score", '{"user":"u1","items":[1,'))
    put("http", "score_query", post("/score?x=1", '{"user":"u1","items":["i1"]}'))
    put("http", "reload", post("/admin/reload", ""))
    put("http", "wrong_method", post("/health", "{}") + get("/score"))
    put("http", "pipelined", get("/health") + get("/recommend?user=u1") + get("/similar?item=i2") + get("/nope"))
    chunk = '{"user":"u2","items":["i1"]}'
    put("http", "chunked", f"POST /score HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n{len(chunk):x}\r\n{chunk}\r\n0\r\n\r\n" + get("/health"))
    put("http", "chunked_bad", "POST /score HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n")
    put("http", "body_too_large", "POST /score HTTP/1.1\r\nContent-Length: 999999\r\n\r\n" + "x" * 5000)
    put("http", "cut_request", "GET /recommend?user=u1 HTTP/1.1\r\nHo")
    put("http", "http10", "GET /health HTTP/1.0\r\n\r\n")
    put("http", "garbage", b"\x00\xff GET / HTTP/9.9\r\n\r\n")
    put("http", "long_header", "GET /health HTTP/1.1\r\nX: " + "a" * 3000 + "\r\n\r\n")
    put("http", "expect_continue", post("/score", '{"user":"u1","items":["i1"]}', "Expect: 100-continue\r\n"))
    put("http", "head_options", "HEAD /health HTTP/1.1\r\n\r\nOPTIONS * HTTP/1.1\r\n\r\n")
    put("http", "encoded_path", get("/recommend?user=u%31&k=%35&exclude=%2C%2C"))
    put("http", "range_header", get("/metadata", "Range: bytes=0-5,7-9\r\n"))


# --- package: mode byte 0 + package file, mode byte 1 + model blob -------------------------
def package():
    if not os.access(RECWB, os.X_OK):
        print(f"skipping package seeds: no recwb at {RECWB}", file=sys.stderr)
        return
    with tempfile.TemporaryDirectory() as tmp:
        data = pathlib.Path(tmp) / "data"
        data.mkdir()
        # A tiny dataset (16 users, 12 items with attributes) keeps every seed a few KB.
        rows = ["user_id,item_id,value,timestamp"]
        for u in range(16):
            for n in range(5):
                rows.append(f"u{u},i{(u * 5 + n * 3) % 12},1,{1700000000 + u * 100 + n}")
        (data / "interactions.csv").write_text("\n".join(rows) + "\n")
        cats = ["books", "games", "toys"]
        (data / "items.csv").write_text("item_id,category,price,description\n" + "".join(
            f"i{i},{cats[i % 3]},{5 + i}.5,a {cats[i % 3]} thing number {i}\n" for i in range(12)))
        (data / "users.csv").write_text("user_id,segment\n" + "".join(
            f"u{u},{'ab'[u % 2]}\n" for u in range(16)))
        models = {"most_popular": "{}", "sar": "{}", "itemknn": "{}", "rp3beta": "{}", "ease": "{}",
                  "ials": '{"factors": 4, "iterations": 2}', "bpr": '{"factors": 4, "epochs": 2}',
                  "biased_mf": '{"factors": 4, "epochs": 2}', "content_similarity": "{}", "logistic_regression": "{}"}
        for name, params in models.items():
            out = pathlib.Path(tmp) / f"{name}.rwbm"
            r = subprocess.run([RECWB, "export", "--data", str(data), "--model", name, "--params",
                                params, "--threads", "1", "--out", str(out), "-q"],
                               capture_output=True, text=True)
            if r.returncode != 0:
                print(f"skipping {name}: {r.stderr.strip()}", file=sys.stderr)
                continue
            blob = sqlite3.connect(out).execute("SELECT data FROM blobs WHERE name='model'").fetchone()[0]
            put("package", f"blob_{name}", b"\x01" + blob)
            if name in ("most_popular", "sar", "ials"):
                put("package", f"file_{name}", b"\x00" + out.read_bytes())
    # A version 2 package (blobs in chunks): recwb chunks only blobs over 256 MiB, so a hidden
    # test of test_export writes it (file_chunked) with a small chunk size.
    test_export = pathlib.Path(RECWB).resolve().parents[1] / "tests/test_export"
    if os.access(test_export, os.X_OK):
        subprocess.run([str(test_export), "[.seeds]"], check=True, capture_output=True)
    else:
        print(f"skipping file_chunked: no {test_export}", file=sys.stderr)
    put("package", "not_sqlite", b"\x00not a package at all")
    put("package", "empty_blob", b"\x01")
    put("package", "sqlite_header_only", b"\x00SQLite format 3\x00" + b"\x00" * 84)


if __name__ == "__main__":
    delimited()
    movielens()
    spec()
    http()
    package()
