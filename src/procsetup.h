/* Setup steps shared by a context's processes: its init (bsrun-init, a
 * separate static program) and the commands bsrun migrates into it. Each
 * runs in a child, on a path to exec or _exit; 0 or -errno with a one-line
 * message in err. */
#ifndef BSRUN_PROCSETUP_H
#define BSRUN_PROCSETUP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A report from a starting command or helper on its error pipe. */
struct bs_exec_msg {
	char op; /* 'P': a pid; 'E': failure */
	int err;
	pid_t pid;
	char text[240];
};

/* Closes every fd except those in keep (unsorted, may hold -1; at most 8). */
void bs_close_except(const int *keep, size_t n);

/* ids inside: gid, no supplementary groups (unless single: setgroups is
 * denied there), uid. */
int bs_set_ids(uint32_t uid, uint32_t gid, int single, char *err, size_t errlen);

/* Dies with SIGKILL when the thread that created us goes, set after the last
 * id change (which clears it); fails when parentfd (a pidfd) shows it gone
 * already. */
int bs_die_with_parent(int parentfd, char *err, size_t errlen);

/* Default dispositions for every signal, the kernel's reserved ones
 * included, and an empty mask: exec keeps ignored signals and the mask. */
void bs_reset_signals(void);

/* PR_SET_DUMPABLE 0: no process of the context may ptrace us, read our
 * memory or take our fds. Every credential change resets it: call again. */
int bs_not_dumpable(char *err, size_t errlen);

/* The privilege drop in the order of the notes (ids done before): bounding
 * set → ambient → capset (caps) → securebits locked → NO_NEW_PRIVS.
 * seccomp comes separately, last. */
int bs_drop_privileges(uint64_t bound, uint64_t caps, char *err, size_t errlen);

/* A command's stdio and working directory: fds[i] gets a copy of want[i]
 * (numbered 10 or above, close-on-exec), or /dev/null where want[i] is -1;
 * cwd is resolved inside the process's root (symlinks may not leave it). */
int bs_stdio_cwd(const int want[3], const char *cwd, int fds[3], char *err, size_t errlen);

/* A command's last steps before its exec: a new session (no controlling
 * terminal, so TIOCSTI cannot reach the host's), fds[0..2] as its stdio,
 * every other fd marked close-on-exec (an error fd must live until then). */
int bs_own_session(const int fds[3], char *err, size_t errlen);

/* Writes one bs_exec_msg to fd; errors are ignored (nobody to tell). */
void bs_exec_report(int fd, char op, int e, pid_t pid, const char *text);

#endif
