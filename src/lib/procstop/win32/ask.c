/* The question as a message box. user32 is loaded only now: a logon run that
 * asks nothing never loads it. */
#include "procstop/internal.h"

#include <windows.h>

int ps_confirm_text(const char *text)
{
	typedef int(WINAPI * message_box_fn)(HWND, LPCWSTR, LPCWSTR, UINT);
	HMODULE u32 = LoadLibraryW(L"user32.dll");
	message_box_fn box = u32 ? (message_box_fn)(void (*)(void))GetProcAddress(u32, "MessageBoxW") : NULL;
	wchar_t wtext[1024];
	if (!box || !MultiByteToWideChar(CP_UTF8, 0, text, -1, wtext, 1024))
		return 0;
	return box(NULL, wtext, L"cpuu", MB_YESNO | MB_ICONQUESTION | MB_SETFOREGROUND) == IDYES;
}
