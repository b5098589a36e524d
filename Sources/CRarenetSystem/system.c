#include "CRarenetSystem.h"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int rarenet_drop_bounding_capability(int capability)
{
	return prctl(PR_CAPBSET_DROP, capability, 0, 0, 0);
}

int rarenet_clear_ambient_capabilities(void)
{
	return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
}

int rarenet_set_no_new_privileges(void)
{
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

int rarenet_set_capabilities(unsigned long long keep)
{
	struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {
		{ .effective = (__u32)keep, .permitted = (__u32)keep, .inheritable = 0 },
		{ .effective = (__u32)(keep >> 32), .permitted = (__u32)(keep >> 32), .inheritable = 0 },
	};
	return (int)syscall(SYS_capset, &header, data);
}

int rarenet_set_thread_name(const char *name)
{
	return prctl(PR_SET_NAME, name, 0, 0, 0);
}
