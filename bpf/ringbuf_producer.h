/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The context of bpf/ringbuf_producer.bpf.c, the test and benchmark ring
 * producer run through BPF_PROG_TEST_RUN: what to write (in) and what
 * happened (out, copied back by the kernel). Shared by the BPF program and
 * the C that drives it; the includer provides __u32.
 */
#ifndef RINGBUF_PRODUCER_H
#define RINGBUF_PRODUCER_H

struct ringbuf_producer_request {
	/* in */
	__u32 kind;           /* enum rarenet_record_kind of every record */
	__u32 version;        /* header version to write (RARENET_ABI_VERSION unless testing rejection) */
	__u32 count;          /* records to reserve */
	__u32 discard_every;  /* discard the n-th, 2n-th, ... record of this run; 0: none */
	__u32 first_sequence; /* sequence number of the first record */
	__u32 hold_last;      /* 1: keep the last record BUSY until producer_control[0] != 0 */
	__u32 processes;      /* 0: record s is process s; n: a population of n processes (see ringbuf_producer.bpf.c) */
	__u32 ports;          /* 0: every connect to port 443; n: to ports 1..n, drawn as processes are */
	/* out */
	__u32 submitted;      /* records committed */
	__u32 discarded;      /* records committed as discarded */
	__u32 dropped;        /* reservations the full ring refused */
	__u32 held;           /* 1: the last record was held and released by user space */
};

_Static_assert(sizeof(struct ringbuf_producer_request) == 48, "ringbuf_producer_request layout changed");

#endif /* RINGBUF_PRODUCER_H */
