#include "cachetablemodel.h"

#include "buckettreemodel.h"
#include "cache/cachekey.h"
#include "format.h"

#include <algorithm>

namespace s3cache {

CacheTableModel::CacheTableModel(BucketTreeModel *tree, QObject *parent) : QAbstractTableModel(parent), m_tree(tree)
{
    connect(tree, &QAbstractItemModel::rowsInserted, this, [this](const QModelIndex &where, int first, int last) {
        const BucketNode *p = m_tree->node(where);
        for (int row = first; row <= last; ++row)
            addUnder(p->children[size_t(row)].get());
    });
    connect(tree, &QAbstractItemModel::rowsAboutToBeRemoved, this, [this](const QModelIndex &where, int first, int last) {
        const BucketNode *p = m_tree->node(where);
        QList<const BucketNode *> gone;
        for (int row = first; row <= last; ++row)
            collect(p->children[size_t(row)].get(), gone);
        QList<int> rows;
        for (const BucketNode *n : gone)
            rows << m_rowOf.value(n, -1);
        std::sort(rows.begin(), rows.end(), std::greater<>());
        for (int row : rows) {
            if (row < 0)
                continue;
            if (!parseCacheKey(m_rows[row]->path).branch.isEmpty())
                --m_branches;
            beginRemoveRows({}, row, row);
            m_rows.removeAt(row);
            endRemoveRows();
        }
        if (!rows.isEmpty()) {
            m_rowOf.clear();
            for (int i = 0; i < m_rows.size(); ++i)
                m_rowOf.insert(m_rows[i], i);
        }
    });
    connect(tree, &QAbstractItemModel::dataChanged, this, [this](const QModelIndex &topLeft, const QModelIndex &bottomRight) {
        const BucketNode *p = m_tree->node(topLeft.parent());
        for (int row = topLeft.row(); row <= bottomRight.row(); ++row) {
            const BucketNode *n = p->children[size_t(row)].get();
            const auto it = m_rowOf.constFind(n);
            if (it != m_rowOf.constEnd())
                emit dataChanged(index(*it, 0), index(*it, ColumnCount - 1));
        }
    });
    connect(tree, &QAbstractItemModel::modelReset, this, &CacheTableModel::rebuild);
    rebuild();
}

void CacheTableModel::collect(const BucketNode *node, QList<const BucketNode *> &objects) const
{
    if (node->isObject) {
        objects << node;
        return;
    }
    for (const auto &child : node->children)
        collect(child.get(), objects);
}

void CacheTableModel::addUnder(const BucketNode *node)
{
    QList<const BucketNode *> objects;
    collect(node, objects);
    if (objects.isEmpty())
        return;
    beginInsertRows({}, int(m_rows.size()), int(m_rows.size() + objects.size() - 1));
    for (const BucketNode *n : objects) {
        m_rowOf.insert(n, int(m_rows.size()));
        m_rows << n;
        if (!parseCacheKey(n->path).branch.isEmpty())
            ++m_branches;
    }
    endInsertRows();
}

void CacheTableModel::rebuild()
{
    beginResetModel();
    m_rows.clear();
    m_rowOf.clear();
    collect(m_tree->summary().root(), m_rows);
    m_branches = 0;
    for (int i = 0; i < m_rows.size(); ++i) {
        m_rowOf.insert(m_rows[i], i);
        if (!parseCacheKey(m_rows[i]->path).branch.isEmpty())
            ++m_branches;
    }
    endResetModel();
}

const BucketNode *CacheTableModel::node(const QModelIndex &index) const
{
    if (!index.isValid() || index.row() >= m_rows.size())
        return nullptr;
    return m_rows[index.row()];
}

QModelIndex CacheTableModel::indexOf(const BucketNode *node) const
{
    const auto it = m_rowOf.constFind(node);
    return it == m_rowOf.constEnd() ? QModelIndex() : index(*it, 0);
}

int CacheTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int CacheTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant CacheTableModel::data(const QModelIndex &index, int role) const
{
    const BucketNode *n = node(index);
    if (!n)
        return {};
    const qint64 age = BucketSummary::ageSeconds(n->newest, m_tree->now());
    switch (role) {
    case Qt::DisplayRole: {
        switch (index.column()) {
        case KeyColumn: return n->path;
        case RepositoryColumn: return parseCacheKey(n->path).repository();
        case BranchColumn: return parseCacheKey(n->path).branch;
        case SizeColumn: return Format::bytes(n->bytes);
        case WrittenColumn: return Format::dateTime(n->newest);
        case LastUsedColumn: return n->lastUsed.isValid() ? Format::dateTime(n->lastUsed) : tr("never");
        case AgeColumn: return Format::age(age);
        }
        break;
    }
    case BucketTreeModel::SortRole:
        switch (index.column()) {
        case SizeColumn: return n->bytes;
        case WrittenColumn: return n->newest;
        case LastUsedColumn: return n->lastUsed;
        case AgeColumn: return age;
        default: return data(index, Qt::DisplayRole);
        }
    case BucketTreeModel::PathRole: return n->path;
    case BucketTreeModel::IsObjectRole: return true;
    case BucketTreeModel::ExpiredRole: return m_tree->isExpired(n);
    case Qt::TextAlignmentRole:
        if (index.column() == SizeColumn || index.column() == AgeColumn)
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        break;
    case Qt::BackgroundRole:
        return m_tree->data(m_tree->indexOf(n), Qt::BackgroundRole);
    case Qt::ToolTipRole:
        return m_tree->data(m_tree->indexOf(n), Qt::ToolTipRole);
    }
    return {};
}

QVariant CacheTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
        case KeyColumn: return tr("Key");
        case RepositoryColumn: return tr("Repository");
        case BranchColumn: return tr("Branch");
        case SizeColumn: return tr("Size");
        case WrittenColumn: return tr("Written");
        case LastUsedColumn: return tr("Last used");
        case AgeColumn: return tr("Age");
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case RepositoryColumn: return tr("org/repo, from the key (prefix/org/repo/filename)");
        case BranchColumn: return tr("The folder between the repository and the file, when the key has one");
        case LastUsedColumn: return tr("When a restore last used the cache (recorded by s3cache restore)");
        case AgeColumn: return tr("Time since the cache was written");
        }
    }
    return {};
}

} // namespace s3cache
