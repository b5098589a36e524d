#ifndef C_RING_PRODUCER_H
#define C_RING_PRODUCER_H

/*
 * Drives bpf/ringbuf_producer.bpf.c for the benchmarks: loads the BPF object
 * with a ring buffer of a chosen size and runs its `produce` program through
 * BPF_PROG_TEST_RUN, which writes rarenet ABI records into that ring as fast
 * as the kernel allows. Not part of the sensor.
 */

#include <stdint.h>

/* A loaded producer: its own ring buffer, drop counters and program. */
struct ring_producer;

/* What one run did, as the BPF program reports it. */
struct ring_producer_outcome {
	uint32_t submitted; /* records committed */
	uint32_t dropped;   /* reservations the full ring refused */
};

/* Loads `object_path` (bpf/ringbuf_producer.bpf.c compiled by `make bpf`) with a
 * ring of `ring_size` bytes (a power of two, at least a page). Returns NULL and
 * sets errno on failure. */
struct ring_producer *ring_producer_open(const char *object_path, uint32_t ring_size);

/* Unloads the producer; its ring goes away once no consumer maps it. */
void ring_producer_close(struct ring_producer *producer);

/* The ring buffer map's file descriptor, owned by the producer. */
int ring_producer_ring_fd(const struct ring_producer *producer);

/* The per-CPU drop counters map (layout of the sensor's `rarenet_counters`). */
int ring_producer_counters_fd(const struct ring_producer *producer);

/* Which processes and ports records come from (`processes` and `ports` of
 * struct ringbuf_producer_request, bpf/ringbuf_producer.bpf.c): all zero, every
 * record is its own process and connects to port 443; otherwise records come
 * from `processes` processes and connect to ports 1..`ports`, both drawn from a
 * power law. */
struct ring_producer_population {
	uint32_t processes;
	uint32_t ports;
};

/* Writes `count` network records (struct rarenet_network_record) with sequence
 * numbers from `first_sequence`. Returns 0, or a negative errno. */
int ring_producer_produce_network(struct ring_producer *producer, uint32_t count, uint32_t first_sequence,
				  struct ring_producer_population population, struct ring_producer_outcome *outcome);

/* Writes `count` exec records (struct rarenet_exec_record) with sequence
 * numbers from `first_sequence`: in a population, record s execs process
 * s % processes. Returns 0, or a negative errno. */
int ring_producer_produce_exec(struct ring_producer *producer, uint32_t count, uint32_t first_sequence,
			       struct ring_producer_population population, struct ring_producer_outcome *outcome);

/* Ring bytes one network record occupies: 8-byte ring header + record, 8-aligned. */
uint32_t ring_producer_network_footprint(void);

/* Ring bytes one exec record occupies. */
uint32_t ring_producer_exec_footprint(void);

#endif
