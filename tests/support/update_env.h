/* The update tests' shared setting (tests/unit/test_update*.c): a temp
 * folder with a user's hive made from fixture text, the run's state folder,
 * a mapping loaded from CSV text and a resolver over it. Each test adds its
 * own values and options on top. Include after cmocka's prerequisites. */
#ifndef CPUU_TEST_UPDATE_ENV_H
#define CPUU_TEST_UPDATE_ENV_H

#include "cpuu/mapping.h"
#include "cpuu/registry.h"
#include "cpuu/update.h"

typedef struct update_env {
	char *dir;   /* the temp folder, removed by update_env_free */
	char *hive;  /* the user's NTUSER.DAT in it */
	char *state; /* dir/state: the run's state folder */
	cpuu_mapping *map;
	cpuu_match_source resolver; /* looks keys up in map */
} update_env;

/* alice's one cached Exchange account in an Outlook 16 default profile. */
extern const char update_env_alice_fixture[];

/* A fresh temp folder named after tag; the hive at dir/hive_rel (its parent
 * folders made), blank or a copy of real_base, with fixture_text applied.
 * Returns the hive open for writing: the caller adds its own values, then
 * update_env_commit. */
cpuu_reg *update_env_open(update_env *u, const char *tag, const char *hive_rel, const char *real_base,
			  const char *fixture_text);
/* Commit (no backup: the test's own setting) and free. */
void update_env_commit(cpuu_reg *reg);
/* The mapping from CSV text, the resolver over it. */
void update_env_map(update_env *u, const char *csv);
/* alice's row: to alice@target.example online, switched or not. */
void update_env_map_alice(update_env *u, int switched);
void update_env_free(update_env *u);

/* The hive's subtree at subkey (NULL: the whole hive) as .reg text, its
 * root named root_name (NULL: HKEY_CURRENT_USER[\subkey]); NULL when
 * subkey is absent. */
char *update_env_regtext(const char *hive, const char *subkey, const char *root_name);

/* Run options for alice over this setting's state folder. */
void update_env_opts(cpuu_run_opts *o, const update_env *u, cpuu_mode mode, int dry_run);
/* A run's return code must be CPUU_OK; otherwise its message is printed. */
void update_env_check(int rc);

#endif
