/* Subkey lookups of the hive backend, remembered. hivex finds a child by
 * converting every sibling's name (iconv) until one matches; profile work
 * opens the same few paths again and again, so (parent, name) -> node is
 * kept here. Key deletion (the backend's generation) and commit empty it;
 * additions need nothing, as a miss simply looks again. ASCII names only. */
#include "registry/hive.h"

#include <stdlib.h>
#include <string.h>

/* Names asked here are ASCII (hive.c): the hash only folds case. */
static uint64_t hash(uint64_t parent, const char *name, size_t len)
{
	uint64_t h;
	(void)cpuu_reg_hash_ascii(&h, parent + 1, name, len);
	return h;
}

void hive_cache_clear(hive_cache *c)
{
	for (size_t i = 0; i < c->cap; i++)
		free(c->slots[i].name); /* stored lives in the same allocation */
	free(c->slots);
	memset(c, 0, sizeof *c);
}

static hive_cache_slot *find(hive_cache *c, uint64_t parent, const char *name, uint64_t h)
{
	size_t mask = c->cap - 1;
	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
		hive_cache_slot *s = &c->slots[i];
		if (!s->name || (s->hash == h && s->parent == parent && !cpuu_strcasecmp_ascii(s->name, name)))
			return s;
	}
}

int hive_cache_get(hive_cache *c, uint64_t generation, uint64_t parent, const char *name, uint64_t *node,
		   const char **stored)
{
	if (c->generation != generation)
		hive_cache_clear(c);
	c->generation = generation;
	if (!c->cap)
		return 0;
	hive_cache_slot *s = find(c, parent, name, hash(parent, name, strlen(name)));
	if (!s->name)
		return 0;
	*node = s->node;
	*stored = s->stored;
	return 1;
}

void hive_cache_put(hive_cache *c, uint64_t generation, uint64_t parent, const char *name, uint64_t node,
		    const char *stored)
{
	if (c->generation != generation)
		hive_cache_clear(c);
	c->generation = generation;
	if ((c->count + 1) * 2 > c->cap) {
		/* Grow (or start: a profile run asks for a few hundred) and re-insert;
		 * a failed allocation just means no caching. */
		size_t cap = c->cap ? c->cap * 2 : 256;
		hive_cache_slot *slots = calloc(cap, sizeof *slots);
		if (!slots)
			return;
		hive_cache old = *c;
		c->slots = slots;
		c->cap = cap;
		c->count = 0;
		for (size_t i = 0; i < old.cap; i++)
			if (old.slots[i].name) {
				hive_cache_slot *s = find(c, old.slots[i].parent, old.slots[i].name, old.slots[i].hash);
				*s = old.slots[i];
				c->count++;
			}
		free(old.slots);
	}
	size_t ln = strlen(name), ls = strlen(stored);
	uint64_t h = hash(parent, name, ln);
	hive_cache_slot *s = find(c, parent, name, h);
	if (s->name)
		return;
	if (!(s->name = malloc(ln + 1 + ls + 1)))
		return;
	memcpy(s->name, name, ln + 1);
	s->stored = s->name + ln + 1;
	memcpy(s->stored, stored, ls + 1);
	s->parent = parent;
	s->node = node;
	s->hash = h;
	c->count++;
}
