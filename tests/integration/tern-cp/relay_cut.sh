# Sourced by the relay-restart tests after scratch.sh: an 8 MB file, a
# spec slow enough (about 3.5 s for the file) to cut the transfer in the
# middle, and kill_relay_mid_transfer.
size=8000000
spec="delay 10ms rate 20mbit"
mkdir -p "$work/src" "$work/dst"
seeded_bytes "$size" big.bin > "$work/src/big.bin"
# The receiver's partials live in DIR/.tern-partial/ under hashed names;
# this test sends one file, so the partial is whatever file is there.
partial_dir="$work/dst/.tern-partial"
partial_path() { find "$partial_dir" -type f 2>/dev/null | head -1; }
partial_size() { local p; p=$(partial_path); [ -n "$p" ] && stat -c %s "$p" || echo 0; }
no_partial_left() { [ -z "$(ls -A "$partial_dir" 2>/dev/null)" ]; }

# kill_relay_mid_transfer LOG: once the receiver holds 1 MB, kills the relay
# ($relay_pid); fails (showing LOG, the sender's stderr) if it never does.
kill_relay_mid_transfer() {
  for _ in $(seq 300); do [ "$(partial_size)" -ge 1000000 ] && break; sleep 0.05; done
  [ "$(partial_size)" -ge 1000000 ] || { echo "FAIL: the transfer never got going"; cat "$1"; exit 1; }
  kill -KILL "$relay_pid"; wait "$relay_pid" 2>/dev/null || true
}
