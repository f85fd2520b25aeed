#!/usr/bin/env python3
"""PyTorch baselines for docs/benchmarks.md, timed with CUDA events in one process:
torch.optim.Adam(fused=True) and a device-to-device copy, ns/parameter and effective GB/s
(Adam counted as 28 B/parameter, a copy as 8 B/element, as `lopt bench` counts them).
Prints one JSON object per line: {"what", "size", "ns_per_param", "gbps"}."""
import json, sys

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


def main():
    sizes = [int(float(s)) for s in (sys.argv[1] if len(sys.argv) > 1 else "1e6,1e7,1e8").split(",")]
    for n in sizes:
        reps = max(5, int(2e9 / (28 * n)))
        p = torch.nn.Parameter(torch.randn(n, device="cuda"))
        p.grad = torch.randn(n, device="cuda") * 1e-2
        opt = torch.optim.Adam([p], lr=1e-6, fused=True)
        ms = time_ms(opt.step, reps)
        print(json.dumps({"what": "torch-adam-fused", "size": n, "ns_per_param": ms * 1e6 / n, "gbps": 28 * n / (ms * 1e6)}))
        src, dst = torch.randn(n, device="cuda"), torch.empty(n, device="cuda")
        ms = time_ms(lambda: dst.copy_(src), reps)
        print(json.dumps({"what": "torch-copy", "size": n, "ns_per_param": ms * 1e6 / n, "gbps": 8 * n / (ms * 1e6)}))


if __name__ == "__main__":
    main()
