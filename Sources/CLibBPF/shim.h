#ifndef C_LIBBPF_SHIM_H
#define C_LIBBPF_SHIM_H
#include <linux/bpf.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
/* Not in Swift's Glibc module: the ring buffer consumer's wake-ups. */
#include <sys/epoll.h>
#include <sys/eventfd.h>
#endif
