// SHA-256 from the system's libcrypto (OpenSSL 3), loaded on first use
// (../LazyLink/lazy_link.h); evp.h is read with the used functions renamed, as in
// CArchive/shim.h.
#include "../LazyLink/lazy_link.h"

#define hermit_libcrypto "libcrypto.so.3"

#define EVP_sha256 hermit_unused_EVP_sha256
#define EVP_MD_CTX_new hermit_unused_EVP_MD_CTX_new
#define EVP_MD_CTX_free hermit_unused_EVP_MD_CTX_free
#define EVP_DigestInit_ex hermit_unused_EVP_DigestInit_ex
#define EVP_DigestUpdate hermit_unused_EVP_DigestUpdate
#define EVP_DigestFinal_ex hermit_unused_EVP_DigestFinal_ex
#include <openssl/evp.h>
#undef EVP_sha256
#undef EVP_MD_CTX_new
#undef EVP_MD_CTX_free
#undef EVP_DigestInit_ex
#undef EVP_DigestUpdate
#undef EVP_DigestFinal_ex

HERMIT_LAZY(hermit_libcrypto, const EVP_MD *, EVP_sha256, (void), ())
HERMIT_LAZY(hermit_libcrypto, EVP_MD_CTX *, EVP_MD_CTX_new, (void), ())
HERMIT_LAZY_VOID(hermit_libcrypto, EVP_MD_CTX_free, (EVP_MD_CTX *a0), (a0))
HERMIT_LAZY(hermit_libcrypto, int, EVP_DigestInit_ex, (EVP_MD_CTX *a0, const EVP_MD *a1, ENGINE *a2),
            (a0, a1, a2))
HERMIT_LAZY(hermit_libcrypto, int, EVP_DigestUpdate, (EVP_MD_CTX *a0, const void *a1, size_t a2),
            (a0, a1, a2))
HERMIT_LAZY(hermit_libcrypto, int, EVP_DigestFinal_ex,
            (EVP_MD_CTX *a0, unsigned char *a1, unsigned int *a2), (a0, a1, a2))
