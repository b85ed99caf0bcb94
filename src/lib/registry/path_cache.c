/* Whole key paths, remembered. Profile work opens the same deep paths
 * (Software\Microsoft\Office\16.0\Outlook\Profiles\<name>\<section>) again
 * and again; walking them one component at a time costs a lookup, a copy of
 * the stored name and a join per level. Here a path from the root (ASCII,
 * compared without case) maps to its node and its names as stored. Emptied
 * when the backend's generation moves (key deletion) and on commit. */
#include "registry/internal.h"

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

const cpuu_reg_path_slot *cpuu_reg_path_cache_get(cpuu_reg_path_cache *c, uint64_t generation, const char *path)
{
	if (c->generation != generation)
		cpuu_reg_path_cache_clear(c);
	c->generation = generation;
	if (!c->cap || !cpuu_reg_is_ascii(path))
		return NULL;
	cpuu_reg_path_slot *s = find(c, path, cpuu_hash_str_fold(CPUU_HASH_INIT, path));
	return s->path ? s : NULL;
}

void cpuu_reg_path_cache_put(cpuu_reg_path_cache *c, uint64_t generation, const char *path, const char *name,
			     cpuu_reg_node node)
{
	if (c->generation != generation)
		cpuu_reg_path_cache_clear(c);
	c->generation = generation;
	if (!*path || !cpuu_reg_is_ascii(path))
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
	uint64_t h = cpuu_hash_str_fold(CPUU_HASH_INIT, path);
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
