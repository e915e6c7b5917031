#include "CImageCodecs.h"

#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>

static void set_error(char *error, size_t errorSize, const char *text) {
    if (errorSize == 0) return;
    snprintf(error, errorSize, "%s", text);
}

int mn_decode_jpeg(const unsigned char *data, size_t size, unsigned char **pixels, int *width, int *height,
                   char *error, size_t errorSize) {
    *pixels = NULL;
    tjhandle handle = tjInitDecompress();
    if (!handle) {
        set_error(error, errorSize, "cannot start the JPEG decoder");
        return 1;
    }
    int w = 0, h = 0, subsampling = 0, colorspace = 0;
    if (size > (size_t)0xFFFFFFFFu || tjDecompressHeader3(handle, data, (unsigned long)size, &w, &h, &subsampling, &colorspace) != 0) {
        set_error(error, errorSize, tjGetErrorStr2(handle));
        tjDestroy(handle);
        return 1;
    }
    if (w <= 0 || h <= 0 || (long long)w * h > MN_IMAGE_MAX_PIXELS) {
        set_error(error, errorSize, "the image is empty or larger than 2^28 pixels");
        tjDestroy(handle);
        return 1;
    }
    unsigned char *out = malloc((size_t)w * h * 3);
    if (!out) {
        set_error(error, errorSize, "out of memory");
        tjDestroy(handle);
        return 1;
    }
    // The library's default: accurate integer DCT and smooth chroma upsampling (what most
    // decoders, PIL's among them, produce).
    if (tjDecompress2(handle, data, (unsigned long)size, out, w, 0, h, TJPF_RGB, 0) != 0) {
        set_error(error, errorSize, tjGetErrorStr2(handle));
        free(out);
        tjDestroy(handle);
        return 1;
    }
    tjDestroy(handle);
    *pixels = out;
    *width = w;
    *height = h;
    return 0;
}

int mn_decode_png(const unsigned char *data, size_t size, unsigned char **pixels, int *width, int *height,
                  char *error, size_t errorSize) {
    *pixels = NULL;
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&image, data, size)) {
        set_error(error, errorSize, image.message);
        return 1;
    }
    if (image.width == 0 || image.height == 0 || (unsigned long long)image.width * image.height > MN_IMAGE_MAX_PIXELS) {
        png_image_free(&image);
        set_error(error, errorSize, "the image is empty or larger than 2^28 pixels");
        return 1;
    }
    // RGBA, then the alpha dropped: compositing onto a background would change the colours.
    image.format = PNG_FORMAT_RGBA;
    size_t count = (size_t)image.width * image.height;
    unsigned char *rgba = malloc(count * 4);
    if (!rgba) {
        png_image_free(&image);
        set_error(error, errorSize, "out of memory");
        return 1;
    }
    if (!png_image_finish_read(&image, NULL, rgba, 0, NULL)) {
        set_error(error, errorSize, image.message);
        free(rgba);
        png_image_free(&image);
        return 1;
    }
    for (size_t i = 0; i < count; i++) {
        rgba[3 * i] = rgba[4 * i];
        rgba[3 * i + 1] = rgba[4 * i + 1];
        rgba[3 * i + 2] = rgba[4 * i + 2];
    }
    *pixels = realloc(rgba, count * 3) ?: rgba;
    *width = (int)image.width;
    *height = (int)image.height;
    return 0;
}

void mn_image_free(unsigned char *pixels) { free(pixels); }
