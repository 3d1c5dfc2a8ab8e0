#!/usr/bin/env bash
# End-to-end comparison, all in one run on this machine:
#   direct PostgreSQL  vs  pgbouncer (session pool)  vs  HoopProxy, with session recording off, on, on + zstd,
#   and with the statement policy on (the three rules of the issue, recording off)
# 1. pgbench -S (select-only) TPS in -M simple / extended / prepared, round-robin over the paths;
# 2. wall time of reading a 1,000,000-row table (~70 MB of text) with psql, SELECT and COPY TO STDOUT;
# 3. peak RSS of each proxy process during those reads;
# 4. for the recording paths: bytes written to the recording directory per byte that crossed the proxy,
#    and `hoopproxy sessions verify` over each recording directory afterwards (the script fails if it does not pass);
# 5. for the policy path: that the rules are really enforced there (DROP DATABASE answered 42501 by the proxy,
#    checked before and after the measurements) and that nothing pgbench or the reads send is blocked (the script
#    fails otherwise).
# Prints the figures and the ratios; writes nothing into the repository; removes everything it started on exit.
#
# Environment:
#   PATHS="direct pgbouncer hoopproxy hoopproxy+policy hoopproxy+rec hoopproxy+zstd hoopproxy+mask hoopproxy+detect"
#                   the paths measured (default: all eight); hoopproxy = recording off, no rules;
#                   hoopproxy+policy = recording off, the three Policies rules of the issue; hoopproxy+rec = recording
#                   on (no compression), hoopproxy+zstd = recording on with zstd; each HoopProxy path is its own
#                   process, port and configuration (and recording directory when it records); hoopproxy+mask = the
#                   two text columns of big masked by column rules (Partial), hoopproxy+detect = the six detectors on
#                   every text column (Redact)
#   DURATION=20     seconds per pgbench run
#   ROUNDS=3        pgbench rounds; the order of the paths rotates every round, the median is reported
#   CLIENTS=4 THREADS=2 SCALE=10
#   WARMUP=5        seconds of unrecorded pgbench per path and mode first (JIT tiering, caches)
#   READ_REPEATS=3  repetitions of each 1M-row read (best is reported)
#   REC_ROOT=DIR    put the recording directories under DIR (another file system) instead of the temporary folder
# Variables such as DOTNET_* are inherited by the proxy processes (e.g. DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1).
#   KEEP=1          keep the temporary folder (logs, configs, recordings) instead of deleting it
#   SKIP_BUILD=1    use the existing Proxy.Host/bin/Release build
set -euo pipefail

DURATION=${DURATION:-20}
ROUNDS=${ROUNDS:-3}
CLIENTS=${CLIENTS:-4}
THREADS=${THREADS:-2}
SCALE=${SCALE:-10}
READ_REPEATS=${READ_REPEATS:-3}
WARMUP=${WARMUP:-5}
KEEP=${KEEP:-0}
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ALL_PATHS=(direct pgbouncer hoopproxy hoopproxy+policy hoopproxy+rec hoopproxy+zstd hoopproxy+mask hoopproxy+detect)
MODES=(simple extended prepared)

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# The paths of this run, in the canonical order whatever order PATHS lists them in (the tables read left to right).
# Unset means all; set but empty is a mistake, not "all" (a quick run must not silently become the full one).
read -r -a wanted <<<"${PATHS-${ALL_PATHS[*]}}"
TARGETS=()
for known in "${ALL_PATHS[@]}"; do
  for w in "${wanted[@]}"; do [ "$w" = "$known" ] && { TARGETS+=("$known"); break; }; done
done
for w in "${wanted[@]}"; do
  case " ${ALL_PATHS[*]} " in *" $w "*) ;; *) die "unknown path '$w' in PATHS (known: ${ALL_PATHS[*]})" ;; esac
done
[ ${#TARGETS[@]} -gt 0 ] || die "PATHS selects no path"
HOOP_PATHS=()   # the selected HoopProxy paths, each its own process
REC_PATHS=()    # those that record (named explicitly: hoopproxy+policy is a HoopProxy path that does not record)
for t in "${TARGETS[@]}"; do
  case $t in hoopproxy*) HOOP_PATHS+=("$t") ;; esac
  case $t in hoopproxy+rec | hoopproxy+zstd) REC_PATHS+=("$t") ;; esac
done
POLICY_PATH=hoopproxy+policy
selected() { case " ${TARGETS[*]} " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
# Every process that is a proxy (has CPU, RSS and bytes of its own to measure); direct has none.
PROXIES=()
selected pgbouncer && PROXIES+=(pgbouncer)
PROXIES+=(${HOOP_PATHS[@]+"${HOOP_PATHS[@]}"})

# ---------------------------------------------------------------- dependencies
log "checking dependencies (scripts/install-deps.sh)"
"$REPO/scripts/install-deps.sh"
PGBIN=/usr/lib/postgresql/15/bin
[ -x "$PGBIN/initdb" ] || PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
[ -x "$PGBIN/initdb" ] || die "PostgreSQL server binaries not found under /usr/lib/postgresql"
for tool in psql pgbench pgbouncer python3 dotnet; do
  command -v "$tool" >/dev/null || die "$tool not found"
done

AS_PG=()
if [ "$(id -u)" -eq 0 ]; then
  AS_PG=(runuser -u postgres --)
fi

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

CLK_TCK=$(getconf CLK_TCK)
# CPU time (user + system) of a process so far, in clock ticks.
cpu_ticks() { awk '{sub(/.*\) /, ""); print $12 + $13}' "/proc/$1/stat" 2>/dev/null || echo 0; }
declare -A HOOP_PID HOOP_PORT HOOP_CONF REC_DIR
proxy_pid() { case $1 in pgbouncer) echo "$BOUNCER_PID" ;; hoopproxy*) echo "${HOOP_PID[$1]:-}" ;; *) echo "" ;; esac; }

# ---------------------------------------------------------------- cleanup
WORK=$(mktemp -d /tmp/hoopproxy-e2e.XXXXXX)
chmod 755 "$WORK"
REC_BASE=""
BOUNCER_PID=""
PG_STARTED=0
SAMPLER_PID=""

stop_pid() { # pid, tenths of a second to wait for SIGTERM before SIGKILL
  local pid=$1 i
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < $2; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null
  return 1
}

