#!/usr/bin/env bash
# Here (the CPU machine): publishes the trainsage CLI self-contained (not trimmed: trimming breaks Serilog's
# console sink) into .device-carry/cli, for a device call to carry (`carry: [".device-carry"]`).
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet publish src/TrainSage.Cli -c Release -r linux-x64 --self-contained true -p:PublishSingleFile=true \
  -p:EnableCompressionInSingleFile=true -p:TRAINSAGE_SKIP_NATIVE_BUILD=1 -nologo -v quiet -o .device-carry/cli
rm -f .device-carry/cli/*.pdb .device-carry/cli/libtrainsage_native.so
du -sh .device-carry/cli
