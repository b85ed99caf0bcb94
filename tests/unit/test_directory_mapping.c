/* The mapping CSV: parsing (RFC 4180), lookups by every source key, the
 * safety rules (duplicates and broken rows are never switched), the writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpuu/mapping.h"
#include "directory/mapping_internal.h"
#include "mapping_match_assert.h"
#include "testutil.h"

#define HDR "source_legacy_dn,source_smtp,source_mailbox_guid,source_x500,target_legacy_dn,target_smtp," \
	    "target_mailbox_guid,target_display_name,target_kind,target_server,switched\n"

#define DN_A "/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=alice"
#define DN_B "/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=bob"
#define TDN_A "/o=Fabrikam/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=alice.f"
#define GUID_A "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"

static cpuu_mapping *load_ok(const char *text)
{
	cpuu_mapping *m = NULL;
	int rc = cpuu_mapping_load_buffer(&m, text, strlen(text));
	if (rc != CPUU_OK)
		print_error("load failed: %s\n", cpuu_error_last()->message);
	assert_int_equal(rc, CPUU_OK);
	assert_non_null(m);
	return m;
}

static cpuu_lookup_status look(const cpuu_mapping *m, const char *key, const cpuu_match **out)
{
	const cpuu_match *r = NULL;
	cpuu_lookup_status st = CPUU_LOOKUP_FOUND;
	assert_int_equal(cpuu_mapping_lookup(&r, &st, m, key), CPUU_OK);
	if (st == CPUU_LOOKUP_FOUND || st == CPUU_LOOKUP_NO_TARGET)
		assert_non_null(r);
	else
		assert_null(r);
	if (out)
		*out = r;
	return st;
}

static int warnings_mention(const cpuu_mapping *m, const char *needle)
{
	const cpuu_strlist *w = cpuu_mapping_warnings(m);
	for (size_t i = 0; i < w->count; i++)
		if (strstr(w->items[i], needle))
			return 1;
	return 0;
}

static void test_status_names(void **state)
{
	(void)state;
	assert_string_equal(cpuu_lookup_status_name(CPUU_LOOKUP_FOUND), "found");
	assert_string_equal(cpuu_lookup_status_name(CPUU_LOOKUP_NO_SOURCE), "no_source");
	assert_string_equal(cpuu_lookup_status_name(CPUU_LOOKUP_NO_TARGET), "no_target");
	assert_string_equal(cpuu_lookup_status_name(CPUU_LOOKUP_AMBIGUOUS), "ambiguous");
	cpuu_match m = { 0 };
	m.source_smtp = strdup("a@b.c");
	m.source_x500.items = calloc(1, sizeof(char *));
	m.source_x500.items[0] = strdup("/o=x");
	m.source_x500.count = 1;
	cpuu_match_clear(&m);
	assert_null(m.source_smtp);
	assert_int_equal(m.source_x500.count, 0);
	cpuu_match_clear(NULL);
}

static void test_lookup_every_key(void **state)
{
	(void)state;
	/* Columns in another order, an unknown column, CRLF line ends, a BOM. */
	const char *csv =
		"\xEF\xBB\xBFswitched,target_smtp,source_smtp,source_legacy_dn,target_legacy_dn,source_x500,"
		"source_mailbox_guid,target_mailbox_guid,target_kind,target_server,target_display_name,notes\r\n"
		"yes,alice@fabrikam.com,Alice@Contoso.com," DN_A "," TDN_A ",\"X500:/o=Old/cn=alice1; /o=Old/cn=alice2\","
		"{0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0},11111111-2222-3333-4444-555555555555,onprem,"
		"11111111-2222-3333-4444-555555555555@fabrikam.com,\"Smith, Alice \"\"Al\"\"\",x\r\n"
		"0,,bob@contoso.com," DN_B ",,,,,online,,Bob,\r\n";
	cpuu_mapping *m = load_ok(csv);
	assert_int_equal(cpuu_mapping_count(m), 2);
	assert_true(warnings_mention(m, "line 1: unknown column 'notes'"));

	const cpuu_match *r;
	assert_int_equal(look(m, DN_A, &r), CPUU_LOOKUP_FOUND);
	assert_string_equal(r->source_legacy_dn, DN_A);
	assert_string_equal(r->source_smtp, "Alice@Contoso.com");
	assert_string_equal(r->source_mailbox_guid, GUID_A);
	assert_int_equal(r->source_x500.count, 2);
	assert_string_equal(r->source_x500.items[0], "/o=Old/cn=alice1");
	assert_string_equal(r->source_x500.items[1], "/o=Old/cn=alice2");
	assert_string_equal(r->target_legacy_dn, TDN_A);
	assert_string_equal(r->target_smtp, "alice@fabrikam.com");
	assert_string_equal(r->target_mailbox_guid, "11111111-2222-3333-4444-555555555555");
	assert_string_equal(r->target_display_name, "Smith, Alice \"Al\"");
	assert_string_equal(r->target_server, "11111111-2222-3333-4444-555555555555@fabrikam.com");
	assert_int_equal(r->target_kind, CPUU_TARGET_ONPREM);
	assert_int_equal(r->switched, 1);

	const cpuu_match *r2;
	/* Every source key, in any case and with any address-type prefix. */
	const char *keys[] = {
		"/O=CONTOSO/OU=EXCHANGE ADMINISTRATIVE GROUP (FYDIBOHF23SPDLT)/CN=RECIPIENTS/CN=ALICE",
		"X500:" DN_A, "EX:" DN_A, "x500:/o=old/cn=ALICE2", "/o=Old/cn=alice1",
		"alice@contoso.com", "SMTP:ALICE@CONTOSO.COM", "smtp:alice@contoso.com",
		GUID_A, "{0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0}", "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
		"  alice@contoso.com  ",
	};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		assert_int_equal(look(m, keys[i], &r2), CPUU_LOOKUP_FOUND);
		assert_ptr_equal(r2, r);
	}
	/* Target keys are not source keys. */
	assert_int_equal(look(m, "alice@fabrikam.com", NULL), CPUU_LOOKUP_NO_SOURCE);
	assert_int_equal(look(m, TDN_A, NULL), CPUU_LOOKUP_NO_SOURCE);
	assert_int_equal(look(m, "/o=Old/cn=alice", NULL), CPUU_LOOKUP_NO_SOURCE);

	/* Bob: no target columns -> NO_TARGET, and not switched. */
	assert_int_equal(look(m, "bob@contoso.com", &r2), CPUU_LOOKUP_NO_TARGET);
	assert_int_equal(r2->switched, 0);
	assert_null(r2->source_mailbox_guid);
	assert_int_equal(r2->source_x500.count, 0);
	assert_int_equal(r2->target_kind, CPUU_TARGET_ONLINE);

	/* Keys of no known kind. */
	const cpuu_match *r3 = (const cpuu_match *)1;
	cpuu_lookup_status st = CPUU_LOOKUP_FOUND;
	assert_int_equal(cpuu_mapping_lookup(&r3, &st, m, "alice"), CPUU_EINVALID);
	assert_null(r3);
	assert_int_equal(st, CPUU_LOOKUP_NO_SOURCE);
	assert_int_equal(cpuu_mapping_lookup(&r3, &st, m, ""), CPUU_EINVALID);
	assert_int_equal(cpuu_mapping_lookup(&r3, &st, m, "SMTP:@x"), CPUU_EINVALID);

	assert_ptr_equal(cpuu_mapping_get(m, 0), r);
	assert_null(cpuu_mapping_get(m, 2));
	cpuu_mapping_free(m);
}

