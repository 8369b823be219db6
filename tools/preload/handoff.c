/*
 * tools/preload/handoff.c - connections passed to another process over a
 * UNIX socket (SCM_RIGHTS): node `cluster` in its default round-robin
 * mode, pm2, pre-fork servers that pass descriptors.
 *
 * The process that accepted stripped the header; the one that receives the
 * descriptor has no entry for it, and its getpeername() would report the
 * load balancer. So sendmsg() publishes the entry of every descriptor it
 * passes in a table shared by the processes of one user that load the
 * preload (a file in /dev/shm, mapped), keyed by the socket's inode; the
 * receiving process's recvmsg() looks each received socket up there and
 * makes it an entry of its own. Nothing is done on any other call: the
 * common accept path is unchanged, and a process that passes no
 * descriptors never opens the file.
 *
 * The table is bounded (HO_SLOTS entries in sets of HO_WAYS; the least
 * recently written entry of a full set is overwritten) and lock-free:
 * each slot is a seqlock (fdtable.c's), every access atomic, so that no
 * process that dies or is interrupted at any point can block another. An
 * entry is used only when both the inode and the load balancer's
 * fingerprint (its address and port, checked against the received socket's
 * real peer) match: an entry left by a socket since closed, whose inode
 * was reused, describes another peer. The file is created 0600 and used
 * only when it is a regular file of this user that no one else may open.
 */
#include "preload.h"

#include <sys/mman.h>

#define HO_SLOTS 4096 /* in-flight hand-offs (entries outlive them: see above) */
#define HO_WAYS 4
#define HW 8          /* inode, fingerprint, the pair (5 words), age stamp */
#define HO_MAGIC 0x70707072656c6f31ull /* "pppreload1": this layout */

struct ho_slot {
    unsigned seq;
    unsigned pad;
    uint64_t w[HW];
};

struct ho_table {
    uint64_t magic;
    uint64_t clock;  /* stamps: the set's oldest entry is replaced */
    uint64_t pad[6];
    struct ho_slot s[HO_SLOTS];
};

/* HO_OFF: not tried yet (or the file did not exist); HO_BUSY: a thread is
 * opening it; HO_FAIL: unusable for this process (said once). */
#define HO_OFF 0
#define HO_BUSY 1
#define HO_FAIL 2
#define HO_OK 3
static int ho_state;
static struct ho_table *ho;

/* In a child forked while another thread was opening the table: that
 * thread is not there to finish, so the child tries again itself. */
void handoff_fork_child(void)
{
    if (__atomic_load_n(&ho_state, __ATOMIC_RELAXED) == HO_BUSY)
        __atomic_store_n(&ho_state, HO_OFF, __ATOMIC_RELAXED);
}

/* The table file: PROXYPROTO_HANDOFF's, or /dev/shm/...-<uid>. */
static void ho_path(char *out, size_t cap)
{
    if (cfg.handoff[0] != '\0')
        snprintf(out, cap, "%s", cfg.handoff);
    else
        snprintf(out, cap, "/dev/shm/libproxyproto-preload-%lu", (unsigned long)geteuid());
}

/* Maps the table; create: the file may be made (a sender). 1 when mapped. */
static int ho_map(int create)
{
    char path[sizeof cfg.handoff + 64];
    struct stat st;
    void *m;
    int fd, e = errno;

    ho_path(path, sizeof path);
    fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0), 0600);
    if (fd < 0) {
        int missing = errno == ENOENT && !create;
        if (!missing && cfg.log >= 1)
            log_line("hand-off table %s: %s; descriptors passed to other processes "
                     "report the load balancer", path, strerror(errno));
        errno = e;
        return missing ? 0 : -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
        (st.st_mode & 077) != 0 ||
        (st.st_size != 0 && st.st_size != (off_t)sizeof(struct ho_table)) ||
        (st.st_size == 0 && ftruncate(fd, (off_t)sizeof(struct ho_table)) != 0)) {
        log_line("hand-off table %s: not a %lu-byte file of this user with mode 0600; "
                 "not used: descriptors passed to other processes report the load balancer",
                 path, (unsigned long)sizeof(struct ho_table));
        real_close(fd);
        errno = e;
        return -1;
    }
    m = mmap(NULL, sizeof(struct ho_table), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    real_close(fd);
    errno = e;
    if (m == MAP_FAILED)
        return -1;
    ho = m;
    {
        uint64_t zero = 0;
        __atomic_compare_exchange_n(&ho->magic, &zero, HO_MAGIC, 0, __ATOMIC_ACQ_REL,
                                    __ATOMIC_RELAXED);
    }
    if (__atomic_load_n(&ho->magic, __ATOMIC_ACQUIRE) != HO_MAGIC) {
        log_line("hand-off table %s: another layout (another version of the preload?); "
                 "not used", path);
        munmap(m, sizeof(struct ho_table));
        ho = NULL;
        return -1;
    }
    return 1;
}

/* The table, or NULL. Opened once per process (a receiver tries again
 * until a sender has made the file). No lock: a thread that finds another
 * opening it waits a bounded while (that thread may be the one a signal
 * handler interrupted), then goes without, this once. */
static struct ho_table *ho_get(int create)
{
    int s = __atomic_load_n(&ho_state, __ATOMIC_ACQUIRE), r, tries;

    for (tries = 0; s == HO_BUSY && tries < 1000; tries++) {
        sched_yield();
        s = __atomic_load_n(&ho_state, __ATOMIC_ACQUIRE);
    }
    if (s == HO_OK)
        return ho;
    if (s != HO_OFF || cfg.handoff_off)
        return NULL;
    if (!__atomic_compare_exchange_n(&ho_state, &s, HO_BUSY, 0, __ATOMIC_ACQUIRE,
                                     __ATOMIC_RELAXED))
        return NULL;
    r = ho_map(create);
    __atomic_store_n(&ho_state, r > 0 ? HO_OK : r < 0 ? HO_FAIL : HO_OFF, __ATOMIC_RELEASE);
    return r > 0 ? ho : NULL;
}

