#include "filehash.h"

#include "filematch.h"

#include "util/sha256.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

namespace s3cache {

using namespace Qt::StringLiterals;

namespace {

Result<QByteArray> sha256OfFile(const QString &path, const QString &shown)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return keyFilesError(u"cannot read '%1': %2"_s.arg(shown, file.errorString()));
    Sha256 hash;
    QByteArray buffer(1 << 20, Qt::Uninitialized);
    for (;;) {
        const qint64 n = file.read(buffer.data(), buffer.size());
        if (n < 0)
            return keyFilesError(u"cannot read '%1': %2"_s.arg(shown, file.errorString()));
        if (n == 0)
            break;
        hash.addData(QByteArrayView(buffer.constData(), n));
    }
    return hash.hexResult();
}

} // namespace

Result<QString> fileChecksum(const QString &workspace, const QString &path)
{
    const QString root = canonicalWorkspace(workspace);
    if (root.isEmpty())
        return keyFilesError(u"the workspace %1 does not exist"_s.arg(workspace));
    if (path.isEmpty())
        return keyFilesError(u"no file name given"_s);
    if (QDir::isAbsolutePath(path))
        return keyFilesError(u"'%1' is not relative to the workspace %2"_s.arg(path, workspace));
    const QFileInfo info(QDir(workspace).filePath(path));
    if (!info.exists())
        return keyFilesError(u"'%1' does not exist in the workspace %2"_s.arg(path, workspace));
    const QString target = info.canonicalFilePath();
    if (!isInside(target, root))
        return keyFilesError(u"'%1' is outside the workspace %2"_s.arg(path, workspace));
    if (!QFileInfo(target).isFile())
        return keyFilesError(u"'%1' is not a file"_s.arg(path));
    const Result<QByteArray> hash = sha256OfFile(target, path);
    if (!hash.ok())
        return hash.error();
    return QString::fromLatin1(*hash);
}

Result<QString> hashFiles(const QString &workspace, const QStringList &patterns, const QStringList &mounts)
{
    const Result<QStringList> files = matchFiles(workspace, patterns, mounts);
    if (!files.ok())
        return files.error();
    if (files->isEmpty()) {
        QStringList shown;
        for (const QString &p : patterns)
            shown << u'"' + p + u'"';
        return keyFilesError(u"no file in the workspace %1 matches %2"_s.arg(workspace, shown.join(u" "_s)));
    }
    Sha256 total;
    const QDir dir(workspace);
    for (const QString &file : *files) {
        const Result<QByteArray> hash = sha256OfFile(dir.filePath(file), file);
        if (!hash.ok())
            return hash.error();
        total.addData(*hash + "  " + file.toUtf8() + "\n");
    }
    return QString::fromLatin1(total.hexResult());
}

} // namespace s3cache