static void test_rfc4180_quoting(void **state)
{
	(void)state;
	const char *csv =
		HDR
		"\"" DN_A "\",\"a@c.com\",,,\"" TDN_A "\",a@f.com,,\"line one\r\nline \"\"two\"\", with comma\",onprem,,\"true\"\n"
		"\n"
		DN_B ",b@c.com,,,,b@f.com,,\"  padded  \",,,false"; /* no final newline */
	cpuu_mapping *m = load_ok(csv);
	assert_int_equal(cpuu_mapping_count(m), 2);
	assert_int_equal(cpuu_mapping_warnings(m)->count, 0);
	const cpuu_match *r;
	assert_int_equal(look(m, "a@c.com", &r), CPUU_LOOKUP_FOUND);
	assert_string_equal(r->target_display_name, "line one\r\nline \"two\", with comma");
	assert_int_equal(look(m, "b@c.com", &r), CPUU_LOOKUP_FOUND);
	assert_string_equal(r->target_display_name, "  padded  ");
	assert_int_equal(r->target_kind, CPUU_TARGET_UNKNOWN);
	/* Line numbers after a multi-line field stay right: line 6 is bad. */
	cpuu_mapping_free(m);
	const char *csv2 =
		HDR
		DN_A ",a@c.com,,,,a@f.com,,\"two\nlines\",,,true\n"
		"\n"
		DN_B ",b@c.com,,,,b@f.com,,,,,maybe\n";
	m = load_ok(csv2);
	assert_int_equal(cpuu_mapping_count(m), 1);
	assert_true(warnings_mention(m, "line 5: switched is not"));
	cpuu_mapping_free(m);
}

static void test_duplicates_are_ambiguous(void **state)
{
	(void)state;
	const char *csv =
		HDR
		/* alice and carol share an X500: both are ambiguous by every key. */
		DN_A ",alice@c.com,,/o=Shared/cn=x,,alice@f.com,,,,,true\n"
		"/o=C/cn=carol,carol@c.com," GUID_A ",/O=SHARED/CN=X,,carol@f.com,,,,,true\n"
		/* dave repeats his own legacyDN in his X500s: not a conflict. */
		"/o=C/cn=dave,dave@c.com,,/o=C/cn=dave;/o=C/cn=dave,,dave@f.com,,,,,true\n"
		/* erin twice, identical rows: still ambiguous. */
		"/o=C/cn=erin,erin@c.com,,,,erin@f.com,,,,,true\n"
		"/o=C/cn=erin,erin@c.com,,,,erin@f.com,,,,,true\n";
	cpuu_mapping *m = load_ok(csv);
	assert_int_equal(cpuu_mapping_count(m), 5);
	assert_int_equal(look(m, "/o=shared/cn=x", NULL), CPUU_LOOKUP_AMBIGUOUS);
	assert_int_equal(look(m, DN_A, NULL), CPUU_LOOKUP_AMBIGUOUS);
	assert_int_equal(look(m, "alice@c.com", NULL), CPUU_LOOKUP_AMBIGUOUS);
	assert_int_equal(look(m, "carol@c.com", NULL), CPUU_LOOKUP_AMBIGUOUS);
	assert_int_equal(look(m, GUID_A, NULL), CPUU_LOOKUP_AMBIGUOUS);
	assert_int_equal(look(m, "/o=C/cn=dave", NULL), CPUU_LOOKUP_FOUND);
	assert_int_equal(look(m, "erin@c.com", NULL), CPUU_LOOKUP_AMBIGUOUS);
	assert_int_equal(look(m, "/o=c/cn=erin", NULL), CPUU_LOOKUP_AMBIGUOUS);
	cpuu_mapping_free(m);
}

