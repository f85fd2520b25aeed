#!/usr/bin/env bash
# One script for a lent GPU machine (see the brief's "The GPU machine"): the GPU test tier, the
# benchmarks beside PyTorch's fused Adam and a copy, the PyTorch replay check, the standalone
# kernel benchmark. Prepare here:  dotnet build -c Release && dotnet publish src/LearnedOpt.Cli -c Release -o out/lopt
#   && dotnet build -c Release tests/LearnedOpt.Tests -o out/tests && bash ../shared/device/pack.sh
# then run with carry [".device", "out"]:  bash tests/gpu/device_checks.sh   (results land in $OUT)
set -u
OUT=${OUT:-/tmp/lopt-device}
mkdir -p "$OUT"
run() { echo "== $*" | tee -a "$OUT/log.txt"; "$@" 2>&1 | tee -a "$OUT/log.txt"; }
R="bash .device/run.sh"
run nvidia-smi
run $R dotnet out/lopt/lopt.dll info
run $R dotnet out/lopt/lopt.dll kernels
# GPU tier: every CUDA test class against the CPU launchers.
run $R dotnet out/tests/LearnedOpt.Tests.dll --filter-class "*Cuda*" --filter-class "*Gpu*" --filter-class "*CudaProblemParity*" --filter-class "*HrnnGradCudaParity*"
# Our kernels beside PyTorch's, same machine, same call.
for o in adam sgd hrnn; do run $R dotnet out/lopt/lopt.dll bench --backend cuda --optimizer $o --sizes 1e6,1e7,1e8 --json; done
run $R dotnet out/lopt/lopt.dll bench --backend cuda --suite tasks --json
run python3 tests/torch/adam_bench.py 1e6,1e7,1e8
run python3 tests/torch/replay_check.py --lopt "bash .device/run.sh dotnet out/lopt/lopt.dll" --backend cuda
run python3 tests/torch/replay_check.py --lopt "bash .device/run.sh dotnet out/lopt/lopt.dll" --backend cpu
if command -v nvcc >/dev/null || [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH=/usr/local/cuda/bin:$PATH
  run cmake -S . -B /tmp/lopt-native -DCMAKE_BUILD_TYPE=Release
  run cmake --build /tmp/lopt-native --target lopt_kernel_bench -j 16
  run /tmp/lopt-native/lopt_kernel_bench
fi
