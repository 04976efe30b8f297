#!/bin/bash
# Measures tern-netem's scheduling lateness under paced load on loopback.
#   tools/tern-netem/measure-lateness.sh [RATE] [DURATION] [SPEC] [extra tern-netem options...]
# e.g. tools/tern-netem/measure-lateness.sh 100000 5s "delay 20ms limit 100000"
# The load generators run at nice 10 so they do not compete with the relay.
set -euo pipefail
BIN=${TERN_NETEM_BIN:-$(dirname "$0")/../../build/release/tools/tern-netem}
RATE=${1:-100000}; DURATION=${2:-5s}; SPEC=${3:-"delay 20ms limit 100000"}; shift $(( $# < 3 ? $# : 3 ))
ERR=$(mktemp)
exec 3< <(nice -n 10 "$BIN/tern-netem-load" sink --listen 127.0.0.1:0 --idle 1s)
read -r _ SINK <&3
"$BIN/tern-netem" --listen 127.0.0.1:0 --connect "$SINK" --up "$SPEC" --stats-json "$@" >"$ERR.out" 2>"$ERR" &
RELAY_PID=$!
until [ -s "$ERR.out" ]; do sleep 0.05; done
read -r _ RELAY <"$ERR.out"
nice -n 10 "$BIN/tern-netem-load" send --to "$RELAY" --rate "$RATE" --duration "$DURATION" --size 200
sleep 0.5
kill -TERM "$RELAY_PID"
wait "$RELAY_PID"
cat <&3
cat "$ERR"
rm -f "$ERR" "$ERR.out"
