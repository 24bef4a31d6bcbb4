#include "archiveformat.h"

#include <QStringList>

namespace s3cache {

namespace {

using namespace Qt::StringLiterals;

struct FormatInfo
{
    ArchiveFormat format;
    QString name;
    QStringList extensions;  // the first is the canonical one
    int lowestLevel;         // compression_level range; lowestLevel > highestLevel: none
    int highestLevel;
};

const QList<FormatInfo> &formats()
{
    static const QList<FormatInfo> table{
        {ArchiveFormat::TarZstd, u"tar.zst"_s, {u".tar.zst"_s, u".tzst"_s}, 1, 19},
        {ArchiveFormat::TarGzip, u"tar.gz"_s, {u".tar.gz"_s, u".tgz"_s}, -1, 9},
        {ArchiveFormat::Tar, u"tar"_s, {u".tar"_s}, 0, -1},
        {ArchiveFormat::Zip, u"zip"_s, {u".zip"_s}, -1, 9},  // zip's deflate
        {ArchiveFormat::Dedup, u"dedup"_s, {u".dedup"_s}, 1, 19},  // zstd, chunk by chunk
    };
    return table;
}

const FormatInfo &info(ArchiveFormat format)
{
    for (const FormatInfo &f : formats()) {
        if (f.format == format)
            return f;
    }
    return formats().constFirst();
}

} // namespace

std::optional<ArchiveFormat> archiveFormatForFilename(const QString &filename)
{
    for (const FormatInfo &f : formats()) {
        for (const QString &extension : f.extensions) {
            if (filename.endsWith(extension, Qt::CaseInsensitive))
                return f.format;
        }
    }
    return std::nullopt;
}

QString archiveExtensions()
{
    QStringList out;
    for (const FormatInfo &f : formats())
        out << f.extensions.join(u'/');
    return out.join(u", "_s);
}

QString archiveFormatName(ArchiveFormat format)
{
    return info(format).name;
}

bool compressionLevelValid(ArchiveFormat format, int level, QString *range)
{
    const FormatInfo &f = info(format);
    if (f.lowestLevel > f.highestLevel) {
        if (range)
            *range = u"none: %1 archives are not compressed"_s.arg(f.name);
        return level == -1;
    }
    if (range)
        *range = u"%1..%2"_s.arg(QString::number(f.lowestLevel), QString::number(f.highestLevel));
    return level == -1 || (level >= f.lowestLevel && level <= f.highestLevel);
}

} // namespace s3cache
