/* The credentials step (docs/m365.md, "Credential Manager") against Wine's
 * real Credential Manager and registry (tests/integration/wine_cred.sh), or
 * Windows: a profile switched to the target makes Update move Office's
 * generic credentials of the source aside inside the store (dry run: only
 * planned), once; Rollback puts them back with their exact blob and user
 * name; other credentials never move; the planted secret is in no file of
 * the state folder. The identity step runs live in the same runs: the
 * source's Office identity marked, then restored by Rollback. Plain C; exit
 * 0 when every check holds. */
#include "cpuu/mapping.h"
#include "cpuu/registry.h"
#include "cpuu/update.h"
#include "fixture.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>
#include <wincred.h>

static int failures;
#define CHECK(c) do { if (!(c)) { failures++; fprintf(stderr, "FAIL %s:%d: %s (last error: %s)\n", \
	__FILE__, __LINE__, #c, cpuu_error_last()->message); } } while (0)

#define SRC_AG "/o=Source/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn="
#define SRC_CRED L"MicrosoftOffice16_Data:orgid:alice@source.example"
#define ASIDE_CRED L"cpuu-old:MicrosoftOffice16_Data:orgid:alice@source.example"
#define TRG_CRED L"MicrosoftOffice16_Data:orgid:alice@target.example"
#define OTHER_CRED L"OtherApp:alice@source.example"
#define SECRET "planted-office-credential-blob-4d2e"

static const char fixture_text[] =
	"[profile Outlook]\nversion = 16.0\ndefault = yes\n"
	"[exchange]\ndisplay_name = Alice Example\nsmtp = alice@source.example\n"
	"legacy_dn = " SRC_AG "alice\nmailbox_guid = 11111111-2222-4333-8444-555555555555\ncached = no\n";
static const char mapping_csv[] =
	"source_legacy_dn,source_smtp,source_mailbox_guid,source_x500,target_legacy_dn,target_smtp,"
	"target_mailbox_guid,target_display_name,target_kind,target_server,switched\n" SRC_AG
	"alice,alice@source.example,11111111-2222-4333-8444-555555555555,,,alice@target.example,,Alice,online,,true\n";

static void put(const wchar_t *target, const wchar_t *user, const char *blob)
{
	CREDENTIALW c;
	memset(&c, 0, sizeof c);
	c.Type = CRED_TYPE_GENERIC;
	c.TargetName = (wchar_t *)target;
	c.UserName = (wchar_t *)user;
	c.CredentialBlob = (BYTE *)blob;
	c.CredentialBlobSize = (DWORD)strlen(blob);
	c.Persist = CRED_PERSIST_LOCAL_MACHINE;
	CHECK(CredWriteW(&c, 0));
}

/* 1 when target exists with exactly blob and user. */
static int has(const wchar_t *target, const wchar_t *user, const char *blob)
{
	PCREDENTIALW c = NULL;
	if (!CredReadW(target, CRED_TYPE_GENERIC, 0, &c))
		return 0;
	int ok = c->CredentialBlobSize == strlen(blob) && !memcmp(c->CredentialBlob, blob, strlen(blob)) &&
		 c->UserName && !wcscmp(c->UserName, user);
	CredFree(c);
	return ok;
}

#define ID_SRC "Software\\Microsoft\\Office\\16.0\\Common\\Identity\\Identities\\0a1b_ADAL"

/* The live value as text, or NULL. */
static char *get_sz(const char *path, const char *name)
{
	cpuu_reg *reg = NULL;
	cpuu_reg_key *k = NULL;
	char *s = NULL;
	if (cpuu_reg_open_live(&reg, 0) == CPUU_OK && cpuu_reg_key_open(&k, reg, NULL, path) == CPUU_OK &&
	    cpuu_reg_get_string(&s, reg, k, name) != CPUU_OK)
		s = NULL;
	cpuu_reg_key_free(k);
	cpuu_reg_free(reg);
	return s;
}

static int sz_is(const char *path, const char *name, const char *want)
{
	char *v = get_sz(path, name);
	int ok = v && !strcmp(v, want);
	if (!ok)
		fprintf(stderr, "  %s\\%s = %s, want %s\n", path, name, v ? v : "(absent)", want);
	free(v);
	return ok;
}

static int lookup(void *ctx, const cpuu_match **m, cpuu_lookup_status *st, const char *key)
{
	return cpuu_mapping_lookup(m, st, ctx, key);
}

static const cpuu_result *record(const cpuu_results *r, const char *label)
{
	for (size_t i = 0; r && i < r->count; i++)
		if (r->items[i].account && !strcmp(r->items[i].account, label))
			return &r->items[i];
	return NULL;
}

static cpuu_results *run(cpuu_mode mode, int dry, const char *state, cpuu_match_source *res)
{
	cpuu_reg *reg = NULL;
	cpuu_results *r = NULL;
	CHECK(cpuu_reg_open_live(&reg, CPUU_REG_OPEN_WRITE) == CPUU_OK);
	cpuu_run_opts o;
	cpuu_run_opts_init(&o);
	o.mode = mode;
	o.dry_run = dry;
	o.user = "alice";
	o.state_dir = state;
	o.scenario = 2; /* tenant-to-tenant: OfficeCredentials auto = on */
	CHECK(cpuu_run_registry(&r, reg, "HKCU", &o, res) == CPUU_OK);
	cpuu_reg_free(reg);
	return r;
}