static struct ho_slot *ho_set(struct ho_table *t, uint64_t ino)
{
    uint64_t h = ino * 0x9e3779b97f4a7c15ull;

    return &t->s[(h >> 40) % (HO_SLOTS / HO_WAYS) * HO_WAYS];
}

/* Publishes fd's entry (a connection the preload knows) under its inode. */
static void ho_publish(struct ho_table *t, int fd)
{
    struct pair p;
    uint64_t fp, ino, v[HW], w[HW], oldest = ~0ull;
    struct ho_slot *set, *pick = NULL;
    int i;

    if (!conn_load(fd, &p, &fp) || (ino = inode_of(fd)) == 0)
        return;
    set = ho_set(t, ino);
    for (i = 0; i < HO_WAYS; i++) { /* its own entry, else the oldest */
        if (!seq_read(&set[i].seq, set[i].w, w, HW))
            continue;
        if (w[0] == ino) {
            pick = &set[i];
            break;
        }
        if (w[7] < oldest) {
            oldest = w[7];
            pick = &set[i];
        }
    }
    if (pick == NULL)
        return;
    v[0] = ino;
    v[1] = fp;
    pair_pack(&p, &v[2]);
    v[7] = __atomic_add_fetch(&t->clock, 1, __ATOMIC_RELAXED);
    seq_write(&pick->seq, pick->w, v, HW);
}

/* A received descriptor: fd gets the entry published for its socket, if
 * any, when the socket's real peer is the one it was made for. */
static void ho_adopt(struct ho_table *t, int fd)
{
    struct sockaddr_storage real;
    socklen_t rl = sizeof real;
    struct ho_slot *set;
    struct pair p;
    struct stat st;
    uint64_t w[HW];
    int i;

    if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode))
        return;
    set = ho_set(t, (uint64_t)st.st_ino);
    for (i = 0; i < HO_WAYS; i++) {
        if (!seq_read(&set[i].seq, set[i].w, w, HW) || w[0] != (uint64_t)st.st_ino ||
            w[2] == 0)
            continue;
        if (real_getpeername(fd, (struct sockaddr *)&real, &rl) != 0 ||
            peer_fingerprint((const struct sockaddr *)&real) != w[1])
            return;
        pair_unpack(&p, &w[2]);
        conn_store(fd, w[1], &p);
        return;
    }
}

/* How many descriptors cm carries (0 unless SCM_RIGHTS), *data their
 * bytes. A message the application built wrongly (a length past the
 * control buffer: the kernel refuses it) carries none for us. */
static size_t rights_of(const struct msghdr *msg, const struct cmsghdr *cm,
                        const unsigned char **data)
{
    const unsigned char *end = (const unsigned char *)msg->msg_control + msg->msg_controllen;

    if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
        cm->cmsg_len < CMSG_LEN(0) ||
        cm->cmsg_len > (size_t)(end - (const unsigned char *)cm))
        return 0;
    *data = CMSG_DATA(cm);
    return (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
}

/* The descriptors of msg's SCM_RIGHTS messages, each given to fn. */
static void each_passed(const struct msghdr *msg, struct ho_table *t,
                        void (*fn)(struct ho_table *, int))
{
    struct cmsghdr *cm;

    for (cm = CMSG_FIRSTHDR(msg); cm != NULL; cm = CMSG_NXTHDR((struct msghdr *)msg, cm)) {
        const unsigned char *d = NULL;
        size_t n = rights_of(msg, cm, &d), i;
        int fd;

        for (i = 0; i < n; i++) {
            memcpy(&fd, d + i * sizeof(int), sizeof fd);
            fn(t, fd);
        }
    }
}

static int has_rights(const struct msghdr *msg)
{
    return msg != NULL && msg->msg_control != NULL && msg->msg_controllen >= CMSG_LEN(0);
}

/* Whether msg passes a connection the preload has an entry for. */
static int any_entry(const struct msghdr *msg)
{
    struct cmsghdr *cm;

    for (cm = CMSG_FIRSTHDR(msg); cm != NULL; cm = CMSG_NXTHDR((struct msghdr *)msg, cm)) {
        const unsigned char *d = NULL;
        size_t n = rights_of(msg, cm, &d), i;
        int fd;

        for (i = 0; i < n; i++) {
            memcpy(&fd, d + i * sizeof(int), sizeof fd);
            if (conn_used(fd))
                return 1;
        }
    }
    return 0;
}

/* Received descriptors are new numbers: an entry left on one by a close
 * we did not see goes (the peer check would refuse it anyway). */
static void drop_stale(struct ho_table *t, int fd)
{
    (void)t;
    if (conn_used(fd))
        conn_clear(fd);
}

/* Published before the real sendmsg: once it returns, the receiver may
 * already be asking. */
PP_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
    struct ho_table *t;

    ensure_init();
    if (has_rights(msg) && any_entry(msg) && (t = ho_get(1)) != NULL) {
        int e = errno;
        each_passed(msg, t, ho_publish);
        errno = e;
    }
    return real_sendmsg(fd, msg, flags);
}

PP_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
    struct ho_table *t;
    ssize_t n;

    ensure_init();
    n = real_recvmsg(fd, msg, flags);
    if (n >= 0 && has_rights(msg)) {
        int e = errno;
        each_passed(msg, NULL, drop_stale);
        if ((t = ho_get(0)) != NULL)
            each_passed(msg, t, ho_adopt);
        errno = e;
    }
    return n;
}
