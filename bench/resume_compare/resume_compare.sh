#!/usr/bin/env bash
# Time to the first response byte on loopback through tern-netem (delay
# 50 ms each way: 100 ms RTT), tern against ngtcp2's example client and
# server (Debian ngtcp2-client / ngtcp2-server, GnuTLS builds): a full
# handshake, and a resumed one with 0-RTT (ngtcp2: --session-file and
# --tp-file; tern: a kept session ticket, connect_options::early_data and a
# stream opened with allow_early), plus tern resumed without 0-RTT. Two
# clocks, median of --runs each:
#   own clock      tern-first-byte: from the connect call (which builds the
#                  first flight) to the first byte of the answer; ngtcp2:
#                  the timestamp of its log's first received STREAM frame of
#                  the request stream, in ms since its log origin, which is
#                  its first packet sent. Neither counts process start-up.
#   process start  since_start.py: from just before the client process is
#                  started to the line it writes at that first byte (tern:
#                  "first byte" on stderr; ngtcp2: that log line), the same
#                  clock for both; it adds program loading, library set-up,
#                  key files and the TLS context.
#   on the wire    wire_timing.py over a loopback capture (tcpdump, when it
#                  is installed and may capture): from the client's first
#                  datagram leaving it to the datagram that brought its
#                  first byte reaching it (the last one before its line on
#                  the wall clock; for ngtcp2, whose log lines come late,
#                  before its own stamp), the same start and end for both;
#                  with where the time goes (datagrams in the first flight,
#                  the relay's forwarding of the first, the server's turn on
#                  the first flight). --no-capture leaves it out.
#
#   bench/resume_compare/resume_compare.sh [--build DIR] [--runs N] [--json FILE] [--no-capture]
#                                        [--keep DIR]
#
# --keep DIR keeps the captures (NAME.pcap), the per-run wire timings
# (NAME.wire, one JSON line per run) and the clients' last logs in DIR.
#
# Prints a markdown table (docs/benchmarks.md, "Resumption: time to first
# byte"). ngtcp2 missing: its rows say so and the exit status stays 0.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=build/release
runs=5
json=""
capture=1
keep=""
while [ $# -gt 0 ]; do
  case $1 in
    --build) build=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --json) json=$2; shift 2 ;;
    --no-capture) capture=0; shift ;;
    --keep) keep=$2; shift 2 ;;
    *) echo "resume_compare: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
netem=$build/tools/tern-netem/tern-netem
tfb=$build/bench/resume_compare/tern-first-byte
since_start=bench/resume_compare/since_start.py
for b in "$netem" "$tfb"; do
  [ -x "$b" ] || { echo "resume_compare: $b not built (make bench builds it)" >&2; exit 2; }
