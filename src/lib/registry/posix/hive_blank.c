/* Generator of a minimal valid regf hive (hivex cannot create one).
 *
 * Layout (offsets per the msuhanov "Windows registry file format
 * specification", checked against hivex lib/write.c; docs/registry.md):
 *   0x0000 base block, 4096 bytes: "regf", seq 1/1, FILETIME, version 1.5,
 *          type 0, format 1, root cell offset 0x20, hive bins size 4096,
 *          clustering 1, file name (UTF-16LE, 64 bytes), XOR-32 checksum.
 *   0x1000 one hbin of 4096 bytes: header (32 bytes), then cells:
 *          0x20  root nk (KEY_HIVE_ENTRY|KEY_NO_DELETE|KEY_COMP_NAME),
 *          next  sk (flink = blink = itself, refcount 1) holding a
 *                self-relative security descriptor (MS-DTYP 2.4.6),
 *          rest  one free cell. */
#include "registry/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define HBIN_AT 4096u
#define HBIN_SIZE 4096u

static size_t align8(size_t n)
{
	return (n + 7u) & ~(size_t)7u;
}

/* SID (MS-DTYP 2.4.2.2): revision 1, count, 6-byte big-endian authority,
 * little-endian sub-authorities. */
static size_t put_sid(uint8_t *p, uint8_t authority, const uint32_t *subs, uint8_t nsubs)
{
	p[0] = 1;
	p[1] = nsubs;
	memset(p + 2, 0, 5);
	p[7] = authority;
	for (uint8_t i = 0; i < nsubs; i++)
		cpuu_put_le32(p + 8 + 4 * i, subs[i]);
	return 8u + 4u * nsubs;
}

/* ACCESS_ALLOWED_ACE (MS-DTYP 2.4.4.2). */
static size_t put_ace(uint8_t *p, uint8_t flags, uint32_t mask, uint8_t authority, const uint32_t *subs, uint8_t nsubs)
{
	size_t sid = put_sid(p + 8, authority, subs, nsubs);
	p[0] = 0; /* ACCESS_ALLOWED_ACE_TYPE */
	p[1] = flags;
	cpuu_put_le16(p + 2, (uint16_t)(8 + sid));
	cpuu_put_le32(p + 4, mask);
	return 8 + sid;
}

/* The default a Windows "CreateHive" root carries (seen in both real
 * NTUSER.DAT samples): Users read, Administrators and SYSTEM full control,
 * CREATOR OWNER full on children; owner Administrators, group SYSTEM. */
static size_t build_sd(uint8_t *sd)
{
	static const uint32_t users[] = { 32, 545 }, admins[] = { 32, 544 }, system_[] = { 18 }, owner[] = { 0 };
	const uint8_t CI_IO = 0x02 | 0x08; /* CONTAINER_INHERIT | INHERIT_ONLY */
	const uint32_t KEY_READ = 0x20019, KEY_ALL = 0xF003F, GENERIC_READ = 0x80000000u, GENERIC_ALL = 0x10000000;
	size_t off = 20;
	size_t dacl = off;
	size_t a = dacl + 8;
	uint16_t n = 0;
	a += put_ace(sd + a, 0, KEY_READ, 5, users, 2), n++;
	a += put_ace(sd + a, CI_IO, GENERIC_READ, 5, users, 2), n++;
	a += put_ace(sd + a, 0, KEY_ALL, 5, admins, 2), n++;
	a += put_ace(sd + a, CI_IO, GENERIC_ALL, 5, admins, 2), n++;
	a += put_ace(sd + a, 0, KEY_ALL, 5, system_, 1), n++;
	a += put_ace(sd + a, CI_IO, GENERIC_ALL, 5, system_, 1), n++;
	a += put_ace(sd + a, CI_IO, GENERIC_ALL, 3, owner, 1), n++;
	sd[dacl] = 2; /* ACL_REVISION */
	sd[dacl + 1] = 0;
	cpuu_put_le16(sd + dacl + 2, (uint16_t)(a - dacl));
	cpuu_put_le16(sd + dacl + 4, n);
	cpuu_put_le16(sd + dacl + 6, 0);
	size_t own = a;
	size_t grp = own + put_sid(sd + own, 5, admins, 2);
	size_t end = grp + put_sid(sd + grp, 5, system_, 1);
	sd[0] = 1; /* revision */
	sd[1] = 0;
	/* SE_SELF_RELATIVE | SE_DACL_PROTECTED | SE_DACL_AUTO_INHERITED | SE_DACL_PRESENT */
	cpuu_put_le16(sd + 2, 0x9404);
	cpuu_put_le32(sd + 4, (uint32_t)own);
	cpuu_put_le32(sd + 8, (uint32_t)grp);
	cpuu_put_le32(sd + 12, 0);
	cpuu_put_le32(sd + 16, (uint32_t)dacl);
	return end;
}

static uint64_t filetime_now(void)
{
	time_t t = time(NULL);
	if (t < 0)
		t = 0;
	return ((uint64_t)t + 11644473600ull) * 10000000ull;
}

