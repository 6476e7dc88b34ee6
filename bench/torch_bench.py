#!/usr/bin/env python3
"""PyTorch reference for `npm run bench` (bench/run.ts): the same models as bench/spec.ts.

  MLP: 784 -> 256 relu -> 256 relu (shared) -> heads Linear(256, 10) (cross-entropy) and Linear(256, 4)
       (MSE on the standardised bounding box); batch 128.
  CNN: 1x28x28 -> conv3x3x32 relu -> conv3x3x64 relu -> maxpool 2 -> flatten -> 128 relu (shared) -> the
       same two heads; batch 64.
  Adam lr 1e-3. A step = gather the batch rows, forward, backward (per method, below), optimizer step,
  read the loss (the sum of the two task losses).

  text_bigru, text_transformer: SNIPS joint intent + slots (bench/spec.ts TEXT_BENCH_SPECS), written as a
       PyTorch user would: nn.Embedding(vocab, 64, padding_idx=0), then
         bigru:       nn.GRU(64, 32, bidirectional=True, batch_first=True) over pack_padded_sequence,
                      pad_packed_sequence back (zeros at padding) -> [B, Lb, 64];
         transformer: + learned positions (Lb x 64), nn.TransformerEncoder of 2
                      nn.TransformerEncoderLayer(64, 4, 128, dropout=0, norm_first=True, batch_first=True)
                      with src_key_padding_mask, final nn.LayerNorm, padding zeroed -> [B, Lb, 64];
       heads: intent Linear(64, 7) on the masked mean over the tokens (CE), slots Linear(64, 72) per token
       (CE, ignore_index=-100 at padding); batch 64, Adam lr 5e-3. A step = take the batch's rows, cut them
       to its longest sentence (Lb), forward, backward, optimizer step, read the loss (intent + slots).
       The batches are the TS side's: rows [64k, 64k + 64) of the data folder, cycled in order.

Methods (bench/spec.ts BENCH_METHODS), T = 2 tasks, on every model (an encoder and one head per task):
  ew          loss = the sum of the task losses, one backward pass.
  pcgrad      PCGrad (Yu et al. 2020) over the shared encoder's parameters, as LibMTL does it: one forward
              pass; per task t, torch.autograd.grad(loss_t, shared + head_t) (the graph retained until
              the last task); the shared grads flattened into rows g_t; each g_i' = g_i projected, over
              the other tasks j in a random order, against the ORIGINAL g_j when g_i'.g_j < 0; the sum
              d = sum_i g_i' written into the encoder's .grad, each head's own gradient into its .grad.
  pcgrad@rep  PCGrad on the representation: z = encoder(x); the heads run on zd = z.detach(); per task
              the gradient w.r.t. zd (rows of B*D; text: the per-token features, B*Lb*D) and its own
              head; PCGrad as above gives d_z; z.backward(d_z) fills the encoder's .grad.

Usage (what run.ts calls):
  torch_bench.py --data DIR --models mlp,cnn,text_bigru,text_transformer --methods ew,pcgrad,pcgrad@rep
                 --seconds S [--threads default,2,1] [--method-threads ew-best|all] [--method-seconds S2]
DIR holds meta.json ({"n": N}), x.f32 (N*784), digit.f32 (N), box.f32 (N*4), little-endian float32, for
the image models, and DIR/snips/ for the text models (bench/text-data.ts writeTextTorchData): meta.json
({"n", "maxLength", "vocabSize", "intents", "tags", "batchSize", "ignoreIndex"}), ids.i32 (N*L),
lengths.i32 (N), intent.i32 (N), slots.i32 (N*L, ignoreIndex at padding), little-endian int32;
without --data, random-but-fixed data of the same shapes is used.

Every (model, method, thread setting) runs in a fresh child process of this script (`--single`), so one
setting's thread pools cannot leak into the next and each has its own peak RSS. The best setting per
(model, method) is reported. With --method-threads ew-best (the default), methods other than ew are
timed only at the thread setting that won ew for that model (all settings when ew is not measured or
failed); with `all`, every method tries every setting. --method-seconds (default --seconds) is the
timed budget of the non-ew methods. Prints ONE JSON line on stdout, with the BLAS in use ("blas"):
Debian's python3-torch only recommends OpenBLAS, and on the netlib reference BLAS torch is ~30x slower.
"""
import argparse
import json
import math
import os
import random
import resource
import subprocess
import sys
import time

