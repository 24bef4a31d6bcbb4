#include "cachekey.h"

#include <QCoreApplication>
#include <QHash>

#include <algorithm>
#include <functional>

namespace s3cache {

CacheKeyParts parseCacheKey(const QString &key)
{
    CacheKeyParts parts;
    QStringList segments = key.split(QLatin1Char('/'));
    parts.filename = segments.takeLast();
    if (segments.size() >= 3) {
        parts.prefix = segments.takeFirst();
    }
    if (segments.size() >= 2) {
        parts.org = segments.takeFirst();
        parts.repo = segments.takeFirst();
        parts.branch = segments.join(QLatin1Char('/'));
    } else if (!segments.isEmpty()) {
        parts.prefix = segments.join(QLatin1Char('/'));
    }
    return parts;
}

QList<SpaceShare> spaceByKeyRepository(const BucketNode *under, int topN)
{
    QHash<QString, SpaceShare> byRepository;
    const std::function<void(const BucketNode *)> visit = [&](const BucketNode *node) {
        if (node->isObject) {
            const CacheKeyParts parts = parseCacheKey(node->path);
            QString label = parts.repository();
            if (label.isEmpty())
                label = parts.prefix.isEmpty() ? QCoreApplication::translate("s3cache::BucketSummary", "(bucket root)") : parts.prefix;
            else if (!parts.prefix.isEmpty())
                label = parts.prefix + QLatin1Char('/') + label;
            SpaceShare &share = byRepository[label];
            share.label = label;
            share.bytes += node->bytes;
            share.objects += 1;
            return;
        }
        for (const auto &child : node->children)
            visit(child.get());
    };
    if (under)
        visit(under);
    QList<SpaceShare> shares = byRepository.values();
    return topShares(std::move(shares), topN);
}

} // namespace s3cache
