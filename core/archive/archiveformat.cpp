#include "archiveformat.h"

namespace s3cache {

std::optional<ArchiveFormat> archiveFormatForFilename(const QString &filename)
{
    const QString name = filename.toLower();
    if (name.endsWith(u".tar.zst") || name.endsWith(u".tzst"))
        return ArchiveFormat::TarZstd;
    if (name.endsWith(u".tar.gz") || name.endsWith(u".tgz"))
        return ArchiveFormat::TarGzip;
    if (name.endsWith(u".tar"))
        return ArchiveFormat::Tar;
    if (name.endsWith(u".zip"))
        return ArchiveFormat::Zip;
    return std::nullopt;
}

QString archiveFormatName(ArchiveFormat format)
{
    switch (format) {
    case ArchiveFormat::TarZstd: return QStringLiteral("tar.zst");
    case ArchiveFormat::TarGzip: return QStringLiteral("tar.gz");
    case ArchiveFormat::Tar: return QStringLiteral("tar");
    case ArchiveFormat::Zip: return QStringLiteral("zip");
    }
    return QString();
}

bool compressionLevelValid(ArchiveFormat format, int level, QString *range)
{
    int low = -1;
    int high = 9;  // gzip, and zip's deflate
    switch (format) {
    case ArchiveFormat::TarZstd:
        low = 1;
        high = 19;
        break;
    case ArchiveFormat::Tar:
        if (range)
            *range = QStringLiteral("none: tar archives are not compressed");
        return level == -1;
    case ArchiveFormat::TarGzip:
    case ArchiveFormat::Zip:
        break;
    }
    if (range)
        *range = QStringLiteral("%1..%2").arg(low).arg(high);
    return level == -1 || (level >= low && level <= high);
}

} // namespace s3cache
