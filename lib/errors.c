/* Result code messages and names, generated from PROXYPROTO_RESULT_LIST so
 * the enum, the names and the messages cannot drift apart. */
#include "proxyproto.h"

#include <stddef.h>

/* One switch per lookup: the list holds two positive codes (the policy
 * verdicts) besides 0 and the negative ones, and a switch needs no table
 * indexed by sign. */
#define PROXYPROTO_MESSAGE_(name, value, message) case value: return message;
static const char *message_of(int code)
{
    switch (code) {
        PROXYPROTO_RESULT_LIST(PROXYPROTO_MESSAGE_)
    }
    return NULL;
}
#undef PROXYPROTO_MESSAGE_

#define PROXYPROTO_NAME_(name, value, message) case value: return "PROXYPROTO_" #name;
static const char *name_of(int code)
{
    switch (code) {
        PROXYPROTO_RESULT_LIST(PROXYPROTO_NAME_)
    }
    return NULL;
}
#undef PROXYPROTO_NAME_

PROXYPROTO_API const char *proxyproto_strerror(int code)
{
    const char *m = message_of(code);

    return m != NULL ? m : "unknown result code";
}

PROXYPROTO_API const char *proxyproto_error_name(int code)
{
    const char *n = name_of(code);

    return n != NULL ? n : "PROXYPROTO_UNKNOWN";
}

PROXYPROTO_API const char *proxyproto_version(void)
{
    return PROXYPROTO_VERSION_STRING;
}