# Same warm-up rule as bench/spec.ts (WARMUP / warmupDone).
WARMUP_MIN_STEPS = 3
WARMUP_MIN_SECONDS = 0.5
WARMUP_MAX_FRACTION = 0.5
BATCH = {"mlp": 128, "cnn": 64, "text_bigru": 64, "text_transformer": 64}
LR = {"mlp": 1e-3, "cnn": 1e-3, "text_bigru": 5e-3, "text_transformer": 5e-3}
TEXT_MODELS = ("text_bigru", "text_transformer")
METHODS = ("ew", "pcgrad", "pcgrad@rep")
# The text models' sizes (bench/spec.ts TEXT_BENCH_SPECS; the Transformer's defaults of src/models/text/encoder.ts).
TEXT_DIM = 64
GRU_UNITS = 32
TRANSFORMER = {"layers": 2, "heads": 4, "ffn": 128}


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
    """An image model: .encoder (shared), .heads (digit, box), encode(batch) -> z and
    task_losses(z, batch) -> [CE, MSE]; batch = (x, digit, box)."""
    nn = torch.nn
    F = torch.nn.functional

    class HPS(nn.Module):
        def __init__(self, encoder, rep):
            super().__init__()
            self.encoder = encoder
            self.heads = nn.ModuleList([nn.Linear(rep, 10), nn.Linear(rep, 4)])

        def encode(self, batch):
            return self.encoder(batch[0])

        def task_losses(self, z, batch):
            _, yb, bb = batch
            return [F.cross_entropy(self.heads[0](z), yb), F.mse_loss(self.heads[1](z), bb)]

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


def load_text(torch, data_dir):
    """SNIPS bench data (the TS side's batches, in order): ids [N, L] int64, lengths [N], intent [N],
    slots [N, L] (ignore_index at padding) and meta. Without a folder, random-but-fixed data of SNIPS's
    shapes (vocabulary 4392, L 35, 7 intents, 72 tags, 3 to 20 tokens)."""
    if data_dir:
        folder = os.path.join(data_dir, "snips")
        with open(os.path.join(folder, "meta.json")) as f:
            meta = json.load(f)
        n, L = int(meta["n"]), int(meta["maxLength"])

        def read(name, width):
            with open(os.path.join(folder, name), "rb") as f:
                buf = bytearray(f.read())
            t = torch.frombuffer(buf, dtype=torch.int32)
            if t.numel() != n * width:
                raise ValueError(f"snips/{name}: expected {n * width} int32 values, got {t.numel()}")
            return t.view(n, width).long()

        ids, lengths = read("ids.i32", L), read("lengths.i32", 1).view(n)
        intent, slots = read("intent.i32", 1).view(n), read("slots.i32", L)
    else:
        meta = {"vocabSize": 4392, "maxLength": 35, "intents": 7, "tags": 72, "ignoreIndex": -100}
        g = torch.Generator().manual_seed(0)
        n, L = 1024, meta["maxLength"]
        lengths = torch.randint(3, 21, (n,), generator=g)
        pad = torch.arange(L).unsqueeze(0) >= lengths.unsqueeze(1)
        ids = torch.randint(1, meta["vocabSize"], (n, L), generator=g).masked_fill(pad, 0)
        intent = torch.randint(0, meta["intents"], (n,), generator=g)
        slots = torch.randint(0, meta["tags"], (n, L), generator=g).masked_fill(pad, meta["ignoreIndex"])
    if int(ids.max()) >= int(meta["vocabSize"]) or int(lengths.min()) < 1:
        raise ValueError("snips data: token ids must be < vocabSize and every sentence must have a token")
    return ids, lengths, intent, slots, meta


