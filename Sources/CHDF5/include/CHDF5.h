// The part of libhdf5 that Swift reaches, loaded on first use.
//
// libhdf5 and the libraries it pulls in (curl, TLS, Kerberos, ...) took 11 ms to load at the
// start of every mnconvert command, most of which never read an HDF5 file. So nothing links
// against it: `mn_h5_load` opens it with dlopen the first time a Keras file is read, and each
// function Swift calls is reached through `mn_` + its HDF5 name, with HDF5's own prototype.
//
// HDF5's type ids and property-list classes are macros over global variables behind a
// library-initialising call (`H5T_NATIVE_FLOAT` is `(H5OPEN H5T_NATIVE_FLOAT_g)`); each one the
// Swift wrapper needs has a getter here, valid after `mn_h5_load` succeeded.
#ifndef MNCONVERT_CHDF5_H
#define MNCONVERT_CHDF5_H

#include <hdf5/serial/hdf5.h>

/// Loads libhdf5 (once; later calls return the first answer): 1 when it and every function
/// below were found, 0 otherwise. Also turns off HDF5's printing of error stacks: failures
/// reach Swift as negative statuses and become typed errors there.
int mn_h5_load(void);

/// The library's file name, for error messages.
const char *mn_h5_library_name(void);

/// `H5F_ACC_RDONLY`: open a file read-only.
unsigned mn_h5f_acc_rdonly(void);
/// `H5P_FILE_ACCESS`: the property-list class of file-access lists.
hid_t mn_h5p_file_access(void);
/// `H5T_NATIVE_FLOAT`: the memory type of a C `float`.
hid_t mn_h5t_native_float(void);
/// `H5T_NATIVE_DOUBLE`: the memory type of a C `double`.
hid_t mn_h5t_native_double(void);
/// `H5T_NATIVE_LLONG`: the memory type of a C `long long` (64-bit integers).
hid_t mn_h5t_native_int64(void);
/// `H5T_C_S1`: a one-byte C string type, the base of every string memory type.
hid_t mn_h5t_c_s1(void);
/// `H5T_VARIABLE`: the size that makes a string type variable-length.
static inline size_t mn_h5t_variable(void) { return H5T_VARIABLE; }
/// `H5S_ALL`: the whole dataspace, for reads of complete datasets.
static inline hid_t mn_h5s_all(void) { return H5S_ALL; }

// The functions, each with the prototype of the HDF5 function it forwards to.
#define MN_H5_FUNCTIONS(X) \
    X(herr_t, H5open, (void), ()) \
    X(herr_t, H5Eset_auto2, (hid_t a, H5E_auto2_t b, void *c), (a, b, c)) \
    X(htri_t, H5Fis_hdf5, (const char *a), (a)) \
    X(hid_t, H5Fopen, (const char *a, unsigned b, hid_t c), (a, b, c)) \
    X(herr_t, H5Fget_filesize, (hid_t a, hsize_t *b), (a, b)) \
    X(herr_t, H5Fclose, (hid_t a), (a)) \
    X(htri_t, H5Lexists, (hid_t a, const char *b, hid_t c), (a, b, c)) \
    X(ssize_t, H5Lget_name_by_idx, (hid_t a, const char *b, H5_index_t c, H5_iter_order_t d, hsize_t e, char *f, size_t g, hid_t h), (a, b, c, d, e, f, g, h)) \
    X(htri_t, H5Oexists_by_name, (hid_t a, const char *b, hid_t c), (a, b, c)) \
    X(hid_t, H5Oopen, (hid_t a, const char *b, hid_t c), (a, b, c)) \
    X(herr_t, H5Oclose, (hid_t a), (a)) \
    X(herr_t, H5Gget_info, (hid_t a, H5G_info_t *b), (a, b)) \
    X(hid_t, H5Dopen2, (hid_t a, const char *b, hid_t c), (a, b, c)) \
    X(hid_t, H5Dget_type, (hid_t a), (a)) \
    X(hid_t, H5Dget_space, (hid_t a), (a)) \
    X(herr_t, H5Dread, (hid_t a, hid_t b, hid_t c, hid_t d, hid_t e, void *f), (a, b, c, d, e, f)) \
    X(herr_t, H5Dvlen_reclaim, (hid_t a, hid_t b, hid_t c, void *d), (a, b, c, d)) \
    X(herr_t, H5Dclose, (hid_t a), (a)) \
    X(htri_t, H5Aexists, (hid_t a, const char *b), (a, b)) \
    X(hid_t, H5Aopen_by_name, (hid_t a, const char *b, const char *c, hid_t d, hid_t e), (a, b, c, d, e)) \
    X(hid_t, H5Aget_type, (hid_t a), (a)) \
    X(hid_t, H5Aget_space, (hid_t a), (a)) \
    X(herr_t, H5Aread, (hid_t a, hid_t b, void *c), (a, b, c)) \
    X(herr_t, H5Aclose, (hid_t a), (a)) \
    X(int, H5Sget_simple_extent_ndims, (hid_t a), (a)) \
    X(int, H5Sget_simple_extent_dims, (hid_t a, hsize_t *b, hsize_t *c), (a, b, c)) \
    X(herr_t, H5Sclose, (hid_t a), (a)) \
    X(H5T_class_t, H5Tget_class, (hid_t a), (a)) \
    X(size_t, H5Tget_size, (hid_t a), (a)) \
    X(htri_t, H5Tis_variable_str, (hid_t a), (a)) \
    X(H5T_cset_t, H5Tget_cset, (hid_t a), (a)) \
    X(H5T_str_t, H5Tget_strpad, (hid_t a), (a)) \
    X(hid_t, H5Tcopy, (hid_t a), (a)) \
    X(herr_t, H5Tset_size, (hid_t a, size_t b), (a, b)) \
    X(herr_t, H5Tset_cset, (hid_t a, H5T_cset_t b), (a, b)) \
    X(herr_t, H5Tset_strpad, (hid_t a, H5T_str_t b), (a, b)) \
    X(herr_t, H5Tclose, (hid_t a), (a))

#define MN_H5_DECLARE(type, name, parameters, arguments) type mn_##name parameters;
MN_H5_FUNCTIONS(MN_H5_DECLARE)
#undef MN_H5_DECLARE

#endif
