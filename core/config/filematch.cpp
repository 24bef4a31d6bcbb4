#include "filematch.h"

#include "util/pathglob.h"

#include <QDir>
#include <QFileInfo>
#include <QSet>

#include <algorithm>

namespace s3cache {

using namespace Qt::StringLiterals;

namespace {

class FileWalker
{
public:
    FileWalker(QString workspace, QString canonicalRoot, const PathSelection &mounts)
        : m_workspace(std::move(workspace)), m_root(std::move(canonicalRoot)), m_mounts(mounts)
    {
    }

    // Every regular file (or symlink to a file inside the workspace) below `base` (whose verdict
    // among the mounts is `verdict`), at most `depth` levels down, that the mounts do not select,
    // as workspace-relative paths.
    void walk(const QString &base, const PathSelection::Verdict &verdict, int depth, QSet<QString> *out) const
    {
        if (depth <= 0 || (m_mounts.selects(verdict) && verdict.settled) || base.split(u'/').contains(u".git"_s))
            return;
        const QFileInfo baseInfo(base.isEmpty() ? m_workspace : m_workspace + u'/' + base);
        if (!base.isEmpty() && (baseInfo.isSymbolicLink() || !baseInfo.isDir()))
            return;
        const QFileInfoList entries = QDir(baseInfo.filePath())
            .entryInfoList(QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot, QDir::Name);
        for (const QFileInfo &entry : entries) {
            const QString rel = base.isEmpty() ? entry.fileName() : base + u'/' + entry.fileName();
            if (entry.fileName() == u".git")
                continue;
            const QByteArray path = QFile::encodeName(rel);
            const bool directory = entry.isDir() && !entry.isSymbolicLink();
            const PathSelection::Verdict v = m_mounts.verdict(verdict, path, directory);
            if (directory) {
                walk(rel, v, depth - 1, out);
            } else if (m_mounts.selects(v)) {
                continue;  // cached: restore brings it back
            } else if (entry.isSymbolicLink()) {
                // Never into a linked folder; a linked file only when it stays in the workspace.
                const QString target = entry.canonicalFilePath();
                if (!target.isEmpty() && isInside(target, m_root) && QFileInfo(target).isFile())
                    out->insert(rel);
            } else if (entry.isFile()) {
                out->insert(rel);
            }
        }
    }

private:
    QString m_workspace;
    QString m_root;
    const PathSelection &m_mounts;
};

} // namespace

QString canonicalWorkspace(const QString &workspace)
{
    return QFileInfo(workspace).canonicalFilePath();
}

bool isInside(const QString &canonicalPath, const QString &canonicalRoot)
{
    return canonicalRoot == u"/" ? canonicalPath.startsWith(u'/')
                                 : canonicalPath.startsWith(canonicalRoot + u'/');
}

Error keyFilesError(const QString &message)
{
    return Error(ErrorKind::InvalidInput, u"KeyFiles"_s, message);
}

Result<QStringList> matchFiles(const QString &workspace, const QStringList &patterns, const QStringList &mounts)
{
    const QString root = canonicalWorkspace(workspace);
    if (root.isEmpty())
        return keyFilesError(u"the workspace %1 does not exist"_s.arg(workspace));
    struct Compiled
    {
        PathGlob glob;
        bool exclude = false;
    };
    QList<Compiled> compiled;
    for (const QString &original : patterns) {
        const bool exclude = original.startsWith(u'!');
        Result<PathGlob> glob = PathGlob::compile(exclude ? original.mid(1) : original);
        if (!glob.ok() || glob->segmentCount() == 0)
            return keyFilesError(u"pattern \"%1\" must name files relative to the workspace (no leading '/', "
                                 "no '..')"_s.arg(original));
        compiled << Compiled{std::move(*glob), exclude};
    }
    // A mount of the whole workspace does not leave everything out (hashFiles would match nothing).
    QStringList leftOut;
    for (const QString &mount : mounts) {
        if (isGlobPattern(mount) || normalizeRelativePath(mount).value_or(u"."_s) != QString())
            leftOut << mount;
    }
    const Result<PathSelection> selection = PathSelection::compile(leftOut);
    if (!selection.ok())
        return keyFilesError(u"mount "_s + selection.error().message());

    const FileWalker walker(workspace, root, *selection);
    QSet<QString> matched;
    for (const Compiled &c : std::as_const(compiled)) {
        if (c.exclude)
            continue;
        QSet<QString> candidates;
        walker.walk(c.glob.base(), selection->verdictFromRoot(QFile::encodeName(c.glob.base()), true),
                    c.glob.depthBelowBase(), &candidates);
        for (const QString &file : std::as_const(candidates)) {
            if (c.glob.matches(QFile::encodeName(file), false))
                matched.insert(file);
        }
    }
    for (const Compiled &c : std::as_const(compiled)) {
        if (!c.exclude)
            continue;
        for (auto it = matched.begin(); it != matched.end();) {
            if (c.glob.matches(QFile::encodeName(*it), false))
                it = matched.erase(it);
            else
                ++it;
        }
    }
    QStringList files(matched.cbegin(), matched.cend());
    // By UTF-8 bytes, as `LC_ALL=C sort` orders them.
    std::sort(files.begin(), files.end(), [](const QString &a, const QString &b) { return a.toUtf8() < b.toUtf8(); });
    return files;
}

} // namespace s3cache
