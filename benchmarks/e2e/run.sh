#!/usr/bin/env bash
# End-to-end comparison, all in one run on this machine:
#   direct PostgreSQL  vs  pgbouncer (session pool)  vs  HoopProxy
# 1. pgbench -S (select-only) TPS in -M simple / extended / prepared, round-robin over the three paths;
# 2. wall time of reading a 1,000,000-row table (~70 MB of text) with psql, SELECT and COPY TO STDOUT;
# 3. peak RSS of each proxy process during those reads.
# Prints the figures and the ratios; writes nothing into the repository; removes everything it started on exit.
#
# Environment:
#   DURATION=20     seconds per pgbench run
#   ROUNDS=3        pgbench rounds; the order of the three paths rotates every round, the median is reported
#   CLIENTS=4 THREADS=2 SCALE=10
#   WARMUP=5        seconds of unrecorded pgbench per path and mode first (JIT tiering, caches)
#   READ_REPEATS=3  repetitions of each 1M-row read (best is reported)
# Variables such as DOTNET_* are inherited by the proxy process (e.g. DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1).
#   KEEP=1          keep the temporary folder (logs, configs) instead of deleting it
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
TARGETS=(direct pgbouncer hoopproxy)
MODES=(simple extended prepared)

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

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
proxy_pid() { case $1 in pgbouncer) echo "$BOUNCER_PID" ;; hoopproxy) echo "$HOOP_PID" ;; *) echo "" ;; esac; }

# ---------------------------------------------------------------- cleanup
WORK=$(mktemp -d /tmp/hoopproxy-e2e.XXXXXX)
chmod 755 "$WORK"
HOOP_PID=""
BOUNCER_PID=""
PG_STARTED=0
SAMPLER_PID=""

cleanup() {
  local status=$?
  set +e
  [ -n "$SAMPLER_PID" ] && kill "$SAMPLER_PID" 2>/dev/null
  if [ -n "$HOOP_PID" ] && kill -0 "$HOOP_PID" 2>/dev/null; then
    kill -TERM "$HOOP_PID" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$HOOP_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$HOOP_PID" 2>/dev/null
  fi
  if [ -n "$BOUNCER_PID" ] && kill -0 "$BOUNCER_PID" 2>/dev/null; then
    kill -TERM "$BOUNCER_PID" 2>/dev/null   # SIGTERM: immediate shutdown
    for _ in $(seq 1 25); do kill -0 "$BOUNCER_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$BOUNCER_PID" 2>/dev/null
  fi
  if [ "$PG_STARTED" = 1 ]; then
    "${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$WORK/data" -m immediate -w stop >/dev/null 2>&1
  fi
  if [ "$KEEP" = 1 ]; then
    log "kept $WORK"
  else
    rm -rf "$WORK"
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

# ---------------------------------------------------------------- HoopProxy
HOOP_PORT=$(free_port)
HOOP_DLL="$REPO/Proxy.Host/bin/Release/net10.0/hoopproxy.dll"
if [ "${SKIP_BUILD:-0}" != 1 ] || [ ! -f "$HOOP_DLL" ]; then
  log "dotnet build -c Release Proxy.Host"
  (cd "$REPO" && dotnet build -c Release Proxy.Host/Proxy.Host.csproj -nologo -v q) >"$WORK/logs/build.log" 2>&1 || { tail -n 30 "$WORK/logs/build.log"; die "build failed"; }
fi
cat >"$WORK/hoopproxy.json" <<EOF
{
  "Postgres": {
    "Listen": "127.0.0.1:$HOOP_PORT",
    "DefaultTarget": "bank",
    "Targets": {
      "bank": { "Host": "127.0.0.1", "Port": $PG_PORT, "Database": "bank", "Username": "app", "Password": "app-pw", "SslMode": "Disable" }
    }
  },
  "Users": {
    "bench": { "Password": "bench-pw" }
  },
  "Logging": { "LogLevel": { "Default": "Warning" } }
}
EOF
# A line per session at Information would measure the console, not the proxy; its output goes to a file.
DOTNET_gcServer=0 dotnet "$HOOP_DLL" serve --config "$WORK/hoopproxy.json" >"$WORK/logs/hoopproxy.log" 2>&1 &
HOOP_PID=$!
log "HoopProxy (Release) on 127.0.0.1:$HOOP_PORT, pid $HOOP_PID"

# ---------------------------------------------------------------- connecting
# Runs "$@" with libpq's environment pointing at one of the three paths. No TLS anywhere (PGSSLMODE=disable).
on() {
  local target=$1; shift
  case $target in
    direct)    PGHOST=127.0.0.1 PGPORT=$PG_PORT      PGUSER=app   PGPASSWORD=app-pw   PGDATABASE=bank PGSSLMODE=disable "$@" ;;
    pgbouncer) PGHOST=127.0.0.1 PGPORT=$BOUNCER_PORT PGUSER=app   PGPASSWORD=app-pw   PGDATABASE=bank PGSSLMODE=disable "$@" ;;
    hoopproxy) PGHOST=127.0.0.1 PGPORT=$HOOP_PORT    PGUSER=bench PGPASSWORD=bench-pw PGDATABASE=bank PGSSLMODE=disable "$@" ;;
  esac
}

