#include "CRingProducer.h"

#include <errno.h>
#include <stdlib.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "../../../bpf/rarenet.h"
#include "../../../bpf/ringbuf_producer.h"


struct ring_producer {
	struct bpf_object *object;
	int ring_fd;
	int counters_fd;
	int program_fd;
};

struct ring_producer *ring_producer_open(const char *object_path, uint32_t ring_size)
{
	struct bpf_object *object = bpf_object__open_file(object_path, NULL);
	if (!object)
		return NULL;
	struct bpf_map *ring = bpf_object__find_map_by_name(object, "ringbuf_producer_events");
	struct bpf_map *counters = bpf_object__find_map_by_name(object, "rarenet_counters");
	struct bpf_program *program = bpf_object__find_program_by_name(object, "produce");
	if (!ring || !counters || !program) {
		bpf_object__close(object);
		errno = ENOENT;
		return NULL;
	}
	int status = bpf_map__set_max_entries(ring, ring_size);
	if (status == 0)
		status = bpf_object__load(object);
	struct ring_producer *producer = status == 0 ? malloc(sizeof(*producer)) : NULL;
	if (!producer) {
		int code = status ? -status : ENOMEM;
		bpf_object__close(object);
		errno = code;
		return NULL;
	}
	producer->object = object;
	producer->ring_fd = bpf_map__fd(ring);
	producer->counters_fd = bpf_map__fd(counters);
	producer->program_fd = bpf_program__fd(program);
	return producer;
}

void ring_producer_close(struct ring_producer *producer)
{
	if (!producer)
		return;
	bpf_object__close(producer->object);
	free(producer);
}

int ring_producer_ring_fd(const struct ring_producer *producer)
{
	return producer->ring_fd;
}

int ring_producer_counters_fd(const struct ring_producer *producer)
{
	return producer->counters_fd;
}

/* Runs the program once: `count` records of `kind`; fills `outcome` from what it reports. */
static int ring_producer_produce(struct ring_producer *producer, enum rarenet_record_kind kind, uint32_t count,
				 uint32_t first_sequence, struct ring_producer_population population,
				 struct ring_producer_outcome *outcome)
{
	struct ringbuf_producer_request request = {
		.kind = kind,
		.version = RARENET_ABI_VERSION,
		.count = count,
		.first_sequence = first_sequence,
		.processes = population.processes,
		.ports = population.ports,
	};
	LIBBPF_OPTS(bpf_test_run_opts, options, .ctx_in = &request, .ctx_size_in = sizeof(request));
	int status = bpf_prog_test_run_opts(producer->program_fd, &options);
	if (status)
		return status < 0 ? status : -EIO;
	if (options.retval)
		return -EIO;
	outcome->submitted = request.submitted;
	outcome->dropped = request.dropped;
	return 0;
}

int ring_producer_produce_network(struct ring_producer *producer, uint32_t count, uint32_t first_sequence,
				  struct ring_producer_population population, struct ring_producer_outcome *outcome)
{
	return ring_producer_produce(producer, RARENET_RECORD_NETWORK, count, first_sequence, population, outcome);
}

int ring_producer_produce_exec(struct ring_producer *producer, uint32_t count, uint32_t first_sequence,
			       struct ring_producer_population population, struct ring_producer_outcome *outcome)
{
	return ring_producer_produce(producer, RARENET_RECORD_EXEC, count, first_sequence, population, outcome);
}

uint32_t ring_producer_network_footprint(void)
{
	return (sizeof(struct rarenet_network_record) + BPF_RINGBUF_HDR_SZ + 7) & ~7u;
}

uint32_t ring_producer_exec_footprint(void)
{
	return (sizeof(struct rarenet_exec_record) + BPF_RINGBUF_HDR_SZ + 7) & ~7u;
}
