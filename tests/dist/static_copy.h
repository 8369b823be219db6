/* What each PROXYPROTO_STATIC copy of static_copy.c exports. */
#ifndef STATIC_COPY_H
#define STATIC_COPY_H

#include <stddef.h>
#include <stdint.h>

struct proxyproto_header;
typedef int (*copy_parse_fn)(struct proxyproto_header *, const void *, size_t,
                             size_t);

int copy1_parse(const void *buf, size_t len, uint16_t *src_port);
int copy2_parse(const void *buf, size_t len, uint16_t *src_port);
copy_parse_fn copy1_parse_fn(void);
copy_parse_fn copy2_parse_fn(void);

#endif
