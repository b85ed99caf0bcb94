/* The stable JSON form of the model (docs/inspect-json.md): fixed key order,
 * two-space indentation, absent facts as null. */
#include "profile/internal.h"

static void key_str(cpuu_buf *b, const char *indent, const char *key, const char *val, int last)
{
	cpuu_buf_printf(b, "%s\"%s\": ", indent, key);
	cpuu_buf_json_string(b, val);
	cpuu_buf_puts(b, last ? "\n" : ",\n");
}

static void additional_json(cpuu_buf *b, const cpuu_additional_mailbox *m, int last)
{
	const char *in = "              ";
	cpuu_buf_puts(b, "            {\n");
	key_str(b, in, "display_name", m->display_name, 0);
	key_str(b, in, "mailbox_dn", m->mailbox_dn, 0);
	key_str(b, in, "server", m->server, 0);
	key_str(b, in, "smtp", m->smtp, 1);
	cpuu_buf_puts(b, last ? "            }\n" : "            },\n");
}

static void account_json(cpuu_buf *b, const cpuu_account *a, int last)
{
	const char *in = "          ";
	cpuu_buf_puts(b, "        {\n");
	key_str(b, in, "kind", cpuu_account_kind_name(a->kind), 0);
	key_str(b, in, "service_uid", a->service_uid, 0);
	key_str(b, in, "display_name", a->display_name, 0);
	key_str(b, in, "smtp", a->smtp, 0);
	key_str(b, in, "legacy_dn", a->legacy_dn, 0);
	key_str(b, in, "home_server", a->home_server, 0);
	key_str(b, in, "server_dn", a->server_dn, 0);
	key_str(b, in, "mailbox_guid", a->mailbox_guid, 0);
	key_str(b, in, "ost_path", a->ost_path, 0);
	cpuu_buf_printf(b, "%s\"cached\": %s,\n", in, a->cached < 0 ? "null" : a->cached ? "true" : "false");
	if (a->nadditional == 0) {
		cpuu_buf_printf(b, "%s\"additional_mailboxes\": []\n", in);
	} else {
		cpuu_buf_printf(b, "%s\"additional_mailboxes\": [\n", in);
		for (size_t i = 0; i < a->nadditional; i++)
			additional_json(b, &a->additional[i], i + 1 == a->nadditional);
		cpuu_buf_printf(b, "%s]\n", in);
	}
	cpuu_buf_puts(b, last ? "        }\n" : "        },\n");
}

int cpuu_profiles_to_json(char **out, const cpuu_profile_set *set)
{
	cpuu_buf b = { 0 };
	*out = NULL;
	if (!set)
		return cpuu_error_set(CPUU_EINVALID, "cpuu_profiles_to_json: no profile set");
	if (set->nprofiles == 0) {
		cpuu_buf_puts(&b, "{\n  \"profiles\": []\n}\n");
	} else {
		cpuu_buf_puts(&b, "{\n  \"profiles\": [\n");
		for (size_t i = 0; i < set->nprofiles; i++) {
			const cpuu_profile *p = &set->profiles[i];
			const char *in = "      ";
			cpuu_buf_puts(&b, "    {\n");
			key_str(&b, in, "name", p->name, 0);
			key_str(&b, in, "path", p->path, 0);
			cpuu_buf_printf(&b, "%s\"default\": %s,\n", in, p->is_default ? "true" : "false");
			key_str(&b, in, "outlook_version", p->outlook_version, 0);
			if (p->naccounts == 0) {
				cpuu_buf_printf(&b, "%s\"accounts\": []\n", in);
			} else {
				cpuu_buf_printf(&b, "%s\"accounts\": [\n", in);
				for (size_t j = 0; j < p->naccounts; j++)
					account_json(&b, &p->accounts[j], j + 1 == p->naccounts);
				cpuu_buf_printf(&b, "%s]\n", in);
			}
			cpuu_buf_puts(&b, i + 1 == set->nprofiles ? "    }\n" : "    },\n");
		}
		cpuu_buf_puts(&b, "  ]\n}\n");
	}
	*out = cpuu_buf_detach(&b, NULL);
	return *out ? CPUU_OK : CPUU_ENOMEM;
}
