/* The PRF route: the .prf text (golden files for on-premises and Exchange
 * Online targets, with and without PSTs, cached or not), what it refuses,
 * the ImportPRF edits and the signature values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cpuu/plan.h"
#include "cpuu/prf.h"
#include "cpuu/unicode.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TRG_DN "/o=Target/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=alice"
#define TRG_SERVER "aaaaaaaa-2222-4333-8444-555555555555@target.example"
#define OST "C:\\Users\\alice\\AppData\\Local\\Microsoft\\Outlook\\alice@source.example.ost"
#define PROFILE_PATH "Software\\Microsoft\\Office\\16.0\\Outlook\\Profiles\\Outlook"
#define SETUP16 "Software\\Microsoft\\Office\\16.0\\Outlook\\Setup"
#define AM PROFILE_PATH "\\9375CFF0413111d3B88A00104B2A6676"

/* A profile as cpuu_profiles_load would give it: Exchange, a Unicode PST, a
 * 97-2002 PST, the Outlook Address Book. */
typedef struct model {
	cpuu_account acct[5];
	cpuu_profile p;
	cpuu_match m;
} model;

static void model_init(model *x, int cached, int with_psts, cpuu_target_kind kind)
{
	memset(x, 0, sizeof *x);
	cpuu_account *a = &x->acct[0];
	a->kind = CPUU_ACCOUNT_EXCHANGE;
	a->account_key = "00000002";
	a->service_uid = "5a0c7e1b8d2f4a6c9e0b1d3f5a7c9e11";
	a->service_name = "MSEMS";
	a->display_name = "Alice Example";
	a->smtp = "alice@source.example";
	a->legacy_dn = "/o=Source/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=alice";
	a->ost_path = OST;
	a->cached = cached;
	a->account_name = "alice@source.example";
	size_t n = 1;
	if (with_psts) {
		cpuu_account *u = &x->acct[n++];
		u->kind = CPUU_ACCOUNT_PST;
		u->service_uid = "11111111111111111111111111111111";
		u->service_name = "MSUPST MS";
		/* Every character a value may safely hold: ';', '=', brackets, spaces. */
		u->display_name = "Archive; 2019 [old] a=b";
		u->ost_path = "C:\\Users\\alice\\Documents\\Outlook Files\\Archive=2019 [1].pst";
		cpuu_account *o = &x->acct[n++];
		o->kind = CPUU_ACCOUNT_PST;
		o->service_uid = "22222222222222222222222222222222";
		o->service_name = "MSPST MS";
		o->display_name = "Old Mail";
		o->ost_path = "\\\\files\\home$\\alice\\old.pst";
		cpuu_account *c = &x->acct[n++];
		c->kind = CPUU_ACCOUNT_OTHER;
		c->service_uid = "33333333333333333333333333333333";
		c->service_name = "CONTAB";
		c->display_name = "Outlook Address Book";
	}
	x->p.name = "Outlook";
	x->p.path = PROFILE_PATH;
	x->p.is_default = 1;
	x->p.outlook_version = "16.0";
	x->p.accounts = x->acct;
	x->p.naccounts = n;
	x->m.source_smtp = "alice@source.example";
	x->m.target_kind = kind;
	x->m.switched = 1;
	if (kind == CPUU_TARGET_ONPREM) {
		x->m.target_legacy_dn = TRG_DN;
		x->m.target_smtp = "alice@target.example";
		x->m.target_server = TRG_SERVER;
	} else {
		x->m.target_smtp = "alice@target.onmicrosoft.com";
	}
}

/* Lines joined with CRLF, each line ended by one. */
static char *crlf(const char *const *lines)
{
	size_t n = 1;
	for (size_t i = 0; lines[i]; i++)
		n += strlen(lines[i]) + 2;
	char *s = malloc(n);
	assert_non_null(s);
	s[0] = '\0';
	for (size_t i = 0; lines[i]; i++) {
		strcat(s, lines[i]);
		strcat(s, "\r\n");
	}
	return s;
}

static void assert_text(const char *got, const char *const *want_lines)
{
	char *want = crlf(want_lines);
	if (strcmp(got, want))
		fprintf(stderr, "--- got ---\n%s\n--- want ---\n%s\n", got, want);
	assert_string_equal(got, want);
	free(want);
}

#define HEAD "; Outlook profile file written by cpuu (docs/prf.md).", ""
#define MAP_HEAD "", "; Section 6 - Mapping for profile properties. Every key above has its mapping here:", \
		"; Outlook ignores, without a word, a key it has no mapping for.", ""
#define MAP_EXCHANGE "[Microsoft Exchange Server]", "ServiceName=MSEMS", "MDBGUID=5494A1C0297F101BA58708002B2A2517", \
		"MailboxName=PT_STRING8,0x6607", "HomeServer=PT_STRING8,0x6608"
#define MAP_EGS "", "[Exchange Global Section]", "SectionGUID=13dbb0c8aa05101a9bb000aa002fc45a", \
		"MailboxName=PT_STRING8,0x6607", "HomeServer=PT_STRING8,0x6608", "AccountName=PT_UNICODE,0x6620"
#define MAP_CLIENT "", "[Microsoft Outlook Client]", "SectionGUID=0a0d020000000000c000000000000046", \
		"CachedExchangeMode=PT_LONG,0x041f"