def build_text(torch, model, meta):
    """A text model (the `mtl agent` joint model): .encoder (shared), .heads (intent, slots),
    encode(batch) -> per-token features [B, Lb, D] (0 at padding), task_losses(z, batch) -> [intent CE,
    slot CE]; batch = (ids [B, Lb], lengths [B], intent [B], slots [B, Lb])."""
    nn = torch.nn
    F = torch.nn.functional
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    vocab, max_len = int(meta["vocabSize"]), int(meta["maxLength"])
    ignore = int(meta["ignoreIndex"])

    class BiGRUEncoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(vocab, TEXT_DIM, padding_idx=0)
            self.gru = nn.GRU(TEXT_DIM, GRU_UNITS, batch_first=True, bidirectional=True)

        def forward(self, ids, lengths):
            packed = pack_padded_sequence(self.embedding(ids), lengths, batch_first=True, enforce_sorted=False)
            out, _ = self.gru(packed)
            out, _ = pad_packed_sequence(out, batch_first=True, total_length=ids.shape[1])
            return out

    class TransformerEncoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(vocab, TEXT_DIM, padding_idx=0)
            self.positions = nn.Parameter(torch.empty(max_len, TEXT_DIM).uniform_(-0.05, 0.05))
            layer = nn.TransformerEncoderLayer(
                TEXT_DIM, TRANSFORMER["heads"], TRANSFORMER["ffn"], dropout=0.0, batch_first=True, norm_first=True)
            self.encoder = nn.TransformerEncoder(
                layer, TRANSFORMER["layers"], norm=nn.LayerNorm(TEXT_DIM), enable_nested_tensor=False)

        def forward(self, ids, lengths):
            pad = ids == 0
            h = self.embedding(ids) + self.positions[:ids.shape[1]]
            h = self.encoder(h, src_key_padding_mask=pad)
            return h.masked_fill(pad.unsqueeze(-1), 0.0)

    class TextHPS(nn.Module):
        def __init__(self, encoder):
            super().__init__()
            self.encoder = encoder
            self.heads = nn.ModuleList([nn.Linear(TEXT_DIM, int(meta["intents"])), nn.Linear(TEXT_DIM, int(meta["tags"]))])

        def encode(self, batch):
            ids, lengths = batch[0], batch[1]
            return self.encoder(ids, lengths)

        def task_losses(self, z, batch):
            ids, _, intent, slots = batch
            mask = (ids != 0).unsqueeze(-1).to(z.dtype)
            pooled = (z * mask).sum(1) / mask.sum(1).clamp_min(1.0)
            tags = self.heads[1](z)
            return [
                F.cross_entropy(self.heads[0](pooled), intent),
                F.cross_entropy(tags.reshape(-1, tags.shape[-1]), slots.reshape(-1), ignore_index=ignore),
            ]

    return TextHPS(BiGRUEncoder() if model == "text_bigru" else TransformerEncoder())


def pcgrad(torch, G, rng):
    """PCGrad of the T x P task-gradient rows G: d = sum_i g_i', where g_i' starts as g_i and, for the
    other tasks j in a random order, g_i' -= (g_i'.g_j / |g_j|^2) g_j whenever g_i'.g_j < 0 (always
    against the ORIGINAL g_j). Returns d (length P)."""
    T = G.shape[0]
    sq = (G * G).sum(1).tolist()
    out = G.clone()
    for i in range(T):
        gi = out[i]
        others = [j for j in range(T) if j != i]
        rng.shuffle(others)
        for j in others:
            dot = float(gi @ G[j])
            if dot < 0 and sq[j] > 0:
                gi.sub_(G[j], alpha=dot / sq[j])
    return out.sum(0)


