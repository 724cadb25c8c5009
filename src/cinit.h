/* The init (PID 1) of a context and its control channel to bsrun. */
#ifndef BSRUN_CINIT_H
#define BSRUN_CINIT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define BS_CINIT_EXIT_TIMEOUT 124 /* init's exit code when the context's time ran out */

/* One message on the SOCK_SEQPACKET control socket. */
struct bs_cinit_msg {
	char op;      /* see below */
	int32_t err;  /* errno for 'E', a count for 'k' */
	char text[240];
};

/* ops: bsrun → init: 'G' go (maps written, cgroup joined), 'K' kill every
 *      process but init and answer 'k' once they are all gone, 'X' start
 *      the first command (bs_cinit_send_exec);
 *      init → bsrun: 'R' ready, 'E' setup failed (err, text), 'k' done,
 *      'P' the command started (its pidfd attached), 'x' the command ended
 *      (err: its wait status). */

#define BS_CINIT_XMAX 65536 /* largest payload of an 'X' message */

/* The 'X' payload: this header, then NUL-terminated strings: cwd, argv,
 * env. */
struct bs_first_hdr {
	uint32_t uid, gid;
	uint32_t nargv, nenv; /* nenv UINT32_MAX: the context's environment */
	uint32_t fdmask;      /* bit i: stdio fd i is attached, else /dev/null */
};

/* Sends one message; text may be NULL. Returns 0 or -errno. */
int bs_cinit_send(int fd, char op, int err, const char *text);

/* Receives one message, waiting at most timeout_ms (-1: forever). Returns 0,
 * -ETIMEDOUT, -EPIPE on end of file, or -errno. */
int bs_cinit_recv(int fd, struct bs_cinit_msg *m, int timeout_ms);

/* Receives like bs_cinit_recv; an fd passed along (SCM_RIGHTS) goes to
 * *rfd (close-on-exec), else *rfd is -1. */
int bs_cinit_recv_fd(int fd, struct bs_cinit_msg *m, int timeout_ms, int *rfd);

/* Sends an 'X' message: len (<= BS_CINIT_XMAX) bytes of payload after the
 * header, fds[0..nfds) (nfds <= 3) attached; unless keep_orphans, init
 * kills every other process once the command ended, before its 'x'.
 * Returns 0 or -errno. */
int bs_cinit_send_exec(int fd, const void *payload, size_t len, const int *fds, int nfds, int keep_orphans);

/* Starts the command an 'X' message describes, in init (fds: the ones the
 * message carried, init closes them afterwards): returns the command's pid,
 * a started child of init past its exec, or -errno with a message in err. */
typedef pid_t (*bs_cinit_spawn_fn)(void *arg, const char *payload, size_t len, const int *fds, int nfds,
				   char *err, size_t errlen);

/* Runs as PID 1 of a context until bsrun closes ctlfd or the timeout
 * (seconds, 0 = none) passes: reaps every child, forwards SIGTERM, SIGINT,
 * SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 to every process of the context,
 * kills them all on 'K' and before leaving. With listenfd >= 0 (a listening
 * SOCK_SEQPACKET socket only the context's owner can reach), it answers each
 * connection with one message carrying its namespaces nstypes (CLONE_NEW*)
 * as SCM_RIGHTS fds, the user namespace first (see bs_cinit_get_ns). With
 * spawn, the first 'X' message starts a command with spawn(spawn_arg, ...)
 * and is answered with 'P' and the command's pidfd (or 'E'), and 'x' with
 * its wait status once it is reaped (and, unless the message said to keep
 * them, every other process killed); later 'X' messages get 'E' (EBUSY).
 * Exits 0, or BS_CINIT_EXIT_TIMEOUT when the time ran out; never returns. */
_Noreturn void bs_cinit_run(int ctlfd, unsigned timeout_s, int listenfd, int nstypes, bs_cinit_spawn_fn spawn,
			    void *spawn_arg);

/* Connects to an init's namespace socket at path and receives its namespace
 * fds (O_CLOEXEC) into fds[0..max), user first; returns how many, or -errno. */
int bs_cinit_get_ns(const char *path, int *fds, int max);

/* Kills every process of the caller's PID namespace except the caller (which
 * must be its init) and reaps them. Returns how many were reaped, or -EBUSY
 * when some process that is not the caller's child stays for ~2 s. */
int bs_cinit_kill_others(void);

#endif
