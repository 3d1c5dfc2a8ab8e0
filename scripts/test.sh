#!/usr/bin/env bash
# Runs every test (unit and integration against a real PostgreSQL and real clients) and prints
# one closing line "N passed, N failed[, N skipped]" counted from the test results.
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh || { echo "dependency installation failed"; exit 1; }

results="$(pwd)/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"

dotnet build HoopProxy.sln -c Release -nologo -v q || { echo "0 passed, 1 failed"; exit 1; }
dotnet test tests/HoopProxy.Tests.csproj -c Release --no-build -nologo \
  --logger "trx;LogFileName=results.trx" --results-directory "$results" "$@"
status=$?

# The SSH cipher code picks its vector layout by the CPU's instruction sets: run its tests once more as a machine
# with AVX2 but no AVX-512 (Zen 2/3), so that layout is tested on any runner.
DOTNET_EnableAVX512=0 dotnet test tests/HoopProxy.Tests.csproj -c Release --no-build -nologo \
  --filter "FullyQualifiedName~Unit.Ssh.Crypto" \
  --logger "trx;LogFileName=results-avx2.trx" --results-directory "$results" >/dev/null
avx2_status=$?
[ "$avx2_status" -eq 0 ] || status=$avx2_status

passed=0; failed=0; skipped=0
for trx in "$results/results.trx" "$results/results-avx2.trx"; do
  if [ ! -f "$trx" ]; then
    echo "no test results were written to $trx"
    failed=$((failed + 1))
    continue
  fi

  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  value() { local n; n=$(echo "$counters" | grep -o "$1=\"[0-9]*\"" | grep -o '[0-9]*'); echo "${n:-0}"; }
  passed=$(( passed + $(value passed) ))
  failed=$(( failed + $(value failed) + $(value error) + $(value timeout) + $(value aborted) ))
  skipped=$(( skipped + $(value total) - $(value executed) ))
done

if [ "$skipped" -gt 0 ]; then
  echo "${passed} passed, ${failed} failed, ${skipped} skipped"
else
  echo "${passed} passed, ${failed} failed"
fi

if [ "$status" -ne 0 ] || [ "$failed" -gt 0 ] || [ "$passed" -eq 0 ]; then
  exit 1
fi
