#ifndef NSD_UNESCAPE_H
#define NSD_UNESCAPE_H
#include <stddef.h>

/* Decodes %HH in the NUL-terminated `text` in place, except control characters (%00-%1F,
 * %7F): those stay escaped, so no NUL can cut a path or a query value short
 * ("/sandboxes/ID%00junk" must not mean ID), and no newline reaches the access log.
 * Returns the length of the result. */
size_t nsd_unescape_printable(char *text);

#endif
