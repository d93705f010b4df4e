/*
 * libFuzzer target: the tag=value list parser (RFC 6376 §3.2).  Checks
 * that every tag found lies inside the input and that names are unique.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/tagvalue.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tag_list tl;
	const char *why;
	size_t i, j;

	if (tag_list_parse(data, size, &tl, &why) != VOUCH_OK)
		return 0;
	for (i = 0; i < tl.ntags; i++) {
		const struct tag *t = &tl.tag[i];

		if (t->name < data || t->name + t->namelen > data + size ||
		    t->value < data || t->value + t->valuelen > data + size ||
		    t->namelen == 0)
			abort();
		for (j = 0; j < i; j++)
			if (tl.tag[j].namelen == t->namelen &&
			    memcmp(tl.tag[j].name, t->name, t->namelen) == 0)
				abort();
	}
	return 0;
}
