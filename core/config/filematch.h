#pragma once
// The files a key template's hashFiles() follows: globs over the workspace (keytemplate.h uses
// them; the template language itself is there).

#include "util/result.h"

#include <QString>
#include <QStringList>

namespace s3cache {

// The files hashFiles() hashes, workspace-relative and sorted by their UTF-8 bytes. Patterns are
// relative globs (util/pathglob.h): `*` and `?` within one path segment, `[abc]`/`[!abc]`
// classes, `**` any number of segments; a pattern starting with '!' removes its matches,
// wherever it stands. `.git` (folder or file, at any depth) is never looked into, nor is what
// `mounts` (the mount parameter's patterns, util/pathglob.h's PathSelection: what rebuild
// archives) selects, except that a mount of the whole workspace leaves nothing out. Symlinked
// folders are not entered, and symlinked files count only when they resolve to a file inside the
// workspace. Errors are ErrorKind::InvalidInput with code "KeyFiles".
Result<QStringList> matchFiles(const QString &workspace, const QStringList &patterns,
                               const QStringList &mounts = {});

// The workspace with its symlinks resolved; empty when it does not exist.
QString canonicalWorkspace(const QString &workspace);
// Whether the canonical path `canonicalPath` is below the canonical folder `canonicalRoot`.
bool isInside(const QString &canonicalPath, const QString &canonicalRoot);
// ErrorKind::InvalidInput, code "KeyFiles": what matchFiles() and filehash.h return.
Error keyFilesError(const QString &message);

} // namespace s3cache
