#!/usr/bin/env bash
# Connection setup over TLS (issue 8: "token validation adds under 0.2 ms per connection"), all in one run on this
# machine: pgbench -C -S (a new connection for every select-only transaction, so TPS = connections per second)
#   direct                 PostgreSQL, ssl = on, scram-sha-256
#   pgbouncer              client_tls_sslmode = require, auth_type scram-sha-256 (plain password in the userlist), session
#                          pool (its server connections are reused: no PostgreSQL backend is started per connection)
#   hoopproxy-scram        HoopProxy with Tls, a configured user with a static password, SCRAM-SHA-256 (the default)
#   hoopproxy-cleartext    the same, Postgres:ClientAuthentication = Cleartext (the password in clear inside TLS)
#   hoopproxy-token        an OIDC access token (RS256, RSA-2048) as the password, in clear inside TLS, validated against
#                          a JWKS file (keys cached); the user is the token's email claim
#   hoopproxy-token-es256  the same with an ES256 (P-256) token
# Every client connects with sslmode=require (gssencmode=disable); the hops reach PostgreSQL without TLS, as in run.sh.
# HoopProxy runs as two processes with the same Identity section: one with SCRAM (hoopproxy-scram), one with Cleartext
# (hoopproxy-cleartext and both token paths, so the token and the static password are compared in one process with the
# same exchange: one cleartext password message inside TLS, only its check differs).
# The keys, the JWKS and the tokens are made here, offline, with openssl and python3's standard library.
# Before measuring, checks that every path answers SELECT 1 and that the token logins are real: a token over plaintext
# and a token with a broken signature must be refused (the script fails otherwise).
# Reports per path the median over the rounds of: connections per second, pgbench's "average connection time"
# (the client's wall time to connect: TCP, TLS, authentication, startup), the latency, and the CPU of the hop per
# connection; the ratios to direct and to pgbouncer; the token cost = connection time (token) - connection time
# (cleartext password), and the same in the proxy's CPU, against the 0.2 ms goal. Writes nothing into the repository;
# removes everything it started on exit.
#
# Environment:
#   PATHS="direct pgbouncer hoopproxy-scram hoopproxy-cleartext hoopproxy-token hoopproxy-token-es256"
#                   the paths measured (default: all six)
#   DURATION=15     seconds per pgbench run
#   ROUNDS=3        rounds; the order of the paths rotates every round, the median is reported
#   CLIENTS=4 THREADS=2 SCALE=1
#   WARMUP=10       seconds of unrecorded pgbench -C per path first. Not less: at a few dozen connections per second a
#                   HoopProxy process is still compiling (tiered JIT) after a few seconds, and that CPU lands on the
#                   first rounds' "hop CPU per connection" (with 1 s of warm-up, 9.5 ms instead of 4.6 ms on SCRAM)
#   TLS_KEY=rsa     the servers' certificate key: rsa (RSA-2048) or ec (P-256), the same for every hop
#   HOOP_LOG_LEVEL=Warning   the proxies' Logging:LogLevel:Default (their output goes to a file)
#   KEEP=1          keep the temporary folder (logs, configs, keys, tokens) instead of deleting it
#   SKIP_BUILD=1    use the existing Proxy.Host/bin/Release build
# Variables such as DOTNET_* are inherited by the proxy processes.
set -euo pipefail

DURATION=${DURATION:-15}
ROUNDS=${ROUNDS:-3}
CLIENTS=${CLIENTS:-4}
THREADS=${THREADS:-2}
SCALE=${SCALE:-1}
WARMUP=${WARMUP:-10}
TLS_KEY=${TLS_KEY:-rsa}
HOOP_LOG_LEVEL=${HOOP_LOG_LEVEL:-Warning}
KEEP=${KEEP:-0}
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
GOAL_MS=0.2

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ALL_PATHS=(direct pgbouncer hoopproxy-scram hoopproxy-cleartext hoopproxy-token hoopproxy-token-es256)

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

case $TLS_KEY in rsa | ec) ;; *) die "TLS_KEY must be rsa or ec, not '$TLS_KEY'" ;; esac

# The paths of this run, in the canonical order; set but empty is a mistake, not "all".
read -r -a wanted <<<"${PATHS-${ALL_PATHS[*]}}"
TARGETS=()
for known in "${ALL_PATHS[@]}"; do
  for w in "${wanted[@]}"; do [ "$w" = "$known" ] && { TARGETS+=("$known"); break; }; done
