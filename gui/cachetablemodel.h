#pragma once
// CacheTableModel: the flat Caches view, one row per cache object (key, repository, branch,
// size, written, last used, age), over the same BucketTreeModel as the tree, so both show the
// same listing. Rows follow the tree's changes one by one (objects added, updated, removed), so
// a selection survives a refresh.

#include <QAbstractTableModel>
#include <QHash>

namespace s3cache {

class BucketTreeModel;
struct BucketNode;

class CacheTableModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { KeyColumn, RepositoryColumn, BranchColumn, SizeColumn, WrittenColumn, LastUsedColumn, AgeColumn, ColumnCount };

    explicit CacheTableModel(BucketTreeModel *tree, QObject *parent = nullptr);

    const BucketNode *node(const QModelIndex &index) const;
    // Whether any key has a branch folder (the view hides the Branch column otherwise).
    bool hasBranches() const { return m_branches > 0; }
    QModelIndex indexOf(const BucketNode *node) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    void addUnder(const BucketNode *node);
    void collect(const BucketNode *node, QList<const BucketNode *> &objects) const;
    void rebuild();

    BucketTreeModel *m_tree;
    QList<const BucketNode *> m_rows;
    QHash<const BucketNode *, int> m_rowOf;
    int m_branches = 0;  // rows whose key has a branch
};

} // namespace s3cache
