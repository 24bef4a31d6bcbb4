#include "downloadjob.h"

#include "dedupreader.h"
#include "objectlookup.h"

#include <QSaveFile>

namespace s3cache {

DownloadJob::DownloadJob(ObjectStore &store, QString key, QString targetFile, QObject *parent)
    : Job(parent), m_store(store), m_key(std::move(key)), m_target(std::move(targetFile))
{
}

Error DownloadJob::run()
{
    const ObjectStorePtr store = m_store.withContext(callContext());
    const Result<ObjectInfo> info = existingObject(*store, m_key);
    if (!info.ok())
        return info.error();
    m_result.object = *info;
    // A dedup cache is saved as the tar stream it holds (the manifest alone restores nothing).
    Result<CacheArchive> source = openArchive(*store, *info);
    if (!source.ok())
        return source.error();
    ObjectStream *stream = source->stream.get();

    auto ioError = [this](const QString &what, const QString &why) {
        return Error(ErrorKind::Io, QStringLiteral("WriteFailed"), QStringLiteral("cannot %1 %2: %3").arg(what, m_target, why));
    };
    QSaveFile file(m_target);
    if (!file.open(QIODevice::WriteOnly))
        return ioError(QStringLiteral("create"), file.errorString());

    const qint64 total = source->manifest ? source->manifest->rawSize : info->size;
    QByteArray buffer(1024 * 1024, Qt::Uninitialized);
    for (;;) {
        if (isCancelled()) {
            file.cancelWriting();
            return cancelledError();
        }
        const qint64 n = stream->read(buffer.data(), buffer.size());
        if (n < 0) {
            file.cancelWriting();
            if (stream->streamError())
                return stream->streamError();
            return Error(ErrorKind::Transient, QStringLiteral("ReadFailed"),
                         QStringLiteral("download of %1 failed: %2").arg(store->uri(m_key), stream->errorString()));
        }
        if (n == 0)
            break;
        if (file.write(buffer.constData(), n) != n) {
            file.cancelWriting();
            return ioError(QStringLiteral("write"), file.errorString());
        }
        m_result.bytes += n;
        reportProgress({JobPhase::Download, m_result.bytes, total});
    }
    if (total >= 0 && m_result.bytes != total) {
        file.cancelWriting();
        return Error(ErrorKind::Transient, QStringLiteral("IncompleteBody"),
                     QStringLiteral("download of %1 ended after %2 of %3 bytes").arg(store->uri(m_key), QString::number(m_result.bytes), QString::number(total)));
    }
    if (!file.commit())
        return ioError(QStringLiteral("save"), file.errorString());
    reportProgress({JobPhase::Download, m_result.bytes, total}, true);
    return {};
}

} // namespace s3cache