done
for w in "${wanted[@]}"; do
  case " ${ALL_PATHS[*]} " in *" $w "*) ;; *) die "unknown path '$w' in PATHS (known: ${ALL_PATHS[*]})" ;; esac
done
[ ${#TARGETS[@]} -gt 0 ] || die "PATHS selects no path"
selected() { case " ${TARGETS[*]} " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

# The HoopProxy process each HoopProxy path goes through.
declare -A PROC_OF=([hoopproxy-scram]=scram [hoopproxy-cleartext]=cleartext [hoopproxy-token]=cleartext [hoopproxy-token-es256]=cleartext)
HOOP_PROCS=()
for p in scram cleartext; do
  for t in "${TARGETS[@]}"; do [ "${PROC_OF[$t]:-}" = "$p" ] && { HOOP_PROCS+=("$p"); break; }; done
done
TOKEN_PATHS=()
for t in "${TARGETS[@]}"; do case $t in hoopproxy-token*) TOKEN_PATHS+=("$t") ;; esac; done

# ---------------------------------------------------------------- dependencies
log "checking dependencies (scripts/install-deps.sh)"
"$REPO/scripts/install-deps.sh"
PGBIN=/usr/lib/postgresql/15/bin
[ -x "$PGBIN/initdb" ] || PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
[ -x "$PGBIN/initdb" ] || die "PostgreSQL server binaries not found under /usr/lib/postgresql"
for tool in psql pgbench pgbouncer python3 dotnet openssl; do
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
declare -A HOOP_PID HOOP_PORT HOOP_CONF
proxy_pid() {
  case $1 in
    pgbouncer) echo "$BOUNCER_PID" ;;
    hoopproxy*) echo "${HOOP_PID[${PROC_OF[$1]}]:-}" ;;
    *) echo "" ;;
  esac
}

# ---------------------------------------------------------------- cleanup
WORK=$(mktemp -d /tmp/hoopproxy-connect.XXXXXX)
chmod 755 "$WORK"
BOUNCER_PID=""
PG_STARTED=0

stop_pid() { # pid, tenths of a second to wait for SIGTERM before SIGKILL
  local pid=$1 i
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < $2; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null
  return 1
}

