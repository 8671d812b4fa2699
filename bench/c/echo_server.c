/*
 * Reference UDP echo servers for Rebound's benchmarks, one per system-call pattern:
 *   recvfrom  recvfrom/sendto: the naive server (the kernel picks the reply source)
 *   recvmsg   recvmsg/sendmsg with IP_PKTINFO: the reply leaves from the request's destination (as dnsmasq does)
 *   recvmmsg  recvmmsg/sendmmsg with IP_PKTINFO, up to 64 datagrams per system call
 *   recvmsg-drops  recvmsg as above plus SO_RXQ_OVFL (a drop counter on every datagram, as Rebound's ReportKernelDrops)
 * Usage: echo_server MODE PORT   (binds 0.0.0.0:PORT; runs until SIGTERM/SIGINT)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 64
#define BUFSIZE 2048
#define CONTROL_SIZE CMSG_SPACE(sizeof(struct in_pktinfo))
#define RECEIVE_CONTROL_SIZE (CONTROL_SIZE + CMSG_SPACE(sizeof(uint32_t))) /* room for SO_RXQ_OVFL too */

static volatile sig_atomic_t stopping;
static void on_signal(int sig) { (void)sig; stopping = 1; }

/* Finds IP_PKTINFO in a received message and writes a control message making the reply leave from its destination. */
static int set_reply_source(struct msghdr *received, char *control_out, struct msghdr *reply)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(received); c != NULL; c = CMSG_NXTHDR(received, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
            struct in_pktinfo in;
            memcpy(&in, CMSG_DATA(c), sizeof in);
            struct in_pktinfo out = { .ipi_ifindex = 0, .ipi_spec_dst = in.ipi_addr };
            memset(control_out, 0, CONTROL_SIZE);
            reply->msg_control = control_out;
            reply->msg_controllen = CONTROL_SIZE;
            struct cmsghdr *o = CMSG_FIRSTHDR(reply);
            o->cmsg_level = IPPROTO_IP;
            o->cmsg_type = IP_PKTINFO;
            o->cmsg_len = CMSG_LEN(sizeof out);
            memcpy(CMSG_DATA(o), &out, sizeof out);
            return 1;
        }
    }
    return 0; /* destination unknown: never answer */
}

static void serve_recvfrom(int fd)
{
    char buf[BUFSIZE];
    while (!stopping) {
        struct sockaddr_in peer;
        socklen_t len = sizeof peer;
        ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&peer, &len);
        if (n < 0) continue;
        sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&peer, len);
    }
}

static void serve_recvmsg(int fd)
{
    char buf[BUFSIZE], control[RECEIVE_CONTROL_SIZE], reply_control[CONTROL_SIZE];
    while (!stopping) {
        struct sockaddr_in peer;
        struct iovec iov = { buf, sizeof buf };
        struct msghdr msg = { .msg_name = &peer, .msg_namelen = sizeof peer, .msg_iov = &iov, .msg_iovlen = 1,
                              .msg_control = control, .msg_controllen = sizeof control };
        ssize_t n = recvmsg(fd, &msg, 0);
        if (n < 0 || (msg.msg_flags & MSG_CTRUNC)) continue;
        iov.iov_len = (size_t)n;
        struct msghdr reply = { .msg_name = &peer, .msg_namelen = msg.msg_namelen, .msg_iov = &iov, .msg_iovlen = 1 };
        if (set_reply_source(&msg, reply_control, &reply)) sendmsg(fd, &reply, 0);
    }
}

static void serve_recvmmsg(int fd)
{
    static char bufs[BATCH][BUFSIZE], controls[BATCH][CONTROL_SIZE], reply_controls[BATCH][CONTROL_SIZE];
    static struct sockaddr_in peers[BATCH];
    static struct iovec iovs[BATCH];
    static struct mmsghdr in[BATCH], out[BATCH];
    while (!stopping) {
        for (int i = 0; i < BATCH; i++) {
            iovs[i] = (struct iovec){ bufs[i], BUFSIZE };
            in[i].msg_hdr = (struct msghdr){ .msg_name = &peers[i], .msg_namelen = sizeof peers[i], .msg_iov = &iovs[i],
                                             .msg_iovlen = 1, .msg_control = controls[i], .msg_controllen = CONTROL_SIZE };
        }
        int n = recvmmsg(fd, in, BATCH, MSG_WAITFORONE, NULL);
        if (n <= 0) continue;
        int m = 0;
        for (int i = 0; i < n; i++) {
            if (in[i].msg_hdr.msg_flags & MSG_CTRUNC) continue;
            iovs[i].iov_len = in[i].msg_len;
            out[m].msg_hdr = (struct msghdr){ .msg_name = &peers[i], .msg_namelen = in[i].msg_hdr.msg_namelen,
                                              .msg_iov = &iovs[i], .msg_iovlen = 1 };
            if (set_reply_source(&in[i].msg_hdr, reply_controls[m], &out[m].msg_hdr)) m++;
        }
        for (int sent = 0; sent < m;) {
            int r = sendmmsg(fd, out + sent, (unsigned)(m - sent), 0);
            if (r <= 0) break;
            sent += r;
        }
    }
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s recvfrom|recvmsg|recvmmsg|recvmsg-drops PORT\n", argv[0]);
        return 2;
    }
    void (*serve)(int);
    if (strcmp(argv[1], "recvfrom") == 0) serve = serve_recvfrom;
    else if (strcmp(argv[1], "recvmsg") == 0) serve = serve_recvmsg;
    else if (strcmp(argv[1], "recvmmsg") == 0) serve = serve_recvmmsg;
    else if (strcmp(argv[1], "recvmsg-drops") == 0) serve = serve_recvmsg;
    else { fprintf(stderr, "unknown mode %s\n", argv[1]); return 2; }

    struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART: a blocked receive returns EINTR */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    int one = 1;
    if (fd < 0) { perror("socket"); return 3; }
    /* Only the pktinfo modes ask for the destination: the naive server pays nothing for it. */
    if (serve != serve_recvfrom && setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one) < 0) { perror("IP_PKTINFO"); return 3; }
    if (strcmp(argv[1], "recvmsg-drops") == 0 && setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one) < 0) { perror("SO_RXQ_OVFL"); return 3; }
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[2])) };
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) { perror("bind"); return 3; }
    fprintf(stderr, "echo_server %s: listening on 0.0.0.0:%s\n", argv[1], argv[2]);
    serve(fd);
    close(fd);
    return 0;
}
