# cocoon — top-level entry points. `make demo` and `make test` work on a fresh Debian 12 machine:
# they install what is missing (scripts/install-deps), configure, build and run.

JOBS        ?= $(shell nproc)
TEST_DIR    ?= build/asan
RELEASE_DIR ?= build/release
FUZZ_DIR    ?= build/fuzz
CMAKE       ?= cmake
CTEST_ARGS  ?=
DEMO_ARGS   ?=
# The demo runs a private containerd, which needs root: sudo when make itself is not root.
SUDO        ?= $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: all deps build release test demo bench fuzz format clean

all: release

deps:
	./scripts/install-deps

# Tests run on the AddressSanitizer + UndefinedBehaviorSanitizer build.
$(TEST_DIR)/build.ninja:
	$(CMAKE) -S . -B $(TEST_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Asan -DCOCOON_BENCH=OFF

$(RELEASE_DIR)/build.ninja:
	$(CMAKE) -S . -B $(RELEASE_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release

build: deps $(TEST_DIR)/build.ninja
	ninja -C $(TEST_DIR) -j$(JOBS)

release: deps $(RELEASE_DIR)/build.ninja
	ninja -C $(RELEASE_DIR) -j$(JOBS)

test: build
	cd $(TEST_DIR) && ctest --output-on-failure -j$(JOBS) $(CTEST_ARGS)

# `cocoon demo` from the release build (it runs scripts/demo; see src/cli/demo_cmd.h). Under
# 60 s on a built tree; DEMO_ARGS=--keep keeps its work directory.
demo: release
	$(SUDO) $(RELEASE_DIR)/apps/cocoon demo $(DEMO_ARGS)

bench: release
	./tests/bench/run $(RELEASE_DIR)

# Real libFuzzer binaries (clang); `make test` only replays their seed corpora.
fuzz: deps
	CC=clang CXX=clang++ $(CMAKE) -S . -B $(FUZZ_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Asan \
	  -DCOCOON_FUZZ=ON -DCOCOON_BENCH=OFF -DCOCOON_TESTS=ON
	ninja -C $(FUZZ_DIR) -j$(JOBS)

format:
	git ls-files '*.h' '*.cc' | xargs clang-format -i

clean:
	rm -rf build