cleanup() {
  local status=$? p
  set +e
  for p in "${!HOOP_PID[@]}"; do stop_pid "${HOOP_PID[$p]}" 100; done
  stop_pid "$BOUNCER_PID" 50
  if [ "$PG_STARTED" = 1 ]; then
    "${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$WORK/data" -m immediate -w stop >/dev/null 2>&1
  fi
  if [ "$KEEP" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$WORK/socket" "$WORK/logs" "$WORK/tls"
log "paths: ${TARGETS[*]}"

# ---------------------------------------------------------------- TLS certificate (self-signed, for every hop)
if [ "$TLS_KEY" = ec ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout "$WORK/tls/server.key" -out "$WORK/tls/server.crt" >"$WORK/logs/openssl.log" 2>&1 \
    || { cat "$WORK/logs/openssl.log"; die "openssl req failed"; }
else
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout "$WORK/tls/server.key" -out "$WORK/tls/server.crt" >"$WORK/logs/openssl.log" 2>&1 \
    || { cat "$WORK/logs/openssl.log"; die "openssl req failed"; }
fi
chmod 600 "$WORK/tls/server.key"
[ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$WORK"

# ---------------------------------------------------------------- signing keys, JWKS, tokens (offline)
# RS256 (RSA-2048) and ES256 (P-256) keys made with openssl; the JWKS and the JWTs written with python3's standard
# library, the signatures made by openssl dgst (ES256: DER ECDSA-Sig-Value converted to the raw r||s of JWS).
ISSUER=https://idp.example.test
AUDIENCE=hoopproxy
RS_USER=token-rs@example.test
ES_USER=token-es@example.test
python3 - "$WORK" "$ISSUER" "$AUDIENCE" "$RS_USER" "$ES_USER" <<'PY' || die "minting the tokens failed"
import base64, json, re, subprocess, sys, time, uuid
work, issuer, audience, rs_user, es_user = sys.argv[1:6]

def b64u(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b'=').decode()

def openssl(*args, data=None) -> bytes:
    return subprocess.run(['openssl', *args], input=data, check=True, capture_output=True).stdout

def der_ecdsa_to_raw(der: bytes, size: int) -> bytes:
    # SEQUENCE { INTEGER r, INTEGER s } -> r || s, each left-padded to the curve size.
    def length(i):
        first = der[i]
        if first < 0x80:
            return first, i + 1
        n = first & 0x7f
        return int.from_bytes(der[i + 1:i + 1 + n], 'big'), i + 1 + n
    assert der[0] == 0x30, 'not a DER SEQUENCE'
    _, i = length(1)
    out = b''
    for _ in range(2):
        assert der[i] == 0x02, 'not a DER INTEGER'
        n, i = length(i + 1)
        value = der[i:i + n].lstrip(b'\x00')
        assert len(value) <= size
        out += value.rjust(size, b'\x00')
        i += n
    return out

# RSA-2048
rs_key = f'{work}/jwt-rs256.pem'
openssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', rs_key)
modulus = openssl('rsa', '-in', rs_key, '-noout', '-modulus').decode().strip().split('=', 1)[1]
text = openssl('rsa', '-in', rs_key, '-noout', '-text').decode()
exponent = int(re.search(r'publicExponent: (\d+)', text).group(1))
rs_jwk = {'kty': 'RSA', 'use': 'sig', 'alg': 'RS256', 'kid': 'bench-rs256',
          'n': b64u(bytes.fromhex(modulus)), 'e': b64u(exponent.to_bytes((exponent.bit_length() + 7) // 8, 'big'))}

# P-256
es_key = f'{work}/jwt-es256.pem'
openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', es_key)
spki = openssl('pkey', '-in', es_key, '-pubout', '-outform', 'DER')
point = spki[-65:]                     # uncompressed point 04 || x || y at the end of the SubjectPublicKeyInfo
assert point[0] == 4, 'expected an uncompressed EC point'
es_jwk = {'kty': 'EC', 'use': 'sig', 'alg': 'ES256', 'kid': 'bench-es256', 'crv': 'P-256',
          'x': b64u(point[1:33]), 'y': b64u(point[33:65])}

with open(f'{work}/jwks.json', 'w') as f:
    json.dump({'keys': [rs_jwk, es_jwk]}, f, indent=2)

now = int(time.time())
def mint(alg, kid, key, user, subject):
    header = {'alg': alg, 'typ': 'JWT', 'kid': kid}
    payload = {'iss': issuer, 'aud': audience, 'sub': subject, 'email': user, 'groups': ['analysts', 'bench'],
               'iat': now, 'nbf': now, 'exp': now + 7200, 'jti': str(uuid.uuid4()), 'scope': 'openid email'}
    signing_input = (b64u(json.dumps(header, separators=(',', ':')).encode()) + '.' +
                     b64u(json.dumps(payload, separators=(',', ':')).encode())).encode()
    signature = openssl('dgst', '-sha256', '-sign', key, data=signing_input)
    if alg == 'ES256':
        signature = der_ecdsa_to_raw(signature, 32)
    return signing_input.decode() + '.' + b64u(signature)

for name, token in (('rs256', mint('RS256', 'bench-rs256', rs_key, rs_user, 'bench-subject-rs')),
                    ('es256', mint('ES256', 'bench-es256', es_key, es_user, 'bench-subject-es'))):
    with open(f'{work}/token-{name}.jwt', 'w') as f:
        f.write(token)
PY
TOKEN_RS=$(cat "$WORK/token-rs256.jwt")
TOKEN_ES=$(cat "$WORK/token-es256.jwt")
# The same RS256 token with its signature's first character changed: a valid shape, a wrong signature.
sig=${TOKEN_RS##*.}
first=${sig:0:1}; [ "$first" = A ] && repl=B || repl=A
TOKEN_BAD="${TOKEN_RS%.*}.${repl}${sig:1}"
log "JWKS (RS256 kid bench-rs256, ES256 kid bench-es256) and tokens made: RS256 ${#TOKEN_RS} characters, ES256 ${#TOKEN_ES} characters"

# ---------------------------------------------------------------- PostgreSQL (ssl = on)
PG_PORT=$(free_port)
log "initdb in $WORK/data (PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}'))"
"${AS_PG[@]}" "$PGBIN/initdb" -D "$WORK/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
  -E UTF8 --locale=C.UTF-8 --no-sync >"$WORK/logs/initdb.log" 2>&1 || { cat "$WORK/logs/initdb.log"; die "initdb failed"; }
cat >>"$WORK/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$WORK/socket'
password_encryption = 'scram-sha-256'
max_connections = 100
shared_buffers = 128MB
fsync = off
synchronous_commit = off
full_page_writes = off
ssl = on
ssl_cert_file = '$WORK/tls/server.crt'
ssl_key_file = '$WORK/tls/server.key'
EOF
"${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$WORK/data" -l "$WORK/logs/postgres.log" -w -t 60 start >/dev/null || { tail -n 20 "$WORK/logs/postgres.log"; die "PostgreSQL did not start"; }
PG_STARTED=1
log "PostgreSQL on 127.0.0.1:$PG_PORT (ssl = on)"

admin_sql() { psql -X -q -v ON_ERROR_STOP=1 -At -h "$WORK/socket" -p "$PG_PORT" -U postgres -d "${2:-postgres}" -c "$1"; }
admin_sql "CREATE ROLE app LOGIN PASSWORD 'app-pw'"
admin_sql "CREATE DATABASE bank OWNER app"

# ---------------------------------------------------------------- pgbouncer (TLS to the clients, session pool)
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
client_tls_sslmode = require
client_tls_cert_file = $WORK/tls/server.crt
client_tls_key_file = $WORK/tls/server.key
server_tls_sslmode = disable
logfile = $WORK/logs/pgbouncer.log
pidfile = $WORK/pgbouncer.pid
EOF
  echo '"app" "app-pw"' >"$WORK/userlist.txt"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$WORK/pgbouncer.ini" "$WORK/userlist.txt" && chmod 600 "$WORK/userlist.txt"
  "${AS_PG[@]}" pgbouncer -d "$WORK/pgbouncer.ini" >"$WORK/logs/pgbouncer.stdout" 2>&1 || { cat "$WORK/logs/pgbouncer.stdout" "$WORK/logs/pgbouncer.log" 2>/dev/null; die "pgbouncer did not start"; }
  for _ in $(seq 1 50); do [ -s "$WORK/pgbouncer.pid" ] && break; sleep 0.1; done
  BOUNCER_PID=$(cat "$WORK/pgbouncer.pid")
  log "pgbouncer $(pgbouncer --version | head -n1 | awk '{print $2}') (TLS required, scram-sha-256, session pool) on 127.0.0.1:$BOUNCER_PORT, pid $BOUNCER_PID"
fi

# ---------------------------------------------------------------- HoopProxy: one process per client authentication method
HOOP_DLL="$REPO/Proxy.Host/bin/Release/net10.0/hoopproxy.dll"
if [ ${#HOOP_PROCS[@]} -gt 0 ]; then
  if [ "${SKIP_BUILD:-0}" != 1 ] || [ ! -f "$HOOP_DLL" ]; then
    log "dotnet build -c Release Proxy.Host"
    (cd "$REPO" && dotnet build -c Release Proxy.Host/Proxy.Host.csproj -nologo -v q) >"$WORK/logs/build.log" 2>&1 || { tail -n 30 "$WORK/logs/build.log"; die "build failed"; }
  fi
fi
for p in ${HOOP_PROCS[@]+"${HOOP_PROCS[@]}"}; do
  HOOP_PORT[$p]=$(free_port)
  HOOP_CONF[$p]="$WORK/hoopproxy-$p.json"
  method=ScramSha256; [ "$p" = cleartext ] && method=Cleartext
  # JwksFile is relative to the configuration file: $WORK/jwks.json.
  cat >"${HOOP_CONF[$p]}" <<EOF
{
  "Postgres": {
    "Listen": "127.0.0.1:${HOOP_PORT[$p]}",
    "DefaultTarget": "bank",
    "Tls": { "CertificateFile": "$WORK/tls/server.crt", "KeyFile": "$WORK/tls/server.key" },
    "ClientAuthentication": "$method",
    "Targets": {
      "bank": { "Host": "127.0.0.1", "Port": $PG_PORT, "Database": "bank", "Username": "app", "Password": "app-pw", "SslMode": "Disable" }
    }
  },
  "Users": {
    "bench": { "Password": "bench-pw" }
  },
  "Identity": {
    "Oidc": {
      "Issuer": "$ISSUER",
      "Audience": "$AUDIENCE",
      "JwksFile": "jwks.json",
      "NameClaim": "email",
      "GroupsClaim": "groups",
      "Algorithms": [ "RS256", "ES256" ]
    }
  },
  "Logging": { "LogLevel": { "Default": "$HOOP_LOG_LEVEL" } }
}
EOF
  DOTNET_gcServer=0 dotnet "$HOOP_DLL" serve --config "${HOOP_CONF[$p]}" >"$WORK/logs/hoopproxy-$p.log" 2>&1 &
  HOOP_PID[$p]=$!
  log "HoopProxy (Release) $p ($method, TLS, Identity with JwksFile) on 127.0.0.1:${HOOP_PORT[$p]}, pid ${HOOP_PID[$p]}"
done

# ---------------------------------------------------------------- connecting
# Runs "$@" with libpq's environment pointing at one of the paths, over TLS (SSLMODE overrides: the plaintext check).
on() {
  local target=$1 port user password; shift
  case $target in
    direct)                port=$PG_PORT;                          user=app;      password=app-pw ;;
    pgbouncer)             port=$BOUNCER_PORT;                     user=app;      password=app-pw ;;
    hoopproxy-scram)       port=${HOOP_PORT[scram]};               user=bench;    password=bench-pw ;;
    hoopproxy-cleartext)   port=${HOOP_PORT[cleartext]};           user=bench;    password=bench-pw ;;
    hoopproxy-token)       port=${HOOP_PORT[cleartext]};           user=$RS_USER; password=${PASSWORD_OVERRIDE:-$TOKEN_RS} ;;
    hoopproxy-token-es256) port=${HOOP_PORT[cleartext]};           user=$ES_USER; password=$TOKEN_ES ;;
  esac
  PGHOST=127.0.0.1 PGPORT=$port PGUSER=$user PGPASSWORD=$password PGDATABASE=bank PGSSLMODE=${SSLMODE:-require} \
    PGGSSENCMODE=disable PGCONNECT_TIMEOUT=10 "$@"
}

hoop_logs_tail() {
  local p
  for p in ${HOOP_PROCS[@]+"${HOOP_PROCS[@]}"}; do
    echo "---- hoopproxy-$p log (last 40 lines):" >&2
    tail -n 40 "$WORK/logs/hoopproxy-$p.log" >&2
  done
}

for target in "${TARGETS[@]}"; do
  ok=0
  for _ in $(seq 1 150); do
    pid=$(proxy_pid "$target")
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
      case $target in hoopproxy*) hoop_logs_tail ;; esac
      die "$target exited"
    fi
    if on "$target" psql -X -At -c 'SELECT 1' >/dev/null 2>"$WORK/logs/connect-$target.err"; then ok=1; break; fi
    # A refusal is an answer: the listener is up, waiting longer will not help.
    grep -qE 'FATAL|authentication failed|refused with|not accepted|token' "$WORK/logs/connect-$target.err" && break
    sleep 0.2
  done
  if [ $ok != 1 ]; then
    log "psql -c 'SELECT 1' through $target failed:"
    sed 's/^/    /' "$WORK/logs/connect-$target.err" >&2
    case $target in hoopproxy*) hoop_logs_tail ;; esac
    die "cannot connect through $target over TLS"
  fi
done
log "all ${#TARGETS[@]} paths answer SELECT 1 over TLS"

# What each first hop negotiates (openssl s_client speaks PostgreSQL's SSLRequest with -starttls postgres).
declare -A TLS_INFO
for target in "${TARGETS[@]}"; do
  case $target in
    direct) port=$PG_PORT ;; pgbouncer) port=$BOUNCER_PORT ;; *) port=${HOOP_PORT[${PROC_OF[$target]}]} ;;
  esac
  info=$(openssl s_client -starttls postgres -connect "127.0.0.1:$port" -brief </dev/null 2>&1 \
    | awk -F': ' '/^Protocol version/ {v = $2} /^Ciphersuite/ {c = $2} END {if (v != "") print v " " c}' || true)
  TLS_INFO[$target]=${info:-unknown}
