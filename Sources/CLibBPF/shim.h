#ifndef C_LIBBPF_SHIM_H
#define C_LIBBPF_SHIM_H
#include <linux/bpf.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#endif