def make_step(torch, net, method, rng):
    """The backward part of one training step for `method`: takes the batch, fills every parameter's
    .grad and returns the summed loss as a tensor. Separate from the optimizer so the loop is the same
    for every method. `net` has .encoder (shared), .heads (one module per task), encode(batch) -> z and
    task_losses(z, batch) -> [loss per task]."""
    shared = list(net.encoder.parameters())
    heads = [list(h.parameters()) for h in net.heads]
    n_shared = len(shared)

    if method == "ew":
        def backward(batch):
            loss = sum(net.task_losses(net.encode(batch), batch))
            loss.backward()
            return loss
        return backward

    if method == "pcgrad":
        def backward(batch):
            losses = net.task_losses(net.encode(batch), batch)
            T = len(losses)
            rows = []
            for t, loss in enumerate(losses):
                # Keep the shared graph only while another task still has to go through it.
                gs = torch.autograd.grad(loss, shared + heads[t], retain_graph=t < T - 1, allow_unused=True)
                rows.append(torch.cat([(torch.zeros_like(p) if g is None else g).reshape(-1) for p, g in zip(shared, gs[:n_shared])]))
                for p, g in zip(heads[t], gs[n_shared:]):
                    p.grad = g
            d = pcgrad(torch, torch.stack(rows), rng)
            offset = 0
            for p in shared:
                k = p.numel()
                p.grad = d[offset:offset + k].view_as(p)
                offset += k
            return sum(loss.detach() for loss in losses)
        return backward

    if method == "pcgrad@rep":
        def backward(batch):
            z = net.encode(batch)
            zd = z.detach().requires_grad_()
            losses = net.task_losses(zd, batch)
            rows = []
            for t, loss in enumerate(losses):
                # Each task's graph is its own head on the leaf zd: nothing to retain between tasks.
                gs = torch.autograd.grad(loss, [zd] + heads[t])
                rows.append(gs[0].reshape(-1))
                for p, g in zip(heads[t], gs[1:]):
                    p.grad = g
            d = pcgrad(torch, torch.stack(rows), rng)
            z.backward(d.view_as(z))
            return sum(loss.detach() for loss in losses)
        return backward

    raise ValueError(f"unknown method {method!r}: choose from {', '.join(METHODS)}")


def image_setup(torch, args):
    """(net, batch(k)) of an image model: batch k gathers the k-th batch of a seeded permutation."""
    x, digit, box = load_data(torch, args.data)
    if args.model == "cnn":
        x = x.view(-1, 1, 28, 28)
    n = x.shape[0]
    bs = BATCH[args.model]
    if n < bs:
        raise ValueError(f"need at least {bs} samples, got {n}")
    order = torch.randperm(n, generator=torch.Generator().manual_seed(0))
    batches = [order[s:s + bs] for s in range(0, n - bs + 1, bs)]

    def batch(k):
        rows = batches[k % len(batches)]
        return x[rows], digit[rows], box[rows]

    return build(torch, args.model), batch


def text_setup(torch, args):
    """(net, batch(k)) of a text model: batch k = rows [64k, 64k + 64) cut to their longest sentence."""
    ids, lengths, intent, slots, meta = load_text(torch, args.data)
    n = ids.shape[0]
    bs = BATCH[args.model]
    if n < bs:
        raise ValueError(f"need at least {bs} sentences, got {n}")
    starts = list(range(0, n - bs + 1, bs))

    def batch(k):
        s = starts[k % len(starts)]
        lens = lengths[s:s + bs]
        lb = int(lens.max())
        return ids[s:s + bs, :lb], lens, intent[s:s + bs], slots[s:s + bs, :lb]

    return build_text(torch, args.model, meta), batch


