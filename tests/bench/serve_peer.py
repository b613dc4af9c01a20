#!/usr/bin/python3
"""The peer of tests/bench/serve: how a model is commonly served from Python — the
standard library's threading HTTP server (HTTP/1.1 keep-alive) answering the same
API (POST /v1/models/NAME:predict with {"instances": [...]}) with an XGBoost
classifier (xgboost's Python package, n_estimators=200, max_depth=6, learning_rate=0.1,
as our search's usual winner) trained on the same CSV, categorical columns one-hot
encoded with pandas.  Prints "port N" once it listens.

  serve_peer.py CSV TARGET NAME
"""
import json, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pandas as pd
import xgboost as xgb

csv_path, target, name = sys.argv[1:4]
df = pd.read_csv(csv_path, sep=None, engine="python")
y = df.pop(target)
classes = sorted(y.unique())
cats = {c: sorted(df[c].astype(str).unique()) for c in df.columns if df[c].dtype == object}
nums = [c for c in df.columns if c not in cats]


def encode(frame):
    for c, levels in cats.items():
        frame[c] = pd.Categorical(frame[c], categories=levels)
    for c in nums:
        frame[c] = pd.to_numeric(frame[c], errors="raise")
    return pd.get_dummies(frame[list(df.columns)], columns=list(cats), dtype=float)


X = encode(df.copy())
model = xgb.XGBClassifier(n_estimators=200, max_depth=6, learning_rate=0.1, n_jobs=2)
model.fit(X, (y == classes[1]).astype(int))
path = f"/v1/models/{name}:predict"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, status, doc):
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path != path:
            return self.reply(404, {"error": "no such model"})
        try:
            rows = pd.DataFrame(json.loads(body)["instances"], columns=list(df.columns))
            p = model.predict_proba(encode(rows))[:, 1]
        except Exception as e:  # noqa: BLE001 - a peer answers 400 like we do
            return self.reply(400, {"error": str(e)})
        self.reply(200, {"predictions": [
            {"label": classes[int(v >= 0.5)], "scores": {classes[0]: 1 - float(v),
                                                         classes[1]: float(v)}} for v in p]})


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(f"port {server.server_address[1]}", flush=True)
server.serve_forever()