static void test_prf_onprem_cached_with_psts(void **state)
{
	(void)state;
	model x;
	model_init(&x, 1, 1, CPUU_TARGET_ONPREM);
	cpuu_prf_opts o;
	cpuu_prf_opts_init(&o);
	o.ost_path = OST; /* same mailbox: the OST is kept */
	char *text = NULL;
	int rc = cpuu_prf_build(&text, &x.p, &x.acct[0], &x.m, &o);
	if (rc)
		fprintf(stderr, "%s\n", cpuu_error_last()->message);
	assert_int_equal(rc, CPUU_OK);
	const char *want[] = {
		HEAD,
		"[General]", "Custom=1", "ProfileName=Outlook", "DefaultProfile=Yes", "OverwriteProfile=Yes",
		"ModifyDefaultProfileIfPresent=FALSE", "BackupProfile=False", "",
		"[Service List]", "ServiceX=Microsoft Outlook Client", "ServiceEGS1=Exchange Global Section",
		"Service1=Microsoft Exchange Server", "Service2=Unicode Personal Folders", "Service3=Personal Folders",
		"Service4=Outlook Address Book", "",
		"[Internet Account List]", "",
		"[ServiceX]", "CachedExchangeMode=0x00000002", "",
		"[ServiceEGS1]", "MailboxName=" TRG_DN, "HomeServer=" TRG_SERVER, "AccountName=alice@target.example", "",
		"[Service1]", "OverwriteExistingService=Yes", "UniqueService=Yes", "MailboxName=" TRG_DN,
		"HomeServer=" TRG_SERVER, "OfflineFolderPath=" OST, "",
		"[Service2]", "UniqueService=No", "Name=Archive; 2019 [old] a=b",
		"PathToPersonalFolders=C:\\Users\\alice\\Documents\\Outlook Files\\Archive=2019 [1].pst",
		"EncryptionType=0x80000000", "",
		"[Service3]", "UniqueService=No", "Name=Old Mail", "PathToPersonalFolders=\\\\files\\home$\\alice\\old.pst",
		"EncryptionType=0x80000000", "",
		"[Service4]", "UniqueService=Yes",
		MAP_HEAD, MAP_EXCHANGE, "OfflineFolderPath=PT_STRING8,0x6610", MAP_EGS, MAP_CLIENT,
		"", "[Unicode Personal Folders]", "ServiceName=MSUPST MS", "Name=PT_UNICODE,0x3001",
		"PathToPersonalFolders=PT_STRING8,0x6700", "EncryptionType=PT_LONG,0x6702",
		"", "[Personal Folders]", "ServiceName=MSPST MS", "Name=PT_STRING8,0x3001",
		"PathToPersonalFolders=PT_STRING8,0x6700", "EncryptionType=PT_LONG,0x6702",
		"", "[Outlook Address Book]", "ServiceName=CONTAB",
		NULL };
	assert_text(text, want);
	free(text);
}

static void test_prf_online_not_cached_no_psts(void **state)
{
	(void)state;
	model x;
	model_init(&x, 0, 0, CPUU_TARGET_ONLINE);
	x.p.is_default = 0;
	cpuu_prf_opts o;
	cpuu_prf_opts_init(&o);
	o.profile_name = "Office 365";
	char *text = NULL;
	assert_int_equal(cpuu_prf_build(&text, &x.p, &x.acct[0], &x.m, &o), CPUU_OK);
	const char *want[] = {
		HEAD,
		"[General]", "Custom=1", "ProfileName=Office 365", "DefaultProfile=No", "OverwriteProfile=Yes",
		"ModifyDefaultProfileIfPresent=FALSE", "BackupProfile=False", "",
		"[Service List]", "ServiceEGS1=Exchange Global Section", "Service1=Microsoft Exchange Server", "",
		"[Internet Account List]", "",
		"[ServiceEGS1]", "MailboxName=alice@target.onmicrosoft.com", "AccountName=alice@target.onmicrosoft.com", "",
		"[Service1]", "OverwriteExistingService=Yes", "UniqueService=Yes", "MailboxName=alice@target.onmicrosoft.com",
		MAP_HEAD, MAP_EXCHANGE, MAP_EGS,
		NULL };
	assert_text(text, want);
	free(text);
}

static void test_prf_online_cached_with_psts(void **state)
{
	(void)state;
	model x;
	model_init(&x, 1, 1, CPUU_TARGET_ONLINE);
	/* The user named the account: that name stays. */
	x.acct[0].account_name = "Work mail";
	cpuu_prf_opts o;
	cpuu_prf_opts_init(&o);
	o.default_profile = 1;
	o.modify_default_profile_if_present = 1;
	char *text = NULL;
	assert_int_equal(cpuu_prf_build(&text, &x.p, &x.acct[0], &x.m, &o), CPUU_OK);
	const char *want[] = {
		HEAD,
		"[General]", "Custom=1", "ProfileName=Outlook", "DefaultProfile=Yes", "OverwriteProfile=Yes",
		"ModifyDefaultProfileIfPresent=TRUE", "BackupProfile=False", "",
		"[Service List]", "ServiceX=Microsoft Outlook Client", "ServiceEGS1=Exchange Global Section",
		"Service1=Microsoft Exchange Server", "Service2=Unicode Personal Folders", "Service3=Personal Folders",
		"Service4=Outlook Address Book", "",
		"[Internet Account List]", "",
		"[ServiceX]", "CachedExchangeMode=0x00000002", "",
		"[ServiceEGS1]", "MailboxName=alice@target.onmicrosoft.com", "AccountName=Work mail", "",
		"[Service1]", "OverwriteExistingService=Yes", "UniqueService=Yes", "MailboxName=alice@target.onmicrosoft.com",
		"",
		"[Service2]", "UniqueService=No", "Name=Archive; 2019 [old] a=b",
		"PathToPersonalFolders=C:\\Users\\alice\\Documents\\Outlook Files\\Archive=2019 [1].pst",
		"EncryptionType=0x80000000", "",
		"[Service3]", "UniqueService=No", "Name=Old Mail", "PathToPersonalFolders=\\\\files\\home$\\alice\\old.pst",
		"EncryptionType=0x80000000", "",
		"[Service4]", "UniqueService=Yes",
		MAP_HEAD, MAP_EXCHANGE, MAP_EGS, MAP_CLIENT,
		"", "[Unicode Personal Folders]", "ServiceName=MSUPST MS", "Name=PT_UNICODE,0x3001",
		"PathToPersonalFolders=PT_STRING8,0x6700", "EncryptionType=PT_LONG,0x6702",
		"", "[Personal Folders]", "ServiceName=MSPST MS", "Name=PT_STRING8,0x3001",
		"PathToPersonalFolders=PT_STRING8,0x6700", "EncryptionType=PT_LONG,0x6702",
		"", "[Outlook Address Book]", "ServiceName=CONTAB",
		NULL };
	assert_text(text, want);
	free(text);
}

