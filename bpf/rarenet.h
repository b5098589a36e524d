/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * rarenet event ABI: every record that crosses the BPF ring buffer.
 *
 * This header is the single source of truth for the record layout. It is
 * compiled into the BPF program (bpf/rarenet.bpf.c) and imported by Swift
 * through the CRarenetBPF module, so both sides agree by construction.
 *
 * Rules:
 *  - Fixed layout, explicit widths, natural alignment, no implicit padding
 *    (every struct is checked with _Static_assert below).
 *  - Every record starts with struct rarenet_record_header; `kind` says which
 *    struct follows, `version` is RARENET_ABI_VERSION and `size` is the whole
 *    record's size in bytes. A consumer skips (and counts) a record whose kind
 *    is unknown or whose size does not match its kind: it never trusts one.
 *  - Ports are in host byte order. Addresses are in network byte order, IPv4
 *    in the first 4 bytes of the 16-byte field, the rest zero.
 *  - Timestamps are bpf_ktime_get_boot_ns(): nanoseconds since boot,
 *    including suspend (CLOCK_BOOTTIME).
 *
 * The includer provides __u8/__u16/__u32/__u64 (<linux/types.h> in user space,
 * bpf/vmlinux_core.h in the BPF program).
 */
#ifndef RARENET_H
#define RARENET_H

#define RARENET_ABI_VERSION 2

#define RARENET_COMM_LEN 16
#define RARENET_PATH_MAX 512
#define RARENET_ARGS_MAX 256

/* What a record is. */
enum rarenet_record_kind {
	RARENET_RECORD_NETWORK = 1, /* struct rarenet_network_record */
	RARENET_RECORD_EXEC = 2,    /* struct rarenet_exec_record */
	RARENET_RECORD_EXIT = 3,    /* struct rarenet_exit_record */
};

/* What the process did on the network. */
enum rarenet_action {
	RARENET_ACTION_CONNECT = 1,
	RARENET_ACTION_BIND = 2,
};

/* Which kernel hook produced a network record. */
enum rarenet_hook {
	RARENET_HOOK_KPROBE = 1,     /* kprobe tcp_connect, kprobe/kretprobe inet_bind, inet6_bind */
	RARENET_HOOK_TRACEPOINT = 2, /* sock:inet_sock_set_state + syscalls:sys_{enter,exit}_connect, syscalls:sys_{enter,exit}_bind */
};

/* Bits of rarenet_exec_record.flags. */
enum rarenet_exec_flags {
	RARENET_EXEC_PATH_TRUNCATED = 1 << 0, /* path did not fit; it holds the tail */
	RARENET_EXEC_PATH_DELETED = 1 << 1,   /* the executable file is unlinked */
	RARENET_EXEC_ARGS_TRUNCATED = 1 << 2, /* args did not fit in RARENET_ARGS_MAX */
};

/* Indices of the per-CPU counters in the `rarenet_counters` map. */
enum rarenet_counter {
	RARENET_COUNTER_DROPPED_NETWORK = 0, /* network records the ring could not take */
	RARENET_COUNTER_DROPPED_EXEC = 1,    /* exec records the ring could not take */
	RARENET_COUNTER_DROPPED_EXIT = 2,    /* exit records the ring could not take */
	RARENET_COUNTER_MAX = 3,
};

/* The first 32 bytes of every record. */
struct rarenet_record_header {
	__u16 kind;          /* enum rarenet_record_kind */
	__u16 version;       /* RARENET_ABI_VERSION */
	__u32 size;          /* sizeof the whole record */
	__u64 timestamp_ns;  /* CLOCK_BOOTTIME nanoseconds */
	__u32 tgid;          /* process id (thread group) */
	__u32 tid;           /* thread id */
	__u64 start_time_ns; /* process (group leader) start, CLOCK_BOOTTIME: with tgid, a unique identity */
};

/*
 * The file a task executes (task->mm->exe_file) and the mount namespace it
 * lives in: a process's identity as the kernel knows it, which neither a
 * rename (prctl PR_SET_NAME) nor argv[0] can change. All zero for a task
 * without memory map (a kernel thread).
 */
struct rarenet_executable_file {
	__u64 inode;  /* i_ino */
	__u32 device; /* i_sb->s_dev, the kernel's encoding: MAJOR << 20 | MINOR */
	__u32 mount_namespace; /* nsproxy->mnt_ns->ns.inum, as /proc/<pid>/ns/mnt shows it */
};

/* A connect or bind. */
struct rarenet_network_record {
	struct rarenet_record_header header;
	__u32 ppid;      /* parent's tgid (real_parent) */
	__u32 uid;       /* real uid */
	__u32 gid;       /* real gid */
	__u16 action;    /* enum rarenet_action */
	__u16 family;    /* AF_INET (2) or AF_INET6 (10) */
	__u16 protocol;  /* IPPROTO_TCP (6) or IPPROTO_UDP (17) */
	__u16 sport;     /* host order; for bind, the bound port */
	__u16 dport;     /* host order; 0 for bind */
	__u8 hook;       /* enum rarenet_hook */
	__u8 _pad0;
	__u64 cgroup_id;
	struct rarenet_executable_file executable; /* what the task runs, whatever its name says */
	__u8 saddr[16];  /* for bind, the bound address */
	__u8 daddr[16];  /* zero for bind */
	char comm[RARENET_COMM_LEN];
};

/* A successful execve/execveat: the new image of a process. */
struct rarenet_exec_record {
	struct rarenet_record_header header;
	__u32 ppid;
	__u32 uid;
	__u32 gid;
	__u16 path_len;  /* bytes used in path, without a terminator */
	__u16 args_len;  /* bytes used in args: NUL-separated argv */
	__u32 flags;     /* enum rarenet_exec_flags */
	__u32 _pad0;
	__u64 cgroup_id;
	struct rarenet_executable_file executable;
	char comm[RARENET_COMM_LEN];
	char path[RARENET_PATH_MAX]; /* absolute path of the executable, from the kernel's dentries */
	char args[RARENET_ARGS_MAX];
};

/* A process (thread group) exited. */
struct rarenet_exit_record {
	struct rarenet_record_header header;
	__u32 ppid;
	__s32 exit_code; /* as in wait(2) status */
};

#define RARENET_ASSERT_SIZE(type, bytes) \
	_Static_assert(sizeof(struct type) == (bytes), #type " layout changed")

RARENET_ASSERT_SIZE(rarenet_record_header, 32);
RARENET_ASSERT_SIZE(rarenet_executable_file, 16);
RARENET_ASSERT_SIZE(rarenet_network_record, 32 + 24 + 8 + 16 + 32 + 16);
RARENET_ASSERT_SIZE(rarenet_exec_record, 32 + 24 + 8 + 16 + 16 + RARENET_PATH_MAX + RARENET_ARGS_MAX);
RARENET_ASSERT_SIZE(rarenet_exit_record, 32 + 8);

#endif /* RARENET_H */
