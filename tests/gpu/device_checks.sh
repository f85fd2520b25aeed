#!/usr/bin/env bash
# One script for a lent GPU machine (see the brief's "The GPU machine"): the whole test suite (its
# GPU tier compares every CUDA path with the CPU launchers), the benchmarks beside PyTorch's fused
# Adam and a copy, the meta-training throughput of batched unrolls on the GPU, the PyTorch replay
# check, and the standalone kernel benchmark. Every step has its own time limit so that one hang
# cannot eat the device budget. Prepare here with  bash tests/gpu/prepare.sh  (checks the 64 MiB
# carry limit), then run with carry [".device", "out"]:  bash tests/gpu/device_checks.sh
# (results land in $OUT).
set -u
OUT=${OUT:-/tmp/lopt-device}
mkdir -p "$OUT"
run() { local limit=$1; shift; echo "== $* (limit ${limit}s)" | tee -a "$OUT/log.txt"; timeout "$limit" "$@" 2>&1 | tee -a "$OUT/log.txt"; }
R="bash .device/run.sh"
L="$R dotnet out/tests/lopt.dll"   # the test build carries the CLI too
run 20 nvidia-smi
run 60 $L info
run 120 $L kernels
# Every tier; the GPU tier runs for real here. TRX/JSON reports land in $OUT for a later look.
run 300 $R dotnet out/tests/LearnedOpt.Tests.dll -nocolor -xml "$OUT/test-results.xml"
# Our kernels beside PyTorch's, same machine, same call.
for o in adam sgd hrnn; do run 90 $L bench --backend cuda --optimizer $o --sizes 1e6,1e7,1e8 --json; done
for o in adagrad adamax nadam radam; do run 60 $L bench --backend cuda --optimizer $o --sizes 1e8 --json; done
run 60 python3 tests/torch/adam_bench.py 1e6,1e7,1e8
run 120 $L bench --backend cuda --suite tasks --json
# Meta-gradients per second: batched unrolls on the GPU (the GPU config) and the CPU baselines.
run 180 $L bench --backend cuda --suite meta --config configs/meta-train-gpu.json --iterations 5 --json
run 120 $L bench --backend cuda --suite meta --estimators tbptt --iterations 5 --json
run 120 $L bench --backend cpu --suite meta --iterations 5 --json
run 120 python3 tests/torch/replay_check.py --lopt "$L" --backend cuda
if command -v nvcc >/dev/null || [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH=/usr/local/cuda/bin:$PATH
  run 120 cmake -S . -B /tmp/lopt-native -DCMAKE_BUILD_TYPE=Release
  run 180 cmake --build /tmp/lopt-native --target lopt_kernel_bench -j 16
  run 60 /tmp/lopt-native/lopt_kernel_bench
fi
