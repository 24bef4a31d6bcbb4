#include "archiveentrymodel.h"

#include "format.h"

#include "archive/fsname.h"


namespace s3cache {

namespace {

QString typeName(TreeEntry::Type type)
{
    switch (type) {
    case TreeEntry::Directory: return QStringLiteral("dir");
    case TreeEntry::Symlink: return QStringLiteral("link");
    case TreeEntry::Hardlink: return QStringLiteral("hardlink");
    case TreeEntry::File: break;
    }
    return QStringLiteral("file");
}

} // namespace

void ArchiveEntryModel::setEntries(QList<ArchiveEntryInfo> entries)
{
    beginResetModel();
    m_entries = std::move(entries);
    endResetModel();
}

int ArchiveEntryModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_entries.size());
}

int ArchiveEntryModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ArchiveEntryModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_entries.size())
        return {};
    const ArchiveEntryInfo &e = m_entries.at(index.row());
    const QDateTime modified = QDateTime::fromSecsSinceEpoch(e.mtime, Qt::UTC);
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case TypeColumn: return typeName(e.type);
        case ModeColumn: return QStringLiteral("%1").arg(e.mode & 07777, 4, 8, QLatin1Char('0'));
        case SizeColumn: return e.type == TreeEntry::File ? Format::bytes(e.size) : QString();
        case ModifiedColumn: return Format::dateTime(modified);
        case PathColumn: {
            const QString path = fsNameForDisplay(e.path);  // bytes that are not UTF-8 as \xNN
            return e.linkTarget.isEmpty() ? path : path + QStringLiteral(" \u2192 ") + fsNameForDisplay(e.linkTarget);
        }
        }
    } else if (role == SortRole) {
        switch (index.column()) {
        case TypeColumn: return typeName(e.type);
        case ModeColumn: return int(e.mode & 07777);
        case SizeColumn: return qint64(e.size);
        case ModifiedColumn: return qint64(e.mtime);
        case PathColumn: return e.path;
        }
    } else if (role == Qt::TextAlignmentRole && index.column() == SizeColumn) {
        return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    }
    return {};
}

QVariant ArchiveEntryModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case TypeColumn: return tr("Type");
    case ModeColumn: return tr("Mode");
    case SizeColumn: return tr("Size");
    case ModifiedColumn: return tr("Modified");
    case PathColumn: return tr("Path");
    }
    return {};
}

} // namespace s3cache
