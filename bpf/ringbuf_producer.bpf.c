// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A ring-buffer producer for tests and benchmarks: NOT part of the sensor.
 *
 * `produce` is a BPF_PROG_TYPE_SYSCALL program that user space runs with
 * bpf_prog_test_run_opts(); its context is a struct ringbuf_producer_request
 * (in: what to write; out: what happened, copied back by the kernel). One run
 * reserves `count` records of one rarenet ABI kind (bpf/rarenet.h) in its own
 * ring buffer as fast as the kernel allows, discards every n-th one, and counts
 * every record the ring could not take in `rarenet_counters`, exactly as the
 * sensor's program does. With `hold_last` it keeps its last record reserved
 * (BUSY) until user space sets `producer_control[0]`, so a consumer can be shown
 * stopping at a record that is still being written.
 *
 * Record contents are a function of the record's sequence number s, so a
 * consumer can check every byte it read (see ringbuf_fill_*):
 *   header: tgid = tid = s, start_time_ns = s, size = sizeof the record
 *   network: ppid = s ^ 0x5a5a, uid = gid = 1000, connect, IPv6 TCP,
 *            sport = s & 0xffff, dport = 443, saddr[i] = s + i,
 *            daddr[i] = 0xff - i - s, cgroup_id = s, comm = "ringbuf-prod"
 *   exec:    ppid = s ^ 0x5a5a, path = '/' then 'a' + ((s + i) & 15) for
 *            i = 1..511 (path_len 512), args = "prod\0" then "seq\0", comm as above
 *   exit:    ppid = s ^ 0x5a5a, exit_code = s
 *
 * With `processes` = n > 0 the records come from a population of n processes
 * instead, as a host's stream does (benchmarks of the attribution and scoring
 * path): process rank r has tgid = tid = start_time_ns = RINGBUF_POPULATION_PID
 * + r (above any pid_max, so no lookup ever finds a real process in /proc) and
 * executable "/opt/ringbuf-prod/p" followed by r as 8 hex digits (path_len 27,
 * the rest of path zero). Exec and exit record s is process s % n, so a run of
 * n exec records from sequence 0 execs every process once; network record s
 * draws its process from a power law (ringbuf_power_law: P(r) about
 * 1/((r + 1) log2 n)). With `ports` = m > 0, network record s connects to
 * dport = 1 + a rank drawn from m the same way (independently of its process).
 * Every other field stays as above; with both fields 0, every byte is as above.
 */
#include "vmlinux_core.h"
#include <bpf/bpf_helpers.h>
#include "rarenet.h"
#include "ringbuf_producer.h"

/* The context of one run; every field is 32 bits so user space can mirror it without padding. */

#define AF_INET6 10
#define IPPROTO_TCP 6
#define RINGBUF_HOLD_SPINS (1 << 20)
#define RINGBUF_HOLD_ROUNDS 256
#define RINGBUF_POPULATION_PID 0x40000000
#define RINGBUF_SALT_PROCESS 0x3c6ef372
#define RINGBUF_SALT_PORT 0xa54ff53a

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16); /* user space resizes it before loading */
} ringbuf_producer_events SEC(".maps");

/* Same layout and meaning as the sensor's `rarenet_counters`. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RARENET_COUNTER_MAX);
	__type(key, __u32);
	__type(value, __u64);
} rarenet_counters SEC(".maps");

/* [0]: user space sets it to release a held record. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} producer_control SEC(".maps");

/* A run: the request (in and out) and what the populations' draws need. */
struct ringbuf_producer_run {
	struct ringbuf_producer_request request;
	__u32 process_octaves; /* bit length of request.processes */
	__u32 port_octaves;    /* bit length of request.ports */
};

/* The bit length of n: how many octaves [2^e - 1, 2^(e+1) - 1) start below n. */
static __always_inline __u32 ringbuf_bit_length(__u32 n)
{
	__u32 length = 0;

	for (int bit = 0; bit < 32; bit++)
		if (n >> bit)
			length = bit + 1;
	return length;
}

/* A 32-bit integer mixer (xor-shift and multiply rounds): every bit of x moves every bit of the result. */
static __always_inline __u32 ringbuf_mix(__u32 x)
{
	x ^= x >> 16;
	x *= 0x85ebca6b;
	x ^= x >> 13;
	x *= 0xc2b2ae35;
	x ^= x >> 16;
	return x;
}

