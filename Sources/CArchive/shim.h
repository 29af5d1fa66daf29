// libarchive for tar, gzip and zstd, and zlib for strict gzip layers, loaded on
// first use (../LazyLink/lazy_link.h).
//
// archive.h is read with the used functions renamed, so that its declarations do
// not clash with the wrappers of the same names defined below; a function not
// listed here is not available (the module links nothing).
#include "../LazyLink/lazy_link.h"

#define hermit_libarchive "libarchive.so.13"

#define archive_entry_filetype hermit_unused_archive_entry_filetype
#define archive_entry_free hermit_unused_archive_entry_free
#define archive_entry_hardlink hermit_unused_archive_entry_hardlink
#define archive_entry_new hermit_unused_archive_entry_new
#define archive_entry_pathname_utf8 hermit_unused_archive_entry_pathname_utf8
#define archive_entry_perm hermit_unused_archive_entry_perm
#define archive_entry_set_filetype hermit_unused_archive_entry_set_filetype
#define archive_entry_set_gid hermit_unused_archive_entry_set_gid
#define archive_entry_set_mtime hermit_unused_archive_entry_set_mtime
#define archive_entry_set_pathname hermit_unused_archive_entry_set_pathname
#define archive_entry_set_perm hermit_unused_archive_entry_set_perm
#define archive_entry_set_size hermit_unused_archive_entry_set_size
#define archive_entry_set_uid hermit_unused_archive_entry_set_uid
#define archive_entry_size hermit_unused_archive_entry_size
#define archive_entry_size_is_set hermit_unused_archive_entry_size_is_set
#define archive_entry_sparse_count hermit_unused_archive_entry_sparse_count
#define archive_entry_symlink hermit_unused_archive_entry_symlink
#define archive_error_string hermit_unused_archive_error_string
#define archive_filter_code hermit_unused_archive_filter_code
#define archive_filter_count hermit_unused_archive_filter_count
#define archive_read_data hermit_unused_archive_read_data
#define archive_read_free hermit_unused_archive_read_free
#define archive_read_new hermit_unused_archive_read_new
#define archive_read_next_header hermit_unused_archive_read_next_header
#define archive_read_open hermit_unused_archive_read_open
#define archive_read_open_filename hermit_unused_archive_read_open_filename
#define archive_read_open_memory hermit_unused_archive_read_open_memory
#define archive_read_support_filter_gzip hermit_unused_archive_read_support_filter_gzip
#define archive_read_support_filter_none hermit_unused_archive_read_support_filter_none
#define archive_read_support_filter_zstd hermit_unused_archive_read_support_filter_zstd
#define archive_read_support_format_raw hermit_unused_archive_read_support_format_raw
#define archive_read_support_format_tar hermit_unused_archive_read_support_format_tar
#define archive_write_add_filter_gzip hermit_unused_archive_write_add_filter_gzip
#define archive_write_close hermit_unused_archive_write_close
#define archive_write_data hermit_unused_archive_write_data
#define archive_write_free hermit_unused_archive_write_free
#define archive_write_header hermit_unused_archive_write_header
#define archive_write_new hermit_unused_archive_write_new
#define archive_write_open2 hermit_unused_archive_write_open2
#define archive_write_open_fd hermit_unused_archive_write_open_fd
#define archive_write_set_bytes_in_last_block hermit_unused_archive_write_set_bytes_in_last_block
#define archive_write_set_format_ustar hermit_unused_archive_write_set_format_ustar
#define archive_write_set_options hermit_unused_archive_write_set_options
#include <archive.h>
#include <archive_entry.h>
#undef archive_entry_filetype
#undef archive_entry_free
#undef archive_entry_hardlink
#undef archive_entry_new
#undef archive_entry_pathname_utf8
#undef archive_entry_perm
#undef archive_entry_set_filetype
#undef archive_entry_set_gid
#undef archive_entry_set_mtime
#undef archive_entry_set_pathname
#undef archive_entry_set_perm
#undef archive_entry_set_size
#undef archive_entry_set_uid
#undef archive_entry_size
#undef archive_entry_size_is_set
#undef archive_entry_sparse_count
#undef archive_entry_symlink
#undef archive_error_string
#undef archive_filter_code
#undef archive_filter_count
#undef archive_read_data
#undef archive_read_free
#undef archive_read_new
#undef archive_read_next_header
#undef archive_read_open
#undef archive_read_open_filename
#undef archive_read_open_memory
#undef archive_read_support_filter_gzip
#undef archive_read_support_filter_none
#undef archive_read_support_filter_zstd
#undef archive_read_support_format_raw
#undef archive_read_support_format_tar
#undef archive_write_add_filter_gzip
#undef archive_write_close
#undef archive_write_data
#undef archive_write_free
#undef archive_write_header
#undef archive_write_new
#undef archive_write_open2
#undef archive_write_open_fd
#undef archive_write_set_bytes_in_last_block
#undef archive_write_set_format_ustar
#undef archive_write_set_options