static void test_prf_onprem_not_cached_append(void **state)
{
	(void)state;
	model x;
	model_init(&x, 0, 1, CPUU_TARGET_ONPREM);
	cpuu_prf_opts o;
	cpuu_prf_opts_init(&o);
	o.overwrite = CPUU_PRF_OVERWRITE_APPEND;
	o.default_profile = 0;
	char *text = NULL;
	assert_int_equal(cpuu_prf_build(&text, &x.p, &x.acct[0], &x.m, &o), CPUU_OK);
	/* Append keeps the profile's other services: the PSTs are not added again. */
	const char *want[] = {
		HEAD,
		"[General]", "Custom=1", "ProfileName=Outlook", "DefaultProfile=No", "OverwriteProfile=Append",
		"ModifyDefaultProfileIfPresent=FALSE", "BackupProfile=False", "",
		"[Service List]", "ServiceEGS1=Exchange Global Section", "Service1=Microsoft Exchange Server", "",
		"[Internet Account List]", "",
		"[ServiceEGS1]", "MailboxName=" TRG_DN, "HomeServer=" TRG_SERVER, "AccountName=alice@target.example", "",
		"[Service1]", "OverwriteExistingService=Yes", "UniqueService=Yes", "MailboxName=" TRG_DN,
		"HomeServer=" TRG_SERVER,
		MAP_HEAD, MAP_EXCHANGE, MAP_EGS,
		NULL };
	assert_text(text, want);
	free(text);
}

/* On-premises without a known server falls back to the address
 * (Autodiscover): a HomeServer cpuu cannot name is not invented. */
static void test_prf_onprem_without_server_uses_smtp(void **state)
{
	(void)state;
	model x;
	model_init(&x, 0, 0, CPUU_TARGET_ONPREM);
	x.m.target_server = NULL;
	char *text = NULL;
	assert_int_equal(cpuu_prf_build(&text, &x.p, &x.acct[0], &x.m, NULL), CPUU_OK);
	assert_non_null(strstr(text, "\r\n[Service1]\r\nOverwriteExistingService=Yes\r\nUniqueService=Yes\r\n"
				     "MailboxName=alice@target.example\r\n\r\n"));
	for (const char *h = strstr(text, "\r\nHomeServer="); h; h = strstr(h + 1, "\r\nHomeServer="))
		assert_true(!strncmp(h, "\r\nHomeServer=PT_STRING8,", 24)); /* only the mappings */
	assert_null(strstr(text, TRG_DN));
	free(text);
}

/* Every key of a service section has a mapping in the block of that
 * service's [Service List] name: Outlook silently drops unmapped keys. */
static const char *section_value(const char *text, const char *section, const char *key, char *buf, size_t n)
{
	char head[128];
	snprintf(head, sizeof head, "\r\n[%s]\r\n", section);
	const char *s = strstr(text, head);
	if (!s)
		return NULL;
	s += strlen(head);
	size_t klen = strlen(key);
	while (*s && *s != '[') {
		const char *eol = strstr(s, "\r\n");
		if (!eol)
			break;
		if (!strncmp(s, key, klen) && s[klen] == '=') {
			size_t vlen = (size_t)(eol - s - (ptrdiff_t)klen - 1);
			if (vlen >= n)
				vlen = n - 1;
			memcpy(buf, s + klen + 1, vlen);
			buf[vlen] = '\0';
			return buf;
		}
		s = eol + 2;
	}
	return NULL;
}

static void check_mapped(const char *text)
{
	const char *list = strstr(text, "\r\n[Service List]\r\n");
	assert_non_null(list);
	const char *s = list + strlen("\r\n[Service List]\r\n");
	size_t sections = 0;
	while (*s != '\r') {
		const char *eq = strchr(s, '=');
		const char *eol = strstr(s, "\r\n");
		char id[32], svc[64];
		snprintf(id, sizeof id, "%.*s", (int)(eq - s), s);
		snprintf(svc, sizeof svc, "%.*s", (int)(eol - eq - 1), eq + 1);
		/* The service's mapping block exists... */
		char head[96];
		snprintf(head, sizeof head, "\r\n[%s]\r\n", svc);
		assert_non_null(strstr(text, head));
		/* ...and maps every key of its [ServiceN] section. */
		char sh[48];
		snprintf(sh, sizeof sh, "\r\n[%s]\r\n", id);
		const char *sec = strstr(text, sh);
		assert_non_null(sec);
		for (const char *l = sec + strlen(sh); *l && *l != '\r' && *l != '['; l = strstr(l, "\r\n") + 2) {
			char key[64], buf[128];
			const char *e = strchr(l, '=');
			snprintf(key, sizeof key, "%.*s", (int)(e - l), l);
			if (!strcmp(key, "UniqueService") || !strcmp(key, "OverwriteExistingService"))
				continue;
			if (!section_value(text, svc, key, buf, sizeof buf))
				fail_msg("[%s] %s has no mapping in [%s]", id, key, svc);
			assert_true(!strncmp(buf, "PT_", 3));
		}
		sections++;
		s = eol + 2;
	}
	assert_true(sections >= 2);
}

