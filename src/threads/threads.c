/* threads.c -- thread-count policy (see threads.h). */
#include <errno.h>
#include <stdlib.h>

#include "threads/threads.h"

convnd_status cnd_threads_default(int *threads, convnd_error *err) {
    const char *env = getenv("CONVND_NUM_THREADS");
    if (env && *env) {
        char *end = NULL;
        errno = 0;
        long v = strtol(env, &end, 10);
        if (errno || *end || v < 1 || v > CONVND_MAX_THREADS)
            return cnd_fail(err, CONVND_EINVAL, "CONVND_NUM_THREADS=%s is not an integer in 1..%d", env,
                            CONVND_MAX_THREADS);
        *threads = (int)v;
        return CONVND_OK;
    }
#if defined(_OPENMP)
    int n = omp_get_max_threads();
    *threads = n < 1 ? 1 : n > CONVND_MAX_THREADS ? CONVND_MAX_THREADS : n;
#else
    *threads = 1;
#endif
    return CONVND_OK;
}

int cnd_threads_available(void) {
#if defined(_OPENMP)
    return 1;
#else
    return 0;
#endif
}
