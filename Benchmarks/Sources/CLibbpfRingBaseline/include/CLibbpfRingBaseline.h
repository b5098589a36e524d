#ifndef C_LIBBPF_RING_BASELINE_H
#define C_LIBBPF_RING_BASELINE_H

/*
 * The baseline the ring-drain benchmark compares rarenet's consumer with:
 * libbpf's own ring buffer consumer (ring_buffer__new + ring_buffer__consume)
 * and a C callback that decodes each rarenet network record the way
 * rarenet's RecordDecoder does, minus what only Swift does (see
 * libbpf_ring_baseline.c for the exact work per record).
 */

#include <stdint.h>

/* A libbpf ring_buffer on one ring, with the running totals of its callback. */
struct libbpf_ring_baseline;

/* What the callback has seen so far. */
struct libbpf_ring_baseline_totals {
	uint64_t records;  /* records decoded */
	uint64_t rejected; /* records that failed validation */
	uint64_t checksum; /* fold of the decoded fields (same fold as the Swift side) */
};

/* Opens libbpf's consumer on the ring buffer map `ring_fd` (not owned).
 * Returns NULL and sets errno on failure. */
struct libbpf_ring_baseline *libbpf_ring_baseline_open(int ring_fd);

void libbpf_ring_baseline_close(struct libbpf_ring_baseline *baseline);

/* One ring_buffer__consume: every record available now. Returns the number of
 * records consumed, or a negative errno. */
int64_t libbpf_ring_baseline_consume(struct libbpf_ring_baseline *baseline);

struct libbpf_ring_baseline_totals libbpf_ring_baseline_totals(const struct libbpf_ring_baseline *baseline);

#endif
