/* Shard of a user's folder (cpuu/shard.h): the library's one hash, so the
 * split never changes under the hosts of a running fleet. */
#include "common/internal.h"
#include "cpuu/shard.h"

unsigned cpuu_shard_of(const char *user_folder, unsigned count)
{
	if (count <= 1)
		return 0;
	return (unsigned)(cpuu_hash_str_fold(CPUU_HASH_INIT, user_folder ? user_folder : "") % count);
}
