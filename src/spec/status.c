/* status.c -- status texts, error reporting, version. */
#include <stdarg.h>
#include <stdio.h>

#include "internal.h"

const char *convnd_version(void) { return CONVND_VERSION_STRING; }

const char *convnd_strerror(convnd_status code) {
    switch (code) {
    case CONVND_OK: return "success";
    case CONVND_EINVAL: return "invalid argument";
    case CONVND_EGEOMETRY: return "invalid geometry";
    case CONVND_EOVERFLOW: return "size overflow";
    case CONVND_EUNSUPPORTED: return "unsupported";
    case CONVND_ENOMEM: return "out of memory";
    }
    return "unknown status code";
}

convnd_status cnd_fail(convnd_error *err, convnd_status code, const char *fmt, ...) {
    if (err) {
        va_list ap;
        err->code = code;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

convnd_status cnd_ok(convnd_error *err) {
    if (err) {
        err->code = CONVND_OK;
        err->msg[0] = '\0';
    }
    return CONVND_OK;
}

const char *cnd_mode_text(convnd_padding_mode m) {
    switch (m) {
    case CONVND_PAD_ZEROS: return "zeros";
    case CONVND_PAD_REFLECT: return "reflect";
    case CONVND_PAD_REPLICATE: return "replicate";
    case CONVND_PAD_CIRCULAR: return "circular";
    }
    return "unknown";
}