HERMIT_LAZY(hermit_libarchive, __LA_MODE_T, archive_entry_filetype, (struct archive_entry *a0), (a0))
HERMIT_LAZY_VOID(hermit_libarchive, archive_entry_free, (struct archive_entry *a0), (a0))
HERMIT_LAZY(hermit_libarchive, const char *, archive_entry_hardlink, (struct archive_entry *a0), (a0))
HERMIT_LAZY(hermit_libarchive, struct archive_entry *, archive_entry_new, (void), ())
HERMIT_LAZY(hermit_libarchive, const char *, archive_entry_pathname_utf8, (struct archive_entry *a0), (a0))
HERMIT_LAZY(hermit_libarchive, __LA_MODE_T, archive_entry_perm, (struct archive_entry *a0), (a0))
HERMIT_LAZY_VOID(hermit_libarchive, archive_entry_set_filetype, (struct archive_entry *a0, unsigned int a1), (a0, a1))
HERMIT_LAZY_VOID(hermit_libarchive, archive_entry_set_gid, (struct archive_entry *a0, la_int64_t a1), (a0, a1))
HERMIT_LAZY_VOID(hermit_libarchive, archive_entry_set_mtime, (struct archive_entry *a0, time_t a1, long a2), (a0, a1, a2))
HERMIT_LAZY_VOID(hermit_libarchive, archive_entry_set_pathname, (struct archive_entry *a0, const char *a1), (a0, a1))
HERMIT_LAZY_VOID(hermit_libarchive, archive_entry_set_perm, (struct archive_entry *a0, __LA_MODE_T a1), (a0, a1))
HERMIT_LAZY_VOID(hermit_libarchive, archive_entry_set_size, (struct archive_entry *a0, la_int64_t a1), (a0, a1))
HERMIT_LAZY_VOID(hermit_libarchive, archive_entry_set_uid, (struct archive_entry *a0, la_int64_t a1), (a0, a1))
HERMIT_LAZY(hermit_libarchive, la_int64_t, archive_entry_size, (struct archive_entry *a0), (a0))
HERMIT_LAZY(hermit_libarchive, int, archive_entry_size_is_set, (struct archive_entry *a0), (a0))
HERMIT_LAZY(hermit_libarchive, int, archive_entry_sparse_count, (struct archive_entry *a0), (a0))
HERMIT_LAZY(hermit_libarchive, const char *, archive_entry_symlink, (struct archive_entry *a0), (a0))
HERMIT_LAZY(hermit_libarchive, const char *, archive_error_string, (struct archive *a0), (a0))
HERMIT_LAZY(hermit_libarchive, int, archive_filter_code, (struct archive *a0, int a1), (a0, a1))
HERMIT_LAZY(hermit_libarchive, int, archive_filter_count, (struct archive *a0), (a0))
HERMIT_LAZY(hermit_libarchive, la_ssize_t, archive_read_data, (struct archive *a0, void *a1, size_t a2), (a0, a1, a2))
HERMIT_LAZY(hermit_libarchive, int, archive_read_free, (struct archive *a0), (a0))
HERMIT_LAZY(hermit_libarchive, struct archive *, archive_read_new, (void), ())
HERMIT_LAZY(hermit_libarchive, int, archive_read_next_header, (struct archive *a0, struct archive_entry **a1), (a0, a1))
HERMIT_LAZY(hermit_libarchive, int, archive_read_open, (struct archive *a0, void *a1, archive_open_callback *a2, archive_read_callback *a3, archive_close_callback *a4), (a0, a1, a2, a3, a4))
HERMIT_LAZY(hermit_libarchive, int, archive_read_open_filename, (struct archive *a0, const char *a1, size_t a2), (a0, a1, a2))
HERMIT_LAZY(hermit_libarchive, int, archive_read_open_memory, (struct archive *a0, const void *a1, size_t a2), (a0, a1, a2))
HERMIT_LAZY(hermit_libarchive, int, archive_read_support_filter_gzip, (struct archive *a0), (a0))
HERMIT_LAZY(hermit_libarchive, int, archive_read_support_filter_none, (struct archive *a0), (a0))
HERMIT_LAZY(hermit_libarchive, int, archive_read_support_filter_zstd, (struct archive *a0), (a0))
HERMIT_LAZY(hermit_libarchive, int, archive_read_support_format_raw, (struct archive *a0), (a0))
HERMIT_LAZY(hermit_libarchive, int, archive_read_support_format_tar, (struct archive *a0), (a0))
HERMIT_LAZY(hermit_libarchive, int, archive_write_add_filter_gzip, (struct archive *a0), (a0))
HERMIT_LAZY(hermit_libarchive, int, archive_write_close, (struct archive *a0), (a0))
HERMIT_LAZY(hermit_libarchive, la_ssize_t, archive_write_data, (struct archive *a0, const void *a1, size_t a2), (a0, a1, a2))
HERMIT_LAZY(hermit_libarchive, int, archive_write_free, (struct archive *a0), (a0))
HERMIT_LAZY(hermit_libarchive, int, archive_write_header, (struct archive *a0, struct archive_entry *a1), (a0, a1))
HERMIT_LAZY(hermit_libarchive, struct archive *, archive_write_new, (void), ())
HERMIT_LAZY(hermit_libarchive, int, archive_write_open2, (struct archive *a0, void *a1, archive_open_callback *a2, archive_write_callback *a3, archive_close_callback *a4, archive_free_callback *a5), (a0, a1, a2, a3, a4, a5))
HERMIT_LAZY(hermit_libarchive, int, archive_write_open_fd, (struct archive *a0, int a1), (a0, a1))
HERMIT_LAZY(hermit_libarchive, int, archive_write_set_bytes_in_last_block, (struct archive *a0, int a1), (a0, a1))
HERMIT_LAZY(hermit_libarchive, int, archive_write_set_format_ustar, (struct archive *a0), (a0))
HERMIT_LAZY(hermit_libarchive, int, archive_write_set_options, (struct archive *a0, const char *a1), (a0, a1))

