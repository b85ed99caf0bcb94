/* The .prf writer: one switched Exchange account, and what of its profile a
 * .prf can carry. Section names, keys and the Section 6 mappings follow the
 * Office Customization Tool's output (docs/prf.md); a key Outlook finds no
 * mapping for is ignored without a word, so every key written here has its
 * mapping written too, and nothing else is mapped. */
#include "prf/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cpuu_prf_opts_init(cpuu_prf_opts *opts)
{
	memset(opts, 0, sizeof *opts);
	opts->default_profile = -1;
	opts->overwrite = CPUU_PRF_OVERWRITE_YES;
	opts->include_pst = 1;
	opts->encoding = CPUU_PRF_ANSI;
}

/* A service the file creates, in [Service List] order. */
typedef struct prf_service {
	const char *list_name;  /* "Unicode Personal Folders", ... */
	const cpuu_account *account;
} prf_service;

typedef struct prf_ctx {
	cpuu_buf b;
	const cpuu_prf_opts *opts;
	int rc;
} prf_ctx;

static void line(prf_ctx *c, const char *s)
{
	cpuu_buf_puts(&c->b, s);
	cpuu_buf_puts(&c->b, "\r\n");
}

/* key=value after checking value; the first failure sticks. */
static void kv(prf_ctx *c, const char *section, const char *key, const char *value, enum prf_text_kind kind)
{
	if (c->rc)
		return;
	c->rc = prf_check_value(section, key, value, kind, c->opts->encoding);
	if (c->rc)
		return;
	cpuu_buf_printf(&c->b, "%s=%s\r\n", key, value);
}

static int same_text(const char *a, const char *b)
{
	return a && b && !cpuu_strcasecmp_ascii(a, b);
}

static const char *pst_list_name(const cpuu_account *a)
{
	/* Keep the provider the profile had: the 97-2002 format has its own. */
	return a->service_name && !cpuu_strcasecmp_ascii(a->service_name, "MSPST MS") ? "Personal Folders"
										      : "Unicode Personal Folders";
}

static const char *account_label(const cpuu_account *a)
{
	if (a->smtp)
		return a->smtp;
	if (a->display_name)
		return a->display_name;
	if (a->service_name)
		return a->service_name;
	return a->service_uid ? a->service_uid : "?";
}

/* The services a recreated profile gets besides the Exchange account, or a
 * refusal naming what it would lose. */
static int collect_services(prf_service **out, size_t *n, const cpuu_profile *p, const cpuu_account *acct,
			    const cpuu_prf_opts *o)
{
	*out = NULL;
	*n = 0;
	size_t nexchange = 0;
	for (size_t i = 0; i < p->naccounts; i++)
		nexchange += p->accounts[i].kind == CPUU_ACCOUNT_EXCHANGE;
	if (o->overwrite == CPUU_PRF_OVERWRITE_APPEND) {
		if (nexchange > 1)
			return cpuu_error_set(CPUU_EUNSUPPORTED,
					      "profile '%s': %zu Exchange accounts; OverwriteProfile=Append would leave "
					      "it to Outlook which one to overwrite",
					      p->name, nexchange);
		return CPUU_OK;
	}
	prf_service *svc = calloc(p->naccounts ? p->naccounts : 1, sizeof *svc);
	if (!svc)
		return cpuu_error_oom();
	size_t k = 0;
	for (size_t i = 0; i < p->naccounts; i++) {
		const cpuu_account *a = &p->accounts[i];
		if (a == acct)
			continue;
		if (a->kind == CPUU_ACCOUNT_PST) {
			if (o->include_pst)
				svc[k++] = (prf_service){ pst_list_name(a), a };
			continue;
		}
		if (a->kind == CPUU_ACCOUNT_OTHER && same_text(a->service_name, "CONTAB")) {
			svc[k++] = (prf_service){ "Outlook Address Book", a };
			continue;
		}
		free(svc);
		return cpuu_error_set(CPUU_EUNSUPPORTED,
				      "profile '%s': account '%s' (%s) cannot be carried by this PRF; "
				      "OverwriteProfile=Yes would drop it from the profile",
				      p->name, account_label(a), cpuu_account_kind_name(a->kind));
	}
	*out = svc;
	*n = k;
	return CPUU_OK;
}

static int is_member(const cpuu_profile *p, const cpuu_account *a)
{
	for (size_t i = 0; i < p->naccounts; i++)
		if (&p->accounts[i] == a)
			return 1;
	return 0;
}

/* The name Outlook shows for the account: the target address, unless the
 * user chose one (anything but the source address), as docs/switch.md. */
static const char *account_name_for(const cpuu_account *a, const cpuu_match *m)
{
	const char *n = a->account_name;
	if (!n || same_text(n, a->smtp) || same_text(n, m->source_smtp) || same_text(n, m->target_smtp))
		return m->target_smtp;
	return n;
}