static void test_malformed_rows(void **state)
{
	(void)state;
	const char *csv =
		HDR
		"/o=C/cn=ok1,ok1@c.com,,,,ok1@f.com,,,,,true\n"                 /* 2 */
		"/o=C/cn=short,short@c.com,,,,short@f.com,,,,true\n"            /* 3: 10 fields */
		"/o=C/cn=guid,guid@c.com,not-a-guid,,,guid@f.com,,,,,true\n"    /* 4 */
		"/o=C/cn=kind,kind@c.com,,,,kind@f.com,,,cloud,,true\n"         /* 5 */
		"/o=C/cn=sw,sw@c.com,,,,sw@f.com,,,,,\n"                        /* 6: empty switched */
		"cn=nodn,nodn@c.com,,,,nodn@f.com,,,,,true\n"                   /* 7 */
		"/o=C/cn=q\"x,q@c.com,,,,q@f.com,,,,,true\n"                    /* 8: quote in field */
		",,,,,none@f.com,,,,,true\n"                                    /* 9: no source key */
		"/o=C/cn=bad8,bad8@c.com,,,,bad8@f.com,,caf\xC3,,,true\n"       /* 10: bad UTF-8 */
		"/o=C/cn=ok2,ok2@c.com,,,,ok2@f.com,,Zo\xC3\xAB,,,true\n"       /* 11: good UTF-8 */
		"\"/o=C/cn=open,open@c.com,,,,open@f.com,,,,,true\n"            /* 12: never closed */
		"/o=C/cn=ok3,ok3@c.com,,,,ok3@f.com,,,,,true\n";                /* 13 */
	cpuu_mapping *m = load_ok(csv);
	assert_int_equal(cpuu_mapping_count(m), 3);
	assert_true(warnings_mention(m, "line 3: 10 fields where the header has 11"));
	assert_true(warnings_mention(m, "line 4: source_mailbox_guid"));
	assert_true(warnings_mention(m, "line 5: target_kind"));
	assert_true(warnings_mention(m, "line 6: switched"));
	assert_true(warnings_mention(m, "line 7: source_legacy_dn"));
	assert_true(warnings_mention(m, "line 8: quote inside an unquoted field"));
	assert_true(warnings_mention(m, "line 9: no source key"));
	assert_true(warnings_mention(m, "line 10: not valid UTF-8"));
	assert_true(warnings_mention(m, "line 12: unterminated quote"));
	assert_int_equal(cpuu_mapping_warnings(m)->count, 9);

	assert_int_equal(look(m, "ok1@c.com", NULL), CPUU_LOOKUP_FOUND);
	const cpuu_match *r;
	assert_int_equal(look(m, "ok2@c.com", &r), CPUU_LOOKUP_FOUND);
	assert_string_equal(r->target_display_name, "Zo\xC3\xAB");
	assert_int_equal(look(m, "ok3@c.com", NULL), CPUU_LOOKUP_FOUND);
	/* Every key of a broken row answers "invalid" (never switched, the run's
	 * INVALID_SWITCH_MSG), never "not found". */
	const char *broken[] = {
		"/o=C/cn=short", "short@c.com", "/o=C/cn=guid", "guid@c.com", "kind@c.com", "/o=c/cn=sw",
		"sw@c.com", "nodn@c.com", "q@c.com", "bad8@c.com", "/o=C/cn=bad8", "open@c.com", "/o=C/cn=open",
	};
	for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
		cpuu_lookup_status st = look(m, broken[i], NULL);
		if (st != CPUU_LOOKUP_INVALID)
			print_error("%s -> %s\n", broken[i], cpuu_lookup_status_name(st));
		assert_int_equal(st, CPUU_LOOKUP_INVALID);
	}
	cpuu_mapping_free(m);
}

static void test_broken_row_poisons_valid_twin(void **state)
{
	(void)state;
	/* The same user in a clean row and a broken one: not switched. */
	const char *csv =
		HDR
		"/o=C/cn=twin,twin@c.com,,,,twin@f.com,,,,,true\n"
		"/o=C/cn=twin,twin@c.com,,,,twin@f.com,,,,,perhaps\n";
	cpuu_mapping *m = load_ok(csv);
	assert_int_equal(cpuu_mapping_count(m), 1);
	assert_int_equal(look(m, "twin@c.com", NULL), CPUU_LOOKUP_AMBIGUOUS);
	assert_int_equal(look(m, "/o=C/cn=twin", NULL), CPUU_LOOKUP_AMBIGUOUS);
	cpuu_mapping_free(m);
}

/* The reader's fast paths (sixteen bytes per step, quoted fields used in
 * place) against the rules: stops and non-ASCII bytes past the first blocks
 * of a long field, and the keys of quoted fields in a row broken later. */
