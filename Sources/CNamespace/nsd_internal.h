/*
 * nsd_internal.h — private to the shim (not exported to Swift): the step
 * names and reports, and the protocol with the spawner process
 * (Sources/nsd-init), both from the NSDWire target the two share.
 */
#ifndef NSD_INTERNAL_H
#define NSD_INTERNAL_H

#include <stdint.h>
#include <sys/types.h>

#include "include/ns_spawn.h"
#include "nsd_steps.h"
#include "nsd_wire.h"

#define NSD_ALL_NS                                                                                      \
    ((uint64_t)(NSD_CLONE_NEWTIME | NSD_CLONE_NEWNS | NSD_CLONE_NEWCGROUP | NSD_CLONE_NEWUTS |          \
                NSD_CLONE_NEWIPC | NSD_CLONE_NEWUSER | NSD_CLONE_NEWPID | NSD_CLONE_NEWNET))

#endif /* NSD_INTERNAL_H */
