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

trx="$results/results.trx"
if [ ! -f "$trx" ]; then
  echo "no test results were written"
  echo "0 passed, 1 failed"
  exit 1
fi

counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
value() { echo "$counters" | grep -o "$1=\"[0-9]*\"" | grep -o '[0-9]*'; }
passed=$(value passed); failed=$(value failed); total=$(value total); executed=$(value executed)
errors=$(value error); timeout=$(value timeout); aborted=$(value aborted)
failed=$(( ${failed:-0} + ${errors:-0} + ${timeout:-0} + ${aborted:-0} ))
skipped=$(( ${total:-0} - ${executed:-0} ))

if [ "$skipped" -gt 0 ]; then
  echo "${passed:-0} passed, ${failed} failed, ${skipped} skipped"
else
  echo "${passed:-0} passed, ${failed} failed"
fi

if [ "$status" -ne 0 ] || [ "$failed" -gt 0 ] || [ "${passed:-0}" -eq 0 ]; then
  exit 1
fi
