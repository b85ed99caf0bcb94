/* libFuzzer target for the main hostile input: a user's hive. Bytes ->
 * hive open -> profile load -> a switch plan for every Exchange account and
 * additional mailbox, read-only (nothing is applied or committed).
 * Invariants (abort() when one breaks):
 *   - a failed open or load returns nothing and says why;
 *   - every plan either fails with a message or formats;
 *   - planning is a function of the hive: the same account planned twice
 *     gives the same text;
 *   - the hive's bytes are never written.
 * hivex opens files by path, so each input goes into one private temp file
 * (removed at exit). With CPUU_FUZZ_SEEDGEN the file becomes a seed writer:
 * small hives built from fixtures (see fuzz/README.md); with
 * CPUU_FUZZ_HIVE_SEEDS the same builder is kept for the unit tests that
 * replay this harness (tests/unit/test_fixture_fuzzreplay.c). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpuu/plan.h"
#include "cpuu/profile.h"
#include "cpuu/registry.h"

#ifndef CPUU_FUZZ_ENTRY
#define CPUU_FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif

int CPUU_FUZZ_ENTRY(const uint8_t *data, size_t size);

static char fhp_path[4096];

static void fhp_cleanup(void)
{
	if (fhp_path[0])
		unlink(fhp_path);
}

/* The one temp file of this process, created on first use. */
static const char *fhp_file(void)
{
	if (!fhp_path[0]) {
		const char *tmp = getenv("TMPDIR");
		snprintf(fhp_path, sizeof fhp_path, "%s/cpuu-fuzz-hive-XXXXXX", tmp && *tmp ? tmp : "/tmp");
		int fd = mkstemp(fhp_path);
		if (fd < 0)
			abort(); /* no temp file: the harness cannot run */
		close(fd);
		atexit(fhp_cleanup);
	}
	return fhp_path;
}

static int fhp_put(const char *path, const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	int ok = fwrite(data, 1, size, f) == size;
	return fclose(f) == 0 && ok ? 0 : -1;
}

/* The file still holds exactly the input. */
static int fhp_unchanged(const char *path, const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	int same = 1;
	uint8_t buf[4096];
	size_t off = 0, n;
	while (same && (n = fread(buf, 1, sizeof buf, f)) > 0) {
		same = off + n <= size && !memcmp(buf, data + off, n);
		off += n;
	}
	fclose(f);
	return same && off == size;
}

/* Every key is a switched source: on-premises targets for DNs, Exchange
 * Online for the rest, so both planners run on whatever the hive holds. */
static char fhp_key[512];
static cpuu_match fhp_match;

static void fhp_target(const char *key)
{
	snprintf(fhp_key, sizeof fhp_key, "%s", key);
	memset(&fhp_match, 0, sizeof fhp_match);
	fhp_match.source_legacy_dn = key[0] == '/' ? fhp_key : NULL;
	fhp_match.source_smtp = key[0] == '/' ? NULL : fhp_key;
	fhp_match.target_smtp = (char *)"x@target.example";
	fhp_match.target_display_name = (char *)"X";
	fhp_match.switched = 1;
	if (key[0] == '/') {
		fhp_match.target_kind = CPUU_TARGET_ONPREM;
		fhp_match.target_legacy_dn =
			(char *)"/o=Target/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=x";
		fhp_match.target_mailbox_guid = (char *)"aaaaaaaa-2222-4333-8444-555555555555";
		fhp_match.target_server = (char *)"aaaaaaaa-2222-4333-8444-555555555555@target.example";
	} else {
		fhp_match.target_kind = CPUU_TARGET_ONLINE;
	}
}

/* Plans formatted so far (the replay test checks the seeds reach the planner). */
static size_t fhp_plans;

/* One plan, formatted; NULL when planning refused (with a message). */
static char *fhp_plan(cpuu_reg *reg, const cpuu_profile *p, const cpuu_account *a,
		      const cpuu_additional_mailbox *mb)
{
	cpuu_plan *plan = NULL;
	char *text = NULL;
	if (cpuu_plan_new(&plan) != CPUU_OK)
		return NULL;
	cpuu_switch_opts sw;
	cpuu_switch_opts_init(&sw);
	int rc = mb ? cpuu_plan_relink_mailbox(plan, reg, p, mb, &fhp_match)
		    : cpuu_plan_switch_account(plan, reg, p, a, &fhp_match, &sw);
	if (rc == CPUU_OK) {
		rc = cpuu_plan_format(&text, plan);
		if (rc != CPUU_OK && rc != CPUU_ENOMEM)
			abort(); /* a plan that cannot be shown */
		fhp_plans += text != NULL;
	} else if (rc > 0 || !cpuu_error_last()->message[0]) {
		abort(); /* a refusal says why */
	}
	cpuu_plan_free(plan);
	return text;
}

/* Plans twice: the same text (or the same refusal) both times. */
static void fhp_plan_twice(cpuu_reg *reg, const cpuu_profile *p, const cpuu_account *a,
			   const cpuu_additional_mailbox *mb)
{
	const char *key = mb ? (mb->mailbox_dn ? mb->mailbox_dn : mb->smtp) : (a->legacy_dn ? a->legacy_dn : a->smtp);
	fhp_target(key ? key : "/o=S/cn=Recipients/cn=a");
	char *first = fhp_plan(reg, p, a, mb);
	char *second = fhp_plan(reg, p, a, mb);
	if (!first != !second || (first && strcmp(first, second)))
		abort();
	free(first);
	free(second);
}

