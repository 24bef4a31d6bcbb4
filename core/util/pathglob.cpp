#include "pathglob.h"

#include <algorithm>
#include <limits>
#include <utility>

namespace s3cache {

using namespace Qt::StringLiterals;

namespace {

Error globError(const QString &why)
{
    return Error(ErrorKind::InvalidInput, u"InvalidGlob"_s, why);
}

// The character at `at` of UTF-8 `bytes` and its length; a byte that does not begin a valid
// sequence is one character of its own (U+DC80 + byte, as Python's surrogateescape).
std::pair<char32_t, qsizetype> characterAt(QByteArrayView bytes, qsizetype at)
{
    const auto lead = static_cast<uchar>(bytes[at]);
    if (lead < 0x80)
        return {lead, 1};
    const qsizetype length = lead >= 0xF0 && lead < 0xF8 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC2 ? 2 : 0;
    if (length == 0 || at + length > bytes.size())
        return {char32_t(0xDC00 + lead), 1};
    char32_t c = lead & (0x7F >> length);
    for (qsizetype i = 1; i < length; ++i) {
        const auto next = static_cast<uchar>(bytes[at + i]);
        if ((next & 0xC0) != 0x80)
            return {char32_t(0xDC00 + lead), 1};
        c = (c << 6) | (next & 0x3F);
    }
    return {c, length};
}

QList<QByteArrayView> splitPath(QByteArrayView path)
{
    QList<QByteArrayView> segments;
    qsizetype start = 0;
    while (start < path.size()) {
        qsizetype slash = path.indexOf('/', start);
        if (slash < 0)
            slash = path.size();
        if (slash > start)
            segments << path.sliced(start, slash - start);
        start = slash + 1;
    }
    return segments;
}

} // namespace

std::optional<QString> normalizeRelativePath(const QString &path)
{
    QStringList parts;
    for (const QString &part : path.split(u'/', Qt::SkipEmptyParts)) {
        if (part == u".")
            continue;
        if (part == u"..") {
            if (parts.isEmpty())
                return std::nullopt;
            parts.removeLast();
            continue;
        }
        parts << part;
    }
    return parts.join(u'/');
}

bool isGlobPattern(QStringView pattern)
{
    return pattern.contains(u'*') || pattern.contains(u'?') || pattern.contains(u'[');
}

Result<PathGlob> PathGlob::compile(const QString &pattern)
{
    if (pattern.startsWith(u'/'))
        return globError(u"is an absolute path"_s);
    PathGlob glob;
    glob.m_literal = !isGlobPattern(pattern);
    QStringList names;
    if (glob.m_literal) {
        const std::optional<QString> relative = normalizeRelativePath(pattern);
        if (!relative)
            return globError(u"leaves the workspace (..)"_s);
        names = relative->split(u'/', Qt::SkipEmptyParts);
    } else {
        glob.m_directoriesOnly = pattern.endsWith(u'/');
        for (const QString &name : pattern.split(u'/', Qt::SkipEmptyParts)) {
            if (name == u"..")
                return globError(u"leaves the workspace (..)"_s);
            if (name == u"." || (name == u"**" && !names.isEmpty() && names.last() == u"**"))
                continue;  // "**/**" is "**"
            names << name;
        }
    }
    glob.m_text = names.join(u'/') + (glob.m_directoriesOnly ? u"/"_s : QString());

    for (const QString &name : std::as_const(names)) {
        Segment segment;
        const QByteArray bytes = name.toUtf8();
        if (glob.m_literal) {
            segment.text = bytes;
            glob.m_segments << segment;
            continue;
        }
        if (name == u"**") {
            segment.globstar = true;
            segment.literal = false;
            glob.m_segments << segment;
            continue;
        }
        // Characters from `at`, a backslash escaping the next one; moves `at` past it.
        const auto readCharacter = [&bytes](qsizetype &at) {
            if (bytes[at] == '\\' && at + 1 < bytes.size())
                ++at;
            const auto [c, length] = characterAt(bytes, at);
            at += length;
            return c;
        };
        QByteArray text;
        const auto flushText = [&] {
            if (!text.isEmpty())
                segment.tokens << Token{Token::Text, false, std::exchange(text, QByteArray()), {}};
        };
        for (qsizetype i = 0; i < bytes.size();) {
            const char c = bytes[i];
            if (c == '\\' && i + 1 < bytes.size()) {
                text += bytes[i + 1];
                i += 2;
            } else if (c == '*') {
                flushText();
                if (segment.tokens.isEmpty() || segment.tokens.last().kind != Token::Star)
                    segment.tokens << Token{Token::Star, false, {}, {}};
                ++i;
            } else if (c == '?') {
                flushText();
                segment.tokens << Token{Token::AnyCharacter, false, {}, {}};
                ++i;
            } else if (c == '[') {
                // A class: "[!" or "[^" negates, a ']' right after the opening is a member,
                // "a-z" is a range. Without its closing ']' the '[' is an ordinary character.
                Token cls{Token::Class, false, {}, {}};
                qsizetype at = i + 1;
                if (at < bytes.size() && (bytes[at] == '!' || bytes[at] == '^')) {
                    cls.negated = true;
                    ++at;
                }
                bool closed = false;
                for (bool first = true; at < bytes.size(); first = false) {
                    if (bytes[at] == ']' && !first) {
                        closed = true;
                        break;
                    }
                    const char32_t low = readCharacter(at);
                    char32_t high = low;
                    if (at + 1 < bytes.size() && bytes[at] == '-' && bytes[at + 1] != ']') {
                        ++at;
                        high = readCharacter(at);
                    }
                    cls.ranges << low << high;
                }
                if (closed) {
                    flushText();
                    segment.tokens << cls;
                    i = at + 1;
                } else {
                    text += '[';
                    ++i;
                }
            } else {
                text += c;
                ++i;
            }
        }
        flushText();
        segment.literal = std::all_of(segment.tokens.cbegin(), segment.tokens.cend(),
                                      [](const Token &t) { return t.kind == Token::Text; });
        if (segment.literal)
            segment.text = segment.tokens.isEmpty() ? QByteArray() : segment.tokens.first().text;
        glob.m_segments << segment;
    }

    QByteArrayList base;
    for (qsizetype s = 0; s + 1 < glob.m_segments.size() && glob.m_segments.at(s).literal; ++s)
        base << glob.m_segments.at(s).text;
    glob.m_base = QString::fromUtf8(base.join('/'));
    const bool globstar = std::any_of(glob.m_segments.cbegin(), glob.m_segments.cend(),
                                      [](const Segment &s) { return s.globstar; });
    glob.m_depthBelowBase = globstar ? std::numeric_limits<int>::max() : int(glob.m_segments.size() - base.size());
    return glob;
}

bool PathGlob::matchSegment(const Segment &segment, QByteArrayView name)
{
    if (segment.literal)
        return name == segment.text;
    // Wildcard matching with one backtracking point: the last '*' seen takes one more
    // character each time the rest fails.
    const QList<Token> &tokens = segment.tokens;
    qsizetype p = 0;
    qsizetype n = 0;
    qsizetype starToken = -1;
    qsizetype starName = 0;
    while (n < name.size()) {
        if (p < tokens.size()) {
            const Token &t = tokens.at(p);
            if (t.kind == Token::Star) {
                starToken = p++;
                starName = n;
                continue;
            }
            if (t.kind == Token::Text && name.sliced(n).startsWith(t.text)) {
                n += t.text.size();
                ++p;
                continue;
            }
            if (t.kind == Token::AnyCharacter || t.kind == Token::Class) {
                const auto [c, length] = characterAt(name, n);
                bool in = t.kind == Token::AnyCharacter;
                for (qsizetype r = 0; !in && r + 1 < t.ranges.size(); r += 2)
                    in = c >= t.ranges.at(r) && c <= t.ranges.at(r + 1);
                if (t.kind == Token::Class && t.negated)
                    in = !in;
                if (in) {
                    n += length;
                    ++p;
                    continue;
                }
            }
        }
        if (starToken < 0)
            return false;
        starName += characterAt(name, starName).second;
        n = starName;
        p = starToken + 1;
    }
    while (p < tokens.size() && tokens.at(p).kind == Token::Star)
        ++p;
    return p == tokens.size();
}

bool PathGlob::matchFrom(qsizetype pi, const QList<QByteArrayView> &path, qsizetype pj) const
{
    for (; pi < m_segments.size(); ++pi, ++pj) {
        const Segment &segment = m_segments.at(pi);
        if (segment.globstar) {
            for (qsizetype k = pj; k <= path.size(); ++k) {
                if (matchFrom(pi + 1, path, k))
                    return true;
            }
            return false;
        }
        if (pj == path.size() || !matchSegment(segment, path.at(pj)))
            return false;
    }
    return pj == path.size();
}

bool PathGlob::prefixFrom(qsizetype pi, const QList<QByteArrayView> &path, qsizetype pj) const
{
    for (; pj < path.size(); ++pi, ++pj) {
        if (pi == m_segments.size())
            return false;
        const Segment &segment = m_segments.at(pi);
        if (segment.globstar)
            return true;  // "**" takes the rest of `path` and whatever follows
        if (!matchSegment(segment, path.at(pj)))
            return false;
    }
    return pi < m_segments.size();  // a segment is left for what is below
}

bool PathGlob::matches(QByteArrayView path, bool isDirectory) const
{
    if (m_directoriesOnly && !isDirectory)
        return false;
    return matchFrom(0, splitPath(path), 0);
}

bool PathGlob::mayMatchBelow(QByteArrayView directory) const
{
    return prefixFrom(0, splitPath(directory), 0);
}

Result<PathSelection> PathSelection::compile(const QStringList &patterns)
{
    PathSelection selection;
    for (const QString &given : patterns) {
        qsizetype bangs = 0;
        while (bangs < given.size() && given.at(bangs) == u'!')
            ++bangs;
        const QString text = given.mid(bangs);
        if (text.isEmpty())
            return globError(u"\"%1\" names nothing"_s.arg(given));
        Result<PathGlob> glob = PathGlob::compile(text);
        if (!glob.ok())
            return glob.error().withMessage(given + u' ' + glob.error().message());
        const bool exclude = bangs % 2 == 1;  // "!!x" includes again, as in @actions/glob
        selection.m_patterns << Pattern{given, std::move(*glob), exclude};
        (exclude ? selection.m_hasExcludes : selection.m_hasIncludes) = true;
    }
    return selection;
}

PathSelection::Verdict PathSelection::verdict(const Verdict &parent, QByteArrayView path, bool isDirectory,
                                              QList<bool> *matched) const
{
    if (parent.settled)
        return parent;
    Verdict v;
    v.decidedBy = parent.decidedBy;
    for (qsizetype j = parent.decidedBy + 1; j < m_patterns.size(); ++j) {
        if (m_patterns.at(j).glob.matches(path, isDirectory)) {
            v.decidedBy = int(j);
            if (matched)
                (*matched)[j] = true;
        }
    }
    if (!isDirectory) {
        v.settled = true;
        return v;
    }
    bool later = false;
    bool laterInclude = false;
    for (qsizetype j = v.decidedBy + 1; j < m_patterns.size() && !laterInclude; ++j) {
        if (m_patterns.at(j).glob.mayMatchBelow(path)) {
            later = true;
            laterInclude = !m_patterns.at(j).exclude;
        }
    }
    v.settled = !later;
    v.enter = selects(v) || laterInclude;
    return v;
}

PathSelection::Verdict PathSelection::verdictFromRoot(QByteArrayView path, bool isDirectory, QList<bool> *matched) const
{
    Verdict v = verdict(Verdict{}, QByteArrayView(), true, matched);
    if (path.isEmpty())
        return v;
    for (qsizetype slash = path.indexOf('/'); slash >= 0; slash = path.indexOf('/', slash + 1))
        v = verdict(v, path.first(slash), true, matched);
    return verdict(v, path, isDirectory, matched);
}

} // namespace s3cache
