/* A stand-in for a MAPI client in the Wine tests of the logon path
 * (tests/integration/wine_logon.sh): one visible top-level window, as
 * Outlook has. Polite (default): WM_CLOSE ends it with exit code 0 after
 * writing MARKER.closed. "stubborn": WM_CLOSE is only noted (MARKER.asked)
 * and ignored, so it must be ended (TerminateProcess: exit code 1).
 * MARKER.ready is written once the window exists.
 * usage: mapi-window.exe MARKER [stubborn] */
#include <stdio.h>
#include <string.h>
#include <windows.h>

static const char *marker;
static int stubborn;

static void note(const char *what)
{
	char path[MAX_PATH];
	snprintf(path, sizeof path, "%s.%s", marker, what);
	FILE *f = fopen(path, "w");
	if (f)
		fclose(f);
}

static LRESULT CALLBACK proc(HWND w, UINT msg, WPARAM wp, LPARAM lp)
{
	if (msg == WM_CLOSE) {
		note(stubborn ? "asked" : "closed");
		if (!stubborn)
			DestroyWindow(w);
		return 0;
	}
	if (msg == WM_DESTROY) {
		PostQuitMessage(0);
		return 0;
	}
	return DefWindowProcW(w, msg, wp, lp);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	marker = argv[1];
	stubborn = argc > 2 && !strcmp(argv[2], "stubborn");
	WNDCLASSW wc = { 0 };
	wc.lpfnWndProc = proc;
	wc.hInstance = GetModuleHandleW(NULL);
	wc.lpszClassName = L"cpuu-mapi-window";
	if (!RegisterClassW(&wc))
		return 3;
	HWND w = CreateWindowW(L"cpuu-mapi-window", L"Inbox - Outlook", WS_OVERLAPPEDWINDOW, 0, 0, 200, 100, NULL, NULL,
			       wc.hInstance, NULL);
	if (!w)
		return 4;
	ShowWindow(w, SW_SHOW);
	note("ready");
	MSG m;
	while (GetMessageW(&m, NULL, 0, 0) > 0) {
		TranslateMessage(&m);
		DispatchMessageW(&m);
	}
	return 0;
}
