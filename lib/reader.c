/* Reading the PROXY header from a stream socket without taking a byte of
 * payload (proxyproto(7) section 5), and the bookkeeping for callers that read
 * into their own buffer. */
#define _POSIX_C_SOURCE 200809L
#if defined(__APPLE__)
#define _DARWIN_C_SOURCE /* MSG_DONTWAIT is outside POSIX there */
#endif
#include "internal.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/types.h>

PROXYPROTO_API void proxyproto_reader_init(proxyproto_reader *r, void *buf,
                                           size_t cap)
{
    if (r == NULL)
        return;
    r->buf_ = (uint8_t *)buf;
    r->cap_ = buf != NULL ? cap : 0;
    r->len_ = 0;
    r->last_len_ = 0;
    r->flags_ = 0;
}

/* The bytes read so far are all the state a buffer holds: len_ counts them
 * and last_len_ (the length of the last incomplete parse) is at most len_,
 * so copying them is the whole move. memmove: buf may overlap buf_. */
PROXYPROTO_API int proxyproto_reader_move(proxyproto_reader *r, void *buf,
                                          size_t cap)
{
    if (r == NULL)
        return PROXYPROTO_ERR_INVALID_ARGUMENT;
    if (buf == NULL)
        cap = 0;
    if (cap < r->len_)
        return PROXYPROTO_ERR_HEADER_TOO_BIG;
    if (r->len_ > 0 && buf != r->buf_)
        memmove(buf, r->buf_, r->len_);
    r->buf_ = (uint8_t *)buf;
    r->cap_ = cap;
    return 0;
}

/* errno of a failed recv() as a result code; errno itself is left alone so
 * that the caller can still read it after PROXYPROTO_ERR_SYSTEM. Nothing
 * more to read yet is "incomplete", as for the parser. */
static int recv_error(void)
{
    if (errno == EAGAIN || errno == EWOULDBLOCK)
        return PROXYPROTO_INCOMPLETE;
    return errno == EINTR ? PROXYPROTO_ERR_INTERRUPTED : PROXYPROTO_ERR_SYSTEM;
}

/* Every byte in the reader came from parses that said "incomplete", so none
 * of them held a CRLF or a whole v2 header. The reader therefore holds a
 * complete header exactly when it ends with the v1 CRLF, or holds the
 * 16 + len bytes of a v2 header (proxyproto(7) section 1): then the header was
 * returned by an earlier step, and a new step must not read on into the
 * payload. */
static int holds_header(const proxyproto_reader *r)
{
    const uint8_t *b = r->buf_;
    size_t n = r->len_;

    if (n >= PROXYPROTO_V2_FIXED_LEN && b[0] == '\r')
        return n == PROXYPROTO_V2_FIXED_LEN + (size_t)proxyproto__get16(b + 14);
    return n >= 2 && b[0] == 'P' && b[n - 2] == '\r' && b[n - 1] == '\n';
}

/* How many bytes to peek: a v2 header's exact rest once its 16 fixed bytes
 * are in (proxyproto(7) section 1); before that, at most a whole v1 line (107
 * bytes, proxyproto(7) section 2), which also covers the 16 fixed bytes of v2.
 * Never more than the buffer's room. Peeked bytes past the header stay in the
 * socket. */
static size_t peek_size(const proxyproto_reader *r)
{
    size_t room = r->cap_ - r->len_, want;

    if (r->len_ >= PROXYPROTO_V2_FIXED_LEN && r->buf_[0] == '\r')
        want = PROXYPROTO_V2_FIXED_LEN + proxyproto__get16(r->buf_ + 14) - r->len_;
    else if (r->len_ < PROXYPROTO_V1_MAX_LEN)
        want = PROXYPROTO_V1_MAX_LEN - r->len_;
    else
        want = 1; /* unreachable: such a v1 line failed with V1_TOO_LONG */
    return want < room ? want : room;
}

/* Takes n bytes that a peek has just shown to be in the socket (and copied
 * to buf_ + len_) out of it. len_ counts only what was really taken, so a
 * failure leaves a state that the next step resumes from. */
