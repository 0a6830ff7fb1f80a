/* Internal hooks of the event engine, for its own tests only. */
#ifndef TSR_EVENT_INTERNAL_H
#define TSR_EVENT_INTERNAL_H

#include <stddef.h>

#include "tessera/event.h"

/* Number of entries in the queue, cancelled ones not yet discarded included. */
size_t tsr_engine_test_queue_size(const tsr_engine *engine);

#endif
