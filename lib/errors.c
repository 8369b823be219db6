/* Result code messages and names, generated from PROXYPROTO_RESULT_LIST so
 * the enum, the names and the messages cannot drift apart. */
#include "proxyproto.h"

/* Codes run from 0 down to PROXYPROTO_RESULT_LAST_: index by the negated
 * code. A gap in the list would leave a NULL entry, which known() refuses. */
#define PROXYPROTO_MESSAGE_(name, value, message) [-(value)] = message,
static const char *const messages[1 - PROXYPROTO_RESULT_LAST_] = {
    PROXYPROTO_RESULT_LIST(PROXYPROTO_MESSAGE_)
};
#undef PROXYPROTO_MESSAGE_

#define PROXYPROTO_NAME_(name, value, message) [-(value)] = "PROXYPROTO_" #name,
static const char *const names[1 - PROXYPROTO_RESULT_LAST_] = {
    PROXYPROTO_RESULT_LIST(PROXYPROTO_NAME_)
};
#undef PROXYPROTO_NAME_

static int known(int code)
{
    return code <= 0 && code >= PROXYPROTO_RESULT_LAST_ &&
           messages[-code] != NULL;
}

PROXYPROTO_API const char *proxyproto_strerror(int code)
{
    return known(code) ? messages[-code] : "unknown result code";
}

PROXYPROTO_API const char *proxyproto_error_name(int code)
{
    return known(code) ? names[-code] : "PROXYPROTO_UNKNOWN";
}

PROXYPROTO_API const char *proxyproto_version(void)
{
    return PROXYPROTO_VERSION_STRING;
}
