#ifndef C_RARENET_SYSTEM_H
#define C_RARENET_SYSTEM_H

/* System calls Swift cannot call directly: prctl(2) is variadic and glibc
 * has no capset(2) wrapper. Each returns 0 or -1 with errno set. */

/* Removes capability `capability` from the bounding set (PR_CAPBSET_DROP). */
int rarenet_drop_bounding_capability(int capability);

/* Clears the ambient capability set (PR_CAP_AMBIENT_CLEAR_ALL). */
int rarenet_clear_ambient_capabilities(void);

/* Sets PR_SET_NO_NEW_PRIVS: execve can never grant privileges again. */
int rarenet_set_no_new_privileges(void);

/* Sets the effective and permitted sets to `keep` (bits by capability
 * number, 64 bits) and the inheritable set to empty (capset(2), v3). */
int rarenet_set_capabilities(unsigned long long keep);

/* Names the calling thread (PR_SET_NAME; at most 15 bytes are kept). */
int rarenet_set_thread_name(const char *name);

#endif
