/* Opening a hive: the base block is checked by us before hivex reads it, so
 * that dirty, truncated or foreign files get a precise message and code. */
#include "registry/hive.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BASE_BLOCK 4096u

uint32_t cpuu_hive_xor(const uint8_t *b)
{
	uint32_t x = 0;
	for (size_t i = 0; i < 508; i += 4)
		x ^= cpuu_le32(b + i);
	return x;
}

uint32_t cpuu_hive_checksum(const uint8_t *b)
{
	uint32_t x = cpuu_hive_xor(b);
	if (x == 0xFFFFFFFFu)
		return 0xFFFFFFFEu;
	if (x == 0)
		return 1;
	return x;
}

int cpuu_hive_validate(cpuu_hive_header *hdr, int fd, const char *path)
{
	memset(hdr, 0, sizeof *hdr);
	cpuu_file_id id;
	if (cpuu_fs_fstat(&id, fd) != 0)
		return cpuu_error_set(CPUU_EIO, "%s: cannot read: %s", path, strerror(errno));
	if (!id.regular)
		return cpuu_error_set(CPUU_EINVALID, "%s: not a regular file", path);
	hdr->file_size = id.size;
	if (id.size == 0)
		return cpuu_error_set(CPUU_ECORRUPT, "%s: empty file (0 bytes), not a registry hive", path);

	uint8_t b[BASE_BLOCK + 32];
	size_t got = 0;
	while (got < sizeof b) {
		ssize_t r = pread(fd, b + got, sizeof b - got, (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return cpuu_error_set(CPUU_EIO, "%s: cannot read: %s", path, strerror(errno));
		if (r == 0)
			break;
		got += (size_t)r;
	}
	if (got < 4 || memcmp(b, "regf", 4) != 0)
		return cpuu_error_set(CPUU_ECORRUPT, "%s: not a registry hive (no 'regf' signature)", path);
	if (got < BASE_BLOCK)
		return cpuu_error_set(CPUU_ECORRUPT, "%s: truncated: %zu bytes, shorter than the 4096-byte header", path,
				      got);

	/* Windows stores 1 for an XOR of 0 and 0xFFFFFFFE for 0xFFFFFFFF (WRK
	 * hivesum.c); hivex stores the plain XOR. Accept either. */
	uint32_t stored = cpuu_le32(b + 508), x = cpuu_hive_xor(b);
	if (stored != cpuu_hive_checksum(b) && stored != x)
		return cpuu_error_set(CPUU_ECORRUPT, "%s: header checksum mismatch (stored 0x%08x, computed 0x%08x)", path,
				      stored, cpuu_hive_checksum(b));
	hdr->seq1 = cpuu_le32(b + 4);
	hdr->seq2 = cpuu_le32(b + 8);
	hdr->major = cpuu_le32(b + 20);
	hdr->minor = cpuu_le32(b + 24);
	uint32_t type = cpuu_le32(b + 28);
	hdr->root_offset = cpuu_le32(b + 36);
	hdr->bins_size = cpuu_le32(b + 40);
	if (hdr->major != 1)
		return cpuu_error_set(CPUU_EUNSUPPORTED, "%s: regf version %u.%u is not supported (major must be 1)", path,
				      hdr->major, hdr->minor);
	if (type != 0)
		return cpuu_error_set(CPUU_ECORRUPT, "%s: file type %u: a transaction log, not a primary hive file", path,
				      type);
	/* Dirty before size checks: a dirty primary may legitimately lack data
	 * that only its logs hold. */
	if (hdr->seq1 != hdr->seq2)
		return cpuu_error_set(CPUU_EDIRTY,
				      "%s: hive has unreplayed transaction logs (sequence numbers %u != %u): let Windows load "
				      "it once, or replay NTUSER.DAT.LOG1/LOG2", path, hdr->seq1, hdr->seq2);
	if (hdr->bins_size == 0 || hdr->bins_size % 4096u != 0)
		return cpuu_error_set(CPUU_ECORRUPT, "%s: invalid hive bins data size %u (must be a non-zero multiple of 4096)",
				      path, hdr->bins_size);
	if ((uint64_t)BASE_BLOCK + hdr->bins_size > id.size)
		return cpuu_error_set(CPUU_ECORRUPT, "%s: truncated: the header declares %llu bytes, the file has %llu", path,
				      (unsigned long long)BASE_BLOCK + hdr->bins_size, (unsigned long long)id.size);
	if (hdr->root_offset >= hdr->bins_size)
		return cpuu_error_set(CPUU_ECORRUPT, "%s: root cell offset 0x%x lies outside the hive bins", path,
				      hdr->root_offset);
	if (got < sizeof b || memcmp(b + BASE_BLOCK, "hbin", 4) != 0)
		return cpuu_error_set(CPUU_ECORRUPT, "%s: no hive bin after the header", path);
	return CPUU_OK;
}

void cpuu_reg_open_opts_init(cpuu_reg_open_opts *opts)
{
	memset(opts, 0, sizeof *opts);
	opts->lock_wait_ms = CPUU_HIVE_LOCK_WAIT_MS;
	opts->lock_stale_s = CPUU_HIVE_LOCK_STALE_S;
}

int cpuu_reg_open_hive(cpuu_reg **out, const char *path, unsigned flags)
{
	cpuu_reg_open_opts o;
	cpuu_reg_open_opts_init(&o);
	o.flags = flags;
	return cpuu_reg_open_hive_ex(out, path, &o);
}

static void impl_free(hive_impl *hi)
{
	cpuu_hive_image_free(hi->raw.d, hi->raw.size);
	if (hi->h)
		hivex_close(hi->h);
	if (hi->dirfd >= 0)
		cpuu_hive_lock_release(&hi->lock, hi->dirfd);
	if (hi->fd >= 0)
		close(hi->fd);
	if (hi->dirfd >= 0)
		close(hi->dirfd);
	free(hi->path);
	free(hi->base);
	free(hi);
}

int cpuu_hive_hivex(hive_impl *hi)
{
	if (hi->h)
		return CPUU_OK;
	/* hivex reads the file through our descriptor; the image the check
	 * walked answers for hivex's copy only if that is still the version
	 * read (the same refusal as a commit over a changed file). */
	int rc = cpuu_hive_unchanged(hi);
	if (rc)
		return rc;
	char *via = cpuu_fs_fd_path(hi->fd);
	errno = 0;
	hi->h = hivex_open(via ? via : hi->path, hi->writable ? HIVEX_OPEN_WRITE : 0);
	int e = errno;
	free(via);
	if (!hi->h)
		return cpuu_error_set(e == ENOMEM ? CPUU_ENOMEM : CPUU_ECORRUPT, "%s: hivex cannot read the hive: %s",
				      hi->path, e ? strerror(e) : "unknown error");
	return CPUU_OK;
}

int cpuu_reg_open_hive_ex(cpuu_reg **out, const char *path, const cpuu_reg_open_opts *opts)
{
	if (!out || !path || !*path)
		return cpuu_error_set(CPUU_EINVALID, "open hive: no path given");
	*out = NULL;
	cpuu_reg_open_opts defaults;
	if (!opts) {
		cpuu_reg_open_opts_init(&defaults);
		opts = &defaults;
	}
	unsigned flags = opts->flags;
	if (flags & ~CPUU_REG_OPEN_WRITE)
		return cpuu_error_set(CPUU_EINVALID, "%s: unknown open flags 0x%x", path, flags);
	int writable = (flags & CPUU_REG_OPEN_WRITE) != 0;

	hive_impl *hi = calloc(1, sizeof *hi);
	if (!hi)
		return cpuu_error_oom();
	hi->fd = hi->dirfd = hi->prepared_fd = -1;
	hi->lock.fd = -1;
	hi->writable = writable;
	/* The path given is resolved once (a link to a hive means that hive);
	 * from here on only the folder descriptor and the name in it count. */
	int rc = CPUU_OK;
	if (!(hi->path = cpuu_fs_realpath(path)) || !(hi->base = cpuu_fs_basename(hi->path))) {
		impl_free(hi);
		return cpuu_error_oom();
	}
	if ((rc = cpuu_fs_open_folder_of(&hi->dirfd, hi->path, path)))
		goto fail;
	if (writable && (rc = cpuu_fs_check_writable(path)))
		goto fail;
	/* The lock comes before the read: what is read is what is committed over. */
	if (writable && (rc = cpuu_hive_lock_acquire(&hi->lock, hi->dirfd, hi->base, path,
						      opts->lock_wait_ms < 0 ? 0 : opts->lock_wait_ms,
						      opts->lock_stale_s ? opts->lock_stale_s : CPUU_HIVE_LOCK_STALE_S)))
		goto fail;
	if ((rc = cpuu_fs_open_in(&hi->fd, hi->dirfd, hi->base, path)))
		goto fail;
	cpuu_hive_header hdr;
	if ((rc = cpuu_hive_validate(&hdr, hi->fd, path)))
		goto fail;
	hi->minor = hdr.minor;
	if (cpuu_fs_fstat(&hi->id, hi->fd) != 0) {
		rc = cpuu_error_set(CPUU_EIO, "%s: cannot stat: %s", path, strerror(errno));
		goto fail;
	}
	/* Before any change and before hivex walks it: cycles, cells and
	 * offsets out of place (docs/registry.md, "Structural check"). */
	if ((rc = cpuu_hive_check_read(&hi->raw.d, hi->fd, hi->id.size, path)))
		goto fail;
	hi->raw.size = (size_t)hi->id.size;
	/* hivex_open (a second read of the file) waits for the first call that
	 * needs hivex (cpuu_hive_hivex): a run that only reads, the no-op logon
	 * and dry runs, never reads the hive twice. */
	return cpuu_reg_wrap(out, &cpuu_hive_backend, hi, flags, path);

fail:
	impl_free(hi);
	return rc;
}
