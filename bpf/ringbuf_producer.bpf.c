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

static __always_inline void ringbuf_fill_header(struct rarenet_record_header *header,
						struct ringbuf_producer_request *state,
						__u32 sequence, __u32 size)
{
	header->kind = state->kind;
	header->version = state->version;
	header->size = size;
	header->timestamp_ns = bpf_ktime_get_boot_ns();
	header->tgid = sequence;
	header->tid = sequence;
	header->start_time_ns = sequence;
}

static __always_inline void ringbuf_fill_comm(char *comm)
{
	const char name[RARENET_COMM_LEN] = "ringbuf-prod";

	__builtin_memcpy(comm, name, RARENET_COMM_LEN);
}

static __always_inline void ringbuf_fill_network(struct rarenet_network_record *record, __u32 sequence)
{
	record->ppid = sequence ^ 0x5a5a;
	record->uid = 1000;
	record->gid = 1000;
	record->action = RARENET_ACTION_CONNECT;
	record->family = AF_INET6;
	record->protocol = IPPROTO_TCP;
	record->sport = sequence & 0xffff;
	record->dport = 443;
	record->hook = RARENET_HOOK_TRACEPOINT;
	record->_pad0 = 0;
	record->cgroup_id = sequence;
	for (int i = 0; i < 16; i++) {
		record->saddr[i] = sequence + i;
		record->daddr[i] = 0xff - i - sequence;
	}
	ringbuf_fill_comm(record->comm);
}

static __always_inline void ringbuf_fill_exec(struct rarenet_exec_record *record, __u32 sequence)
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
	record->path[0] = '/';
	for (int i = 1; i < RARENET_PATH_MAX; i++)
		record->path[i] = 'a' + ((sequence + i) & 15);
	__builtin_memcpy(record->args, args, sizeof(args));
	for (int i = sizeof(args); i < RARENET_ARGS_MAX; i++)
		record->args[i] = 0;
}

static __always_inline void ringbuf_fill_exit(struct rarenet_exit_record *record, __u32 sequence)
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
		ringbuf_fill_header(&record->header, state, sequence, sizeof(struct type)); \
		fill(record, sequence);                                                     \
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
	struct ringbuf_producer_request *state = context;
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
	struct ringbuf_producer_request state = {
		.kind = request->kind,
		.version = request->version,
		.count = request->count,
		.discard_every = request->discard_every,
		.first_sequence = request->first_sequence,
		.hold_last = request->hold_last,
	};
	long loops = bpf_loop(state.count, ringbuf_produce_one, &state, 0);

	request->submitted = state.submitted;
	request->discarded = state.discarded;
	request->dropped = state.dropped;
	request->held = state.held;
	return loops < 0 ? 1 : 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
