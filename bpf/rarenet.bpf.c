// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "vmlinux_core.h"
#include <bpf/bpf_helpers.h>
#include "rarenet.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} rarenet_events SEC(".maps");

char LICENSE[] SEC("license") = "Dual BSD/GPL";
