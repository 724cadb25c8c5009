/* Messages with file descriptors attached on a Unix socket. */
#include "fdpass.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int bs_send_fdsv(int sock, const struct iovec *iov, int niov, const int *fds, int nfds)
{
	char cbuf[CMSG_SPACE(BS_FDPASS_MAX * sizeof(int))];
	struct msghdr mh = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)niov };
	size_t len = 0;
	ssize_t n;

	if (nfds < 0 || nfds > BS_FDPASS_MAX)
		return -EINVAL;
	for (int i = 0; i < niov; i++)
		len += iov[i].iov_len;
	if (nfds) {
		struct cmsghdr *cm;

		memset(cbuf, 0, sizeof cbuf);
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)nfds);
	}
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

ssize_t bs_recv_fds(int sock, void *buf, size_t size, int *fds, int max, int *nfds, int flags)
{
	return bs_recv_fds_cred(sock, buf, size, fds, max, nfds, flags, NULL);
}

ssize_t bs_recv_fds_cred(int sock, void *buf, size_t size, int *fds, int max, int *nfds, int flags,
			 struct ucred *cred)
{
	char cbuf[CMSG_SPACE(BS_FDPASS_MAX * sizeof(int)) + CMSG_SPACE(sizeof(struct ucred))];
	struct iovec iov = { buf, size };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
	ssize_t n;

	*nfds = 0;
	if (cred)
		memset(cred, 0, sizeof *cred);
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | flags);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_CREDENTIALS && cred &&
		    cm->cmsg_len == CMSG_LEN(sizeof *cred))
			memcpy(cred, CMSG_DATA(cm), sizeof *cred);
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int f;

			memcpy(&f, CMSG_DATA(cm) + i * sizeof(int), sizeof f);
			if (*nfds < max)
				fds[(*nfds)++] = f;
			else
				close(f);
		}
	}
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		while (*nfds)
			close(fds[--*nfds]);
		return -EMSGSIZE;
	}
	return n;
}
