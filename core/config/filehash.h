#pragma once
// SHA-256 of the files a cache key follows: `{{ checksum "go.sum" }}` and `{{ hashFiles ... }}`
// of keytemplate.h, through util/Sha256 (libcrypto). Errors are those of filematch.h.

#include "util/result.h"

#include <QString>
#include <QStringList>

namespace s3cache {

// SHA-256 (lowercase hex) of the file `path`, relative to `workspace`. The file must be a regular
// file inside the workspace, also after resolving symlinks.
Result<QString> fileChecksum(const QString &workspace, const QString &path);

// SHA-256 (hex) of the text "<sha256 of the file>  <relative path>\n" over matchFiles() in
// order, i.e. what `sha256sum FILES | sha256sum` prints with the files sorted by path. No
// matching file is an error (a key that follows nothing would never change).
Result<QString> hashFiles(const QString &workspace, const QStringList &patterns,
                          const QStringList &mounts = {});

} // namespace s3cache