done

# The token logins are real: refused over plaintext (before the token is sent) and with a broken signature.
TOKEN_CHECKS=()
if [ ${#TOKEN_PATHS[@]} -gt 0 ]; then
  t=${TOKEN_PATHS[0]}
  rc=0; out=$(SSLMODE=disable on "$t" psql -X -At -c 'SELECT 1' 2>&1) || rc=$?
  if [ $rc -ne 0 ] && grep -q 'only over TLS' <<<"$out"; then
    TOKEN_CHECKS+=("token over plaintext (sslmode=disable) refused: $(grep -m1 FATAL <<<"$out" | sed 's/^.*FATAL: *//')")
  else
    log "a token login over plaintext was not refused as expected (psql exit $rc):"; sed 's/^/    /' <<<"$out" >&2
    hoop_logs_tail; die "token over plaintext not refused"
  fi
  if selected hoopproxy-token; then
    rc=0; out=$(PASSWORD_OVERRIDE=$TOKEN_BAD on hoopproxy-token psql -X -At -c 'SELECT 1' 2>&1) || rc=$?
    if [ $rc -ne 0 ] && grep -q 'signature' <<<"$out"; then
      TOKEN_CHECKS+=("RS256 token with a broken signature refused: $(grep -m1 FATAL <<<"$out" | sed 's/^.*FATAL: *//')")
    else
      log "a token with a broken signature was not refused as expected (psql exit $rc):"; sed 's/^/    /' <<<"$out" >&2
      hoop_logs_tail; die "token with a broken signature not refused"
    fi
  fi
  for c in "${TOKEN_CHECKS[@]}"; do log "check: $c"; done
fi

# ---------------------------------------------------------------- pgbench -C -S
log "pgbench -i -s $SCALE (direct)"
on direct pgbench -i -q -s "$SCALE" >"$WORK/logs/pgbench-init.log" 2>&1 || { tail -n 20 "$WORK/logs/pgbench-init.log"; die "pgbench -i failed"; }

declare -A TPS_RUNS CONN_RUNS LAT_RUNS CPU_RUNS FAILS
declare -A CONN_R CPU_R   # "$target/$round" -> that round's connection time (ms) and hop CPU per connection (us)
rotate() { # prints TARGETS rotated left by $1
  local n=${#TARGETS[@]} i
  for ((i = 0; i < n; i++)); do printf '%s ' "${TARGETS[$(((i + $1) % n))]}"; done
}
bench() { # target seconds output
  on "$1" pgbench -C -S -n -T "$2" -c "$CLIENTS" -j "$THREADS" >"$3" 2>&1
}
if [ "$WARMUP" -gt 0 ]; then
  log "warm-up: ${WARMUP}s of pgbench -C -S per path (not recorded)"
  for target in "${TARGETS[@]}"; do
    bench "$target" "$WARMUP" "$WORK/logs/warmup-$target.log" \
      || log "  warm-up $target failed: $(grep -iE 'error|fatal|abort' "$WORK/logs/warmup-$target.log" | head -n 2 | tr '\n' ' ')"
  done
fi
for ((round = 0; round < ROUNDS; round++)); do
  for target in $(rotate $((round % ${#TARGETS[@]}))); do
    out="$WORK/logs/pgbench-$target-$round.log"
    log "round $((round + 1))/$ROUNDS  $target  (${DURATION}s)"
    pid=$(proxy_pid "$target"); cpu_before=0; [ -n "$pid" ] && cpu_before=$(cpu_ticks "$pid")
    tps=""; conn=""; lat=""
    if bench "$target" "$DURATION" "$out"; then
      tps=$(awk '/^tps = / {print $3}' "$out")
      conn=$(awk -F' = ' '/^average connection time/ {print $2 + 0}' "$out")
      lat=$(awk -F' = ' '/^latency average/ {print $2 + 0}' "$out")
    fi
    txns=$(awk '/number of transactions actually processed/ {print $NF}' "$out" | grep -E '^[0-9]+$' || true)
    if [ -n "$pid" ]; then
      cpu=$(awk -v t=$(( $(cpu_ticks "$pid") - cpu_before )) -v n="${txns:-0}" -v hz="$CLK_TCK" 'BEGIN {if (n > 0) printf "%.0f", t / hz * 1e6 / n; else print 0}')
      CPU_RUNS[$target]="${CPU_RUNS[$target]:-} $cpu"
      [ -n "$tps" ] && CPU_R["$target/$round"]=$cpu
    fi
    if [ -z "$tps" ]; then
      FAILS[$target]="see $out: $(grep -iE 'error|fatal|abort' "$out" | head -n 3 | tr '\n' ' ')"
      log "  FAILED: ${FAILS[$target]}"
      tps=0
    else
      log "  $(printf '%.0f' "$tps") connections/s, average connection time ${conn:-?} ms, latency ${lat:-?} ms"
    fi
    TPS_RUNS[$target]="${TPS_RUNS[$target]:-} $tps"
    [ -n "$conn" ] && CONN_RUNS[$target]="${CONN_RUNS[$target]:-} $conn" && CONN_R["$target/$round"]=$conn
    [ -n "$lat" ] && LAT_RUNS[$target]="${LAT_RUNS[$target]:-} $lat"
  done
done

# ---------------------------------------------------------------- summary
set +u   # empty associative arrays count as unset under -u
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {if (NR == 0) print 0; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else printf "n/a"}'; }
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
tps_of() { echo "${TPS_RUNS[$1]}" | median; }
conn_of() { echo "${CONN_RUNS[$1]}" | median; }
lat_of() { echo "${LAT_RUNS[$1]}" | median; }
cpu_of() { echo "${CPU_RUNS[$1]}" | median; }
auth_of() {
  case $1 in
    direct | pgbouncer) echo "SCRAM-SHA-256" ;;
    hoopproxy-scram) echo "SCRAM-SHA-256" ;;
    hoopproxy-cleartext) echo "password in TLS" ;;
    hoopproxy-token) echo "RS256 token in TLS" ;;
    hoopproxy-token-es256) echo "ES256 token in TLS" ;;
  esac
}

echo
echo "## HoopProxy connection setup over TLS (pgbench -C) — $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "Machine: $(nproc) cores, $(awk -F': +' '/model name/ {print $2; exit}' /proc/cpuinfo), $(awk '/MemTotal/ {printf "%.0f GB", $2 / 1048576}' /proc/meminfo) RAM, $(. /etc/os-release; echo "$PRETTY_NAME"); load average at start $LOAD_AT_START, at end $(cut -d' ' -f1-3 /proc/loadavg)"
echo "PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') (ssl = on)$(selected pgbouncer && echo ", pgbouncer $(pgbouncer --version | head -n1 | awk '{print $2}') (session pool, client TLS required, scram-sha-256)")$([ ${#HOOP_PROCS[@]} -gt 0 ] && echo ", HoopProxy Release (.NET $(dotnet --version), Identity: JWKS file, RS256 + ES256)"), $(openssl version | awk '{print $1, $2}')."
echo "Clients: sslmode=require, gssencmode=disable; certificate key $([ "$TLS_KEY" = ec ] && echo "P-256" || echo "RSA-2048"); the hops reach PostgreSQL without TLS."
echo "pgbench -C -S -n -c $CLIENTS -j $THREADS -T $DURATION, scale $SCALE, $ROUNDS round(s), path order rotated each round, median; a transaction = a new connection + one SELECT."
echo
echo "### Connections per second and time per connection"
echo
header "path                 " "auth              " "conn/s" "conn time ms" "latency ms" "hop CPU us/conn" "TLS (first hop)               "
for target in "${TARGETS[@]}"; do
  cpu="-"; [ "$target" != direct ] && cpu=$(printf '%.0f' "$(cpu_of "$target")")
  row "$(printf '%-21s' "$target")" "$(printf '%-18s' "$(auth_of "$target")")" "$(printf '%.0f' "$(tps_of "$target")")" \
    "$(printf '%.3f' "$(conn_of "$target")")" "$(printf '%.3f' "$(lat_of "$target")")" "$cpu" "$(printf '%-30s' "${TLS_INFO[$target]}")"
done
echo
echo "conn time = pgbench's \"average connection time\" (the client's wall time to open one connection: TCP, TLS,"
echo "authentication, startup, as each client saw it); latency = pgbench's \"latency average\" (connection + SELECT +"
echo "disconnect, ~ $CLIENTS x 1000 / conn/s); hop CPU = user + system CPU of pgbouncer / the HoopProxy process per connection"
echo "(clock ticks of 1/$CLK_TCK s, so coarse at low rates)."
RATIOS=()
for t in hoopproxy-scram hoopproxy-cleartext hoopproxy-token hoopproxy-token-es256; do
  selected "$t" || continue
  selected direct && RATIOS+=("$t direct")
  selected pgbouncer && RATIOS+=("$t pgbouncer")
done
selected pgbouncer && selected direct && RATIOS=("pgbouncer direct" ${RATIOS[@]+"${RATIOS[@]}"})
if [ ${#RATIOS[@]} -gt 0 ]; then
  echo
  echo "### Ratios (connections per second; above 1: the first path opened more connections per second)"
  echo
  header "ratio                                " "conn/s" "conn time"
  for r in "${RATIOS[@]}"; do
    read -r num den <<<"$r"
    row "$(printf '%-37s' "$num / $den")" "$(ratio "$(tps_of "$num")" "$(tps_of "$den")")" "$(ratio "$(conn_of "$num")" "$(conn_of "$den")")"
  done
fi
echo
echo "### Token cost per connection (goal: under $GOAL_MS ms)"
echo
cost_line() { # token path, password path
  local t=$1 p=$2
  selected "$t" && selected "$p" || return 0
  local dt dcpu verdict
  dt=$(awk -v a="$(conn_of "$t")" -v b="$(conn_of "$p")" 'BEGIN {printf "%+.3f", a - b}')
  dcpu=$(awk -v a="$(cpu_of "$t")" -v b="$(cpu_of "$p")" 'BEGIN {printf "%+.3f", (a - b) / 1000}')
  verdict=$(awk -v d="$dt" -v g="$GOAL_MS" 'BEGIN {print (d < g) ? "yes" : "no"}')
  # The same difference within each round (the two runs a few seconds apart), and its median: less exposed to the
  # machine's load drifting between rounds than the difference of the medians.
  local r pairs="" cpairs=""
  for ((r = 0; r < ROUNDS; r++)); do
    [ -n "${CONN_R["$t/$r"]}" ] && [ -n "${CONN_R["$p/$r"]}" ] && pairs+=" $(awk -v a="${CONN_R["$t/$r"]}" -v b="${CONN_R["$p/$r"]}" 'BEGIN {printf "%+.3f", a - b}')"
    [ -n "${CPU_R["$t/$r"]}" ] && [ -n "${CPU_R["$p/$r"]}" ] && cpairs+=" $(awk -v a="${CPU_R["$t/$r"]}" -v b="${CPU_R["$p/$r"]}" 'BEGIN {printf "%+.3f", (a - b) / 1000}')"
  done
  echo "  $t - $p: connection time $dt ms (under $GOAL_MS ms: $verdict); hop CPU $dcpu ms per connection; conn/s ratio $(ratio "$(tps_of "$t")" "$(tps_of "$p")")"
  echo "      per round: connection time${pairs:- n/a} ms (median $(printf '%+.3f' "$(echo "$pairs" | median)")); hop CPU${cpairs:- n/a} ms (median $(printf '%+.3f' "$(echo "$cpairs" | median)"))"
}
COSTS=$(
  cost_line hoopproxy-token hoopproxy-cleartext
  cost_line hoopproxy-token-es256 hoopproxy-cleartext
  cost_line hoopproxy-token hoopproxy-scram
  cost_line hoopproxy-token-es256 hoopproxy-scram
)
echo "${COSTS:-  (needs a token path and a password path)}"
echo
echo "  token - cleartext is the like-for-like figure (one process, the same exchange: a cleartext password message"
echo "  inside TLS; only the check differs: a fixed-time hash comparison against JWT validation). token - scram also"
echo "  counts SCRAM's extra round trip and the client's PBKDF2 (4096 iterations in libpq per connection), which the"
echo "  token login does not do."
if [ ${#TOKEN_CHECKS[@]} -gt 0 ]; then
  echo
  echo "### Token login checks (before the measurements)"
  echo
  for c in "${TOKEN_CHECKS[@]}"; do echo "  $c"; done
fi
echo
echo "Every round (connections/s; average connection time ms; hop CPU us per connection):"
for target in "${TARGETS[@]}"; do
  printf '  %-22s %s;%s;%s\n' "$target" "${TPS_RUNS[$target]}" "${CONN_RUNS[$target]}" "${CPU_RUNS[$target]:- -}"
done
if [ ${#FAILS[@]} -gt 0 ]; then
  echo
  echo "### Failures"
  for key in "${!FAILS[@]}"; do echo "  $key: ${FAILS[$key]}"; done
  for p in ${HOOP_PROCS[@]+"${HOOP_PROCS[@]}"}; do
    echo "  hoopproxy-$p log (last lines):"
    tail -n 20 "$WORK/logs/hoopproxy-$p.log" | sed 's/^/    /'
  done
fi
echo
for p in ${HOOP_PROCS[@]+"${HOOP_PROCS[@]}"}; do
  f="$WORK/logs/hoopproxy-$p.log"
  warnings=$(grep -cE '\b(warn|fail|crit)\b' "$f" || true)
  # Expected: one refusal per openssl s_client probe (it closes after the handshake) and the two token checks.
  probes=$(grep -c 'closed the connection before the startup packet' "$f" || true)
  checks=$(grep -cE 'accepts only over TLS|signature is not valid' "$f" || true)
  echo "hoopproxy-$p log: $(wc -l <"$f") lines, $warnings warning/error lines ($probes from the TLS probes, $checks from the token checks, $((warnings - probes - checks)) others)$([ "$KEEP" = 1 ] && echo " ($f)")"
done
[ ${#FAILS[@]} -eq 0 ] || exit 1
