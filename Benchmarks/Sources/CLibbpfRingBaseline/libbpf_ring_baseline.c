/*
 * libbpf's ring buffer consumer with a C decoding callback.
 *
 * Work per record, to match rarenet's RingBufferConsumer.drainBatch(decodingWith:into:)
 * + the benchmark's fold:
 *  - libbpf: load-acquire of the length word, BUSY/DISCARD checks, an indirect
 *    call of the callback, a store-release of consumer_pos (libbpf releases
 *    after every record; rarenet once per batch);
 *  - callback: the same validation as RecordDecoder (length == sizeof the
 *    network record, kind, ABI version, header size, action, family,
 *    protocol and hook in their domains), then the decoded record written into
 *    the next slot of a batch array, like CapturedNetworkRecord into the
 *    sensor's [CapturedRecord] batch: header fields, ppid/uid/gid, enums, both
 *    addresses as two big-endian 64-bit halves (destination only for
 *    connects), ports, cgroup id, and comm up to its first NUL
 *    (strnlen + memcpy);
 *  - every BATCH_CAPACITY records (rarenet's maxRecordsPerBatch) and at the end
 *    of a consume, the batch is folded into the checksum and emptied, as the
 *    Swift side folds each batch it decoded.
 * What the C side does not do: zero the bytes of comm after its NUL (Swift's
 * TaskName does, so that equal names compare equal) — that favours the baseline.
 */
#include "CLibbpfRingBaseline.h"

#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include <bpf/libbpf.h>

#include "../../../bpf/rarenet.h"

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17

/* The C counterpart of CapturedNetworkRecord. */
struct decoded_network_record {
	uint64_t timestamp_ns;
	uint64_t start_time_ns;
	uint32_t pid;
	uint32_t tid;
	uint32_t ppid;
	uint32_t uid;
	uint32_t gid;
	uint16_t action;
	uint16_t family;
	uint16_t protocol;
	uint8_t hook;
	bool has_destination;
	uint64_t source_high, source_low;
	uint64_t destination_high, destination_low;
	uint16_t source_port;
	uint16_t destination_port;
	uint64_t cgroup_id;
	uint8_t comm_length;
	char comm[RARENET_COMM_LEN];
};

/* Records decoded before a batch is folded: RingBufferConsumer's default maxRecordsPerBatch. */
#define BATCH_CAPACITY 4096

struct libbpf_ring_baseline {
	struct ring_buffer *ring;
	struct libbpf_ring_baseline_totals totals;
	size_t batch_count;
	struct decoded_network_record batch[BATCH_CAPACITY];
};

/* An address field as two big-endian halves (IPv4: the 4 bytes in the top of `high`). */
static void decode_address(const __u8 field[16], uint16_t family, uint64_t *high, uint64_t *low)
{
	if (family == AF_INET) {
		uint32_t v4;
		memcpy(&v4, field, 4);
		*high = (uint64_t)be32toh(v4) << 32;
		*low = 0;
	} else {
		uint64_t halves[2];
		memcpy(halves, field, 16);
		*high = be64toh(halves[0]);
		*low = be64toh(halves[1]);
	}
}

static bool decode_network(const void *data, size_t size, struct decoded_network_record *out)
{
	struct rarenet_network_record record;
	struct rarenet_record_header header;

	if (size < sizeof(header))
		return false;
	memcpy(&header, data, sizeof(header));
	if (header.version != RARENET_ABI_VERSION || header.kind != RARENET_RECORD_NETWORK)
		return false;
	if (size != sizeof(record) || header.size != sizeof(record))
		return false;
	memcpy(&record, data, sizeof(record));
	if (record.action != RARENET_ACTION_CONNECT && record.action != RARENET_ACTION_BIND)
		return false;
	if (record.family != AF_INET && record.family != AF_INET6)
		return false;
	if (record.protocol != IPPROTO_TCP && record.protocol != IPPROTO_UDP)
		return false;
	if (record.hook != RARENET_HOOK_KPROBE && record.hook != RARENET_HOOK_TRACEPOINT)
		return false;

	out->timestamp_ns = header.timestamp_ns;
	out->start_time_ns = header.start_time_ns;
	out->pid = header.tgid;
	out->tid = header.tid;
	out->ppid = record.ppid;
	out->uid = record.uid;
	out->gid = record.gid;
	out->action = record.action;
	out->family = record.family;
	out->protocol = record.protocol;
	out->hook = record.hook;
	decode_address(record.saddr, record.family, &out->source_high, &out->source_low);
	out->source_port = record.sport;
	out->has_destination = record.action == RARENET_ACTION_CONNECT;
	if (out->has_destination) {
		decode_address(record.daddr, record.family, &out->destination_high, &out->destination_low);
		out->destination_port = record.dport;
	} else {
		out->destination_high = out->destination_low = 0;
		out->destination_port = 0;
	}
	out->cgroup_id = record.cgroup_id;
	out->comm_length = (uint8_t)strnlen(record.comm, RARENET_COMM_LEN);
	memcpy(out->comm, record.comm, out->comm_length);
	return true;
}

/* Keep in step with RecordFold in RingDrainKit: the two sides must agree. */
static uint64_t fold(const struct decoded_network_record *record)
{
	return (uint64_t)record->pid + record->source_port + record->destination_port
	       + record->destination_low + record->cgroup_id + record->comm_length;
}

/* Folds the decoded batch into the checksum and empties it. */
static void fold_batch(struct libbpf_ring_baseline *baseline)
{
	for (size_t i = 0; i < baseline->batch_count; i++)
		baseline->totals.checksum += fold(&baseline->batch[i]);
	baseline->totals.records += baseline->batch_count;
	baseline->batch_count = 0;
}

static int on_record(void *context, void *data, size_t size)
{
	struct libbpf_ring_baseline *baseline = context;

	if (decode_network(data, size, &baseline->batch[baseline->batch_count])) {
		if (++baseline->batch_count == BATCH_CAPACITY)
			fold_batch(baseline);
	} else {
		baseline->totals.rejected++;
	}
	return 0;
}

struct libbpf_ring_baseline *libbpf_ring_baseline_open(int ring_fd)
{
	struct libbpf_ring_baseline *baseline = calloc(1, sizeof(*baseline));
	if (!baseline)
		return NULL;
	baseline->ring = ring_buffer__new(ring_fd, on_record, baseline, NULL);
	if (!baseline->ring) {
		int code = errno;
		free(baseline);
		errno = code;
		return NULL;
	}
	return baseline;
}

void libbpf_ring_baseline_close(struct libbpf_ring_baseline *baseline)
{
	if (!baseline)
		return;
	ring_buffer__free(baseline->ring);
	free(baseline);
}

int64_t libbpf_ring_baseline_consume(struct libbpf_ring_baseline *baseline)
{
	int64_t consumed = ring_buffer__consume(baseline->ring);
	fold_batch(baseline);
	return consumed;
}

struct libbpf_ring_baseline_totals libbpf_ring_baseline_totals(const struct libbpf_ring_baseline *baseline)
{
	return baseline->totals;
}
