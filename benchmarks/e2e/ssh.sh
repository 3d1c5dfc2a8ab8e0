#!/usr/bin/env bash
# End-to-end SSH comparison, all in one run on this machine, over three paths to the same throwaway sshd (the target):
#   direct     ssh straight to the target;
#   proxyjump  OpenSSH's own jump host: `ssh -J` through a second throwaway sshd (the bastion, AllowTcpForwarding yes);
#   hoopproxy  ssh to HoopProxy's SSH listener (user bench), which logs in to the target with its own key.
# 1. throughput: SIZE bytes of incompressible data (made once from /dev/urandom, on tmpfs) moved each way, once per
#    cipher of CIPHERS (forced on every OpenSSH hop), ROUNDS rounds, median seconds and MB/s, by each kind of KINDS:
#      exec    upload `ssh HOST 'cat > /dev/null' < FILE`, download `ssh HOST 'cat FILE' > /dev/null`
#              (the whole ssh command, login included);
#      sftp    `sftp -b BATCH HOST` with one `put FILE /dev/shm/...` (upload) or `get FILE LOCAL` (download), both ends
#              on tmpfs (the whole sftp command, login included);
#      tunnel  `ssh -N -L LOCAL:127.0.0.1:PEER HOST`, then SIZE bytes pushed into LOCAL (upload) or pulled from it
#              (download); PEER is a small sink/source on the target's side (python3: sendfile, splice); only the
#              transfer is timed, not the tunnel's login;
# 2. connection setup: SETUP_COUNT sequential `ssh HOST true`, total and per connection, median of the rounds;
# 3. HoopProxy's CPU seconds (user + system, /proc/PID/stat) and peak RSS (VmHWM after a clear_refs reset) in each
#    phase, and, for comparison, the CPU of the bastion sshd (its reaped children) on the proxyjump path.
# Prints the figures, the ratios (vs direct, vs proxyjump) and the goals (HoopProxy throughput >= 0.8 x direct,
# setup <= 1.2 x direct) as a Markdown section ready to paste into benchmarks/README.md; writes nothing into the
# repository; stops everything it started and removes its files on exit (the data file always, the rest unless KEEP=1).
# Exits 1 when a transfer or a login failed (after printing everything).
#
# Runs as root: sshd needs it. Creates the OS account hoopproxy-target (password field `*`) when it is missing, as
# Proxy.Host/Demo/LocalSshd.cs does; both sshds let only that account in, with the benchmark client's key.
#
# Environment:
#   PATHS="direct proxyjump hoopproxy"   the paths measured (default: all three; tables keep this order; set but
#                   empty is an error)
#   SIZE=1G         bytes per transfer (K, M, G suffixes are powers of 1024, or a plain byte count)
#   ROUNDS=3        rounds; the order of the paths rotates every round and phase; medians are reported
#   CIPHERS="aes128-gcm@openssh.com chacha20-poly1305@openssh.com"   one throughput phase per cipher
#   KINDS="exec sftp tunnel"   the kinds of transfer measured (default: all three; set but empty is an error)
#   SETUP_COUNT=20  sequential `ssh HOST true` per path and round; 0 skips the setup phase
#   DATA_DIR=/dev/shm   where the SIZE-byte data file is made, and the sftp kind's files (the file a put writes on
#                   the target's side, the file a get writes on the client's; one at a time): tmpfs, no disk in the
#                   measurement; needs SIZE free, 2 x SIZE with sftp
#   START_TIMEOUT=60    seconds HoopProxy gets to listen and to let a first login through, else the script stops
#   TRANSFER_TIMEOUT    seconds one transfer may take before it is killed and counted as failed
#                   (default 60 + SIZE / 4 MB); a login (`ssh HOST true`) gets 30 s
#   RECORD=1        HoopProxy records every session (a Recording section; the recording is verified at the end);
#                   off by default. Every byte of every transfer is recorded: ~2 x kinds x ciphers x ROUNDS x SIZE
#                   on disk (36 GiB with the defaults), plus 16 MiB each way per kind and cipher for the checks
#   REC_ROOT=DIR    put the recording directory under DIR instead of the temporary folder (/tmp)
#   KEEP=1          keep the temporary folder (logs, configurations, keys, recordings)
#   SKIP_BUILD=1    use the existing Proxy.Host/bin/Release build
# Variables such as DOTNET_* are inherited by the proxy process.
set -euo pipefail

SIZE_SPEC=${SIZE:-1G}
ROUNDS=${ROUNDS:-3}
SETUP_COUNT=${SETUP_COUNT:-20}
CIPHERS=${CIPHERS:-aes128-gcm@openssh.com chacha20-poly1305@openssh.com}
DATA_DIR=${DATA_DIR:-/dev/shm}
START_TIMEOUT=${START_TIMEOUT:-60}
RECORD=${RECORD:-0}
KEEP=${KEEP:-0}
LOGIN_TIMEOUT=30
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
STARTED_AT=$(date -u '+%Y-%m-%d %H:%M')

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ALL_PATHS=(direct proxyjump hoopproxy)
ALL_KINDS=(exec sftp tunnel)
ACCOUNT=hoopproxy-target   # the target account, as in Proxy.Host/Demo/LocalSshd.cs
SSHD=/usr/sbin/sshd
DIRECTIONS=(upload download)

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# The paths of this run, in the canonical order whatever order PATHS lists them in.
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
# The kinds of transfer, the same way.
read -r -a wanted <<<"${KINDS-${ALL_KINDS[*]}}"
KIND_LIST=()
for known in "${ALL_KINDS[@]}"; do
  for w in "${wanted[@]}"; do [ "$w" = "$known" ] && { KIND_LIST+=("$known"); break; }; done
done
for w in "${wanted[@]}"; do
  case " ${ALL_KINDS[*]} " in *" $w "*) ;; *) die "unknown kind '$w' in KINDS (known: ${ALL_KINDS[*]})" ;; esac
