#!/usr/bin/env bash
# Runs on the GPU machine as .device/run.sh (prepare.sh puts it there): unpacks the carried .NET
# runtime once, puts the CUDA library folders on the loader path, prints the GPU, then runs the
# given command.   bash .device/run.sh CMD [ARGS...]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export DOTNET_ROOT=/tmp/dotnet-runtime
if [ ! -x "$DOTNET_ROOT/dotnet" ]; then
  mkdir -p "$DOTNET_ROOT"
  tar -C "$DOTNET_ROOT" -xJf "$here/dotnet-runtime.tar.xz"
fi
export PATH="$DOTNET_ROOT:$PATH" DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# libnvrtc and libcublas may live in the CUDA toolkit or inside Python packages (e.g. PyTorch's wheels).
libdirs=$( { ls -d /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib 2>/dev/null;
             find / -xdev \( -name 'libnvrtc.so*' -o -name 'libcublas.so*' \) -printf '%h\n' 2>/dev/null; } | awk '!seen[$0]++' )
for d in $libdirs; do export LD_LIBRARY_PATH="$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"; done
echo "device-run: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo 'no nvidia-smi')"
echo "device-run: CUDA library folders: $(echo $libdirs | tr '\n' ' ')"
exec "$@"