cleanup() {
  local status=$? t
  set +e
  [ -n "$SAMPLER_PID" ] && kill "$SAMPLER_PID" 2>/dev/null
  for t in "${!HOOP_PID[@]}"; do stop_pid "${HOOP_PID[$t]}" 100; done
  stop_pid "$BOUNCER_PID" 50   # pgbouncer: SIGTERM is an immediate shutdown
  if [ "$PG_STARTED" = 1 ]; then
    "${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$WORK/data" -m immediate -w stop >/dev/null 2>&1
  fi
  if [ "$KEEP" = 1 ]; then
    log "kept $WORK${REC_BASE:+ and $REC_BASE}"
  else
    rm -rf "$WORK"
    [ -n "$REC_BASE" ] && rm -rf "$REC_BASE"
  fi
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- PostgreSQL
PG_PORT=$(free_port)
mkdir -p "$WORK/socket" "$WORK/logs"
[ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$WORK"
log "paths: ${TARGETS[*]}"
log "initdb in $WORK/data (PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}'))"
"${AS_PG[@]}" "$PGBIN/initdb" -D "$WORK/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
  -E UTF8 --locale=C.UTF-8 --no-sync >"$WORK/logs/initdb.log" 2>&1 || { cat "$WORK/logs/initdb.log"; die "initdb failed"; }
cat >>"$WORK/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$WORK/socket'
password_encryption = 'scram-sha-256'
max_connections = 100
shared_buffers = 256MB
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
"${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$WORK/data" -l "$WORK/logs/postgres.log" -w -t 60 start >/dev/null || { tail -n 20 "$WORK/logs/postgres.log"; die "PostgreSQL did not start"; }
PG_STARTED=1
log "PostgreSQL on 127.0.0.1:$PG_PORT"

admin_sql() { psql -X -q -v ON_ERROR_STOP=1 -At -h "$WORK/socket" -p "$PG_PORT" -U postgres -d "${2:-postgres}" -c "$1"; }
admin_sql "CREATE ROLE app LOGIN PASSWORD 'app-pw'"
admin_sql "CREATE DATABASE bank OWNER app"

# ---------------------------------------------------------------- pgbouncer (session pooling)
BOUNCER_PORT=""
if selected pgbouncer; then
  BOUNCER_PORT=$(free_port)
  cat >"$WORK/pgbouncer.ini" <<EOF
[databases]
bank = host=127.0.0.1 port=$PG_PORT dbname=bank

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $BOUNCER_PORT
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $WORK/userlist.txt
pool_mode = session
default_pool_size = 16
max_client_conn = 200
logfile = $WORK/logs/pgbouncer.log
pidfile = $WORK/pgbouncer.pid
EOF
  # Plain passwords in the userlist let pgbouncer do SCRAM with the client and with the server.
  echo '"app" "app-pw"' >"$WORK/userlist.txt"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$WORK/pgbouncer.ini" "$WORK/userlist.txt" && chmod 600 "$WORK/userlist.txt"
  "${AS_PG[@]}" pgbouncer -d "$WORK/pgbouncer.ini" >"$WORK/logs/pgbouncer.stdout" 2>&1 || { cat "$WORK/logs/pgbouncer.stdout" "$WORK/logs/pgbouncer.log" 2>/dev/null; die "pgbouncer did not start"; }
  for _ in $(seq 1 50); do [ -s "$WORK/pgbouncer.pid" ] && break; sleep 0.1; done
  BOUNCER_PID=$(cat "$WORK/pgbouncer.pid")
  log "pgbouncer $(pgbouncer --version | head -n1 | awk '{print $2}') (session pool) on 127.0.0.1:$BOUNCER_PORT, pid $BOUNCER_PID"
fi

# ---------------------------------------------------------------- HoopProxy: one process per HoopProxy path
HOOP_DLL="$REPO/Proxy.Host/bin/Release/net10.0/hoopproxy.dll"
if [ ${#HOOP_PATHS[@]} -gt 0 ]; then
  if [ "${SKIP_BUILD:-0}" != 1 ] || [ ! -f "$HOOP_DLL" ]; then
    log "dotnet build -c Release Proxy.Host"
    (cd "$REPO" && dotnet build -c Release Proxy.Host/Proxy.Host.csproj -nologo -v q) >"$WORK/logs/build.log" 2>&1 || { tail -n 30 "$WORK/logs/build.log"; die "build failed"; }
  fi
fi
if [ ${#REC_PATHS[@]} -gt 0 ]; then
  # The recordings may be large (every byte relayed, plus framing): REC_ROOT can put them on another file system.
  if [ -n "${REC_ROOT:-}" ]; then
    REC_BASE=$(mktemp -d "$REC_ROOT/hoopproxy-e2e-rec.XXXXXX")
  else
    REC_BASE="$WORK/recordings"
    mkdir -p "$REC_BASE"
  fi
  # The operator's Ed25519 signing key, in the form the docs give (PKCS#8 PEM); a raw 32-byte seed if openssl is missing.
  KEY_FILE="$WORK/recording-key.pem"
  if command -v openssl >/dev/null; then
    openssl genpkey -algorithm ed25519 -out "$KEY_FILE" 2>"$WORK/logs/openssl.log" || { cat "$WORK/logs/openssl.log"; die "openssl genpkey failed"; }
  else
    KEY_FILE="$WORK/recording-key.seed"
    head -c 32 /dev/urandom >"$KEY_FILE"
  fi
  chmod 600 "$KEY_FILE"
  log "recording directories under $REC_BASE ($(df -h --output=avail "$REC_BASE" | tail -n1 | tr -d ' ') free, $(df --output=fstype "$REC_BASE" | tail -n1))"
fi

# The statement policy of the issue, verbatim (docs/statement-policy.md, tests/Integration/StatementPolicyTests.cs
# IssueRules). None of its rules matches what pgbench -S or the reads send, so every statement on hoopproxy+policy is
# parsed, walked through all three rules and allowed by the target's default: the full price of an allowed statement.
POLICY_RULES='[
    { "Name": "no-drop-database", "Action": "Block", "Match": { "Commands": [ "DROP DATABASE" ] } },
    { "Name": "protect-accounts", "Action": "Block",
      "Match": { "Commands": [ "DELETE", "TRUNCATE" ], "Relations": [ "public.accounts" ] } },
    { "Name": "ddl-needs-approval", "Action": "Review", "Approvers": [ "dba" ], "Timeout": "00:05:00",
      "Match": { "Classes": [ "DDL" ] } }
  ]'
MASK_COLUMNS='[ { "Name": "two-columns", "Columns": [ "public.big.h", "public.big.pad" ], "Operator": "Partial", "Keep": 4 } ]'
MASK_DETECTORS='[ { "Name": "detect-everywhere", "Detectors": [ "us-ssn", "payment-card", "email", "phone", "iban", "aba-routing" ], "Operator": "Redact" } ]'
for t in ${HOOP_PATHS[@]+"${HOOP_PATHS[@]}"}; do
  HOOP_PORT[$t]=$(free_port)
  HOOP_CONF[$t]="$WORK/$t.json"
  recording=""
  policies=""
  # Only hoopproxy+policy has rules; without a Policies section the proxy does not parse statements at all.
  [ "$t" = "$POLICY_PATH" ] && policies=",
  \"Policies\": $POLICY_RULES"
  # hoopproxy+mask: the two text columns of big masked by column rules (Partial, the issue's pii-columns shape);
  # hoopproxy+detect: the issue's six detectors on every text column of every result.
  [ "$t" = hoopproxy+mask ] && policies=",
  \"Masking\": $MASK_COLUMNS"
  [ "$t" = hoopproxy+detect ] && policies=",
  \"Masking\": $MASK_DETECTORS"
  case $t in
    hoopproxy+rec)  compression=None ;;
    hoopproxy+zstd) compression=Zstd ;;
    *)              compression="" ;;
  esac
  if [ -n "$compression" ]; then
    REC_DIR[$t]="$REC_BASE/$t"
    # Defaults otherwise (FlushInterval 1 s, FailClosed true, QueueCapacity 1024): what an operator gets.
    recording=",
  \"Recording\": { \"Directory\": \"${REC_DIR[$t]}\", \"SigningKeyFile\": \"$KEY_FILE\", \"Compression\": \"$compression\" }"
  fi
  cat >"${HOOP_CONF[$t]}" <<EOF
{
  "Postgres": {
    "Listen": "127.0.0.1:${HOOP_PORT[$t]}",
    "DefaultTarget": "bank",
    "Targets": {
      "bank": { "Host": "127.0.0.1", "Port": $PG_PORT, "Database": "bank", "Username": "app", "Password": "app-pw", "SslMode": "Disable" }
    }
  },
  "Users": {
    "bench": { "Password": "bench-pw" }
  },
  "Logging": { "LogLevel": { "Default": "Warning" } }$recording$policies
}
EOF
  # A line per session at Information would measure the console, not the proxy; its output goes to a file.
  DOTNET_gcServer=0 dotnet "$HOOP_DLL" serve --config "${HOOP_CONF[$t]}" >"$WORK/logs/$t.log" 2>&1 &
  HOOP_PID[$t]=$!
  log "HoopProxy (Release) $t on 127.0.0.1:${HOOP_PORT[$t]}, pid ${HOOP_PID[$t]}${compression:+, recording to ${REC_DIR[$t]} (compression $compression)}${policies:+, statement policy (3 rules)}"
done

# ---------------------------------------------------------------- connecting
# Runs "$@" with libpq's environment pointing at one of the paths. No TLS anywhere (PGSSLMODE=disable).
on() {
  local target=$1; shift
  case $target in
    direct)     PGHOST=127.0.0.1 PGPORT=$PG_PORT             PGUSER=app   PGPASSWORD=app-pw   PGDATABASE=bank PGSSLMODE=disable "$@" ;;
    pgbouncer)  PGHOST=127.0.0.1 PGPORT=$BOUNCER_PORT        PGUSER=app   PGPASSWORD=app-pw   PGDATABASE=bank PGSSLMODE=disable "$@" ;;
    hoopproxy*) PGHOST=127.0.0.1 PGPORT=${HOOP_PORT[$target]} PGUSER=bench PGPASSWORD=bench-pw PGDATABASE=bank PGSSLMODE=disable "$@" ;;
  esac
}

