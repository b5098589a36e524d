// SPDX-License-Identifier: Apache-2.0
/*
 * The scripted network workload of `make vmtest` (vmtest/README.md), run in a
 * guest while `rarenet record` watches it. Compiled with `gcc -static`: the
 * guest has no C library of its own.
 *
 *   workload EXPECTED QUICK_CONNECT
 *                                every step below, one JSON line per event it
 *                                causes appended to EXPECTED; QUICK_CONNECT is
 *                                a copy of this program under another name,
 *                                the short-lived executable the exec step runs
 *   workload connect-and-exit PORT
 *                                connect to 127.0.0.1:PORT and _exit at once
 *                                (WORKLOAD_T0_NS in the environment: CLOCK_MONOTONIC
 *                                just before execve, kept out of argv so that
 *                                the event's args are the same in every run)
 *   workload connect HOST PORT   one TCP connect attempt (the systemd guest's
 *                                never-seen binary), its outcome ignored
 *
 * Each expected line says what the sensor must record for the event, taken
 * from the kernel's own answers, never from the sensor: getsockname() and
 * getpeername() for addresses and ports, accept() for the source port of a
 * child that exits before it could say, and for the refused connect, whose
 * source port the kernel releases when the RST comes, the SYN itself as a raw
 * socket receives it. `step` names the step; every other member is a field of
 * the event record (DESIGN.md, "Event record format").
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Ports the steps bind explicitly; the guest runs nothing else that could hold them. */
enum { FIXED_TCP_PORT = 47001, FIXED_UDP_PORT = 47002, REFUSED_PORT = 47009 };

static int expected_fd = -1;
static const char *self_exe;

static void die(const char *what)
{
	fprintf(stderr, "workload: %s: %s\n", what, strerror(errno));
	exit(1);
}

static long long monotonic_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec * 1000000000LL + now.tv_nsec;
}

/* An address and port, whichever the family. */
struct endpoint {
	int family; /* 4 or 6 */
	char addr[INET6_ADDRSTRLEN];
	unsigned port;
};

static struct endpoint endpoint_of(const struct sockaddr_storage *ss)
{
	struct endpoint e = { 0 };

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)ss;
		e.family = 4;
		inet_ntop(AF_INET, &in->sin_addr, e.addr, sizeof(e.addr));
		e.port = ntohs(in->sin_port);
	} else {
		const struct sockaddr_in6 *in6 = (const void *)ss;
		e.family = 6;
		inet_ntop(AF_INET6, &in6->sin6_addr, e.addr, sizeof(e.addr));
		e.port = ntohs(in6->sin6_port);
	}
	return e;
}

static struct endpoint local_endpoint(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		die("getsockname");
	return endpoint_of(&ss);
}

static struct endpoint peer_endpoint(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
		die("getpeername");
	return endpoint_of(&ss);
}

static socklen_t make_address(struct sockaddr_storage *ss, int domain, const char *addr, unsigned port)
{
	memset(ss, 0, sizeof(*ss));
	if (domain == AF_INET) {
		struct sockaddr_in *in = (void *)ss;
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		if (inet_pton(AF_INET, addr, &in->sin_addr) != 1)
			die(addr);
		return sizeof(*in);
	}
	struct sockaddr_in6 *in6 = (void *)ss;
	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons(port);
	if (inet_pton(AF_INET6, addr, &in6->sin6_addr) != 1)
		die(addr);
	return sizeof(*in6);
}

/* A socket of `domain`; IPv6 sockets are v6-only unless `dual_stack`. */
static int new_socket(int domain, int type, int dual_stack)
{
	int fd = socket(domain, type | SOCK_CLOEXEC, 0);
	int v6only = !dual_stack;

	if (fd < 0)
		die("socket");
	if (domain == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) != 0)
		die("IPV6_V6ONLY");
	return fd;
}

static void append_expected(const char *format, ...)
{
	char line[1024];
	va_list args;
	int len;

	va_start(args, format);
	len = vsnprintf(line, sizeof(line) - 1, format, args);
	va_end(args);
	line[len++] = '\n';
	if (write(expected_fd, line, len) != len) /* O_APPEND: one write, one line */
		die("write the expected events");
}