static void test_prf_every_key_is_mapped(void **state)
{
	(void)state;
	for (int cached = 0; cached <= 1; cached++)
		for (int psts = 0; psts <= 1; psts++)
			for (int kind = CPUU_TARGET_ONPREM; kind <= CPUU_TARGET_ONLINE; kind++) {
				model x;
				model_init(&x, cached, psts, (cpuu_target_kind)kind);
				cpuu_prf_opts o;
				cpuu_prf_opts_init(&o);
				o.ost_path = cached ? OST : NULL;
				char *text = NULL;
				assert_int_equal(cpuu_prf_build(&text, &x.p, &x.acct[0], &x.m, &o), CPUU_OK);
				check_mapped(text);
				free(text);
			}
}

static void expect_refusal(model *x, const cpuu_prf_opts *o, int code, const char *needle)
{
	char *text = (char *)"untouched";
	int rc = cpuu_prf_build(&text, &x->p, &x->acct[0], &x->m, o);
	if (rc != code)
		fprintf(stderr, "rc %d: %s\n", rc, cpuu_error_last()->message);
	assert_int_equal(rc, code);
	assert_null(text);
	if (!strstr(cpuu_error_last()->message, needle))
		fail_msg("message '%s' lacks '%s'", cpuu_error_last()->message, needle);
}

static void test_prf_refuses_unsafe_values(void **state)
{
	(void)state;
	model x;
	cpuu_prf_opts o;
	cpuu_prf_opts_init(&o);

	model_init(&x, 1, 1, CPUU_TARGET_ONPREM);
	x.acct[1].ost_path = "C:\\a\r\n[Service9]\\b.pst";
	expect_refusal(&x, &o, CPUU_EINVALID, "[Service2] PathToPersonalFolders: control character U+000D");
	model_init(&x, 1, 1, CPUU_TARGET_ONPREM);
	x.acct[1].display_name = "Arch\tive";
	expect_refusal(&x, &o, CPUU_EINVALID, "[Service2] Name: control character U+0009");
	model_init(&x, 1, 1, CPUU_TARGET_ONPREM);
	x.acct[1].display_name = "Arch\xc2\x85ive"; /* U+0085, NEL */
	expect_refusal(&x, &o, CPUU_EINVALID, "U+0085");
	model_init(&x, 1, 1, CPUU_TARGET_ONPREM);
	x.acct[2].display_name = "Old Mail ";
	expect_refusal(&x, &o, CPUU_EINVALID, "[Service3] Name: 'Old Mail ' starts or ends with a blank");
	model_init(&x, 1, 1, CPUU_TARGET_ONPREM);
	x.acct[1].display_name = "\"Archive\"";
	expect_refusal(&x, &o, CPUU_EINVALID, "wrapped in quotes");
	model_init(&x, 1, 1, CPUU_TARGET_ONPREM);
	x.acct[1].display_name = "Arch\xff";
	expect_refusal(&x, &o, CPUU_EINVALID, "not valid UTF-8");
	model_init(&x, 1, 1, CPUU_TARGET_ONPREM);
	x.acct[1].ost_path = NULL;
	expect_refusal(&x, &o, CPUU_EINVALID, "has no file path");
	/* A PST path is PT_STRING8: it needs a Windows-1252 form whatever the
	 * file's encoding. */
	model_init(&x, 1, 1, CPUU_TARGET_ONPREM);
	x.acct[1].ost_path = "C:\\\xd0\x90\xd1\x80\xd1\x85\xd0\xb8\xd0\xb2.pst";
	o.encoding = CPUU_PRF_UTF16LE;
	expect_refusal(&x, &o, CPUU_EINVALID, "no Windows-1252 form (an 8-bit MAPI property)");
	/* A Unicode display name is fine in a UTF-16 file, not in an ANSI one. */
	model_init(&x, 1, 1, CPUU_TARGET_ONPREM);
	x.acct[1].display_name = "\xd0\x90\xd1\x80\xd1\x85\xd0\xb8\xd0\xb2";
	char *text = NULL;
	assert_int_equal(cpuu_prf_build(&text, &x.p, &x.acct[0], &x.m, &o), CPUU_OK);
	assert_non_null(strstr(text, "\r\nName=\xd0\x90\xd1\x80\xd1\x85\xd0\xb8\xd0\xb2\r\n"));
	free(text);
	o.encoding = CPUU_PRF_ANSI;
	expect_refusal(&x, &o, CPUU_EINVALID, "(the file is ANSI)");
	/* Latin-1 text is fine in ANSI. */
	model_init(&x, 1, 1, CPUU_TARGET_ONPREM);
	x.acct[1].display_name = "Archiv B\xc3\xbcro";
	assert_int_equal(cpuu_prf_build(&text, &x.p, &x.acct[0], &x.m, &o), CPUU_OK);
	free(text);

	/* The profile name. */
	model_init(&x, 1, 1, CPUU_TARGET_ONPREM);
	o.profile_name = "A\\B";
	expect_refusal(&x, &o, CPUU_EINVALID, "contains '\\'");
	o.profile_name = "0123456789012345678901234567890123456789012345678901234567890123X";
	expect_refusal(&x, &o, CPUU_EINVALID, "longer than 64");
	o.profile_name = "New\nProfile";
	expect_refusal(&x, &o, CPUU_EINVALID, "[General] ProfileName: control character U+000A");
	o.profile_name = "";
	expect_refusal(&x, &o, CPUU_EINVALID, "[General] ProfileName: empty value");
	o.profile_name = NULL;

	/* OST and target values. */
	o.ost_path = "C:\\x\nOfflineFolderPath=D:\\y.ost";
	expect_refusal(&x, &o, CPUU_EINVALID, "[Service1] OfflineFolderPath");
	o.ost_path = NULL;
	model_init(&x, 1, 1, CPUU_TARGET_ONPREM);
	x.m.target_server = "srv\x01";
	expect_refusal(&x, &o, CPUU_EINVALID, "[ServiceEGS1] HomeServer");
	model_init(&x, 1, 1, CPUU_TARGET_ONLINE);
	x.m.target_smtp = NULL;
	expect_refusal(&x, &o, CPUU_EINVALID, "no target SMTP address");
}