static int consume(proxyproto_reader *r, int fd, size_t n)
{
    /* Each pass takes at least one byte: at most n passes. */
    while (n > 0) {
        ssize_t k = recv(fd, r->buf_ + r->len_, n, MSG_DONTWAIT);

        if (k <= 0)
            return k == 0 ? PROXYPROTO_ERR_CLOSED : recv_error();
        r->len_ += (size_t)k;
        n -= (size_t)k;
    }
    return 0;
}

/* Under PROXYPROTO_POLICY_HEADER_OPTIONAL, bytes may be taken only once
 * they are known to be a header: "PROXY " or the 12-byte v2 signature is
 * in (the parse said "incomplete", so what is in is a prefix of one).
 * Before that they may still turn out to be payload. */
static int may_take(const proxyproto_reader *r, size_t seen)
{
    if (!(r->flags_ & PROXYPROTO_POLICY_HEADER_OPTIONAL))
        return 1;
    return seen >= (r->buf_[0] == 'P' ? 6u : PROXYPROTO__V2_SIG_LEN);
}

/* One peek, parse and consume. Returns the header length, an error,
 * PROXYPROTO_INCOMPLETE when nothing more can be taken now, or 0 after
 * taking at least one header byte (then peek again). */
static int step_once(proxyproto_reader *r, int fd, proxyproto_header *hdr)
{
    size_t want = peek_size(r), seen;
    ssize_t n;
    int rc;

    if (want == 0)
        return PROXYPROTO_ERR_HEADER_TOO_BIG; /* full, header still open */
    /* MSG_DONTWAIT: a blocking socket must not block inside a step. */
    n = recv(fd, r->buf_ + r->len_, want, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0)
        return recv_error();
    if (n == 0)
        return PROXYPROTO_ERR_CLOSED;
    seen = r->len_ + (size_t)n;
    rc = proxyproto_parse(hdr, r->buf_, seen, r->last_len_);
    if (proxyproto__version_refused(r->flags_, r->buf_, seen, rc))
        return PROXYPROTO_ERR_VERSION_REFUSED; /* left in the socket */
    if (rc > 0) {
        /* Take the header's part of the peek and leave the payload. */
        int err = consume(r, fd, (size_t)rc - r->len_);
        return err != 0 ? err : rc;
    }
    if (rc != PROXYPROTO_INCOMPLETE)
        return rc; /* the peeked bytes stay in the socket */
    /* hdr->need is exact for v2 and a lower bound for v1: past the room,
     * the header cannot fit, whatever comes next. */
    if (hdr->need > r->cap_ - seen)
        return PROXYPROTO_ERR_HEADER_TOO_BIG;
    if (!may_take(r, seen))
        return PROXYPROTO_INCOMPLETE;
    /* Incomplete: every peeked byte belongs to the header (a v1 line has
     * no CRLF yet, a v2 header is shorter than 16 + len), so take all. */
    rc = consume(r, fd, (size_t)n);
    if (rc != 0)
        return rc;
    r->last_len_ = seen;
    return 0;
}

PROXYPROTO_API int proxyproto_reader_step(proxyproto_reader *r, int fd,
                                          proxyproto_header *hdr)
{
    int rc;

    if (r == NULL || hdr == NULL)
        return PROXYPROTO_ERR_INVALID_ARGUMENT;
    if (r->len_ > 0 && holds_header(r))
        return proxyproto_parse(hdr, r->buf_, r->len_, 0);
    /* Read until the socket has nothing more (EAGAIN) rather than stop at a
     * short peek, so edge-triggered event loops are woken again. Bounded:
     * each incomplete pass takes a byte, and a full buffer ends the loop. */
    do
        rc = step_once(r, fd, hdr);
    while (rc == 0);
    return rc;
}

PROXYPROTO_API int proxyproto_reader_feed(proxyproto_reader *r, const void *buf,
                                          size_t len, proxyproto_header *hdr)
{
    size_t last;
    int rc;

    if (r == NULL)
        return PROXYPROTO_ERR_INVALID_ARGUMENT;
    /* last_len_ only holds while the caller's buffer grows; a shorter one is
     * another stream, parsed from its start (passing 0 is always right). */
    last = r->last_len_ <= len ? r->last_len_ : 0;
    rc = proxyproto_parse(hdr, buf, len, last);
    r->last_len_ = rc == PROXYPROTO_INCOMPLETE ? len : 0;
    return rc;
}
