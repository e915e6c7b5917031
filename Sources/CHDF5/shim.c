// libhdf5, opened on first use (see include/CHDF5.h).
#include "CHDF5.h"

#include <dlfcn.h>
#include <pthread.h>

// The Debian name of the library; the unversioned name comes with libhdf5-dev.
static const char *const names[] = {"libhdf5_serial.so.103", "libhdf5_serial.so", "libhdf5.so"};
static const char *loaded_name = "libhdf5 (libhdf5_serial.so.103, libhdf5_serial.so or libhdf5.so)";
static void *library;
static int ready;
static pthread_once_t once = PTHREAD_ONCE_INIT;

#define MN_H5_POINTER(type, name, parameters, arguments) static type (*p_##name) parameters;
MN_H5_FUNCTIONS(MN_H5_POINTER)

#define MN_H5_FORWARD(type, name, parameters, arguments) \
    type mn_##name parameters { return p_##name arguments; }
MN_H5_FUNCTIONS(MN_H5_FORWARD)

static hid_t native_float, native_double, native_llong, c_s1, file_access;

static int global(const char *name, hid_t *value) {
    const hid_t *address = dlsym(library, name);
    if (address == NULL) return 0;
    *value = *address;
    return 1;
}

static void load(void) {
    for (size_t i = 0; i < sizeof names / sizeof names[0] && library == NULL; i++) {
        library = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
        if (library != NULL) loaded_name = names[i];
    }
    if (library == NULL) return;
#define MN_H5_RESOLVE(type, name, parameters, arguments) \
    if ((p_##name = (type (*) parameters)dlsym(library, #name)) == NULL) return;
    MN_H5_FUNCTIONS(MN_H5_RESOLVE)
    // The type ids exist once the library is initialised.
    if (p_H5open() < 0) return;
    if (!global("H5T_NATIVE_FLOAT_g", &native_float) || !global("H5T_NATIVE_DOUBLE_g", &native_double)
        || !global("H5T_NATIVE_LLONG_g", &native_llong) || !global("H5T_C_S1_g", &c_s1)
        || !global("H5P_CLS_FILE_ACCESS_ID_g", &file_access)) return;
    p_H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    ready = 1;
}

int mn_h5_load(void) {
    pthread_once(&once, load);
    return ready;
}

const char *mn_h5_library_name(void) { return loaded_name; }

unsigned mn_h5f_acc_rdonly(void) { return 0x0000u; }
hid_t mn_h5p_file_access(void) { return file_access; }
hid_t mn_h5t_native_float(void) { return native_float; }
hid_t mn_h5t_native_double(void) { return native_double; }
hid_t mn_h5t_native_int64(void) { return native_llong; }
hid_t mn_h5t_c_s1(void) { return c_s1; }
