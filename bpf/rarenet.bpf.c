// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rarenet's kernel side: every TCP connect and TCP/UDP bind, and every exec
 * and process exit, as records of bpf/rarenet.h in the `rarenet_events` ring
 * buffer.
 *
 * Each hook has its own programs, so that user space loads and attaches only
 * what the running kernel supports (see Sources/RarenetCapture):
 *
 *   hook     kprobe mode                       tracepoint mode
 *   connect  kprobe/tcp_connect                sock/inet_sock_set_state (CLOSE -> SYN_SENT)
 *                                              + syscalls/sys_{enter,exit}_connect
 *   bind     k(ret)probe/inet_bind, inet6_bind syscalls/sys_{enter,exit}_bind
 *   exec     sched/sched_process_exec (both modes)
 *   exit     sched/sched_process_exit (both modes)
 *
 * Records are reserved directly in the ring buffer (no per-event stack
 * copy); a reservation that fails is counted per record kind in the per-CPU
 * `rarenet_counters` array. The sensor's own process (`self_tgid`, set by the
 * loader) is filtered here, before any work.
 */
#include "vmlinux_core.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "rarenet.h"

/*
 * The sensor's own process id, set by the loader before load; its events
 * never leave the kernel. It is alone in its section, so that the loader finds
 * it at offset 0 of the `.rodata.config` map without reading BTF.
 */
const volatile __u32 self_tgid SEC(".rodata.config") = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22); /* replaced by the loader (--ring-buffer-size) */
} rarenet_events SEC(".maps");

/* Records the ring buffer could not take, by enum rarenet_counter. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RARENET_COUNTER_MAX);
	__type(key, __u32);
	__type(value, __u64);
} rarenet_counters SEC(".maps");

/* Threads inside a traced call at once; LRU so that a lost exit never fills a map. */
#define CALLS_IN_FLIGHT_MAX 8192

/* kprobe mode: the struct socket * of each thread inside inet_bind / inet6_bind. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CALLS_IN_FLIGHT_MAX);
	__type(key, __u32);   /* tid */
	__type(value, __u64); /* struct socket * */
} bind_sockets SEC(".maps");

/* tracepoint mode: the file descriptor of each thread inside bind(2). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CALLS_IN_FLIGHT_MAX);
	__type(key, __u32);   /* tid */
	__type(value, __s32); /* fd */
} bind_fds SEC(".maps");

/*
 * tracepoint mode: a connect(2) in flight. The SYN_SENT transition happens
 * before the kernel picks the source port, so the record waits for the
 * syscall's exit, where the port is known. A thread's entry stays in the map
 * between its calls, marked idle (in_call 0), and is reused by its next
 * connect: an update of an LRU map allocates an element and a delete frees
 * one, together about a third of the tracepoint path's cost per connect.
 * Entries of threads that are gone are reclaimed by the LRU.
 */
struct pending_connect {
	__u64 sk; /* struct sock *, 0 until the SYN_SENT transition */
	__u16 family;
	__u16 sport;
	__u16 dport;
	__u8 in_call; /* 1 between sys_enter_connect and sys_exit_connect */
	__u8 _pad;
	__u8 saddr[16];
	__u8 daddr[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CALLS_IN_FLIGHT_MAX);
	__type(key, __u32); /* tid */
	__type(value, struct pending_connect);
} connect_calls SEC(".maps");

/*
 * tracepoint mode: the source port of a TCP socket whose connect failed
 * (SYN_SENT -> CLOSE: refused, unreachable, timed out). The failure releases
 * the port, so at sys_exit_connect the socket has none any more; the
 * transition itself still carries it. Keyed by socket, not by thread: a RST
 * from another host is handled in softirq context, in whatever task it
 * interrupted. Written only when a connect fails, read and deleted only when
 * sys_exit_connect finds the port gone; an entry whose connect was not inside
 * connect(2) (non-blocking, failed later) is never read and ages out of the LRU.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CALLS_IN_FLIGHT_MAX);
	__type(key, __u64);   /* struct sock * */
	__type(value, __u16); /* source port, host order */
} failed_connect_ports SEC(".maps");

