# The two commands of the README: `make demo` and `make test`.
BUILD      ?= build
BUILD_ASAN ?= build-asan
BUILD_WIN  ?= build-win
JOBS       ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo

.PHONY: all deps deps-test build demo test test-asan bench clean windows

all: build

deps:
	@scripts/install-deps.sh build

deps-test:
	@scripts/install-deps.sh build test windows

build: deps
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# Builds, writes an example NTUSER.DAT with Outlook profiles, and runs cpuu on it.
demo: build
	@scripts/demo.sh $(BUILD)

# The suite includes the Windows build under Wine (tests/integration/wine.sh).
test: deps-test build windows
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# Cross-compiled for Windows with mingw-w64: $(BUILD_WIN)/cpuu.exe and
# cpuu-fixture.exe, importing only system DLLs (docs/windows.md).
windows:
	@scripts/install-deps.sh windows
	@cmake -S . -B $(BUILD_WIN) -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64.cmake -DCPUU_BUILD_TESTS=OFF \
		$(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD_WIN) -j $(JOBS)

# The whole suite again under AddressSanitizer and UndefinedBehaviorSanitizer.
test-asan: deps-test
	@cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DCPUU_SANITIZE=ON >/dev/null
	@cmake --build $(BUILD_ASAN) -j $(JOBS)
	@cd $(BUILD_ASAN) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j $(JOBS)

bench: build
	@scripts/bench.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_WIN)
