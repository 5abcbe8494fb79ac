#!/usr/bin/env bash
# Builds and lints the agentgate Bicep templates with a pinned Bicep CLI.
#
# The CLI comes from NuGet (Azure.Bicep.CommandLine.linux-x64), restored with the .NET SDK
# into .bicep/<version>/ (git-ignored), so CI needs no other download channel.
#
#   bash scripts/bicep.sh           fetch if needed, then build and lint (writes infra/bicep/main.json)
#   bash scripts/bicep.sh --fetch   only make sure the pinned CLI is in .bicep/, print its path
#
# Any error or warning from `bicep build`, `bicep build-params` or `bicep lint`, or a file that
# `bicep format` would change, fails the run.
# A lint rule that must stay quiet is switched off in infra/bicep/bicepconfig.json, with its reason.
set -euo pipefail

BICEP_VERSION="0.49.2"
PACKAGE="Azure.Bicep.CommandLine.linux-x64"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$ROOT/.bicep/$BICEP_VERSION"
BIN="$CACHE/bicep"
MAIN="$ROOT/infra/bicep/main.bicep"
PARAMS="$ROOT/infra/bicep/main.bicepparam"
OUT="$ROOT/infra/bicep/main.json"

fetch() {
  if [ -x "$BIN" ] && "$BIN" --version >/dev/null 2>&1; then
    return 0
  fi
  if ! command -v dotnet >/dev/null 2>&1; then
    echo "bicep.sh: the .NET SDK (dotnet) is needed to restore $PACKAGE $BICEP_VERSION" >&2
    return 1
  fi
  local sdk_major work lower
  sdk_major="$(dotnet --version | cut -d. -f1)"
  work="$(mktemp -d)"
  # A throwaway project whose only job is to download the package at the pinned version.
  cat >"$work/fetch-bicep.csproj" <<CSPROJ
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net${sdk_major}.0</TargetFramework>
  </PropertyGroup>
  <ItemGroup>
    <PackageDownload Include="$PACKAGE" Version="[$BICEP_VERSION]" />
  </ItemGroup>
</Project>
CSPROJ
  echo "bicep.sh: restoring $PACKAGE $BICEP_VERSION from NuGet" >&2
  DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 \
    dotnet restore "$work/fetch-bicep.csproj" --packages "$work/packages" --verbosity quiet >&2
  lower="$(echo "$PACKAGE" | tr '[:upper:]' '[:lower:]')"
  mkdir -p "$CACHE"
  cp "$work/packages/$lower/$BICEP_VERSION/tools/bicep" "$BIN.tmp"
  chmod +x "$BIN.tmp"
  mv "$BIN.tmp" "$BIN"
  rm -rf "$work"
  "$BIN" --version >&2
}

# Runs one bicep command; fails on a non-zero exit or on any warning/error diagnostic.
run_checked() {
  local label="$1"
  shift
  local log
  log="$(mktemp)"
  if ! "$BIN" "$@" >"$log" 2>&1; then
    cat "$log" >&2
    echo "bicep.sh: $label failed" >&2
    rm -f "$log"
    return 1
  fi
  if grep -Eq ' : (Warning|Error) ' "$log"; then
    cat "$log" >&2
    echo "bicep.sh: $label reported diagnostics (warnings count as failures)" >&2
    rm -f "$log"
    return 1
  fi
  cat "$log"
  rm -f "$log"
  echo "bicep.sh: $label clean"
}

fetch
if [ "${1:-}" = "--fetch" ]; then
  echo "$BIN"
  exit 0
fi

run_checked "bicep build" build "$MAIN" --outfile "$OUT"
params_out="$(mktemp -d)"
run_checked "bicep build-params" build-params "$PARAMS" --outfile "$params_out/main.parameters.json"
rm -rf "$params_out"
# Linting main.bicep also lints every module it references (their diagnostics are reported too).
run_checked "bicep lint" lint "$MAIN"
# Formatting drift is reported too, so the templates stay in `bicep format` style.
for file in "$MAIN" "$ROOT"/infra/bicep/modules/*.bicep; do
  if ! "$BIN" format "$file" --stdout | diff -q - "$file" >/dev/null; then
    echo "bicep.sh: ${file#"$ROOT/"} is not formatted; run: $BIN format $file" >&2
    exit 1
  fi
done
echo "bicep.sh: $(basename "$MAIN") built to ${OUT#"$ROOT/"} and linted with Bicep $BICEP_VERSION"
