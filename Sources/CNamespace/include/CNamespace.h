#ifndef NSD_CNAMESPACE_H
#define NSD_CNAMESPACE_H
#include "nsfs.h"
#endif
