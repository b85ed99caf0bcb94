/* cpuu decode KIND FILE|- [--binary] [--json]: shows what cpuu reads in a
 * MAPI binary value (entry IDs, flat entry lists, autocomplete streams and
 * .nk2 files, property streams), for admins debugging a profile and for the
 * MFCMAPI agreement test (docs/decode.md). Reads only; writes nothing. */
#include "cli.h"
#include "opt.h"

#include "cpuu/autocomplete.h"
#include "cpuu/mapi.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include <fcntl.h>
#include <io.h>
#endif

#define DECODE_MAX (64u << 20) /* larger than any profile value or .nk2 file */

static int read_all(uint8_t **out, size_t *len, const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
#ifdef _WIN32
	/* The bytes as they are: no CRLF translation, no Ctrl-Z end. */
	if (f == stdin)
		_setmode(_fileno(stdin), _O_BINARY);
#endif
	*out = NULL;
	*len = 0;
	if (!f) {
		fprintf(stderr, "cpuu: decode: %s: %s\n", path, strerror(errno));
		return errno == ENOENT ? CLI_EXIT_NOTFOUND : CLI_EXIT_IO;
	}
	size_t cap = 0, n = 0;
	uint8_t *buf = NULL;
	int code = CLI_EXIT_OK;
	for (;;) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 65536;
			uint8_t *g = ncap <= DECODE_MAX + 1 ? realloc(buf, ncap) : NULL;
			if (!g) {
				fprintf(stderr, "cpuu: decode: %s: larger than %u bytes\n", path, DECODE_MAX);
				code = CLI_EXIT_UNSUPPORTED;
				break;
			}
			buf = g;
			cap = ncap;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f)) {
				fprintf(stderr, "cpuu: decode: %s: read error\n", path);
				code = CLI_EXIT_IO;
			}
			break;
		}
	}
	if (f != stdin)
		fclose(f);
	if (code != CLI_EXIT_OK) {
		free(buf);
		return code;
	}
	*out = buf;
	*len = n;
	return CLI_EXIT_OK;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Hex text to bytes in place; blanks, line breaks and '-' between bytes are
 * ignored, anything else that is not a hex digit is refused. */
static int unhex(uint8_t *buf, size_t *len)
{
	size_t out = 0, digits = 0;
	int hi = 0;
	for (size_t i = 0; i < *len; i++) {
		int c = buf[i];
		/* '-' between bytes: the separator of hex-editor dumps. */
		if (isspace(c) || (c == '-' && digits % 2 == 0))
			continue;
		int v = hexval(c);
		if (v < 0) {
			fprintf(stderr, "cpuu: decode: byte %zu of the input ('%c') is not a hex digit (use --binary for raw input)\n",
				i, isprint(c) ? c : '?');
			return CLI_EXIT_INVALID;
		}
		if (digits++ % 2 == 0)
			hi = v;
		else
			buf[out++] = (uint8_t)(hi << 4 | v);
	}
	if (digits % 2) {
		fprintf(stderr, "cpuu: decode: odd number of hex digits (%zu)\n", digits);
		return CLI_EXIT_INVALID;
	}
	*len = out;
	return CLI_EXIT_OK;
}

int cli_cmd_decode(int argc, char **argv)
{
	const char *kind = NULL, *path = NULL;
	int json = 0, binary = 0;
	const cli_opt table[] = {
		{ "KIND", CLI_OPT_ARG, &kind, NULL,
		  "entryid, entrylist (FLATENTRYLIST), autocomplete (stream or .nk2),\n"
		  "contab (Outlook Address Book entry ID), props (property stream)", 0, 0 },
		{ "FILE", CLI_OPT_ARG, &path, NULL, "the value; '-' reads standard input", 0, 0 },
		{ "--binary", CLI_OPT_FLAG, &binary, NULL,
		  "the input is raw bytes (default: hex text; blanks and line breaks ignored)", 0, 0 },
		{ "--json", CLI_OPT_FLAG, &json, NULL, "JSON instead of the readable view (fields: docs/decode.md)", 0, 0 },
		{ 0 },
	};
	int prc = cli_opt_parse(table, argc, argv);
	if (prc == CLI_OPT_HELP) {
		printf("usage: cpuu decode KIND FILE|- [--binary] [--json]\n");
		cli_opt_help(stdout, table);
		return CLI_EXIT_OK;
	}
	if (prc != CLI_OPT_OK)
		return CLI_EXIT_USAGE;
	static const char *const kinds[] = { "entryid", "entrylist", "autocomplete", "contab", "props" };
	int k = -1;
	for (int i = 0; kind && i < 5; i++)
		if (!strcmp(kind, kinds[i]))
			k = i;
	if (k < 0 || !path) {
		fprintf(stderr, "cpuu: decode: give KIND (entryid, entrylist, autocomplete, contab, props) and FILE or - "
				"(see 'cpuu decode --help')\n");
		return CLI_EXIT_USAGE;
	}
	uint8_t *data = NULL;
	size_t len = 0;
	int code = read_all(&data, &len, path);
	if (code == CLI_EXIT_OK && !binary)
		code = unhex(data, &len);
	if (code != CLI_EXIT_OK) {
		free(data);
		return code;
	}
	cpuu_decode_format fmt = json ? CPUU_DECODE_JSON : CPUU_DECODE_TEXT;
	char *text = NULL;
	int rc;
	switch (k) {
	case 0: rc = cpuu_mapi_decode_entryid(&text, data, len, fmt); break;
	case 1: rc = cpuu_mapi_decode_entrylist(&text, data, len, fmt); break;
	case 2: rc = cpuu_autocomplete_decode(&text, data, len, fmt); break;
	case 3:
		/* contab: an entry ID that must be an Outlook Address Book one. */
		rc = cpuu_mapi_decode_entryid(&text, data, len, CPUU_DECODE_JSON);
		if (rc == CPUU_OK && !strstr(text, "\"kind\": \"contab\"")) {
			free(data);
			cpuu_free(text);
			fprintf(stderr, "cpuu: decode: not an Outlook Address Book (contab) entry ID\n");
			return CLI_EXIT_INVALID;
		}
		if (rc == CPUU_OK && !json) {
			cpuu_free(text);
			text = NULL;
			rc = cpuu_mapi_decode_entryid(&text, data, len, fmt);
		}
		break;
	default: rc = cpuu_mapi_decode_props(&text, data, len, fmt); break;
	}
	free(data);
	if (rc < 0) {
		cpuu_free(text);
		return cli_fail();
	}
	fputs(text, stdout);
	cpuu_free(text);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "cpuu: decode: cannot write the output\n");
		return CLI_EXIT_IO;
	}
	return CLI_EXIT_OK;
}
