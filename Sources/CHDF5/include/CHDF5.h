// The part of libhdf5 that Swift cannot import directly.
//
// HDF5's type ids and property-list classes are macros that expand to global variables behind a
// library-initialising call (`H5T_NATIVE_FLOAT` is `(H5OPEN H5T_NATIVE_FLOAT_g)`), and its
// versioned API names (`H5Dopen`) are macros too. Swift imports neither, so each constant the
// Swift wrapper needs gets a tiny getter here. Everything else is called directly from Swift.
#ifndef MNCONVERT_CHDF5_H
#define MNCONVERT_CHDF5_H

#include <hdf5/serial/hdf5.h>

/// `H5F_ACC_RDONLY`: open a file read-only.
static inline unsigned mn_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }

/// `H5P_FILE_ACCESS`: the property-list class of file-access lists.
static inline hid_t mn_h5p_file_access(void) { return H5P_FILE_ACCESS; }

/// `H5T_NATIVE_FLOAT`: the memory type of a C `float`.
static inline hid_t mn_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }

/// `H5T_NATIVE_DOUBLE`: the memory type of a C `double`.
static inline hid_t mn_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }

/// `H5T_NATIVE_LLONG`: the memory type of a C `long long` (64-bit integers).
static inline hid_t mn_h5t_native_int64(void) { return H5T_NATIVE_LLONG; }

/// `H5T_C_S1`: a one-byte C string type, the base of every string memory type.
static inline hid_t mn_h5t_c_s1(void) { return H5T_C_S1; }

/// `H5T_VARIABLE`: the size that makes a string type variable-length.
static inline size_t mn_h5t_variable(void) { return H5T_VARIABLE; }

/// `H5E_DEFAULT`: the calling thread's error stack.
static inline hid_t mn_h5e_default(void) { return H5E_DEFAULT; }

/// `H5S_ALL`: the whole dataspace, for reads of complete datasets.
static inline hid_t mn_h5s_all(void) { return H5S_ALL; }

/// Turns off the printing of HDF5's error stack on the calling thread: failures reach Swift as
/// negative statuses and become typed errors there.
static inline void mn_h5_silence_errors(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

#endif
