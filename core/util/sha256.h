#pragma once
// SHA-256 through OpenSSL's libcrypto: Qt 6.4's QCryptographicHash runs at ~90 MB/s here,
// libcrypto at >1 GB/s (payload hashes of every uploaded byte, tree fingerprints, key checksums).

#include <QByteArray>
#include <QByteArrayView>

#include <memory>

namespace s3cache {

class Sha256
{
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256 &) = delete;
    Sha256 &operator=(const Sha256 &) = delete;

    void addData(QByteArrayView data);
    // The digest in lower-case hex; ends the hash (call once).
    QByteArray hexResult();
    // The 32 bytes of the digest; ends the hash (call once).
    QByteArray result();

    static QByteArray hex(QByteArrayView data);
    static QByteArray raw(QByteArrayView data);

private:
    struct Context;
    std::unique_ptr<Context> m_context;
};

} // namespace s3cache
