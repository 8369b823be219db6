/* PROVE-ENTRY: proxyproto_builder_init, _add, _add_ssl, _add_ssl_sub, _add_aws_vpce_id, _add_azure_linkid, _add_gcp_psc_id, _add_padding, _add_crc32c, _size
 * PROVE-BOUND: any header (tlvs_len 0..256), up to 40 add calls of any kind in any order with any type, value bytes, length 0..65536 and align, then size
 * PROVE-SOURCES: lib/builder.c lib/write_v2.c lib/crc32c.c
 * PROVE-OPTIONS: -eva-slevel-function main:0 -eva-split-return-function push:full,add_entry:full,proxyproto_builder_add:full,proxyproto_builder_add_ssl:full,proxyproto_builder_add_ssl_sub:full,proxyproto_builder_add_aws_vpce_id:full,proxyproto_builder_add_azure_linkid:full,proxyproto_builder_add_gcp_psc_id:full,proxyproto_builder_add_padding:full,proxyproto_builder_add_crc32c:full,proxyproto__v2_size:full,v2_size_of:full,v2_size_with_tlvs:full,put_block:full,layout:full
 */
/* h_builder.c without finish, which still has alarms (tests/prove/README.md):
 * the adds and the layout, proven on their own. */
#define H_BUILDER_NO_BUFFER 1
#include "h_builder.c"
