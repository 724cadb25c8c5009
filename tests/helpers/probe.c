/* probe: tries one hostile thing from inside a context and prints what the
 * kernel answered, as "NAME=ERRNO" lines (0 = it worked). Used by the ctx
 * unit tests, like bubblewrap's tests/try-syscall.c.
 *
 *   probe sys NAME...          each syscall with every argument -1
 *   probe x32 NAME...          the same through the x32 ABI (nr | 0x40000000)
 *   probe i386                 is the i386 ABI (int 0x80) usable at all?
 *   probe ioctl                TIOCSTI / TIOCLINUX, also with high bits set
 *   probe clone-ns             clone with each CLONE_NEW* flag
 *   probe clone3               clone3
 *   probe personality          a few personas
 *   probe socket               a few address families
 *   probe unknown              syscalls not on the allowlist, some newer than libseccomp
 *   probe mknod PATH           a block device node
 *   probe kill PID | ptrace PID
 *   probe connect ADDR PORT    TCP, 1 s
 *   probe fd N                 is fd N open?
 *   probe open PATH r|w
 *   probe sethostname NAME
 *   probe forkbomb N           fork N sleeping children, print how many worked
 *   probe alloc MB             allocate and touch MB megabytes
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

static const struct {
	const char *name;
	long nr;
} table[] = {
#define S(n) { #n, SYS_##n }
	S(keyctl), S(add_key), S(request_key), S(kexec_load), S(kexec_file_load), S(init_module),
	S(finit_module), S(delete_module), S(open_by_handle_at), S(name_to_handle_at), S(perf_event_open),
	S(bpf), S(userfaultfd), S(io_uring_setup), S(io_uring_enter), S(io_uring_register), S(mount),
	S(umount2), S(fsopen), S(fsconfig), S(fsmount), S(fspick), S(move_mount), S(open_tree),
	S(mount_setattr), S(pivot_root), S(unshare), S(setns), S(reboot), S(swapon), S(swapoff),
	S(settimeofday), S(clock_settime), S(adjtimex), S(clock_adjtime), S(acct), S(quotactl),
	S(quotactl_fd), S(syslog), S(modify_ldt), S(lookup_dcookie), S(fanotify_init), S(fanotify_mark),
	S(vhangup), S(iopl), S(ioperm), S(uselib), S(ustat), S(sysfs), S(_sysctl), S(nfsservctl),
	S(migrate_pages), S(move_pages), S(memfd_secret), S(create_module), S(query_module),
	S(get_kernel_syms), S(getpid), S(getppid),
#undef S
};

static void out(const char *name, long r)
{
	printf("%s=%d\n", name, r < 0 ? errno : 0);
}

static long nr_of(const char *name)
{
	for (size_t i = 0; i < sizeof table / sizeof *table; i++)
		if (strcmp(table[i].name, name) == 0)
			return table[i].nr;
	return -1;
}

static int sys(int argc, char **argv, long bits)
{
	for (int i = 0; i < argc; i++) {
		long nr = nr_of(argv[i]);

		if (nr < 0) {
			printf("%s=?\n", argv[i]);
			continue;
		}
		errno = 0;
		out(argv[i], syscall(nr | bits, -1L, -1L, -1L, -1L, -1L, -1L));
	}
	return 0;
}

static int i386_abi(void)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		long r, nr = 20; /* getpid */

		__asm__ volatile("int $0x80" : "=a"(r) : "a"(nr) : "memory");
		_exit(r > 0 ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	printf("i386=%s\n", WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "yes" : "no");
	return 0;
}

static int ioctls(void)
{
	char c = 'x';
	int fd = open("/dev/ptmx", O_RDWR | O_NOCTTY);

	if (fd < 0)
		fd = 0;
	errno = 0;
	out("tiocsti", syscall(SYS_ioctl, fd, (long)TIOCSTI, &c));
	out("tiocsti_high", syscall(SYS_ioctl, fd, (long)TIOCSTI | (1L << 32), &c));
	out("tioclinux", syscall(SYS_ioctl, fd, (long)TIOCLINUX, &c));
	out("tioclinux_high", syscall(SYS_ioctl, fd, (long)TIOCLINUX | (0xffL << 40), &c));
	out("fionread", syscall(SYS_ioctl, fd, (long)FIONREAD, &(int){ 0 }));
	return 0;
}