static int build(uint8_t *img, const char *root_name, const char *file_name)
{
	size_t name_len = strlen(root_name);
	uint64_t ft = filetime_now();
	memset(img, 0, HBIN_AT + HBIN_SIZE);

	/* hbin */
	uint8_t *hb = img + HBIN_AT;
	memcpy(hb, "hbin", 4);
	cpuu_put_le32(hb + 4, 0);
	cpuu_put_le32(hb + 8, HBIN_SIZE);
	cpuu_put_le32(hb + 20, (uint32_t)ft);
	cpuu_put_le32(hb + 24, (uint32_t)(ft >> 32));

	/* root nk at hive-bins offset 0x20 */
	const uint32_t nk_off = 0x20;
	size_t nk_cell = align8(4 + 76 + name_len);
	uint32_t sk_off = nk_off + (uint32_t)nk_cell;
	uint8_t *c = hb + nk_off;
	cpuu_put_le32(c, (uint32_t)-(int32_t)nk_cell);
	uint8_t *nk = c + 4;
	memcpy(nk, "nk", 2);
	cpuu_put_le16(nk + 2, 0x0004 | 0x0008 | 0x0020); /* HIVE_ENTRY | NO_DELETE | COMP_NAME */
	cpuu_put_le32(nk + 4, (uint32_t)ft);
	cpuu_put_le32(nk + 8, (uint32_t)(ft >> 32));
	cpuu_put_le32(nk + 16, 0);           /* parent: meaningless for the root */
	cpuu_put_le32(nk + 28, 0xFFFFFFFFu); /* no subkey list */
	cpuu_put_le32(nk + 32, 0xFFFFFFFFu); /* no volatile subkey list */
	cpuu_put_le32(nk + 40, 0xFFFFFFFFu); /* no value list */
	cpuu_put_le32(nk + 44, sk_off);
	cpuu_put_le32(nk + 48, 0xFFFFFFFFu); /* no class name */
	cpuu_put_le16(nk + 72, (uint16_t)name_len);
	memcpy(nk + 76, root_name, name_len);

	/* sk */
	uint8_t sd[256];
	size_t sd_len = build_sd(sd);
	size_t sk_cell = align8(4 + 20 + sd_len);
	c = hb + sk_off;
	cpuu_put_le32(c, (uint32_t)-(int32_t)sk_cell);
	uint8_t *sk = c + 4;
	memcpy(sk, "sk", 2);
	cpuu_put_le32(sk + 4, sk_off);  /* flink: the list holds only us */
	cpuu_put_le32(sk + 8, sk_off);  /* blink */
	cpuu_put_le32(sk + 12, 1);      /* referenced by the root */
	cpuu_put_le32(sk + 16, (uint32_t)sd_len);
	memcpy(sk + 20, sd, sd_len);

	/* the rest of the bin is one free cell (positive size) */
	uint32_t free_off = sk_off + (uint32_t)sk_cell;
	cpuu_put_le32(hb + free_off, HBIN_SIZE - free_off);

	/* base block */
	memcpy(img, "regf", 4);
	cpuu_put_le32(img + 4, 1);
	cpuu_put_le32(img + 8, 1);
	cpuu_put_le32(img + 20, 1);
	cpuu_put_le32(img + 24, 5);
	cpuu_put_le32(img + 28, 0);
	cpuu_put_le32(img + 32, 1);
	cpuu_put_le32(img + 36, nk_off);
	cpuu_put_le32(img + 40, HBIN_SIZE);
	cpuu_put_le32(img + 44, 1);
	for (size_t i = 0; i < 31 && file_name[i]; i++) {
		unsigned char ch = (unsigned char)file_name[i];
		cpuu_put_le16(img + 48 + 2 * i, ch < 0x80 ? ch : '?');
	}
	for (;;) {
		cpuu_put_le32(img + 12, (uint32_t)ft);
		cpuu_put_le32(img + 16, (uint32_t)(ft >> 32));
		uint32_t x = cpuu_hive_xor(img);
		if (x != 0 && x != 0xFFFFFFFFu) {
			cpuu_put_le32(img + 508, x);
			break;
		}
		ft++; /* keep hivex's plain XOR and Windows' rule in agreement */
	}
	return CPUU_OK;
}

int cpuu_hive_create_blank(const char *path, const char *root_name)
{
	if (!path || !*path)
		return cpuu_error_set(CPUU_EINVALID, "create blank hive: no path given");
	if (!root_name)
		root_name = "ROOT";
	size_t n = strlen(root_name);
	if (n == 0 || n > CPUU_REG_MAX_KEY_NAME)
		return cpuu_error_set(CPUU_EINVALID, "%s: root key name must have 1 to %u characters", path,
				      CPUU_REG_MAX_KEY_NAME);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)root_name[i];
		if (ch < 0x20 || ch >= 0x7F || ch == '\\')
			return cpuu_error_set(CPUU_EUNSUPPORTED, "%s: root key name '%s' must be printable ASCII without '\\'",
					      path, root_name);
	}
	uint8_t *img = malloc(HBIN_AT + HBIN_SIZE);
	char *base = cpuu_fs_basename(path);
	if (!img || !base) {
		free(img);
		free(base);
		return cpuu_error_oom();
	}
	build(img, root_name, base);
	free(base);

	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd < 0) {
		int e = errno;
		free(img);
		if (e == EEXIST)
			return cpuu_error_set(CPUU_EEXISTS, "%s: already exists, not overwriting it", path);
		return cpuu_error_set(cpuu_error_of_errno(e, CPUU_ERRNO_WRITE),
				      "%s: cannot create: %s", path, strerror(e));
	}
	size_t total = HBIN_AT + HBIN_SIZE, done = 0;
	int e = 0;
	while (done < total) {
		ssize_t w = write(fd, img + done, total - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			e = w < 0 ? errno : EIO;
			break;
		}
		done += (size_t)w;
	}
	if (!e && fsync(fd) != 0)
		e = errno;
	if (close(fd) != 0 && !e)
		e = errno;
	free(img);
	if (e) {
		unlink(path); /* ours: created with O_EXCL above */
		return cpuu_error_set(CPUU_EIO, "%s: cannot write the blank hive: %s", path, strerror(e));
	}
	return CPUU_OK;
}