for target in "${TARGETS[@]}"; do
  ok=0
  for _ in $(seq 1 100); do
    if [ "$target" = hoopproxy ] && ! kill -0 "$HOOP_PID" 2>/dev/null; then
      tail -n 30 "$WORK/logs/hoopproxy.log"; die "HoopProxy exited"
    fi
    if on "$target" psql -X -At -c 'SELECT 1' >/dev/null 2>"$WORK/logs/connect-$target.err"; then ok=1; break; fi
    sleep 0.2
  done
  [ $ok = 1 ] || { cat "$WORK/logs/connect-$target.err"; die "cannot connect through $target"; }
done
log "all three paths answer SELECT 1"

# ---------------------------------------------------------------- pgbench
log "pgbench -i -s $SCALE (direct)"
on direct pgbench -i -q -s "$SCALE" >"$WORK/logs/pgbench-init.log" 2>&1 || { tail -n 20 "$WORK/logs/pgbench-init.log"; die "pgbench -i failed"; }

declare -A TPS_RUNS   # "$target/$mode" -> space-separated TPS of each round
declare -A CPU_RUNS   # "$target/$mode" -> proxy CPU microseconds per transaction, each round
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
      if [ -n "$pid" ]; then
        txns=$(awk '/number of transactions actually processed/ {print $NF}' "$out")
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

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {if (NR == 0) print 0; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

# ---------------------------------------------------------------- 1M-row reads
log "creating table big: 1,000,000 rows"
on direct psql -X -q -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" -c "DROP TABLE IF EXISTS big" \
  -c "CREATE TABLE big AS SELECT g, md5(g::text) AS h, repeat('x', 30) AS pad FROM generate_series(1, 1000000) g" \
  -c "VACUUM ANALYZE big" >/dev/null
BIG_TEXT_BYTES=$(on direct psql -X -c 'COPY big TO STDOUT' | wc -c)
BIG_SELECT_BYTES=$(on direct psql -X -c 'SELECT * FROM big' | wc -c)
log "COPY text output $((BIG_TEXT_BYTES / 1000000)) MB, psql SELECT output $((BIG_SELECT_BYTES / 1000000)) MB (both reads also warm the cache)"

status_kb() { awk -v key="$2:" '$1 == key {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
reset_peak() { echo 5 >"/proc/$1/clear_refs" 2>/dev/null; }   # resets VmHWM to the current RSS (own process or root)

declare -A RSS_BEFORE RSS_PEAK_SINCE_START_BEFORE
for target in pgbouncer hoopproxy; do
  pid=$BOUNCER_PID; [ "$target" = hoopproxy ] && pid=$HOOP_PID
  RSS_BEFORE[$target]=$(status_kb "$pid" VmRSS)
  RSS_PEAK_SINCE_START_BEFORE[$target]=$(status_kb "$pid" VmHWM)
  reset_peak "$pid" || true
done

# A sampler as well, in case clear_refs is not permitted: max VmRSS every 50 ms.
(
  b=0 h=0
  while :; do
    x=$(status_kb "$BOUNCER_PID" VmRSS); [ "${x:-0}" -gt "$b" ] && b=$x
    y=$(status_kb "$HOOP_PID" VmRSS); [ "${y:-0}" -gt "$h" ] && h=$y
    echo "$b $h" >"$WORK/rss-sampled.tmp" && mv "$WORK/rss-sampled.tmp" "$WORK/rss-sampled"
    sleep 0.05
  done
) &
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

declare -A RSS_PEAK_READS RSS_SAMPLED RSS_AFTER RSS_PEAK_SINCE_START
read -r sampled_b sampled_h <"$WORK/rss-sampled" || true
RSS_SAMPLED[pgbouncer]=${sampled_b:-0}; RSS_SAMPLED[hoopproxy]=${sampled_h:-0}
for target in pgbouncer hoopproxy; do
  pid=$BOUNCER_PID; [ "$target" = hoopproxy ] && pid=$HOOP_PID
  RSS_PEAK_READS[$target]=$(status_kb "$pid" VmHWM)
  RSS_AFTER[$target]=$(status_kb "$pid" VmRSS)
done

# ---------------------------------------------------------------- summary
set +u   # empty associative arrays count as unset under -u
dashes() { local w; for w in "$@"; do printf '|%s' "$(printf '%*s' $((w + 2)) '' | tr ' ' -)"; done; echo '|'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else printf "n/a"}'; }
mb() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

echo
echo "## HoopProxy end-to-end comparison — $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "Machine: $(nproc) cores, $(awk -F': +' '/model name/ {print $2; exit}' /proc/cpuinfo), $(awk '/MemTotal/ {printf "%.0f GB", $2 / 1048576}' /proc/meminfo) RAM, $(. /etc/os-release; echo "$PRETTY_NAME"); load average at start $LOAD_AT_START, at end $(cut -d' ' -f1-3 /proc/loadavg)"
echo "PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}'), pgbouncer $(pgbouncer --version | head -n1 | awk '{print $2}') (session pool, scram-sha-256), HoopProxy Release (.NET $(dotnet --version)), no TLS."
echo "pgbench -S -c $CLIENTS -j $THREADS -T $DURATION -n, scale $SCALE, $ROUNDS round(s), path order rotated each round; TPS = median, without initial connection time."
[ -n "${DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS:-}" ] && echo "HoopProxy ran with DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=$DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"
echo
echo "### pgbench select-only TPS"
echo
printf '| %-9s | %12s | %12s | %12s | %12s | %15s |\n' mode direct pgbouncer hoopproxy "hoop/direct" "hoop/pgbouncer"
dashes 9 12 12 12 12 15
for mode in "${MODES[@]}"; do
  d=$(echo "${TPS_RUNS["direct/$mode"]}" | median)
  b=$(echo "${TPS_RUNS["pgbouncer/$mode"]}" | median)
  h=$(echo "${TPS_RUNS["hoopproxy/$mode"]}" | median)
  printf '| %-9s | %12.0f | %12.0f | %12.0f | %12s | %15s |\n' "$mode" "$d" "$b" "$h" "$(ratio "$h" "$d")" "$(ratio "$h" "$b")"
done
echo
echo "Every round (TPS):"
for mode in "${MODES[@]}"; do
  for target in "${TARGETS[@]}"; do
    printf '  %-9s %-9s %s\n' "$mode" "$target" "${TPS_RUNS["$target/$mode"]}"
  done
done
echo
echo "Proxy CPU time per transaction (user + system, microseconds; median of rounds):"
for mode in "${MODES[@]}"; do
  printf '  %-9s pgbouncer %6s   hoopproxy %6s\n' "$mode" "$(echo "${CPU_RUNS["pgbouncer/$mode"]}" | median)" "$(echo "${CPU_RUNS["hoopproxy/$mode"]}" | median)"
done
echo
echo "### Reading 1,000,000 rows ($((BIG_TEXT_BYTES / 1000000)) MB as COPY text) with psql, best of $READ_REPEATS, seconds"
echo
printf '| %-28s | %8s | %9s | %9s | %11s | %14s |\n' read direct pgbouncer hoopproxy "hoop/direct" "hoop/pgbouncer"
dashes 28 8 9 9 11 14
for query in select copy; do
  label="psql -c 'SELECT * FROM big'"; [ "$query" = copy ] && label="psql -c 'COPY big TO STDOUT'"
  d=${READ_BEST["direct/$query"]:-n/a}; b=${READ_BEST["pgbouncer/$query"]:-n/a}; h=${READ_BEST["hoopproxy/$query"]:-n/a}
  printf '| %-28s | %8s | %9s | %9s | %11s | %14s |\n' "$label" "$d" "$b" "$h" "$(ratio "$h" "$d")" "$(ratio "$h" "$b")"
done
echo
echo "Every repetition (s):"
for query in select copy; do
  for target in "${TARGETS[@]}"; do
    printf '  %-6s %-9s %s%s\n' "$query" "$target" "${READ_ALL["$target/$query"]}" "${READ_CPU["$target/$query"]:+   (proxy CPU s:${READ_CPU["$target/$query"]})}"
  done
done
echo
echo "### Proxy memory (MB)"
echo
printf '| %-9s | %16s | %21s | %21s | %19s | %16s |\n' proxy "RSS before reads" "peak RSS during reads" "sampled max (50 ms)" "RSS after reads" "peak since start"
dashes 9 16 21 21 19 16
for target in pgbouncer hoopproxy; do
  since=${RSS_PEAK_SINCE_START_BEFORE[$target]}
  [ "${RSS_PEAK_READS[$target]}" -gt "$since" ] && since=${RSS_PEAK_READS[$target]}
  printf '| %-9s | %16s | %21s | %21s | %19s | %16s |\n' "$target" "$(mb "${RSS_BEFORE[$target]}")" "$(mb "${RSS_PEAK_READS[$target]}")" \
    "$(mb "${RSS_SAMPLED[$target]}")" "$(mb "${RSS_AFTER[$target]}")" "$(mb "$since")"
done
echo
echo "### Goals (measured, not asserted)"
for mode in "${MODES[@]}"; do
  b=$(echo "${TPS_RUNS["pgbouncer/$mode"]}" | median); h=$(echo "${TPS_RUNS["hoopproxy/$mode"]}" | median)
  echo "  TPS $mode: hoopproxy >= pgbouncer?  $(awk -v h="$h" -v b="$b" 'BEGIN {print (h >= b && h > 0) ? "yes" : "no"}') (ratio $(ratio "$h" "$b"))"
done
for query in select copy; do
  d=${READ_BEST["direct/$query"]:-0}; h=${READ_BEST["hoopproxy/$query"]:-0}
  echo "  1M-row $query: hoopproxy <= 1.15 x direct?  $(awk -v h="$h" -v d="$d" 'BEGIN {print (h > 0 && d > 0 && h <= 1.15 * d) ? "yes" : "no"}') (ratio $(ratio "$h" "$d"))"
done
echo "  HoopProxy peak RSS during reads < 100 MB?  $(awk -v k="${RSS_PEAK_READS[hoopproxy]}" 'BEGIN {print (k > 0 && k < 102400) ? "yes" : "no"}') ($(mb "${RSS_PEAK_READS[hoopproxy]}") MB)"
if [ ${#FAILS[@]} -gt 0 ]; then
  echo
  echo "### Failures"
  for key in "${!FAILS[@]}"; do echo "  $key: ${FAILS[$key]}"; done
  echo "  HoopProxy log (last lines):"
  tail -n 20 "$WORK/logs/hoopproxy.log" | sed 's/^/    /'
fi
hoop_warnings=$(grep -cE '\b(warn|fail|crit)\b' "$WORK/logs/hoopproxy.log" || true)
echo
echo "HoopProxy log: $(wc -l <"$WORK/logs/hoopproxy.log") lines, $hoop_warnings warning/error lines$([ "$KEEP" = 1 ] && echo " ($WORK/logs/hoopproxy.log)")"
