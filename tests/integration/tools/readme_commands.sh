#!/bin/sh
# readme_commands.sh BUILD_DIR README.md [DOC.md...]
#
# Runs the shell commands of README's code blocks as written, against the
# tools of BUILD_DIR, and fails on any that exits non-zero: a newcomer's
# first hour must work as written. Of the other documents (docs/*.md, whose
# indented blocks also hold diagrams, C++ and synopses) it runs the commands
# that call a program of the default build by its path (build/release/tools/,
# build/release/tests/), and says which build/ commands it does not run and
# why (benchmarks and fuzz targets are built by make bench and make fuzz).
# Prints "FAIL: ..." and exits 1 on a failure, exits 77 (skipped) where it
# cannot make its private machine.
#
# What a newcomer's machine has and CI has not is made in private
# namespaces (unshare: user, mount, network), so nothing leaks to the host
# and no port is shared with the tests running beside this one:
#   - a loopback of its own (fixed ports such as 4433 or 3478 are free);
#   - /etc/hosts naming server.example (127.0.0.1) and stun.example.net
#     (127.0.0.2, where a tern-stun serve stands in for a public STUN
#     server while the command that queries it runs);
#   - empty /tmp, /usr/local and HOME;
#   - a working directory holding build/release (BUILD_DIR) and the
#     photos/ and notes.txt a user would send.
# Example output in a comment under a command ("# 8C:02:...:5E") marks a
# placeholder: later commands get the fingerprint the command printed. A
# command whose own comment says "# exits N" must exit N instead of 0.
#
# Every README command is classified in classify() below: run (must exit
# 0), serve (a server: started in the background, must still be running when
# its code block ends, then stopped), or skipped with the reason. A command
# README gains that classify() does not know fails the test, so no README
# command goes unchecked by accident.
set -u

fail() {
  echo "FAIL: $*"
  exit 1
}

# What to do with one command: prints "run", "serve", "run-with-stun-server"
# or "skip: why".
classify() {
  case $1 in
    "make demo"* | "make bench"*)
      echo "skip: make demo and make bench rebuild the release preset and take minutes (tools/demo.sh, bench/run.sh)" ;;
    "make test"* | "tools/install-deps.sh"* | "cmake --preset release"* | "cmake --build --preset release"* | \
      "ctest --preset release"*)
      echo "skip: what CI's own make test runs (.ci/run)" ;;
    "find_package("* | "target_link_libraries("*)
      echo "skip: CMake, not shell; tests/install builds a consumer with it" ;;
    "cmake --install "*) echo run ;;
    *"tern-sim "*) echo run ;;
    *"tern-netem "* | *"tern-stun serve "* | *"tern-cp serve "*) echo serve ;;
    *"tern-stun query stun.example.net"*) echo run-with-stun-server ;;
    *"tern-cp id"* | *"tern-cp send "* | "echo "* | "mkdir "*) echo run ;;
    *) echo "unknown" ;;
  esac
}