done
[ ${#KIND_LIST[@]} -gt 0 ] || die "KINDS selects no kind"
kind_selected() { case " ${KIND_LIST[*]} " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

SIZE=$(numfmt --from=iec "$SIZE_SPEC" 2>/dev/null) || die "SIZE=$SIZE_SPEC is not a size (e.g. 1G, 64M, 1048576)"
[ "$SIZE" -gt 0 ] || die "SIZE must be positive"
for knob in ROUNDS START_TIMEOUT; do
  [[ ${!knob} =~ ^[1-9][0-9]*$ ]] || die "$knob=${!knob} is not a positive integer"
done
[[ $SETUP_COUNT =~ ^(0|[1-9][0-9]*)$ ]] || die "SETUP_COUNT=$SETUP_COUNT is not a number (0 skips the setup phase)"
TRANSFER_TIMEOUT=${TRANSFER_TIMEOUT:-$((60 + SIZE / 4000000))}
[[ $TRANSFER_TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "TRANSFER_TIMEOUT=$TRANSFER_TIMEOUT is not a positive integer"
CHECK_BYTES=$((16 * 1024 * 1024))   # the verified warm-up transfer, each way, per path and cipher
[ "$SIZE" -lt "$CHECK_BYTES" ] && CHECK_BYTES=$SIZE
read -r -a CIPHER_LIST <<<"$CIPHERS"
[ ${#CIPHER_LIST[@]} -gt 0 ] || die "CIPHERS lists no cipher"
short() { echo "${1%@openssh.com}"; }

# ---------------------------------------------------------------- dependencies
[ "$(id -u)" -eq 0 ] || die "run as root: the throwaway sshds need it (sshd changes to the logged-in account)"
if [ ! -x "$SSHD" ] || ! command -v ssh >/dev/null || ! command -v ssh-keygen >/dev/null; then
  log "OpenSSH missing: scripts/install-deps.sh"
  "$REPO/scripts/install-deps.sh"
fi
[ -x "$SSHD" ] || die "$SSHD not found (apt-get install openssh-server)"
for tool in ssh ssh-keygen python3 numfmt timeout sha256sum pgrep; do
  command -v "$tool" >/dev/null || die "$tool not found"
done
if kind_selected sftp; then
  command -v sftp >/dev/null || die "sftp not found (the sftp kind needs OpenSSH's sftp client)"
fi
# The interpreter itself, not a pyenv shim (a shell script that costs ~50 ms per start).
PYTHON=$(python3 -c 'import sys; print(sys.executable)')
for c in "${CIPHER_LIST[@]}"; do
  ssh -Q cipher | grep -qxF "$c" || die "this ssh does not know the cipher $c (ssh -Q cipher)"
done
if selected hoopproxy; then
  command -v dotnet >/dev/null || die "dotnet not found (the hoopproxy path needs the .NET 10 SDK)"
fi
if [ "$RECORD" = 1 ]; then
  selected hoopproxy || die "RECORD=1 records HoopProxy's sessions: PATHS must include hoopproxy"
fi

free_port() {
  "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
CLK_TCK=$(getconf CLK_TCK)
# CPU time (user + system) of a process so far, in clock ticks; and that of its reaped children (cutime + cstime).
cpu_ticks() { awk '{sub(/.*\) /, ""); print $12 + $13}' "/proc/$1/stat" 2>/dev/null || echo 0; }
child_ticks() { awk '{sub(/.*\) /, ""); print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
status_kb() { awk -v key="$2:" '$1 == key {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
reset_peak() { echo 5 >"/proc/$1/clear_refs" 2>/dev/null; }   # resets VmHWM to the current RSS (root may)
now_us() { echo "${EPOCHREALTIME//[.,]/}"; }
secs_since() { awk -v a="$1" -v b="$(now_us)" 'BEGIN {printf "%.3f", (b - a) / 1e6}'; }

# ---------------------------------------------------------------- cleanup
WORK=$(mktemp -d /tmp/hoopproxy-ssh-e2e.XXXXXX)
chmod 755 "$WORK"   # sshd reads the authorized_keys files as the target account
mkdir -p "$WORK/logs"
DATA_BASE=""
REC_BASE=""
HOOP_PID=""
PEER_PID=""     # the tunnel kind's sink/source
TUNNEL_PID=""   # the `timeout ssh -N -L` of the tunnel being measured
declare -A SSHD_PID SSHD_PORT

stop_pid() { # pid, tenths of a second to wait for SIGTERM before SIGKILL
  local pid=$1 i
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < $2; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null
  return 1
}

cleanup() {
  local status=$? name child
  set +e
  stop_pid "$TUNNEL_PID" 30
  stop_pid "$HOOP_PID" 100
  stop_pid "$PEER_PID" 30
  for name in "${!SSHD_PID[@]}"; do
    # The listener, what is left of its per-connection processes (a killed client leaves one behind), the subreaper.
    children=$(pgrep -P "${SSHD_PID[$name]}"; [ -n "${SSHD_LISTENER[$name]:-}" ] && pgrep -P "${SSHD_LISTENER[$name]}")
    stop_pid "${SSHD_LISTENER[$name]:-}" 30
    for child in $children; do stop_pid "$child" 10; done
    stop_pid "${SSHD_PID[$name]}" 30
  done
  [ -n "$DATA_BASE" ] && rm -rf "$DATA_BASE"   # SIZE bytes of RAM on tmpfs: never kept
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

log "paths: ${TARGETS[*]}; kinds: ${KIND_LIST[*]}; $SIZE bytes per transfer, ciphers: ${CIPHER_LIST[*]}, $ROUNDS round(s), $SETUP_COUNT logins per setup run"

# ---------------------------------------------------------------- the data
avail=$(df --output=avail -B1 "$DATA_DIR" | tail -n1 | tr -d ' ')
copies=1; kind_selected sftp && copies=2   # sftp: the file a put or a get writes, next to the data file
[ "$avail" -gt $((copies * SIZE + 64 * 1024 * 1024)) ] || die "$DATA_DIR has $avail bytes free, SIZE=$SIZE needs more ($copies x SIZE; DATA_DIR=... elsewhere)"
DATA_BASE=$(mktemp -d "$DATA_DIR/hoopproxy-ssh-data.XXXXXX")
chmod 755 "$DATA_BASE"   # the download's `cat` runs as the target account
DATA="$DATA_BASE/payload"
DATA_FS=$(df --output=fstype "$DATA_DIR" | tail -n1 | tr -d ' ')
log "writing $SIZE bytes from /dev/urandom to $DATA ($DATA_FS)"
head -c "$SIZE" /dev/urandom >"$DATA"
chmod 644 "$DATA"
[ "$(stat -c %s "$DATA")" = "$SIZE" ] || die "$DATA is not $SIZE bytes"
CHECK="$DATA_BASE/check"   # the first CHECK_BYTES of the data: what the sftp check puts and gets
head -c "$CHECK_BYTES" "$DATA" >"$CHECK"
chmod 644 "$CHECK"

# ---------------------------------------------------------------- keys and the account
ssh-keygen -q -t ed25519 -N '' -C bench -f "$WORK/client_key"                       # the benchmark client
ssh-keygen -q -t ed25519 -N '' -C 'hoopproxy target key' -f "$WORK/target_key"      # HoopProxy's login to the target
if ! id "$ACCOUNT" >/dev/null 2>&1; then
  log "creating the OS account $ACCOUNT (password field *: no password login, but not locked)"
  useradd --create-home --shell /bin/bash "$ACCOUNT"
  usermod --password '*' "$ACCOUNT"
fi
mkdir -p /run/sshd   # sshd's privilege separation directory; a fresh container has none
# The sftp kind: a put writes into PUT_DIR on the target's side (as the target account), a get into GOT_FILE on the
# client's; both next to the data file on tmpfs (the target is on this machine), removed after every transfer.
PUT_DIR="$DATA_BASE/put"
GOT_FILE="$DATA_BASE/got"
if kind_selected sftp; then
  mkdir -p "$PUT_DIR"
  chown "$ACCOUNT" "$PUT_DIR"
  chmod 700 "$PUT_DIR"
fi

# ---------------------------------------------------------------- the throwaway sshds
# The bastion's sshd runs under this child subreaper, so that the CPU of all its per-connection processes can be read:
# sshd's privileged monitor does not wait for the unprivileged post-login process that forwards the bytes, which would
# otherwise be reparented to init and its CPU lost. The subreaper adopts and reaps it (the kernel adds its CPU to the
# subreaper's cutime + cstime); what the listener reaps itself is in the listener's. SIGTERM goes on to sshd.
REAPER_PY='
import ctypes, os, signal, sys
ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)   # PR_SET_CHILD_SUBREAPER
child = os.fork()
if child == 0:
    os.execv(sys.argv[1], sys.argv[1:])
def forward(signum, frame):
    try:
        os.kill(child, signum)
    except ProcessLookupError:
        pass
signal.signal(signal.SIGTERM, forward)
signal.signal(signal.SIGINT, signal.SIG_IGN)   # the script stops sshd itself
while True:
    try:
        os.wait()
    except ChildProcessError:
        break
'
declare -A SSHD_LISTENER   # name -> sshd's own pid (from its PidFile); SSHD_PID is what we started (the subreaper for the bastion)
start_sshd() { # name, reaper (1: under the subreaper), then the public key files it accepts for the account
  local name=$1 reaper=$2 dir="$WORK/$1" port i
  shift 2
  port=$(free_port)
  mkdir -p "$dir"
  chmod 755 "$dir"
  ssh-keygen -q -t ed25519 -N '' -C "$name host key" -f "$dir/host_ed25519"
  cat "$@" >"$dir/authorized_keys"
  chmod 644 "$dir/authorized_keys"
  # Only an ed25519 host key: every path verifies the same kind of signature, and HoopProxy pins that key.
  cat >"$dir/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $port
HostKey $dir/host_ed25519
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
StrictModes no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin no
AllowUsers $ACCOUNT
AllowTcpForwarding yes
X11Forwarding no
PrintMotd no
PrintLastLog no
UseDNS no
Subsystem sftp internal-sftp
LogLevel INFO
EOF
  "$SSHD" -t -f "$dir/sshd_config" >"$WORK/logs/sshd-$name.log" 2>&1 || { cat "$WORK/logs/sshd-$name.log"; die "sshd rejects $dir/sshd_config"; }
  # -D: stays in the foreground, our child (or the subreaper's); -e: log to stderr, into the file.
  if [ "$reaper" = 1 ]; then
    python3 -c "$REAPER_PY" "$SSHD" -D -e -f "$dir/sshd_config" >>"$WORK/logs/sshd-$name.log" 2>&1 &
  else
    "$SSHD" -D -e -f "$dir/sshd_config" >>"$WORK/logs/sshd-$name.log" 2>&1 &
  fi
  SSHD_PID[$name]=$!
  SSHD_PORT[$name]=$port
  # sshd writes its PidFile once it listens.
  for ((i = 0; i < 200; i++)); do
    kill -0 "${SSHD_PID[$name]}" 2>/dev/null || { cat "$WORK/logs/sshd-$name.log"; die "sshd ($name) exited"; }
    [ -s "$dir/sshd.pid" ] && break
    sleep 0.1
  done
  [ -s "$dir/sshd.pid" ] || { cat "$WORK/logs/sshd-$name.log"; die "sshd ($name) did not listen within 20 s"; }
  SSHD_LISTENER[$name]=$(cat "$dir/sshd.pid")
  log "sshd ($name) on 127.0.0.1:$port, pid ${SSHD_LISTENER[$name]}$([ "$reaper" = 1 ] && echo " (under subreaper ${SSHD_PID[$name]})")"
}
start_sshd target 0 "$WORK/client_key.pub" "$WORK/target_key.pub"
TARGET_PORT=${SSHD_PORT[target]}
BASTION_PORT=""
if selected proxyjump; then
  start_sshd bastion 1 "$WORK/client_key.pub"
  BASTION_PORT=${SSHD_PORT[bastion]}
fi

# ---------------------------------------------------------------- the tunnel kind's peer
# One listener on the target's side (127.0.0.1:PEER_PORT, what `ssh -L` forwards to). A connection starts with a
# 64-byte header "PUT|GET BYTES HASH": PUT reads BYTES and answers "COUNT SHA256|-" (the hash only when HASH is 1),
# GET sends the first BYTES of the data file (sendfile, no copy) and closes. The client side (put, get) times the
# transfer from its connect to the answer (put) or the last byte (get) and prints "SECONDS COUNT SHA256|-".
# sendfile (GET) and splice to /dev/null (PUT; recv_into when it hashes) keep the bytes out of user space and its CPU
# small; the run measures its ceiling over bare loopback (no ssh).
PEER_PY="$WORK/tunnel_peer.py"
cat >"$PEER_PY" <<'EOF_PEER'
import fcntl, hashlib, os, socket, sys, threading, time

HEADER = 64
BUF = 1 << 20

def read_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return data

def discard(sock, n):
    """Moves up to n bytes (fewer at EOF) from the socket to /dev/null through a pipe with splice, never through
    user space; returns the count, or None when splice is not available here (nothing read then)."""
    if not hasattr(os, "splice"):
        return None
    r, w = os.pipe()
    devnull = os.open("/dev/null", os.O_WRONLY)
    try:
        try:
            fcntl.fcntl(w, 1031, BUF)   # F_SETPIPE_SZ: 1 MiB instead of 64 KiB
        except OSError:
            pass
        got = 0
        while got < n:
            try:
                k = os.splice(sock.fileno(), w, min(BUF, n - got))
            except OSError:
                if got == 0:
                    return None
                raise
            if k == 0:
                break
            left = k
            while left:
                left -= os.splice(r, devnull, left)
            got += k
        return got
    finally:
        os.close(r)
        os.close(w)
        os.close(devnull)

def receive(sock, n, digest):
    """Reads up to n bytes (fewer at EOF); returns the count. Without a hash: splice to /dev/null."""
    if digest is None:
        got = discard(sock, n)
        if got is not None:
            return got
    buf = bytearray(BUF)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = sock.recv_into(view, min(BUF, n - got))
        if k == 0:
            break
        if digest is not None:
            digest.update(view[:k])
        got += k
    return got

def serve_one(conn, path):
    with conn:
        try:
            verb, n, want_hash = read_exact(conn, HEADER).decode().split()
            n = int(n)
            digest = hashlib.sha256() if want_hash == "1" else None
            if verb == "PUT":
                got = receive(conn, n, digest)
                conn.sendall(f"{got} {digest.hexdigest() if digest else '-'}\n".encode())
            elif verb == "GET":
                with open(path, "rb") as f:
                    conn.sendfile(f, 0, n)
                conn.shutdown(socket.SHUT_WR)
                read_exact(conn, 1)   # the client closes first: no RST on unread data
        except (OSError, ValueError) as e:
            print(f"tunnel peer: {e!r}", file=sys.stderr, flush=True)

def serve(port_file, path):
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(listener.getsockname()[1]))
    os.rename(port_file + ".tmp", port_file)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve_one, args=(conn, path), daemon=True).start()

def client(verb, port, n, want_hash, path=None):
    try:
        transfer(verb, port, int(n), want_hash, path)
    except OSError as e:
        print(f"tunnel {verb.lower()}: {e!r}", file=sys.stderr)
        sys.exit(1)

def transfer(verb, port, n, want_hash, path):
    start = time.perf_counter()
    sock = socket.create_connection(("127.0.0.1", int(port)))
    sock.sendall(f"{verb} {n} {want_hash}".encode().ljust(HEADER))
    if verb == "PUT":
        with open(path, "rb") as f:
            sent = sock.sendfile(f, 0, n)
        answer = read_exact(sock, 200).decode().split()
        secs = time.perf_counter() - start
        got, hexdigest = (int(answer[0]), answer[1]) if len(answer) == 2 else (0, "-")
        if sent != n:
            got = min(got, sent)
    else:
        digest = hashlib.sha256() if want_hash == "1" else None
        got = receive(sock, n, digest)
        secs = time.perf_counter() - start
        hexdigest = digest.hexdigest() if digest else "-"
    sock.close()
    print(f"{secs:.3f} {got} {hexdigest}")
    if got != n:
        print(f"tunnel {verb.lower()}: {got} of {n} bytes arrived (the connection ended early)", file=sys.stderr)
        sys.exit(1)

if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "put":    # put PORT BYTES HASH FILE
        client("PUT", sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5])
    elif sys.argv[1] == "get":    # get PORT BYTES HASH
        client("GET", sys.argv[2], sys.argv[3], sys.argv[4])
EOF_PEER
PEER_PORT=""
declare -A PEER_CEILING   # upload/download -> "MB/s, CPU s of the peer and its client" over bare loopback
if kind_selected tunnel; then
  "$PYTHON" "$PEER_PY" serve "$WORK/peer.port" "$DATA" >"$WORK/logs/tunnel-peer.log" 2>&1 &
  PEER_PID=$!
  for ((i = 0; i < 100; i++)); do [ -s "$WORK/peer.port" ] && break; kill -0 "$PEER_PID" 2>/dev/null || break; sleep 0.1; done
  [ -s "$WORK/peer.port" ] || { cat "$WORK/logs/tunnel-peer.log" >&2; die "the tunnel peer did not start"; }
  PEER_PORT=$(cat "$WORK/peer.port")
  # Its ceiling: SIZE bytes each way straight over loopback, the peer and the client alone; a verified CHECK_BYTES
  # first (and a warm-up). ssh through any path must stay far below this.
  up=$("$PYTHON" "$PEER_PY" put "$PEER_PORT" "$CHECK_BYTES" 1 "$DATA" | cut -d' ' -f3) || true
  down=$("$PYTHON" "$PEER_PY" get "$PEER_PORT" "$CHECK_BYTES" 1 | cut -d' ' -f3) || true
  check_hash=$(head -c "$CHECK_BYTES" "$DATA" | sha256sum | cut -d' ' -f1)
  [ "$up" = "$check_hash" ] && [ "$down" = "$check_hash" ] || die "the tunnel peer over bare loopback: sha256 put '$up', get '$down', expected $check_hash"
  for dir in upload download; do
    verb=put; [ $dir = download ] && verb=get
    ticks0=$(($(cpu_ticks "$PEER_PID") + $(child_ticks $$)))
    out=$(timeout "$TRANSFER_TIMEOUT" "$PYTHON" "$PEER_PY" $verb "$PEER_PORT" "$SIZE" 0 "$DATA") || die "the tunnel peer over bare loopback: $verb failed"
    ticks=$(($(cpu_ticks "$PEER_PID") + $(child_ticks $$) - ticks0))
    PEER_CEILING[$dir]=$(awk -v s="$SIZE" -v t="${out%% *}" -v c="$ticks" -v hz="$CLK_TCK" 'BEGIN {printf "%.0f MB/s (peer + client CPU %.2f s, %.2f s/GiB)", s / 1e6 / t, c / hz, c / hz / (s / 1073741824)}')
  done
  log "tunnel peer on 127.0.0.1:$PEER_PORT, pid $PEER_PID; over bare loopback: put ${PEER_CEILING[upload]}, get ${PEER_CEILING[download]}"
fi

# ---------------------------------------------------------------- the client's configuration
# One ssh_config per cipher, given with -F to every ssh: `ssh -J` passes -F (not -o, -c or -i) on to the ssh it runs
# for the jump, so a file is the way to force the same cipher and options on both hops of proxyjump. With -F neither
# ~/.ssh/config nor /etc/ssh/ssh_config is read. ssh_config.default (no Ciphers: the client's default) is for logins.
declare -A CFG
write_client_config() { # file, cipher ("" = default)
  cat >"$1" <<EOF
Host *
  BatchMode yes
  StrictHostKeyChecking no
  UserKnownHostsFile /dev/null
  GlobalKnownHostsFile /dev/null
  LogLevel ERROR
  IdentityFile $WORK/client_key
  IdentitiesOnly yes
  ControlMaster no
  ControlPath none
  Compression no
  ConnectTimeout 10
EOF
  [ -n "$2" ] && echo "  Ciphers $2" >>"$1"
  return 0
}
CFG_DEFAULT="$WORK/ssh_config.default"
write_client_config "$CFG_DEFAULT" ""
for c in "${CIPHER_LIST[@]}"; do
  CFG[$c]="$WORK/ssh_config.$(short "$c")"
  write_client_config "${CFG[$c]}" "$c"
done

# ---------------------------------------------------------------- HoopProxy
hoop_failed() { # message: the proxy's log, then die
  log "HoopProxy log ($WORK/logs/hoopproxy.log), last lines:"
  tail -n 30 "$WORK/logs/hoopproxy.log" | sed 's/^/    /' >&2
  die "$1"
}
HOOP_DLL="$REPO/Proxy.Host/bin/Release/net10.0/hoopproxy.dll"
HOOP_PORT=""
HOOP_CONF="$WORK/hoopproxy.json"
REC_DIR=""
HOOP_RSS_IDLE=0
HOOP_HWM_START=0
if selected hoopproxy; then
  if [ "${SKIP_BUILD:-0}" != 1 ] || [ ! -f "$HOOP_DLL" ]; then
    log "dotnet build -c Release Proxy.Host"
    (cd "$REPO" && dotnet build -c Release Proxy.Host/Proxy.Host.csproj -nologo -v q) >"$WORK/logs/build.log" 2>&1 || { tail -n 30 "$WORK/logs/build.log"; die "build failed"; }
  fi
  HOOP_PORT=$(free_port)
  TARGET_FP=$(ssh-keygen -l -E sha256 -f "$WORK/target/host_ed25519.pub" | awk '{print $2}')
  recording=""
  if [ "$RECORD" = 1 ]; then
    if [ -n "${REC_ROOT:-}" ]; then
      REC_BASE=$(mktemp -d "$REC_ROOT/hoopproxy-ssh-e2e-rec.XXXXXX")
    else
      REC_BASE="$WORK/recordings"
      mkdir -p "$REC_BASE"
    fi
    REC_DIR="$REC_BASE/hoopproxy"
    # The operator's Ed25519 signing key as the docs give it (PKCS#8 PEM); a raw 32-byte seed when openssl is missing.
    KEY_FILE="$WORK/recording-key.pem"
    if command -v openssl >/dev/null; then
      openssl genpkey -algorithm ed25519 -out "$KEY_FILE" 2>"$WORK/logs/openssl.log" || { cat "$WORK/logs/openssl.log"; die "openssl genpkey failed"; }
    else
      KEY_FILE="$WORK/recording-key.seed"
      head -c 32 /dev/urandom >"$KEY_FILE"
    fi
    chmod 600 "$KEY_FILE"
    # Every transfer each way, per kind, cipher and round, and the checks (CHECK_BYTES each way, per kind and cipher).
    need=$((2 * ${#KIND_LIST[@]} * ${#CIPHER_LIST[@]} * (ROUNDS * SIZE + CHECK_BYTES)))
    have=$(df --output=avail -B1 "$REC_BASE" | tail -n1 | tr -d ' ')
    log "recording to $REC_DIR ($(df --output=fstype "$REC_BASE" | tail -n1 | tr -d ' '), $((have / 1000000)) MB free, about $((need / 1000000)) MB needed)"
    [ "$have" -gt "$need" ] || log "  WARNING: the recordings may not fit (REC_ROOT=DIR puts them elsewhere)"
    # Defaults otherwise (FlushInterval 1 s, FailClosed true, no compression): what an operator gets.
    recording=",
  \"Recording\": { \"Directory\": \"$REC_DIR\", \"SigningKeyFile\": \"$KEY_FILE\" }"
  fi
  # The tunnel kind: forwarding is denied unless a rule allows it; this one allows bench's tunnels to the peer only.
  policies=""
  if kind_selected tunnel; then
    policies=",
  \"SshPolicies\": [
    { \"Name\": \"bench-tunnel\", \"Action\": \"Allow\",
      \"Match\": { \"Users\": [ \"bench\" ], \"Channels\": [ \"direct-tcpip\" ], \"Destinations\": [ \"127.0.0.1:$PEER_PORT\" ] } }
  ]"
  fi
  # No Postgres section: an SSH-only proxy. HoopProxy generates its own host key (ed25519) into HostKeyFile.
  cat >"$HOOP_CONF" <<EOF
{
  "Ssh": {
    "Listen": "127.0.0.1:$HOOP_PORT",
    "HostKeyFile": "$WORK/hoop_hostkey",
    "DefaultTarget": "web",
    "Targets": {
      "web": { "Host": "127.0.0.1", "Port": $TARGET_PORT, "Username": "$ACCOUNT",
               "PrivateKeyFile": "$WORK/target_key", "HostKey": "$TARGET_FP" }
    }
  },
  "Users": { "bench": { "AuthorizedKeys": [ "$(cat "$WORK/client_key.pub")" ] } },
  "Logging": { "LogLevel": { "Default": "Warning" } }$recording$policies
}
EOF
  # A line per session at Information would measure the console, not the proxy; the output goes to a file.
  DOTNET_gcServer=0 dotnet "$HOOP_DLL" serve --config "$HOOP_CONF" >"$WORK/logs/hoopproxy.log" 2>&1 &
  HOOP_PID=$!
  log "HoopProxy (Release) on 127.0.0.1:$HOOP_PORT, pid $HOOP_PID$([ "$RECORD" = 1 ] && echo ", recording"); waiting up to ${START_TIMEOUT}s for a login through it"
fi

# ---------------------------------------------------------------- running ssh over a path
# dest_args PATH PORT_FLAG: sets DEST_ARGS to the options and destination that reach the target over PATH, the port
# given with PORT_FLAG (ssh: -p, sftp: -P); they go last, after any other option.
dest_args() {
  case $1 in
    direct)    DEST_ARGS=("$2" "$TARGET_PORT" "$ACCOUNT@127.0.0.1") ;;
    proxyjump) DEST_ARGS=(-J "$ACCOUNT@127.0.0.1:$BASTION_PORT" "$2" "$TARGET_PORT" "$ACCOUNT@127.0.0.1") ;;
    hoopproxy) DEST_ARGS=("$2" "$HOOP_PORT" "bench@127.0.0.1") ;;
  esac
}
# run_ssh TIMEOUT PATH CONFIG COMMAND...: ssh on PATH with the options of CONFIG (and SSH_EXTRA); killed after TIMEOUT
# seconds, so a path that stops answering fails instead of hanging the run. stdin/stdout are the caller's.
SSH_EXTRA=()
run_ssh() {
  local limit=$1 path=$2 cfg=$3 DEST_ARGS
  shift 3
  dest_args "$path" -p
  timeout "$limit" ssh -F "$cfg" ${SSH_EXTRA[@]+"${SSH_EXTRA[@]}"} "${DEST_ARGS[@]}" "$@"
}
# run_sftp TIMEOUT PATH CONFIG BATCHFILE: `sftp -b BATCHFILE` on PATH (sftp hands -F, -J and -v on to the ssh it runs;
# its default buffer and request count, as a user gets them), with SSH_EXTRA. The batch's echo goes to stdout.
run_sftp() {
  local limit=$1 path=$2 cfg=$3 batch=$4 DEST_ARGS
  dest_args "$path" -P
  timeout "$limit" sftp -F "$cfg" ${SSH_EXTRA[@]+"${SSH_EXTRA[@]}"} -b "$batch" "${DEST_ARGS[@]}"
}
# run_tunnel PATH CONFIG upload|download BYTES HASH ERRFILE: brings up `ssh -N -L 127.0.0.1:LOCAL:127.0.0.1:PEER_PORT`
# on PATH (in the background; LOCAL listening is the sign it is up: /proc/net/tcp, no probe connection), moves BYTES
# through LOCAL with the peer's client (HASH 1: with sha256), then stops the ssh (SIGTERM). TUNNEL_OUT: the client's
# "SECONDS COUNT SHA256|-", TUNNEL_UP: seconds until LOCAL listened. Returns non-zero when the tunnel or the transfer
# failed (the reason in ERRFILE).
listening() { awk -v p=":$(printf '%04X' "$1")" '$2 ~ p "$" && $4 == "0A" {found = 1} END {exit !found}' /proc/net/tcp; }
run_tunnel() {
  local path=$1 cfg=$2 dir=$3 bytes=$4 hash=$5 err=$6 local_port start rc=0 DEST_ARGS i
  TUNNEL_OUT=""
  TUNNEL_UP=""
  local_port=$(free_port)
  dest_args "$path" -p
  start=$(now_us)
  # LogLevel INFO: the reason of a refused channel open ("open failed: administratively prohibited: ...") is logged
  # at INFO. ExitOnForwardFailure: a LOCAL that cannot be bound ends ssh instead of leaving it idle.
  timeout $((LOGIN_TIMEOUT + TRANSFER_TIMEOUT)) ssh -F "$cfg" -N -o LogLevel=INFO -o ExitOnForwardFailure=yes \
    -L "127.0.0.1:$local_port:127.0.0.1:$PEER_PORT" "${DEST_ARGS[@]}" </dev/null >/dev/null 2>"$err" &
  TUNNEL_PID=$!
  for ((i = 0; i < LOGIN_TIMEOUT * 50; i++)); do
    listening "$local_port" && break
    kill -0 "$TUNNEL_PID" 2>/dev/null || break
    sleep 0.02
  done
  if listening "$local_port" && kill -0 "$TUNNEL_PID" 2>/dev/null; then
    TUNNEL_UP=$(secs_since "$start")
    local verb=put; [ "$dir" = download ] && verb=get
    TUNNEL_OUT=$(timeout "$TRANSFER_TIMEOUT" "$PYTHON" "$PEER_PY" $verb "$local_port" "$bytes" "$hash" "$DATA" 2>>"$err") || rc=$?
  else
    echo "the tunnel's ssh did not listen on 127.0.0.1:$local_port within ${LOGIN_TIMEOUT}s (or exited)" >>"$err"
    rc=1
  fi
  stop_pid "$TUNNEL_PID" 50 || true
  wait "$TUNNEL_PID" 2>/dev/null || true
  TUNNEL_PID=""
  sed -i '/^Warning: Permanently added /d' "$err"   # LogLevel INFO's every time (UserKnownHostsFile /dev/null)
  return $rc
}

# HoopProxy is up when a login through it works. Until it listens, ssh is refused: try again; any other failure is a
# proxy that listens but does not let the client in, and a proxy that neither refuses nor answers is given up on when
# START_TIMEOUT is over (timeout kills the ssh). No bare TCP probe: HoopProxy logs one as a failed session.
if selected hoopproxy; then
  deadline=$((SECONDS + START_TIMEOUT))
  err="$WORK/logs/start-hoopproxy.err"
  while :; do
    if ! kill -0 "$HOOP_PID" 2>/dev/null; then
      rc=0; wait "$HOOP_PID" || rc=$?
      HOOP_PID=""
      hoop_failed "HoopProxy exited with code $rc before letting a login through (configuration: $HOOP_CONF)"
    fi
    left=$((deadline - SECONDS))
    [ $left -gt 0 ] || hoop_failed "HoopProxy did not listen on 127.0.0.1:$HOOP_PORT within ${START_TIMEOUT}s (START_TIMEOUT)"
    rc=0
    run_ssh "$left" hoopproxy "$CFG_DEFAULT" true </dev/null >/dev/null 2>"$err" || rc=$?
    [ $rc = 0 ] && break
    if grep -q 'Connection refused' "$err"; then sleep 0.2; continue; fi
    cat "$err" >&2
    [ $rc = 124 ] && hoop_failed "HoopProxy did not answer a login within ${START_TIMEOUT}s (START_TIMEOUT): it accepts connections but the login hangs"
    hoop_failed "HoopProxy listens on 127.0.0.1:$HOOP_PORT but a login through it failed (ssh -p $HOOP_PORT bench@127.0.0.1 true, exit $rc)"
  done
  log "HoopProxy lets a login through ($((START_TIMEOUT - left))s after its start)"
fi

# First logins: a path that does not let `true` through stops the run here.
declare -A NEGOTIATED
for path in "${TARGETS[@]}"; do
  err="$WORK/logs/login-$path.err"
  if ! run_ssh "$LOGIN_TIMEOUT" "$path" "$CFG_DEFAULT" true </dev/null >/dev/null 2>"$err"; then
    cat "$err" >&2
    [ "$path" = hoopproxy ] && hoop_failed "HoopProxy listens on 127.0.0.1:$HOOP_PORT but a login through it failed (ssh bench@127.0.0.1 -p $HOOP_PORT true)"
    die "cannot log in over $path (ssh ... true); see $WORK/logs/sshd-*.log (KEEP=1 keeps them)"
  fi
  # What the client negotiated by default (its first hop; with -J both hops are listed), for the header.
  SSH_EXTRA=(-v)
  NEGOTIATED[$path]=$(run_ssh "$LOGIN_TIMEOUT" "$path" "$CFG_DEFAULT" true </dev/null 2>&1 >/dev/null |
    sed -n 's/^debug1: kex: algorithm: /kex /p; s/^debug1: kex: host key algorithm: /host key /p; s/^debug1: kex: server->client cipher: \([^ ]*\).*/cipher \1/p' |
    sort -u | paste -sd, - | sed 's/,/, /g') || true
  SSH_EXTRA=()
  log "login over $path: ok (${NEGOTIATED[$path]})"
done
if selected hoopproxy; then
  HOOP_RSS_IDLE=$(status_kb "$HOOP_PID" VmRSS)
  HOOP_HWM_START=$(status_kb "$HOOP_PID" VmHWM)
fi

# Each path, each cipher: CHECK_BYTES up and down with sha256sum on the far end, compared with the file's own hash.
# Proves that the path carries the bytes unchanged with that cipher forced, and warms every path up (HoopProxy's JIT).
CHECK_HASH=$(sha256sum "$CHECK" | cut -d' ' -f1)
check_ciphers() { # command, its -v stderr: stops the run unless every hop negotiated the cipher $c (both with -J)
  local hops others expected_hops=1
  hops=$(grep -c 'kex: server->client cipher: ' "$2" || true)
  others=$(grep -E 'kex: (server->client|client->server) cipher: ' "$2" | grep -vcF "cipher: $c " || true)
  [ "$path" = proxyjump ] && expected_hops=2
  if [ "$hops" != "$expected_hops" ] || [ "$others" != 0 ]; then
    grep -E 'kex: (server->client|client->server) cipher: ' "$2" >&2
    die "over $path with Ciphers $c, $1 -v shows $hops key exchange(s) (expected $expected_hops) and $others direction(s) with another cipher"
  fi
}
check_failed() { # kind, upload sha256, download sha256, error files...: stops the run unless both are CHECK_HASH
  [ "$2" = "$CHECK_HASH" ] && [ "$3" = "$CHECK_HASH" ] && return 0
  cat "${@:4}" >&2
  local what="$CHECK_BYTES bytes through $path by $1 with $c did not arrive intact (upload sha256 '${2:-none}', download '${3:-none}', expected $CHECK_HASH)"
  [ "$path" = hoopproxy ] && hoop_failed "$what"
  die "$what"
}
for path in "${TARGETS[@]}"; do
  for c in "${CIPHER_LIST[@]}"; do
    err="$WORK/logs/check-$path-$(short "$c").err"
    # -v on the upload: its debug lines say which cipher each OpenSSH hop negotiated (both hops with -J).
    SSH_EXTRA=(-v)
    up=$(head -c "$CHECK_BYTES" "$DATA" | run_ssh "$TRANSFER_TIMEOUT" "$path" "${CFG[$c]}" sha256sum 2>"$err" | cut -d' ' -f1) || true
    SSH_EXTRA=()
    [ -n "$up" ] && check_ciphers ssh "$err"
    down=$(run_ssh "$TRANSFER_TIMEOUT" "$path" "${CFG[$c]}" "head -c $CHECK_BYTES '$DATA'" </dev/null 2>>"$err" | sha256sum | cut -d' ' -f1) || true
    if [ "$up" != "$CHECK_HASH" ] || [ "$down" != "$CHECK_HASH" ]; then
      cat "$err" >&2
      [ "$path" = hoopproxy ] && hoop_failed "$CHECK_BYTES bytes through hoopproxy with $c did not arrive intact (upload sha256 '${up:-none}', download '${down:-none}', expected $CHECK_HASH)"
      die "$CHECK_BYTES bytes through $path with $c did not arrive intact (upload sha256 '${up:-none}', download '${down:-none}', expected $CHECK_HASH)"
    fi
    # The same through sftp (one session: put, then get; -v: sftp builds the ssh command line itself, so its ciphers
    # are checked too) and through a tunnel (the peer hashes what it receives; its ssh is the one checked above).
    if kind_selected sftp; then
      printf 'put "%s" "%s"\nget "%s" "%s"\n' "$CHECK" "$PUT_DIR/check" "$CHECK" "$GOT_FILE" >"$WORK/check.sftp"
      SSH_EXTRA=(-v)
      run_sftp "$TRANSFER_TIMEOUT" "$path" "${CFG[$c]}" "$WORK/check.sftp" </dev/null >/dev/null 2>"$err.sftp" || true
      SSH_EXTRA=()
      up=$(sha256sum "$PUT_DIR/check" 2>/dev/null | cut -d' ' -f1) || true
      down=$(sha256sum "$GOT_FILE" 2>/dev/null | cut -d' ' -f1) || true
      rm -f "$PUT_DIR/check" "$GOT_FILE"
      check_failed "sftp" "$up" "$down" "$err.sftp"
      check_ciphers sftp "$err.sftp"
    fi
    if kind_selected tunnel; then
      up=""; down=""
      run_tunnel "$path" "${CFG[$c]}" upload "$CHECK_BYTES" 1 "$err.tunnel-up" && up=$(echo "$TUNNEL_OUT" | cut -d' ' -f3)
      run_tunnel "$path" "${CFG[$c]}" download "$CHECK_BYTES" 1 "$err.tunnel-down" && down=$(echo "$TUNNEL_OUT" | cut -d' ' -f3)
      check_failed "tunnel" "$up" "$down" "$err.tunnel-up" "$err.tunnel-down"
    fi
  done
  log "check over $path: $CHECK_BYTES bytes each way intact with ${CIPHER_LIST[*]}$(for k in "${KIND_LIST[@]}"; do [ "$k" = exec ] || printf ', also by %s' "$k"; done)"
done

# ---------------------------------------------------------------- measurements
# Bastion CPU: the listener's own, plus what it reaped (each connection's monitor and pre-login process), plus what
# the subreaper reaped (the post-login processes that forward). Read once the connection's processes are gone (at
# most 5 s after ssh exits): then the listener has no child and the subreaper no child but the listener.
bastion_settled_ticks() {
  local i listener=${SSHD_LISTENER[bastion]} reaper=${SSHD_PID[bastion]}
  for ((i = 0; i < 50; i++)); do
    [ -z "$(pgrep -P "$listener")" ] && [ "$(pgrep -P "$reaper")" = "$listener" ] && break
    sleep 0.1
  done
  echo $(($(cpu_ticks "$listener") + $(child_ticks "$listener") + $(child_ticks "$reaper")))
}
# What to read before and after a phase run on PATH: HoopProxy's own CPU and peak RSS, or the bastion's.
phase_begin() { # path
  P_CPU0=0 P_B0=0
  case $1 in
    hoopproxy) P_CPU0=$(cpu_ticks "$HOOP_PID"); reset_peak "$HOOP_PID" || true ;;
    proxyjump) P_B0=$(bastion_settled_ticks) ;;
  esac
}
phase_end() { # path, key: appends the phase's CPU seconds to HOOP_CPU / BASTION_CPU, the peak RSS to HOOP_RSS;
  local cpu peak   # PHASE_NOTE: the same for the log line
  PHASE_NOTE=""
  case $1 in
    hoopproxy)
      cpu=$(awk -v t=$(($(cpu_ticks "$HOOP_PID") - P_CPU0)) -v hz="$CLK_TCK" 'BEGIN {printf "%.2f", t / hz}')
      HOOP_CPU[$2]="${HOOP_CPU[$2]:-} $cpu"
      peak=$(status_kb "$HOOP_PID" VmHWM)
      [ "${peak:-0}" -gt "${HOOP_RSS[$2]:-0}" ] && HOOP_RSS[$2]=$peak
      PHASE_NOTE=", HoopProxy CPU ${cpu}s, peak RSS $((peak / 1024)) MB"
      ;;
    proxyjump)
      cpu=$(awk -v t=$(($(bastion_settled_ticks) - P_B0)) -v hz="$CLK_TCK" 'BEGIN {printf "%.2f", t / hz}')
      BASTION_CPU[$2]="${BASTION_CPU[$2]:-} $cpu"
      PHASE_NOTE=", bastion sshd CPU ${cpu}s"
      ;;
  esac
}
rotate() { # prints TARGETS rotated left by $1
  local n=${#TARGETS[@]} i
  for ((i = 0; i < n; i++)); do printf '%s ' "${TARGETS[$(((i + $1) % n))]}"; done
}

declare -A TIMES HOOP_CPU HOOP_RSS BASTION_CPU FAILS
# TIMES["$path/setup"], TIMES["$path/$kind/$cipher/$dir"]: seconds of each round; "x" for a failed one.
# transfer KIND PATH CIPHER DIRECTION ERRFILE: one measured transfer of SIZE bytes; SECS = its seconds (exec, sftp: the
# whole command; tunnel: the transfer alone), XNOTE = more for the log line. Non-zero when it failed (why: ERRFILE).
transfer() {
  local kind=$1 path=$2 cfg=${CFG[$3]} dir=$4 err=$5 start rc=0 out got
  XNOTE=""
  case $kind in
    exec)
      start=$(now_us)
      if [ "$dir" = upload ]; then
        run_ssh "$TRANSFER_TIMEOUT" "$path" "$cfg" 'cat > /dev/null' <"$DATA" >/dev/null 2>"$err" || rc=$?
      else
        run_ssh "$TRANSFER_TIMEOUT" "$path" "$cfg" "cat '$DATA'" </dev/null >/dev/null 2>"$err" || rc=$?
      fi
      SECS=$(secs_since "$start")
      ;;
    sftp)
      if [ "$dir" = upload ]; then out="$PUT_DIR/payload"; printf 'put "%s" "%s"\n' "$DATA" "$out"
      else out=$GOT_FILE; printf 'get "%s" "%s"\n' "$DATA" "$out"; fi >"$WORK/transfer.sftp"
      start=$(now_us)
      run_sftp "$TRANSFER_TIMEOUT" "$path" "$cfg" "$WORK/transfer.sftp" </dev/null >/dev/null 2>"$err" || rc=$?
      SECS=$(secs_since "$start")
      got=$(stat -c %s "$out" 2>/dev/null || echo 0)
      rm -f "$out"
      if [ $rc = 0 ] && [ "$got" != "$SIZE" ]; then
        echo "sftp exited 0 but $out has $got bytes, not $SIZE" >>"$err"
        rc=1
      fi
      ;;
    tunnel)
      SECS=""
      run_tunnel "$path" "$cfg" "$dir" "$SIZE" 0 "$err" || rc=$?
      SECS=${TUNNEL_OUT%% *}
      XNOTE=" (tunnel up in ${TUNNEL_UP:-?}s before, not counted)"
      ;;
  esac
  return $rc
}
for ((round = 0; round < ROUNDS; round++)); do
  # Connection setup: SETUP_COUNT logins one after the other, the client's default algorithms.
  for path in $([ "$SETUP_COUNT" -gt 0 ] && rotate "$round" || true); do
    err="$WORK/logs/setup-$path-$round.err"
    phase_begin "$path"
    start=$(now_us)
    ok=1
    for ((i = 0; i < SETUP_COUNT; i++)); do
      run_ssh "$LOGIN_TIMEOUT" "$path" "$CFG_DEFAULT" true </dev/null >/dev/null 2>>"$err" || { ok=0; break; }
    done
    secs=$(secs_since "$start")
    phase_end "$path" setup
    if [ $ok = 1 ]; then
      TIMES["$path/setup"]="${TIMES["$path/setup"]:-} $secs"
      log "round $((round + 1))/$ROUNDS  setup  $path: $SETUP_COUNT logins in ${secs}s$PHASE_NOTE"
    else
      TIMES["$path/setup"]="${TIMES["$path/setup"]:-} x"
      FAILS["$path/setup/$round"]="login $((i + 1)) failed: $(head -c 300 "$err")"
      log "round $((round + 1))/$ROUNDS  setup  $path: FAILED at login $((i + 1)): $(head -c 300 "$err")"
    fi
  done
  # Then each kind, cipher and direction, the order of the paths rotated one step further for each.
  phase=0
  for kind in "${KIND_LIST[@]}"; do
    for c in "${CIPHER_LIST[@]}"; do
      for dir in "${DIRECTIONS[@]}"; do
        key="$kind/$c/$dir"
        phase=$((phase + 1))
        for path in $(rotate $((round + phase))); do
          err="$WORK/logs/$kind-$dir-$path-$(short "$c")-$round.err"
          phase_begin "$path"
          rc=0
          transfer "$kind" "$path" "$c" "$dir" "$err" || rc=$?
          phase_end "$path" "$key"
          what="round $((round + 1))/$ROUNDS  $kind $(short "$c") $dir  $path"
          if [ $rc = 0 ]; then
            TIMES["$path/$key"]="${TIMES["$path/$key"]:-} $SECS"
            log "$what: ${SECS}s, $(awk -v s="$SIZE" -v t="$SECS" 'BEGIN {printf "%.1f", s / 1e6 / t}') MB/s$XNOTE$PHASE_NOTE"
          else
            TIMES["$path/$key"]="${TIMES["$path/$key"]:-} x"
            why="exit $rc"
            [ $rc = 124 ] && why+=" (killed after TRANSFER_TIMEOUT=${TRANSFER_TIMEOUT}s)"
            FAILS["$path/$kind/$(short "$c")/$dir/$round"]="$why: $(head -c 300 "$err")"
            log "$what: FAILED, $why: $(head -c 300 "$err")"
          fi
        done
      done
    done
  done
done

# ---------------------------------------------------------------- recording verification
VERIFY_RC=""
VERIFY_OUT=""
REC_BYTES=0
if [ "$RECORD" = 1 ]; then
  # SIGTERM is a clean shutdown: every session is sealed and indexed before verify reads the directory.
  stop_pid "$HOOP_PID" 300 || log "HoopProxy did not stop within 30 s of SIGTERM; killed"
  wait "$HOOP_PID" 2>/dev/null || true
  HOOP_PID=""
  REC_BYTES=$(find "$REC_DIR" -type f -printf '%s\n' 2>/dev/null | awk '{s += $1} END {printf "%.0f\n", s}')
  log "hoopproxy sessions verify --config $HOOP_CONF ($((REC_BYTES / 1000000)) MB recorded)"
  VERIFY_RC=0
  VERIFY_OUT=$(dotnet "$HOOP_DLL" sessions verify --config "$HOOP_CONF" 2>&1) || VERIFY_RC=$?
fi

# ---------------------------------------------------------------- summary
set +u   # empty associative arrays count as unset under -u
median() { tr ' ' '\n' | grep -E '^[0-9.]+$' | sort -g | awk '{a[NR]=$1} END {if (NR == 0) print 0; else if (NR % 2) print a[(NR + 1) / 2]; else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else printf "n/a"}'; }
mbps() { awk -v s="$SIZE" -v t="$1" 'BEGIN {if (t + 0 > 0) printf "%.1f", s / 1e6 / t; else print "n/a"}'; }
fmt_s() { awk -v t="$1" 'BEGIN {if (t + 0 > 0) printf "%.3f", t; else print "n/a"}'; }
mb() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
GIB=$(awk -v s="$SIZE" 'BEGIN {print s / 1073741824}')
per_gib() { awk -v c="$1" -v g="$GIB" 'BEGIN {printf "%.2f", c / g}'; }
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
t_of() { echo "${TIMES["$1"]}" | median; }   # median seconds of a key such as direct/setup or hoopproxy/KIND/CIPHER/upload
# The ratios worth printing, "label numerator denominator", kept when both paths ran.
RATIOS=()
for r in "hoop/direct hoopproxy direct" "hoop/proxyjump hoopproxy proxyjump" "proxyjump/direct proxyjump direct"; do
  read -r _ num den <<<"$r"
  selected "$num" && selected "$den" && RATIOS+=("$r")
done
labels=()
for r in "${RATIOS[@]}"; do labels+=("${r%% *}"); done

COMMIT=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -n "$(git -C "$REPO" status --porcelain --untracked-files=no 2>/dev/null)" ] && COMMIT+=" + uncommitted changes"
COMMAND="SIZE=$SIZE_SPEC ROUNDS=$ROUNDS PATHS=\"${TARGETS[*]}\" KINDS=\"${KIND_LIST[*]}\""
[ "$SETUP_COUNT" != 20 ] && COMMAND+=" SETUP_COUNT=$SETUP_COUNT"
[ "$CIPHERS" != "aes128-gcm@openssh.com chacha20-poly1305@openssh.com" ] && COMMAND+=" CIPHERS=\"$CIPHERS\""
[ "$RECORD" = 1 ] && COMMAND+=" RECORD=1"
COMMAND+=" benchmarks/e2e/ssh.sh"

