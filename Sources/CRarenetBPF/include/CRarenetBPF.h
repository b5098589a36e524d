#ifndef C_RARENET_BPF_H
#define C_RARENET_BPF_H

/* The event ABI shared with the BPF program, and the embedded BPF object. */
#include <linux/types.h>
#include "../../../bpf/rarenet.h"

/* The compiled BPF object (bpf/rarenet.bpf.c), embedded at build time by
 * embedded_object.S; its size is end - start. */
extern const unsigned char rarenet_bpf_object_start[];
extern const unsigned char rarenet_bpf_object_end[];

/* Swift cannot import arrays of unknown size: it reads the object through these. */
static inline const void *rarenet_bpf_object_data(void)
{
	return rarenet_bpf_object_start;
}

static inline unsigned long rarenet_bpf_object_size(void)
{
	return (unsigned long)(rarenet_bpf_object_end - rarenet_bpf_object_start);
}

#endif
