/* Messages with file descriptors attached (SCM_RIGHTS) on a Unix socket. */
#ifndef BSRUN_FDPASS_H
#define BSRUN_FDPASS_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#define BS_FDPASS_MAX 8 /* fds per message */

/* Sends iov[0..niov) as one message with fds[0..nfds) attached. Returns 0,
 * -EIO on a short send, or -errno; retries on EINTR, never raises SIGPIPE. */
int bs_send_fdsv(int sock, const struct iovec *iov, int niov, const int *fds, int nfds);

/* Receives one message into buf[0..size) and up to max (<= BS_FDPASS_MAX)
 * attached fds into fds (close-on-exec; *nfds their count), closing any
 * more. flags adds to recvmsg's (MSG_DONTWAIT, MSG_PEEK...). Returns the
 * length (0: end of file), -EMSGSIZE when the message or its fds were cut
 * (its fds closed), or -errno; retries on EINTR. */
ssize_t bs_recv_fds(int sock, void *buf, size_t size, int *fds, int max, int *nfds, int flags);

/* Like bs_recv_fds; with cred, the sender's credentials as the kernel
 * attached them (SO_PASSCRED on sock) go to *cred, pid 0 when absent. */
ssize_t bs_recv_fds_cred(int sock, void *buf, size_t size, int *fds, int max, int *nfds, int flags,
			 struct ucred *cred);

#endif
