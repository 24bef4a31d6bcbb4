#pragma once
// ArchiveEntryModel: the entries of an archive as InspectJob streamed them (type, mode, size,
// modification time, path and link target), as a table.

#include "archive/archivereader.h"

#include <QAbstractTableModel>

namespace s3cache {

class ArchiveEntryModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { PathColumn, SizeColumn, TypeColumn, ModeColumn, ModifiedColumn, ColumnCount };
    static constexpr int SortRole = Qt::UserRole + 1;

    using QAbstractTableModel::QAbstractTableModel;

    void setEntries(QList<ArchiveEntryInfo> entries);
    const QList<ArchiveEntryInfo> &entries() const { return m_entries; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QList<ArchiveEntryInfo> m_entries;
};

} // namespace s3cache
