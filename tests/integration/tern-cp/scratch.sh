# Sourced by the tern-cp test drivers (after setting $bin): a scratch
# folder $work, removed at exit after every process recorded in `pids` was
# killed; launch.sh's helpers; a known-hosts file inside the scratch folder.
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT INT TERM
. "$(dirname "${BASH_SOURCE[0]}")/../../../tools/tern-cp/launch.sh"
export TERN_KNOWN_HOSTS="$work/known_hosts"
