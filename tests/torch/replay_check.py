#!/usr/bin/env python3
"""Checks `lopt replay` against torch.optim on the same recorded gradients.

For each optimizer configuration: draws parameters and T gradients with torch (float32), runs
torch.optim, runs `lopt replay` on the same safetensors files, and compares every step's
parameters (max error relative to the tensor's largest parameter change so far, float32 tolerance).
Needs PyTorch and a built lopt:  python3 tests/torch/replay_check.py --lopt "dotnet path/to/lopt.dll"
Prints one line per configuration and exits non-zero on any mismatch.

The engine follows PyTorch 2.x. Two of its formulas are missing from older torch (Debian 12 ships
1.13): NAdam's running momentum product (1.13 multiplies mu_t into it twice; fixed in 2.0) and the
decoupled weight decay of NAdam and RAdam (added in 2.1). Where the installed torch lacks them, those
configurations run against Torch2NAdam / Torch2RAdam below, line-by-line transcriptions of 2.x's
single-tensor loops, and the line says "torch 2.x transcription" instead of "torch.optim".
"""
import argparse, inspect, json, math, os, shlex, struct, subprocess, sys, tempfile

import torch


TORCH_MAJOR = int(torch.__version__.split(".")[0])


class Torch2NAdam(torch.optim.Optimizer):
    """torch.optim.NAdam of PyTorch 2.x (_single_tensor_nadam), for older torch."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3, decoupled_weight_decay=False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay,
                                      decoupled_weight_decay=decoupled_weight_decay))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
            for param in group["params"]:
                grad, state = param.grad, self.state[param]
                if not state:
                    state["step"] = torch.tensor(0.0)
                    state["mu_product"] = torch.ones(())
                    state["exp_avg"] = torch.zeros_like(param)
                    state["exp_avg_sq"] = torch.zeros_like(param)
                exp_avg, exp_avg_sq, mu_product = state["exp_avg"], state["exp_avg_sq"], state["mu_product"]
                state["step"] += 1
                step = state["step"].item()
                bias_correction2 = 1 - beta2 ** step
                if wd != 0:
                    if group["decoupled_weight_decay"]:
                        param.mul_(1 - lr * wd)
                    else:
                        grad = grad.add(param, alpha=wd)
                mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * group["momentum_decay"])))
                mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * group["momentum_decay"])))
                mu_product *= mu
                exp_avg.lerp_(grad, 1 - beta1)
                exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                denom = exp_avg_sq.div(bias_correction2).sqrt().add(eps)
                mu_product_next = mu_product.item() * mu_next
                param.addcdiv_(grad, denom, value=(-lr * (1.0 - mu) / (1.0 - mu_product.item())))
                param.addcdiv_(exp_avg, denom, value=(-lr * mu_next) / (1.0 - mu_product_next))


class Torch2RAdam(torch.optim.Optimizer):
    """torch.optim.RAdam of PyTorch 2.x (_single_tensor_radam), for torch without decoupled_weight_decay."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, decoupled_weight_decay=decoupled_weight_decay))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
            for param in group["params"]:
                grad, state = param.grad, self.state[param]
                if not state:
                    state["step"] = torch.tensor(0.0)
                    state["exp_avg"] = torch.zeros_like(param)
                    state["exp_avg_sq"] = torch.zeros_like(param)
                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                state["step"] += 1
                step = state["step"].item()
                if wd != 0:
                    if group["decoupled_weight_decay"]:
                        param.mul_(1 - lr * wd)
                    else:
                        grad = grad.add(param, alpha=wd)
                exp_avg.lerp_(grad, 1 - beta1)
                exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                bias_correction1 = 1 - beta1 ** step
                bias_correction2 = 1 - beta2 ** step
                bias_corrected_exp_avg = exp_avg / bias_correction1
                rho_inf = 2 / (1 - beta2) - 1
                rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
                if rho_t > 5.0:
                    rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                    adaptive_lr = math.sqrt(bias_correction2) / exp_avg_sq.sqrt().add_(eps)
                    param.add_(bias_corrected_exp_avg * lr * adaptive_lr * rect, alpha=-1.0)
                else:
                    param.add_(bias_corrected_exp_avg * lr, alpha=-1.0)


def has_decoupled(cls):
    return "decoupled_weight_decay" in inspect.signature(cls.__init__).parameters


def nadam(p, **kw):
    """torch.optim.NAdam where it has PyTorch 2.x's formulas (and the flag asked for), else the transcription."""
    if TORCH_MAJOR >= 2 and (not kw.get("decoupled_weight_decay") or has_decoupled(torch.optim.NAdam)):
        return torch.optim.NAdam(p, **kw)
    return Torch2NAdam(p, **kw)