echo
echo "### Results — $STARTED_AT UTC, commit $COMMIT, \`$COMMAND\`, one run"
echo
echo "Machine: $(nproc) cores, $(awk -F': +' '/model name/ {print $2; exit}' /proc/cpuinfo), $(awk '/MemTotal/ {printf "%.0f GB", $2 / 1048576}' /proc/meminfo) RAM, $(. /etc/os-release; echo "$PRETTY_NAME"); load average at start $LOAD_AT_START, at end $(cut -d' ' -f1-3 /proc/loadavg)."
echo "$(ssh -V 2>&1) (client, target and bastion)$(selected hoopproxy && echo ", HoopProxy Release (.NET $(dotnet --version)), recording $([ "$RECORD" = 1 ] && echo on || echo off)")."
echo "Data: $SIZE bytes ($(numfmt --to=iec-i --suffix=B "$SIZE")) from /dev/urandom in $DATA_DIR ($DATA_FS); path order rotated every round and phase. Kinds:"
for kind in "${KIND_LIST[@]}"; do
  case $kind in
    exec)   echo "  exec: upload \`ssh HOST 'cat > /dev/null' < FILE\`, download \`ssh HOST 'cat FILE' > /dev/null\`; the whole command timed, login included." ;;
    sftp)   echo "  sftp: \`sftp -b BATCH HOST\`, upload = \`put FILE $DATA_DIR/...\` (written by the target account), download = \`get FILE $DATA_DIR/...\` (written by the client), sftp's default buffer and requests; the whole command timed, login included." ;;
    tunnel) echo "  tunnel: \`ssh -N -L LOCAL:127.0.0.1:PEER HOST\`, then SIZE bytes pushed into LOCAL to a sink (upload) or pulled from a source (download) on the target's side; the transfer alone timed (connect to last byte), not the tunnel's login. The sink/source over bare loopback, no ssh: put ${PEER_CEILING[upload]}, get ${PEER_CEILING[download]}." ;;
  esac