# The same for a line of another document: "ignore" for what is not a
# command of the build (prose, diagrams, code, commands a reader adapts).
classify_in_docs() {
  case $1 in
    *"["*) case $1 in build/* | ./build/*) echo "skip: a synopsis: [options] are placeholders" ;; *) echo ignore ;; esac ;;
    build/release/bench/* | ./build/release/bench/*)
      echo "skip: benchmarks are outside the default build (make bench builds and runs them)" ;;
    build/fuzz/* | ./build/fuzz/*) echo "skip: the fuzz build's targets (make fuzz runs them)" ;;
    build/release/tools/* | ./build/release/tools/* | build/release/tests/* | ./build/release/tests/*)
      case $(classify "$1") in serve) echo serve ;; *) echo run ;; esac ;;
    *) echo ignore ;;
  esac
}

# README's code blocks (indented four spaces), one command per line with
# backslash continuations joined, comments kept, "--" between blocks.
commands_of() {
  awk '
    /^    / {
      line = substr($0, 5)
      if (joining) command = command " " line; else command = line
      in_block = 1
      if (command ~ /\\$/) { sub(/\\$/, "", command); joining = 1; next }
      joining = 0
      print command
      next
    }
    /^[ \t]*$/ { next }
    { if (in_block) print "--"; in_block = 0 }
    END { if (in_block) print "--" }
  ' "$1"
}

if [ "${TERN_README_INSIDE:-}" != 1 ]; then
  [ $# -ge 2 ] || { echo "usage: readme_commands.sh BUILD_DIR README.md [DOC.md...]"; exit 2; }
  build=$(cd "$1" && pwd) || fail "no build directory $1"
  shift
  documents=""
  for doc in "$@"; do
    [ -f "$doc" ] || fail "no $doc"
    documents="$documents $(cd "$(dirname "$doc")" && pwd)/$(basename "$doc")"
  done
  if ! unshare --user --map-root-user --mount --net true 2>/dev/null; then
    echo "SKIPPED: cannot create user, mount and network namespaces here (unshare)"
    exit 77
  fi
  # shellcheck disable=SC2086 # the paths hold no blanks: cd/pwd made them
  TERN_README_INSIDE=1 exec unshare --user --map-root-user --mount --net "$0" "$build" $documents
fi

# From here on, inside the namespaces.
build=$1
shift
ip link set lo up || fail "cannot bring up the private loopback"
# /tmp is replaced below. A build or checkout under it (a CI clone may be)
# is mounted back at its own path afterwards, so every absolute path in the
# build (cmake_install.cmake's among them) still holds.
mount --bind /tmp /mnt || fail "cannot keep /tmp reachable through /mnt"
for dir in /tmp /usr/local; do
  mount -t tmpfs tmpfs "$dir" || fail "cannot mount a private $dir"
done
checkout=$(dirname "$1")
for kept in "$checkout" "$build"; do
  case $kept in
    /tmp/*) mkdir -p "$kept" && mount --bind "/mnt${kept#/tmp}" "$kept" || fail "cannot mount $kept back" ;;
  esac
done
scratch=/tmp/readme
mkdir -p "$scratch/home" "$scratch/work/build" "$scratch/work/photos"
printf '127.0.0.1 localhost server.example\n127.0.0.2 stun.example.net\n::1 localhost\n' >"$scratch/hosts"
mount --bind "$scratch/hosts" /etc/hosts || fail "cannot mount a private /etc/hosts"
ln -s "$build" "$scratch/work/build/release"
printf 'what a user sends\n' >"$scratch/work/notes.txt"
head -c 100000 /dev/zero | tr '\0' 'p' >"$scratch/work/photos/a.jpg"
export HOME="$scratch/home"
cd "$scratch/work" || fail "no working directory"

servers="" # pids of the running code block's servers
: >"$scratch/placeholders" # "PLACEHOLDER VALUE" lines
last_output=""
count=0
ran=0

show() {
  echo "--- $1"
  cat "$2"
}

# The first full fingerprint (32 hex pairs) in file $1, waiting for a
# server to print it.
fingerprint_in() {
  tries=0
  while [ $tries -lt 300 ]; do
    value=$(grep -o -E '([0-9A-F]{2}:){31}[0-9A-F]{2}' "$1" | head -n 1)
    [ -n "$value" ] && { echo "$value"; return 0; }
    tries=$((tries + 1))
    sleep 0.1
  done
  return 1
}

substitute_placeholders() {
  text=$1
  while read -r placeholder value; do
    pattern=$(printf '%s' "$placeholder" | sed 's/\./\\./g')
    text=$(printf '%s' "$text" | sed "s/$pattern/$value/g")
  done <"$scratch/placeholders"
  printf '%s' "$text"
}

end_block() {
  for pid in $servers; do
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid"
      status=$?
      show "server log" "$scratch/server.$pid"
      fail "a server of this code block exited (status $status) before the block's end"
    fi
    kill "$pid"
    wait "$pid" 2>/dev/null
  done
  servers=""
}

for document in "$@"; do
  echo "=== $document"
  commands_of "$document" >"$scratch/commands"
  while IFS= read -r line; do
    case $line in
      --) end_block; last_output=""; continue ;;
      "#"*)
        # Example output of the previous command: a placeholder to fill.
        placeholder=$(printf '%s' "$line" | grep -o -E '[0-9A-F]{2}:[0-9A-F]{2}:\.\.\.:[0-9A-F]{2}' | head -n 1)
        if [ -n "$placeholder" ] && [ -n "$last_output" ]; then
          value=$(fingerprint_in "$last_output") || fail "no fingerprint in the output of: $last_command"
          echo "$placeholder $value" >>"$scratch/placeholders"
        fi
        continue ;;
    esac
    if [ "$document" = "$1" ]; then kind=$(classify "$line"); else kind=$(classify_in_docs "$line"); fi
    [ "$kind" = ignore ] && continue
    count=$((count + 1))
    command=$(substitute_placeholders "$line")
    case $kind in
      skip:*)
        echo "not run: $line (${kind#skip: })"
        continue ;;
      unknown)
        fail "README has a command this script does not classify (add it to classify()): $line" ;;
    esac
    echo "$kind: $command"
    out="$scratch/out.$count"
    case $kind in
      serve)
        sh -c "exec $command" >"$out" 2>&1 </dev/null &
        pid=$!
        servers="$servers $pid"
        # A server that cannot start (a bad option, a taken port) exits at
        # once; one that runs has printed its first line by now.
        tries=0
        while [ ! -s "$out" ] && kill -0 "$pid" 2>/dev/null && [ $tries -lt 100 ]; do
          tries=$((tries + 1))
          sleep 0.1
        done
        if ! kill -0 "$pid" 2>/dev/null; then
          wait "$pid"
          status=$?
          show output "$out"
          fail "exited with status $status instead of serving: $command"
        fi
        ln -f "$out" "$scratch/server.$pid" ;;
      run | run-with-stun-server)
        stand_in=""
        if [ "$kind" = run-with-stun-server ]; then
          "$build/tools/tern-stun/tern-stun" serve --listen 127.0.0.2:3478 >"$scratch/stand-in.log" 2>&1 &
          stand_in=$!
        fi
        expected=$(printf '%s' "$line" | sed -n 's/.*# exits \([0-9][0-9]*\).*/\1/p')
        sh -c "$command" >"$out" 2>&1 </dev/null
        status=$?
        [ -n "$stand_in" ] && { kill "$stand_in"; wait "$stand_in" 2>/dev/null; }
        if [ $status -ne "${expected:-0}" ]; then
          show output "$out"
          [ -n "$stand_in" ] && show "stand-in STUN server" "$scratch/stand-in.log"
          fail "exit status $status: $command"
        fi ;;
    esac
    ran=$((ran + 1))
    last_output=$out
    last_command=$command
  done <"$scratch/commands"
  end_block
done
[ $ran -gt 0 ] || fail "no command ran"
echo "ok: $ran of $count commands ran as written"