def radam(p, **kw):
    if not kw.get("decoupled_weight_decay") or has_decoupled(torch.optim.RAdam):
        return torch.optim.RAdam(p, **kw)
    return Torch2RAdam(p, **kw)


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
    ("adam", {"lr": 1e-2, "amsgrad": True}, lambda p: torch.optim.Adam(p, lr=1e-2, amsgrad=True)),
    ("adamw", {"lr": 1e-2, "weight-decay": 0.05, "amsgrad": True}, lambda p: torch.optim.AdamW(p, lr=1e-2, weight_decay=0.05, amsgrad=True)),
    ("rmsprop", {"lr": 1e-3, "centered": True}, lambda p: torch.optim.RMSprop(p, lr=1e-3, centered=True)),
    ("rmsprop", {"lr": 1e-3, "alpha": 0.9, "momentum": 0.5, "weight-decay": 0.01, "centered": True}, lambda p: torch.optim.RMSprop(p, lr=1e-3, alpha=0.9, momentum=0.5, weight_decay=0.01, centered=True)),
    ("sgd", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3, "weight-decay": 0.01}, lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("adagrad", {}, lambda p: torch.optim.Adagrad(p)),
    ("adagrad", {"lr": 0.05, "lr-decay": 0.01, "initial-accumulator": 0.1, "eps": 1e-6, "weight-decay": 0.01}, lambda p: torch.optim.Adagrad(p, lr=0.05, lr_decay=0.01, initial_accumulator_value=0.1, eps=1e-6, weight_decay=0.01)),
    ("adamax", {}, lambda p: torch.optim.Adamax(p)),
    ("adamax", {"lr": 1e-2, "beta1": 0.8, "beta2": 0.99, "weight-decay": 0.01}, lambda p: torch.optim.Adamax(p, lr=1e-2, betas=(0.8, 0.99), weight_decay=0.01)),
    ("nadam", {}, lambda p: nadam(p)),
    ("nadam", {"lr": 1e-2, "momentum-decay": 0.01, "weight-decay": 0.01}, lambda p: nadam(p, lr=1e-2, momentum_decay=0.01, weight_decay=0.01)),
    ("nadam", {"lr": 1e-2, "weight-decay": 0.05, "decoupled-weight-decay": True}, lambda p: nadam(p, lr=1e-2, weight_decay=0.05, decoupled_weight_decay=True)),
    ("radam", {}, lambda p: radam(p)),
    ("radam", {"lr": 1e-2, "beta2": 0.9, "weight-decay": 0.01}, lambda p: radam(p, lr=1e-2, betas=(0.9, 0.9), weight_decay=0.01)),
    ("radam", {"lr": 1e-2, "weight-decay": 0.05, "decoupled-weight-decay": True}, lambda p: radam(p, lr=1e-2, weight_decay=0.05, decoupled_weight_decay=True)),
]


def trajectory(make, params, grads, steps):
    ps = {k: torch.nn.Parameter(v.clone()) for k, v in params.items()}
    opt = make(list(ps.values()))
    out = {}
    for t in range(1, steps + 1):
        for k, p in ps.items():
            p.grad = grads[f"{k}/{t}"].clone()
        opt.step()
        for k, p in ps.items():
            out[f"{k}/{t}"] = p.detach().clone()
    return opt, out


def check_transcriptions(params, grads, steps):
    """The transcriptions against the installed torch.optim wherever both have the formula: 0 or 1 failures."""
    pairs = [("Torch2RAdam", lambda p: Torch2RAdam(p, lr=1e-2, weight_decay=0.01), lambda p: torch.optim.RAdam(p, lr=1e-2, weight_decay=0.01))]
    if TORCH_MAJOR >= 2:
        pairs.append(("Torch2NAdam", lambda p: Torch2NAdam(p, lr=1e-2, weight_decay=0.01), lambda p: torch.optim.NAdam(p, lr=1e-2, weight_decay=0.01)))
    failures = 0
    for name, ours, theirs in pairs:
        _, a = trajectory(ours, params, grads, steps)
        _, b = trajectory(theirs, params, grads, steps)
        worst = max(float((a[k] - b[k]).abs().max() / (b[k].abs().max() + 1e-12)) for k in a)
        ok = worst <= 1e-6
        failures += not ok
        print(f"ref  {'ok' if ok else 'FAIL'}: transcription {name} vs torch.optim, coupled decay, max relative error {worst:.1e}")
    return failures


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
        failures += check_transcriptions(params, grads, args.steps)
        for name, flags, make in CONFIGS:
            opt, expected = trajectory(make, params, grads, args.steps)
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
            against = "torch.optim" if type(opt).__module__.startswith("torch.optim") else "torch 2.x transcription"
            print(f"{'ok  ' if ok else 'FAIL'} {name:8s} {json.dumps(flags):60s} max error / max change = {worst:.2e} (vs {against})")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
