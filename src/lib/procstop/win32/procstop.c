/* Windows backend: the process snapshot (Toolhelp), WM_CLOSE to each of the
 * process's top-level windows (what closing Outlook's window does: it saves
 * and exits), then TerminateProcess. user32 is loaded only when there is a
 * window to close: a logon run with nothing to stop never loads it. */
#ifdef _WIN32
#include "procstop/internal.h"

#include <windows.h>
#include <tlhelp32.h>
#include <stdlib.h>
#include <string.h>

int ps_list(ps_proc **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
	if (snap == INVALID_HANDLE_VALUE)
		return cpuu_error_set(CPUU_ERROR, "cannot list processes (error %lu)", (unsigned long)GetLastError());
	PROCESSENTRY32W pe;
	pe.dwSize = sizeof pe;
	size_t cap = 0;
	for (BOOL ok = Process32FirstW(snap, &pe); ok; ok = Process32NextW(snap, &pe)) {
		if (pe.th32ProcessID == GetCurrentProcessId())
			continue;
		ps_proc *g = cpuu_array_reserve(*out, &cap, *n + 1, sizeof *g);
		if (!g) {
			CloseHandle(snap);
			return cpuu_error_oom();
		}
		*out = g;
		ps_proc *p = &(*out)[(*n)++];
		memset(p, 0, sizeof *p);
		p->pid = pe.th32ProcessID;
		WideCharToMultiByte(CP_UTF8, 0, pe.szExeFile, -1, p->name, sizeof p->name, NULL, NULL);
	}
	CloseHandle(snap);
	return CPUU_OK;
}

/* Handles are opened only for the processes we act on. */
static HANDLE handle_of(ps_proc *p)
{
	if (!p->handle)
		p->handle = OpenProcess(SYNCHRONIZE | PROCESS_TERMINATE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE,
					(DWORD)p->pid);
	return (HANDLE)p->handle;
}

typedef BOOL(WINAPI *enum_windows_fn)(WNDENUMPROC, LPARAM);
typedef DWORD(WINAPI *window_pid_fn)(HWND, LPDWORD);
typedef BOOL(WINAPI *is_visible_fn)(HWND);
typedef BOOL(WINAPI *post_message_fn)(HWND, UINT, WPARAM, LPARAM);

static struct {
	enum_windows_fn enum_windows;
	window_pid_fn window_pid;
	is_visible_fn is_visible;
	post_message_fn post_message;
} u32;

static int load_user32(void)
{
	if (u32.post_message)
		return 1;
	HMODULE m = LoadLibraryW(L"user32.dll");
	if (!m)
		return 0;
	/* GetProcAddress returns FARPROC: the casts go through a generic pointer. */
	u32.enum_windows = (enum_windows_fn)(void (*)(void))GetProcAddress(m, "EnumWindows");
	u32.window_pid = (window_pid_fn)(void (*)(void))GetProcAddress(m, "GetWindowThreadProcessId");
	u32.is_visible = (is_visible_fn)(void (*)(void))GetProcAddress(m, "IsWindowVisible");
	u32.post_message = (post_message_fn)(void (*)(void))GetProcAddress(m, "PostMessageW");
	return u32.enum_windows && u32.window_pid && u32.is_visible && u32.post_message;
}

static BOOL CALLBACK close_window(HWND w, LPARAM pid)
{
	DWORD owner = 0;
	u32.window_pid(w, &owner);
	if (owner == (DWORD)pid && u32.is_visible(w))
		u32.post_message(w, WM_CLOSE, 0, 0);
	return TRUE;
}

void ps_ask(ps_proc *p)
{
	handle_of(p);
	if (load_user32())
		u32.enum_windows(close_window, (LPARAM)p->pid);
}

void ps_end(ps_proc *p)
{
	HANDLE h = handle_of(p);
	if (h)
		TerminateProcess(h, 1);
}

int ps_alive(ps_proc *p)
{
	HANDLE h = handle_of(p);
	return h && WaitForSingleObject(h, 0) == WAIT_TIMEOUT;
}

void ps_sleep_ms(unsigned ms)
{
	Sleep(ms);
}

void ps_free(ps_proc *procs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (procs[i].handle)
			CloseHandle((HANDLE)procs[i].handle);
	free(procs);
}
#endif