/*
 * Room to assemble an executable path backwards, from its last component.
 * The write position lives here rather than in a register: loaded from a map,
 * it is an unknown value to the verifier, which then sees every turn of the
 * walk alike instead of tracking a different range of positions in each.
 */
struct path_scratch {
	volatile __u32 pos; /* the path so far is buf[pos, RARENET_PATH_MAX) */
	__u32 _pad;
	char buf[RARENET_PATH_MAX * 2];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct path_scratch);
} path_scratch SEC(".maps");

/* Path components and mount crossings walked at most per executable. */
#define PATH_STEPS_MAX 64
/* A name component is at most NAME_MAX (255) bytes. */
#define NAME_LEN_MASK 255
#define PATH_OFFSET_MASK (RARENET_PATH_MAX - 1)
_Static_assert((RARENET_PATH_MAX & PATH_OFFSET_MASK) == 0, "RARENET_PATH_MAX must be a power of two");

/* include/linux/sched/signal.h */
#define SIGNAL_GROUP_EXIT 0x00000004

static __always_inline bool is_self(__u64 pid_tgid)
{
	return self_tgid != 0 && (__u32)(pid_tgid >> 32) == self_tgid;
}

static __always_inline void count_drop(__u32 counter)
{
	__u64 *count = bpf_map_lookup_elem(&rarenet_counters, &counter);

	if (count)
		*count += 1; /* per-CPU slot: no other writer */
}

static __always_inline void fill_header(struct rarenet_record_header *header, __u16 kind, __u32 size,
					struct task_struct *task, __u64 pid_tgid)
{
	header->kind = kind;
	header->version = RARENET_ABI_VERSION;
	header->size = size;
	header->timestamp_ns = bpf_ktime_get_boot_ns();
	header->tgid = pid_tgid >> 32;
	header->tid = (__u32)pid_tgid;
	header->start_time_ns = BPF_CORE_READ(task, group_leader, start_boottime);
}

/* The parent, real uid and real gid of a task. */
static __always_inline void read_credentials(struct task_struct *task, __u32 *ppid, __u32 *uid, __u32 *gid)
{
	*ppid = BPF_CORE_READ(task, real_parent, tgid);
	*uid = BPF_CORE_READ(task, real_cred, uid.val);
	*gid = BPF_CORE_READ(task, real_cred, gid.val);
}

/* The file a task executes and its mount namespace (zero for a kernel thread). */
static __always_inline void read_executable_file(struct task_struct *task, struct rarenet_executable_file *executable)
{
	struct inode *inode = BPF_CORE_READ(task, mm, exe_file, f_inode);

	if (inode) {
		executable->inode = BPF_CORE_READ(inode, i_ino);
		executable->device = BPF_CORE_READ(inode, i_sb, s_dev);
	}
	executable->mount_namespace = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
}

/* Reserves a network record and fills in everything about the current task. */
static __always_inline struct rarenet_network_record *reserve_network_record(__u16 action, __u8 hook)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct rarenet_network_record *record;

	record = bpf_ringbuf_reserve(&rarenet_events, sizeof(*record), 0);
	if (!record) {
		count_drop(RARENET_COUNTER_DROPPED_NETWORK);
		return NULL;
	}
	__builtin_memset(record, 0, sizeof(*record));
	fill_header(&record->header, RARENET_RECORD_NETWORK, sizeof(*record), task, pid_tgid);
	read_credentials(task, &record->ppid, &record->uid, &record->gid);
	record->action = action;
	record->hook = hook;
	record->cgroup_id = bpf_get_current_cgroup_id();
	read_executable_file(task, &record->executable);
	bpf_get_current_comm(record->comm, sizeof(record->comm));
	return record;
}

/*
 * One record from a socket's own state: its family, protocol, local address
 * and port and, for a connect, the peer. Anything but TCP or UDP over IPv4 or
 * IPv6 is ignored.
 */
static __always_inline void emit_socket_record(struct sock *sk, __u16 action, __u8 hook)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	__u16 protocol = BPF_CORE_READ(sk, sk_protocol);
	struct rarenet_network_record *record;

	if (family != AF_INET && family != AF_INET6)
		return;
	if (protocol != IPPROTO_TCP && protocol != IPPROTO_UDP)
		return;
	record = reserve_network_record(action, hook);
	if (!record)
		return;
	record->family = family;
	record->protocol = protocol;
	record->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (family == AF_INET)
		bpf_core_read(record->saddr, 4, &sk->__sk_common.skc_rcv_saddr);
	else
		bpf_core_read(record->saddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
	if (action == RARENET_ACTION_CONNECT) {
		record->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
		if (family == AF_INET)
			bpf_core_read(record->daddr, 4, &sk->__sk_common.skc_daddr);
		else
			bpf_core_read(record->daddr, 16, &sk->__sk_common.skc_v6_daddr);
	}
	bpf_ringbuf_submit(record, 0);
}

/* ---- kprobe mode ---- */

SEC("kprobe/tcp_connect")
int BPF_KPROBE(rarenet_kprobe_tcp_connect, struct sock *sk)
{
	if (is_self(bpf_get_current_pid_tgid()))
		return 0;
	emit_socket_record(sk, RARENET_ACTION_CONNECT, RARENET_HOOK_KPROBE);
	return 0;
}

static __always_inline int remember_bind_socket(struct socket *sock)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	__u64 value = (__u64)sock;

	if (!is_self(pid_tgid))
		bpf_map_update_elem(&bind_sockets, &tid, &value, BPF_ANY);
	return 0;
}

static __always_inline int emit_remembered_bind(int ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 *value = bpf_map_lookup_elem(&bind_sockets, &tid);
	struct socket *sock;

	if (!value)
		return 0;
	sock = (struct socket *)*value;
	bpf_map_delete_elem(&bind_sockets, &tid);
	if (ret == 0)
		emit_socket_record(BPF_CORE_READ(sock, sk), RARENET_ACTION_BIND, RARENET_HOOK_KPROBE);
	return 0;
}

SEC("kprobe/inet_bind")
int BPF_KPROBE(rarenet_kprobe_inet_bind, struct socket *sock)
{
	return remember_bind_socket(sock);
}

SEC("kretprobe/inet_bind")
int BPF_KRETPROBE(rarenet_kretprobe_inet_bind, int ret)
{
	return emit_remembered_bind(ret);
}

SEC("kprobe/inet6_bind")
int BPF_KPROBE(rarenet_kprobe_inet6_bind, struct socket *sock)
{
	return remember_bind_socket(sock);
}

SEC("kretprobe/inet6_bind")
int BPF_KRETPROBE(rarenet_kretprobe_inet6_bind, int ret)
{
	return emit_remembered_bind(ret);
}

/* ---- tracepoint mode ---- */

SEC("tp/syscalls/sys_enter_connect")
int rarenet_tp_sys_enter_connect(struct trace_event_raw_sys_enter *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	struct pending_connect *pending;
	struct pending_connect fresh = { .in_call = 1 };

	if (is_self(pid_tgid))
		return 0;
	pending = bpf_map_lookup_elem(&connect_calls, &tid);
	if (pending)
		*pending = fresh; /* only this thread touches its entry */
	else
		bpf_map_update_elem(&connect_calls, &tid, &fresh, BPF_ANY);
	return 0;
}

