/* The URL unescaper libmicrohttpd calls for paths and query values (see unescape.h); on its own
 * so that the fuzz target can link it without libmicrohttpd. */
#include "unescape.h"

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t nsd_unescape_printable(char *text)
{
    char *out = text;
    for (const char *in = text; *in != '\0'; in++) {
        if (in[0] == '%') {
            int high = hex_value(in[1]);
            int low = high < 0 ? -1 : hex_value(in[2]);
            if (low >= 0) {
                int value = high * 16 + low;
                if (value >= 0x20 && value != 0x7f) {
                    *out++ = (char)value;
                    in += 2;
                    continue;
                }
            }
        }
        *out++ = *in;
    }
    *out = '\0';
    return (size_t)(out - text);
}
