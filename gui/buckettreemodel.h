#pragma once
// BucketTreeModel: a Qt item model over BucketSummary (folders by key segment, objects as
// leaves), fed page by page while a listing runs. Display strings are formatted here; every
// number comes from the summary. Rows older than the age threshold are highlighted: an object
// by its own age, a folder when it holds at least one such object.

#include "cache/bucketsummary.h"
#include "config/parameters.h"

#include <QAbstractItemModel>
#include <QDateTime>
#include <QIcon>

namespace s3cache {

class BucketTreeModel : public QAbstractItemModel, private BucketObserver
{
    Q_OBJECT
public:
    enum Column { NameColumn, SizeColumn, ObjectsColumn, ModifiedColumn, AgeColumn, LastUsedColumn, ColumnCount };
    enum Role {
        SortRole = Qt::UserRole + 1,  // numbers for the numeric columns, the name otherwise
        PathRole,                     // object key, or folder prefix with its trailing '/'
        IsObjectRole,
        ExpiredRole,                  // older than the threshold (a folder: holds such an object)
    };

    explicit BucketTreeModel(QObject *parent = nullptr);
    ~BucketTreeModel() override;

    const BucketSummary &summary() const { return m_summary; }
    const BucketNode *node(const QModelIndex &index) const;
    QModelIndex indexOf(const BucketNode *node, int column = 0) const;

    void addObjects(const QList<ObjectInfo> &objects);
    void removeObjects(const QStringList &keys);
    void clear();

    // The reference time for ages (the listing's start) and the highlight threshold.
    void setNow(const QDateTime &now);
    QDateTime now() const { return m_now; }
    void setAgeThreshold(qint64 seconds);
    qint64 ageThreshold() const { return m_threshold; }
    bool isExpired(const BucketNode *node) const;

    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override;
    QModelIndex parent(const QModelIndex &child) const override;
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

signals:
    // Bucket totals changed (a page arrived, objects were removed, the model was cleared).
    void totalsChanged();

private:
    void beginInsert(const BucketNode *parent, int first, int last) override;
    void endInsert() override;
    void beginRemove(const BucketNode *parent, int first, int last) override;
    void endRemove() override;
    void changed(const BucketNode *node) override;
    void beginReset() override;
    void endReset() override;
    void emitAllChanged(const BucketNode *parent);

    BucketSummary m_summary;
    QDateTime m_now;
    qint64 m_threshold = defaultFlushAgeSeconds();
    QIcon m_folderIcon;
    QIcon m_objectIcon;
};

} // namespace s3cache