static void test_long_fields_and_quoted_keys(void **state)
{
	(void)state;
	const char *csv =
		HDR
		/* 2: quoted keys, long enough for several blocks, row fine */
		"\"" DN_A "\",\"SMTP:alice.with.a.long.local.part@contoso.example.com\",,"
		"\"/o=Old/ou=First Administrative Group/cn=Recipients/cn=alice\",,a@f.com,,\"Smith, Alice\",,,true\n"
		/* 3: quoted keys (one with a "" pair), then a bad switched value */
		"\"/o=Contoso/ou=Exchange Administrative Group/cn=Recipients/cn=bob\",\"bob.long.address@contoso.example.com\",,"
		"\"/o=Old/cn=bob \"\"b\"\"\",,b@f.com,,,,,perhaps\n"
		/* 4: invalid UTF-8 in the 20th byte of an unquoted display name */
		"/o=C/cn=carol,carol@c.com,,,,c@f.com,,Carol Carolsdottir \xC3 x,,,true\n"
		/* 5: the same byte inside a quoted display name */
		"/o=C/cn=dave,dave@c.com,,,,d@f.com,,\"Dave Davidsson, the \xFF\",,,true\n"
		/* 6: a quote after the 16th byte of an unquoted field */
		"/o=C/cn=erin-with-a-long-name\"x,erin@c.com,,,,e@f.com,,,,,true\n"
		/* 7: valid UTF-8 past the first block, quoted and unquoted */
		"/o=C/cn=frank,frank@c.com,,,,f@f.com,,\"Frank Frankenstein, Zo\xC3\xAB\",,,true\n"
		"/o=C/cn=gina,gina@c.com,,,,g@f.com,,Gina Ginastochter Zo\xC3\xAB,,,true\n";
	cpuu_mapping *m = load_ok(csv);
	const cpuu_match *r;
	assert_int_equal(cpuu_mapping_count(m), 3);
	assert_int_equal(look(m, "alice.with.a.long.local.part@contoso.example.com", &r), CPUU_LOOKUP_FOUND);
	assert_string_equal(r->source_legacy_dn, DN_A);
	assert_string_equal(r->source_smtp, "alice.with.a.long.local.part@contoso.example.com");
	assert_string_equal(r->source_x500.items[0], "/o=Old/ou=First Administrative Group/cn=Recipients/cn=alice");
	assert_string_equal(r->target_display_name, "Smith, Alice");
	assert_int_equal(look(m, "/o=OLD/ou=first administrative group/cn=Recipients/cn=alice", NULL), CPUU_LOOKUP_FOUND);
	assert_true(warnings_mention(m, "line 3: switched"));
	assert_int_equal(look(m, "/o=Contoso/ou=Exchange Administrative Group/cn=Recipients/cn=bob", NULL),
			 CPUU_LOOKUP_INVALID);
	assert_int_equal(look(m, "bob.long.address@contoso.example.com", NULL), CPUU_LOOKUP_INVALID);
	assert_int_equal(look(m, "/o=Old/cn=bob", NULL), CPUU_LOOKUP_INVALID);
	assert_true(warnings_mention(m, "line 4: not valid UTF-8"));
	assert_int_equal(look(m, "carol@c.com", NULL), CPUU_LOOKUP_INVALID);
	assert_true(warnings_mention(m, "line 5: not valid UTF-8"));
	assert_int_equal(look(m, "dave@c.com", NULL), CPUU_LOOKUP_INVALID);
	assert_true(warnings_mention(m, "line 6: quote inside an unquoted field"));
	assert_int_equal(look(m, "erin@c.com", NULL), CPUU_LOOKUP_INVALID);
	assert_int_equal(look(m, "frank@c.com", &r), CPUU_LOOKUP_FOUND);
	assert_string_equal(r->target_display_name, "Frank Frankenstein, Zo\xC3\xAB");
	assert_int_equal(look(m, "gina@c.com", &r), CPUU_LOOKUP_FOUND);
	assert_string_equal(r->target_display_name, "Gina Ginastochter Zo\xC3\xAB");
	assert_int_equal(cpuu_mapping_warnings(m)->count, 4);
	cpuu_mapping_free(m);
}

/* A quoted key followed by text after its closing quote: the row is broken,
 * and its key must be poisoned as written. Unescaping before the error was
 * found once left "bob@c.comm" in the buffer: bob@c.com was then "not found",
 * and a clean twin row FOUND. Both the in-place and the "" path. */
static void test_broken_quoted_key_poisoned_as_written(void **state)
{
	(void)state;
	static const char csv[] =
		HDR
		"/o=C/cn=bob,bob@c.com,,,,b@f.com,,,,,true\n"
		"/o=C/cn=bob2,\"bob@c.com\"x,,,,b@f.com,,,,,true\n"
		"/o=C/cn=eve,eve@c.com,,,,e@f.com,,,,,true\n"
		"/o=C/cn=eve2,\"q\"\"x,eve@c.com\"y,,,,e@f.com,,,,,true\n"
		"/o=C/cn=nul,\"nul@c.com\",,\"/o=C/cn=\"\"n\"\"\0\",,n@f.com,,,,,true\n";
	cpuu_mapping *m = NULL;
	assert_int_equal(cpuu_mapping_load_buffer(&m, csv, sizeof csv - 1), CPUU_OK);
	assert_true(warnings_mention(m, "line 3: text after a closing quote"));
	assert_true(warnings_mention(m, "line 5: text after a closing quote"));
	assert_true(warnings_mention(m, "line 6: NUL byte in a field"));
	assert_int_equal(look(m, "bob@c.com", NULL), CPUU_LOOKUP_AMBIGUOUS);
	assert_int_equal(look(m, "/o=C/cn=bob", NULL), CPUU_LOOKUP_AMBIGUOUS);
	assert_int_equal(look(m, "eve@c.com", NULL), CPUU_LOOKUP_AMBIGUOUS);
	assert_int_equal(look(m, "nul@c.com", NULL), CPUU_LOOKUP_INVALID);
	assert_int_equal(look(m, "bob@c.comm", NULL), CPUU_LOOKUP_NO_SOURCE);
	assert_int_equal(look(m, "eve@c.comm", NULL), CPUU_LOOKUP_NO_SOURCE);
	cpuu_mapping_free(m);
}