static void test_prf_refuses_what_it_would_lose(void **state)
{
	(void)state;
	model x;
	cpuu_prf_opts o;
	cpuu_prf_opts_init(&o);
	/* An IMAP account would vanish from a recreated profile. */
	model_init(&x, 1, 1, CPUU_TARGET_ONPREM);
	cpuu_account *imap = &x.acct[x.p.naccounts++];
	imap->kind = CPUU_ACCOUNT_IMAP;
	imap->account_key = "00000005";
	imap->smtp = "carol@imap.example";
	expect_refusal(&x, &o, CPUU_EUNSUPPORTED, "account 'carol@imap.example' (imap) cannot be carried");
	/* So would a second Exchange account. */
	imap->kind = CPUU_ACCOUNT_EXCHANGE;
	expect_refusal(&x, &o, CPUU_EUNSUPPORTED, "(exchange) cannot be carried");
	/* With Append, which Exchange service Outlook overwrites is unknown. */
	o.overwrite = CPUU_PRF_OVERWRITE_APPEND;
	expect_refusal(&x, &o, CPUU_EUNSUPPORTED, "2 Exchange accounts");
	/* The account must be an Exchange account of that very profile. */
	model_init(&x, 1, 1, CPUU_TARGET_ONPREM);
	cpuu_prf_opts_init(&o);
	char *text = NULL;
	assert_int_equal(cpuu_prf_build(&text, &x.p, &x.acct[1], &x.m, &o), CPUU_EINVALID);
	assert_null(text);
	cpuu_account stranger = x.acct[0];
	assert_int_equal(cpuu_prf_build(&text, &x.p, &stranger, &x.m, &o), CPUU_EINVALID);
	assert_null(text);
	/* Without PSTs the admin accepts dropping them from the profile. */
	o.include_pst = 0;
	assert_int_equal(cpuu_prf_build(&text, &x.p, &x.acct[0], &x.m, &o), CPUU_OK);
	assert_null(strstr(text, "Personal Folders"));
	assert_non_null(strstr(text, "Service2=Outlook Address Book\r\n"));
	free(text);
}

static void test_prf_encode(void **state)
{
	(void)state;
	uint8_t *b = NULL;
	size_t n = 0;
	assert_int_equal(cpuu_prf_encode(&b, &n, "[General]\r\nName=B\xc3\xbcro\r\n", CPUU_PRF_ANSI), CPUU_OK);
	const uint8_t ansi[] = "[General]\r\nName=B\xfcro\r\n";
	assert_int_equal(n, sizeof ansi - 1);
	assert_memory_equal(b, ansi, n);
	free(b);
	assert_int_equal(cpuu_prf_encode(&b, &n, "A=\xd0\x90\r\n", CPUU_PRF_UTF16LE), CPUU_OK);
	const uint8_t u16[] = { 0xFF, 0xFE, 'A', 0, '=', 0, 0x10, 0x04, '\r', 0, '\n', 0 };
	assert_int_equal(n, sizeof u16);
	assert_memory_equal(b, u16, n);
	free(b);
	b = (uint8_t *)"x";
	assert_int_equal(cpuu_prf_encode(&b, &n, "A=\xd0\x90\r\n", CPUU_PRF_ANSI), CPUU_EINVALID);
	assert_null(b);
}

/* A blank hive open for writing (changes stay in the handle). */
typedef struct hive {
	char *dir;
	cpuu_reg *reg;
} hive;

static void hive_open(hive *h)
{
	h->dir = test_tmpdir("prf");
	assert_non_null(h->dir);
	char *path = test_path(h->dir, "NTUSER.DAT");
	assert_int_equal(cpuu_hive_create_blank(path, NULL), CPUU_OK);
	assert_int_equal(cpuu_reg_open_hive(&h->reg, path, CPUU_REG_OPEN_WRITE), CPUU_OK);
	free(path);
}

static void hive_close(hive *h)
{
	cpuu_reg_free(h->reg);
	test_tmpdir_remove(h->dir);
}

static void set_value(cpuu_reg *reg, const char *key, const char *name, uint32_t type, const void *data, size_t len)
{
	cpuu_reg_key *k = NULL;
	assert_int_equal(cpuu_reg_key_create(&k, reg, NULL, key), CPUU_OK);
	assert_int_equal(cpuu_reg_value_set(reg, k, name, type, data, len), CPUU_OK);
	cpuu_reg_key_free(k);
}

