/* Capabilities and the privilege drop of a context's processes. */
#include "caps.h"
#include "bserr.h"

#include <ctype.h>
#include <errno.h>
#include <linux/securebits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

uint64_t bs_caps_default(void)
{
	return BS_CAP(CAP_CHOWN) | BS_CAP(CAP_DAC_OVERRIDE) | BS_CAP(CAP_FOWNER) | BS_CAP(CAP_FSETID) |
	       BS_CAP(CAP_SETUID) | BS_CAP(CAP_SETGID) | BS_CAP(CAP_SETFCAP) | BS_CAP(CAP_KILL);
}

int bs_caps_from_name(const char *name)
{
	char buf[64];
	cap_value_t v;

	if (!name || strlen(name) >= sizeof buf - 4)
		return -EINVAL;
	if (strncasecmp(name, "cap_", 4) == 0)
		name += 4;
	if (!*name)
		return -EINVAL;
	for (size_t i = 0; name[i]; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') || name[i] == '_'))
			return -EINVAL;
	strcpy(buf, "cap_");
	for (size_t i = 0; name[i]; i++)
		buf[4 + i] = (char)tolower((unsigned char)name[i]);
	buf[4 + strlen(name)] = '\0';
	if (cap_from_name(buf, &v) < 0 || v < 0 || v > 63)
		return -EINVAL;
	return v;
}

/* Sets permitted and effective to `set`, inheritable to nothing. */
/* capset: permitted = effective = set, inheritable empty. The raw system
 * call, no allocation: it runs in a child that shares bsrun's memory. */
static int set_proc(uint64_t set, int last)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2];

	if (last < 63)
		set &= (BS_CAP(last) << 1) - 1;
	memset(data, 0, sizeof data);
	data[0].effective = data[0].permitted = (uint32_t)set;
	data[1].effective = data[1].permitted = (uint32_t)(set >> 32);
	return syscall(SYS_capset, &hdr, data) < 0 ? -errno : 0;
}

int bs_caps_drop(uint64_t keep, char *err, size_t errlen)
{
	return bs_caps_drop_bound(keep, keep, err, errlen);
}

int bs_caps_limit(uint64_t keep)
{
	int last = (int)cap_max_bits() - 1;

	if (last < 0 || last > 63)
		return -EINVAL;
	return set_proc(keep, last);
}

int bs_caps_drop_bound(uint64_t bound, uint64_t keep, char *err, size_t errlen)
{
	int last = (int)cap_max_bits() - 1, ret;
	unsigned secbits = SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
			   SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;

	if (last < 0 || last > 63)
		return bs_failx(err, errlen, EINVAL, "cannot tell the last capability (%d)", last);
	/* 1. bounding set: every capability the kernel knows that is not kept */
	for (int i = 0; i <= last; i++) {
		if (bound & BS_CAP(i))
			continue;
		if (cap_drop_bound((cap_value_t)i) < 0 && errno != EINVAL)
			return bs_fail(err, errlen, errno, "drop capability %d from the bounding set", i);
	}
	/* 2. ambient set */
	if (cap_reset_ambient() < 0 && errno != EINVAL)
		return bs_fail(err, errlen, errno, "clear the ambient capabilities");
	/* 3. capset: keep + CAP_SETPCAP, which step 4 still needs */
	if ((ret = set_proc(keep | BS_CAP(CAP_SETPCAP), last)) < 0)
		return bs_fail(err, errlen, -ret, "set the process capabilities");
	/* 4. securebits, locked */
	if (cap_set_secbits(secbits) < 0)
		return bs_fail(err, errlen, errno, "lock the securebits");
	/* 5. final capset without CAP_SETPCAP unless it is kept */
	if (!(keep & BS_CAP(CAP_SETPCAP)) && (ret = set_proc(keep, last)) < 0)
		return bs_fail(err, errlen, -ret, "release CAP_SETPCAP");
	return 0;
}

int bs_caps_no_new_privs(void)
{
	return prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) < 0 ? -errno : 0;
}
