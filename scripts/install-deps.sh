#!/usr/bin/env bash
# Installs what the tests, the demo and the benchmarks need, when it is missing (Debian 12, as root or with sudo).
set -euo pipefail

need=()
[ -x /usr/lib/postgresql/15/bin/initdb ] || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v psql >/dev/null || need+=(postgresql-client)
command -v pgbench >/dev/null || need+=(postgresql-contrib)
command -v pgbouncer >/dev/null || need+=(pgbouncer)
/usr/bin/python3 -c 'import psycopg' 2>/dev/null || need+=(python3-psycopg)
ls /usr/lib/x86_64-linux-gnu/libpg_query.so* >/dev/null 2>&1 || ls /usr/lib/*/libpg_query.so* >/dev/null 2>&1 || need+=(libpg-query1504.0)
command -v runuser >/dev/null || need+=(util-linux)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh-keygen >/dev/null || need+=(openssh-client)
# sessions export --format asciicast is checked with asciinema itself.
command -v asciinema >/dev/null || need+=(asciinema)
# The SSH tests drive interactive clients in tmux and use PuTTY's plink as a client.
command -v tmux >/dev/null || need+=(tmux)
command -v plink >/dev/null || need+=(putty-tools)
# ssh -D is tested with curl as the SOCKS client.
command -v curl >/dev/null || need+=(curl)
# sessions export --format pcap is checked with tshark, Wireshark's own reading of the capture.
command -v tshark >/dev/null || need+=(tshark)
# X11 forwarding is tested end to end: the target's sshd runs xauth to hand the session its forwarded display's cookie.
command -v xauth >/dev/null || need+=(xauth)

if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing: ${need[*]}"
  # wireshark-common asks whether non-root users may capture; nothing here captures, so no (and no question asked).
  echo "wireshark-common wireshark-common/install-setuid boolean false" | $sudo debconf-set-selections
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# The Debian packages start a system cluster and a pgbouncer we do not use; the tests start their own (and their own sshd).
if [ "$(id -u)" -eq 0 ]; then
  systemctl stop pgbouncer >/dev/null 2>&1 || service pgbouncer stop >/dev/null 2>&1 || true
fi
