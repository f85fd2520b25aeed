#!/usr/bin/env bash
# Stages what tests/gpu/device_checks.sh needs on a GPU machine that has no .NET, within a 64 MiB
# carry limit (working tree + out/ + .device/):
#   out/tests/                      one linux-x64 Release build of the tests (it holds lopt.dll and
#                                   liblopt_cpu.so too; ~19 MB; a portable build with every RID's
#                                   SkiaSharp assets would be ~160 MB)
#   .device/dotnet-runtime.tar.xz   this machine's .NET runtime (~26 MB), packed once and cached in /tmp
#   .device/run.sh                  tests/gpu/device-run.sh: unpacks the runtime there and runs a command
# Then carry [".device", "out"] and run:  bash tests/gpu/device_checks.sh
# Both out/ and .device/ are ignored by git. Only x86-64 framework-dependent builds run this way.
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
rm -rf out .device
dotnet build tests/LearnedOpt.Tests -c Release -r linux-x64 --no-self-contained -o out/tests

mkdir -p .device
dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
version=$(dotnet --list-runtimes | awk '$1 == "Microsoft.NETCore.App" { v = $2 } END { print v }')
[ -n "$version" ] || { echo "prepare.sh: no Microsoft.NETCore.App runtime found" >&2; exit 1; }
cache=${TMPDIR:-/tmp}/lopt-dotnet-runtime-$version.tar.xz
if [ ! -s "$cache" ]; then
  echo "prepare.sh: packing .NET runtime $version (about a minute, once per machine)"
  # The host (dotnet, host/fxr) and the one shared framework the tests need; nothing of the SDK.
  tar -C "$dotnet_root" -cf - dotnet host "shared/Microsoft.NETCore.App/$version" | xz -T0 -6 > "$cache.tmp"
  mv "$cache.tmp" "$cache"
fi
cp "$cache" .device/dotnet-runtime.tar.xz
cp tests/gpu/device-run.sh .device/run.sh
chmod +x .device/run.sh

tree=$(git ls-files -z | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1)
carried=$(du -sb out .device | awk '{ s += $1 } END { print s }')
total=$(( (tree + carried) / 1048576 ))
echo "prepare.sh: working tree + out + .device = ${total} MiB (limit 64)"
[ "$total" -lt 64 ] || { echo "prepare.sh: over the carry limit" >&2; exit 1; }
