#ifndef CPUU_PROCSTOP_INTERNAL_H
#define CPUU_PROCSTOP_INTERNAL_H

#include "common/internal.h"
#include "cpuu/procstop.h"

/* One process seen by the platform backend. */
typedef struct ps_proc {
	unsigned long pid;   /* 0: not one of ours */
	char name[260];      /* executable file name */
	int gone;
	void *handle;        /* backend state (Windows: process handle) */
	unsigned long long start; /* start time, so a reused pid is never touched */
} ps_proc;

/* Platform backends: posix/procstop.c / win32/procstop.c. */
int ps_list(ps_proc **out, size_t *n);
void ps_ask(ps_proc *p);   /* the polite request */
void ps_end(ps_proc *p);   /* the forced end */
int ps_alive(ps_proc *p);
void ps_sleep_ms(unsigned ms);
void ps_free(ps_proc *procs, size_t n);
/* The question of cpuu_procstop_ask_user for mode ("update", "rollback";
 * NULL: update) and the running programs, into buf (ask.c). */
void ps_question(char *buf, size_t size, const char *mode, const cpuu_strlist *running);
/* Shows text to the user with Yes/No (posix/ask.c, win32/ask.c): 1 yes. */
int ps_confirm_text(const char *text);

#endif
