/* The established tool's INI keys (its administration guide, summarised in
 * docs/compat.md): what each one is in cpuu. Its INI files then load with a
 * warning only for what cpuu does not do, and a key cpuu does honour takes
 * effect under its cpuu name. */
#include "config/internal.h"

#include <string.h>

static const cpuu_config_legacy legacy[] = {
	{ "AllowAdditionalServices", "General", "AllowAdditionalServices", 0, NULL },
	{ "Critical", "General", "Critical", 0, NULL },
	{ "Profiles", "Profiles", "Profiles", 0, NULL },
	{ "Log", "General", "LogFile", 0, NULL },
	{ "AddBoxes", "Features", "AddBoxes", 0, NULL },
	{ "CONTAB", "Features", "CONTAB", 0, NULL },
	{ "ExcludeScpLookupNever", "Features", "ExcludeScpLookup", 1, NULL },
	{ "Admin", NULL, NULL, 0, "cpuu needs no admin account: it reads the exported mapping file or [Source]/[Target]" },
	{ "AdminTrg", NULL, NULL, 0, "cpuu needs no admin account: it reads the exported mapping file or [Source]/[Target]" },
	{ "Password", NULL, NULL, 0, "stored passwords are never read (the value is not kept)" },
	{ "PasswordTrg", NULL, NULL, 0, "stored passwords are never read (the value is not kept)" },
	{ "AskCredentials", NULL, NULL, 0, "cpuu logs on to no mailbox, so it asks for no credentials" },
	{ "AskSourceCredentialsOnly", NULL, NULL, 0, "cpuu logs on to no mailbox, so it asks for no credentials" },
	{ "AutodiscoverSrcFile", NULL, NULL, 0,
	  "cpuu points Autodiscover at no XML file; [Features] AutodiscoverReset removes the source's cached results" },
	{ "AutodiscoverTrgFile", NULL, NULL, 0,
	  "cpuu points Autodiscover at no XML file; [Features] AutodiscoverReset removes the source's cached results" },
	{ "AutodiscoverDomainsFQDNs", NULL, NULL, 0,
	  "cpuu points Autodiscover at no XML file; [Features] AutodiscoverReset removes the source's cached results" },
	{ "Activities", NULL, NULL, 0, "cpuu does not migrate this feature" },
	{ "Delegates", NULL, NULL, 0, "cpuu does not migrate this feature" },
	{ "Rules", NULL, NULL, 0, "cpuu does not migrate this feature" },
	{ "SRS", NULL, NULL, 0, "cpuu does not migrate this feature" },
	{ "SearchFolders", NULL, NULL, 0, "cpuu does not migrate this feature" },
	{ "Shortcuts", NULL, NULL, 0, "cpuu does not migrate this feature" },
	{ "FolderLists", NULL, NULL, 0, "cpuu does not migrate this feature" },
};

const cpuu_config_legacy *cpuu_config_legacy_find(const char *key)
{
	for (size_t i = 0; key && i < sizeof legacy / sizeof legacy[0]; i++)
		if (!cpuu_strcasecmp_ascii(legacy[i].key, key))
			return &legacy[i];
	return NULL;
}
