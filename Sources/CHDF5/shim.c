// CHDF5 is header-only (see include/CHDF5.h); SwiftPM wants one source file per C target, and this
// file is also what carries the link against libhdf5 to every module that imports CHDF5.
#include "CHDF5.h"
