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
	for (size_t i = 0; i < c->cap; i++)
		free(c->slots[i].path); /* the name lives inside the path */
	free(c->slots);
	memset(c, 0, sizeof *c);
}

static cpuu_reg_path_slot *find(cpuu_reg_path_cache *c, const char *path, size_t len, uint64_t h)
{
	size_t mask = c->cap - 1;
	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
		cpuu_reg_path_slot *s = &c->slots[i];
		if (!s->path)
			return s;
		/* Callers mostly ask with the case as stored: bytes first. */
		if (s->hash == h && s->len == len &&
		    (!memcmp(s->path, path, len) || !cpuu_strcasecmp_ascii(s->path, path)))
			return s;
	}
}

/* Eight ASCII bytes with A-Z folded to a-z at once: a byte gets 0x20 when
 * its low seven bits are >= 'A' and <= 'Z' and its top bit is clear. */
static uint64_t fold8(uint64_t x)
{
	const uint64_t ones7 = 0x7F7F7F7F7F7F7F7Full, high = 0x8080808080808080ull;
	uint64_t low = x & ones7;
	uint64_t ge_a = low + 0x3F3F3F3F3F3F3F3Full; /* top bit set from 'A' (0x41) up */
	uint64_t gt_z = low + 0x2525252525252525ull; /* top bit set above 'Z' (0x5A) */
	return x | ((ge_a & ~gt_z & ~x & high) >> 2);
}

static uint64_t mix(uint64_t h)
{
	h ^= h >> 32;
	h *= 0xD6E8FEB86659FD93ull;
	h ^= h >> 32;
	return h;
}

bool cpuu_reg_hash_ascii(uint64_t *h, uint64_t seed, const char *path, size_t len)
{
	uint64_t v = (0x9E3779B97F4A7C15ull ^ len) + seed * 0xFF51AFD7ED558CCDull, any = 0, w;
	size_t i = 0;
	for (; i + 8 <= len; i += 8) {
		memcpy(&w, path + i, 8);
		any |= w;
		v = (v ^ fold8(w)) * 0x100000001B3ull;
		v ^= v >> 29;
	}
	if (i < len) {
		w = 0;
		memcpy(&w, path + i, len - i);
		any |= w;
		v = (v ^ fold8(w)) * 0x100000001B3ull;
	}
	*h = mix(v);
	return !(any & 0x8080808080808080ull);
}

const cpuu_reg_path_slot *cpuu_reg_path_cache_get(cpuu_reg_path_cache *c, uint64_t generation, const char *path,
						  size_t len)
{
	if (c->generation != generation)
		cpuu_reg_path_cache_clear(c);
	c->generation = generation;
	uint64_t h;
	if (!c->cap || !cpuu_reg_hash_ascii(&h, 0, path, len))
		return NULL;
	cpuu_reg_path_slot *s = find(c, path, len, h);
	return s->path ? s : NULL;
}

void cpuu_reg_path_cache_put(cpuu_reg_path_cache *c, uint64_t generation, const char *path, size_t len,
			     size_t name_at, cpuu_reg_node node)
{
	if (c->generation != generation)
		cpuu_reg_path_cache_clear(c);
	c->generation = generation;
	uint64_t h;
	if (!len || name_at > len || !cpuu_reg_hash_ascii(&h, 0, path, len))
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
				*find(c, old.slots[i].path, old.slots[i].len, old.slots[i].hash) = old.slots[i];
		free(old.slots);
	}
	cpuu_reg_path_slot *s = find(c, path, len, h);
	if (s->path)
		return;
	if (!(s->path = cpuu_strndup(path, len)))
		return;
	s->len = len;
	s->name_at = name_at;
	s->hash = h;
	s->node = node;
	c->count++;
}
