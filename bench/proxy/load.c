// Bounded closed-loop UDP load generator for the proxy benchmark.
//   load exchange ADDR PORT SECONDS SOCKETS INFLIGHT   -> prints the number of replies received
//   load flows ADDR PORT COUNT HOLD_SECONDS            -> opens COUNT connected sockets, one datagram each, holds them
// Each socket is connected (like dig or nc), so a reply from a wrong source would be dropped, not counted.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"

#define PAYLOAD 64

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static int open_connected(const char *addr, int port) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, addr, &a.sin_addr);
  if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) { perror("socket/connect"); exit(3); }
  return fd;
}

static void send_n(int fd, int n) {
  static char payload[BATCH][PAYLOAD];
  struct iovec iov[BATCH];
  struct mmsghdr msgs[BATCH];
  while (n > 0) {
    int k = n < BATCH ? n : BATCH;
    memset(msgs, 0, sizeof(msgs[0]) * k);
    for (int i = 0; i < k; i++) {
      iov[i].iov_base = payload[i];
      iov[i].iov_len = PAYLOAD;
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int sent = sendmmsg(fd, msgs, k, 0);
    if (sent <= 0) return;
    n -= sent;
  }
}

static int exchange(const char *addr, int port, double seconds, int sockets, int inflight) {
  struct pollfd pfd[64];
  if (sockets > 64) sockets = 64;
  for (int s = 0; s < sockets; s++) {
    pfd[s].fd = open_connected(addr, port);
    pfd[s].events = POLLIN;
    send_n(pfd[s].fd, inflight);
  }
  static char bufs[BATCH][SLOT];
  struct iovec iov[BATCH];
  struct mmsghdr msgs[BATCH];
  long replies = 0;
  double end = now() + seconds;
  while (now() < end) {
    int ready = poll(pfd, sockets, 100);
    if (ready == 0) {  // everything in flight was lost: start each socket's window again
      for (int s = 0; s < sockets; s++) send_n(pfd[s].fd, inflight);
      continue;
    }
    for (int s = 0; s < sockets; s++) {
      if (!(pfd[s].revents & (POLLIN | POLLERR))) continue;
      prepare_batch(msgs, iov, bufs, NULL);
      int n = recvmmsg(pfd[s].fd, msgs, BATCH, MSG_DONTWAIT, NULL);
      if (n <= 0) continue;
      replies += n;
      send_n(pfd[s].fd, n);
    }
  }
  printf("%ld\n", replies);
  return 0;
}

static int flows(const char *addr, int port, int count, int hold) {
  struct rlimit r = {count + 64, count + 64};
  setrlimit(RLIMIT_NOFILE, &r);
  int *fds = calloc(count, sizeof(int));
  char payload[PAYLOAD] = {0};
  for (int i = 0; i < count; i++) {
    fds[i] = open_connected(addr, port);
    send(fds[i], payload, PAYLOAD, 0);
    if (i % 32 == 31) usleep(2000);  // each new flow costs the proxy a socket: do not overrun its receive queue
  }
  int answered = 0;
  char buf[2048];
  double end = now() + 3;
  for (int i = 0; i < count; i++) {
    struct pollfd p = {fds[i], POLLIN, 0};
    int wait = (int)((end - now()) * 1000);
    if (poll(&p, 1, wait > 0 ? wait : 0) == 1 && recv(fds[i], buf, sizeof buf, MSG_DONTWAIT) > 0) answered++;
  }
  printf("%d\n", answered);
  fflush(stdout);
  sleep(hold);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 7 && strcmp(argv[1], "exchange") == 0)
    return exchange(argv[2], atoi(argv[3]), atof(argv[4]), atoi(argv[5]), atoi(argv[6]));
  if (argc == 6 && strcmp(argv[1], "flows") == 0)
    return flows(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
  fprintf(stderr, "usage: load exchange ADDR PORT SECONDS SOCKETS INFLIGHT | load flows ADDR PORT COUNT HOLD_SECONDS\n");
  return 2;
}