int CPUU_FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	const char *path = fhp_file();
	if (fhp_put(path, data, size) != 0)
		abort();
	cpuu_reg *reg = NULL;
	if (cpuu_reg_open_hive(&reg, path, 0) != CPUU_OK) {
		if (reg || !cpuu_error_last()->message[0])
			abort(); /* a failed open returns nothing and says why */
		return 0;
	}
	cpuu_profile_set *set = NULL;
	if (cpuu_profiles_load(&set, reg) != CPUU_OK) {
		if (set || !cpuu_error_last()->message[0])
			abort();
	} else {
		for (size_t i = 0; i < set->nprofiles; i++) {
			const cpuu_profile *p = &set->profiles[i];
			for (size_t j = 0; j < p->naccounts; j++) {
				const cpuu_account *a = &p->accounts[j];
				if (a->kind != CPUU_ACCOUNT_EXCHANGE)
					continue;
				fhp_plan_twice(reg, p, a, NULL);
				for (size_t k = 0; k < a->nadditional; k++)
					fhp_plan_twice(reg, p, a, &a->additional[k]);
			}
		}
		char *json = NULL;
		if (cpuu_profiles_to_json(&json, set) == CPUU_OK)
			free(json);
		cpuu_profile_set_free(set);
	}
	cpuu_reg_free(reg);
	if (!fhp_unchanged(path, data, size))
		abort(); /* read-only means never written */
	return 0;
}

#if defined(CPUU_FUZZ_SEEDGEN) || defined(CPUU_FUZZ_HIVE_SEEDS)
#include "fixture.h"

#define FHP_AG "/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn="

/* Small hives by the fixture builder (tools/fixture, docs/fixture.md):
 * an on-premises cached account with an additional mailbox and a PST, two
 * accounts in an 8-bit Outlook 2013 profile, and no profile at all. */
static const char *const fhp_fixtures[] = {
	"[profile Outlook]\nversion = 16.0\ndefault = yes\n"
	"[exchange]\ndisplay_name = Alice\nsmtp = alice@source.example\nlegacy_dn = /o=Source" FHP_AG "alice\n"
	"mailbox_guid = 11111111-2222-4333-8444-555555555555\ncached = yes\n"
	"ost = C:\\Users\\alice\\AppData\\Local\\Microsoft\\Outlook\\alice@source.example.ost\n"
	"additional = /o=Source" FHP_AG "sales | Sales\n"
	"[pst]\npath = C:\\Users\\alice\\Documents\\Archive.pst\ndisplay_name = Archive\n",
	"[profile Old]\nversion = 15.0\nstrings = string8\n"
	"[exchange]\ndisplay_name = carol@source.example\nsmtp = carol@source.example\nlegacy_dn = /o=Source" FHP_AG
	"carol\nmailbox_guid = 33333333-2222-4333-8444-555555555555\ncached = no\n"
	"[exchange]\ndisplay_name = Desk\nsmtp = desk@source.example\nlegacy_dn = /o=Source" FHP_AG "desk\n"
	"mailbox_guid = 44444444-2222-4333-8444-555555555555\ncached = yes\n",
	"",
};

#define FHP_NSEEDS (sizeof fhp_fixtures / sizeof fhp_fixtures[0])

/* Seed i as hive bytes (*out malloc'd), built in a temp file; 0 or -1. */
static int fhp_seed_hive(uint8_t **out, size_t *len, size_t i)
{
	char dir[4000], path[4096];
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/cpuu-fuzz-seed-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof path, "%s/NTUSER.DAT", dir); /* a new file: the blank hive's rule */
	cpuu_reg *reg = NULL;
	cpuu_fixture *f = NULL;
	cpuu_reg_commit_opts nb = { .no_backup = 1 };
	int rc = cpuu_hive_create_blank(path, NULL);
	if (!rc)
		rc = cpuu_reg_open_hive(&reg, path, CPUU_REG_OPEN_WRITE);
	if (!rc && fhp_fixtures[i][0]) /* "": a hive without profiles */
		rc = cpuu_fixture_parse(&f, fhp_fixtures[i], strlen(fhp_fixtures[i]));
	if (!rc && f)
		rc = cpuu_fixture_apply(reg, f);
	if (!rc)
		rc = cpuu_reg_commit(reg, &nb);
	if (rc)
		fprintf(stderr, "seed %zu: %s\n", i, cpuu_error_last()->message);
	cpuu_fixture_free(f);
	cpuu_reg_free(reg);
	FILE *in = rc ? NULL : fopen(path, "rb");
	*out = NULL;
	*len = 0;
	if (in) {
		long n = fseek(in, 0, SEEK_END) == 0 ? ftell(in) : -1;
		*out = n > 0 ? malloc((size_t)n) : NULL;
		if (*out && (fseek(in, 0, SEEK_SET) != 0 || fread(*out, 1, (size_t)n, in) != (size_t)n)) {
			free(*out);
			*out = NULL;
		}
		*len = *out ? (size_t)n : 0;
		fclose(in);
	}
	unlink(path);
	rmdir(dir);
	return *out ? 0 : -1;
}
#endif

#ifdef CPUU_FUZZ_SEEDGEN
int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	for (size_t i = 0; i < FHP_NSEEDS; i++) {
		uint8_t *hive = NULL;
		size_t n = 0;
		char path[4096];
		if (fhp_seed_hive(&hive, &n, i) != 0)
			return 1;
		snprintf(path, sizeof path, "%s/fixture-%zu.dat", argv[1], i);
		int rc = fhp_put(path, hive, n);
		free(hive);
		if (rc)
			return 1;
	}
	return 0;
}
#endif
