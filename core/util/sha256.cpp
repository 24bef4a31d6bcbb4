#include "sha256.h"

#include <openssl/evp.h>

namespace s3cache {

struct Sha256::Context
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    ~Context() { EVP_MD_CTX_free(ctx); }
};

Sha256::Sha256() : m_context(std::make_unique<Context>())
{
    if (!m_context->ctx || EVP_DigestInit_ex(m_context->ctx, EVP_sha256(), nullptr) != 1)
        qFatal("libcrypto cannot start a SHA-256 digest");
}

Sha256::~Sha256() = default;

void Sha256::addData(QByteArrayView data)
{
    EVP_DigestUpdate(m_context->ctx, data.data(), size_t(data.size()));
}

QByteArray Sha256::hexResult()
{
    return result().toHex();
}

QByteArray Sha256::result()
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(m_context->ctx, digest, &length);
    return QByteArray(reinterpret_cast<const char *>(digest), int(length));
}

QByteArray Sha256::hex(QByteArrayView data)
{
    Sha256 hash;
    hash.addData(data);
    return hash.hexResult();
}

QByteArray Sha256::raw(QByteArrayView data)
{
    Sha256 hash;
    hash.addData(data);
    return hash.result();
}

} // namespace s3cache
