/*
 * tools/preload/preload.h - what the preload's files share (private; the
 * library's public header is include/proxyproto.h). The preload is built
 * from these files with -fvisibility=hidden: only the intercepted libc
 * functions are exported (preload.map). See preload.c for what the preload
 * does and README.md ("Unmodified servers: the preload library").
 */
#ifndef PROXYPROTO_PRELOAD_H
#define PROXYPROTO_PRELOAD_H

#define _GNU_SOURCE
#include "proxyproto.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

/* Sizes (compile-time; -D to change). */
#ifndef PP_MAX_FD
#define PP_MAX_FD 65536        /* descriptors the address table covers */
#endif
#ifndef PP_MAX_PENDING
#define PP_MAX_PENDING 4096    /* parked connections, at most (see park_cap) */
#endif
#ifndef PP_HEADER_MAX
#define PP_HEADER_MAX 4096     /* longest header accepted (v2 with TLVs) */
#endif
#define PP_MAX_LISTENERS 64    /* non-blocking listeners tracked */
#define PP_MAX_REGS 8          /* epoll sets per listener */
#define PP_MAX_TRUSTED 64
#define PP_MAX_PORTS 64

/* glibc declares the socket functions with a transparent union argument
 * when _GNU_SOURCE is on; a definition must use the same type. */
#ifdef __SOCKADDR_ALLTYPES
#define PP_SA_ARG __SOCKADDR_ARG
#define PP_SA(a) ((a).__sockaddr__)
#else
#define PP_SA_ARG struct sockaddr *restrict
#define PP_SA(a) (a)
#endif

#define PP_EXPORT __attribute__((visibility("default")))

/* The settings (settings.c). */
struct pp_cfg {
    int ok;             /* 0: a bad value: refuse every connection */
    int log;            /* 0, 1 (refusals, warnings), 2 (and accepts) */
    int optional;
    int timeout_ms;
    unsigned versions;  /* bit 1: v1, bit 2: v2 */
    size_t n_trusted;
    proxyproto_cidr trusted[PP_MAX_TRUSTED];
    size_t n_ports;     /* 0: every TCP listener */
    uint16_t ports[PP_MAX_PORTS];
    int handoff_off;    /* PROXYPROTO_HANDOFF=0 */
    char handoff[256];  /* its table file; "": the default (handoff.c) */
};

#define PP_CFG_MSGS 6

#define FL_LISTENER 0x1 /* a TCP listener: epoll_ctl on it is tracked */

#define FL_EPOLL 0x2    /* an epoll descriptor (seen in epoll_ctl) */

#define FL_PENDING 0x4  /* ours: a parked connection */

#define FL_TIMER 0x8    /* ours: a listener's timerfd */

#define FL_HOSOCK 0x10  /* ours: a listener's hand-over receiver (handover.c) */

/* The addresses of one connection: the header's source and destination. */
struct pair {
    int family; /* AF_INET or AF_INET6 */
    uint16_t sport, dport;
    uint8_t src[16], dst[16];
};

#define CW 6

/* One descriptor's entry: a seqlock over 6 words (the load balancer's
 * fingerprint; used, family and ports; source; destination), every access atomic, so that a reader
 * (getpeername, in any thread or a signal handler) never sees half an
 * update and nothing can deadlock. */
struct conn_slot {
    unsigned seq;
    uint64_t w[CW];
};

#define R_WAIT 0 /* nothing more yet */

#define R_DONE 1 /* header read: hdr */

#define R_PASS 2 /* no header (optional mode): real addresses */

#define R_GONE 3 /* health check gone: closed quietly */

#ifndef PP_LOCAL_GRACE_MS
#define PP_LOCAL_GRACE_MS 250
#endif

#define E_VERSION (-1001)

#define E_CONFIG (-1002)

#define E_FULL (-1003)

#define E_FD (-1004)

#define E_FAMILY (-1005)

#define E_EVICTED (-1006)

struct cstate {
    int fd;
    int flags;       /* SOCK_NONBLOCK, SOCK_CLOEXEC: as accepted */
    int lfamily;     /* the listener's */
    int undecided;   /* optional mode: no byte looked at yet */
    int local_wait;  /* header without addresses in: waiting for a byte */
    int self;        /* the header names the connection's own ends */
    int addrs;       /* the header carries addresses to report (advance) */
    int err;         /* errno of a PROXYPROTO_ERR_SYSTEM */
    long long deadline; /* 0 until it must wait (cstate_arm) */
    struct sockaddr_storage peer; /* from the real accept */
    socklen_t peerlen;
    proxyproto_reader r;
    proxyproto_header hdr;
};

