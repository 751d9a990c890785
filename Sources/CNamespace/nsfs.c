// The nsfs ioctls are variadic ioctl() calls, which Swift cannot make.
#include "nsfs.h"

#include <errno.h>
#include <linux/nsfs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

static int inode_of_related(int fd, unsigned long request, uint64_t *inode)
{
    int related = ioctl(fd, request);
    if (related < 0)
        return -1;
    struct stat st;
    int rc = fstat(related, &st);
    int saved = errno;
    close(related);
    if (rc < 0) {
        errno = saved;
        return -1;
    }
    *inode = (uint64_t)st.st_ino;
    return 0;
}

int nsd_ns_owner_inode(int fd, uint64_t *inode) { return inode_of_related(fd, NS_GET_USERNS, inode); }

int nsd_ns_parent_inode(int fd, uint64_t *inode) { return inode_of_related(fd, NS_GET_PARENT, inode); }

int nsd_ns_type(int fd) { return ioctl(fd, NS_GET_NSTYPE); }