static __always_inline void emit_connect(const struct pending_connect *connect)
{
	struct rarenet_network_record *record;

	record = reserve_network_record(RARENET_ACTION_CONNECT, RARENET_HOOK_TRACEPOINT);
	if (!record)
		return;
	record->family = connect->family;
	record->protocol = IPPROTO_TCP;
	record->sport = connect->sport;
	record->dport = connect->dport;
	__builtin_memcpy(record->saddr, connect->saddr, sizeof(record->saddr));
	__builtin_memcpy(record->daddr, connect->daddr, sizeof(record->daddr));
	bpf_ringbuf_submit(record, 0);
}

/*
 * A TCP socket sends its SYN: this runs in the connecting task. Inside
 * connect(2) the record waits for the syscall's exit (the source port is not
 * chosen yet); elsewhere (io_uring, TCP Fast Open's sendmsg) it goes now.
 * A connect that fails (SYN_SENT -> CLOSE) leaves its source port in
 * failed_connect_ports, for sys_exit_connect.
 */
SEC("tp/sock/inet_sock_set_state")
int rarenet_tp_inet_sock_set_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	__u64 pid_tgid;
	__u32 tid;
	struct pending_connect *pending;
	struct pending_connect immediate = {};

	if (ctx->protocol != IPPROTO_TCP)
		return 0;
	if (ctx->oldstate == TCP_SYN_SENT && ctx->newstate == TCP_CLOSE) {
		__u64 sk = (__u64)ctx->skaddr;
		__u16 sport = ctx->sport;

		bpf_map_update_elem(&failed_connect_ports, &sk, &sport, BPF_ANY);
		return 0;
	}
	if (ctx->oldstate != TCP_CLOSE || ctx->newstate != TCP_SYN_SENT)
		return 0;
	pid_tgid = bpf_get_current_pid_tgid();
	if (is_self(pid_tgid))
		return 0;
	tid = (__u32)pid_tgid;
	pending = bpf_map_lookup_elem(&connect_calls, &tid);
	if (!pending || !pending->in_call)
		pending = &immediate;

	pending->sk = (__u64)ctx->skaddr;
	pending->family = ctx->family;
	pending->sport = ctx->sport;
	pending->dport = ctx->dport;
	/* Relocated fields of the context can only be loaded whole: copy through a helper. */
	if (ctx->family == AF_INET) {
		bpf_core_read(pending->saddr, 4, &ctx->saddr);
		bpf_core_read(pending->daddr, 4, &ctx->daddr);
	} else {
		bpf_core_read(pending->saddr, 16, &ctx->saddr_v6);
		bpf_core_read(pending->daddr, 16, &ctx->daddr_v6);
	}
	if (pending == &immediate)
		emit_connect(&immediate);
	return 0;
}

SEC("tp/syscalls/sys_exit_connect")
int rarenet_tp_sys_exit_connect(struct trace_event_raw_sys_exit *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pending_connect *pending = bpf_map_lookup_elem(&connect_calls, &tid);
	struct pending_connect connect;
	struct sock *sk;

	if (!pending || !pending->in_call)
		return 0;
	connect = *pending;
	pending->in_call = 0;
	sk = (struct sock *)connect.sk;
	if (!sk)
		return 0; /* no SYN: not TCP, or it failed before sending one */
	if (!connect.sport)
		connect.sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (!connect.sport) {
		/* The connect failed and released its port: the failure saw it. */
		__u64 key = connect.sk;
		__u16 *failed = bpf_map_lookup_elem(&failed_connect_ports, &key);

		if (failed) {
			connect.sport = *failed;
			bpf_map_delete_elem(&failed_connect_ports, &key);
		}
	}
	emit_connect(&connect);
	return 0;
}

SEC("tp/syscalls/sys_enter_bind")
int rarenet_tp_sys_enter_bind(struct trace_event_raw_sys_enter *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	__s32 fd = (__s32)ctx->args[0];

	if (!is_self(pid_tgid))
		bpf_map_update_elem(&bind_fds, &tid, &fd, BPF_ANY);
	return 0;
}

