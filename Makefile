# rarenet — build, test and run.
#
#   make run    install what is missing, build (release) and start the sensor
#   make test   install what is missing, build once (debug) and run every test
#
# Both must work as root on a fresh Debian machine: every install step is here.

SWIFT      ?= swift
CLANG      ?= clang
PREFIX     ?= /usr/local
BPF_OUT    := .build/bpf
BPF_SRCS   := $(wildcard bpf/*.bpf.c)
BPF_OBJS   := $(patsubst bpf/%.bpf.c,$(BPF_OUT)/%.bpf.o,$(BPF_SRCS))
BPF_HDRS   := $(wildcard bpf/*.h)
BPF_CFLAGS := -target bpf -O2 -g -Wall -Werror -D__TARGET_ARCH_x86 -Ibpf
RUN_ARGS   ?=
# The CI gate of `make bench-short`: the least median ratio of rarenet's ring
# drain to libbpf's (BENCHMARKS.md: ~1.15x measured; 0.7 leaves room for a noisy
# machine yet fails a real regression, such as the 0.2x of the first version).
# A ratio, never an absolute time.
BENCH_FLOOR     ?= 0.7
# The scorer's gate: the least median ratio of the sketch scorer's events per
# CPU-second to the exact Dictionary scorer's (4.3-7.7x measured; 3 leaves
# room for a noisy machine and fails a return to the 2.5-3.8x of the previous
# batch path, or a scorer that lost its score cache, which sends every event
# down the miss path).
SCORER_FLOOR    ?= 4
# The detection gate (BENCHMARKS.md, "Detection quality"): every gated planted
# attack must raise an alert, and false alerts per host-day must stay at or
# under these ceilings, about 10 % above the figures measured with seed 1 and
# the identity keys of issue 15 (2.69, 94.62, 2.62; 7.92, 485.77, 2.54 with
# bare executable paths before them). The streams and the scorer are
# deterministic, so the figures change only with the code: lower the ceilings
# when a change lowers the figures.
DETECTION_CEILINGS ?= web-server=2.1 ci-runner=0.3 kubernetes-node=1.4
# libFuzzer seconds per target: `make fuzz`, and the short run inside `make test`.
FUZZ_SECONDS    ?= 600
FUZZ_CI_SECONDS ?= 30

# Debian packages the build needs, those only the tests need, and those the
# VM tests need (qemu, the guests' busybox, debootstrap and mkfs.ext4 for the
# systemd guest's root, depmod/modprobe and xz for its kernel modules, gcc and
# the static libc for the workload, python3 for the results).
BUILD_PKGS := libbpf-dev libelf-dev zlib1g-dev pkg-config linux-libc-dev
TEST_PKGS  := iproute2 prometheus
VM_PKGS    := qemu-system-x86 busybox-static debootstrap e2fsprogs kmod xz-utils gcc libc6-dev binutils python3
DEPS_STAMP := .build/.deps-build
TEST_STAMP := .build/.deps-test
VM_STAMP   := .build/.deps-vm
# make vmtest: the kernels it boots (Debian metapackages: each stands for the
# newest kernel image it depends on) and the cache it keeps outside the
# repository (kernel packages, the debootstrap root).
VMTEST_KERNELS ?= linux-image-amd64 linux-image-6.12-amd64
VMTEST_CACHE   ?= /var/cache/rarenet-vmtest
VMTEST = VMTEST_KERNELS="$(VMTEST_KERNELS)" VMTEST_CACHE="$(VMTEST_CACHE)" vmtest/run.sh --rarenet .build/debug/rarenet

.PHONY: all deps test-deps bpf build run test vmtest fuzz soak bench bench-short install install-files clean

all: build

# Installs the missing packages once; `apt-get update` only if something is
# missing. $(2): more apt-get install options.
define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if ! command -v $(CLANG) >/dev/null 2>&1; then missing="$$missing clang"; fi; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2) $$missing >/dev/null; \
	fi
endef

$(DEPS_STAMP):
	$(call apt_install,$(BUILD_PKGS))
	@mkdir -p $(@D) && touch $@

$(TEST_STAMP): $(DEPS_STAMP)
	$(call apt_install,$(TEST_PKGS))
	@mkdir -p $(@D) && touch $@

# Without recommends: qemu's would add firmware and tools the guests do not use.
$(VM_STAMP): $(DEPS_STAMP)
	$(call apt_install,$(VM_PKGS),--no-install-recommends)
	@mkdir -p $(@D) && touch $@

deps: $(DEPS_STAMP)
test-deps: $(TEST_STAMP) $(VM_STAMP)

$(BPF_OUT)/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# The object is embedded with .incbin; touch the assembler file so that
# SwiftPM assembles it again whenever the object changes.
Sources/CRarenetBPF/embedded_object.S: $(BPF_OUT)/rarenet.bpf.o
	@touch $@

bpf: $(BPF_OBJS) Sources/CRarenetBPF/embedded_object.S

# The sensor as one file: the BPF object embedded, the Swift runtime linked
# statically; it needs only libbpf1, libelf1 and zlib on the target host.
build: deps bpf
	$(SWIFT) build -c release --static-swift-stdlib --product rarenet

run: build
	./.build/release/rarenet run $(RUN_ARGS)

# One debug build of everything (tests included), then the tests without
# rebuilding: first all but the live sensor's, then the live sensor's alone
# (they watch the whole machine and time alerts, so they do not share the two
# cores with the CPU-heavy suites); then the VM tests with that build's
# binary; then every fuzz target for a short, bounded time and the ring-drain
# ratio check.
test: deps test-deps bpf
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --skip RarenetSensorTests
	$(SWIFT) test --skip-build --filter RarenetSensorTests
	$(VMTEST)
	Fuzz/run.sh $(FUZZ_CI_SECONDS)
	$(MAKE) bench-short

# The sensor on Debian's own kernels in qemu guests, kprobe mode and the
# shipped systemd unit included (vmtest/README.md): the same debug build as
# `make test`, which runs this too.
vmtest: deps $(VM_STAMP) bpf
	$(SWIFT) build --build-tests
	$(VMTEST)

# The slow tests (SOAK.md): a 10^6-key flood through replay, memory flat.
soak: deps test-deps bpf
	$(SWIFT) build --build-tests
	RARENET_SOAK=1 $(SWIFT) test --skip-build --filter Soak

# Every libFuzzer target for $(FUZZ_SECONDS) s each, one at a time (Fuzz/run.sh).
fuzz: deps bpf
	Fuzz/run.sh $(FUZZ_SECONDS)

# Builds one product of the benchmark package in release. The manifest is
# re-read every time: a cached build plan can miss a target the sensor's
# package gained since the last benchmark build.
BENCH_BUILD = cd Benchmarks && $(SWIFT) build -c release --disable-build-manifest-caching --product

# Every benchmark, full length (root; BENCHMARKS.md): the ring drain side by
# side with libbpf (also under package-benchmark), the scorer side by side
# with an exact one (also under package-benchmark, with memory), the
# decode → attribute → score path stage by stage, the live overhead of
# `rarenet run` on a connect() loop, and detection quality on realistic servers.
bench: build
	$(BENCH_BUILD) RingDrainCompare
	Benchmarks/.build/release/RingDrainCompare --ring-kib 1024,65536 --rounds 100
	cd Benchmarks && $(SWIFT) package --allow-writing-to-package-directory benchmark --target RingDrain
	$(BENCH_BUILD) ScorerCompare
	Benchmarks/.build/release/ScorerCompare --rounds 30
	$(BENCH_BUILD) ScorerBenchmarks
	Benchmarks/.build/release/ScorerBenchmarks
	$(BENCH_BUILD) PipelineStages
	Benchmarks/.build/release/PipelineStages --rounds 100
	$(BENCH_BUILD) LiveOverhead
	Benchmarks/.build/release/LiveOverhead --rarenet .build/release/rarenet --connects 200000 --runs 3
	$(BENCH_BUILD) DetectionQuality
	Benchmarks/.build/release/DetectionQuality $(foreach ceiling,$(DETECTION_CEILINGS),--max-false-alerts-per-host-day $(ceiling))

# The short comparisons CI runs: print their tables, fail only when a median
# ratio falls below its floor ($(BENCH_FLOOR) for the ring drain,
# $(SCORER_FLOOR) for the scorer) or the two sides of the ring drain decode
# differently; then the detection gate: fail when a gated planted attack goes
# unalerted, false alerts per host-day exceed $(DETECTION_CEILINGS), or a
# second generation of a stream differs.
bench-short: deps bpf
	$(BENCH_BUILD) RingDrainCompare
	Benchmarks/.build/release/RingDrainCompare --ring-kib 1024 --rounds 20 --floor $(BENCH_FLOOR)
	$(BENCH_BUILD) ScorerCompare
	Benchmarks/.build/release/ScorerCompare --rounds 5 --floor $(SCORER_FLOOR)
	$(BENCH_BUILD) DetectionQuality
	Benchmarks/.build/release/DetectionQuality --verify-determinism \
		$(foreach ceiling,$(DETECTION_CEILINGS),--max-false-alerts-per-host-day $(ceiling))

# The binary, the systemd unit, and the example configuration (kept if one exists).
# install-files does the copying alone, of RARENET_BINARY: `make vmtest` runs it
# in its systemd guest with the debug build instead of building again.
RARENET_BINARY ?= .build/release/rarenet
install: build
	$(MAKE) install-files

install-files:
	install -D -m 0755 $(RARENET_BINARY) $(DESTDIR)$(PREFIX)/bin/rarenet
	install -D -m 0644 deploy/rarenet.service $(DESTDIR)/etc/systemd/system/rarenet.service
	@if [ ! -e $(DESTDIR)/etc/rarenet/rarenet.yaml ]; then \
		install -D -m 0644 deploy/rarenet.yaml $(DESTDIR)/etc/rarenet/rarenet.yaml; fi

clean:
	rm -rf .build/bpf .build/release .build/debug Fuzz/.build