static void write_mapping(prf_ctx *c, int client, int exchange_egs, int ost, int unicode_pst, int ansi_pst,
			  int contab)
{
	line(c, "");
	line(c, "; Section 6 - Mapping for profile properties. Every key above has its mapping here:");
	line(c, "; Outlook ignores, without a word, a key it has no mapping for.");
	line(c, "");
	line(c, "[Microsoft Exchange Server]");
	line(c, "ServiceName=MSEMS");
	line(c, "MDBGUID=5494A1C0297F101BA58708002B2A2517");
	line(c, "MailboxName=PT_STRING8,0x6607");
	line(c, "HomeServer=PT_STRING8,0x6608");
	if (ost)
		line(c, "OfflineFolderPath=PT_STRING8,0x6610");
	if (exchange_egs) {
		line(c, "");
		line(c, "[Exchange Global Section]");
		line(c, "SectionGUID=" CPUU_SECTION_GLOBAL);
		line(c, "MailboxName=PT_STRING8,0x6607");
		line(c, "HomeServer=PT_STRING8,0x6608");
		line(c, "AccountName=PT_UNICODE,0x6620");
	}
	if (client) {
		line(c, "");
		line(c, "[Microsoft Outlook Client]");
		line(c, "SectionGUID=" CPUU_SECTION_CLIENT);
		line(c, "CachedExchangeMode=PT_LONG,0x041f");
	}
	if (unicode_pst) {
		line(c, "");
		line(c, "[Unicode Personal Folders]");
		line(c, "ServiceName=MSUPST MS");
		line(c, "Name=PT_UNICODE,0x3001");
		line(c, "PathToPersonalFolders=PT_STRING8,0x6700");
		line(c, "EncryptionType=PT_LONG,0x6702");
	}
	if (ansi_pst) {
		line(c, "");
		line(c, "[Personal Folders]");
		line(c, "ServiceName=MSPST MS");
		line(c, "Name=PT_STRING8,0x3001");
		line(c, "PathToPersonalFolders=PT_STRING8,0x6700");
		line(c, "EncryptionType=PT_LONG,0x6702");
	}
	if (contab) {
		line(c, "");
		line(c, "[Outlook Address Book]");
		line(c, "ServiceName=CONTAB");
	}
}

/* MAPI profile names: at most 64 characters, no blanks at either end
 * (IProfAdmin::CreateProfile); '\' would split the registry key. */
static int check_profile_name(const char *name, cpuu_prf_encoding enc)
{
	int rc = prf_check_value("General", "ProfileName", name, PRF_TEXT_UNICODE, enc);
	if (rc)
		return rc;
	size_t chars = 0;
	for (const unsigned char *s = (const unsigned char *)name; *s; s++)
		chars += (*s & 0xC0) != 0x80;
	if (chars > 64)
		return cpuu_error_set(CPUU_EINVALID, "PRF [General] ProfileName: '%s' is longer than 64 characters", name);
	if (strchr(name, '\\'))
		return cpuu_error_set(CPUU_EINVALID, "PRF [General] ProfileName: '%s' contains '\\'", name);
	return CPUU_OK;
}