static void expect_load_error(const char *csv, size_t len, const char *needle)
{
	cpuu_mapping *m = (cpuu_mapping *)1;
	assert_int_equal(cpuu_mapping_load_buffer(&m, csv, len), CPUU_EINVALID);
	assert_null(m);
	if (!strstr(cpuu_error_last()->message, needle))
		print_error("message '%s' lacks '%s'\n", cpuu_error_last()->message, needle);
	assert_non_null(strstr(cpuu_error_last()->message, needle));
}

static void test_bad_files(void **state)
{
	(void)state;
	expect_load_error("", 0, "empty");
	expect_load_error("\n\n", 2, "empty");
	const char *no_sw = "source_legacy_dn,source_smtp,target_legacy_dn,target_smtp\n";
	expect_load_error(no_sw, strlen(no_sw), "required column 'switched' missing");
	const char *twice = "source_legacy_dn,source_smtp,target_legacy_dn,target_smtp,switched,SOURCE_SMTP\n";
	expect_load_error(twice, strlen(twice), "column 'source_smtp' appears twice");
	const char utf16[] = "\xFF\xFEs\0o\0";
	expect_load_error(utf16, sizeof utf16 - 1, "UTF-16");
	const char *hdrq = "\"source_legacy_dn,source_smtp\n";
	expect_load_error(hdrq, strlen(hdrq), "line 1: header row: unterminated quote");

	cpuu_mapping *m = (cpuu_mapping *)1;
	assert_int_equal(cpuu_mapping_load(&m, "/nonexistent/cpuu/mapping.csv"), CPUU_ENOTFOUND);
	assert_null(m);
	/* A header with no rows is a valid, empty mapping. */
	m = load_ok(HDR);
	assert_int_equal(cpuu_mapping_count(m), 0);
	assert_int_equal(look(m, "a@b.c", NULL), CPUU_LOOKUP_NO_SOURCE);
	cpuu_mapping_free(m);
}

static void test_write_roundtrip(void **state)
{
	(void)state;
	char *x500a[] = { "/o=Old/cn=a1", "/o=Old/cn=a, with comma", "/o=Old/cn=\"quoted\"" };
	cpuu_match in[4];
	memset(in, 0, sizeof in);
	in[0].source_legacy_dn = DN_A;
	in[0].source_smtp = "alice@contoso.com";
	in[0].source_mailbox_guid = GUID_A;
	in[0].source_x500.items = x500a;
	in[0].source_x500.count = 3;
	in[0].target_legacy_dn = TDN_A;
	in[0].target_smtp = "alice@fabrikam.com";
	in[0].target_mailbox_guid = "11111111-2222-3333-4444-555555555555";
	in[0].target_display_name = " Smith, \"Al\"\r\nsecond line ";
	in[0].target_kind = CPUU_TARGET_ONPREM;
	in[0].target_server = "11111111-2222-3333-4444-555555555555@fabrikam.com";
	in[0].switched = 1;
	in[1].source_smtp = "bob@contoso.com";            /* only an SMTP, no target */
	in[2].source_legacy_dn = "/o=C/cn=J\xC3\xBCrgen";  /* UTF-8, online */
	in[2].target_smtp = "juergen@fabrikam.onmicrosoft.com";
	in[2].target_display_name = "J\xC3\xBCrgen M\xC3\xBCller";
	in[2].target_kind = CPUU_TARGET_ONLINE;
	in[2].switched = 1;
	in[3].source_mailbox_guid = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
	in[3].target_legacy_dn = "/o=F/cn=x";
	in[3].target_display_name = "#not a comment;=1+2";

	char *dir = test_tmpdir("mapping");
	assert_non_null(dir);
	char *path = test_path(dir, "mapping.csv");
	assert_int_equal(cpuu_mapping_write(path, in, 4), CPUU_OK);
	/* Replacing an existing file works and leaves no temp file behind. */
	assert_int_equal(cpuu_mapping_write(path, in, 4), CPUU_OK);
	DIR *d = opendir(dir);
	assert_non_null(d);
	int files = 0;
	for (struct dirent *e; (e = readdir(d));)
		if (e->d_name[0] != '.')
			files++;
	closedir(d);
	assert_int_equal(files, 1);

	cpuu_mapping *m = NULL;
	assert_int_equal(cpuu_mapping_load(&m, path), CPUU_OK);
	assert_int_equal(cpuu_mapping_count(m), 4);
	assert_int_equal(cpuu_mapping_warnings(m)->count, 0);
	for (size_t i = 0; i < 4; i++)
		assert_match_same(cpuu_mapping_get(m, i), &in[i], 1);
	const cpuu_match *r;
	assert_int_equal(look(m, "/o=old/cn=a, with comma", &r), CPUU_LOOKUP_FOUND);
	assert_ptr_equal(r, cpuu_mapping_get(m, 0));
	assert_int_equal(look(m, "bob@contoso.com", NULL), CPUU_LOOKUP_NO_TARGET);
	assert_int_equal(look(m, "AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE", NULL), CPUU_LOOKUP_FOUND);

	/* load(write(load(x))) is stable too: write what was loaded. */
	char *path2 = test_path(dir, "again.csv");
	cpuu_match copy[4];
	for (size_t i = 0; i < 4; i++)
		copy[i] = *cpuu_mapping_get(m, i);
	assert_int_equal(cpuu_mapping_write(path2, copy, 4), CPUU_OK);
	assert_true(test_files_equal(path, path2));
	cpuu_mapping_free(m);

	/* Refusals leave the old file alone. */
	char *semi[] = { "/o=a;b" };
	cpuu_match bad = { 0 };
	bad.source_smtp = "x@y.z";
	bad.source_x500.items = semi;
	bad.source_x500.count = 1;
	assert_int_equal(cpuu_mapping_write(path, &bad, 1), CPUU_EINVALID);
	cpuu_match badg = { 0 };
	badg.source_smtp = "x@y.z";
	badg.target_mailbox_guid = "{AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE}";
	assert_int_equal(cpuu_mapping_write(path, &badg, 1), CPUU_EINVALID);
	assert_true(test_files_equal(path, path2));
	char *nodir = test_path(dir, "no/such/dir/m.csv");
	assert_int_not_equal(cpuu_mapping_write(nodir, in, 1), CPUU_OK);

	free(nodir);
	free(path2);
	free(path);
	test_tmpdir_remove(dir);
}