static int value_exists(cpuu_reg *reg, const char *key, const char *name, cpuu_reg_value *out)
{
	cpuu_reg_key *k = NULL;
	if (cpuu_reg_key_open(&k, reg, NULL, key) != CPUU_OK)
		return 0;
	cpuu_reg_value v;
	int rc = cpuu_reg_value_get(&v, reg, k, name);
	cpuu_reg_key_free(k);
	if (rc)
		return 0;
	if (out)
		*out = v;
	else
		cpuu_reg_value_clear(&v);
	return 1;
}

static const uint8_t first_run[] = { 0xd1, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00 };

static void test_prf_import_planned_and_idempotent(void **state)
{
	(void)state;
	hive h;
	hive_open(&h);
	set_value(h.reg, SETUP16, "First-Run", CPUU_REG_BINARY, first_run, sizeof first_run);
	set_value(h.reg, SETUP16, "FirstRun", CPUU_REG_BINARY, first_run, 4);
	set_value(h.reg, SETUP16, "LaunchCount", CPUU_REG_DWORD, "\x05\0\0\0", 4);
	const char *prf = "C:\\Users\\alice\\AppData\\Local\\cpuu\\Outlook profile.prf";

	cpuu_plan *plan = NULL;
	assert_int_equal(cpuu_plan_new(&plan), CPUU_OK);
	assert_int_equal(cpuu_prf_plan_import(plan, h.reg, "16.0", prf), CPUU_OK);
	assert_int_equal(cpuu_plan_count(plan), 3);
	const cpuu_edit *e = cpuu_plan_edit(plan, 0);
	assert_int_equal(e->op, CPUU_EDIT_SET_VALUE);
	assert_string_equal(e->key, SETUP16);
	assert_string_equal(e->name, "ImportPRF");
	assert_int_equal(e->type, CPUU_REG_SZ);
	assert_false(e->had_old);
	char *s = NULL;
	assert_int_equal(cpuu_utf16le_to_utf8(&s, NULL, e->data, e->len, CPUU_UTF16_REQUIRE_NUL | CPUU_UTF16_STRICT_NUL),
			 CPUU_OK);
	assert_string_equal(s, prf);
	free(s);
	e = cpuu_plan_edit(plan, 1);
	assert_int_equal(e->op, CPUU_EDIT_DELETE_VALUE);
	assert_string_equal(e->name, "First-Run");
	assert_int_equal(e->old_type, CPUU_REG_BINARY);
	assert_int_equal(e->old_len, sizeof first_run);
	e = cpuu_plan_edit(plan, 2);
	assert_int_equal(e->op, CPUU_EDIT_DELETE_VALUE);
	assert_string_equal(e->name, "FirstRun");
	/* The dry-run view names all three. */
	char *view = NULL;
	assert_int_equal(cpuu_plan_format(&view, plan), CPUU_OK);
	assert_non_null(strstr(view, "[" SETUP16 "]"));
	assert_non_null(strstr(view, "+\"ImportPRF\"=\"C:\\\\Users\\\\alice\\\\AppData\\\\Local\\\\cpuu\\\\Outlook profile.prf\""));
	assert_non_null(strstr(view, "-\"First-Run\"=hex:d1,01,00,00,01,00,00,00"));
	free(view);

	assert_int_equal(cpuu_plan_apply(h.reg, plan), CPUU_OK);
	cpuu_plan_free(plan);
	assert_false(value_exists(h.reg, SETUP16, "First-Run", NULL));
	assert_false(value_exists(h.reg, SETUP16, "FirstRun", NULL));
	assert_true(value_exists(h.reg, SETUP16, "LaunchCount", NULL));
	cpuu_reg_value v;
	assert_true(value_exists(h.reg, SETUP16, "ImportPRF", &v));
	assert_int_equal(v.type, CPUU_REG_SZ);
	cpuu_reg_value_clear(&v);

	/* Planning again against the applied registry: nothing to do, in any case
	 * of the path. */
	assert_int_equal(cpuu_plan_new(&plan), CPUU_OK);
	assert_int_equal(cpuu_prf_plan_import(plan, h.reg, "16.0", prf), CPUU_OK);
	assert_int_equal(cpuu_plan_count(plan), 0);
	cpuu_plan_free(plan);

	/* Another import waiting: never replaced. */
	assert_int_equal(cpuu_plan_new(&plan), CPUU_OK);
	assert_int_equal(cpuu_prf_plan_import(plan, h.reg, "16.0", "\\\\srv\\share\\other.prf"), CPUU_EEXISTS);
	assert_non_null(strstr(cpuu_error_last()->message, "another profile import is pending"));
	assert_int_equal(cpuu_plan_count(plan), 0);

	/* A version without a Setup key yet: the key is created on apply. */
	assert_int_equal(cpuu_prf_plan_import(plan, h.reg, "15.0", "\\\\srv\\share\\alice.prf"), CPUU_OK);
	assert_int_equal(cpuu_plan_count(plan), 1);
	assert_int_equal(cpuu_plan_apply(h.reg, plan), CPUU_OK);
	cpuu_plan_free(plan);
	assert_true(value_exists(h.reg, "Software\\Microsoft\\Office\\15.0\\Outlook\\Setup", "ImportPRF", NULL));

	/* Refusals. */
	assert_int_equal(cpuu_plan_new(&plan), CPUU_OK);
	assert_int_equal(cpuu_prf_plan_import(plan, h.reg, "wms", prf), CPUU_EINVALID);
	assert_int_equal(cpuu_prf_plan_import(plan, h.reg, "16.1", prf), CPUU_EINVALID);
	assert_int_equal(cpuu_prf_plan_import(plan, h.reg, "16.0", "alice.prf"), CPUU_EINVALID);
	assert_int_equal(cpuu_prf_plan_import(plan, h.reg, "16.0", "C:\\a\nb.prf"), CPUU_EINVALID);
	assert_int_equal(cpuu_prf_plan_import(plan, h.reg, "16.0", "\"C:\\a.prf\""), CPUU_EINVALID);
	assert_int_equal(cpuu_prf_plan_import(plan, h.reg, "16.0", "C:/a.prf"), CPUU_EINVALID);
	assert_int_equal(cpuu_plan_count(plan), 0);
	cpuu_plan_free(plan);
	char *key = NULL;
	assert_int_equal(cpuu_prf_setup_key(&key, "16.0"), CPUU_OK);
	assert_string_equal(key, SETUP16);
	free(key);
	hive_close(&h);
}

