// Umbrella header of the protobuf-c code generated from the schemas in Formats/.
// The two headers it includes are generated (see Formats/regenerate.sh); this one is not.
#ifndef MNCONVERT_CPROTOBUFFORMATS_H
#define MNCONVERT_CPROTOBUFFORMATS_H

#include "onnx.pb-c.h"
#include "graph.pb-c.h"

#endif