/* The identity of the process an event comes from; `args` is its argv as a JSON array. */
struct origin {
	pid_t pid, ppid;
	const char *comm, *exe, *args;
};

/* This program's argv as a JSON array (set by main). */
static char self_args[1024];

/* `argv` as a JSON array into `out`; the workload's arguments need no escapes. */
static void json_args(char *out, size_t size, char *const argv[])
{
	size_t used = 0;

	used += snprintf(out + used, size - used, "[");
	for (int i = 0; argv[i]; i++) {
		if (strpbrk(argv[i], "\\\"") || used >= size)
			die("an argument that needs JSON escapes");
		used += snprintf(out + used, size - used, "%s\"%s\"", i ? "," : "", argv[i]);
	}
	if (used + 2 > size)
		die("arguments too long");
	snprintf(out + used, size - used, "]");
}

static struct origin this_process(void)
{
	static char comm[17];

	prctl(PR_GET_NAME, comm);
	return (struct origin){ getpid(), getppid(), comm, self_exe, self_args };
}

static void expect_event(const char *step, const char *action, const struct origin *o, const char *protocol,
			 const struct endpoint *source, const struct endpoint *destination)
{
	char peer[128] = "";

	if (destination)
		snprintf(peer, sizeof(peer), ",\"daddr\":\"%s\",\"dport\":%u", destination->addr, destination->port);
	append_expected("{\"step\":\"%s\",\"action\":\"%s\",\"pid\":%d,\"uid\":%u,\"comm\":\"%s\",\"ppid\":%d,"
			"\"exe\":\"%s\",\"user\":\"root\",\"family\":%d,\"protocol\":\"%s\","
			"\"saddr\":\"%s\",\"sport\":%u%s,\"args\":%s}",
			step, action, o->pid, getuid(), o->comm, o->ppid, o->exe, source->family, protocol,
			source->addr, source->port, peer, o->args);
}

/* ---- steps ---- */

/* bind(2) to addr:port (0: the kernel picks); a TCP socket also listens. */
static int bind_step(const char *step, int domain, int type, const char *addr, unsigned port)
{
	struct sockaddr_storage ss;
	socklen_t len = make_address(&ss, domain, addr, port);
	int fd = new_socket(domain, type, 0);
	struct origin me = this_process();
	struct endpoint local;

	if (bind(fd, (struct sockaddr *)&ss, len) != 0)
		die(step);
	if (type == SOCK_STREAM && listen(fd, 16) != 0)
		die("listen");
	local = local_endpoint(fd);
	expect_event(step, "bind", &me, type == SOCK_STREAM ? "tcp" : "udp", &local, NULL);
	return fd;
}

/* A TCP connect to addr:port that succeeds; the listener's accepted end is closed. */
static void connect_step(const char *step, int domain, int dual_stack, const char *addr, unsigned port, int listener)
{
	struct sockaddr_storage ss;
	socklen_t len = make_address(&ss, domain, addr, port);
	int fd = new_socket(domain, SOCK_STREAM, dual_stack);
	struct origin me = this_process();
	struct endpoint local, remote;

	if (connect(fd, (struct sockaddr *)&ss, len) != 0)
		die(step);
	local = local_endpoint(fd);
	remote = peer_endpoint(fd);
	expect_event(step, "connect", &me, "tcp", &local, &remote);
	close(accept(listener, NULL, NULL));
	close(fd);
}

/*
 * A TCP connect to 127.0.0.1:REFUSED_PORT, where nothing listens. Once the RST
 * has come the socket has no port any more (getsockname says 0): the source
 * port is read from the SYN, which a raw TCP socket receives as loopback
 * delivers it.
 */
