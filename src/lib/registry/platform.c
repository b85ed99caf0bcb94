/* What one platform's build lacks of the public registry API: the live
 * registry outside Windows, hive files (hivex) on Windows. */
#include "registry/internal.h"

#ifdef _WIN32

#include <windows.h>

/* Files: FlushFileBuffers. Folders need nothing: NTFS journals its metadata
 * and our renames use MOVEFILE_WRITE_THROUGH. */
int cpuu_sync_path(const char *path)
{
	DWORD attr = GetFileAttributesA(path);
	if (attr == INVALID_FILE_ATTRIBUTES)
		return cpuu_error_set(CPUU_EIO, "%s: cannot open to sync it (Windows error %lu)", path,
				      (unsigned long)GetLastError());
	if (attr & FILE_ATTRIBUTE_DIRECTORY)
		return CPUU_OK;
	HANDLE f = CreateFileA(path, GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING,
			       FILE_ATTRIBUTE_NORMAL, NULL);
	if (f == INVALID_HANDLE_VALUE)
		return cpuu_error_set(CPUU_EIO, "%s: cannot open to sync it (Windows error %lu)", path,
				      (unsigned long)GetLastError());
	BOOL ok = FlushFileBuffers(f);
	DWORD e = ok ? 0 : GetLastError();
	CloseHandle(f);
	if (!ok)
		return cpuu_error_set(CPUU_EIO, "%s: cannot sync (Windows error %lu)", path, (unsigned long)e);
	return CPUU_OK;
}

int cpuu_reg_open_hive(cpuu_reg **out, const char *path, unsigned flags)
{
	(void)flags;
	if (out)
		*out = NULL;
	return cpuu_error_set(CPUU_EUNSUPPORTED, "%s: hive files are handled by the Linux build only; "
				 "use --live on Windows", path ? path : "(null)");
}

int cpuu_hive_create_blank(const char *path, const char *root_name)
{
	(void)root_name;
	return cpuu_error_set(CPUU_EUNSUPPORTED, "%s: hive files are written by the Linux build only",
			      path ? path : "(null)");
}

#else

int cpuu_reg_open_live(cpuu_reg **out, unsigned flags)
{
	(void)flags;
	if (out)
		*out = NULL;
	return cpuu_error_set(CPUU_EUNSUPPORTED, "the live registry (HKEY_CURRENT_USER) exists only on Windows; "
				 "use --hive with an NTUSER.DAT here");
}

#endif