/*
 * A rank in [0, n) for `sequence`, drawn from a discrete power law of
 * exponent 1 (log-uniform) by two hashes: an octave e of ranks
 * [2^e - 1, 2^(e+1) - 1) uniformly among the `octaves` that start below n,
 * then a rank uniformly within it; ranks past n (in the last octave) wrap onto
 * the head. So P(rank r) is about 1 / ((r + 1) * log2 n), within a factor of 2:
 * rank 0 takes 1/octaves of the records, the last octave's ranks one in
 * n * octaves / 2 each.
 */
static __always_inline __u32 ringbuf_power_law(__u32 sequence, __u32 salt, __u32 n, __u32 octaves)
{
	__u32 octave = ringbuf_mix(sequence ^ salt) % octaves;
	__u32 within = ringbuf_mix(sequence + salt) & ((1u << octave) - 1);

	return ((1u << octave) - 1 + within) % n;
}

/* The process rank of record `sequence` in a population (request.processes > 0). */
static __always_inline __u32 ringbuf_process_rank(const struct ringbuf_producer_run *run, __u32 sequence)
{
	__u32 n = run->request.processes;

	if (run->request.kind == RARENET_RECORD_NETWORK)
		return ringbuf_power_law(sequence, RINGBUF_SALT_PROCESS, n, run->process_octaves);
	return sequence % n;
}

static __always_inline void ringbuf_fill_header(struct rarenet_record_header *header,
						const struct ringbuf_producer_run *run,
						__u32 sequence, __u32 size)
{
	__u32 tgid = run->request.processes
			     ? RINGBUF_POPULATION_PID + ringbuf_process_rank(run, sequence)
			     : sequence;

	header->kind = run->request.kind;
	header->version = run->request.version;
	header->size = size;
	header->timestamp_ns = bpf_ktime_get_boot_ns();
	header->tgid = tgid;
	header->tid = tgid;
	header->start_time_ns = tgid;
}

static __always_inline void ringbuf_fill_comm(char *comm)
{
	const char name[RARENET_COMM_LEN] = "ringbuf-prod";

	__builtin_memcpy(comm, name, RARENET_COMM_LEN);
}

static __always_inline void ringbuf_fill_network(struct rarenet_network_record *record,
						 const struct ringbuf_producer_run *run, __u32 sequence)
{
	__u32 ports = run->request.ports;

	record->ppid = sequence ^ 0x5a5a;
	record->uid = 1000;
	record->gid = 1000;
	record->action = RARENET_ACTION_CONNECT;
	record->family = AF_INET6;
	record->protocol = IPPROTO_TCP;
	record->sport = sequence & 0xffff;
	record->dport = ports ? 1 + ringbuf_power_law(sequence, RINGBUF_SALT_PORT, ports, run->port_octaves) : 443;
	record->hook = RARENET_HOOK_TRACEPOINT;
	record->_pad0 = 0;
	record->cgroup_id = sequence;
	for (int i = 0; i < 16; i++) {
		record->saddr[i] = sequence + i;
		record->daddr[i] = 0xff - i - sequence;
	}
	ringbuf_fill_comm(record->comm);
}

/* "/opt/ringbuf-prod/p" and `rank` in 8 hex digits, the rest zero; returns the length. */
static __always_inline __u16 ringbuf_fill_population_path(char *path, __u32 rank)
{
	const char directory[] = "/opt/ringbuf-prod/p";
	const int length = sizeof(directory) - 1 + 8;

	__builtin_memcpy(path, directory, sizeof(directory) - 1);
	for (int i = 0; i < 8; i++) {
		__u32 nibble = (rank >> (28 - 4 * i)) & 15;

		path[sizeof(directory) - 1 + i] = nibble < 10 ? '0' + nibble : 'a' + nibble - 10;
	}
	for (int i = length; i < RARENET_PATH_MAX; i++)
		path[i] = 0;
	return length;
}

static __always_inline void ringbuf_fill_exec(struct rarenet_exec_record *record,
					      const struct ringbuf_producer_run *run, __u32 sequence)
{
	const char args[] = "prod\0seq";

	record->ppid = sequence ^ 0x5a5a;
	record->uid = 1000;
	record->gid = 1000;
	record->path_len = RARENET_PATH_MAX;
	record->args_len = sizeof(args);
	record->flags = 0;
	record->_pad0 = 0;
	record->cgroup_id = sequence;
	ringbuf_fill_comm(record->comm);
	if (run->request.processes) {
		record->path_len = ringbuf_fill_population_path(record->path, ringbuf_process_rank(run, sequence));
	} else {
		record->path[0] = '/';
		for (int i = 1; i < RARENET_PATH_MAX; i++)
			record->path[i] = 'a' + ((sequence + i) & 15);
	}
	__builtin_memcpy(record->args, args, sizeof(args));
	for (int i = sizeof(args); i < RARENET_ARGS_MAX; i++)
		record->args[i] = 0;
}

