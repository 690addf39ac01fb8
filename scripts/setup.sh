#!/usr/bin/env bash
# Idempotent set-up on a fresh Debian 12 machine with the .NET SDK: installs the system packages TrainSage needs
# (CPU libtorch, OpenBLAS, Open MPI, CMake) when missing, then builds the solution (which builds the native shim).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libtorch-dev libopenblas0-pthread openmpi-bin libopenmpi-dev cmake g++ iproute2)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

command -v dotnet >/dev/null || { echo "setup: the .NET SDK (dotnet) is required: https://learn.microsoft.com/dotnet/core/install/linux-debian" >&2; exit 1; }
dotnet build TrainSage.sln -c Release -nologo -v quiet -clp:ErrorsOnly