static int clone_ns(void)
{
	static const struct { const char *name; long flag; } f[] = {
		{ "newuser", CLONE_NEWUSER }, { "newns", CLONE_NEWNS }, { "newpid", CLONE_NEWPID },
		{ "newnet", CLONE_NEWNET }, { "newuts", CLONE_NEWUTS }, { "newipc", CLONE_NEWIPC },
		{ "newcgroup", CLONE_NEWCGROUP }, { "newuser_high", CLONE_NEWUSER | (1L << 40) },
		{ "plain", 0 },
	};

	for (size_t i = 0; i < sizeof f / sizeof *f; i++) {
		long r = syscall(SYS_clone, f[i].flag | SIGCHLD, 0L, 0L, 0L, 0L);

		if (r == 0)
			_exit(0);
		if (r > 0)
			waitpid((pid_t)r, NULL, 0);
		out(f[i].name, r);
	}
	return 0;
}

static int clone3_(void)
{
	struct clone_args a = { .exit_signal = SIGCHLD };
	long r = syscall(SYS_clone3, &a, sizeof a);

	if (r == 0)
		_exit(0);
	if (r > 0)
		waitpid((pid_t)r, NULL, 0);
	out("clone3", r);
	return 0;
}

static int personas(void)
{
	out("read_implies_exec", syscall(SYS_personality, (long)(PER_LINUX | READ_IMPLIES_EXEC)));
	out("addr_no_randomize", syscall(SYS_personality, (long)(PER_LINUX | ADDR_NO_RANDOMIZE)));
	out("per_bsd", syscall(SYS_personality, (long)PER_BSD));
	out("query", syscall(SYS_personality, 0xffffffffL));
	out("per_linux", syscall(SYS_personality, (long)PER_LINUX));
	out("per_linux32", syscall(SYS_personality, (long)PER_LINUX32));
	syscall(SYS_personality, (long)PER_LINUX);
	return 0;
}

static int sockets(void)
{
	static const struct { const char *name; int family, type; } s[] = {
		{ "unix", AF_UNIX, SOCK_STREAM }, { "inet", AF_INET, SOCK_STREAM }, { "inet6", AF_INET6, SOCK_DGRAM },
		{ "netlink", AF_NETLINK, SOCK_RAW }, { "packet", AF_PACKET, SOCK_RAW }, { "key", AF_KEY, SOCK_RAW },
		{ "alg", AF_ALG, SOCK_SEQPACKET }, { "vsock", AF_VSOCK, SOCK_STREAM }, { "bluetooth", AF_BLUETOOTH, SOCK_RAW },
	};

	for (size_t i = 0; i < sizeof s / sizeof *s; i++) {
		long r = syscall(SYS_socket, (long)s[i].family, (long)s[i].type, 0L);

		out(s[i].name, r);
		if (r >= 0)
			close((int)r);
	}
	out("unix_high", syscall(SYS_socket, (long)AF_UNIX | (1L << 32), (long)SOCK_STREAM, 0L));
	return 0;
}

static int unknown(void)
{
	/* cachestat (451): known to libseccomp, not on the allowlist;
	 * statmount (457) and mseal (462): newer than libseccomp 2.5.4 */
	out("cachestat", syscall(451, -1L, 0L, 0L, 0L, 0L));
	out("statmount", syscall(457, 0L, 0L, 0L, 0L, 0L));
	out("mseal", syscall(462, 0L, 0L, 0L, 0L, 0L));
	out("nr_1000", syscall(1000, 0L));
	return 0;
}

