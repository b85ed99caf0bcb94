/* One cpuu per user session (issue 16 item 1): a live run that may write
 * takes a named mutex in the session's own namespace ("Local\": every logon
 * session has its own) before it reads HKEY_CURRENT_USER, and keeps it until
 * cpuu_reg_free. Two logon scripts, or a logon script and an administrator's
 * manual run, would otherwise interleave their changes, backups and journal
 * in one registry. A mutex rather than a lock file: Windows hands it on when
 * its owner dies (WAIT_ABANDONED), so a killed run never blocks the next
 * logon, and nothing is left on disk. */
#include "registry/win32.h"

#define SESSION_MUTEX L"Local\\cpuu-live-registry"

int cpuu_w32_session_lock(HANDLE *out, int wait_ms)
{
	*out = NULL;
	HANDLE m = CreateMutexW(NULL, FALSE, SESSION_MUTEX);
	if (!m)
		return cpuu_w32_fail((LONG)GetLastError(), "session mutex Local\\cpuu-live-registry");
	/* A test holds the first run at a fault point and starts the second. */
	DWORD w = WaitForSingleObject(m, wait_ms < 0 ? 0 : (DWORD)wait_ms);
	if (w == WAIT_OBJECT_0 || w == WAIT_ABANDONED) {
		/* Abandoned: the previous owner died (killed logon script); its
		 * changes were per call and its backup already written, so the
		 * registry is as consistent as after any kill: take over. */
		*out = m;
		return CPUU_OK;
	}
	DWORD err = GetLastError();
	CloseHandle(m);
	if (w == WAIT_TIMEOUT)
		return cpuu_error_set(CPUU_ELOCKED,
				      "another cpuu run holds this session's registry (mutex Local\\cpuu-live-registry); "
				      "waited %d ms, nothing was changed",
				      wait_ms);
	return cpuu_w32_fail((LONG)err, "waiting for the session mutex Local\\cpuu-live-registry");
}

void cpuu_w32_session_unlock(HANDLE m)
{
	if (!m)
		return;
	ReleaseMutex(m);
	CloseHandle(m);
}