static __always_inline void ringbuf_fill_exit(struct rarenet_exit_record *record,
					      const struct ringbuf_producer_run *run, __u32 sequence)
{
	record->ppid = sequence ^ 0x5a5a;
	record->exit_code = sequence;
}

static __always_inline void ringbuf_count_drop(__u32 kind)
{
	__u32 index = kind == RARENET_RECORD_EXEC ? RARENET_COUNTER_DROPPED_EXEC
		    : kind == RARENET_RECORD_EXIT ? RARENET_COUNTER_DROPPED_EXIT
						  : RARENET_COUNTER_DROPPED_NETWORK;
	__u64 *counter = bpf_map_lookup_elem(&rarenet_counters, &index);

	if (counter)
		__sync_fetch_and_add(counter, 1);
}

static long ringbuf_hold_spin(__u64 index, void *context)
{
	__u32 key = 0;
	volatile __u32 *released = bpf_map_lookup_elem(&producer_control, &key);

	return released && *released ? 1 : 0;
}

static long ringbuf_hold_round(__u64 index, void *context)
{
	__u32 *released = context;

	bpf_loop(RINGBUF_HOLD_SPINS, ringbuf_hold_spin, 0, 0);
	__u32 key = 0;
	volatile __u32 *flag = bpf_map_lookup_elem(&producer_control, &key);
	*released = flag && *flag;
	return *released ? 1 : 0;
}

/* Spins until user space sets producer_control[0] (or about a second of spinning passed). */
static __always_inline __u32 ringbuf_wait_for_release(void)
{
	__u32 released = 0;

	bpf_loop(RINGBUF_HOLD_ROUNDS, ringbuf_hold_round, &released, 0);
	return released;
}

/* Reserves, fills and commits (or discards) one record of a fixed type. */
#define RINGBUF_PRODUCE(type, fill)                                                         \
	do {                                                                                \
		struct type *record = bpf_ringbuf_reserve(&ringbuf_producer_events,         \
							  sizeof(struct type), 0);          \
		if (!record) {                                                              \
			ringbuf_count_drop(state->kind);                                    \
			state->dropped++;                                                   \
			return 0;                                                           \
		}                                                                           \
		ringbuf_fill_header(&record->header, run, sequence, sizeof(struct type));   \
		fill(record, run, sequence);                                                \
		if (hold)                                                                   \
			state->held = ringbuf_wait_for_release();                           \
		if (discard) {                                                              \
			bpf_ringbuf_discard(record, 0);                                     \
			state->discarded++;                                                 \
		} else {                                                                    \
			bpf_ringbuf_submit(record, 0);                                      \
			state->submitted++;                                                 \
		}                                                                           \
	} while (0)

static long ringbuf_produce_one(__u64 index, void *context)
{
	struct ringbuf_producer_run *run = context;
	struct ringbuf_producer_request *state = &run->request;
	__u32 sequence = state->first_sequence + index;
	bool discard = state->discard_every && (index + 1) % state->discard_every == 0;
	bool hold = state->hold_last && index + 1 == state->count;

	switch (state->kind) {
	case RARENET_RECORD_NETWORK:
		RINGBUF_PRODUCE(rarenet_network_record, ringbuf_fill_network);
		break;
	case RARENET_RECORD_EXEC:
		RINGBUF_PRODUCE(rarenet_exec_record, ringbuf_fill_exec);
		break;
	case RARENET_RECORD_EXIT:
		RINGBUF_PRODUCE(rarenet_exit_record, ringbuf_fill_exit);
		break;
	default:
		return 1;
	}
	return 0;
}

SEC("syscall")
int produce(struct ringbuf_producer_request *request)
{
	/* A copy of the request's inputs and the run's results, on the stack: the
	 * verifier forbids the modified context pointers that updating the
	 * context field by field would produce. */
	struct ringbuf_producer_run run = {
		.request = {
			.kind = request->kind,
			.version = request->version,
			.count = request->count,
			.discard_every = request->discard_every,
			.first_sequence = request->first_sequence,
			.hold_last = request->hold_last,
			.processes = request->processes,
			.ports = request->ports,
		},
	};
	run.process_octaves = ringbuf_bit_length(run.request.processes);
	run.port_octaves = ringbuf_bit_length(run.request.ports);
	long loops = bpf_loop(run.request.count, ringbuf_produce_one, &run, 0);

	request->submitted = run.request.submitted;
	request->discarded = run.request.discarded;
	request->dropped = run.request.dropped;
	request->held = run.request.held;
	return loops < 0 ? 1 : 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
