#!/usr/bin/env bash
# Builds every libFuzzer target of Fuzz/ once (release, libFuzzer + AddressSanitizer)
# (`--sanitize fuzzer` makes SwiftPM leave `main` to libFuzzer; the one
# `-sanitize=fuzzer,address` after it reaches the compiler whole, where two
# `--sanitize` options would reach it as two flags of which only one is kept)
# and runs each for a bounded time, one after the other, on a temporary copy of
# its committed seed corpus (Fuzz/Corpus/<name>), so the repository is never
# written to. Fails on the first crash, hang (> 2 s per input), leak or
# out-of-memory (> 2048 MB), and keeps the reproducer in the printed directory.
#
#   Fuzz/run.sh [seconds per target]      default 45, or $FUZZ_SECONDS
#
# Needs the BPF object (`make bpf`): the capture module embeds it.
# A reproducer runs with: Fuzz/.build/release/<Target> <file>
set -euo pipefail
# libFuzzer reports crashes itself; the Swift backtracer would race it under ASan.
export SWIFT_BACKTRACE=enable=no
# Leaks of the Swift standard library's regex parser are not findings (Fuzz/lsan.supp says why).
export LSAN_OPTIONS="suppressions=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

seconds="${1:-${FUZZ_SECONDS:-45}}"
fuzz_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
swift="${SWIFT:-swift}"

# target:corpus directory:longest input in bytes
targets=(
	"FuzzEventLine:event-line:4096"
	"FuzzEventFile:event-file:16384"
	"FuzzRingRecord:ring-record:1024"
	"FuzzSnapshot:snapshot:8192"
	"FuzzConfig:config:8192"
)

if [ ! -f "$fuzz_dir/../.build/bpf/rarenet.bpf.o" ]; then
	echo "Fuzz/run.sh: .build/bpf/rarenet.bpf.o is missing; run 'make bpf' first" >&2
	exit 2
fi

build_start=$(date +%s)
# The build plan is re-read every time: a cached one misses a source file the
# sensor's package gained since the last fuzz build.
for entry in "${targets[@]}"; do
	"$swift" build --package-path "$fuzz_dir" -c release --disable-build-manifest-caching \
		--sanitize fuzzer -Xswiftc -sanitize=fuzzer,address \
		--product "${entry%%:*}" 2>&1 | { grep -v "Cannot export local symbol '__asan_extra_spill_area'" || true; }
done
echo "fuzz build: $(( $(date +%s) - build_start )) s"

work="$(mktemp -d "${TMPDIR:-/tmp}/rarenet-fuzz.XXXXXX")"
summary=()
for entry in "${targets[@]}"; do
	IFS=: read -r target corpus max_len <<<"$entry"
	mkdir -p "$work/$target/corpus" "$work/$target/artifacts"
	cp "$fuzz_dir/Corpus/$corpus/"* "$work/$target/corpus/"
	log="$work/$target/fuzz.log"
	echo "== $target: ${seconds} s on a copy of Fuzz/Corpus/$corpus"
	status=0
	"$fuzz_dir/.build/release/$target" \
		-max_total_time="$seconds" -timeout=2 -rss_limit_mb=2048 -max_len="$max_len" \
		-print_final_stats=1 -artifact_prefix="$work/$target/artifacts/" \
		"$work/$target/corpus" >"$log" 2>&1 || status=$?
	executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	if ! grep -q "inline 8-bit counters" "$log"; then
		tail -n 20 "$log" >&2
		echo "$target is not instrumented for coverage; see the sanitizer flags above" >&2
		exit 1
	fi
	if [ "$status" -ne 0 ]; then
		tail -n 60 "$log" >&2
		echo "$target FAILED (exit $status); reproducer and log in $work/$target" >&2
		exit 1
	fi
	summary+=("$(printf '%-16s %12s executions %8s exec/s  corpus %s -> %s files' "$target" "${executions:-?}" "${rate:-?}" \
		"$(ls "$fuzz_dir/Corpus/$corpus" | wc -l)" "$(ls "$work/$target/corpus" | wc -l)")")
	echo "${summary[-1]}"
done
echo "== all ${#targets[@]} targets passed"
printf '%s\n' "${summary[@]}"
rm -rf "$work"