def single(args):
    import torch

    if args.threads != "default":
        torch.set_num_threads(int(args.threads))
    torch.manual_seed(0)
    net, batch = (text_setup if args.model in TEXT_MODELS else image_setup)(torch, args)
    opt = torch.optim.Adam(net.parameters(), lr=LR[args.model])
    backward = make_step(torch, net, args.method, random.Random(0))
    state = {"step": 0, "loss": float("nan"), "first": float("nan")}

    def step():
        b = batch(state["step"])
        opt.zero_grad(set_to_none=True)
        loss = backward(b)
        opt.step()
        state["loss"] = loss.item()
        if state["step"] == 0:
            state["first"] = state["loss"]
        state["step"] += 1

    w0 = time.perf_counter()
    warm = 0
    while not warmup_done(warm, time.perf_counter() - w0, args.seconds):
        step()
        warm += 1
    warm_s = time.perf_counter() - w0
    if not math.isfinite(state["loss"]):
        raise ValueError(f"loss is not finite after warm-up ({state['loss']})")

    t0 = time.perf_counter()
    steps = 0
    while True:
        step()
        steps += 1
        elapsed = time.perf_counter() - t0
        if elapsed >= args.seconds:
            break
    if not math.isfinite(state["loss"]):
        raise ValueError(f"loss is not finite after {state['step']} steps ({state['loss']})")
    return {
        "model": args.model,
        "method": args.method,
        "threads": args.threads,
        "numThreads": torch.get_num_threads(),
        "stepsPerSec": steps / elapsed,
        "steps": steps,
        "seconds": elapsed,
        "warmupSteps": warm,
        "warmupSeconds": warm_s,
        "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "firstLoss": state["first"],
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


def run_trial(args, model, method, threads, seconds):
    cmd = [sys.executable, os.path.abspath(__file__), "--single", "--model", model, "--method", method,
           "--threads", threads, "--seconds", str(seconds)]
    if args.data:
        cmd += ["--data", args.data]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        tail = (r.stderr or r.stdout).strip().splitlines()[-1:] or ["exit " + str(r.returncode)]
        return {"threads": threads, "stepsPerSec": None, "error": tail[0]}
    try:
        return last_json_line(r.stdout)
    except ValueError as e:
        return {"threads": threads, "stepsPerSec": None, "error": str(e)}


def best_of(trials):
    ok = [t for t in trials if t.get("stepsPerSec")]
    best = max(ok, key=lambda t: t["stepsPerSec"]) if ok else None
    return {
        "stepsPerSec": best["stepsPerSec"] if best else None,
        "threads": best["threads"] if best else None,
        "numThreads": best["numThreads"] if best else None,
        "peakRssMB": best["peakRssMB"] if best else None,
        "firstLoss": best["firstLoss"] if best else None,
        "lastLoss": best["lastLoss"] if best else None,
        "trials": trials,
    }


def split_list(value, choices, what):
    items = []
    for item in (s.strip() for s in value.split(",")):
        if not item:
            continue
        if item not in choices:
            raise SystemExit(f"unknown {what} {item!r}: choose from {', '.join(choices)}")
        if item not in items:
            items.append(item)
    return items


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default=None)
    p.add_argument("--models", default="mlp,cnn,text_bigru,text_transformer")
    p.add_argument("--model", default=None)
    p.add_argument("--methods", default=",".join(METHODS))
    p.add_argument("--method", default="ew")
    p.add_argument("--seconds", type=float, default=4.0)
    p.add_argument("--method-seconds", type=float, default=None)
    p.add_argument("--threads", default="default,2,1")
    p.add_argument("--method-threads", choices=("ew-best", "all"), default="ew-best")
    p.add_argument("--single", action="store_true")
    args = p.parse_args()

    if args.single:
        print(json.dumps(single(args)), flush=True)
        return

    import torch  # fail early (exit 1) when torch is missing

    models = split_list(args.models, tuple(BATCH), "model")
    methods = split_list(args.methods, METHODS, "method")
    threads_all = [t for t in args.threads.split(",") if t]
    method_seconds = args.method_seconds if args.method_seconds is not None else args.seconds
    out = {"torch": torch.__version__, "python": sys.executable, "cpus": os.cpu_count(),
           "methodThreads": args.method_threads, "methodSeconds": method_seconds, "models": {}}
    # ew first: with --method-threads ew-best, the other methods run at its winning setting.
    order = sorted(methods, key=lambda m: m != "ew")
    for model in models:
        results = {}
        for method in order:
            threads = threads_all
            seconds = args.seconds
            if method != "ew":
                seconds = method_seconds
                ew = results.get("ew")
                if args.method_threads == "ew-best" and ew and ew["threads"] is not None:
                    threads = [ew["threads"]]
            results[method] = best_of([run_trial(args, model, method, t, seconds) for t in threads])
        out["models"][model] = {m: results[m] for m in methods}
    blas = [t.get("blas") for m in out["models"].values() for r in m.values() for t in r["trials"] if t.get("blas")]
    out["blas"] = blas[0] if blas else None
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