/* The socket behind a file descriptor of the current task, or NULL. */
static __always_inline struct socket *socket_of_fd(__s32 fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **files;
	struct file *file = NULL;
	struct socket *sock;

	if (!fdt || fd < 0 || (__u32)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	files = BPF_CORE_READ(fdt, fd);
	bpf_probe_read_kernel(&file, sizeof(file), &files[fd]);
	if (!file)
		return NULL;
	sock = BPF_CORE_READ(file, private_data);
	/* A socket's file points back at it; any other file's private data does not. */
	if (!sock || BPF_CORE_READ(sock, file) != file)
		return NULL;
	return sock;
}

SEC("tp/syscalls/sys_exit_bind")
int rarenet_tp_sys_exit_bind(struct trace_event_raw_sys_exit *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__s32 *remembered = bpf_map_lookup_elem(&bind_fds, &tid);
	struct socket *sock;
	__s32 fd;

	if (!remembered)
		return 0;
	fd = *remembered;
	bpf_map_delete_elem(&bind_fds, &tid);
	if (ctx->ret != 0)
		return 0;
	sock = socket_of_fd(fd);
	if (sock)
		emit_socket_record(BPF_CORE_READ(sock, sk), RARENET_ACTION_BIND, RARENET_HOOK_TRACEPOINT);
	return 0;
}

/* ---- processes (both modes) ---- */

/* d_unlinked(): a dentry that was removed from its directory. */
static __always_inline bool dentry_is_unlinked(struct dentry *dentry)
{
	return BPF_CORE_READ(dentry, d_parent) != dentry && BPF_CORE_READ(dentry, d_hash.pprev) == NULL;
}

/*
 * The absolute path of a file, as d_path() would print it from the root of
 * its mount namespace: walk d_parent up to each mount's root, then continue
 * from the mount point in the parent mount. The path is assembled backwards
 * in per-CPU scratch space; if it does not fit, it keeps its tail.
 */
static __always_inline void read_file_path(struct rarenet_exec_record *record, struct file *file)
{
	__u32 zero = 0;
	struct path_scratch *scratch = bpf_map_lookup_elem(&path_scratch, &zero);
	struct dentry *dentry = BPF_CORE_READ(file, f_path.dentry);
	struct vfsmount *vfsmnt = BPF_CORE_READ(file, f_path.mnt);
	struct mount *mnt = (void *)vfsmnt - bpf_core_field_offset(struct mount, mnt);
	bool complete = false;
	__u32 pos, len;

	if (!scratch || !dentry || !vfsmnt)
		return;
	if (dentry_is_unlinked(dentry))
		record->flags |= RARENET_EXEC_PATH_DELETED;
	scratch->pos = RARENET_PATH_MAX;

	for (int step = 0; step < PATH_STEPS_MAX; step++) {
		struct dentry *parent = BPF_CORE_READ(dentry, d_parent);
		struct qstr name;

		if (dentry == BPF_CORE_READ(mnt, mnt.mnt_root)) {
			struct mount *mnt_parent = BPF_CORE_READ(mnt, mnt_parent);

			if (mnt_parent == mnt) {
				complete = true; /* the root of the namespace */
				break;
			}
			dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = mnt_parent;
			continue;
		}
		name = BPF_CORE_READ(dentry, d_name);
		len = name.len & NAME_LEN_MASK;
		pos = scratch->pos;
		if (len + 1 > pos)
			break;
		pos -= len;
		bpf_probe_read_kernel(&scratch->buf[pos & PATH_OFFSET_MASK], len, name.name);
		pos -= 1;
		scratch->buf[pos & PATH_OFFSET_MASK] = '/';
		scratch->pos = pos;
		if (parent == dentry) {
			/* The root of a file system that is mounted nowhere (memfd, a
			 * pseudo file): d_path() shows it as "/name (deleted)". */
			record->flags |= RARENET_EXEC_PATH_DELETED;
			complete = true;
			break;
		}
		dentry = parent;
	}
	if (!complete)
		record->flags |= RARENET_EXEC_PATH_TRUNCATED;
	pos = scratch->pos;
	if (pos == RARENET_PATH_MAX) {
		pos -= 1;
		scratch->buf[pos & PATH_OFFSET_MASK] = '/';
	}
	len = (RARENET_PATH_MAX - pos) & (RARENET_PATH_MAX * 2 - 1);
	if (len > RARENET_PATH_MAX)
		len = RARENET_PATH_MAX;
	if (bpf_probe_read_kernel(record->path, len, &scratch->buf[pos & PATH_OFFSET_MASK]) == 0)
		record->path_len = len;
}

/* argv of the new image, NUL-separated, from the process's own memory. */
static __always_inline void read_args(struct rarenet_exec_record *record, struct mm_struct *mm)
{
	unsigned long start = BPF_CORE_READ(mm, arg_start);
	unsigned long end = BPF_CORE_READ(mm, arg_end);
	unsigned long len;

	if (end <= start)
		return;
	len = end - start;
	if (len > RARENET_ARGS_MAX) {
		len = RARENET_ARGS_MAX;
		record->flags |= RARENET_EXEC_ARGS_TRUNCATED;
	}
	if (bpf_probe_read_user(record->args, len, (const void *)start) == 0)
		record->args_len = len;
}

SEC("tp/sched/sched_process_exec")
int rarenet_tp_sched_process_exec(void *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct rarenet_exec_record *record;
	struct mm_struct *mm;

	if (is_self(pid_tgid))
		return 0;
	record = bpf_ringbuf_reserve(&rarenet_events, sizeof(*record), 0);
	if (!record) {
		count_drop(RARENET_COUNTER_DROPPED_EXEC);
		return 0;
	}
	__builtin_memset(record, 0, sizeof(*record));
	fill_header(&record->header, RARENET_RECORD_EXEC, sizeof(*record), task, pid_tgid);
	read_credentials(task, &record->ppid, &record->uid, &record->gid);
	record->cgroup_id = bpf_get_current_cgroup_id();
	read_executable_file(task, &record->executable);
	bpf_get_current_comm(record->comm, sizeof(record->comm));
	/* By now the new image is in place: mm is the new one, exe_file its file. */
	mm = BPF_CORE_READ(task, mm);
	read_file_path(record, BPF_CORE_READ(mm, exe_file));
	read_args(record, mm);
	bpf_ringbuf_submit(record, 0);
	return 0;
}

/* The whole thread group ended: on Linux >= 6.16 the tracepoint says so, before it the leader's exit stands for it. */
static __always_inline bool group_ended(struct trace_event_raw_sched_process_exit *ctx, __u64 pid_tgid)
{
	if (bpf_core_field_exists(ctx->group_dead))
		return ctx->group_dead;
	return (__u32)pid_tgid == (__u32)(pid_tgid >> 32);
}

/* The process's status as wait(2) reports it. */
static __always_inline __s32 exit_status(struct task_struct *task)
{
	if (BPF_CORE_READ(task, signal, flags) & SIGNAL_GROUP_EXIT)
		return BPF_CORE_READ(task, signal, group_exit_code);
	return BPF_CORE_READ(task, group_leader, exit_code);
}

SEC("tp/sched/sched_process_exit")
int rarenet_tp_sched_process_exit(struct trace_event_raw_sched_process_exit *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct rarenet_exit_record *record;

	if (!group_ended(ctx, pid_tgid) || is_self(pid_tgid))
		return 0;
	record = bpf_ringbuf_reserve(&rarenet_events, sizeof(*record), 0);
	if (!record) {
		count_drop(RARENET_COUNTER_DROPPED_EXIT);
		return 0;
	}
	fill_header(&record->header, RARENET_RECORD_EXIT, sizeof(*record), task, pid_tgid);
	record->ppid = BPF_CORE_READ(task, real_parent, tgid);
	record->exit_code = exit_status(task);
	bpf_ringbuf_submit(record, 0);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
