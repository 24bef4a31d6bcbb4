#include "buckettreemodel.h"

#include "format.h"

#include <QApplication>
#include <QColor>
#include <QStyle>

namespace s3cache {

BucketTreeModel::BucketTreeModel(QObject *parent)
    : QAbstractItemModel(parent), m_now(QDateTime::currentDateTimeUtc()),
      m_folderIcon(QApplication::style()->standardIcon(QStyle::SP_DirIcon)),
      m_objectIcon(QApplication::style()->standardIcon(QStyle::SP_FileIcon))
{
    m_summary.setObserver(this);
}

BucketTreeModel::~BucketTreeModel()
{
    m_summary.setObserver(nullptr);
}

const BucketNode *BucketTreeModel::node(const QModelIndex &index) const
{
    if (!index.isValid())
        return m_summary.root();
    Q_ASSERT(index.model() == this);
    return static_cast<const BucketNode *>(index.internalPointer());
}

QModelIndex BucketTreeModel::indexOf(const BucketNode *node, int column) const
{
    if (!node || !node->parent)
        return {};
    return createIndex(node->row, column, const_cast<BucketNode *>(node));
}

void BucketTreeModel::addObjects(const QList<ObjectInfo> &objects)
{
    m_summary.addObjects(objects);
    emit totalsChanged();
}

void BucketTreeModel::removeObjects(const QStringList &keys)
{
    m_summary.removeObjects(keys);
    emit totalsChanged();
}

void BucketTreeModel::clear()
{
    m_summary.clear();
    emit totalsChanged();
}

void BucketTreeModel::setNow(const QDateTime &now)
{
    m_now = now;
    emitAllChanged(m_summary.root());
}

void BucketTreeModel::setAgeThreshold(qint64 seconds)
{
    if (seconds == m_threshold)
        return;
    m_threshold = seconds;
    emitAllChanged(m_summary.root());
}

bool BucketTreeModel::isExpired(const BucketNode *node) const
{
    const qint64 age = BucketSummary::ageSeconds(node->oldest, m_now);
    return age > m_threshold;
}

QModelIndex BucketTreeModel::index(int row, int column, const QModelIndex &parent) const
{
    const BucketNode *p = node(parent);
    if (row < 0 || column < 0 || column >= ColumnCount || size_t(row) >= p->children.size())
        return {};
    return createIndex(row, column, p->children[size_t(row)].get());
}

QModelIndex BucketTreeModel::parent(const QModelIndex &child) const
{
    if (!child.isValid())
        return {};
    return indexOf(node(child)->parent);
}

int BucketTreeModel::rowCount(const QModelIndex &parent) const
{
    if (parent.isValid() && parent.column() != 0)
        return 0;
    return int(node(parent)->children.size());
}

int BucketTreeModel::columnCount(const QModelIndex &) const
{
    return ColumnCount;
}

QVariant BucketTreeModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid())
        return {};
    const BucketNode *n = node(index);
    // The age beside the date: of the newest object for a folder, as its "Last modified" is;
    // the shading marks a folder that holds older objects (the tooltip says how old).
    const qint64 age = BucketSummary::ageSeconds(n->isObject ? n->oldest : n->newest, m_now);
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case NameColumn: return n->name.isEmpty() ? tr("(empty)") : n->name;
        case SizeColumn: return Format::bytes(n->bytes);
        case ObjectsColumn: return n->isObject ? QString() : Format::count(n->objects);
        case ModifiedColumn: return Format::dateTime(n->newest);
        case AgeColumn: return Format::age(age);
        case LastUsedColumn: return n->lastUsed.isValid() ? Format::dateTime(n->lastUsed) : tr("never");
        }
        break;
    case SortRole:
        switch (index.column()) {
        case NameColumn: return n->name;
        case SizeColumn: return n->bytes;
        case ObjectsColumn: return n->objects;
        case ModifiedColumn: return n->newest;
        case AgeColumn: return age;
        case LastUsedColumn: return n->lastUsed;
        }
        break;
    case PathRole: return n->path;
    case IsObjectRole: return n->isObject;
    case ExpiredRole: return isExpired(n);
    case Qt::TextAlignmentRole:
        if (index.column() == SizeColumn || index.column() == ObjectsColumn || index.column() == AgeColumn)
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        break;
    case Qt::DecorationRole:
        if (index.column() == NameColumn)
            return n->isObject ? m_objectIcon : m_folderIcon;
        break;
    case Qt::BackgroundRole:
        if (isExpired(n))
            return QColor(255, 140, 0, 60);  // translucent amber: readable on light and dark bases
        break;
    case Qt::ToolTipRole: {
        QString tip = n->path;
        if (n->isObject)
            tip += tr("\n%1, modified %2 (%3)").arg(Format::bytes(n->bytes), Format::dateTime(n->newest), Format::ago(age))
                   + (n->lastUsed.isValid() ? tr("\nlast used %1").arg(Format::dateTime(n->lastUsed)) : tr("\nnever used"));
        else
            tip += tr("\n%n object(s), %1; newest written %2, oldest %3", nullptr, int(n->objects))
                       .arg(Format::bytes(n->bytes), Format::ago(age), Format::ago(BucketSummary::ageSeconds(n->oldest, m_now)));
        if (isExpired(n))
            tip += n->isObject ? tr("\nOlder than the age threshold (%1)").arg(Format::age(m_threshold))
                               : tr("\nHolds objects older than the age threshold (%1)").arg(Format::age(m_threshold));
        return tip;
    }
    case Qt::AccessibleTextRole:
        if (index.column() == NameColumn)
            return n->isObject ? tr("Object %1").arg(n->name) : tr("Folder %1").arg(n->name);
        break;
    }
    return {};
}

QVariant BucketTreeModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
        case NameColumn: return tr("Name");
        case SizeColumn: return tr("Size");
        case ObjectsColumn: return tr("Objects");
        case ModifiedColumn: return tr("Last modified");
        case AgeColumn: return tr("Age");
        case LastUsedColumn: return tr("Last used");
        }
    }
    if (role == Qt::ToolTipRole && section == LastUsedColumn)
        return tr("When a restore last used the cache (recorded by s3cache restore); for a folder, the latest below it");
    if (role == Qt::ToolTipRole && section == AgeColumn)
        return tr("Time since the object was written; for a folder, since its newest object (a shaded folder holds "
                  "objects older than the highlight age)");
    if (role == Qt::ToolTipRole && section == ModifiedColumn)
        return tr("For a folder, the newest object below it");
    return {};
}

void BucketTreeModel::beginInsert(const BucketNode *parent, int first, int last)
{
    beginInsertRows(indexOf(parent), first, last);
}

void BucketTreeModel::endInsert() { endInsertRows(); }

void BucketTreeModel::beginRemove(const BucketNode *parent, int first, int last)
{
    beginRemoveRows(indexOf(parent), first, last);
}

void BucketTreeModel::endRemove() { endRemoveRows(); }

void BucketTreeModel::changed(const BucketNode *node)
{
    if (node->parent)
        emit dataChanged(indexOf(node, 0), indexOf(node, ColumnCount - 1));
}

void BucketTreeModel::beginReset() { beginResetModel(); }
void BucketTreeModel::endReset() { endResetModel(); }

void BucketTreeModel::emitAllChanged(const BucketNode *parent)
{
    if (parent->children.empty())
        return;
    emit dataChanged(indexOf(parent->children.front().get(), 0), indexOf(parent->children.back().get(), ColumnCount - 1));
    for (const auto &child : parent->children) {
        if (!child->isObject)
            emitAllChanged(child.get());
    }
}

} // namespace s3cache
