"""PyTorch side of `npm run bench:embedding` (bench/embedding.ts): the same model and data.

Reads meta.json + x.f32 + click.f32 + buy.f32 from the folder given, trains
  embeddings (one nn.Embedding per id feature, ids mean-pooled for the list) -> concat with the numeric
  columns -> Linear(64) + ReLU -> two Linear(1) heads, BCE-with-logits each, Adam(1e-3), dense gradients
for the given number of steps after a warm-up, at the given thread count, and prints one JSON line
{"stepsPerSec": ..., "threads": ..., "firstLoss": ..., "lastLoss": ...}.
"""
import json, sys, time, resource
import numpy as np
import torch
import torch.nn as nn

folder, threads, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
torch.set_num_threads(threads)
torch.manual_seed(0)
meta = json.load(open(f"{folder}/meta.json"))
n, width, batch = meta["n"], meta["width"], meta["batch"]
x = torch.from_numpy(np.fromfile(f"{folder}/x.f32", dtype=np.float32).reshape(n, width))
y = [torch.from_numpy(np.fromfile(f"{folder}/{t}.f32", dtype=np.float32).reshape(n, 1)) for t in ("click", "buy")]
dense_cols = meta["dense"]
tables = meta["tables"]  # [{offset, length, rows, dim, pooled}]

class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.ModuleList([nn.Embedding(t["rows"], t["dim"]) for t in tables])
        for e in self.emb:
            nn.init.uniform_(e.weight, -0.05, 0.05)
        width_in = len(dense_cols) + sum(t["dim"] for t in tables)
        self.body = nn.Sequential(nn.Linear(width_in, 64), nn.ReLU())
        self.heads = nn.ModuleList([nn.Linear(64, 1), nn.Linear(64, 1)])
        self.dense = torch.tensor(dense_cols, dtype=torch.long)

    def forward(self, xb):
        parts = [xb[:, self.dense]]
        for t, e in zip(tables, self.emb):
            ids = xb[:, t["offset"]:t["offset"] + t["length"]]
            if not t["pooled"]:
                parts.append(e(ids[:, 0].long()))
            else:
                mask = (ids >= 0).float()
                rows = e(ids.clamp(min=0).long())
                parts.append((rows * mask.unsqueeze(2)).sum(1) / mask.sum(1, keepdim=True).clamp(min=1))
        h = self.body(torch.cat(parts, 1))
        return [head(h) for head in self.heads]

model = Model()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = nn.BCEWithLogitsLoss()
steps_per_epoch = n // batch

def step(k):
    i = (k % steps_per_epoch) * batch
    xb = x[i:i + batch]
    out = model(xb)
    loss = loss_fn(out[0], y[0][i:i + batch]) + loss_fn(out[1], y[1][i:i + batch])
    opt.zero_grad()
    loss.backward()
    opt.step()
    return float(loss)

first = step(0)
for k in range(1, 4):
    step(k)
k, t0, last = 4, time.perf_counter(), first
while time.perf_counter() - t0 < seconds:
    last = step(k)
    k += 1
elapsed = time.perf_counter() - t0
print(json.dumps({"stepsPerSec": (k - 4) / elapsed, "threads": threads, "firstLoss": first, "lastLoss": last,
                  "rssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
