/* Force-included in every harness (prove.sh): where Frama-C's own libc
 * model is smaller than Linux's, the Linux layout. Frama-C 25 declares
 * struct sockaddr_storage with ss_family alone (2 bytes), so a
 * sockaddr_in written into one would be out of bounds; Linux's is 128
 * bytes, aligned as an unsigned long. */
#ifndef PROVE_FC_LIBC_H
#define PROVE_FC_LIBC_H

#define sockaddr_storage prove_fc_small_sockaddr_storage
#include <sys/socket.h>
#undef sockaddr_storage

struct sockaddr_storage {
    sa_family_t ss_family;
    char ss_padding_[128 - sizeof(sa_family_t) - sizeof(unsigned long)];
    unsigned long ss_align_;
};

#endif
