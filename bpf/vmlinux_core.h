/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The few kernel types rarenet's BPF program reads, declared by hand for
 * CO-RE: each struct is marked preserve_access_index and lists only the
 * fields used, so libbpf relocates every access against the running
 * kernel's BTF (/sys/kernel/btf/vmlinux). No kernel headers at build time.
 */
#ifndef RARENET_VMLINUX_CORE_H
#define RARENET_VMLINUX_CORE_H

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef signed char __s8;
typedef short __s16;
typedef int __s32;
typedef long long __s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
typedef _Bool bool;
#define true 1
#define false 0

enum bpf_map_type {
	BPF_MAP_TYPE_HASH = 1,
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	BPF_MAP_TYPE_RINGBUF = 27,
};

#endif
