// SHA-256 from the system's libcrypto (OpenSSL 3), loaded on first use
// (../LazyLink/lazy_link.h); sha.h is read with the used functions renamed, as in
// CArchive/shim.h.
//
// The SHA256_* functions, not EVP: they run the same CPU-dispatched code (SHA-NI,
// AVX2), but EVP's first digest loads openssl.cnf and fetches a provider, 1.2 ms
// of every run that reads a manifest from the store, for a 0.01 ms hash.
// OpenSSL 3 deprecates them; it keeps them.
#include "../LazyLink/lazy_link.h"

#define hermit_libcrypto "libcrypto.so.3"

#define OPENSSL_SUPPRESS_DEPRECATED
#define SHA256_Init hermit_unused_SHA256_Init
#define SHA256_Update hermit_unused_SHA256_Update
#define SHA256_Final hermit_unused_SHA256_Final
#include <openssl/sha.h>
#undef SHA256_Init
#undef SHA256_Update
#undef SHA256_Final

HERMIT_LAZY(hermit_libcrypto, int, SHA256_Init, (SHA256_CTX *a0), (a0))
HERMIT_LAZY(hermit_libcrypto, int, SHA256_Update, (SHA256_CTX *a0, const void *a1, size_t a2),
            (a0, a1, a2))
HERMIT_LAZY(hermit_libcrypto, int, SHA256_Final, (unsigned char *a0, SHA256_CTX *a1), (a0, a1))