/* Deterministic garbage: mutations of a valid file must never crash, and a
 * load that succeeds answers every lookup without error. */
static void test_garbage_never_crashes(void **state)
{
	(void)state;
	const char *base =
		HDR
		DN_A ",alice@c.com," GUID_A ",\"/o=x;/o=y\",/o=F/cn=a,a@f.com,,\"A, \"\"B\"\"\",onprem,s@f,true\r\n"
		DN_B ",bob@c.com,,,,b@f.com,,,,,no\n";
	size_t n = strlen(base);
	char *buf = malloc(n + 8);
	uint32_t seed = 12345;
	for (int iter = 0; iter < 20000; iter++) {
		memcpy(buf, base, n);
		size_t len = n;
		int muts = 1 + iter % 4;
		for (int k = 0; k < muts; k++) {
			seed = seed * 1103515245u + 12345u;
			size_t at = (seed >> 8) % len;
			static const char pool[] = ",\"\r\n;@/{}\0\xC3\xFF a";
			seed = seed * 1103515245u + 12345u;
			buf[at] = pool[(seed >> 8) % (sizeof pool - 1)];
			if (iter % 7 == 0)
				len = at + 1;
		}
		cpuu_mapping *m = NULL;
		if (cpuu_mapping_load_buffer(&m, buf, len) == CPUU_OK) {
			const char *keys[] = { DN_A, "alice@c.com", GUID_A, "/o=x", "bob@c.com" };
			for (size_t i = 0; i < 5; i++) {
				const cpuu_match *r;
				cpuu_lookup_status st;
				assert_int_equal(cpuu_mapping_lookup(&r, &st, m, keys[i]), CPUU_OK);
			}
			cpuu_mapping_free(m);
		} else {
			assert_null(m);
		}
	}
	free(buf);
}

/* Issue 18: one normalisation for storing, duplicates and lookups. */
static void expect_norm(const char *key, cpuu_key_kind kind, const char *norm)
{
	char out[256];
	cpuu_key_kind k = CPUU_KEY_NONE;
	int rc = cpuu_mapping_key_normalize(out, sizeof out, &k, key, strlen(key), CPUU_KEY_FOLD);
	if (!norm) {
		assert_int_equal(rc, CPUU_EINVALID);
		assert_int_equal(k, CPUU_KEY_NONE);
		return;
	}
	if (rc != CPUU_OK)
		print_error("'%s': %s\n", key, cpuu_error_last()->message);
	assert_int_equal(rc, CPUU_OK);
	assert_int_equal(k, kind);
	assert_string_equal(out, norm);
}

