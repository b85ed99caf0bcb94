/* libFuzzer target for the .reg parser: any input either fails cleanly or
 * parses into a document that formats and re-parses to the same document. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "cpuu/regtext.h"

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
	cpuu_free(diff);
	cpuu_free(text2);
	cpuu_free(text);
	cpuu_regtext_free(again);
	cpuu_regtext_free(doc);
	return 0;
}
