# Sourced by scripts that run tern-cp end to end (tools/demo.sh, the tern-cp
# tests): start `tern-cp serve` and tern-netem in the background, wait until
# each has printed where it listens, and record its pid in the caller's
# `pids` array (the caller's trap kills them). Needs $bin (the build's tools
# folder) and $work (a scratch folder).
#
# Keys stay in the scratch folder, never in the user's ~/.config/tern:
# XDG_CONFIG_HOME=$work/config holds the client's identity (and anything
# else tern-cp keeps by default); the server gets its own identity file,
# $server_identity, and the options in $serve_auth, by default none: then
# $work/authorized_keys, listing this client (authorize_client). Callers may
# set either, e.g. serve_auth=(--accept-any-client).
export XDG_CONFIG_HOME="$work/config"
server_identity=${server_identity:-$work/server/server_identity.pem}
declare -p serve_auth > /dev/null 2>&1 || serve_auth=()

# seeded_bytes N LABEL: N bytes that are the same for the same seed and
# LABEL: the AES-128-CTR keystream under a key derived from both. They do
# not compress (as /dev/urandom's would not), yet a failure can be replayed.
# The seed is TERN_TEST_SEED when set (as for the C++ tests), a fixed
# default otherwise; the first call prints it to stderr.
tern_test_seed=${TERN_TEST_SEED:-1}
seeded_bytes() {
  if [ -z "${tern_seed_printed:-}" ]; then
    echo "seeded test data: TERN_TEST_SEED=$tern_test_seed" >&2
    tern_seed_printed=1
  fi
  command -v openssl > /dev/null || { echo "FAIL: seeded_bytes needs openssl" >&2; return 1; }
  # openssl ends on SIGPIPE when head has its bytes: not a failure, even
  # under pipefail.
  { openssl enc -aes-128-ctr -pbkdf2 -nosalt -pass "pass:$tern_test_seed/$2" < /dev/zero 2>/dev/null || true; } |
    head -c "$1"
}

# authorize_client [FILE]: appends this client's fingerprint (created on
# first use) to FILE (default $work/authorized_keys).
authorize_client() {
  local file=${1:-$work/authorized_keys} client_fp
  client_fp=$("$bin/tern-cp/tern-cp" id) || return 1
  echo "$client_fp test-client" >> "$file"
}

# wait_for_line FILE PATTERN: up to 5 s for PATTERN to appear in FILE.
wait_for_line() {
  for _ in $(seq 100); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
  echo "FAIL: nothing matched '$2' in $1 within 5 s" >&2
  return 1
}

# start_serve DIR [ARGS...]: one-shot server into DIR; sets $port and $fp.
start_serve() {
  local dir=$1; shift
  start_server "$dir" --once "$@"
}

# start_server DIR [ARGS...]: a server into DIR that stays up across
# connections (ARGS: serve's options, global ones included); sets $port,
# $fp and $server_pid. $serve_launcher, if set, is put in front (e.g. a
# setpriv command running the server as another user).
start_server() {
  local dir=$1 auth=("${serve_auth[@]}"); shift
  if [ ${#auth[@]} -eq 0 ]; then
    [ -e "$work/authorized_keys" ] || authorize_client || return 1
    auth=(--authorized-keys "$work/authorized_keys")
  fi
  # The server's own folder: a server run as another user ($serve_launcher)
  # must be able to create its identity there.
  mkdir -p "$(dirname "$server_identity")"
  [ -z "${serve_launcher:-}" ] || chmod 777 "$(dirname "$server_identity")"
  # The background job truncates serve.out only once it runs: a previous
  # server's lines must not be there for wait_for_line to find first.
  rm -f "$work/serve.out"
  ${serve_launcher:-} "$bin/tern-cp/tern-cp" serve --bind 127.0.0.1 --identity "$server_identity" "${auth[@]}" \
    "$@" "$dir" > "$work/serve.out" 2> "$work/serve.err" &
  server_pid=$!
  pids+=($!)
  wait_for_line "$work/serve.out" '^fingerprint' || { cat "$work/serve.err" >&2; return 1; }
  port=$(awk '/^port/{print $2}' "$work/serve.out")
  fp=$(awk '/^fingerprint/{print $2}' "$work/serve.out")
}

# start_relay SERVER_PORT SPEC [ARGS...]: tern-netem with SPEC both ways in
# front of SERVER_PORT, listening on $relay_listen (default any free port);
# sets $relay_port and $relay_pid.
start_relay() {
  local server_port=$1 spec=$2; shift 2
  rm -f "$work/netem.out"
  "$bin/tern-netem/tern-netem" --listen "${relay_listen:-127.0.0.1:0}" --connect "127.0.0.1:$server_port" --up "$spec" --down "$spec" \
    "$@" > "$work/netem.out" 2> "$work/netem.err" &
  relay_pid=$!
  pids+=($relay_pid)
  wait_for_line "$work/netem.out" '^listening' || { cat "$work/netem.err" >&2; return 1; }
  relay_port=$(awk '/^listening/{print $2}' "$work/netem.out" | sed 's/.*://')
}
