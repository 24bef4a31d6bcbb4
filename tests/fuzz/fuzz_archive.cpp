// The archive reader and the safe extractor on arbitrary bytes (any codec, any format): no
// crash, no sanitizer report, and nothing written outside the workspace. Each input is
// extracted into a fresh workspace beside an "outside" directory that must stay empty.
#include "fuzzcommon.h"

#include "archive/archivereader.h"
#include "archive/safeextractor.h"

#include <QBuffer>
#include <QDir>
#include <QTemporaryDir>

#include <cstdlib>

using namespace s3cache;

namespace {

class Source : public QIODevice
{
public:
    explicit Source(QByteArray data) : m_data(std::move(data)) { open(QIODevice::ReadOnly | QIODevice::Unbuffered); }
    bool isSequential() const override { return true; }

protected:
    qint64 readData(char *out, qint64 max) override
    {
        const qint64 n = std::min<qint64>({max, 4093, m_data.size() - m_pos});
        memcpy(out, m_data.constData() + m_pos, size_t(n));
        m_pos += n;
        return n;
    }
    qint64 writeData(const char *, qint64) override { return -1; }

private:
    QByteArray m_data;
    qint64 m_pos = 0;
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz::quietLogs();
    static QTemporaryDir root;
    if (!root.isValid())
        abort();
    const QString ws = root.path() + QStringLiteral("/ws");
    const QString outside = root.path() + QStringLiteral("/outside");
    QDir(ws).removeRecursively();
    QDir().mkpath(ws);
    QDir().mkpath(outside);

    const QByteArray input = fuzz::bytes(data, size);
    {
        Source source(input);
        int entries = 0;
        (void)listArchive(&source, [&](const ArchiveEntryInfo &) { return ++entries < 10000; });
    }
    {
        Source source(input);
        ExtractOptions options;
        options.maxTotalBytes = 64 * 1024 * 1024;
        options.maxEntries = 10000;
        (void)SafeExtractor(options).extract(&source, ws);
    }
    const QStringList besides = QDir(root.path()).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot | QDir::System);
    if (besides != QStringList({QStringLiteral("outside"), QStringLiteral("ws")}))
        abort();  // something was written next to the workspace
    if (!QDir(outside).isEmpty(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot | QDir::System))
        abort();
    return 0;
}