static void utf16(uint8_t **out, size_t *len, const char *s)
{
	assert_int_equal(cpuu_utf8_to_utf16le(out, len, s, 1), CPUU_OK);
}

static void test_prf_signatures_read_both_types(void **state)
{
	(void)state;
	hive h;
	hive_open(&h);
	model x;
	model_init(&x, 1, 0, CPUU_TARGET_ONPREM);
	uint8_t *bin = NULL, *sz = NULL;
	size_t binlen, szlen;
	utf16(&bin, &binlen, "Firma B\xc3\xbcro (alice@source.example)");
	utf16(&sz, &szlen, "Reply short");
	/* Outlook's own form (REG_BINARY UTF-16LE) and a script's (REG_SZ). */
	set_value(h.reg, AM "\\00000002", "New Signature", CPUU_REG_BINARY, bin, binlen);
	set_value(h.reg, AM "\\00000002", "Reply-Forward Signature", CPUU_REG_SZ, sz, szlen);
	cpuu_signatures s;
	assert_int_equal(cpuu_prf_signatures_read(&s, h.reg, &x.p, &x.acct[0]), CPUU_OK);
	assert_string_equal(s.new_message.name, "Firma B\xc3\xbcro (alice@source.example)");
	assert_int_equal(s.new_message.type, CPUU_REG_BINARY);
	assert_int_equal(s.new_message.len, binlen);
	assert_memory_equal(s.new_message.data, bin, binlen);
	assert_string_equal(s.reply_forward.name, "Reply short");
	assert_int_equal(s.reply_forward.type, CPUU_REG_SZ);
	assert_memory_equal(s.reply_forward.data, sz, szlen);
	cpuu_signatures_clear(&s);
	assert_null(s.new_message.name);

	/* No values, no subkey, no account key: no choices. */
	x.acct[0].account_key = "00000009";
	assert_int_equal(cpuu_prf_signatures_read(&s, h.reg, &x.p, &x.acct[0]), CPUU_OK);
	assert_null(s.new_message.name);
	assert_null(s.reply_forward.name);
	x.acct[0].account_key = NULL;
	assert_int_equal(cpuu_prf_signatures_read(&s, h.reg, &x.p, &x.acct[0]), CPUU_OK);
	assert_null(s.new_message.name);

	/* Wrong type, odd length, unpaired surrogate: refused, naming the value. */
	x.acct[0].account_key = "00000003";
	set_value(h.reg, AM "\\00000003", "New Signature", CPUU_REG_DWORD, "\1\0\0\0", 4);
	assert_int_equal(cpuu_prf_signatures_read(&s, h.reg, &x.p, &x.acct[0]), CPUU_EINVALID);
	assert_non_null(strstr(cpuu_error_last()->message, "00000003\\New Signature"));
	assert_null(s.new_message.name);
	set_value(h.reg, AM "\\00000003", "New Signature", CPUU_REG_BINARY, "A\0B", 3);
	assert_int_equal(cpuu_prf_signatures_read(&s, h.reg, &x.p, &x.acct[0]), CPUU_EINVALID);
	set_value(h.reg, AM "\\00000003", "New Signature", CPUU_REG_BINARY, "A\0B\0", 4);
	set_value(h.reg, AM "\\00000003", "Reply-Forward Signature", CPUU_REG_BINARY, "\x00\xd8" "A\0", 4);
	assert_int_equal(cpuu_prf_signatures_read(&s, h.reg, &x.p, &x.acct[0]), CPUU_EINVALID);
	assert_non_null(strstr(cpuu_error_last()->message, "Reply-Forward Signature"));
	assert_null(s.new_message.name);
	free(bin);
	free(sz);
	hive_close(&h);
}

/* Recorded before the PRF recreates the profile; delivered once Outlook has
 * created the new account; never twice; a choice made since wins. */
