/*
 * CRC-32C (Castagnoli) as the CRC32C TLV uses it (proxyproto(7) section 4):
 * reflected polynomial 0x82F63B78, init and final xor 0xFFFFFFFF.
 *
 * Two implementations with one contract: a portable slicing-by-8 one and a
 * hardware one (SSE4.2 crc32 on x86-64, the ARMv8 CRC32C instructions on
 * AArch64). proxyproto_crc32c() asks the CPU on every call which one to use:
 * the question costs a load (a libc call on AArch64 Linux), and asking every
 * time keeps lib/ free of mutable globals. Where no hardware path is
 * compiled in (another CPU or compiler, or PROXYPROTO_CRC32C_PORTABLE
 * defined), the hardware entry point is the portable one.
 *
 * Internally the functions pass the raw CRC register around (no init or
 * final xor); only the entry points apply the inversion, which is what makes
 * results chain: crc32c(crc32c(0, a), b) == crc32c(0, a || b).
 */
#include "internal.h"

#include <string.h>

/* Hardware paths need the GCC/Clang target attribute, so that this file
 * builds with the project flags alone (no -msse4.2), and
 * __builtin_cpu_supports(), which needs libgcc or compiler-rt (not there
 * under MSVC, hence clang-cl is left out). -DPROXYPROTO_CRC32C_PORTABLE
 * (or -DPROXYPROTO_PORTABLE, which also leaves out lib/tcp4_ssse3.h)
 * leaves every hardware path out (CI runs the tests so on AArch64 too, and
 * the Frama-C proof reads the portable code). */
#if defined(PROXYPROTO_CRC32C_PORTABLE) || defined(PROXYPROTO_PORTABLE)
/* no hardware path: the last branch below */
#elif defined(__x86_64__) && !defined(_MSC_VER) && \
    (defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 5))
#define PROXYPROTO__CRC32C_X86 1
#include <nmmintrin.h> /* SSE4.2 crc32 */
#include <wmmintrin.h> /* PCLMULQDQ */
/* AArch64 little-endian only: CRC32CX takes the 8 bytes of its operand from
 * the low end, so the memcpy loads below must be little-endian. */
#elif defined(__aarch64__) && defined(__AARCH64EL__) && \
    (defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 6))
#if defined(__ARM_FEATURE_CRC32)
#define PROXYPROTO__CRC32C_ARM 1 /* the build targets CPUs that all have it */
#elif defined(__linux__)
#define PROXYPROTO__CRC32C_ARM 2 /* optional in ARMv8.0: ask the kernel */
#include <sys/auxv.h>
#ifndef HWCAP_CRC32
#define HWCAP_CRC32 (1UL << 7) /* arch/arm64/include/uapi/asm/hwcap.h */
#endif
#endif
#endif

#include "crc32c_table.h" /* after the choice: it holds data per path */

/* ------------------------------------------------------------------------
 * Portable: slicing-by-8
 * ------------------------------------------------------------------------ */

/* Assembled byte by byte so that it is right on any byte order and
 * alignment; compilers turn it into one load where they can. */
static uint32_t crc32c_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/* Raw register in and out, over b[i..end). Eight table lookups per 8
 * bytes, independent of each other, instead of eight dependent ones. The
 * bytes are taken as offsets from one base, each compared with the end
 * before it is read: Frama-C Eva (make prove) then bounds every read by the
 * end alone, for any span of a header. */
static uint32_t crc32c_sw_span(uint32_t c, const unsigned char *b, size_t i,
                               size_t end)
{
    const uint32_t(*t)[256] = proxyproto__crc32c_table;

    for (; i + 8 <= end; i += 8) {
        uint32_t lo = c ^ crc32c_le32(b + i);
        uint32_t hi = crc32c_le32(b + i + 4);
        c = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^
            t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^ t[3][hi & 0xff] ^
            t[2][(hi >> 8) & 0xff] ^ t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
    }
    for (; i < end; i++)
        c = t[0][(c ^ b[i]) & 0xff] ^ (c >> 8);
    return c;
}

PROXYPROTO__PRIVATE uint32_t proxyproto__crc32c_sw(uint32_t crc, const void *buf, size_t len)
{
    return ~crc32c_sw_span(~crc, (const unsigned char *)buf, 0, len);
}

/* ------------------------------------------------------------------------
 * x86-64: SSE4.2, and PCLMULQDQ to join three streams
 * ------------------------------------------------------------------------ */
#if defined(PROXYPROTO__CRC32C_X86)

PROXYPROTO__INLINE uint64_t crc32c_load64(const unsigned char *p)
{
    uint64_t v;

    memcpy(&v, p, sizeof v); /* unaligned is fine; memcpy keeps it legal */
    return v;
}

/* One dependent crc32 per 8 bytes: latency-bound (about 3 cycles each),
 * but nothing to set up, which is what short headers want. */
