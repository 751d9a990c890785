#define _GNU_SOURCE
#include "nsd_sys.h"

#include <fcntl.h>
#include <unistd.h>

int nsd_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }
