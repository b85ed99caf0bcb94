/* Whole key paths, remembered. Profile work opens the same deep paths
 * (Software\Microsoft\Office\16.0\Outlook\Profiles\<name>\<section>) again
 * and again; walking them one component at a time costs a lookup, a copy of
 * the stored name and a join per level. Here a path from the root (ASCII,
 * compared without case) maps to its node and its names as stored. Emptied
 * when the backend's generation moves (key deletion) and on commit. */
#include "registry/internal.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

void cpuu_reg_path_cache_clear(cpuu_reg_path_cache *c)
{
	for (size_t i = 0; i < c->cap; i++) {
		free(c->slots[i].path);
		free(c->slots[i].name);
	}
	free(c->slots);
	memset(c, 0, sizeof *c);
}

static cpuu_reg_path_slot *find(cpuu_reg_path_cache *c, const char *path, uint64_t h)
{
	size_t mask = c->cap - 1;
	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
		cpuu_reg_path_slot *s = &c->slots[i];
		if (!s->path || (s->hash == h && !cpuu_strcasecmp_ascii(s->path, path)))
			return s;
	}
}

/* cpuu_hash_str_fold of an ASCII path, with the ASCII test in the same
 * pass (every cached key open asks): false for a path that is not ASCII. */
static bool hash_ascii(uint64_t *h, const char *path)
{
	uint64_t v = CPUU_HASH_INIT;
	unsigned char high = 0;
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		high |= *p;
		v = cpuu_hash_byte(v, *p >= 'A' && *p <= 'Z' ? (unsigned char)(*p + 32) : *p);
	}
	*h = v;
	return high < 0x80;
}

const cpuu_reg_path_slot *cpuu_reg_path_cache_get(cpuu_reg_path_cache *c, uint64_t generation, const char *path)
{
	if (c->generation != generation)
		cpuu_reg_path_cache_clear(c);
	c->generation = generation;
	uint64_t h;
	if (!c->cap || !hash_ascii(&h, path))
		return NULL;
	cpuu_reg_path_slot *s = find(c, path, h);
	return s->path ? s : NULL;
}

void cpuu_reg_path_cache_put(cpuu_reg_path_cache *c, uint64_t generation, const char *path, const char *name,
			     cpuu_reg_node node)
{
	if (c->generation != generation)
		cpuu_reg_path_cache_clear(c);
	c->generation = generation;
	uint64_t h;
	if (!*path || !hash_ascii(&h, path))
		return;
	if ((c->count + 1) * 2 > c->cap) {
		/* Grow (or start) and re-insert; without memory there is just no caching. */
		size_t cap = c->cap ? c->cap * 2 : 64;
		cpuu_reg_path_slot *slots = calloc(cap, sizeof *slots);
		if (!slots)
			return;
		cpuu_reg_path_cache old = *c;
		c->slots = slots;
		c->cap = cap;
		for (size_t i = 0; i < old.cap; i++)
			if (old.slots[i].path)
				*find(c, old.slots[i].path, old.slots[i].hash) = old.slots[i];
		free(old.slots);
	}
	cpuu_reg_path_slot *s = find(c, path, h);
	if (s->path)
		return;
	s->path = cpuu_strdup(path);
	s->name = cpuu_strdup(name);
	if (!s->path || !s->name) {
		free(s->path);
		free(s->name);
		s->path = s->name = NULL;
		return;
	}
	s->hash = h;
	s->node = node;
	c->count++;
}
