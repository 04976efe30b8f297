# The commands the README promises. Each one installs what is missing first,
# so they work on a fresh Debian 12 machine.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 60

.PHONY: all deps build test test-asan fuzz bench clean demo

all: build

deps:
	tools/install-deps.sh

build: deps
	cmake --preset release
	cmake --build --preset release -j $(JOBS)

test: build
	ctest --preset release -j $(JOBS)

# tern-cp sends a 64 MB file through tern-netem (40 ms, 2% loss each way).
demo: build
	tools/demo.sh

test-asan: deps
	cmake --preset asan
	cmake --build --preset asan -j $(JOBS)
	ctest --preset asan -j $(JOBS)

# Builds the libFuzzer targets with clang-14 and runs each on its seed
# corpus. The same build has no Asio front end, so it also proves the
# bring-your-own-I/O API builds and works without Asio: poll_loop echoes
# 1 MB through two tern::sans_io endpoints on loopback.
fuzz: deps
	cmake --preset fuzz
	cmake --build --preset fuzz -j $(JOBS)
	build/fuzz/examples/poll_loop/poll_loop 1000000
	tests/fuzz/run.sh build/fuzz $(FUZZ_SECONDS)

# Micro and simulated benchmarks, plots, real-socket comparisons when present:
# results (JSON) in bench/results/latest, plots in docs/bench, a short table.
# BENCH_QUICK=1 for a fast pass; docs/benchmarks.md.
bench: build
	cmake --build --preset release -j $(JOBS) --target benchmarks
	bench/run.sh

clean:
	rm -rf build
