/* libFuzzer target for the .reg parser: any input either fails cleanly or
 * parses into a document that formats and re-parses to the same document. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <string.h>

#include "cpuu/regtext.h"
#include "cpuu/unicode.h"

/* tests/unit/test_fixture_fuzzreplay.c includes this file with its own name. */
#ifndef CPUU_FUZZ_ENTRY
#define CPUU_FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif
int CPUU_FUZZ_ENTRY(const uint8_t *data, size_t size);

int CPUU_FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	cpuu_regtext *doc = NULL;
	if (cpuu_regtext_parse(&doc, data, size) != CPUU_OK) {
		if (doc)
			abort(); /* a failed parse returns nothing */
		return 0;
	}
	char *text = NULL;
	size_t len = 0;
	int rc = cpuu_regtext_format(&text, &len, doc);
	if (rc == CPUU_ENOMEM) {
		cpuu_regtext_free(doc);
		return 0;
	}
	if (rc != CPUU_OK)
		abort(); /* the parser accepted something the writer cannot write */
	cpuu_regtext *again = NULL;
	if (cpuu_regtext_parse(&again, (const uint8_t *)text, len) != CPUU_OK)
		abort();
	if (!cpuu_regtext_equal(doc, again))
		abort();
	/* The writer is a function of the document. */
	char *text2 = NULL;
	size_t len2 = 0;
	if (cpuu_regtext_format(&text2, &len2, again) != CPUU_OK || len2 != len)
		abort();
	for (size_t i = 0; i < len; i++)
		if (text[i] != text2[i])
			abort();
	char *diff = NULL;
	if (cpuu_regtext_diff(&diff, doc, again) != CPUU_OK || diff[0] != '\0')
		abort();
	/* The file's bytes formatted straight into UTF-16LE are the text's,
	 * widened behind a BOM (the text is those bytes narrowed: this holds
	 * narrowing and widening to each other), and read back as the document;
	 * tests/unit/test_regtext_utf16.c holds them to a separate formatter. */
	uint8_t *u16 = NULL, *file = NULL;
	size_t ul = 0, fl = 0;
	rc = cpuu_regtext_format_utf16le(&file, &fl, doc);
	if (rc == CPUU_OK && cpuu_utf8n_to_utf16le(&u16, &ul, text, len, 0) == CPUU_OK) {
		if (fl != ul + 2 || file[0] != 0xFF || file[1] != 0xFE || memcmp(file + 2, u16, ul))
			abort();
		cpuu_regtext *back = NULL;
		if (cpuu_regtext_parse(&back, file, fl) != CPUU_OK || !cpuu_regtext_equal(doc, back))
			abort();
		cpuu_regtext_free(back);
	} else if (rc != CPUU_ENOMEM && rc != CPUU_OK) {
		abort(); /* formatted as UTF-8, so as UTF-16 too */
	}
	free(u16);
	free(file);
	cpuu_free(diff);
	cpuu_free(text2);
	cpuu_free(text);
	cpuu_regtext_free(again);
	cpuu_regtext_free(doc);
	return 0;
}