__attribute__((target("sse4.2"), always_inline)) static inline uint32_t
crc32c_x86_serial(uint32_t crc, const unsigned char *p, size_t len)
{
    uint64_t c = crc;
    uint32_t w;
    uint16_t h;

    /* Four words a round: a PROXY header's few hundred bytes then pay a
     * quarter of the loop's own instructions. */
    for (; len >= 32; len -= 32, p += 32) {
        c = _mm_crc32_u64(c, crc32c_load64(p));
        c = _mm_crc32_u64(c, crc32c_load64(p + 8));
        c = _mm_crc32_u64(c, crc32c_load64(p + 16));
        c = _mm_crc32_u64(c, crc32c_load64(p + 24));
    }
    if (len & 16) {
        c = _mm_crc32_u64(c, crc32c_load64(p));
        c = _mm_crc32_u64(c, crc32c_load64(p + 8));
        p += 16;
    }
    if (len & 8) {
        c = _mm_crc32_u64(c, crc32c_load64(p));
        p += 8;
    }
    crc = (uint32_t)c;
    if (len & 4) {
        memcpy(&w, p, 4);
        crc = _mm_crc32_u32(crc, w);
        p += 4;
    }
    if (len & 2) {
        memcpy(&h, p, 2);
        crc = _mm_crc32_u16(crc, h);
        p += 2;
    }
    if (len & 1)
        crc = _mm_crc32_u8(crc, *p);
    return crc;
}

/* CRC of the 3 * lv->block bytes at p, as three independent streams so
 * that three crc32 instructions are in flight at once. The streams are
 * joined by the linearity of the raw register:
 *   crc(c, A B C) = crc(c, A) x^(16 block) + crc(0, B) x^(8 block) + crc(0, C)
 * where a carry-less multiply by lv->k2 (lv->k1) followed by one crc32 of
 * the product applies x^(16 block) (x^(8 block)); see the generator. */
__attribute__((target("sse4.2,pclmul"))) static uint32_t
crc32c_x86_3way(uint32_t crc, const unsigned char *p,
                const struct proxyproto__crc32c_level *lv)
{
    const size_t b = lv->block;
    const unsigned char *end = p + b;
    uint64_t c0 = crc, c1 = 0, c2 = 0;
    __m128i m0, m1;

    for (; p < end; p += 8) {
        c0 = _mm_crc32_u64(c0, crc32c_load64(p));
        c1 = _mm_crc32_u64(c1, crc32c_load64(p + b));
        c2 = _mm_crc32_u64(c2, crc32c_load64(p + 2 * b));
    }
    m0 = _mm_clmulepi64_si128(_mm_cvtsi64_si128((long long)c0),
                              _mm_cvtsi64_si128((long long)lv->k2), 0);
    m1 = _mm_clmulepi64_si128(_mm_cvtsi64_si128((long long)c1),
                              _mm_cvtsi64_si128((long long)lv->k1), 0);
    m0 = _mm_xor_si128(m0, m1);
    return (uint32_t)(_mm_crc32_u64(0, (uint64_t)_mm_cvtsi128_si64(m0)) ^ c2);
}

/* Called only where proxyproto__crc32c_hw_available() said yes. */
__attribute__((target("sse4.2"))) PROXYPROTO__PRIVATE uint32_t
proxyproto__crc32c_hw(uint32_t crc, const void *buf, size_t len)
{
    const struct proxyproto__crc32c_level *lv = proxyproto__crc32c_levels;
    const struct proxyproto__crc32c_level *smallest =
        lv + PROXYPROTO__CRC32C_LEVELS - 1;
    const unsigned char *p = (const unsigned char *)buf;
    uint32_t c = ~crc;

    /* Short buffers (PROXY headers) never reach the 3-stream code. Each
     * level takes as many rounds as fit, then a smaller level the rest. */
    if (len >= 3 * smallest->block && __builtin_cpu_supports("pclmul")) {
        for (; lv <= smallest; lv++)
            for (; len >= 3 * lv->block; len -= 3 * lv->block) {
                c = crc32c_x86_3way(c, p, lv);
                p += 3 * lv->block;
            }
    }
    return ~crc32c_x86_serial(c, p, len);
}

PROXYPROTO__INLINE int crc32c_x86_available(void)
{
    return __builtin_cpu_supports("sse4.2") != 0;
}

PROXYPROTO__PRIVATE int proxyproto__crc32c_hw_available(void)
{
    return crc32c_x86_available();
}

/* proxyproto__crc32c_header() of a header too short for the 3-stream
 * code: one pass, the 4 value bytes fed as one zero word. */
#define PROXYPROTO__CRC32C_ZEROED 1
__attribute__((target("sse4.2"))) static uint32_t
crc32c_zeroed(const uint8_t *h, size_t len, size_t off)
{
    uint32_t c = crc32c_x86_serial(0xFFFFFFFFu, h, off);

    c = _mm_crc32_u32(c, 0);
    return ~crc32c_x86_serial(c, h + off + 4, len - off - 4);
}