static void refused_connect_step(void)
{
	struct sockaddr_storage ss;
	socklen_t len = make_address(&ss, AF_INET, "127.0.0.1", REFUSED_PORT);
	int raw = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_TCP);
	int fd = new_socket(AF_INET, SOCK_STREAM, 0);
	struct origin me = this_process();
	struct endpoint local = { .family = 4, .addr = "127.0.0.1" };
	struct endpoint remote = { .family = 4, .addr = "127.0.0.1", .port = REFUSED_PORT };
	long long deadline;

	if (raw < 0)
		die("raw socket");
	if (connect(fd, (struct sockaddr *)&ss, len) == 0 || errno != ECONNREFUSED)
		die("the refused connect was not refused");
	deadline = monotonic_ns() + 5000000000LL;
	while (!local.port) {
		unsigned char packet[256];
		struct pollfd pfd = { .fd = raw, .events = POLLIN };
		long long left = deadline - monotonic_ns();
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, (int)(left / 1000000) + 1) <= 0) {
			fprintf(stderr, "workload: no SYN to port %d seen within 5 s\n", REFUSED_PORT);
			exit(1);
		}
		n = recv(raw, packet, sizeof(packet), 0);
		if (n < (ssize_t)sizeof(struct iphdr))
			continue;
		const struct iphdr *ip = (const void *)packet;
		size_t header = ip->ihl * 4u;
		if (n < (ssize_t)(header + sizeof(struct tcphdr)))
			continue;
		const struct tcphdr *tcp = (const void *)(packet + header);
		if (tcp->syn && !tcp->ack && ntohs(tcp->dest) == REFUSED_PORT)
			local.port = ntohs(tcp->source);
	}
	expect_event("connect_refused", "connect", &me, "tcp", &local, &remote);
	close(raw);
	close(fd);
}

/*
 * A child that connects to the IPv4 listener and exits at once, either this
 * program forked (`exec_path` NULL) or a new image exec'd from `exec_path`:
 * its source port comes from accept(), since it never says anything itself.
 */
static void child_connect_step(const char *step, const char *exec_path, int listener, unsigned port)
{
	char port_arg[16], t0_arg[32], child_args[512];
	char *child_argv[] = { (char *)exec_path, "connect-and-exit", port_arg, NULL };
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct endpoint local, remote;
	struct origin child;
	int fd, status;
	pid_t pid;

	snprintf(port_arg, sizeof(port_arg), "%u", port);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		if (exec_path) {
			/* The start time goes in the environment, so that argv is the same in every run. */
			snprintf(t0_arg, sizeof(t0_arg), "%lld", monotonic_ns());
			setenv("WORKLOAD_T0_NS", t0_arg, 1);
			execv(exec_path, child_argv);
			_exit(127);
		}
		struct sockaddr_storage to;
		socklen_t to_len = make_address(&to, AF_INET, "127.0.0.1", port);
		fd = socket(AF_INET, SOCK_STREAM, 0);
		_exit(connect(fd, (struct sockaddr *)&to, to_len) == 0 ? 0 : 1);
	}
	fd = accept(listener, (struct sockaddr *)&ss, &len);
	if (fd < 0)
		die("accept");
	local = endpoint_of(&ss);
	remote = local_endpoint(fd);
	close(fd);
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) == 255 || (!exec_path && WEXITSTATUS(status) != 0)) {
		fprintf(stderr, "workload: %s: the child failed (wait status %#x)\n", step, status);
		exit(1);
	}
	if (exec_path) {
		const char *base = strrchr(exec_path, '/');
		json_args(child_args, sizeof(child_args), child_argv);
		child = (struct origin){ pid, getpid(), base ? base + 1 : exec_path, exec_path, child_args };
		fprintf(stderr, "workload: %s: %d ms from execve to connect\n", step, WEXITSTATUS(status));
	} else {
		child = this_process();
		child.pid = pid;
		child.ppid = getpid();
	}
	expect_event(step, "connect", &child, "tcp", &local, &remote);
}

/* ---- the subcommands ---- */

/*
 * `connect-and-exit`: the exec'd child, as short-lived as a process can be.
 * Its exit status is the whole milliseconds from the parent's execve to just
 * before the connect (at most 200), or 255 if the connect failed.
 */
