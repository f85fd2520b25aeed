#!/usr/bin/env python3
"""Checks `lopt replay` against torch.optim on the same recorded gradients.

For each optimizer configuration: draws parameters and T gradients with torch (float32), runs
torch.optim, runs `lopt replay` on the same safetensors files, and compares every step's
parameters (max error relative to the tensor's largest parameter change so far, float32 tolerance).
Needs PyTorch and a built lopt:  python3 tests/torch/replay_check.py --lopt "dotnet path/to/lopt.dll"
Prints one line per configuration and exits non-zero on any mismatch.
"""
import argparse, json, os, shlex, struct, subprocess, sys, tempfile

import torch


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        data = t.detach().to(torch.float32).contiguous().cpu().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        buf = bytearray(raw[8 + n + b: 8 + n + end])
        out[name] = torch.frombuffer(buf, dtype=torch.float32).reshape(e["shape"]).clone()
    return out


CONFIGS = [
    ("adam", {}, lambda p: torch.optim.Adam(p)),
    ("adam", {"lr": 1e-2, "weight-decay": 0.1}, lambda p: torch.optim.Adam(p, lr=1e-2, weight_decay=0.1)),
    ("adamw", {"lr": 1e-2, "weight-decay": 0.05, "beta2": 0.95}, lambda p: torch.optim.AdamW(p, lr=1e-2, weight_decay=0.05, betas=(0.9, 0.95))),
    ("adamw", {}, lambda p: torch.optim.AdamW(p)),
    ("sgd", {"lr": 0.1}, lambda p: torch.optim.SGD(p, lr=0.1)),
    ("sgd", {"lr": 0.05, "momentum": 0.9, "weight-decay": 0.01}, lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=0.01)),
    ("sgd", {"lr": 0.05, "momentum": 0.9, "nesterov": True}, lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True)),
    ("rmsprop", {}, lambda p: torch.optim.RMSprop(p)),
    ("rmsprop", {"lr": 1e-3, "alpha": 0.9, "momentum": 0.5, "weight-decay": 0.01}, lambda p: torch.optim.RMSprop(p, lr=1e-3, alpha=0.9, momentum=0.5, weight_decay=0.01)),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lopt", required=True, help="command that runs lopt, e.g. 'dotnet out/lopt.dll'")
    ap.add_argument("--backend", default="cpu")
    ap.add_argument("--steps", type=int, default=50)
    args = ap.parse_args()
    torch.manual_seed(0)
    failures = 0
    with tempfile.TemporaryDirectory() as d:
        shapes = {"layer/w": (33, 17), "b": (7,), "s": (1,)}
        params = {k: torch.randn(s) for k, s in shapes.items()}
        grads = {f"{k}/{t}": torch.randn(s) * (10.0 ** (t % 5 - 2)) for t in range(1, args.steps + 1) for k, s in shapes.items()}
        write_safetensors(os.path.join(d, "p.safetensors"), params)
        write_safetensors(os.path.join(d, "g.safetensors"), grads)
        for name, flags, make in CONFIGS:
            ps = {k: torch.nn.Parameter(v.clone()) for k, v in params.items()}
            opt = make(list(ps.values()))
            expected = {}
            for t in range(1, args.steps + 1):
                for k, p in ps.items():
                    p.grad = grads[f"{k}/{t}"].clone()
                opt.step()
                for k, p in ps.items():
                    expected[f"{k}/{t}"] = p.detach().clone()
            cmd = shlex.split(args.lopt) + ["replay", "--optimizer", name, "--params", os.path.join(d, "p.safetensors"),
                                            "--grads", os.path.join(d, "g.safetensors"), "--out", os.path.join(d, "u.safetensors"),
                                            "--backend", args.backend]
            for k, v in flags.items():
                cmd += [f"--{k}"] if v is True else [f"--{k}", str(v)]
            subprocess.run(cmd, check=True)
            got = read_safetensors(os.path.join(d, "u.safetensors"))
            worst = 0.0
            for k in shapes:
                path = 0.0
                for t in range(1, args.steps + 1):
                    prev = params[k] if t == 1 else expected[f"{k}/{t-1}"]
                    path = max(path, float((expected[f"{k}/{t}"] - params[k]).abs().max()), float((expected[f"{k}/{t}"] - prev).abs().max()))
                    err = float((got[f"{k}/{t}"] - expected[f"{k}/{t}"]).abs().max())
                    worst = max(worst, err / max(path, 1e-12))
            ok = worst <= 1e-4
            failures += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {name:8s} {json.dumps(flags):60s} max error / max change = {worst:.2e}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