#define W_FAMILY 0

#define W_FULL 1

#define W_LISTENERS 2

#ifndef PP_LOG_PER_SEC
#define PP_LOG_PER_SEC 10
#endif

struct reg {
    int epfd;
    uint32_t events;
    epoll_data_t data;
};

struct listener {
    int used;
    int fd;
    uint64_t ino;
    int warned;          /* "no epoll set known" logged */
    int nreg;
    struct reg regs[PP_MAX_REGS];
    int timerfd;         /* -1: none yet */
    uint64_t timer_ino;
    long long timer_at;  /* armed for (monotonic ns); 0: not armed */
    int npending;
    int wait_mode;       /* not woken through epoll: the helper thread watches */
    int waiters;         /* threads waiting inside accept on it */
    int bell_fd;         /* our doorbell connection to it, -1: none */
    struct sockaddr_storage bell_me; /* its local address */
    long long bell_at;   /* when it was rung */
    int ho_fd;           /* its hand-over receiver, -1: none (handover.c) */
    uint64_t ho_ino;
};

/* What the scans look at, kept apart from the read state (pstate) so that
 * they touch a few pages rather than every slot's buffer. */
struct pending {
    int used;
    int li;              /* its listener */
    int ready;           /* 0, or R_DONE / R_PASS: waits for an accept call */
    int fd;
    uint32_t key;        /* hash of the peer's address */
    uint64_t ino;        /* the connection's inode */
    unsigned long long seq; /* parking order */
    long long deadline;
};

struct pstate {
    struct cstate c;
    unsigned char buf[PP_HEADER_MAX];
};

#define PP_DEFERRED 256

#define LF_KNOWN 0x10000u

#define LF_APPLIES 0x20000u

#define LF_INET6 0x40000u

#define LF_ACCEPTED 0x80000u /* this process has called accept on it */

#define A_FAIL (-1) /* the real accept failed: errno */

#define A_NEXT 0    /* refused (closed, logged): try the next */

#define A_GOT 1     /* handed over: *fdp */

#define A_PARK 2    /* header incomplete: its state is in c */

#define A_BELL 3    /* our doorbell (closed): a parked connection is ready */

#define PP_BELL_RETRY_MS 1000 /* a doorbell nobody answered is rung again */
#define PP_POLL_MAX 256 /* parked connections a waiting accept polls at once */

/* preload.c: the real libc functions */
extern int (*real_accept)(int, struct sockaddr *, socklen_t *);
extern int (*real_accept4)(int, struct sockaddr *, socklen_t *, int);
extern int (*real_getpeername)(int, struct sockaddr *, socklen_t *);
extern int (*real_getsockname)(int, struct sockaddr *, socklen_t *);
extern int (*real_close)(int);
extern int (*real_listen)(int, int);
extern int (*real_epoll_ctl)(int, int, int, struct epoll_event *);
extern int (*real_dup)(int);
extern int (*real_dup2)(int, int);
extern int (*real_dup3)(int, int, int);
extern ssize_t (*real_sendmsg)(int, const struct msghdr *, int);
extern ssize_t (*real_recvmsg)(int, struct msghdr *, int);

extern struct pp_cfg cfg;

/* preload.c: initialisation, the real functions, the intercepted calls */
extern pthread_once_t once;
extern pthread_mutex_t mu;
void ensure_init(void);

/* settings.c: PROXYPROTO_* settings and logging */
extern proxyproto_policy policy;
void log_line(const char *fmt, ...);
void load_config(void);
void announce(void);

/* fdtable.c: per-descriptor flags and the address table */
long long now_ns(void);
uint64_t inode_of(int fd);
void fmt_sa(char *out, size_t cap, const struct sockaddr *sa);
void copy_out(const struct sockaddr_storage *ss, socklen_t len,
                     struct sockaddr *addr, socklen_t *alen);