static int connect_and_exit(const char *port)
{
	const char *t0 = getenv("WORKLOAD_T0_NS");

	struct sockaddr_storage to;
	socklen_t len = make_address(&to, AF_INET, "127.0.0.1", (unsigned)atoi(port));
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	long long elapsed_ms = t0 ? (monotonic_ns() - atoll(t0)) / 1000000 : 200;

	if (connect(fd, (struct sockaddr *)&to, len) != 0)
		_exit(255);
	_exit(elapsed_ms > 200 ? 200 : (int)elapsed_ms);
}

/* `connect`: one attempt, for the systemd guest's alerts. */
static int connect_once(const char *host, const char *port)
{
	struct sockaddr_storage to;
	int domain = strchr(host, ':') ? AF_INET6 : AF_INET;
	socklen_t len = make_address(&to, domain, host, (unsigned)atoi(port));
	int fd = socket(domain, SOCK_STREAM, 0);

	if (connect(fd, (struct sockaddr *)&to, len) != 0)
		fprintf(stderr, "workload: connect %s %s: %s (as intended or not, the attempt is the event)\n", host,
			port, strerror(errno));
	return 0;
}

static int run_steps(const char *expected_path, const char *quick_connect_path)
{
	int tcp4, tcp6, fixed[4], udp[2];

	expected_fd = open(expected_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (expected_fd < 0)
		die(expected_path);

	tcp4 = bind_step("bind_tcp4_port0", AF_INET, SOCK_STREAM, "127.0.0.1", 0);
	tcp6 = bind_step("bind_tcp6_port0", AF_INET6, SOCK_STREAM, "::1", 0);
	fixed[0] = bind_step("bind_tcp4_fixed", AF_INET, SOCK_STREAM, "0.0.0.0", FIXED_TCP_PORT);
	fixed[1] = bind_step("bind_tcp6_fixed", AF_INET6, SOCK_STREAM, "::", FIXED_TCP_PORT);
	udp[0] = bind_step("bind_udp4_port0", AF_INET, SOCK_DGRAM, "127.0.0.1", 0);
	udp[1] = bind_step("bind_udp6_port0", AF_INET6, SOCK_DGRAM, "::1", 0);
	fixed[2] = bind_step("bind_udp4_fixed", AF_INET, SOCK_DGRAM, "0.0.0.0", FIXED_UDP_PORT);
	fixed[3] = bind_step("bind_udp6_fixed", AF_INET6, SOCK_DGRAM, "::", FIXED_UDP_PORT);

	unsigned port4 = local_endpoint(tcp4).port, port6 = local_endpoint(tcp6).port;
	connect_step("connect_tcp4", AF_INET, 0, "127.0.0.1", port4, tcp4);
	connect_step("connect_tcp6", AF_INET6, 0, "::1", port6, tcp6);
	connect_step("connect_tcp6_v4mapped", AF_INET6, 1, "::ffff:127.0.0.1", port4, tcp4);
	refused_connect_step();
	child_connect_step("exec_connect_exit", quick_connect_path, tcp4, port4);
	child_connect_step("fork_connect_exit", NULL, tcp4, port4);

	for (int i = 0; i < 4; i++)
		close(fixed[i]);
	close(udp[0]);
	close(udp[1]);
	close(tcp4);
	close(tcp6);
	return 0;
}

int main(int argc, char **argv)
{
	static char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		die("readlink /proc/self/exe");
	exe[n] = 0;
	self_exe = exe;
	json_args(self_args, sizeof(self_args), argv);
	if (argc == 3 && strcmp(argv[1], "connect-and-exit") == 0)
		return connect_and_exit(argv[2]);
	if (argc == 4 && strcmp(argv[1], "connect") == 0)
		return connect_once(argv[2], argv[3]);
	if (argc == 3)
		return run_steps(argv[1], argv[2]);
	fprintf(stderr, "usage: %s EXPECTED QUICK_CONNECT | connect-and-exit PORT (WORKLOAD_T0_NS set) | connect HOST PORT\n",
		argv[0]);
	return 2;
}