done
echo "Ciphers forced on every OpenSSH hop (Ciphers in the -F file); HoopProxy's own hop to the target uses its preference (aes128-gcm first) whatever the client chose. Logins: the client's defaults, negotiated on the first hop:"
for path in "${TARGETS[@]}"; do echo "  $path: ${NEGOTIATED[$path]}"; done
echo
echo "#### Throughput: one $(numfmt --to=iec-i --suffix=B "$SIZE") transfer, median of $ROUNDS round(s): seconds and MB/s (10^6 B/s)"
echo
dir_name() { # kind, direction: the direction as the table shows it
  case $1/$2 in sftp/upload) echo "upload (put)" ;; sftp/download) echo "download (get)" ;; *) echo "$2" ;; esac
}
cols=("kind     " "cipher            " "direction     ")
for path in "${TARGETS[@]}"; do cols+=("$path s" "$path MB/s"); done
header "${cols[@]}"
for kind in "${KIND_LIST[@]}"; do
  for c in "${CIPHER_LIST[@]}"; do
    for dir in "${DIRECTIONS[@]}"; do
      cells=("$(printf '%-9s' "$kind")" "$(printf '%-18s' "$(short "$c")")" "$(printf '%-14s' "$(dir_name "$kind" "$dir")")")
      for path in "${TARGETS[@]}"; do t=$(t_of "$path/$kind/$c/$dir"); cells+=("$(fmt_s "$t")" "$(mbps "$t")"); done
      row "${cells[@]}"
    done
  done
