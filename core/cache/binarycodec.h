#pragma once
// The little-endian fixed-width encoding of s3cache's binary documents (internal to the cache
// layer): the dedup format's manifests, index segments and condemned lists (dedupformat.h) and
// the workspace's dedup stream map (streammap.h). Each starts with a magic line; a reader that
// runs past the end or finds another magic is !ok() from then on and returns zeros.

#include <QByteArray>
#include <QByteArrayView>
#include <QtEndian>

namespace s3cache {

class BinaryWriter
{
public:
    explicit BinaryWriter(QByteArrayView magic) : m_out(magic.toByteArray()) {}
    void u8(quint8 v) { append(v); }
    void u32(quint32 v) { append(qToLittleEndian(v)); }
    void u64(quint64 v) { append(qToLittleEndian(v)); }
    void bytes(QByteArrayView b) { m_out += b; }
    QByteArray take() { return std::move(m_out); }

private:
    template<typename T> void append(T v) { m_out.append(reinterpret_cast<const char *>(&v), sizeof v); }
    QByteArray m_out;
};

class BinaryReader
{
public:
    BinaryReader(const QByteArray &bytes, QByteArrayView magic) : m_data(bytes), m_ok(bytes.startsWith(magic)), m_pos(magic.size()) {}
    bool ok() const { return m_ok; }
    qsizetype left() const { return m_data.size() - m_pos; }
    quint8 u8() { return read<quint8>(); }
    quint32 u32() { return read<quint32>(); }
    quint64 u64() { return read<quint64>(); }
    QByteArray bytes(qsizetype n)
    {
        if (!m_ok || left() < n) {
            m_ok = false;
            return {};
        }
        QByteArray b = m_data.mid(m_pos, n);
        m_pos += n;
        return b;
    }

private:
    template<typename T> T read()
    {
        if (!m_ok || left() < qsizetype(sizeof(T))) {
            m_ok = false;
            return 0;
        }
        T v = qFromLittleEndian<T>(m_data.constData() + m_pos);
        m_pos += sizeof(T);
        return v;
    }
    const QByteArray &m_data;
    bool m_ok;
    qsizetype m_pos;
};

} // namespace s3cache
