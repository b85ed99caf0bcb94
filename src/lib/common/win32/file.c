/* Windows side of the atomic file replacement (the POSIX side is
 * mkstemp + fsync + rename in each writer). */
#include "common/internal.h"

#include <stdlib.h>
#include <windows.h>

int cpuu_win32_write_atomic(const char *path, const void *data, size_t len)
{
	char *tmp = NULL;
	HANDLE f = INVALID_HANDLE_VALUE;
	DWORD e = 0;
	for (unsigned n = 0; n < 100 && f == INVALID_HANDLE_VALUE; n++) {
		free(tmp);
		tmp = cpuu_aprintf("%s.tmp.%lu.%u", path, (unsigned long)GetCurrentProcessId(), n);
		if (!tmp)
			return cpuu_error_oom();
		f = CreateFileA(tmp, GENERIC_WRITE, 0, NULL, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, NULL);
		e = f == INVALID_HANDLE_VALUE ? GetLastError() : 0;
		if (e && e != ERROR_FILE_EXISTS && e != ERROR_ALREADY_EXISTS)
			break;
	}
	if (f == INVALID_HANDLE_VALUE) {
		free(tmp);
		return cpuu_error_set(e == ERROR_ACCESS_DENIED || e == ERROR_WRITE_PROTECT ? CPUU_EREADONLY : CPUU_EIO,
				      "%s: cannot create a temporary file next to it (Windows error %lu)", path,
				      (unsigned long)e);
	}
	const char *p = data;
	size_t done = 0;
	while (!e && done < len) {
		DWORD chunk = len - done > 0x40000000u ? 0x40000000u : (DWORD)(len - done), w = 0;
		if (!WriteFile(f, p + done, chunk, &w, NULL))
			e = GetLastError();
		else
			done += w;
	}
	if (!e && !FlushFileBuffers(f))
		e = GetLastError();
	if (!CloseHandle(f) && !e)
		e = GetLastError();
	if (!e && !MoveFileExA(tmp, path, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH))
		e = GetLastError();
	if (e) {
		DeleteFileA(tmp);
		free(tmp);
		return cpuu_error_set(e == ERROR_ACCESS_DENIED || e == ERROR_WRITE_PROTECT ? CPUU_EREADONLY : CPUU_EIO,
				      "%s: write failed (Windows error %lu)", path, (unsigned long)e);
	}
	free(tmp);
	return CPUU_OK;
}

/* Windows writes through (FlushFileBuffers, MOVEFILE_WRITE_THROUGH) whatever
 * the flags say; the file keeps the folder's inherited ACL. */
int cpuu_file_write_atomic(const char *path, const void *data, size_t len, unsigned flags)
{
	(void)flags;
	return cpuu_win32_write_atomic(path, data, len);
}
