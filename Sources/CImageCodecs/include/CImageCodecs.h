// JPEG and PNG decoding for `mnconvert run --image`, through libjpeg-turbo's TurboJPEG API and
// libpng's simplified API. Each decoder takes the file's bytes and gives 8-bit RGB pixels, row by
// row, three bytes a pixel, in memory the caller frees with mn_image_free.
#ifndef MNCONVERT_CIMAGECODECS_H
#define MNCONVERT_CIMAGECODECS_H

#include <stddef.h>

/// The largest image decoded, in pixels (a corrupt header must not make us allocate gigabytes).
#define MN_IMAGE_MAX_PIXELS (1 << 28)

/// Decodes a JPEG. Returns 0 and sets `*pixels`, `*width`, `*height`; or returns non-zero and
/// writes what went wrong into `error` (at most `errorSize` bytes, NUL-terminated).
int mn_decode_jpeg(const unsigned char *data, size_t size, unsigned char **pixels, int *width, int *height,
                   char *error, size_t errorSize);

/// Decodes a PNG (any bit depth or colour type; an alpha channel is dropped, 16-bit samples are
/// reduced to 8). Same contract as mn_decode_jpeg.
int mn_decode_png(const unsigned char *data, size_t size, unsigned char **pixels, int *width, int *height,
                  char *error, size_t errorSize);

void mn_image_free(unsigned char *pixels);

#endif