int cpuu_prf_build(char **text, const cpuu_profile *profile, const cpuu_account *account, const cpuu_match *m,
		   const cpuu_prf_opts *opts)
{
	if (!text)
		return cpuu_error_set(CPUU_EINVALID, "PRF build: NULL output");
	*text = NULL;
	if (!profile || !account || !m)
		return cpuu_error_set(CPUU_EINVALID, "PRF build: NULL argument");
	cpuu_prf_opts defaults;
	if (!opts) {
		cpuu_prf_opts_init(&defaults);
		opts = &defaults;
	}
	if (opts->encoding != CPUU_PRF_ANSI && opts->encoding != CPUU_PRF_UTF16LE)
		return cpuu_error_set(CPUU_EINVALID, "PRF build: unknown encoding %d", (int)opts->encoding);
	if (opts->overwrite != CPUU_PRF_OVERWRITE_YES && opts->overwrite != CPUU_PRF_OVERWRITE_APPEND)
		return cpuu_error_set(CPUU_EINVALID, "PRF build: unknown overwrite mode %d", (int)opts->overwrite);
	if (account->kind != CPUU_ACCOUNT_EXCHANGE || !is_member(profile, account))
		return cpuu_error_set(CPUU_EINVALID, "PRF build: account '%s' is not an Exchange account of profile '%s'",
				      account_label(account), profile->name ? profile->name : "?");
	if (!m->target_smtp)
		return cpuu_error_set(CPUU_EINVALID, "PRF build: profile '%s', account '%s': no target SMTP address",
				      profile->name, account_label(account));

	const char *name = opts->profile_name ? opts->profile_name : profile->name;
	int rc = check_profile_name(name, opts->encoding);
	if (rc)
		return rc;
	prf_service *svc = NULL;
	size_t nsvc = 0;
	rc = collect_services(&svc, &nsvc, profile, account, opts);
	if (rc)
		return rc;

	int is_default = opts->default_profile < 0 ? profile->is_default != 0 : opts->default_profile != 0;
	int cached = account->cached == 1;
	int onprem = m->target_kind == CPUU_TARGET_ONPREM && m->target_legacy_dn && m->target_server;
	const char *mailbox = onprem ? m->target_legacy_dn : m->target_smtp;
	const char *server = m->target_server;
	int unicode_pst = 0, ansi_pst = 0, contab = 0;

	prf_ctx c = { .opts = opts };
	line(&c, "; Outlook profile file written by cpuu (docs/prf.md).");
	line(&c, "");
	line(&c, "[General]");
	line(&c, "Custom=1");
	kv(&c, "General", "ProfileName", name, PRF_TEXT_UNICODE);
	line(&c, is_default ? "DefaultProfile=Yes" : "DefaultProfile=No");
	line(&c, opts->overwrite == CPUU_PRF_OVERWRITE_YES ? "OverwriteProfile=Yes" : "OverwriteProfile=Append");
	line(&c, opts->modify_default_profile_if_present ? "ModifyDefaultProfileIfPresent=TRUE"
							 : "ModifyDefaultProfileIfPresent=FALSE");
	line(&c, "BackupProfile=False");
	line(&c, "");
	line(&c, "[Service List]");
	if (cached)
		line(&c, "ServiceX=Microsoft Outlook Client");
	line(&c, "ServiceEGS1=Exchange Global Section");
	line(&c, "Service1=Microsoft Exchange Server");
	for (size_t i = 0; i < nsvc; i++)
		cpuu_buf_printf(&c.b, "Service%zu=%s\r\n", i + 2, svc[i].list_name);
	line(&c, "");
	line(&c, "[Internet Account List]");
	line(&c, "");
	if (cached) {
		line(&c, "[ServiceX]");
		/* [I] docs/prf.md: 2 = Cached Exchange Mode, full items. */
		line(&c, "CachedExchangeMode=0x00000002");
		line(&c, "");
	}
	line(&c, "[ServiceEGS1]");
	kv(&c, "ServiceEGS1", "MailboxName", mailbox, PRF_TEXT_STRING8);
	if (server)
		kv(&c, "ServiceEGS1", "HomeServer", server, PRF_TEXT_STRING8);
	kv(&c, "ServiceEGS1", "AccountName", account_name_for(account, m), PRF_TEXT_UNICODE);
	line(&c, "");
	line(&c, "[Service1]");
	line(&c, "OverwriteExistingService=Yes");
	line(&c, "UniqueService=Yes");
	kv(&c, "Service1", "MailboxName", mailbox, PRF_TEXT_STRING8);
	if (server)
		kv(&c, "Service1", "HomeServer", server, PRF_TEXT_STRING8);
	if (opts->ost_path)
		kv(&c, "Service1", "OfflineFolderPath", opts->ost_path, PRF_TEXT_STRING8);
	for (size_t i = 0; i < nsvc && !c.rc; i++) {
		const cpuu_account *a = svc[i].account;
		char section[32];
		snprintf(section, sizeof section, "Service%zu", i + 2);
		cpuu_buf_printf(&c.b, "\r\n[%s]\r\n", section);
		if (a->kind == CPUU_ACCOUNT_PST) {
			int ansi = !strcmp(svc[i].list_name, "Personal Folders");
			ansi_pst |= ansi;
			unicode_pst |= !ansi;
			/* Several PST services may exist; the Exchange one may not. */
			line(&c, "UniqueService=No");
			if (a->display_name)
				kv(&c, section, "Name", a->display_name, ansi ? PRF_TEXT_STRING8 : PRF_TEXT_UNICODE);
			if (!a->ost_path && !c.rc)
				c.rc = cpuu_error_set(CPUU_EINVALID, "profile '%s': PST service %s has no file path",
						      profile->name, a->service_uid ? a->service_uid : "?");
			kv(&c, section, "PathToPersonalFolders", a->ost_path, PRF_TEXT_STRING8);
			/* The file exists: its encryption is already fixed. 0x80000000
			 * ("no encryption") is what the samples carry. */
			line(&c, "EncryptionType=0x80000000");
		} else {
			contab = 1;
			line(&c, "UniqueService=Yes");
		}
	}
	free(svc);
	if (!c.rc)
		write_mapping(&c, cached, 1, opts->ost_path != NULL, unicode_pst, ansi_pst, contab);
	if (c.rc) {
		cpuu_buf_dispose(&c.b);
		return c.rc;
	}
	*text = cpuu_buf_detach(&c.b, NULL);
	return *text ? CPUU_OK : CPUU_ENOMEM;
}