// zlib's inflate for gzip layers: libarchive's gzip filter checks neither the CRC
// nor the length in a member's trailer, ignores bytes after the last member and
// strips nested compression, where a layer must be exactly one gzip stream.
#define hermit_libz "libz.so.1"

#define inflate hermit_unused_inflate
#define inflateEnd hermit_unused_inflateEnd
#define inflateInit2_ hermit_unused_inflateInit2_
#define inflateReset hermit_unused_inflateReset
#include <zlib.h>
#undef inflate
#undef inflateEnd
#undef inflateInit2_
#undef inflateReset

HERMIT_LAZY(hermit_libz, int, inflate, (z_streamp a0, int a1), (a0, a1))
HERMIT_LAZY(hermit_libz, int, inflateEnd, (z_streamp a0), (a0))
HERMIT_LAZY(hermit_libz, int, inflateInit2_, (z_streamp a0, int a1, const char *a2, int a3), (a0, a1, a2, a3))
HERMIT_LAZY(hermit_libz, int, inflateReset, (z_streamp a0), (a0))

/// inflateInit2 for one gzip member (window bits 15, +16 for the gzip wrapper, whose
/// header CRC, data CRC-32 and length zlib then checks); a macro in zlib.h.
static inline int hermit_inflate_init_gzip(z_streamp stream) {
  return inflateInit2_(stream, 15 + 16, ZLIB_VERSION, (int)sizeof(z_stream));
}
