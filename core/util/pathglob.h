#pragma once
// Globs over workspace-relative paths: the one matcher behind hashFiles (config/filematch.h) and
// `mount` (archive/treesnapshot.h). The syntax is @actions/glob's (what GitHub's hashFiles and
// actions/cache's `path` take): `*` and `?` within one path segment (dot files included), `[abc]`,
// `[a-z]`, `[!abc]`/`[^abc]` classes, `**` as a whole segment any number of segments (also
// none), `\` escaping the next character; no braces, no extglobs. A pattern with none of `*`, `?`
// and `[` is a literal path, taken as it is (a backslash in it is a backslash).
//
// Paths are matched as the file system's bytes (names are bytes, docs/behaviour.md §5): a
// pattern is UTF-8, `?` and classes take one UTF-8 character of the name, or one byte that is not
// part of one.

#include "result.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace s3cache {

// "a/./b//c/../d" -> "a/b/d"; nullopt when ".." climbs above the start. "" and "." -> "".
std::optional<QString> normalizeRelativePath(const QString &path);

// Whether `pattern` is a glob (it holds `*`, `?` or `[`) rather than a literal path.
bool isGlobPattern(QStringView pattern);

class PathGlob
{
public:
    // `pattern` is relative to the workspace; "./" and empty segments are dropped, and a
    // trailing '/' makes a glob match folders only. A literal path may use ".." as long as it
    // stays inside; a glob may not. Errors (ErrorKind::InvalidInput, code "InvalidGlob") say
    // why in a few words: "is an absolute path", "leaves the workspace (..)".
    static Result<PathGlob> compile(const QString &pattern);

    // Whether the workspace-relative path `path` ('/'-separated, normalized; "" is the workspace
    // itself) matches, `isDirectory` telling whether it is a folder.
    bool matches(QByteArrayView path, bool isDirectory) const;
    // Whether something strictly below the folder `directory` may match.
    bool mayMatchBelow(QByteArrayView directory) const;

    bool isLiteral() const { return m_literal; }
    // The normalized pattern ("./a//b/*" -> "a/b/*"; a literal's ".." resolved).
    const QString &text() const { return m_text; }
    // The leading segments without wildcards, never the last one: the folder a walk starts in
    // ("packages/*/dist" -> "packages", "a/b/c.txt" -> "a/b", "**/x" -> "").
    const QString &base() const { return m_base; }
    // How many levels below base() a match can be; INT_MAX with "**".
    int depthBelowBase() const { return m_depthBelowBase; }
    qsizetype segmentCount() const { return m_segments.size(); }

private:
    struct Token
    {
        enum Kind : quint8 { Text, Star, AnyCharacter, Class } kind = Text;
        bool negated = false;         // Class: [!...]
        QByteArray text;              // Text: bytes to match
        QList<char32_t> ranges;       // Class: pairs of first and last character
    };
    struct Segment
    {
        bool globstar = false;
        bool literal = true;          // only Text tokens: `text` is the whole name
        QByteArray text;              // literal: the name
        QList<Token> tokens;
    };

    static bool matchSegment(const Segment &segment, QByteArrayView name);
    bool matchFrom(qsizetype pi, const QList<QByteArrayView> &path, qsizetype pj) const;
    bool prefixFrom(qsizetype pi, const QList<QByteArrayView> &path, qsizetype pj) const;

    QList<Segment> m_segments;
    QString m_text;
    QString m_base;
    int m_depthBelowBase = 0;
    bool m_literal = true;
    bool m_directoriesOnly = false;
};

// An ordered list of patterns, each including what it matches or, with a leading '!', excluding
// it, as actions/cache reads its `path` list: later patterns win, and a pattern decides for
// everything below what it matches too, so "!**/node_modules/.cache" takes that folder out of an
// included node_modules tree and a later "node_modules/.cache/keep" puts that one back. A path
// is selected when the last pattern that matches it or one of its folders is an include.
//
// A walk carries a Verdict from a folder to its children: the children are matched only against
// the patterns after the one deciding their folder, and not at all below a folder that no later
// pattern can reach below (`settled`).
class PathSelection
{
public:
    struct Pattern
    {
        QString given;   // as written, with its '!'
        PathGlob glob;
        bool exclude = false;
    };
    struct Verdict
    {
        int decidedBy = -1;    // the index of the deciding pattern; -1: none (not selected)
        bool settled = false;  // nothing below this folder can be decided otherwise
        bool enter = false;    // a walk must look below this folder: it is selected or a later include may select something below
    };

    // Errors as PathGlob::compile()'s, the message beginning with the pattern as given
    // ("**/../x leaves the workspace (..)"). An empty pattern, or a lone '!', is refused.
    static Result<PathSelection> compile(const QStringList &patterns);

    const QList<Pattern> &patterns() const { return m_patterns; }
    bool hasExcludes() const { return m_hasExcludes; }
    bool hasIncludes() const { return m_hasIncludes; }

    bool selects(const Verdict &verdict) const
    {
        return verdict.decidedBy >= 0 && !m_patterns.at(verdict.decidedBy).exclude;
    }
    // The verdict of `path` (a folder when `isDirectory`), whose folder's verdict is `parent`.
    // `matched`, when given (one flag per pattern), gets the patterns that matched `path`.
    Verdict verdict(const Verdict &parent, QByteArrayView path, bool isDirectory, QList<bool> *matched = nullptr) const;
    // The same from the workspace down: the verdicts of "" and of each folder of `path` first.
    Verdict verdictFromRoot(QByteArrayView path, bool isDirectory, QList<bool> *matched = nullptr) const;

private:
    QList<Pattern> m_patterns;
    bool m_hasExcludes = false;
    bool m_hasIncludes = false;
};

} // namespace s3cache
