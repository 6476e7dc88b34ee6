#!/usr/bin/env python3
"""PyTorch reference for `npm run bench` (bench/run.ts): the same two models as bench/spec.ts.

  MLP: 784 -> 256 relu -> 256 relu (shared) -> heads Linear(256, 10) (cross-entropy) and Linear(256, 4)
       (MSE on the standardised bounding box); batch 128.
  CNN: 1x28x28 -> conv3x3x32 relu -> conv3x3x64 relu -> maxpool 2 -> flatten -> 128 relu (shared) -> the
       same two heads; batch 64.
  Adam lr 1e-3, loss = CE + MSE. A step = gather the batch rows, forward, backward, optimizer step,
  read the loss.

Usage (what run.ts calls):
  torch_bench.py --data DIR --models mlp,cnn --seconds S [--threads default,2,1]
DIR holds meta.json ({"n": N}), x.f32 (N*784), digit.f32 (N), box.f32 (N*4), little-endian float32;
without --data, random-but-fixed data of the same shapes is used.

Every (model, thread setting) pair runs in a fresh child process of this script (`--single`), so one
setting's thread pools cannot leak into the next and each has its own peak RSS. The best setting per
model is reported. Prints ONE JSON line on stdout, with the BLAS in use ("blas"): Debian's
python3-torch only recommends OpenBLAS, and on the netlib reference BLAS torch is ~30x slower.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time

# Same warm-up rule as bench/spec.ts (WARMUP / warmupDone).
WARMUP_MIN_STEPS = 3
WARMUP_MIN_SECONDS = 0.5
WARMUP_MAX_FRACTION = 0.5
BATCH = {"mlp": 128, "cnn": 64}
LR = 1e-3


def warmup_done(steps, elapsed, budget):
    if steps < 1:
        return False
    if steps >= WARMUP_MIN_STEPS and elapsed >= WARMUP_MIN_SECONDS:
        return True
    return elapsed >= WARMUP_MAX_FRACTION * budget


def load_data(torch, data_dir, n_random=4096):
    if data_dir:
        with open(os.path.join(data_dir, "meta.json")) as f:
            n = int(json.load(f)["n"])

        def read(name, width):
            with open(os.path.join(data_dir, name), "rb") as f:
                buf = bytearray(f.read())
            t = torch.frombuffer(buf, dtype=torch.float32)
            if t.numel() != n * width:
                raise ValueError(f"{name}: expected {n * width} floats, got {t.numel()}")
            return t.view(n, width).clone()

        x = read("x.f32", 784)
        digit = read("digit.f32", 1).view(n).long()
        box = read("box.f32", 4)
    else:
        g = torch.Generator().manual_seed(0)
        n = n_random
        x = torch.rand(n, 784, generator=g)
        digit = torch.randint(0, 10, (n,), generator=g)
        box = torch.rand(n, 4, generator=g)
    # The mtljs regression task standardises its targets with the training labels; do the same.
    box = (box - box.mean(0)) / box.std(0, unbiased=False).clamp_min(1e-12)
    return x, digit, box


def build(torch, model):
    nn = torch.nn

    class HPS(nn.Module):
        def __init__(self, encoder, rep):
            super().__init__()
            self.encoder = encoder
            self.digit = nn.Linear(rep, 10)
            self.box = nn.Linear(rep, 4)

        def forward(self, x):
            h = self.encoder(x)
            return self.digit(h), self.box(h)

    if model == "mlp":
        enc = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU())
        return HPS(enc, 256)
    enc = nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(),
        nn.Conv2d(32, 64, 3), nn.ReLU(),
        nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(64 * 12 * 12, 128), nn.ReLU(),
    )
    return HPS(enc, 128)


def single(args):
    import torch

    if args.threads != "default":
        torch.set_num_threads(int(args.threads))
    torch.manual_seed(0)
    x, digit, box = load_data(torch, args.data)
    if args.model == "cnn":
        x = x.view(-1, 1, 28, 28)
    n = x.shape[0]
    bs = BATCH[args.model]
    if n < bs:
        raise ValueError(f"need at least {bs} samples, got {n}")
    order = torch.randperm(n, generator=torch.Generator().manual_seed(0))
    batches = [order[s:s + bs] for s in range(0, n - bs + 1, bs)]

    net = build(torch, args.model)
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    ce = torch.nn.CrossEntropyLoss()
    mse = torch.nn.MSELoss()
    state = {"step": 0, "loss": float("nan")}

    def step():
        rows = batches[state["step"] % len(batches)]
        xb, yb, bb = x[rows], digit[rows], box[rows]
        opt.zero_grad(set_to_none=True)
        logits, pred = net(xb)
        loss = ce(logits, yb) + mse(pred, bb)
        loss.backward()
        opt.step()
        state["loss"] = loss.item()
        state["step"] += 1

    w0 = time.perf_counter()
    warm = 0
    while not warmup_done(warm, time.perf_counter() - w0, args.seconds):
        step()
        warm += 1
    warm_s = time.perf_counter() - w0

    t0 = time.perf_counter()
    steps = 0
    while True:
        step()
        steps += 1
        elapsed = time.perf_counter() - t0
        if elapsed >= args.seconds:
            break
    return {
        "model": args.model,
        "threads": args.threads,
        "numThreads": torch.get_num_threads(),
        "stepsPerSec": steps / elapsed,
        "steps": steps,
        "seconds": elapsed,
        "warmupSteps": warm,
        "warmupSeconds": warm_s,
        "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "lastLoss": state["loss"],
        "torch": torch.__version__,
        "blas": blas_in_use(),
    }


def blas_in_use():
    """Which BLAS the process has mapped: 'openblas', 'mkl', 'blis', 'reference' (Debian's netlib
    libblas3, ~30x slower: install libopenblas0), or 'unknown'."""
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "blas" in line or "mkl" in line}
    except OSError:
        return "unknown"
    for key, name in (("openblas", "openblas"), ("libmkl", "mkl"), ("blis", "blis")):
        if any(key in lib for lib in libs):
            return name
    if any("/blas/libblas.so" in lib for lib in libs):
        return "reference"
    return "unknown"


def last_json_line(text):
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise ValueError("no JSON line in the output")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default=None)
    p.add_argument("--models", default="mlp,cnn")
    p.add_argument("--model", default=None)
    p.add_argument("--seconds", type=float, default=4.0)
    p.add_argument("--threads", default="default,2,1")
    p.add_argument("--single", action="store_true")
    args = p.parse_args()

    if args.single:
        print(json.dumps(single(args)), flush=True)
        return

    import torch  # fail early (exit 1) when torch is missing

    out = {"torch": torch.__version__, "python": sys.executable, "cpus": os.cpu_count(), "models": {}}
    for model in [m for m in args.models.split(",") if m]:
        if model not in BATCH:
            raise SystemExit(f"unknown model {model!r}")
        trials = []
        for threads in [t for t in args.threads.split(",") if t]:
            cmd = [sys.executable, os.path.abspath(__file__), "--single", "--model", model, "--threads", threads,
                   "--seconds", str(args.seconds)]
            if args.data:
                cmd += ["--data", args.data]
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode != 0:
                tail = (r.stderr or r.stdout).strip().splitlines()[-1:] or ["exit " + str(r.returncode)]
                trials.append({"threads": threads, "stepsPerSec": None, "error": tail[0]})
                continue
            try:
                trials.append(last_json_line(r.stdout))
            except ValueError as e:
                trials.append({"threads": threads, "stepsPerSec": None, "error": str(e)})
        ok = [t for t in trials if t.get("stepsPerSec")]
        best = max(ok, key=lambda t: t["stepsPerSec"]) if ok else None
        out["models"][model] = {
            "stepsPerSec": best["stepsPerSec"] if best else None,
            "threads": best["threads"] if best else None,
            "numThreads": best["numThreads"] if best else None,
            "peakRssMB": best["peakRssMB"] if best else None,
            "trials": trials,
        }
    blas = [t.get("blas") for m in out["models"].values() for t in m["trials"] if t.get("blas")]
    out["blas"] = blas[0] if blas else None
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
