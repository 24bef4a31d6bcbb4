#include "filematch.h"

#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>
#include <QSet>

#include <limits>

namespace s3cache {

using namespace Qt::StringLiterals;

namespace {

// Workspace-relative, '/'-separated, without "./"; std::nullopt when absolute or with "..".
std::optional<QString> relativePattern(const QString &pattern)
{
    if (pattern.startsWith(u'/'))
        return std::nullopt;
    QStringList segments;
    for (const QString &s : pattern.split(u'/', Qt::SkipEmptyParts)) {
        if (s == u"..")
            return std::nullopt;
        if (s != u".")
            segments << s;
    }
    return segments.join(u'/');
}

bool hasWildcard(const QString &segment)
{
    return segment.contains(u'*') || segment.contains(u'?') || segment.contains(u'[');
}

QRegularExpression globRegex(const QString &pattern)
{
    QString re = u"^"_s;
    const qsizetype n = pattern.size();
    for (qsizetype i = 0; i < n; ++i) {
        const QChar c = pattern[i];
        if (c == u'*') {
            if (i + 1 < n && pattern[i + 1] == u'*') {
                const bool segmentStart = i == 0 || pattern[i - 1] == u'/';
                i += 1;
                if (segmentStart && i + 1 == n) {
                    re += u".*"_s;                  // "dir/**": everything below
                } else if (segmentStart && pattern[i + 1] == u'/') {
                    re += u"(?:.*/)?"_s;            // "**/": any number of folders, also none
                    i += 1;
                } else {
                    re += u"[^/]*"_s;               // "a**b" is just "a*b"
                }
            } else {
                re += u"[^/]*"_s;
            }
        } else if (c == u'?') {
            re += u"[^/]"_s;
        } else if (c == u'[') {
            const qsizetype close = pattern.indexOf(u']', i + 2);
            if (close < 0) {
                re += u"\\["_s;
                continue;
            }
            QString body = pattern.mid(i + 1, close - i - 1);
            QString cls = u"["_s;
            if (body.startsWith(u'!') || body.startsWith(u'^')) {
                cls += u"^/"_s;
                body = body.mid(1);
            }
            for (const QChar b : std::as_const(body))
                cls += b == u'-' ? QString(b) : QRegularExpression::escape(QString(b));
            re += cls + u']';
            i = close;
        } else {
            re += QRegularExpression::escape(QString(c));
        }
    }
    return QRegularExpression(re + u'$');
}

struct CompiledPattern
{
    QString text;
    QRegularExpression regex;
    QString base;        // literal leading folders: the walk starts there
    int maxDepth = 0;    // levels below `base` a match can be at; INT_MAX with "**"
    bool exclude = false;
};

class FileWalker
{
public:
    FileWalker(QString workspace, QString canonicalRoot, const QStringList &excluded)
        : m_workspace(std::move(workspace)), m_root(std::move(canonicalRoot))
    {
        for (const QString &e : excluded) {
            const QString clean = QDir::cleanPath(e);
            if (!clean.isEmpty() && clean != u".")
                m_excluded << clean;
        }
    }

    // Every regular file (or symlink to a file inside the workspace) below `base`, at most
    // `depth` levels down, as workspace-relative paths.
    void walk(const QString &base, int depth, QSet<QString> *out) const
    {
        if (depth <= 0 || isSkipped(base) || base.split(u'/').contains(u".git"_s))
            return;
        const QFileInfo baseInfo(base.isEmpty() ? m_workspace : m_workspace + u'/' + base);
        if (!base.isEmpty() && (baseInfo.isSymbolicLink() || !baseInfo.isDir()))
            return;
        const QFileInfoList entries = QDir(baseInfo.filePath())
            .entryInfoList(QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot, QDir::Name);
        for (const QFileInfo &entry : entries) {
            const QString rel = base.isEmpty() ? entry.fileName() : base + u'/' + entry.fileName();
            if (entry.fileName() == u".git" || isSkipped(rel))
                continue;
            if (entry.isSymbolicLink()) {
                // Never into a linked folder; a linked file only when it stays in the workspace.
                const QString target = entry.canonicalFilePath();
                if (!target.isEmpty() && isInside(target, m_root) && QFileInfo(target).isFile())
                    out->insert(rel);
            } else if (entry.isDir()) {
                walk(rel, depth - 1, out);
            } else if (entry.isFile()) {
                out->insert(rel);
            }
        }
    }

private:
    bool isSkipped(const QString &rel) const
    {
        for (const QString &e : m_excluded) {
            if (rel == e || rel.startsWith(e + u'/'))
                return true;
        }
        return false;
    }

    QString m_workspace;
    QString m_root;
    QStringList m_excluded;
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

Result<QStringList> matchFiles(const QString &workspace, const QStringList &patterns, const QStringList &excludedPaths)
{
    const QString root = canonicalWorkspace(workspace);
    if (root.isEmpty())
        return keyFilesError(u"the workspace %1 does not exist"_s.arg(workspace));
    QList<CompiledPattern> compiled;
    for (const QString &original : patterns) {
        CompiledPattern c;
        c.text = original;
        QString text = original;
        if (text.startsWith(u'!')) {
            c.exclude = true;
            text = text.mid(1);
        }
        const std::optional<QString> relative = relativePattern(text);
        if (!relative || relative->isEmpty())
            return keyFilesError(u"pattern \"%1\" must name files relative to the workspace (no leading '/', "
                                 "no '..')"_s.arg(original));
        c.regex = globRegex(*relative);
        if (!c.regex.isValid())
            return keyFilesError(u"pattern \"%1\" is not a valid glob: %2"_s.arg(original, c.regex.errorString()));
        const QStringList segments = relative->split(u'/');
        QStringList base;
        for (qsizetype s = 0; s + 1 < segments.size() && !hasWildcard(segments[s]); ++s)
            base << segments[s];
        c.base = base.join(u'/');
        c.maxDepth = relative->contains(u"**") ? std::numeric_limits<int>::max()
                                                : static_cast<int>(segments.size() - base.size());
        compiled << c;
    }

    const FileWalker walker(workspace, root, excludedPaths);
    QSet<QString> matched;
    for (const CompiledPattern &c : std::as_const(compiled)) {
        if (c.exclude)
            continue;
        QSet<QString> candidates;
        walker.walk(c.base, c.maxDepth, &candidates);
        for (const QString &file : std::as_const(candidates)) {
            if (c.regex.match(file).hasMatch())
                matched.insert(file);
        }
    }
    for (const CompiledPattern &c : std::as_const(compiled)) {
        if (!c.exclude)
            continue;
        for (auto it = matched.begin(); it != matched.end();) {
            if (c.regex.match(*it).hasMatch())
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
