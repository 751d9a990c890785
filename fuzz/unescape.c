/* The URL unescaper of libmicrohttpd's requests (Sources/CHTTPShim/unescape.c), against a
 * decoder written the obvious way: same result, never longer than its input, and no control
 * character that was not already in the input (no NUL cuts a value short, no newline reaches
 * the log). */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "unescape.h"

static int is_control(unsigned char c) { return c < 0x20 || c == 0x7f; }

static size_t reference(const char *in, char *out)
{
    size_t n = 0;
    while (*in) {
        if (in[0] == '%' && isxdigit((unsigned char)in[1]) && isxdigit((unsigned char)in[2])) {
            char hex[3] = { in[1], in[2], 0 };
            unsigned char value = (unsigned char)strtoul(hex, NULL, 16);
            if (!is_control(value)) {
                out[n++] = (char)value;
                in += 3;
                continue;
            }
        }
        out[n++] = *in++;
    }
    out[n] = 0;
    return n;
}

static size_t controls(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += is_control((unsigned char)*s);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1), *expected = malloc(size + 1);
    if (!text || !expected)
        abort();
    memcpy(text, data, size);
    text[size] = 0;
    size_t before = strlen(text), controls_before = controls(text);
    size_t expected_length = reference(text, expected);

    size_t length = nsd_unescape_printable(text);
    if (length > before || length != strlen(text) || controls(text) != controls_before)
        abort();
    if (length != expected_length || memcmp(text, expected, length + 1) != 0)
        abort();
    free(text);
    free(expected);
    return 0;
}