static int file_holds_secret(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int hit = 0;
	while (d && (e = readdir(d))) {
		char p[MAX_PATH];
		snprintf(p, sizeof p, "%s\\%s", dir, e->d_name);
		FILE *f = fopen(p, "rb");
		if (!f)
			continue;
		static char buf[1 << 20];
		size_t n = fread(buf, 1, sizeof buf, f);
		fclose(f);
		for (size_t i = 0; i + strlen(SECRET) <= n; i++)
			hit |= !memcmp(buf + i, SECRET, strlen(SECRET));
	}
	if (d)
		closedir(d);
	return hit;
}

int main(void)
{
	char state[MAX_PATH];
	snprintf(state, sizeof state, "%s\\cpuu-cred-%lu", getenv("TEMP") ? getenv("TEMP") : ".", GetCurrentProcessId());
	cpuu_reg *reg = NULL;
	cpuu_fixture *f = NULL;
	CHECK(cpuu_reg_open_live(&reg, CPUU_REG_OPEN_WRITE) == CPUU_OK);
	CHECK(cpuu_fixture_parse(&f, fixture_text, strlen(fixture_text)) == CPUU_OK);
	CHECK(cpuu_fixture_apply(reg, f) == CPUU_OK);
	cpuu_fixture_free(f);
	cpuu_reg_key *k = NULL;
	CHECK(cpuu_reg_key_create(&k, reg, NULL, ID_SRC) == CPUU_OK);
	CHECK(cpuu_reg_set_string(reg, k, "EmailAddress", "alice@source.example") == CPUU_OK);
	CHECK(cpuu_reg_set_string(reg, k, "ProviderId", "ADAL") == CPUU_OK);
	CHECK(cpuu_reg_set_string(reg, k, "FederationProvider", "https://sts.source.example/adfs") == CPUU_OK);
	cpuu_reg_key_free(k);
	cpuu_reg_free(reg);
	cpuu_mapping *map = NULL;
	CHECK(cpuu_mapping_load_buffer(&map, mapping_csv, strlen(mapping_csv)) == CPUU_OK);
	cpuu_match_source res = { lookup, map };
	put(SRC_CRED, L"alice@source.example", SECRET);
	put(TRG_CRED, L"alice@target.example", "target-blob");
	put(OTHER_CRED, L"alice@source.example", "other-blob");

	cpuu_results *r = run(CPUU_MODE_UPDATE, 1, state, &res);
	CHECK(record(r, "credentials") && record(r, "credentials")->outcome == CPUU_OUTCOME_PLANNED &&
	      record(r, "credentials")->changes == 1);
	cpuu_results_free(r);
	CHECK(has(SRC_CRED, L"alice@source.example", SECRET));
	CHECK(sz_is(ID_SRC, "FederationProvider", "https://sts.source.example/adfs"));

	r = run(CPUU_MODE_UPDATE, 0, state, &res);
	CHECK(record(r, "credentials") && record(r, "credentials")->outcome == CPUU_OUTCOME_SWITCHED);
	cpuu_results_free(r);
	CHECK(!has(SRC_CRED, L"alice@source.example", SECRET));
	CHECK(has(ASIDE_CRED, L"alice@source.example", SECRET));
	CHECK(has(TRG_CRED, L"alice@target.example", "target-blob"));
	CHECK(has(OTHER_CRED, L"alice@source.example", "other-blob"));
	CHECK(!file_holds_secret(state));
	CHECK(sz_is(ID_SRC, "FederationProvider", "Error"));

	r = run(CPUU_MODE_UPDATE, 0, state, &res);
	CHECK(record(r, "credentials") && record(r, "credentials")->outcome == CPUU_OUTCOME_NOTHING_TO_DO);
	cpuu_results_free(r);

	r = run(CPUU_MODE_ROLLBACK, 0, state, &res);
	CHECK(record(r, "credentials") && record(r, "credentials")->outcome == CPUU_OUTCOME_ROLLED_BACK &&
	      record(r, "credentials")->changes == 1);
	cpuu_results_free(r);
	CHECK(has(SRC_CRED, L"alice@source.example", SECRET));
	CHECK(!has(ASIDE_CRED, L"alice@source.example", SECRET));
	CHECK(has(TRG_CRED, L"alice@target.example", "target-blob"));
	CHECK(sz_is(ID_SRC, "FederationProvider", "https://sts.source.example/adfs"));

	cpuu_mapping_free(map);
	CredDeleteW(SRC_CRED, CRED_TYPE_GENERIC, 0);
	CredDeleteW(TRG_CRED, CRED_TYPE_GENERIC, 0);
	CredDeleteW(OTHER_CRED, CRED_TYPE_GENERIC, 0);
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	else
		printf("credentials: ok\n");
	return failures ? 1 : 0;
}
