#pragma once
// BucketProxyModel: sorting and filtering of the bucket tree. Folders sort before objects in
// either order; numeric columns sort by value. The filter matches the full key, case-
// insensitively; a folder stays visible while anything below it matches.
//
// Qt's own recursive filtering re-scans a folder's whole subtree on every change below it,
// which makes a filtered listing of 100,000 objects take minutes. Here the answer "does
// anything below match" is kept per folder and only the folders on the path of a change are
// recomputed; the source model reports every such folder as changed, so the proxy re-asks.

#include <QHash>
#include <QSortFilterProxyModel>

namespace s3cache {

class BucketTreeModel;
struct BucketNode;

class BucketProxyModel : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    explicit BucketProxyModel(QObject *parent = nullptr);

    void setBucketModel(BucketTreeModel *model);
    void setFilterText(const QString &text);
    QString filterText() const { return m_filter; }
    // The objects the filter lets through (all of them without a filter), and their bytes.
    struct Totals
    {
        qint64 objects = 0;
        qint64 bytes = 0;
    };
    Totals matchingTotals() const;
    // Whether the object or folder matches the filter itself or holds a match.
    bool accepts(const BucketNode *node) const;

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;
    bool lessThan(const QModelIndex &left, const QModelIndex &right) const override;

private:
    bool matches(const BucketNode *node) const;
    void forgetPath(const BucketNode *node);  // a node and its ancestors changed below
    void forgetSubtree(const BucketNode *node);

    BucketTreeModel *m_model = nullptr;
    QString m_filter;
    mutable QHash<const BucketNode *, bool> m_matches;  // folders only
};

} // namespace s3cache