static void test_prf_signatures_carried_to_new_account(void **state)
{
	(void)state;
	hive h;
	hive_open(&h);
	model x;
	model_init(&x, 1, 0, CPUU_TARGET_ONPREM);
	uint8_t *bin = NULL, *sz = NULL;
	size_t binlen, szlen;
	utf16(&bin, &binlen, "Corporate");
	utf16(&sz, &szlen, "Short");
	set_value(h.reg, AM "\\00000002", "New Signature", CPUU_REG_BINARY, bin, binlen);
	set_value(h.reg, AM "\\00000002", "Reply-Forward Signature", CPUU_REG_SZ, sz, szlen);

	cpuu_plan *plan = NULL;
	size_t count = 9;
	assert_int_equal(cpuu_plan_new(&plan), CPUU_OK);
	assert_int_equal(cpuu_prf_plan_signatures_record(plan, &count, h.reg, &x.p, &x.acct[0], &x.m, NULL), CPUU_OK);
	assert_int_equal(count, 2);
	assert_int_equal(cpuu_plan_count(plan), 2);
	assert_string_equal(cpuu_plan_edit(plan, 0)->key, CPUU_PRF_PENDING_KEY);
	assert_string_equal(cpuu_plan_edit(plan, 0)->name, "Outlook|alice@target.example|New Signature");
	assert_string_equal(cpuu_plan_edit(plan, 1)->name, "Outlook|alice@target.example|Reply-Forward Signature");
	assert_int_equal(cpuu_plan_apply(h.reg, plan), CPUU_OK);
	cpuu_plan_free(plan);
	/* Recording again changes nothing. */
	assert_int_equal(cpuu_plan_new(&plan), CPUU_OK);
	assert_int_equal(cpuu_prf_plan_signatures_record(plan, &count, h.reg, &x.p, &x.acct[0], &x.m, NULL), CPUU_OK);
	assert_int_equal(cpuu_plan_count(plan), 0);

	/* Outlook has not created the account yet: the records wait. */
	cpuu_profile_set set = { &x.p, 1 };
	size_t applied = 9, pending = 9;
	assert_int_equal(cpuu_prf_plan_signatures_apply(plan, &applied, &pending, h.reg, &set), CPUU_OK);
	assert_int_equal(applied, 0);
	assert_int_equal(pending, 2);
	assert_int_equal(cpuu_plan_count(plan), 0);

	/* The recreated profile: a new account 00000003 on the target address,
	 * whose reply signature the user already set. */
	cpuu_account fresh = x.acct[0];
	fresh.account_key = "00000003";
	fresh.smtp = NULL;
	fresh.account_name = "ALICE@target.example";
	x.acct[0] = fresh;
	set_value(h.reg, AM "\\00000003", "Reply-Forward Signature", CPUU_REG_SZ, bin, binlen);
	assert_int_equal(cpuu_prf_plan_signatures_apply(plan, &applied, &pending, h.reg, &set), CPUU_OK);
	assert_int_equal(applied, 2);
	assert_int_equal(pending, 0);
	assert_int_equal(cpuu_plan_count(plan), 3);
	const cpuu_edit *e = cpuu_plan_edit(plan, 0);
	assert_string_equal(e->key, AM "\\00000003");
	assert_string_equal(e->name, "New Signature");
	assert_int_equal(e->type, CPUU_REG_BINARY);
	assert_int_equal(e->len, binlen);
	assert_memory_equal(e->data, bin, binlen);
	assert_int_equal(cpuu_plan_edit(plan, 1)->op, CPUU_EDIT_DELETE_VALUE);
	assert_int_equal(cpuu_plan_edit(plan, 2)->op, CPUU_EDIT_DELETE_VALUE);
	assert_int_equal(cpuu_plan_apply(h.reg, plan), CPUU_OK);
	cpuu_plan_free(plan);
	cpuu_reg_value v;
	assert_true(value_exists(h.reg, AM "\\00000003", "Reply-Forward Signature", &v));
	assert_int_equal(v.len, binlen); /* the user's own choice stayed */
	assert_memory_equal(v.data, bin, binlen);
	cpuu_reg_value_clear(&v);
	assert_false(value_exists(h.reg, CPUU_PRF_PENDING_KEY, "Outlook|alice@target.example|New Signature", NULL));

	/* Delivered once: nothing left to plan. */
	assert_int_equal(cpuu_plan_new(&plan), CPUU_OK);
	assert_int_equal(cpuu_prf_plan_signatures_apply(plan, &applied, &pending, h.reg, &set), CPUU_OK);
	assert_int_equal(applied + pending, 0);
	assert_int_equal(cpuu_plan_count(plan), 0);

	/* A record that is not ours to read is refused, not guessed at. */
	set_value(h.reg, CPUU_PRF_PENDING_KEY, "Outlook|alice@target.example|New Signature", CPUU_REG_DWORD,
		  "\1\0\0\0", 4);
	assert_int_equal(cpuu_prf_plan_signatures_apply(plan, &applied, &pending, h.reg, &set), CPUU_EINVALID);
	assert_non_null(strstr(cpuu_error_last()->message, "type 4 is not a signature name"));
	cpuu_reg_key *k = NULL;
	assert_int_equal(cpuu_reg_key_open(&k, h.reg, NULL, CPUU_PRF_PENDING_KEY), CPUU_OK);
	assert_int_equal(cpuu_reg_value_delete(h.reg, k, "Outlook|alice@target.example|New Signature"), CPUU_OK);
	cpuu_reg_key_free(k);
	set_value(h.reg, CPUU_PRF_PENDING_KEY, "garbage", CPUU_REG_SZ, sz, szlen);
	assert_int_equal(cpuu_prf_plan_signatures_apply(plan, &applied, &pending, h.reg, &set), CPUU_EINVALID);
	assert_non_null(strstr(cpuu_error_last()->message, "garbage"));
	assert_int_equal(cpuu_plan_count(plan), 0);
	cpuu_plan_free(plan);
	free(bin);
	free(sz);
	hive_close(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prf_onprem_cached_with_psts),
		cmocka_unit_test(test_prf_online_not_cached_no_psts),
		cmocka_unit_test(test_prf_online_cached_with_psts),
		cmocka_unit_test(test_prf_onprem_not_cached_append),
		cmocka_unit_test(test_prf_onprem_without_server_uses_smtp),
		cmocka_unit_test(test_prf_every_key_is_mapped),
		cmocka_unit_test(test_prf_refuses_unsafe_values),
		cmocka_unit_test(test_prf_refuses_what_it_would_lose),
		cmocka_unit_test(test_prf_encode),
		cmocka_unit_test(test_prf_import_planned_and_idempotent),
		cmocka_unit_test(test_prf_signatures_read_both_types),
		cmocka_unit_test(test_prf_signatures_carried_to_new_account),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
