// Minimal UDP echo backend for the proxy benchmark: recvmmsg/sendmmsg on one socket bound to ADDR:PORT.
// Usage: echo ADDR PORT   (runs until killed)
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "batch.h"

int main(int argc, char **argv) {
  if (argc != 3) { fprintf(stderr, "usage: echo ADDR PORT\n"); return 2; }
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[2]))};
  inet_pton(AF_INET, argv[1], &a.sin_addr);
  int big = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) { perror("bind"); return 3; }
  static char bufs[BATCH][SLOT];
  struct iovec iov[BATCH];
  struct sockaddr_in from[BATCH];
  struct mmsghdr msgs[BATCH];
  for (;;) {
    prepare_batch(msgs, iov, bufs, from);
    int n = recvmmsg(fd, msgs, BATCH, MSG_WAITFORONE, NULL);
    if (n <= 0) continue;
    for (int i = 0; i < n; i++) iov[i].iov_len = msgs[i].msg_len;
    sendmmsg(fd, msgs, n, 0);
  }
}
