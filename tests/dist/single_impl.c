/* The implementation half of the single header, as a user compiles it: the
 * Check suite and the programs of tests/dist/ link this object where they
 * would otherwise link libproxyproto.a. */
#define PROXYPROTO_IMPLEMENTATION
#include "single/proxyproto.h"