static int connect_to(const char *addr, const char *port)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)atoi(port)) };
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)) };
	int v6 = strchr(addr, ':') != NULL, fd, r;
	struct pollfd p;

	if (v6 ? inet_pton(AF_INET6, addr, &a6.sin6_addr) != 1 : inet_pton(AF_INET, addr, &a4.sin_addr) != 1)
		return 2;
	fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		out("socket", -1);
		return 0;
	}
	r = v6 ? connect(fd, (struct sockaddr *)&a6, sizeof a6) : connect(fd, (struct sockaddr *)&a4, sizeof a4);
	if (r < 0 && errno == EINPROGRESS) {
		p = (struct pollfd){ .fd = fd, .events = POLLOUT };
		if (poll(&p, 1, 1000) == 0) {
			errno = ETIMEDOUT;
		} else {
			int e = 0;
			socklen_t l = sizeof e;

			getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l);
			errno = e;
			r = e ? -1 : 0;
		}
	}
	out("connect", r);
	return 0;
}

static int forkbomb(int n)
{
	int ok = 0, first_err = 0;

	for (int i = 0; i < n; i++) {
		pid_t p = fork();

		if (p == 0) {
			pause();
			_exit(0);
		}
		if (p < 0) {
			if (!first_err)
				first_err = errno;
			continue;
		}
		ok++;
	}
	printf("forked=%d\nfork_errno=%d\n", ok, first_err);
	return 0;
}

static int alloc(long mb)
{
	for (long i = 0; i < mb; i++) {
		char *p = malloc(1 << 20);

		if (!p) {
			printf("alloc_failed_at=%ld\n", i);
			return 0;
		}
		memset(p, (int)i, 1 << 20);
	}
	printf("allocated=%ld\n", mb);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(cmd, "sys") == 0)
		return sys(argc - 2, argv + 2, 0);
	if (strcmp(cmd, "x32") == 0)
		return sys(argc - 2, argv + 2, 0x40000000L);
	if (strcmp(cmd, "i386") == 0)
		return i386_abi();
	if (strcmp(cmd, "ioctl") == 0)
		return ioctls();
	if (strcmp(cmd, "clone-ns") == 0)
		return clone_ns();
	if (strcmp(cmd, "clone3") == 0)
		return clone3_();
	if (strcmp(cmd, "personality") == 0)
		return personas();
	if (strcmp(cmd, "socket") == 0)
		return sockets();
	if (strcmp(cmd, "unknown") == 0)
		return unknown();
	if (strcmp(cmd, "mknod") == 0 && argc == 3) {
		out("mknod", mknod(argv[2], S_IFBLK | 0600, makedev(8, 0)));
		return 0;
	}
	if (strcmp(cmd, "kill") == 0 && argc == 3) {
		out("kill", kill((pid_t)atoi(argv[2]), 0));
		return 0;
	}
	if (strcmp(cmd, "ptrace") == 0 && argc == 3) {
		out("ptrace", ptrace(PTRACE_ATTACH, (pid_t)atoi(argv[2]), NULL, NULL));
		return 0;
	}
	if (strcmp(cmd, "connect") == 0 && argc == 4)
		return connect_to(argv[2], argv[3]);
	if (strcmp(cmd, "fd") == 0 && argc == 3) {
		out("fd", fcntl(atoi(argv[2]), F_GETFD));
		return 0;
	}
	if (strcmp(cmd, "open") == 0 && argc == 4) {
		int fd = open(argv[2], (argv[3][0] == 'w' ? O_WRONLY : O_RDONLY) | O_CLOEXEC);

		out("open", fd);
		return 0;
	}
	if (strcmp(cmd, "sethostname") == 0 && argc == 3) {
		out("sethostname", sethostname(argv[2], strlen(argv[2])));
		return 0;
	}
	if (strcmp(cmd, "forkbomb") == 0 && argc == 3)
		return forkbomb(atoi(argv[2]));
	if (strcmp(cmd, "alloc") == 0 && argc == 3)
		return alloc(atol(argv[2]));
	fprintf(stderr, "probe: unknown command\n");
	return 2;
}