static int crc32c_zeroed_fits(size_t len)
{
    return len < 3 * proxyproto__crc32c_levels[PROXYPROTO__CRC32C_LEVELS - 1].block &&
           crc32c_x86_available();
}

/* ------------------------------------------------------------------------
 * AArch64: ARMv8 CRC32C instructions
 * ------------------------------------------------------------------------ */
#elif defined(PROXYPROTO__CRC32C_ARM)

/* The compiler builtins rather than arm_acle.h's __crc32cd: Clang before
 * 16 declares those only when the whole build targets +crc. */
#if defined(__clang__)
#define PROXYPROTO__CRC32C_ARM_TARGET __attribute__((target("crc")))
#define PROXYPROTO__CRC32C_ARM_D(c, v) __builtin_arm_crc32cd((c), (v))
#define PROXYPROTO__CRC32C_ARM_B(c, v) __builtin_arm_crc32cb((c), (v))
#else
#define PROXYPROTO__CRC32C_ARM_TARGET __attribute__((target("+crc")))
#define PROXYPROTO__CRC32C_ARM_D(c, v) __builtin_aarch64_crc32cx((c), (v))
#define PROXYPROTO__CRC32C_ARM_B(c, v) __builtin_aarch64_crc32cb((c), (v))
#endif

PROXYPROTO__CRC32C_ARM_TARGET static uint32_t
crc32c_arm_raw(uint32_t c, const unsigned char *p, size_t len)
{
    uint64_t v;

    for (; len >= 8; len -= 8, p += 8) {
        memcpy(&v, p, sizeof v);
        c = PROXYPROTO__CRC32C_ARM_D(c, v);
    }
    for (; len > 0; len--, p++)
        c = PROXYPROTO__CRC32C_ARM_B(c, *p);
    return c;
}

PROXYPROTO__PRIVATE uint32_t proxyproto__crc32c_hw(uint32_t crc, const void *buf, size_t len)
{
    return ~crc32c_arm_raw(~crc, (const unsigned char *)buf, len);
}

PROXYPROTO__PRIVATE int proxyproto__crc32c_hw_available(void)
{
#if PROXYPROTO__CRC32C_ARM == 1
    return 1;
#else
    return (getauxval(AT_HWCAP) & HWCAP_CRC32) != 0;
#endif
}

/* ------------------------------------------------------------------------
 * Anything else: no hardware path
 * ------------------------------------------------------------------------ */
#else

PROXYPROTO__PRIVATE uint32_t proxyproto__crc32c_hw(uint32_t crc, const void *buf, size_t len)
{
    return proxyproto__crc32c_sw(crc, buf, len);
}

PROXYPROTO__PRIVATE int proxyproto__crc32c_hw_available(void)
{
    return 0;
}

#endif

/* ------------------------------------------------------------------------
 * Entry points
 * ------------------------------------------------------------------------ */

PROXYPROTO_API uint32_t proxyproto_crc32c(uint32_t crc, const void *buf,
                                          size_t len)
{
    if (len == 0) /* buf may then be NULL; the CRC of nothing is crc */
        return crc;
    if (proxyproto__crc32c_hw_available())
        return proxyproto__crc32c_hw(crc, buf, len);
    return proxyproto__crc32c_sw(crc, buf, len);
}

/* Raw register in and out, over base[at..end), at <= end: the header's
 * spans as offsets from its start (see crc32c_sw_span). */
static uint32_t crc32c_span(uint32_t c, const uint8_t *base, size_t at, size_t end)
{
    if (proxyproto__crc32c_hw_available())
        return ~proxyproto__crc32c_hw(~c, base + at, end - at);
    return crc32c_sw_span(c, base, at, end);
}

/* proxyproto(7) section 4: the CRC32C TLV covers the whole header with its own
 * 4-byte value taken as zero. The header is const (it may be the caller's
 * received buffer), so the zeros are fed instead of written. A value_off
 * that does not leave room for 4 bytes cannot come from a validated TLV;
 * then the plain CRC of the header is returned so nothing past len is read. */
PROXYPROTO__PRIVATE uint32_t proxyproto__crc32c_header(const uint8_t *hdr, size_t len,
                                   size_t value_off)
{
    static const uint8_t zeros[4] = {0, 0, 0, 0};
    uint32_t c;

#if defined(PROXYPROTO__CRC32C_ZEROED)
    /* The usual header: short, the value inside it, a CPU with crc32. */
    if (crc32c_zeroed_fits(len) && len >= 4 && value_off <= len - 4)
        return crc32c_zeroed(hdr, len, value_off);
#endif
    if (len < 4 || value_off > len - 4)
        return ~crc32c_span(0xFFFFFFFFu, hdr, 0, len);
    c = crc32c_span(0xFFFFFFFFu, hdr, 0, value_off);
    c = crc32c_span(c, zeros, 0, sizeof zeros);
    return ~crc32c_span(c, hdr, value_off + 4, len);
}
