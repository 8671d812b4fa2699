/*
 * Closed-loop UDP load generator, the C cross-check for `rebound bench`: SOCKETS connected sockets, each keeping
 * INFLIGHT datagrams outstanding; every reply is answered at once with a new datagram (recvmmsg/sendmmsg in batches).
 * A datagram unanswered for 200 ms counts as lost and is replaced.
 * Usage: loadgen ADDR PORT SECONDS [SOCKETS=4] [INFLIGHT=64] [SIZE=64] [SERVER_PID]
 * Prints one JSON line: replies, seconds, repliesPerSecond, lost, and serverCpuMicrosecondsPerReply when SERVER_PID is given
 * (utime+stime from /proc/PID/stat, read when the measured window starts and ends).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SOCKETS 64
#define MAX_INFLIGHT 1024
#define BUFSIZE 2048
#define LOSS_TIMEOUT_NS 200000000LL

struct slot { uint64_t seq; int64_t sent_at; int outstanding; };

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static long long cpu_ticks(int pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (!p) return -1;
    unsigned long long utime, stime;
    /* after ") ": state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2) return -1;
    return (long long)(utime + stime);
}

static int sockets, inflight, size;
static int fds[MAX_SOCKETS];
static struct slot slots[MAX_SOCKETS][MAX_INFLIGHT];
static char sendbufs[MAX_INFLIGHT][BUFSIZE], recvbufs[MAX_INFLIGHT][BUFSIZE];
static struct iovec send_iov[MAX_INFLIGHT], recv_iov[MAX_INFLIGHT];
static struct mmsghdr send_msgs[MAX_INFLIGHT], recv_msgs[MAX_INFLIGHT];
static uint64_t next_seq = 1;

/* Fills send buffer k with (slot, sequence) for socket s and marks the slot outstanding. */
static void stage(int s, int k, int slot, int64_t t)
{
    struct slot *sl = &slots[s][slot];
    sl->seq = next_seq++;
    sl->sent_at = t;
    sl->outstanding = 1;
    memset(sendbufs[k], 0x5a, (size_t)size);
    memcpy(sendbufs[k], &slot, sizeof slot);
    memcpy(sendbufs[k] + 8, &sl->seq, sizeof sl->seq);
    send_iov[k] = (struct iovec){ sendbufs[k], (size_t)size };
    send_msgs[k].msg_hdr = (struct msghdr){ .msg_iov = &send_iov[k], .msg_iovlen = 1 };
}

static void flush(int s, int count)
{
    for (int done = 0; done < count;) {
        int r = sendmmsg(fds[s], send_msgs + done, (unsigned)(count - done), 0);
        if (r < 0) {
            if (errno == EINTR) continue;
            if (errno == ECONNREFUSED) continue; /* an ICMP error from an earlier datagram; retry */
            perror("sendmmsg");
            exit(3);
        }
        done += r;
    }
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s ADDR PORT SECONDS [SOCKETS=4] [INFLIGHT=64] [SIZE=64] [SERVER_PID]\n", argv[0]);
        return 2;
    }
    double seconds = atof(argv[3]);
    sockets = argc > 4 ? atoi(argv[4]) : 4;
    inflight = argc > 5 ? atoi(argv[5]) : 64;
    size = argc > 6 ? atoi(argv[6]) : 64;
    int server_pid = argc > 7 ? atoi(argv[7]) : 0;
    if (sockets < 1 || sockets > MAX_SOCKETS || inflight < 1 || inflight > MAX_INFLIGHT || size < 16 || size > BUFSIZE) {
        fprintf(stderr, "loadgen: SOCKETS 1-%d, INFLIGHT 1-%d, SIZE 16-%d\n", MAX_SOCKETS, MAX_INFLIGHT, BUFSIZE);
        return 2;
    }

    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[2])) };
    if (inet_pton(AF_INET, argv[1], &to.sin_addr) != 1) { fprintf(stderr, "loadgen: bad IPv4 address %s\n", argv[1]); return 2; }
    struct pollfd pfds[MAX_SOCKETS];
    for (int s = 0; s < sockets; s++) {
        fds[s] = socket(AF_INET, SOCK_DGRAM, 0);
        if (fds[s] < 0 || connect(fds[s], (struct sockaddr *)&to, sizeof to) < 0) { perror("connect"); return 3; }
        pfds[s] = (struct pollfd){ .fd = fds[s], .events = POLLIN };
    }
    for (int k = 0; k < inflight; k++) {
        recv_iov[k] = (struct iovec){ recvbufs[k], BUFSIZE };
        recv_msgs[k].msg_hdr = (struct msghdr){ .msg_iov = &recv_iov[k], .msg_iovlen = 1 };
    }

    int64_t start = now_ns(), end = start + (int64_t)(seconds * 1e9), last_scan = start;
    long long cpu_start = server_pid ? cpu_ticks(server_pid) : 0;
    for (int s = 0; s < sockets; s++) {
        for (int k = 0; k < inflight; k++) stage(s, k, k, start);
        flush(s, inflight);
    }

    unsigned long long replies = 0, lost = 0;
    int64_t t = start;
    while ((t = now_ns()) < end) {
        if (poll(pfds, (nfds_t)sockets, 10) < 0 && errno != EINTR) { perror("poll"); return 3; }
        t = now_ns();
        for (int s = 0; s < sockets; s++) {
            if (!(pfds[s].revents & (POLLIN | POLLERR))) continue;
            int n = recvmmsg(fds[s], recv_msgs, (unsigned)inflight, MSG_DONTWAIT, NULL);
            if (n <= 0) continue; /* EAGAIN, or ECONNREFUSED from a port unreachable */
            int staged = 0;
            for (int i = 0; i < n; i++) {
                int slot;
                uint64_t seq;
                if (recv_msgs[i].msg_len < 16) continue;
                memcpy(&slot, recvbufs[i], sizeof slot);
                memcpy(&seq, recvbufs[i] + 8, sizeof seq);
                if (slot < 0 || slot >= inflight || !slots[s][slot].outstanding || slots[s][slot].seq != seq) continue;
                replies++;
                stage(s, staged++, slot, t);
            }
            flush(s, staged);
        }
        if (t - last_scan > LOSS_TIMEOUT_NS / 4) {
            last_scan = t;
            for (int s = 0; s < sockets; s++) {
                int staged = 0;
                for (int k = 0; k < inflight; k++) {
                    if (slots[s][k].outstanding && t - slots[s][k].sent_at > LOSS_TIMEOUT_NS) { lost++; stage(s, staged++, k, t); }
                }
                flush(s, staged);
            }
        }
    }
    long long cpu_end = server_pid ? cpu_ticks(server_pid) : 0;
    double elapsed = (double)(t - start) / 1e9;
    printf("{\"replies\":%llu,\"seconds\":%.3f,\"repliesPerSecond\":%.0f,\"lost\":%llu", replies, elapsed, replies / elapsed, lost);
    if (server_pid && cpu_start >= 0 && cpu_end >= 0 && replies > 0)
        printf(",\"serverCpuMicrosecondsPerReply\":%.3f", (double)(cpu_end - cpu_start) * 1e6 / (double)sysconf(_SC_CLK_TCK) / (double)replies);
    printf("}\n");
    return replies > 0 ? 0 : 1;
}
