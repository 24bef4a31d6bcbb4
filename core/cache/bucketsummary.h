#pragma once
// BucketSummary: the objects of a bucket grouped into a tree by key segment ('/'), with totals
// per folder (bytes, object count, oldest and newest LastModified, latest use). It is built page by page
// while a listing runs and updated when objects are deleted, so 100,000 objects never need a
// rebuild. The GUI's tree model is a thin view of it; the age histogram and the selections behind
// delete are computed here too (the space by repository is cachekey.h's spaceByKeyRepository,
// where "repository" is the key's org/repo). Labels meant for people ("other", "1-3 days") go
// through QCoreApplication::translate (context s3cache::BucketSummary), so the GUI's
// translations cover them.
//
// Structural changes are announced to an optional observer before and after they happen, in the
// shape Qt item models need: rows appended to one parent, contiguous rows removed from one parent.

#include "s3/s3types.h"

#include <QHash>

#include <memory>
#include <vector>

namespace s3cache {

struct BucketNode
{
    QString name;          // the last key segment
    QString path;          // the object's key, or the folder's prefix with its trailing '/'
    bool isObject = false;
    ObjectInfo object;     // objects only
    qint64 bytes = 0;      // the object's size, or the sum of the objects below the folder
    qint64 objects = 0;    // 1, or the number of objects below the folder
    QDateTime oldest;      // the object's LastModified, or the oldest/newest below the folder
    QDateTime newest;
    QDateTime lastUsed;    // the object's last recorded use (lastused.h), or the latest below the folder
    BucketNode *parent = nullptr;
    int row = 0;           // index in parent->children
    std::vector<std::unique_ptr<BucketNode>> children;
    QHash<QString, BucketNode *> folderIndex;  // child folders by name (an object and a folder may share one)
    QHash<QString, BucketNode *> objectIndex;  // child objects by name
};

class BucketObserver
{
public:
    virtual ~BucketObserver() = default;
    virtual void beginInsert(const BucketNode *parent, int first, int last) = 0;
    virtual void endInsert() = 0;
    virtual void beginRemove(const BucketNode *parent, int first, int last) = 0;
    virtual void endRemove() = 0;
    // The node's own fields (totals, object info) changed; not its children.
    virtual void changed(const BucketNode *node) = 0;
    virtual void beginReset() = 0;
    virtual void endReset() = 0;
};

// The space kept by one repository (cachekey.h: "prefix/org/repo", its branch folders
// included), "(bucket root)", or "other" for everything beyond the largest few (both labels
// translated).
struct SpaceShare
{
    QString label;        // "prefix/org/repo", "(bucket root)" or "other"
    qint64 bytes = 0;
    qint64 objects = 0;
};

// `shares` largest first (ties by label); past the `topN` largest, the rest summed as "other".
QList<SpaceShare> topShares(QList<SpaceShare> shares, int topN);

struct AgeBucket
{
    QString label;              // "1-3 days" (translated)
    qint64 minAgeSeconds = 0;   // inclusive
    qint64 maxAgeSeconds = -1;  // exclusive; -1 = no upper bound
    qint64 objects = 0;
    qint64 bytes = 0;
};

class BucketSummary
{
public:
    BucketSummary();
    ~BucketSummary();
    BucketSummary(const BucketSummary &) = delete;
    BucketSummary &operator=(const BucketSummary &) = delete;

    void setObserver(BucketObserver *observer) { m_observer = observer; }

    const BucketNode *root() const { return m_root.get(); }
    // The object with this key, or the folder with this prefix (trailing '/'); nullptr if none.
    const BucketNode *find(const QString &path) const;

    // Adds a page of a listing; a key seen before is updated in place.
    void addObjects(const QList<ObjectInfo> &objects);
    // Removes the objects (unknown keys are ignored) and the folders they leave empty.
    void removeObjects(const QStringList &keys);
    void clear();

    // Every object at or below the nodes, each once (nested selections are not counted twice).
    static QList<ObjectInfo> objectsUnder(const QList<const BucketNode *> &nodes);

    // Objects and bytes below `under` by age at `now`, youngest bucket first.
    static QList<AgeBucket> ageHistogram(const BucketNode *under, const QDateTime &now);

    static qint64 ageSeconds(const QDateTime &lastModified, const QDateTime &now);

private:
    BucketNode *findMutable(const QString &path) const;

    std::unique_ptr<BucketNode> m_root;
    BucketObserver *m_observer = nullptr;
};

} // namespace s3cache
