#!/usr/bin/env bash
# Stages what tests/gpu/device_checks.sh needs on the GPU machine, within the 64 MiB carry limit:
# one linux-x64 Release build of the tests (it holds lopt.dll and liblopt_cpu.so too; ~19 MB; a
# portable build with every RID's SkiaSharp assets is ~160 MB) and the .NET runtime (.device, ~26 MB).
# Then:  run(command="bash tests/gpu/device_checks.sh", carry=[".device", "out"], timeout_s=600)
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
rm -rf out
dotnet build tests/LearnedOpt.Tests -c Release -r linux-x64 --no-self-contained -o out/tests
shared=${LOPT_SHARED:-$root/../shared}
bash "$shared/device/pack.sh"
tree=$(git ls-files -z | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1)
carried=$(du -sb out .device | awk '{s += $1} END {print s}')
total=$(( (tree + carried) / 1048576 ))
echo "prepare.sh: working tree + out + .device = ${total} MiB (limit 64)"
[ "$total" -lt 64 ] || { echo "prepare.sh: over the carry limit" >&2; exit 1; }
