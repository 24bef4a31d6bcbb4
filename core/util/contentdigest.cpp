#include "contentdigest.h"

#include <xxhash.h>

#include <QtGlobal>

#include <cstring>

namespace s3cache {

struct ContentDigest::State
{
    XXH3_state_t *state = XXH3_createState();
    ~State() { XXH3_freeState(state); }
};

ContentDigest::ContentDigest() : m_state(std::make_unique<State>())
{
    if (!m_state->state)
        qFatal("out of memory for an XXH3 state");
    reset();
}

ContentDigest::~ContentDigest() = default;
ContentDigest::ContentDigest(ContentDigest &&) noexcept = default;
ContentDigest &ContentDigest::operator=(ContentDigest &&) noexcept = default;

void ContentDigest::reset()
{
    XXH3_128bits_reset(m_state->state);
}

void ContentDigest::addData(const char *data, qint64 size)
{
    if (size > 0)
        XXH3_128bits_update(m_state->state, data, size_t(size));
}

Digest ContentDigest::digest() const
{
    XXH128_canonical_t canonical;
    XXH128_canonicalFromHash(&canonical, XXH3_128bits_digest(m_state->state));
    static_assert(sizeof canonical.digest == sizeof(Digest));
    Digest d;
    memcpy(d.data(), canonical.digest, d.size());
    return d;
}

QByteArray ContentDigest::hex() const
{
    return digestHex(digest());
}

QByteArray digestHex(const Digest &digest)
{
    return QByteArray(digest.data(), qsizetype(digest.size())).toHex();
}

QByteArray ContentDigest::hex(QByteArrayView data)
{
    return digestHex(digest(data));
}

Digest ContentDigest::digest(QByteArrayView data)
{
    ContentDigest d;
    d.addData(data);
    return d.digest();
}

} // namespace s3cache
