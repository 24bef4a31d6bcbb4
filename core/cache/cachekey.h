#pragma once
// CacheKeyParts: what a cache key says about its cache, for the GUI's flat Caches view and the
// space chart. Keys follow the plugin's layout, prefix/org/repo/filename (README "Cache keys"),
// where the filename may be a template holding the branch ("npm-main-<hash>.tar.zst") and a
// repository may keep caches in folders below itself ("acme/mobile/npm-feature/...").
//
//   vela/acme/webapp/archive.tar.zst            prefix vela, repository acme/webapp
//   vela/acme/mobile/feature-x/archive.tar.zst  prefix vela, repository acme/mobile, branch feature-x
//   acme/webapp/archive.tar.zst                 no prefix, repository acme/webapp
//   archive.tar.zst                             no repository
//
// With four or more segments the first is the prefix; with three there is none. The branch is
// the folder between the repository and the file, if any.

#include "cache/bucketsummary.h"

#include <QString>

namespace s3cache {

struct CacheKeyParts
{
    QString prefix;
    QString org;
    QString repo;
    QString branch;    // "" when the key does not say
    QString filename;  // the last segment

    // "org/repo", or "" when the key is too short to say.
    QString repository() const { return org.isEmpty() ? QString() : org + QLatin1Char('/') + repo; }
};

CacheKeyParts parseCacheKey(const QString &key);

// The space each repository (by parseCacheKey: a repository's branch folders count with it)
// keeps below `under`: the `topN` largest, largest first, the rest summed as "other".
QList<SpaceShare> spaceByKeyRepository(const BucketNode *under, int topN);

} // namespace s3cache
