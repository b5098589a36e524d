#ifndef CRARENET_PREFETCH_H
#define CRARENET_PREFETCH_H

/*
 * A cache hint Swift cannot spell: ask the CPU to start loading the cache
 * line at `address` for a read. Unlike a load, a prefetch retires at once and
 * never faults, so the scorer and the process table can issue the lines of
 * lookups several events ahead without stalling on any of them.
 */
static inline void rarenet_prefetch(const void *address)
{
	__builtin_prefetch(address, 0, 3);
}

#endif