done
spec="delay 50ms"
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "$keep" ]; then mkdir -p "$keep" && cp "$work"/*.pcap "$work"/*.wire "$work"/*.log "$keep"/ 2> /dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# wait_line FILE REGEX: the first line of FILE matching REGEX (5 s at most).
wait_line() {
  for _ in $(seq 100); do
    if line=$(grep -m1 -E "$2" "$1" 2>/dev/null); then echo "$line"; return 0; fi
    sleep 0.05
  done
  return 1
}
# start_relay PORT NAME: starts tern-netem in front of 127.0.0.1:PORT; run
# it in this shell, not in $(...), or cleanup never learns its pid.
start_relay() {
  rm -f "$work/$2.netem.out" # the job truncates it only once it runs
  "$netem" --listen 127.0.0.1:0 --connect "127.0.0.1:$1" --up "$spec" --down "$spec" --seed 1 \
    > "$work/$2.netem.out" 2> "$work/$2.netem.err" &
  pids+=($!)
}
# relay_port NAME: the port the relay started by start_relay listens on.
relay_port() { wait_line "$work/$1.netem.out" '^listening' | sed -E 's/.*:([0-9]+).*/\1/'; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR == 0) print "n/a"; else if (NR % 2) print a[(NR+1)/2]; else printf "%.1f\n", (a[NR/2]+a[NR/2+1])/2}'; }
field() { sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p"; }
if [ "$capture" = 1 ] && ! command -v tcpdump > /dev/null; then
  capture=0
  echo "resume_compare: tcpdump not found, no on-the-wire figures" >&2
fi
# start_capture NAME RELAY_PORT SERVER_PORT: records both legs of that
# relay on loopback into $work/NAME.pcap until stop_capture NAME.
start_capture() {
  [ "$capture" = 1 ] || return 0
  rm -f "$work/$1.tcpdump.err"
  tcpdump -i lo -U -n --immediate-mode --time-stamp-precision=nano -w "$work/$1.pcap" "udp and (port $2 or port $3)" \
    2> "$work/$1.tcpdump.err" &
  pids+=($!)
  eval "capture_pid_$1=$!"
  if ! wait_line "$work/$1.tcpdump.err" '^(tcpdump: )?listening' > /dev/null; then
    echo "resume_compare: tcpdump could not capture: $(cat "$work/$1.tcpdump.err")" >&2
    capture=0
  fi
}
stop_capture() {
  local var="capture_pid_$1"
  [ -n "${!var:-}" ] || return 0
  sleep 0.2 # the last run's closing datagrams
  kill -INT "${!var}" 2> /dev/null || true
  wait "${!var}" 2> /dev/null || true
}

# --- tern ---------------------------------------------------------------------
"$tfb" serve > "$work/tern.out" 2> "$work/tern.err" &
pids+=($!)
tern_port=$(wait_line "$work/tern.out" '^port ' | cut -d' ' -f2)
tern_fp=$(wait_line "$work/tern.out" '^fingerprint ' | cut -d' ' -f2)
start_relay "$tern_port" tern
tern_relay=$(relay_port tern)
start_capture tern "$tern_relay" "$tern_port"
ticket=$work/tern.ticket
# tern_fetch ARRAY [--no-early]: one fetch; appends "own/process-start" ms
# to the named array.
tern_fetch() {
  local -n into=$1; shift
  local from_start out
  from_start=$("$since_start" --pattern '^first byte' --log "$work/tern.log" --wall "$work/tern.wall" -- \
    "$tfb" fetch 127.0.0.1 "$tern_relay" "$tern_fp" "$ticket" "$@")
  out=$(grep '^{' "$work/tern.log" || true)
  echo "$out" >> "$work/tern.json"
  into+=("$(echo "$out" | field first_byte_ms)/$from_start")
}
tern_full=(); tern_early=(); tern_resumed=()
for _ in $(seq "$runs"); do
  rm -f "$ticket"
  tern_fetch tern_full
done
for _ in $(seq "$runs"); do
  tern_fetch tern_early
  grep -q '"early_data_accepted":true' "$work/tern.log" ||
    echo "resume_compare: tern run without accepted 0-RTT: $(cat "$work/tern.log")" >&2
done
for _ in $(seq "$runs"); do tern_fetch tern_resumed --no-early; done
stop_capture tern

# --- ngtcp2 -------------------------------------------------------------------
ng_full=(); ng_early=(); ng_note=""
if command -v gtlsserver > /dev/null && command -v gtlsclient > /dev/null && command -v openssl > /dev/null; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$work/key.pem" \
    -out "$work/cert.pem" -days 2 -subj /CN=localhost > /dev/null 2>&1
  mkdir -p "$work/htdocs"
  head -c 100 /dev/zero | tr '\0' x > "$work/htdocs/small"
  ng_port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  gtlsserver --quiet --htdocs="$work/htdocs" 127.0.0.1 "$ng_port" "$work/key.pem" "$work/cert.pem" \
    > "$work/ngtcp2.server.out" 2>&1 &
  pids+=($!)
  sleep 0.5
  start_relay "$ng_port" ngtcp2
  ng_relay=$(relay_port ngtcp2)
  start_capture ngtcp2 "$ng_relay" "$ng_port"
  # The first received STREAM frame of stream 0 (the request's): its log
  # timestamp (ms since the log origin, the first packet sent), and when
  # that line came counted from process start.
  first_answer='frm rx [0-9]+ [0-9A-Za-z]+ STREAM\(0x0[8-f]\) id=0x0 '
  ng_fetch() {
    local -n into=$1
    local from_start own
    from_start=$("$since_start" --pattern "$first_answer" --log "$work/ng.log" --wall "$work/ngtcp2.wall" -- \
      gtlsclient --exit-on-all-streams-close --session-file="$work/ng.session" --tp-file="$work/ng.tp" \
      127.0.0.1 "$ng_relay" "https://127.0.0.1:$ng_relay/small")
    own=$(grep -m1 -E "$first_answer" "$work/ng.log" | sed -E 's/^I0*([0-9]+) .*/\1/' || true)
    # Its log reaches the pipe late (it is verbose): its own stamp finds
    # the answer's datagram in the capture (wire_timing.py).
    [ ! -f "$work/ngtcp2.wall" ] || sed -i "\$ s/\$/ ${own:-n\/a}/" "$work/ngtcp2.wall"
    into+=("$own/$from_start")
  }
  for _ in $(seq "$runs"); do
    rm -f "$work/ng.session" "$work/ng.tp"
    ng_fetch ng_full
  done
  for _ in $(seq "$runs"); do ng_fetch ng_early; done
  stop_capture ngtcp2
else
  ng_note="gtlsserver/gtlsclient not found (tools/install-deps.sh: ngtcp2-server, ngtcp2-client)"
fi

# row CLOCK RUNS...: the median of one clock (1: own, 2: process start)
# over runs written "own/process-start".
row() { local c=$1; shift; printf '%s\n' "$@" | cut -d/ -f"$c" | grep -E '^[0-9.]+$' | median; }
cell() { echo "$(row 1 "$@") / $(row 2 "$@")"; }
echo "time to first response byte, ms (median of $runs): own clock / from process start;"
echo "loopback through tern-netem '$spec' both ways"
echo
echo "| client | full handshake | resumed, 0-RTT | resumed, no 0-RTT |"
echo "|---|---|---|---|"
echo "| tern (tern-first-byte) | $(cell "${tern_full[@]}") | $(cell "${tern_early[@]}") | $(cell "${tern_resumed[@]}") |"
if [ -n "$ng_note" ]; then
  echo "| ngtcp2 (gtlsclient) | $ng_note | | |"
else
  echo "| ngtcp2 (gtlsclient, --session-file --tp-file) | $(cell "${ng_full[@]}") | $(cell "${ng_early[@]}") | |"
fi
echo
echo "tern runs (own/process start): full ${tern_full[*]}; 0-RTT ${tern_early[*]}; resumed ${tern_resumed[*]}"
[ -n "$ng_note" ] || echo "ngtcp2 runs (own/process start): full ${ng_full[*]}; 0-RTT ${ng_early[*]}"
# --- on the wire --------------------------------------------------------------
wire_tern=""; wire_ng=""
if [ "$capture" = 1 ]; then
  wire() { # NAME RELAY SERVER KINDS: the medians' JSON, per-run lines in NAME.wire
    bench/resume_compare/wire_timing.py --pcap "$work/$1.pcap" --relay-port "$2" --server-port "$3" \
      --runs "$work/$1.wall" --kinds "$4" --per "$runs" > "$work/$1.wire" && tail -n1 "$work/$1.wire"
  }
  wire_tern=$(wire tern "$tern_relay" "$tern_port" full,zero_rtt,resumed)
  [ -n "$ng_note" ] || wire_ng=$(wire ngtcp2 "$ng_relay" "$ng_port" full,zero_rtt)
  # pick JSON KIND FIGURE: one median from wire_timing.py's last line.
  pick() { python3 -c 'import json,sys; v=json.loads(sys.argv[1]).get(sys.argv[2],{}).get(sys.argv[3]); print("n/a" if v is None else v)' "$@"; }
  wire_row() { # LABEL JSON KINDS...
    local label=$1 j=$2 line; shift 2
    line="| $label"
    for k in "$@"; do
      line+=" | $(pick "$j" "$k" answer_on_wire) ($(pick "$j" "$k" first_flight_datagrams) dgram, relay up $(pick "$j" "$k" relay_up), server $(pick "$j" "$k" server_turn), start $(pick "$j" "$k" start_to_wire))"
    done
    echo "$line |"
  }
  echo
  echo "on the wire (tcpdump on lo): from the client's first datagram leaving it to the datagram that brought"
  echo "its first byte reaching it, ms (median of $runs); in brackets: datagrams in the first flight, the relay's"
  echo "forwarding of the first one (delay 50 ms + its latency), the server's turn on the first flight, and"
  echo "process start to the first datagram"
  echo
  echo "| client | full handshake | resumed, 0-RTT | resumed, no 0-RTT |"
  echo "|---|---|---|---|"
  wire_row "tern" "$wire_tern" full zero_rtt resumed
  [ -n "$ng_note" ] || wire_row "ngtcp2" "$wire_ng" full zero_rtt
fi
if [ -n "$json" ]; then
  # NAME_ms: own clock; NAME_from_start_ms: from process start.
  num() { [ "$1" = n/a ] && echo null || echo "$1"; }
  pair() { printf '"%s_ms":%s,"%s_from_start_ms":%s' "$1" "$(num "$(row 1 "${@:2}")")" "$1" "$(num "$(row 2 "${@:2}")")"; }
  ngtcp2_json='{"skipped":"'"$ng_note"'"}'
  [ -n "$ng_note" ] || ngtcp2_json="{$(pair full "${ng_full[@]}"),$(pair zero_rtt "${ng_early[@]}")}"
  printf '{"spec":"%s","runs":%s,"tern":{%s,%s,%s},"ngtcp2":%s,"wire":{"tern":%s,"ngtcp2":%s}}\n' "$spec" "$runs" \
    "$(pair full "${tern_full[@]}")" "$(pair zero_rtt "${tern_early[@]}")" "$(pair resumed "${tern_resumed[@]}")" \
    "$ngtcp2_json" "${wire_tern:-null}" "${wire_ng:-null}" > "$json"
fi
