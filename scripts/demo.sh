#!/usr/bin/env bash
# Starts a throwaway PostgreSQL with a sample bank schema, HoopProxy in front of it, and prints how to connect.
# Ctrl-C stops everything and removes the temporary cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
exec dotnet run --project Proxy.Host -c Release -- demo "$@"
