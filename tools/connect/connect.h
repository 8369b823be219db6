/*
 * tools/connect/connect.h - what the connect preload's files share
 * (private). libproxyproto-connect.so makes an unmodified CLIENT send a
 * PROXY header first on each TCP connection to the configured destinations;
 * intercept.c says how, README.md ("Unmodified clients: the connect
 * preload") says what for. Built with -fvisibility=hidden: only the
 * intercepted libc functions are exported (connect.map).
 */
#ifndef PROXYPROTO_CONNECT_H
#define PROXYPROTO_CONNECT_H

#define _GNU_SOURCE
#include "proxyproto.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

/* Sizes (compile-time; -D to change). */
#ifndef CC_MAX_FD
#define CC_MAX_FD 65536   /* descriptors the pending table covers */
#endif
#define CC_MAX_TO 64      /* PROXYPROTO_CONNECT_TO entries */
#define CC_MAX_RAW 16     /* PROXYPROTO_CONNECT_TLVS entries */
#define CC_RAW_BYTES 1024 /* their values, in all */
/* Longest header: 16 fixed + 36 addresses + AUTHORITY (3 + 255) +
 * UNIQUE_ID (3 + 128) + raw TLVs (16 * 3 + 1024) + CRC32C (7). */
#define CC_HDR_MAX 1536

/* glibc declares the socket functions with a transparent union argument
 * when _GNU_SOURCE is on; a definition must use the same type. */
#ifdef __SOCKADDR_ALLTYPES
#define CC_CSA_ARG __CONST_SOCKADDR_ARG
#define CC_CSA(a) ((a).__sockaddr__)
#else
#define CC_CSA_ARG const struct sockaddr *
#define CC_CSA(a) (a)
#endif

#define CC_EXPORT __attribute__((visibility("default")))

/* One PROXYPROTO_CONNECT_TO entry: a network (any: every address) and a
 * port (0: every port). */
struct dest {
    int any;
    proxyproto_cidr net;
    uint16_t port;
};

/* An address override (PROXYPROTO_CONNECT_SRC / _DST): the address, and
 * the port when one was given (0: the connection's own). */
struct override {
    int set;
    struct sockaddr_storage addr;
    uint16_t port;
};

/* The settings (settings.c), read once when the library loads. */
struct cc_cfg {
    int ok;         /* 0: a bad value: every TCP connect() fails (EACCES) */
    int active;     /* PROXYPROTO_CONNECT_TO is set */
    int log;        /* 0, 1 (settings, failures), 2 (and every header) */
    int version;    /* 1 or 2 */
    int crc32c;     /* v2: a CRC32C TLV */
    size_t n_to;
    struct dest to[CC_MAX_TO];
    struct override src, dst;
    size_t authority_len, unique_id_len;
    char authority[256];
    char unique_id[PROXYPROTO_UNIQUE_ID_MAX];
    size_t n_raw;
    uint8_t raw_type[CC_MAX_RAW];
    uint16_t raw_off[CC_MAX_RAW], raw_len[CC_MAX_RAW];
    size_t raw_used;
    uint8_t raw[CC_RAW_BYTES];
};

extern struct cc_cfg cfg;

/* intercept.c: the real libc functions */
extern int (*real_connect)(int, const struct sockaddr *, socklen_t);
extern int (*real_close)(int);
extern int (*real_shutdown)(int, int);
extern int (*real_getsockopt)(int, int, int, void *, socklen_t *);
extern int (*real_setsockopt)(int, int, int, const void *, socklen_t);
extern int (*real_getsockname)(int, struct sockaddr *, socklen_t *);
extern ssize_t (*real_write)(int, const void *, size_t);
extern ssize_t (*real_writev)(int, const struct iovec *, int);
extern ssize_t (*real_send)(int, const void *, size_t, int);
extern ssize_t (*real_sendto)(int, const void *, size_t, int, const struct sockaddr *,
                              socklen_t);
extern ssize_t (*real_sendmsg)(int, const struct msghdr *, int);
extern int (*real_sendmmsg)(int, struct mmsghdr *, unsigned, int);
extern ssize_t (*real_sendfile)(int, int, off_t *, size_t);
extern ssize_t (*real_sendfile64)(int, int, off64_t *, size_t);
void cc_init(void);
int cc_connect(int fd, const struct sockaddr *sa, socklen_t len);

/* The intercepted functions run before the constructor when another
 * library's constructor calls them: resolve then. */
#define CC_READY(fn)                                \
    do {                                            \
        if (__builtin_expect((fn) == NULL, 0))      \
            cc_init();                              \
    } while (0)

/* log.c: the log */
void log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fmt_sa(char *out, size_t cap, const struct sockaddr *sa);

/* settings.c: PROXYPROTO_CONNECT_* */
void load_config(void);
void announce(void);
int dest_wanted(const struct sockaddr *sa);

/* entries.c: one entry of a setting; -1 and why[] when it does not parse */
int split_host_port(const char *tok, char *host, size_t cap, uint16_t *port, char *why,
                    size_t wcap);
int parse_dest(const char *tok, struct dest *d, char *why, size_t cap);
int parse_raw(const char *tok, char *why, size_t cap);

/* header.c: the header's bytes, made by the library */
int build_header(const struct sockaddr *local, const struct sockaddr *peer, uint8_t *buf,
                 size_t cap);

/* pending.c: per-descriptor state of a header not written yet */
int pending_maybe(int fd);
int pending_add(int fd, const struct sockaddr *peer);
void pending_forget(int fd);
int pending_flush(int fd, int flags);
int pending_flush_new(int fd);
int pending_sent(int fd);
int pending_same_peer(int fd, const struct sockaddr *sa);
int pending_before_send(int fd, int flags);
void pending_after_send(int fd);

#endif
