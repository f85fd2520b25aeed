#!/usr/bin/env python3
"""PyTorch baselines for docs/benchmarks.md, in one process: torch.optim.Adam (fused=True on CUDA,
foreach=True on CPU) and a copy, ns/parameter and effective GB/s (Adam counted as 28 B/parameter,
a copy as 8 B/element, as `lopt bench` counts them). CUDA is timed with events, CPU with a clock.
Usage: adam_bench.py [sizes] [cuda|cpu]. Prints one JSON object per line: {"what", "size", "ns_per_param", "gbps"}."""
import json, sys, time

import torch


def time_ms(fn, reps):
    fn()
    torch.cuda.synchronize()
    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(reps):
        fn()
    stop.record()
    torch.cuda.synchronize()
    return start.elapsed_time(stop) / reps


def time_ms_cpu(fn, reps):
    fn()
    t0 = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - t0) * 1e3 / reps


def main():
    sizes = [int(float(s)) for s in (sys.argv[1] if len(sys.argv) > 1 else "1e6,1e7,1e8").split(",")]
    device = sys.argv[2] if len(sys.argv) > 2 else "cuda"
    timer = time_ms if device == "cuda" else time_ms_cpu
    for n in sizes:
        reps = max(5, int((2e9 if device == "cuda" else 2e8) / (28 * n)))
        p = torch.nn.Parameter(torch.randn(n, device=device))
        p.grad = torch.randn(n, device=device) * 1e-2
        opt = torch.optim.Adam([p], lr=1e-6, fused=True) if device == "cuda" else torch.optim.Adam([p], lr=1e-6, foreach=True)
        ms = timer(opt.step, reps)
        name = "torch-adam-fused" if device == "cuda" else "torch-adam-foreach"
        print(json.dumps({"what": name, "device": device, "size": n, "ns_per_param": ms * 1e6 / n, "gbps": 28 * n / (ms * 1e6)}))
        src, dst = torch.randn(n, device=device), torch.empty(n, device=device)
        ms = timer(lambda: dst.copy_(src), reps)
        print(json.dumps({"what": "torch-copy", "device": device, "size": n, "ns_per_param": ms * 1e6 / n, "gbps": 8 * n / (ms * 1e6)}))


if __name__ == "__main__":
    main()
