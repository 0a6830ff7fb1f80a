/* Private declarations shared by the program layer's sources. */
#ifndef TSR_PROGRAM_INTERNAL_H
#define TSR_PROGRAM_INTERNAL_H

#include <stddef.h>

#include "tessera/program.h"

/* tsr_program_finish, telling which operation an error is about: *bad_op
 * gets its insertion index (the order of the tsr_program_append calls, before
 * sorting), or SIZE_MAX when the error names no operation. The reader turns
 * it into the operation's line. */
tsr_status tsr__program_finish(tsr_program *p, size_t *bad_op, tsr_error *err);

#endif