static void test_key_normalisation(void **state)
{
	(void)state;
	/* blanks, tabs, line ends and U+00A0 around; prefixes of any case, repeated */
	expect_norm(" \t/o=X/cn=Alice\t ", CPUU_KEY_DN, "/o=x/cn=alice");
	expect_norm("X500:/o=X/cn=alice", CPUU_KEY_DN, "/o=x/cn=alice");
	expect_norm("  x500: \t/o=X/cn=alice \r\n", CPUU_KEY_DN, "/o=x/cn=alice");
	expect_norm("EX:/o=X/cn=alice", CPUU_KEY_DN, "/o=x/cn=alice");
	expect_norm("X500:X500:/o=X/cn=alice", CPUU_KEY_DN, "/o=x/cn=alice");
	expect_norm("\xC2\xA0/o=X/cn=al ice\xC2\xA0", CPUU_KEY_DN, "/o=x/cn=al ice");
	expect_norm("\tSMTP:Alice@Contoso.com ", CPUU_KEY_SMTP, "alice@contoso.com");
	expect_norm("smtp: alice@contoso.com", CPUU_KEY_SMTP, "alice@contoso.com");
	expect_norm(" alice@contoso.com\t", CPUU_KEY_SMTP, "alice@contoso.com");
	expect_norm(" {0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0}\t", CPUU_KEY_GUID, GUID_A);
	expect_norm("0F1E2D3C4B5A69788796A5B4C3D2E1F0", CPUU_KEY_GUID, GUID_A);
	expect_norm("{0f1e2d3c4b5a69788796a5b4c3d2e1f0}", CPUU_KEY_GUID, GUID_A);
	/* empty after normalisation, or of no kind */
	expect_norm(" \t ", CPUU_KEY_NONE, NULL);
	expect_norm("X500:", CPUU_KEY_NONE, NULL);
	expect_norm("SMTP: \t", CPUU_KEY_NONE, NULL);
	expect_norm("EX:alice", CPUU_KEY_NONE, NULL);
	expect_norm("SMTP:/o=X/cn=a@b", CPUU_KEY_NONE, NULL);
	expect_norm("al ice@contoso.com", CPUU_KEY_NONE, NULL);
	expect_norm("SMTP:X500:/o=X", CPUU_KEY_NONE, NULL);
	expect_norm("0f1e2d3c-4b5a-6978-8796", CPUU_KEY_NONE, NULL);

	/* GUID digits: every byte at every digit place, dashed and bare forms
	 * (the canonicalisation works eight bytes at a time). */
	for (int form = 0; form < 2; form++)
		for (int place = 0; place < 32; place++)
			for (int c = 1; c < 256; c++) {
				char g[40], out[64];
				strcpy(g, form ? "0f1e2d3c4b5a69788796a5b4c3d2e1f0" : GUID_A);
				int at = form ? place : place + (place >= 8) + (place >= 12) + (place >= 16) + (place >= 20);
				g[at] = (char)c;
				cpuu_key_kind k;
				int hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
				int rc = cpuu_mapping_key_normalize(out, sizeof out, &k, g, strlen(g), 0);
				if (hex) {
					assert_int_equal(rc, CPUU_OK);
					assert_int_equal(k, CPUU_KEY_GUID);
					char want[37];
					strcpy(want, GUID_A);
					want[place + (place >= 8) + (place >= 12) + (place >= 16) + (place >= 20)] =
						(char)(c >= 'A' && c <= 'F' ? c + 32 : c);
					assert_string_equal(out, want);
				} else {
					assert_true(rc != CPUU_OK || k != CPUU_KEY_GUID);
				}
			}

	/* Quoted keys keep their blanks in CSV; normalisation makes them the
	 * same key as the unquoted twin: both rows ambiguous by every key. */
	cpuu_mapping *m = load_ok(HDR
		"\"/o=X/cn=alice \",a1@c.com,,,,a@f.com,,,,,true\n"
		"/o=X/cn=alice,a2@c.com,,,,b@f.com,,,,,true\n"
		"\"\t/o=X/cn=bob\",\" SMTP:bob@c.com\t\",\" {AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE} \",\" X500:/o=Old/cn=bob\t; x500: /o=Old/cn=b2 \",,bob@f.com,,,,,true\n"
		"/o=X/cn=carol,carol@c.com,,,,carol@f.com,,,,,true\n"
		"/o=X/cn=dave,\"Carol@C.com \",,,,dave@f.com,,,,,true\n"
		"/o=X/cn=erin,erin@c.com,11111111222233334444555555555555,,,erin@f.com,,,,,true\n"
		"\" \",frank@c.com,,,,frank@f.com,,,,,true\n"
		"/o=X/cn=gina,gina@c.com,,\"X500:\",,gina@f.com,,,,,true\n"
		"/o=X/cn=hank,\"SMTP:\",,,,hank@f.com,,,,,true\n");
	assert_int_equal(look(m, "/o=X/cn=alice", NULL), CPUU_LOOKUP_AMBIGUOUS);
	assert_int_equal(look(m, "a1@c.com", NULL), CPUU_LOOKUP_AMBIGUOUS);
	assert_int_equal(look(m, "a2@c.com", NULL), CPUU_LOOKUP_AMBIGUOUS);
	/* bob: every key found through blanks, tabs and prefixes on either side */
	const cpuu_match *r = NULL;
	const char *bob_keys[] = { "/o=x/cn=BOB", " /o=X/cn=bob\t", "EX:/o=X/cn=bob", "bob@c.com", "SMTP:BOB@c.com ",
				   "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "{AAAAAAAABBBBCCCCDDDDEEEEEEEEEEEE}",
				   "/o=Old/cn=bob", "X500:/o=old/cn=bob", "x500:/o=Old/cn=b2\t" };
	for (size_t i = 0; i < sizeof bob_keys / sizeof bob_keys[0]; i++) {
		assert_int_equal(look(m, bob_keys[i], &r), CPUU_LOOKUP_FOUND);
		assert_string_equal(r->target_smtp, "bob@f.com");
	}
	/* stored in normal form, case kept */
	assert_string_equal(r->source_legacy_dn, "/o=X/cn=bob");
	assert_string_equal(r->source_smtp, "bob@c.com");
	assert_string_equal(r->source_mailbox_guid, "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
	assert_int_equal(r->source_x500.count, 2);
	assert_string_equal(r->source_x500.items[0], "/o=Old/cn=bob");
	assert_string_equal(r->source_x500.items[1], "/o=Old/cn=b2");
	/* SMTP duplicates through case and a blank */
	assert_int_equal(look(m, "/o=X/cn=carol", NULL), CPUU_LOOKUP_AMBIGUOUS);
	assert_int_equal(look(m, "/o=X/cn=dave", NULL), CPUU_LOOKUP_AMBIGUOUS);
	/* a GUID of 32 bare digits in the file */
	assert_int_equal(look(m, "{11111111-2222-3333-4444-555555555555}", &r), CPUU_LOOKUP_FOUND);
	assert_string_equal(r->source_mailbox_guid, "11111111-2222-3333-4444-555555555555");
	assert_string_equal(r->target_smtp, "erin@f.com");
	/* a key empty after normalisation: the row is malformed, its other keys
	 * invalid (never switched; INVALID_SWITCH_MSG) */
	assert_true(warnings_mention(m, "source_legacy_dn is empty"));
	assert_int_equal(look(m, "frank@c.com", NULL), CPUU_LOOKUP_INVALID);
	assert_true(warnings_mention(m, "source_x500 holds an address that is empty"));
	assert_int_equal(look(m, "gina@c.com", NULL), CPUU_LOOKUP_INVALID);
	assert_true(warnings_mention(m, "source_smtp is empty"));
	assert_int_equal(look(m, "/o=X/cn=hank", NULL), CPUU_LOOKUP_INVALID);
	/* lookups of an empty key are refused, not "not found" */
	const cpuu_match *none = NULL;
	cpuu_lookup_status st;
	assert_int_equal(cpuu_mapping_lookup(&none, &st, m, " X500: "), CPUU_EINVALID);
	assert_int_equal(cpuu_mapping_lookup(&none, &st, m, "SMTP:"), CPUU_EINVALID);
	cpuu_mapping_free(m);

	/* GUID forms of one GUID are one key. */
	m = load_ok(HDR
		"/o=X/cn=a,a@c.com,{AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE},,,a@f.com,,,,,true\n"
		"/o=X/cn=b,b@c.com,\" aaaaaaaabbbbccccddddeeeeeeeeeeee\",,,b@f.com,,,,,true\n");
	assert_int_equal(look(m, "/o=X/cn=a", NULL), CPUU_LOOKUP_AMBIGUOUS);
	assert_int_equal(look(m, "b@c.com", NULL), CPUU_LOOKUP_AMBIGUOUS);
	cpuu_mapping_free(m);

	/* The comparison the live LDAP lookup applies to the directory's values
	 * (lookup.c): the same normal forms. */
	assert_true(map_key_equal("/o=X/cn=Alice\t", " X500:/o=x/cn=alice", CPUU_KEY_DN));
	assert_true(map_key_equal("SMTP:Alice@C.com ", "alice@c.com", CPUU_KEY_SMTP));
	assert_false(map_key_equal("/o=X/cn=alice", "/o=X/cn=alice2", CPUU_KEY_DN));
	assert_false(map_key_equal("/o=X/cn=alice", "/o=X/cn=alice", CPUU_KEY_SMTP));
	assert_false(map_key_equal("X500:", "X500: ", CPUU_KEY_DN));
	assert_false(map_key_equal(NULL, "/o=X", CPUU_KEY_DN));

	/* The writer writes keys in normal form (case kept). */
	cpuu_match w = { 0 };
	char *x5[] = { " X500:/o=Old/cn=w\t" };
	w.source_legacy_dn = "\t/o=X/cn=w ";
	w.source_smtp = " SMTP:W@c.com";
	w.source_mailbox_guid = "{AAAAAAAABBBBCCCCDDDDEEEEEEEEEEEE}";
	w.source_x500.items = x5;
	w.source_x500.count = 1;
	w.target_smtp = "w@f.com";
	char *text = NULL;
	size_t len = 0;
	assert_int_equal(cpuu_mapping_format(&text, &len, &w, 1), CPUU_OK);
	assert_non_null(strstr(text, "\n/o=X/cn=w,W@c.com,aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee,/o=Old/cn=w,,w@f.com,"));
	cpuu_free(text);
}

static void test_prefixes_and_warning_cap(void **state)
{
	(void)state;
	const char *csv =
		HDR
		"/o=C/cn=p,smtp:SMTP:p@c.com,,X500:x500:/o=Old/cn=p,,p@f.com,,,,,true\n"
		"/o=C/cn=s,/s@c.com,,,,s@f.com,,,,,true\n";
	cpuu_mapping *m = load_ok(csv);
	assert_int_equal(cpuu_mapping_count(m), 1);
	const cpuu_match *r;
	assert_int_equal(look(m, "p@c.com", &r), CPUU_LOOKUP_FOUND);
	assert_string_equal(r->source_smtp, "p@c.com");
	assert_string_equal(r->source_x500.items[0], "/o=Old/cn=p");
	assert_true(warnings_mention(m, "line 3: source_smtp is not an SMTP address"));
	/* In memory, the writer's text reloads to the same row. */
	char *text = NULL;
	size_t len = 0;
	assert_int_equal(cpuu_mapping_format(&text, &len, r, 1), CPUU_OK);
	assert_int_equal(strlen(text), len);
	assert_non_null(strstr(text, "/o=C/cn=p,p@c.com,,/o=Old/cn=p,,p@f.com,,,,,true\n"));
	cpuu_mapping *m2 = load_ok(text);
	assert_match_same(cpuu_mapping_get(m2, 0), r, 1);
	cpuu_mapping_free(m2);
	cpuu_free(text);
	cpuu_mapping_free(m);

	/* A file of garbage keeps 10,000 warnings and says how many more. */
	size_t rows = 10010, cap = strlen(HDR) + rows * 8 + 1;
	char *big = malloc(cap), *w = big;
	w += sprintf(w, "%s", HDR);
	for (size_t i = 0; i < rows; i++)
		w += sprintf(w, "x,y,z\n");
	m = load_ok(big);
	const cpuu_strlist *warn = cpuu_mapping_warnings(m);
	assert_int_equal(warn->count, 10001);
	assert_string_equal(warn->items[10000], "... and 10 more warnings");
	assert_string_equal(warn->items[0], "line 2: 3 fields where the header has 11; row skipped, its users are never switched");
	cpuu_mapping_free(m);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_names),
		cmocka_unit_test(test_lookup_every_key),
		cmocka_unit_test(test_rfc4180_quoting),
		cmocka_unit_test(test_duplicates_are_ambiguous),
		cmocka_unit_test(test_malformed_rows),
		cmocka_unit_test(test_broken_row_poisons_valid_twin),
		cmocka_unit_test(test_long_fields_and_quoted_keys),
		cmocka_unit_test(test_broken_quoted_key_poisoned_as_written),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_write_roundtrip),
		cmocka_unit_test(test_garbage_never_crashes),
		cmocka_unit_test(test_prefixes_and_warning_cap),
		cmocka_unit_test(test_key_normalisation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
