// Shared by echo.c and load.c: point a recvmmsg batch at its buffers (and, if names is not NULL, sender addresses).
#pragma once
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#define BATCH 64
#define SLOT 2048

static void prepare_batch(struct mmsghdr *msgs, struct iovec *iov, char (*bufs)[SLOT], struct sockaddr_in *names) {
  for (int i = 0; i < BATCH; i++) {
    iov[i].iov_base = bufs[i];
    iov[i].iov_len = SLOT;
    memset(&msgs[i], 0, sizeof msgs[i]);
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    if (names) {
      msgs[i].msg_hdr.msg_name = &names[i];
      msgs[i].msg_hdr.msg_namelen = sizeof names[i];
    }
  }
}