void flags_set(int fd, unsigned f);
void flags_clear(int fd, unsigned f);
int seq_write(unsigned *seq, uint64_t *w, const uint64_t *v, int n);
int seq_read(unsigned *seq, const uint64_t *w, uint64_t *v, int n);
void pair_pack(const struct pair *p, uint64_t *w);
void pair_unpack(struct pair *p, const uint64_t *w);
void conn_store(int fd, uint64_t ino, const struct pair *p);
void conn_clear(int fd);
int conn_load(int fd, struct pair *p, uint64_t *ino);
socklen_t pair_sockaddr(const struct pair *p, int dst, struct sockaddr_storage *ss);
int pair_from_header(struct pair *p, const proxyproto_header *h, int lfam);
uint64_t peer_fingerprint(const struct sockaddr *sa);
int conn_answer(int fd, int dst, struct sockaddr *addr, socklen_t *alen);

/* fdtable.c's tables, and the three questions asked on every intercepted
 * call: inline, since they cost less than a call. */
extern unsigned char fdflags[PP_MAX_FD];
extern struct conn_slot conns[PP_MAX_FD];

static inline int in_table(int fd)
{
    return fd >= 0 && fd < PP_MAX_FD;
}

static inline unsigned flags_of(int fd)
{
    return in_table(fd) ? __atomic_load_n(&fdflags[fd], __ATOMIC_RELAXED) : 0;
}

static inline int conn_used(int fd)
{
    return in_table(fd) && __atomic_load_n(&conns[fd].w[1], __ATOMIC_RELAXED) != 0;
}

/* header.c: one connection's header: read, refuse, hand over */
void cstate_init(struct cstate *c, int fd, int flags, int lfamily, unsigned char *buf);
void cstate_arm(struct cstate *c);
int screen(struct cstate *c);
int advance(struct cstate *c);
int expired(const struct cstate *c);
int wait_header(struct cstate *c);
const char *reason(const struct cstate *c, int rc, char *buf, size_t cap);
void warn_once(int kind);
void reject(const struct cstate *c, int rc);
int deliver(struct cstate *c, int kind, struct sockaddr *addr, socklen_t *alen,
                   int want);

/* park.c: parked connections (header incomplete at accept) */
extern struct listener lst[PP_MAX_LISTENERS];
extern struct pending pend[PP_MAX_PENDING];
extern int pend_hi;
extern int npending_total;
extern unsigned short parked_on[PP_MAX_FD];
int still_ours(int fd, uint64_t ino);
void park_cap_init(void);
void pending_free(struct pending *p);
void pending_step(int li);
int pending_service(int li, struct sockaddr *addr, socklen_t *alen, int want, int step);
int park(int li, const struct cstate *c);
struct cstate *pending_state(int i);

/* listeners.c: tracked listeners and epoll mirroring */
void reg_apply(const struct reg *r, int op, int fd);
void unregister_fd(int li, int fd);
void listener_drop(int li);
int listener_get(int fd, int create, int discover);
void track(int li, int epfd, int op, const struct epoll_event *ev);

/* timer.c: a listener's timerfd */
void timer_close(struct listener *L);
void timer_update(int li);
void timer_drain(struct listener *L);

/* wake.c: the helper thread and the doorbell */
extern int helper_running;
void bell_clear(int li);
int bell_answer(int lfd, int fd, const struct sockaddr_storage *peer);
void helper_start(void);

/* forget.c: the lock, and forgetting closed descriptors */
void forget_locked(int fd, unsigned f);
void lock_mu(void);
void unlock_mu(void);
void forget(int fd);

/* handoff.c: connections passed to other processes (sendmsg, recvmsg) */
void handoff_fork_child(void);

/* handover.c: parked connections passed on when their listener closes */
extern int ho_rx[PP_MAX_FD];
int ho_waiting(int lfd);
void ho_listen(int li);
void ho_drop(int li);
int ho_receive(int li);
void ho_busy(int lfd);
void ho_fork_child(void);
void ho_fork_parent(void);

/* fork.c: fork handlers */
void fork_prepare(void);
void fork_parent(void);
void fork_child(void);

/* accept.c: the accept paths and cached listener facts */
extern uint32_t lfacts[PP_MAX_FD];
uint32_t facts_compute(int fd);
void facts_forget(int fd);
int do_accept(int lfd, struct sockaddr *addr, socklen_t *alen, int flags, int is4);

#endif
