#include "bucketproxymodel.h"

#include "buckettreemodel.h"

#include <functional>

namespace s3cache {

BucketProxyModel::BucketProxyModel(QObject *parent) : QSortFilterProxyModel(parent)
{
    setSortRole(BucketTreeModel::SortRole);
    setSortCaseSensitivity(Qt::CaseInsensitive);
}

void BucketProxyModel::setBucketModel(BucketTreeModel *model)
{
    m_model = model;
    m_matches.clear();
    // Connected before the proxy's own handlers, so the cache is right when the proxy asks.
    connect(model, &QAbstractItemModel::rowsInserted, this,
            [this](const QModelIndex &parent) { forgetPath(m_model->node(parent)); });
    connect(model, &QAbstractItemModel::rowsAboutToBeRemoved, this, [this](const QModelIndex &parent, int first, int last) {
        const BucketNode *p = m_model->node(parent);
        for (int row = first; row <= last; ++row)
            forgetSubtree(p->children[size_t(row)].get());
        forgetPath(p);
    });
    connect(model, &QAbstractItemModel::modelAboutToBeReset, this, [this] { m_matches.clear(); });
    setSourceModel(model);
}

void BucketProxyModel::setFilterText(const QString &text)
{
    if (text == m_filter)
        return;
    m_filter = text;
    m_matches.clear();
    invalidateFilter();
}

void BucketProxyModel::forgetPath(const BucketNode *node)
{
    for (; node; node = node->parent)
        m_matches.remove(node);
}

void BucketProxyModel::forgetSubtree(const BucketNode *node)
{
    if (node->isObject)
        return;
    m_matches.remove(node);
    for (const auto &child : node->children)
        forgetSubtree(child.get());
}

bool BucketProxyModel::matches(const BucketNode *node) const
{
    if (node->path.contains(m_filter, Qt::CaseInsensitive))
        return true;  // below a matching folder every key matches too
    if (node->isObject)
        return false;
    const auto cached = m_matches.constFind(node);
    if (cached != m_matches.constEnd())
        return *cached;
    bool any = false;
    for (const auto &child : node->children) {
        if (matches(child.get())) {
            any = true;
            break;
        }
    }
    m_matches.insert(node, any);
    return any;
}

bool BucketProxyModel::accepts(const BucketNode *node) const
{
    return m_filter.isEmpty() || matches(node);
}

BucketProxyModel::Totals BucketProxyModel::matchingTotals() const
{
    Totals totals;
    if (!m_model)
        return totals;
    const std::function<void(const BucketNode *)> add = [&](const BucketNode *node) {
        if (m_filter.isEmpty() || node->path.contains(m_filter, Qt::CaseInsensitive)) {
            totals.objects += node->objects;
            totals.bytes += node->bytes;
            return;
        }
        if (node->isObject)
            return;
        for (const auto &child : node->children)
            add(child.get());
    };
    const BucketNode *root = m_model->summary().root();
    if (m_filter.isEmpty()) {
        totals = {root->objects, root->bytes};
        return totals;
    }
    for (const auto &child : root->children)
        add(child.get());
    return totals;
}

bool BucketProxyModel::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    if (m_filter.isEmpty() || !m_model)
        return true;
    const BucketNode *parent = m_model->node(sourceParent);
    if (sourceRow < 0 || size_t(sourceRow) >= parent->children.size())
        return false;
    return matches(parent->children[size_t(sourceRow)].get());
}

bool BucketProxyModel::lessThan(const QModelIndex &left, const QModelIndex &right) const
{
    const bool leftObject = left.data(BucketTreeModel::IsObjectRole).toBool();
    const bool rightObject = right.data(BucketTreeModel::IsObjectRole).toBool();
    if (leftObject != rightObject)
        return sortOrder() == Qt::AscendingOrder ? rightObject : leftObject;
    return QSortFilterProxyModel::lessThan(left, right);
}

} // namespace s3cache
