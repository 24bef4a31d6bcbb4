#include "bucketsummary.h"

#include <QCoreApplication>
#include <QSet>

#include <algorithm>

namespace s3cache {

namespace {

int depthOf(const BucketNode *node)
{
    int depth = 0;
    for (; node->parent; node = node->parent)
        ++depth;
    return depth;
}

// A folder's oldest/newest from its children (its bytes and object count are kept exact as
// objects come and go; the extremes cannot be, once the oldest object is gone).
void recomputeAges(BucketNode *folder)
{
    folder->oldest = {};
    folder->newest = {};
    folder->lastUsed = {};
    for (const auto &child : folder->children) {
        if (child->lastUsed.isValid() && (!folder->lastUsed.isValid() || child->lastUsed > folder->lastUsed))
            folder->lastUsed = child->lastUsed;
        if (child->oldest.isValid() && (!folder->oldest.isValid() || child->oldest < folder->oldest))
            folder->oldest = child->oldest;
        if (child->newest.isValid() && (!folder->newest.isValid() || child->newest > folder->newest))
            folder->newest = child->newest;
    }
}

// Recomputes the ages of the folders bottom-up (deepest first), so parents see fresh children.
void recomputeAges(QList<BucketNode *> folders)
{
    std::sort(folders.begin(), folders.end(),
              [](const BucketNode *a, const BucketNode *b) { return depthOf(a) > depthOf(b); });
    for (BucketNode *folder : std::as_const(folders))
        recomputeAges(folder);
}

void setObject(BucketNode *node, const ObjectInfo &object)
{
    node->object = object;
    node->bytes = std::max<qint64>(0, object.size);
    node->objects = 1;
    node->oldest = object.lastModified;
    node->newest = object.lastModified;
    node->lastUsed = object.lastUsed;
}

template<typename Visit>
void forEachObject(const BucketNode *under, Visit visit)
{
    QList<const BucketNode *> stack{under};
    while (!stack.isEmpty()) {
        const BucketNode *node = stack.takeLast();
        if (node->isObject)
            visit(node);
        for (const auto &child : node->children)
            stack.append(child.get());
    }
}

} // namespace

BucketSummary::BucketSummary() : m_root(std::make_unique<BucketNode>()) {}

BucketSummary::~BucketSummary() = default;

BucketNode *BucketSummary::findMutable(const QString &path) const
{
    BucketNode *node = m_root.get();
    if (path.isEmpty())
        return node;
    const QStringList segments = path.split(QLatin1Char('/'));
    const bool folder = path.endsWith(QLatin1Char('/'));
    const qsizetype folders = segments.size() - 1;  // a folder's path ends with an empty segment
    for (qsizetype i = 0; i < folders && node; ++i)
        node = node->folderIndex.value(segments[i]);
    if (!node || folder)
        return node;
    return node->objectIndex.value(segments.last());
}

const BucketNode *BucketSummary::find(const QString &path) const { return findMutable(path); }

void BucketSummary::addObjects(const QList<ObjectInfo> &objects)
{
    // New nodes below an existing folder are collected and attached at the end as one block per
    // folder, so that each block is one insertion for the observer. Below a new node, children
    // are attached at once: nobody can see them yet. Indexes are updated at once either way, so
    // later keys of the same page find the new folders.
    std::vector<std::pair<BucketNode *, std::vector<std::unique_ptr<BucketNode>>>> pending;
    QHash<BucketNode *, size_t> pendingIndex;
    QSet<const BucketNode *> fresh;
    QList<BucketNode *> changed;  // existing nodes whose fields changed, each once
    QSet<const BucketNode *> changedSet;
    QList<BucketNode *> replacedIn;  // folders whose ages need recomputing after a replacement

    auto adopt = [&](BucketNode *parent, std::unique_ptr<BucketNode> child) {
        BucketNode *raw = child.get();
        raw->parent = parent;
        (raw->isObject ? parent->objectIndex : parent->folderIndex).insert(raw->name, raw);
        fresh.insert(raw);
        if (fresh.contains(parent)) {
            raw->row = int(parent->children.size());
            parent->children.push_back(std::move(child));
            return raw;
        }
        auto it = pendingIndex.constFind(parent);
        if (it == pendingIndex.constEnd()) {
            it = pendingIndex.insert(parent, pending.size());
            pending.emplace_back(parent, std::vector<std::unique_ptr<BucketNode>>());
        }
        auto &block = pending[*it].second;
        raw->row = int(parent->children.size() + block.size());
        block.push_back(std::move(child));
        return raw;
    };
    auto markChanged = [&](BucketNode *node) {
        if (!fresh.contains(node) && !changedSet.contains(node)) {
            changedSet.insert(node);
            changed.append(node);
        }
    };

    for (const ObjectInfo &object : objects) {
        const QStringList segments = object.key.split(QLatin1Char('/'));
        BucketNode *node = m_root.get();
        for (qsizetype i = 0; i + 1 < segments.size(); ++i) {
            BucketNode *next = node->folderIndex.value(segments[i]);
            if (!next) {
                auto folder = std::make_unique<BucketNode>();
                folder->name = segments[i];
                folder->path = node->path + segments[i] + QLatin1Char('/');
                next = adopt(node, std::move(folder));
            }
            node = next;
        }
        BucketNode *leaf = node->objectIndex.value(segments.last());
        const bool replaced = leaf != nullptr;
        const qint64 oldBytes = replaced ? leaf->bytes : 0;
        if (replaced) {
            setObject(leaf, object);
            markChanged(leaf);
        } else {
            auto created = std::make_unique<BucketNode>();
            created->name = segments.last();
            created->path = object.key;
            created->isObject = true;
            setObject(created.get(), object);
            leaf = adopt(node, std::move(created));
        }
        for (BucketNode *folder = leaf->parent; folder; folder = folder->parent) {
            folder->bytes += leaf->bytes - oldBytes;
            if (replaced) {
                replacedIn.append(folder);  // the replaced object may have been the oldest
            } else {
                folder->objects += 1;
                if (object.lastModified.isValid() && (!folder->oldest.isValid() || object.lastModified < folder->oldest))
                    folder->oldest = object.lastModified;
                if (object.lastModified.isValid() && (!folder->newest.isValid() || object.lastModified > folder->newest))
                    folder->newest = object.lastModified;
            }
            if (object.lastUsed.isValid() && (!folder->lastUsed.isValid() || object.lastUsed > folder->lastUsed))
                folder->lastUsed = object.lastUsed;
            markChanged(folder);
        }
    }

    for (auto &[parent, block] : pending) {
        const int first = int(parent->children.size());
        if (m_observer)
            m_observer->beginInsert(parent, first, first + int(block.size()) - 1);
        for (auto &child : block)
            parent->children.push_back(std::move(child));
        if (m_observer)
            m_observer->endInsert();
    }
    if (!replacedIn.isEmpty())
        recomputeAges(QSet<BucketNode *>(replacedIn.cbegin(), replacedIn.cend()).values());
    if (m_observer) {
        for (const BucketNode *node : std::as_const(changed))
            m_observer->changed(node);
    }
}

void BucketSummary::removeObjects(const QStringList &keys)
{
    QSet<BucketNode *> doomed;
    for (const QString &key : keys) {
        BucketNode *node = key.endsWith(QLatin1Char('/')) ? nullptr : findMutable(key);
        if (node && node->isObject)
            doomed.insert(node);
    }
    if (doomed.isEmpty())
        return;

    QSet<BucketNode *> touched;
    for (BucketNode *object : std::as_const(doomed)) {
        for (BucketNode *folder = object->parent; folder; folder = folder->parent) {
            folder->bytes -= object->bytes;
            folder->objects -= 1;
            touched.insert(folder);
        }
    }
    // Folders exist only for the objects below them: the empty ones go too. Only the highest
    // removed node of each chain is taken out; its subtree goes with it.
    QList<BucketNode *> survivors;
    for (BucketNode *folder : std::as_const(touched)) {
        if (!folder->parent || folder->objects > 0)
            survivors.append(folder);
    }
    QList<BucketNode *> parents;
    QHash<BucketNode *, QList<int>> rowsByParent;
    for (BucketNode *object : std::as_const(doomed)) {
        BucketNode *top = object;
        while (top->parent->parent && top->parent->objects == 0)
            top = top->parent;
        QList<int> &rows = rowsByParent[top->parent];
        if (rows.isEmpty())
            parents.append(top->parent);
        if (!rows.contains(top->row))
            rows.append(top->row);
    }

    for (BucketNode *parent : std::as_const(parents)) {
        QList<int> rows = rowsByParent.value(parent);
        std::sort(rows.begin(), rows.end(), std::greater<int>());
        // Contiguous ranges, highest first, so that earlier rows keep their numbers meanwhile.
        for (qsizetype i = 0; i < rows.size();) {
            qsizetype j = i;
            while (j + 1 < rows.size() && rows[j + 1] == rows[j] - 1)
                ++j;
            const int first = rows[j];
            const int last = rows[i];
            if (m_observer)
                m_observer->beginRemove(parent, first, last);
            for (int row = first; row <= last; ++row) {
                const BucketNode *child = parent->children[size_t(row)].get();
                (child->isObject ? parent->objectIndex : parent->folderIndex).remove(child->name);
            }
            parent->children.erase(parent->children.begin() + first, parent->children.begin() + last + 1);
            if (m_observer)
                m_observer->endRemove();
            i = j + 1;
        }
        for (size_t row = size_t(rows.last()); row < parent->children.size(); ++row)
            parent->children[row]->row = int(row);
    }

    recomputeAges(survivors);
    if (m_observer) {
        for (const BucketNode *folder : std::as_const(survivors))
            m_observer->changed(folder);
    }
}

void BucketSummary::clear()
{
    if (m_observer)
        m_observer->beginReset();
    m_root = std::make_unique<BucketNode>();
    if (m_observer)
        m_observer->endReset();
}

QList<ObjectInfo> BucketSummary::objectsUnder(const QList<const BucketNode *> &nodes)
{
    QList<ObjectInfo> out;
    QSet<const BucketNode *> seen;
    for (const BucketNode *node : nodes) {
        forEachObject(node, [&](const BucketNode *object) {
            if (!seen.contains(object)) {
                seen.insert(object);
                out.append(object->object);
            }
        });
    }
    return out;
}

QList<SpaceShare> topShares(QList<SpaceShare> shares, int topN)
{
    std::sort(shares.begin(), shares.end(), [](const SpaceShare &a, const SpaceShare &b) {
        return a.bytes != b.bytes ? a.bytes > b.bytes : a.label < b.label;
    });
    if (shares.size() > topN) {
        SpaceShare other{QCoreApplication::translate("s3cache::BucketSummary", "other"), 0, 0};
        for (qsizetype i = topN; i < shares.size(); ++i) {
            other.bytes += shares[i].bytes;
            other.objects += shares[i].objects;
        }
        shares.resize(topN);
        shares.append(other);
    }
    return shares;
}

QList<AgeBucket> BucketSummary::ageHistogram(const BucketNode *under, const QDateTime &now)
{
    constexpr qint64 day = 24 * 3600;
    QList<AgeBucket> buckets{
        {QCoreApplication::translate("s3cache::BucketSummary", "< 1 day"), 0, day},
        {QCoreApplication::translate("s3cache::BucketSummary", "1-3 days"), day, 3 * day},
        {QCoreApplication::translate("s3cache::BucketSummary", "3-7 days"), 3 * day, 7 * day},
        {QCoreApplication::translate("s3cache::BucketSummary", "7-14 days"), 7 * day, 14 * day},
        {QCoreApplication::translate("s3cache::BucketSummary", "14-30 days"), 14 * day, 30 * day},
        {QCoreApplication::translate("s3cache::BucketSummary", "30-90 days"), 30 * day, 90 * day},
        {QCoreApplication::translate("s3cache::BucketSummary", "90+ days"), 90 * day, -1},
    };
    forEachObject(under, [&](const BucketNode *object) {
        const qint64 age = std::max<qint64>(0, ageSeconds(object->object.lastModified, now));
        for (AgeBucket &bucket : buckets) {
            if (age >= bucket.minAgeSeconds && (bucket.maxAgeSeconds < 0 || age < bucket.maxAgeSeconds)) {
                bucket.objects += 1;
                bucket.bytes += object->bytes;
                break;
            }
        }
    });
    return buckets;
}

qint64 BucketSummary::ageSeconds(const QDateTime &lastModified, const QDateTime &now)
{
    if (!lastModified.isValid() || !now.isValid())
        return -1;
    return lastModified.secsTo(now);
}

} // namespace s3cache