done
if [ ${#RATIOS[@]} -gt 0 ]; then
  echo
  echo "Throughput ratios (above 1: the first path moved the bytes faster; = the inverse of the time ratio):"
  echo
  header "kind     " "cipher            " "direction     " "${labels[@]}"
  for kind in "${KIND_LIST[@]}"; do
    for c in "${CIPHER_LIST[@]}"; do
      for dir in "${DIRECTIONS[@]}"; do
        cells=("$(printf '%-9s' "$kind")" "$(printf '%-18s' "$(short "$c")")" "$(printf '%-14s' "$(dir_name "$kind" "$dir")")")
        for r in "${RATIOS[@]}"; do read -r _ num den <<<"$r"; cells+=("$(ratio "$(t_of "$den/$kind/$c/$dir")" "$(t_of "$num/$kind/$c/$dir")")"); done
        row "${cells[@]}"
      done
    done
  done
fi
echo
echo "Every round (s):"
for kind in "${KIND_LIST[@]}"; do
  for c in "${CIPHER_LIST[@]}"; do
    for dir in "${DIRECTIONS[@]}"; do
      for path in "${TARGETS[@]}"; do
        printf '  %-6s %-18s %-9s %-10s %s\n' "$kind" "$(short "$c")" "$dir" "$path" "${TIMES["$path/$kind/$c/$dir"]}"
      done
    done
  done
done
if [ "$SETUP_COUNT" -gt 0 ]; then
echo
echo "#### Connection setup: $SETUP_COUNT x \`ssh HOST true\` one after the other, median of $ROUNDS round(s)"
echo
header "path      " "total s" "per connection ms"
for path in "${TARGETS[@]}"; do
  t=$(t_of "$path/setup")
  row "$(printf '%-10s' "$path")" "$(fmt_s "$t")" "$(awk -v t="$t" -v n="$SETUP_COUNT" 'BEGIN {if (t + 0 > 0) printf "%.1f", t * 1000 / n; else print "n/a"}')"
done
if [ ${#RATIOS[@]} -gt 0 ]; then
  echo
  echo "Setup time ratios (above 1: the first path took longer):"
  echo
  header "${labels[@]}"
  cells=()
  for r in "${RATIOS[@]}"; do read -r _ num den <<<"$r"; cells+=("$(ratio "$(t_of "$num/setup")" "$(t_of "$den/setup")")"); done
  row "${cells[@]}"
fi
echo
echo "Every round (s): $(for path in "${TARGETS[@]}"; do printf '%s%s; ' "$path" "${TIMES["$path/setup"]}"; done | sed 's/; $//')"
fi
if selected hoopproxy || selected proxyjump; then
  echo
  echo "#### CPU of the hop (user + system, median per transfer) and HoopProxy's memory"
  echo
  echo "hoopproxy: the HoopProxy process (/proc/PID/stat); bastion: all the proxyjump bastion's sshd processes of the"
  echo "connection (the listener and what it and a subreaper around it reaped). Both over the whole connection, login"
  echo "included (tunnel too). Peak RSS: VmHWM after resetting it (clear_refs) before each transfer or setup run; the"
  echo "largest over the rounds."
  selected hoopproxy && echo "HoopProxy idle after its first login: $(mb "$HOOP_RSS_IDLE") MB RSS (peak since start then $(mb "$HOOP_HWM_START") MB)."
  echo
  cols=("phase                                ")
  selected hoopproxy && cols+=("hoopproxy CPU s" "hoopproxy CPU s/GiB" "hoopproxy peak RSS MB")
  selected proxyjump && cols+=("bastion CPU s" "bastion CPU s/GiB")
  header "${cols[@]}"
  for kind in "${KIND_LIST[@]}"; do
    for c in "${CIPHER_LIST[@]}"; do
      for dir in "${DIRECTIONS[@]}"; do
        cells=("$(printf '%-37s' "$kind $(short "$c") $(dir_name "$kind" "$dir")")")
        if selected hoopproxy; then
          cpu=$(echo "${HOOP_CPU["$kind/$c/$dir"]}" | median)
          cells+=("$cpu" "$(per_gib "$cpu")" "$(mb "${HOOP_RSS["$kind/$c/$dir"]:-0}")")
        fi
        if selected proxyjump; then
          cpu=$(echo "${BASTION_CPU["$kind/$c/$dir"]}" | median)
          cells+=("$cpu" "$(per_gib "$cpu")")
        fi
        row "${cells[@]}"
      done
    done
  done
  if [ "$SETUP_COUNT" -gt 0 ]; then
  echo
  cols=("phase                                ")
  selected hoopproxy && cols+=("hoopproxy CPU ms per login" "hoopproxy peak RSS MB")
  selected proxyjump && cols+=("bastion CPU ms per login")
  header "${cols[@]}"
  cells=("$(printf '%-37s' "setup ($SETUP_COUNT x ssh true)")")
  per_login() { awk -v c="$1" -v n="$SETUP_COUNT" 'BEGIN {printf "%.1f", c * 1000 / n}'; }
  selected hoopproxy && cells+=("$(per_login "$(echo "${HOOP_CPU[setup]}" | median)")" "$(mb "${HOOP_RSS[setup]:-0}")")
  selected proxyjump && cells+=("$(per_login "$(echo "${BASTION_CPU[setup]}" | median)")")
  row "${cells[@]}"
  fi
fi
if [ "$RECORD" = 1 ]; then
  echo
  echo "#### Recording"
  echo
  echo "  $((REC_BYTES / 1000000)) MB in $REC_DIR ($(df --output=fstype "$REC_BASE" | tail -n1 | tr -d ' ')); hoopproxy sessions verify: exit $VERIFY_RC: $(echo "$VERIFY_OUT" | head -n 1)"
  [ "$VERIFY_RC" = 0 ] || echo "$VERIFY_OUT" | tail -n +2 | head -n 30 | sed 's/^/      /'
fi
echo
echo "#### Goals (measured, not asserted)"
echo
goals() {
  local c dir d h
  selected hoopproxy && selected direct || return 0
  for kind in "${KIND_LIST[@]}"; do
    for c in "${CIPHER_LIST[@]}"; do
      for dir in "${DIRECTIONS[@]}"; do
        d=$(t_of "direct/$kind/$c/$dir"); h=$(t_of "hoopproxy/$kind/$c/$dir")
        echo "  throughput $kind $(short "$c") $(dir_name "$kind" "$dir"): hoopproxy >= 0.8 x direct?  $(awk -v h="$h" -v d="$d" 'BEGIN {print (h > 0 && d > 0 && d / h >= 0.8) ? "met" : "not met"}') (ratio $(ratio "$d" "$h"))"
      done
    done
  done
  [ "$SETUP_COUNT" -gt 0 ] || return 0
  d=$(t_of direct/setup); h=$(t_of hoopproxy/setup)
  echo "  setup ($SETUP_COUNT x ssh true): hoopproxy <= 1.2 x direct?  $(awk -v h="$h" -v d="$d" 'BEGIN {print (h > 0 && d > 0 && h <= 1.2 * d) ? "met" : "not met"}') (ratio $(ratio "$h" "$d"))"
}
GOALS=$(goals)
echo "${GOALS:-  (need the direct and hoopproxy paths)}"
if [ ${#FAILS[@]} -gt 0 ]; then
  echo
  echo "#### Failures"
  echo
  for key in $(printf '%s\n' "${!FAILS[@]}" | sort); do echo "  $key: ${FAILS[$key]}"; done
  if selected hoopproxy; then
    echo "  HoopProxy log (last lines):"
    tail -n 20 "$WORK/logs/hoopproxy.log" | sed 's/^/    /'
  fi
fi
if selected hoopproxy; then
  echo
  # The one expected warning: the host key generated at the first start (it goes to a fresh HostKeyFile every run).
  hoop_warnings=$(grep -E '\b(warn|fail|crit)\b' "$WORK/logs/hoopproxy.log" | grep -cv 'ssh host key .* generated' || true)
  echo "HoopProxy log: $(wc -l <"$WORK/logs/hoopproxy.log") line(s), $hoop_warnings warning/error line(s) besides the host key generation$([ "$KEEP" = 1 ] && echo " ($WORK/logs/hoopproxy.log)")."
fi
status=0
if [ ${#FAILS[@]} -gt 0 ]; then
  log "ERROR: ${#FAILS[@]} measurement(s) failed (see Failures)"
  status=1
fi
if [ "$RECORD" = 1 ] && [ "$VERIFY_RC" != 0 ]; then
  echo
  echo "!!! RECORDING VERIFICATION FAILED (KEEP=1 keeps the directory) !!!"
  log "ERROR: recording verification failed"
  status=1
fi
exit $status
