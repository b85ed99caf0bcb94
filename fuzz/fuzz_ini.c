/* libFuzzer target for the INI reader and the typed configuration. Any input
 * either fails cleanly (CPUU_EINVALID with a message, nothing returned) or:
 *  - the handler sees only valid UTF-8, non-empty keys without line breaks,
 *    and line numbers that never go down;
 *  - the configuration answers every schema key within its type: bools 0/1,
 *    ints inside their range, enums one of their choices.
 * With CPUU_FUZZ_SEEDGEN: writes seed files into argv[1] (fuzz/README.md). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpuu/config.h"
#include "cpuu/unicode.h"

#ifndef CPUU_FUZZ_ENTRY
#define CPUU_FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif

int CPUU_FUZZ_ENTRY(const uint8_t *data, size_t size);

static int fini_handler(void *user, const char *section, const char *key, const char *value, unsigned line)
{
	unsigned *last = user;
	if (line == 0 || line < *last || !*key)
		abort();
	*last = line;
	if (!cpuu_utf8_valid(section, strlen(section)) || !cpuu_utf8_valid(key, strlen(key)) ||
	    !cpuu_utf8_valid(value, strlen(value)))
		abort();
	if (strpbrk(key, "\r\n") || strpbrk(value, "\n") || strpbrk(section, "\r\n"))
		abort();
	return CPUU_OK;
}

static int fini_choice(const char *choices, const char *v)
{
	size_t n = strlen(v);
	for (const char *c = choices; c && *c;) {
		const char *bar = strchr(c, '|');
		size_t k = bar ? (size_t)(bar - c) : strlen(c);
		if (k == n && !strncmp(c, v, n))
			return 1;
		c = bar ? bar + 1 : NULL;
	}
	return 0;
}

int CPUU_FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	unsigned last = 0;
	int rc = cpuu_ini_parse_buffer(data, size, fini_handler, &last);
	if (rc != CPUU_OK && rc != CPUU_EINVALID && rc != CPUU_ENOMEM)
		abort();

	cpuu_config *cfg = NULL;
	rc = cpuu_config_load_buffer(&cfg, data, size);
	if (rc != CPUU_OK) {
		if (cfg || !cpuu_error_last()->message[0] || (rc != CPUU_EINVALID && rc != CPUU_ENOMEM))
			abort();
		return 0;
	}
	size_t n;
	const cpuu_config_key_info *s = cpuu_config_schema(&n);
	for (size_t i = 0; i < n; i++) {
		const char *sec = s[i].section, *key = s[i].key;
		switch (s[i].type) {
		case CPUU_CFG_BOOL: {
			int b = cpuu_config_get_bool(cfg, sec, key);
			if (b != 0 && b != 1)
				abort();
			break;
		}
		case CPUU_CFG_INT: {
			long v = cpuu_config_get_int(cfg, sec, key);
			if (v < s[i].min || v > s[i].max)
				abort();
			break;
		}
		case CPUU_CFG_ENUM:
			if (!fini_choice(s[i].choices, cpuu_config_get_string(cfg, sec, key)))
				abort();
			break;
		case CPUU_CFG_LIST: {
			const cpuu_strlist *l = cpuu_config_get_list(cfg, sec, key);
			if (!l)
				abort();
			for (size_t k = 0; k < l->count; k++)
				if (!l->items[k][0])
					abort(); /* empty items are skipped */
			break;
		}
		default: {
			const char *v = cpuu_config_get_string(cfg, sec, key);
			if (v && !cpuu_utf8_valid(v, strlen(v)))
				abort();
		}
		}
	}
	const cpuu_strlist *w = cpuu_config_warnings(cfg);
	for (size_t i = 0; i < w->count; i++)
		if (!w->items[i][0] || strchr(w->items[i], '\n'))
			abort();
	cpuu_config_free(cfg);
	return 0;
}

#ifdef CPUU_FUZZ_SEEDGEN
static int fini_seed(const char *dir, const char *name, const void *data, size_t len)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f)
		return 1;
	fwrite(data, 1, len, f);
	return fclose(f) != 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	const char *full =
		"; comment\n# comment\n[General]\nMode = rollback\nWorkers = 4\nLogFile = logs/x.log\n"
		"[Profiles]\nProfiles = Outlook, \"A, B\"\nCachedProfiles = listed\nRemoteUsers = a, b\n"
		"[Features]\nAddBoxes = no\nPRF = yes\n[Mapping]\nFile = m.csv\n"
		"[Source]\nUrl = ldaps://dc:636\nBaseDN = DC=c,DC=com\nPasswordEnv = PW\nTimeoutSeconds = 10\n"
		"[Target]\nUrl = ldap://dc2\nStartTLS = true\nPasswordFile = t.pw\nVerifyCert = false\n"
		"[Correspondence]\nAttribute = extensionAttribute3\nSide = source\nHolds = smtp\n"
		"[Switch]\nAttribute = targetAddress\nPresent = yes\n[Logging]\nLevel = debug\n"
		"[Unknown]\nKey = value\n";
	int bad = fini_seed(argv[1], "full.ini", full, strlen(full));
	uint8_t *u16 = NULL;
	size_t u16len = 0;
	if (cpuu_utf8_to_utf16le(&u16, &u16len, full, 0) == CPUU_OK) {
		uint8_t *withbom = malloc(u16len + 2);
		if (withbom) {
			withbom[0] = 0xFF;
			withbom[1] = 0xFE;
			memcpy(withbom + 2, u16, u16len);
			bad |= fini_seed(argv[1], "utf16.ini", withbom, u16len + 2);
			free(withbom);
		}
		cpuu_free(u16);
	}
	const char *errs = "\xEF\xBB\xBF[General]\r\nMode = sideways\r\n";
	bad |= fini_seed(argv[1], "bad-enum.ini", errs, strlen(errs));
	const char *pw = "[Source]\nPassword = x\n";
	bad |= fini_seed(argv[1], "password.ini", pw, strlen(pw));
	return bad;
}
#endif
