/* cpuu - sharded bulk runs: which of N hosts takes a user's hive.
 * The choice depends only on the user's folder name and N, so N hosts given
 * the same share and the same N split it with no coordinator, each hive in
 * exactly one shard (docs/update.md, "Sharded bulk runs"). */
#ifndef CPUU_SHARD_H
#define CPUU_SHARD_H

#ifdef __cplusplus
extern "C" {
#endif

/* The shard (0 .. count-1) of a user's folder name (the <user> of
 * <share>/<user>/NTUSER.DAT): 64-bit FNV-1a of the name with ASCII A-Z
 * folded to a-z (Windows folder names are case-insensitive), modulo count.
 * The same on every host, platform and cpuu version. count 0 counts as 1. */
unsigned cpuu_shard_of(const char *user_folder, unsigned count);

#ifdef __cplusplus
}
#endif

#endif
