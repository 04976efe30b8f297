#!/bin/sh
# expect_exit.sh usage PREFIX COMMAND [ARG...]
#   COMMAND must exit 2 with exactly one line on stderr, starting "PREFIX: ",
#   (the tools' usage-error rule, docs/building.md; stdout is not checked:
#   tern-sim still prints its JSON result, with the error in it).
# expect_exit.sh help COMMAND [ARG...]
#   COMMAND must exit 0 with its help on stdout and nothing on stderr.
# expect_exit.sh help-lists TEXT COMMAND [ARG...]
#   the same, and the help must contain TEXT.
# Prints "FAIL: ..." and exits 1 otherwise.
set -u
kind=$1
shift
if [ "$kind" = usage ] || [ "$kind" = help-lists ]; then
  prefix=$1
  shift
fi
command="$*"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
"$@" >"$scratch/out" 2>"$scratch/err" </dev/null
rc=$?
lines=$(wc -l <"$scratch/err")
fail() {
  echo "FAIL: $*"
  echo "command: $command"
  echo "--- stdout"; cat "$scratch/out"
  echo "--- stderr"; cat "$scratch/err"
  exit 1
}
case $kind in
  usage)
    [ "$rc" -eq 2 ] || fail "exit status $rc, expected 2"
    [ "$lines" -eq 1 ] || fail "$lines lines on stderr, expected 1"
    case $(cat "$scratch/err") in
      "$prefix: "*) ;;
      *) fail "stderr does not start with \"$prefix: \"" ;;
    esac
    ;;
  help | help-lists)
    [ "$rc" -eq 0 ] || fail "exit status $rc, expected 0"
    [ -s "$scratch/out" ] || fail "no help on stdout"
    [ ! -s "$scratch/err" ] || fail "output on stderr"
    if [ "$kind" = help-lists ]; then
      grep -q -e "$prefix" "$scratch/out" || fail "the help does not mention $prefix"
    fi
    ;;
  *)
    echo "FAIL: unknown check $kind"
    exit 1
    ;;
esac
echo "ok: $(cat "$scratch/err")"
