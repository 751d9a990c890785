#ifndef NSD_CNAMESPACE_H
#define NSD_CNAMESPACE_H
#include "nsfs.h"
#include "ns_spawn.h"
#include "nsd_sys.h"
#endif