for target in "${TARGETS[@]}"; do
  ok=0
  for _ in $(seq 1 100); do
    pid=$(proxy_pid "$target")
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
      [ "$target" = pgbouncer ] || tail -n 30 "$WORK/logs/$target.log"
      die "$target exited"
    fi
    if on "$target" psql -X -At -c 'SELECT 1' >/dev/null 2>"$WORK/logs/connect-$target.err"; then ok=1; break; fi
    sleep 0.2
  done
  [ $ok = 1 ] || { cat "$WORK/logs/connect-$target.err"; die "cannot connect through $target"; }
done
log "all ${#TARGETS[@]} paths answer SELECT 1"

# ---------------------------------------------------------------- is the policy really enforced?
# A policy path whose rules were not loaded would measure a plain proxy and report a policy cost of zero. DROP DATABASE
# of a database that does not exist is blocked by rule no-drop-database before it reaches the server; had it reached
# PostgreSQL, the answer would be 3D000 (database does not exist), so 42501 together with the rule's name can only
# come from the proxy. Checked before the measurements (a full run of over 20 minutes must not be wasted on a path
# without rules) and after them (the rules still hold at the end), where the result is reported.
POLICY_CHECK_OUT=""
POLICY_CHECK_OK=""
policy_check() { # $1: when ("before", "after"); sets POLICY_CHECK_OUT, POLICY_CHECK_OK (1 or 0)
  local rc=0
  POLICY_CHECK_OUT=$(on "$POLICY_PATH" psql -X -v VERBOSITY=verbose -c "DROP DATABASE nonexistent_db" 2>&1) || rc=$?
  if [ "$rc" -ne 0 ] && grep -q '42501' <<<"$POLICY_CHECK_OUT" && grep -q 'no-drop-database' <<<"$POLICY_CHECK_OUT"; then
    POLICY_CHECK_OK=1
    log "policy check ($1): DROP DATABASE via $POLICY_PATH refused with 42501 by rule no-drop-database"
  else
    POLICY_CHECK_OK=0
    log "policy check ($1): DROP DATABASE via $POLICY_PATH was NOT refused with 42501 by rule no-drop-database (psql exit $rc):"
    sed 's/^/    /' <<<"$POLICY_CHECK_OUT" >&2
  fi
}
if selected "$POLICY_PATH"; then
  policy_check before
  [ "$POLICY_CHECK_OK" = 1 ] || die "the statement policy is not active on $POLICY_PATH (${HOOP_CONF[$POLICY_PATH]}); see $WORK/logs/$POLICY_PATH.log (KEEP=1 keeps it)"
fi

# ---------------------------------------------------------------- bytes crossed and bytes on disk
# Bytes crossed = clientBytes + serverBytes of the seals (the bytes relayed client->server and server->client, as the
# recorder saw them), summed over the index lines added during a phase; for the 1M-row reads the script also computes
# the wire size of the replies from the table itself, an independent check of that count. (rchar in /proc/PID/io does
# not work: .NET receives with recvfrom/recvmsg, which Linux does not count in rchar, only read()/readv() are.)
# Bytes on disk = growth of the sum of the apparent sizes of every file in the recording directory (session files,
# index, torn tails).
dir_bytes() { find "$1" -type f -printf '%s\n' 2>/dev/null | awk '{s += $1} END {printf "%.0f\n", s}'; }
index_sums() { # prints: sealed sessions, recorded data bytes (client + server), bytes of the sealed files
  python3 - "$1/index.log" <<'PY'
import json, sys
n = data = files = 0
try:
    with open(sys.argv[1], 'rb') as f:
        for line in f:
            if not line.endswith(b'\n'):
                continue                      # a line being appended; counted at the next snapshot
            entry = json.loads(line.rstrip(b'\n').rsplit(b' ', 1)[0])   # "<json> <base64 signature>"
            n += 1
            data += entry.get('clientBytes', 0) + entry.get('serverBytes', 0)
            files += entry.get('bytes', 0)
except FileNotFoundError:
    pass
print(n, data, files)
PY
}
declare -A SNAP   # "$path/$label" -> "dir_bytes sealed_sessions recorded_bytes sealed_file_bytes"
snapshot() {
  local t
  for t in ${REC_PATHS[@]+"${REC_PATHS[@]}"}; do
    SNAP["$t/$1"]="$(dir_bytes "${REC_DIR[$t]}") $(index_sums "${REC_DIR[$t]}")"
  done
}
# Sessions are sealed (and their last buffers written) just after the client disconnects, and buffers reach the file at
# least every FlushInterval (1 s): before a snapshot, wait until every recording directory stops changing.
settle() {
  local t prev="" cur stable=0 i
  [ ${#REC_PATHS[@]} -gt 0 ] || return 0
  for ((i = 0; i < 60; i++)); do
    cur=""
    for t in "${REC_PATHS[@]}"; do cur+="$(dir_bytes "${REC_DIR[$t]}") $(index_sums "${REC_DIR[$t]}") "; done
    if [ "$cur" = "$prev" ]; then stable=$((stable + 1)); [ $stable -ge 3 ] && return 0; else stable=0; fi
    prev=$cur
    sleep 0.5
  done
  log "  recording directories still changing after 30 s; the byte figures may be off"
}

# ---------------------------------------------------------------- pgbench
log "pgbench -i -s $SCALE (direct)"
on direct pgbench -i -q -s "$SCALE" >"$WORK/logs/pgbench-init.log" 2>&1 || { tail -n 20 "$WORK/logs/pgbench-init.log"; die "pgbench -i failed"; }

declare -A TPS_RUNS   # "$target/$mode" -> space-separated TPS of each round
declare -A CPU_RUNS   # "$target/$mode" -> proxy CPU microseconds per transaction, each round
declare -A TXNS       # "$target" -> transactions processed in the measured rounds, all modes
declare -A FAILS
rotate() { # prints TARGETS rotated left by $1
  local n=${#TARGETS[@]} i
  for ((i = 0; i < n; i++)); do printf '%s ' "${TARGETS[$(((i + $1) % n))]}"; done
}
if [ "$WARMUP" -gt 0 ]; then
  log "warm-up: ${WARMUP}s of pgbench per path and mode (not recorded)"
  for mode in "${MODES[@]}"; do
    for target in "${TARGETS[@]}"; do
      on "$target" pgbench -S -M "$mode" -c "$CLIENTS" -j "$THREADS" -T "$WARMUP" -n >"$WORK/logs/warmup-$target-$mode.log" 2>&1 \
        || log "  warm-up $target -M $mode failed: $(grep -iE 'error|fatal|abort' "$WORK/logs/warmup-$target-$mode.log" | head -n 2 | tr '\n' ' ')"
    done
  done
fi
settle; snapshot start
for ((round = 0; round < ROUNDS; round++)); do
  for mi in "${!MODES[@]}"; do
    mode=${MODES[$mi]}
    for target in $(rotate $(((round + mi) % ${#TARGETS[@]}))); do
      out="$WORK/logs/pgbench-$target-$mode-$round.log"
      log "round $((round + 1))/$ROUNDS  -M $mode  $target  (${DURATION}s)"
      pid=$(proxy_pid "$target"); cpu_before=0; [ -n "$pid" ] && cpu_before=$(cpu_ticks "$pid")
      if on "$target" pgbench -S -M "$mode" -c "$CLIENTS" -j "$THREADS" -T "$DURATION" -n >"$out" 2>&1; then
        tps=$(grep -E '^tps = [0-9.]+ \((without initial connection time|excluding connections establishing)\)' "$out" | awk '{print $3}')
      else
        tps=""
      fi
      txns=$(awk '/number of transactions actually processed/ {print $NF}' "$out" | grep -E '^[0-9]+$' || true)
      TXNS[$target]=$(( ${TXNS[$target]:-0} + ${txns:-0} ))
      if [ -n "$pid" ]; then
        CPU_RUNS["$target/$mode"]="${CPU_RUNS["$target/$mode"]:-} $(awk -v t=$(( $(cpu_ticks "$pid") - cpu_before )) -v n="${txns:-0}" -v hz="$CLK_TCK" 'BEGIN {if (n > 0) printf "%.1f", t / hz * 1e6 / n; else print 0}')"
      fi
      if [ -z "$tps" ]; then
        FAILS["$target/$mode"]="see $out"
        log "  FAILED: $(grep -iE 'error|fatal|abort' "$out" | head -n 3 | tr '\n' ' ')"
        tps=0
      else
        log "  tps $tps"
      fi
      TPS_RUNS["$target/$mode"]="${TPS_RUNS["$target/$mode"]:-} $tps"
    done
  done
done
settle; snapshot pgbench

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {if (NR == 0) print 0; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

# ---------------------------------------------------------------- 1M-row reads
log "creating table big: 1,000,000 rows"
on direct psql -X -q -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" -c "DROP TABLE IF EXISTS big" \
  -c "CREATE TABLE big AS SELECT g, md5(g::text) AS h, repeat('x', 30) AS pad FROM generate_series(1, 1000000) g" \
  -c "VACUUM ANALYZE big" >/dev/null
BIG_TEXT_BYTES=$(on direct psql -X -c 'COPY big TO STDOUT' | wc -c)
BIG_SELECT_BYTES=$(on direct psql -X -c 'SELECT * FROM big' | wc -c)
log "COPY text output $((BIG_TEXT_BYTES / 1000000)) MB, psql SELECT output $((BIG_SELECT_BYTES / 1000000)) MB (both reads also warm the cache)"
# What one SELECT + one COPY of big put on the wire from the server, computed from the table (the independent check of
# the seals' byte counts): a DataRow is type 1 + length 4 + column count 2 + 3 x (length 4 + text); a CopyData is
# type 1 + length 4 + one line of the COPY text. RowDescription, CommandComplete etc. add a few hundred bytes.
read -r BIG_ROWS BIG_FIELD_BYTES < <(on direct psql -X -At -F ' ' -c 'SELECT count(*), sum(octet_length(g::text) + octet_length(h) + octet_length(pad)) FROM big')
BIG_WIRE_BYTES=$(( (19 * BIG_ROWS + BIG_FIELD_BYTES) + (5 * BIG_ROWS + BIG_TEXT_BYTES) ))

status_kb() { awk -v key="$2:" '$1 == key {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
reset_peak() { echo 5 >"/proc/$1/clear_refs" 2>/dev/null; }   # resets VmHWM to the current RSS (own process or root)

declare -A RSS_BEFORE RSS_PEAK_SINCE_START_BEFORE
for target in ${PROXIES[@]+"${PROXIES[@]}"}; do
  pid=$(proxy_pid "$target")
  RSS_BEFORE[$target]=$(status_kb "$pid" VmRSS)
  RSS_PEAK_SINCE_START_BEFORE[$target]=$(status_kb "$pid" VmHWM)
  reset_peak "$pid" || true
done

# A sampler as well, in case clear_refs is not permitted: max VmRSS of every proxy every 50 ms. One python process
# rather than a shell loop, so that sampling six processes does not fork 100 times a second during the timed reads.
sampler_args=()
for target in ${PROXIES[@]+"${PROXIES[@]}"}; do sampler_args+=("$target=$(proxy_pid "$target")"); done
python3 - "$WORK/rss-sampled" ${sampler_args[@]+"${sampler_args[@]}"} <<'PY' &
import os, sys, time
out, procs = sys.argv[1], [a.split('=', 1) for a in sys.argv[2:]]
peak = {name: 0 for name, _ in procs}
while True:
    for name, pid in procs:
        try:
            with open(f'/proc/{pid}/status') as f:
                for line in f:
                    if line.startswith('VmRSS:'):
                        peak[name] = max(peak[name], int(line.split()[1]))
        except OSError:
            pass
    with open(out + '.tmp', 'w') as f:
        f.write(''.join(f'{name} {kb}\n' for name, kb in peak.items()))
    os.replace(out + '.tmp', out)
    time.sleep(0.05)
PY
SAMPLER_PID=$!

declare -A READ_BEST READ_ALL READ_CPU
now_ns() { date +%s%N; }
for query in select copy; do
  sql='SELECT * FROM big'; [ "$query" = copy ] && sql='COPY big TO STDOUT'
  for ((rep = 0; rep < READ_REPEATS; rep++)); do
    for target in $(rotate $((rep % ${#TARGETS[@]}))); do
      pid=$(proxy_pid "$target"); cpu_before=0; [ -n "$pid" ] && cpu_before=$(cpu_ticks "$pid")
      start=$(now_ns)
      if on "$target" psql -X -v ON_ERROR_STOP=1 -c "$sql" >/dev/null 2>"$WORK/logs/read-$target-$query-$rep.err"; then
        secs=$(awk -v a="$start" -v b="$(now_ns)" 'BEGIN {printf "%.3f", (b - a) / 1e9}')
      else
        secs=""
        FAILS["$target/$query"]="$(head -c 300 "$WORK/logs/read-$target-$query-$rep.err")"
        log "  $query via $target FAILED: ${FAILS["$target/$query"]}"
      fi
      cpu=""
      [ -n "$pid" ] && cpu=$(awk -v t=$(( $(cpu_ticks "$pid") - cpu_before )) -v hz="$CLK_TCK" 'BEGIN {printf "%.2f", t / hz}')
      log "read ($query) $((rep + 1))/$READ_REPEATS $target: ${secs:-failed} s${cpu:+, proxy CPU $cpu s}"
      [ -n "$cpu" ] && READ_CPU["$target/$query"]="${READ_CPU["$target/$query"]:-} $cpu"
      READ_ALL["$target/$query"]="${READ_ALL["$target/$query"]:-} ${secs:-x}"
      if [ -n "$secs" ]; then
        best=${READ_BEST["$target/$query"]:-}
        if [ -z "$best" ] || awk -v a="$secs" -v b="$best" 'BEGIN {exit !(a < b)}'; then READ_BEST["$target/$query"]=$secs; fi
      fi
    done
  done
done
sleep 0.2
kill "$SAMPLER_PID" 2>/dev/null; wait "$SAMPLER_PID" 2>/dev/null || true; SAMPLER_PID=""

declare -A RSS_PEAK_READS RSS_SAMPLED RSS_AFTER
while read -r name kb; do RSS_SAMPLED[$name]=$kb; done <"$WORK/rss-sampled" || true
for target in ${PROXIES[@]+"${PROXIES[@]}"}; do
  pid=$(proxy_pid "$target")
  RSS_PEAK_READS[$target]=$(status_kb "$pid" VmHWM)
  RSS_AFTER[$target]=$(status_kb "$pid" VmRSS)
done
settle; snapshot reads

# The policy path again, now that pgbench and the reads have been through it.
POLICY_FAILED=0
if selected "$POLICY_PATH"; then
  policy_check after
  [ "$POLICY_CHECK_OK" = 1 ] || POLICY_FAILED=1
  # Everything pgbench -S and the reads send is a plain read that no rule covers: a failure there is a statement the
  # policy refused (or broke) when it should have let it through.
  for key in "${!FAILS[@]}"; do
    case $key in "$POLICY_PATH"/*) POLICY_FAILED=1 ;; esac
  done
fi

# ---------------------------------------------------------------- was masking really applied?
# A masking path whose rules were not loaded would measure a plain proxy. After the reads (the catalog is warm):
# hoopproxy+mask must show big.h as 28 stars and its last 4 characters; hoopproxy+detect must redact an SSN.
MASK_FAILED=0
if selected hoopproxy+mask; then
  got=$(on hoopproxy+mask psql -X -At -c 'SELECT h FROM big WHERE g = 1' 2>&1)
  expected="$(printf '%.0s*' $(seq 1 28))$(on direct psql -X -At -c 'SELECT right(h, 4) FROM big WHERE g = 1')"
  if [ "$got" = "$expected" ]; then log "masking check hoopproxy+mask: big.h reads $got"; else MASK_FAILED=1; log "masking check hoopproxy+mask FAILED: got '$got', expected '$expected'"; fi
fi
if selected hoopproxy+detect; then
  got=$(on hoopproxy+detect psql -X -At -c "SELECT 'SSN 536-22-8726'" 2>&1)
  if [ "$got" = "SSN [REDACTED:us-ssn]" ]; then log "masking check hoopproxy+detect: $got"; else MASK_FAILED=1; log "masking check hoopproxy+detect FAILED: got '$got'"; fi
fi

# ---------------------------------------------------------------- verifying the recordings
# Stop the recording proxies first (SIGTERM, a clean shutdown): every session is then sealed and indexed, so verify
# checks everything and also checks that a shutdown leaves a directory that verifies.
declare -A VERIFY_OUT VERIFY_RC
VERIFY_FAILED=0
for t in ${REC_PATHS[@]+"${REC_PATHS[@]}"}; do
  if ! stop_pid "${HOOP_PID[$t]}" 300; then
    log "$t did not stop within 30 s of SIGTERM; killed"
  fi
  wait "${HOOP_PID[$t]}" 2>/dev/null || true
  HOOP_PID[$t]=""   # gone: the cleanup must not signal a process that may since have reused the number
  log "hoopproxy sessions verify --config ${HOOP_CONF[$t]}"
  rc=0
  VERIFY_OUT[$t]=$(dotnet "$HOOP_DLL" sessions verify --config "${HOOP_CONF[$t]}" 2>&1) || rc=$?
  VERIFY_RC[$t]=$rc
  [ "$rc" = 0 ] || VERIFY_FAILED=1
done

# ---------------------------------------------------------------- summary
set +u   # empty associative arrays count as unset under -u
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else printf "n/a"}'; }
mb() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
# Markdown table helpers: a row of cells, each as wide as its header (at least 9).
COLW=()
header() {
  local c line="" sep=""
  COLW=()
  for c in "$@"; do
    local w=${#c}; [ "$w" -lt 9 ] && w=9
    COLW+=("$w")
    line+=$(printf '| %*s ' "$w" "$c"); sep+="|$(printf '%*s' $((w + 2)) '' | tr ' ' -)"
  done
  echo "${line}|"; echo "${sep}|"
}
row() {
  local i=0 c line=""
  for c in "$@"; do line+=$(printf '| %*s ' "${COLW[$i]}" "$c"); i=$((i + 1)); done
  echo "${line}|"
}
# The ratios worth printing: "label numerator denominator", kept when both paths ran.
# off = hoopproxy (recording off, no rules), policy = hoopproxy+policy, rec = hoopproxy+rec, zstd = hoopproxy+zstd.
RATIOS=()
for r in "hoop/direct hoopproxy direct" "hoop/pgbouncer hoopproxy pgbouncer" \
         "mask/direct hoopproxy+mask direct" "mask/off hoopproxy+mask hoopproxy" "mask/pgbouncer hoopproxy+mask pgbouncer" \
         "detect/direct hoopproxy+detect direct" "detect/off hoopproxy+detect hoopproxy" \
         "policy/off hoopproxy+policy hoopproxy" "rec/off hoopproxy+rec hoopproxy" "zstd/off hoopproxy+zstd hoopproxy" \
         "rec/pgbouncer hoopproxy+rec pgbouncer" "zstd/pgbouncer hoopproxy+zstd pgbouncer"; do
  read -r _ num den <<<"$r"
  selected "$num" && selected "$den" && RATIOS+=("$r")
done
ratio_labels() { local r; for r in "${RATIOS[@]}"; do echo "${r%% *}"; done; }
tps_of() { echo "${TPS_RUNS["$1/$2"]}" | median; }

echo
echo "## HoopProxy end-to-end comparison — $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "Machine: $(nproc) cores, $(awk -F': +' '/model name/ {print $2; exit}' /proc/cpuinfo), $(awk '/MemTotal/ {printf "%.0f GB", $2 / 1048576}' /proc/meminfo) RAM, $(. /etc/os-release; echo "$PRETTY_NAME"); load average at start $LOAD_AT_START, at end $(cut -d' ' -f1-3 /proc/loadavg)"
echo "PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}')$(selected pgbouncer && echo ", pgbouncer $(pgbouncer --version | head -n1 | awk '{print $2}') (session pool, scram-sha-256)")$([ ${#HOOP_PATHS[@]} -gt 0 ] && echo ", HoopProxy Release (.NET $(dotnet --version))"), no TLS."
echo "Paths: ${TARGETS[*]}$([ ${#REC_PATHS[@]} -gt 0 ] && echo "; recordings in $REC_BASE ($(df --output=fstype "$REC_BASE" | tail -n1)), FlushInterval 1 s, FailClosed")"
echo "pgbench -S -c $CLIENTS -j $THREADS -T $DURATION -n, scale $SCALE, $ROUNDS round(s), path order rotated each round; TPS = median, without initial connection time."
[ -n "${DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS:-}" ] && echo "HoopProxy ran with DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=$DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"
echo
echo "### pgbench select-only TPS"
echo
header mode "${TARGETS[@]}"
for mode in "${MODES[@]}"; do
  cells=("$mode")
  for target in "${TARGETS[@]}"; do cells+=("$(printf '%.0f' "$(tps_of "$target" "$mode")")"); done
  row "${cells[@]}"
done
if [ ${#RATIOS[@]} -gt 0 ]; then
  echo
  echo "TPS ratios (above 1: the first path did more transactions per second; off = hoopproxy, policy = hoopproxy+policy, rec = hoopproxy+rec, zstd = hoopproxy+zstd):"
  echo
  mapfile -t labels < <(ratio_labels)
  header mode "${labels[@]}"
  for mode in "${MODES[@]}"; do
    cells=("$mode")
    for r in "${RATIOS[@]}"; do read -r _ num den <<<"$r"; cells+=("$(ratio "$(tps_of "$num" "$mode")" "$(tps_of "$den" "$mode")")"); done
    row "${cells[@]}"
  done
fi
echo
echo "Every round (TPS):"
for mode in "${MODES[@]}"; do
  for target in "${TARGETS[@]}"; do
    printf '  %-9s %-16s %s\n' "$mode" "$target" "${TPS_RUNS["$target/$mode"]}"
  done
done
if [ ${#PROXIES[@]} -gt 0 ]; then
  echo
  echo "Proxy CPU time per transaction (user + system, microseconds; median of rounds):"
  echo
  header mode "${PROXIES[@]}"
  for mode in "${MODES[@]}"; do
    cells=("$mode")
    for target in "${PROXIES[@]}"; do cells+=("$(echo "${CPU_RUNS["$target/$mode"]}" | median)"); done
    row "${cells[@]}"
  done
fi
echo
echo "### Reading 1,000,000 rows ($((BIG_TEXT_BYTES / 1000000)) MB as COPY text) with psql, best of $READ_REPEATS, seconds"
echo
header "read                        " "${TARGETS[@]}"
for query in select copy; do
  label="psql -c 'SELECT * FROM big'"; [ "$query" = copy ] && label="psql -c 'COPY big TO STDOUT'"
  cells=("$(printf '%-28s' "$label")")
  for target in "${TARGETS[@]}"; do cells+=("${READ_BEST["$target/$query"]:-n/a}"); done
  row "${cells[@]}"
done
if [ ${#RATIOS[@]} -gt 0 ]; then
  echo
  echo "Read time ratios (above 1: the first path was slower; throughput ratio = 1 / time ratio):"
  echo
  header "read  " "${labels[@]}"
  for query in select copy; do
    cells=("$query")
    for r in "${RATIOS[@]}"; do read -r _ num den <<<"$r"; cells+=("$(ratio "${READ_BEST["$num/$query"]}" "${READ_BEST["$den/$query"]}")"); done
    row "${cells[@]}"
  done
fi
echo
echo "Every repetition (s):"
for query in select copy; do
  for target in "${TARGETS[@]}"; do
    printf '  %-6s %-16s %s%s\n' "$query" "$target" "${READ_ALL["$target/$query"]}" "${READ_CPU["$target/$query"]:+   (proxy CPU s:${READ_CPU["$target/$query"]})}"
  done
done
if [ ${#REC_PATHS[@]} -gt 0 ]; then
  echo
  echo "### Bytes crossed and bytes on disk"
  echo
  echo "crossed = clientBytes + serverBytes of the sessions sealed in the phase (index.log: the bytes relayed each way);"
  echo "on disk = growth of the recording directory (sum of file sizes: session files + index)."
  echo "pgbench = the measured rounds (all modes; warm-up excluded); reads = the 1M-row SELECTs and COPYs."
  echo
  header "path          " phase sessions "crossed MB" "on disk MB" "disk/crossed" "disk B/txn"
  for t in "${REC_PATHS[@]}"; do
    for phase in pgbench reads total; do
      case $phase in pgbench) a=start b=pgbench ;; reads) a=pgbench b=reads ;; total) a=start b=reads ;; esac
      read -r d0 n0 c0 _ <<<"${SNAP["$t/$a"]}"
      read -r d1 n1 c1 _ <<<"${SNAP["$t/$b"]}"
      disk=$((d1 - d0)) crossed=$((c1 - c0))
      per_txn="-"
      [ "$phase" = pgbench ] && per_txn=$(awk -v d="$disk" -v n="${TXNS[$t]:-0}" 'BEGIN {if (n > 0) printf "%.0f", d / n; else print "n/a"}')
      row "$(printf '%-14s' "$t")" "$phase" "$((n1 - n0))" "$(awk -v b=$crossed 'BEGIN {printf "%.2f", b / 1e6}')" \
        "$(awk -v b=$disk 'BEGIN {printf "%.2f", b / 1e6}')" \
        "$(awk -v a=$disk -v b=$crossed 'BEGIN {if (b > 0) printf "%.3f", a / b; else print "n/a"}')" "$per_txn"
    done
  done
  echo
  # The check: the reads phase relays READ_REPEATS x (one SELECT + one COPY of big), computed from the table.
  expected=$((READ_REPEATS * BIG_WIRE_BYTES))
  for t in "${REC_PATHS[@]}"; do
    read -r _ _ c0 _ <<<"${SNAP["$t/pgbench"]}"; read -r _ _ c1 _ <<<"${SNAP["$t/reads"]}"
    ok=$(awk -v a=$((c1 - c0)) -v b=$expected 'BEGIN {print (b > 0 && a >= b && a <= 1.001 * b + 100000) ? "matches" : "DOES NOT MATCH"}')
    echo "  check $t: reads crossed $((c1 - c0)) B vs $expected B computed from the table (server replies only) — $ok (ratio $(awk -v a=$((c1 - c0)) -v b=$expected 'BEGIN {if (b > 0) printf "%.5f", a / b; else print "n/a"}'))"
  done
fi
if [ ${#PROXIES[@]} -gt 0 ]; then
  echo
  echo "### Proxy memory (MB)"
  echo
  header "proxy           " "RSS before reads" "peak RSS during reads" "sampled max (50 ms)" "RSS after reads" "peak since start"
  for target in "${PROXIES[@]}"; do
    since=${RSS_PEAK_SINCE_START_BEFORE[$target]:-0}
    [ "${RSS_PEAK_READS[$target]:-0}" -gt "$since" ] && since=${RSS_PEAK_READS[$target]}
    row "$(printf '%-16s' "$target")" "$(mb "${RSS_BEFORE[$target]}")" "$(mb "${RSS_PEAK_READS[$target]}")" \
      "$(mb "${RSS_SAMPLED[$target]:-0}")" "$(mb "${RSS_AFTER[$target]}")" "$(mb "$since")"
  done
fi
if [ ${#REC_PATHS[@]} -gt 0 ]; then
  echo
  echo "### Recording verification (hoopproxy sessions verify, after a SIGTERM shutdown)"
  for t in "${REC_PATHS[@]}"; do
    echo "  $t: exit ${VERIFY_RC[$t]}: $(echo "${VERIFY_OUT[$t]}" | head -n 1)"
    [ "${VERIFY_RC[$t]}" = 0 ] || echo "${VERIFY_OUT[$t]}" | tail -n +2 | head -n 30 | sed 's/^/      /'
  done
fi
if selected "$POLICY_PATH"; then
  echo
  echo "### Statement policy verification ($POLICY_PATH, after the measurements)"
  echo "  psql -v VERBOSITY=verbose -c \"DROP DATABASE nonexistent_db\": $([ "$POLICY_CHECK_OK" = 1 ] && echo "refused with 42501 by rule no-drop-database — the rules are enforced" || echo "NOT refused with 42501 by rule no-drop-database")"
  sed 's/^/      /' <<<"$POLICY_CHECK_OUT"
  policy_fails=""
  for key in "${!FAILS[@]}"; do case $key in "$POLICY_PATH"/*) policy_fails+=" ${key#*/}" ;; esac; done
  echo "  pgbench and reads through $POLICY_PATH: $([ -z "$policy_fails" ] && echo "all passed (none blocked)" || echo "FAILED:$policy_fails (see Failures)")"
fi
echo
echo "### Goals (measured, not asserted)"
goals() {
  for mode in "${MODES[@]}"; do
    if selected hoopproxy && selected pgbouncer; then
      b=$(tps_of pgbouncer "$mode"); h=$(tps_of hoopproxy "$mode")
      echo "  TPS $mode: hoopproxy >= pgbouncer?  $(awk -v h="$h" -v b="$b" 'BEGIN {print (h >= b && h > 0) ? "yes" : "no"}') (ratio $(ratio "$h" "$b"))"
    fi
    for t in ${REC_PATHS[@]+"${REC_PATHS[@]}"}; do
      selected hoopproxy || continue
      off=$(tps_of hoopproxy "$mode"); on_=$(tps_of "$t" "$mode")
      echo "  TPS $mode: $t >= 0.95 x hoopproxy?  $(awk -v a="$on_" -v b="$off" 'BEGIN {print (a > 0 && b > 0 && a >= 0.95 * b) ? "yes" : "no"}') (ratio $(ratio "$on_" "$off"))"
    done
    # The issue's goal for the statement policy: it costs at most 10 % of TPS.
    if selected hoopproxy && selected "$POLICY_PATH"; then
      off=$(tps_of hoopproxy "$mode"); on_=$(tps_of "$POLICY_PATH" "$mode")
      echo "  TPS $mode: $POLICY_PATH >= 0.90 x hoopproxy?  $(awk -v a="$on_" -v b="$off" 'BEGIN {print (a > 0 && b > 0 && a >= 0.90 * b) ? "yes" : "no"}') (ratio $(ratio "$on_" "$off"))"
    fi
  done
  for query in select copy; do
    if selected hoopproxy && selected direct; then
      d=${READ_BEST["direct/$query"]:-0}; h=${READ_BEST["hoopproxy/$query"]:-0}
      echo "  1M-row $query: hoopproxy <= 1.15 x direct?  $(awk -v h="$h" -v d="$d" 'BEGIN {print (h > 0 && d > 0 && h <= 1.15 * d) ? "yes" : "no"}') (ratio $(ratio "$h" "$d"))"
    fi
    for t in ${REC_PATHS[@]+"${REC_PATHS[@]}"}; do
      selected hoopproxy || continue
      off=${READ_BEST["hoopproxy/$query"]:-0}; on_=${READ_BEST["$t/$query"]:-0}
      # Throughput is bytes / time, so "costs at most 5% of throughput" is off_time / on_time >= 0.95.
      echo "  1M-row $query throughput: $t >= 0.95 x hoopproxy?  $(awk -v a="$on_" -v b="$off" 'BEGIN {print (a > 0 && b > 0 && b / a >= 0.95) ? "yes" : "no"}') (throughput ratio $(ratio "$off" "$on_"))"
    done
    # The masking issue's goals: two masked columns within 1.3 x the direct time, all detectors within 2 x.
    for goal in "hoopproxy+mask 1.3" "hoopproxy+detect 2"; do
      read -r t limit <<<"$goal"
      selected "$t" && selected direct || continue
      d=${READ_BEST["direct/$query"]:-0}; m=${READ_BEST["$t/$query"]:-0}
      echo "  1M-row $query: $t <= $limit x direct?  $(awk -v m="$m" -v d="$d" -v l="$limit" 'BEGIN {print (m > 0 && d > 0 && m <= l * d) ? "yes" : "no"}') (ratio $(ratio "$m" "$d"))"
    done
  done
  for t in ${HOOP_PATHS[@]+"${HOOP_PATHS[@]}"}; do
    echo "  $t peak RSS during reads < 100 MB?  $(awk -v k="${RSS_PEAK_READS[$t]}" 'BEGIN {print (k > 0 && k < 102400) ? "yes" : "no"}') ($(mb "${RSS_PEAK_READS[$t]}") MB)"
  done
}
GOALS=$(goals)
echo "${GOALS:-  (none concern the selected paths)}"
if [ ${#FAILS[@]} -gt 0 ]; then
  echo
  echo "### Failures"
  for key in "${!FAILS[@]}"; do echo "  $key: ${FAILS[$key]}"; done
  for t in ${HOOP_PATHS[@]+"${HOOP_PATHS[@]}"}; do
    echo "  $t log (last lines):"
    tail -n 20 "$WORK/logs/$t.log" | sed 's/^/    /'
  done
fi
echo
for t in ${HOOP_PATHS[@]+"${HOOP_PATHS[@]}"}; do
  hoop_warnings=$(grep -cE '\b(warn|fail|crit)\b' "$WORK/logs/$t.log" || true)
  # Each blocked statement is a warning line naming its rule: on the policy path the two DROP DATABASE checks are
  # expected there; any other warning is not.
  expected_note=""
  [ "$t" = "$POLICY_PATH" ] && expected_note=", of which $(grep -c 'no-drop-database' "$WORK/logs/$t.log" || true) name rule no-drop-database (the 2 DROP DATABASE checks)"
  echo "$t log: $(wc -l <"$WORK/logs/$t.log") lines, $hoop_warnings warning/error lines$expected_note$([ "$KEEP" = 1 ] && echo " ($WORK/logs/$t.log)")"
done
if [ "$VERIFY_FAILED" = 1 ]; then
  echo
  echo "!!! RECORDING VERIFICATION FAILED: see 'Recording verification' above (KEEP=1 keeps the directories) !!!"
  log "ERROR: recording verification failed"
fi
if [ "$POLICY_FAILED" = 1 ]; then
  echo
  echo "!!! POLICY VERIFICATION FAILED: see 'Statement policy verification' and 'Failures' above (KEEP=1 keeps the logs) !!!"
  log "ERROR: policy verification failed"
fi
if [ "$MASK_FAILED" = 1 ]; then
  echo
  echo "!!! MASKING VERIFICATION FAILED: a masking path did not mask (see the log lines 'masking check') !!!"
  log "ERROR: masking verification failed"
fi
[ "$VERIFY_FAILED" = 0 ] && [ "$POLICY_FAILED" = 0 ] && [ "$MASK_FAILED" = 0 ] || exit 1
