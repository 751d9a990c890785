#ifndef NSD_CNAMESPACE_H
#define NSD_CNAMESPACE_H
#include "nsfs.h"
#include "ns_spawn.h"
#endif
