#include "keytemplate.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QSet>
#include <QSysInfo>

#include <limits>

namespace s3cache {

namespace {

using namespace Qt::StringLiterals;

Error templateError(qsizetype position, const QString &message)
{
    return Error(ErrorKind::InvalidInput, u"BadTemplate"_s, u"position %1: %2"_s.arg(position + 1).arg(message));
}

Error functionError(const QString &message)
{
    return Error(ErrorKind::InvalidInput, u"BadTemplate"_s, message);
}

struct FunctionSpec
{
    QString name;
    int minArgs;
    int maxArgs;  // -1: any number
};

const QList<FunctionSpec> &functions()
{
    static const QList<FunctionSpec> list{
        {u"checksum"_s, 1, 1}, {u"hashFiles"_s, 1, -1}, {u"arch"_s, 0, 0}, {u"os"_s, 0, 0}, {u"epoch"_s, 0, 0}};
    return list;
}

bool isIdentifierStart(QChar c)
{
    return c.isLetter() || c == u'_';
}

bool isIdentifierChar(QChar c)
{
    return c.isLetterOrNumber() || c == u'_';
}

QString quoted(const QString &s)
{
    return u'"' + s + u'"';
}

// Go's GOARCH names, which drone-cache's {{ arch }} prints.
QString goArch()
{
    const QString arch = QSysInfo::buildCpuArchitecture();
    if (arch == u"x86_64")
        return u"amd64"_s;
    if (arch == u"i386")
        return u"386"_s;
    if (arch == u"power64")
        return u"ppc64"_s;
    if (arch == u"power64le")
        return u"ppc64le"_s;
    return arch;  // arm64, arm, riscv64, s390x, mips64 ... are spelled the same
}

QString canonicalWorkspace(const QString &workspace)
{
    return QFileInfo(workspace).canonicalFilePath();
}

bool isInside(const QString &canonicalPath, const QString &canonicalRoot)
{
    return canonicalRoot == u"/" ? canonicalPath.startsWith(u'/')
                                 : canonicalPath.startsWith(canonicalRoot + u'/');
}

Result<QByteArray> sha256OfFile(const QString &path, const QString &shown)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return functionError(u"cannot read '%1': %2"_s.arg(shown, file.errorString()));
    QCryptographicHash hash(QCryptographicHash::Sha256);
    if (!hash.addData(&file) || file.error() != QFileDevice::NoError)
        return functionError(u"cannot read '%1': %2"_s.arg(shown, file.errorString()));
    return hash.result().toHex();
}

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

const QStringList &TemplateContext::knownVariables()
{
    static const QStringList names{u".Repo.Org"_s,     u".Repo.Name"_s,    u".Repo.Branch"_s,
                                   u".Build.Branch"_s, u".Build.Event"_s,  u".Build.Tag"_s,
                                   u".Build.Commit"_s, u".Build.Number"_s};
    return names;
}

QString TemplateContext::environmentVariable(const QString &variable)
{
    static const QMap<QString, QString> names{
        {u".Repo.Org"_s, u"VELA_REPO_ORG"_s},         {u".Repo.Name"_s, u"VELA_REPO_NAME"_s},
        {u".Repo.Branch"_s, u"VELA_REPO_BRANCH"_s},   {u".Build.Branch"_s, u"VELA_BUILD_BRANCH"_s},
        {u".Build.Event"_s, u"VELA_BUILD_EVENT"_s},   {u".Build.Tag"_s, u"VELA_BUILD_TAG"_s},
        {u".Build.Commit"_s, u"VELA_BUILD_COMMIT"_s}, {u".Build.Number"_s, u"VELA_BUILD_NUMBER"_s}};
    return names.value(variable);
}

TemplateContext TemplateContext::fromEnvironment(const QProcessEnvironment &env, const QString &org,
                                                 const QString &repo, const QString &workspace,
                                                 const QStringList &excludedPaths)
{
    TemplateContext context;
    for (const QString &name : knownVariables())
        context.variables.insert(name, env.value(environmentVariable(name)).trimmed());
    context.variables.insert(u".Repo.Org"_s, org);
    context.variables.insert(u".Repo.Name"_s, repo);
    context.workspace = workspace;
    context.excludedPaths = excludedPaths;
    context.epoch = QDateTime::currentSecsSinceEpoch();
    context.os = QSysInfo::kernelType();
    context.arch = goArch();
    return context;
}

bool KeyTemplate::isTemplate(const QString &text)
{
    return text.contains(u"{{");
}

Result<KeyTemplate> KeyTemplate::parse(const QString &text)
{
    KeyTemplate result;
    result.m_text = text;
    const qsizetype n = text.size();
    qsizetype i = 0;
    bool trimNextText = false;

    const auto addText = [&result](const QString &chunk) {
        if (!chunk.isEmpty())
            result.m_nodes.append(Node{Node::Text, chunk, {}, 0});
    };
    const auto skipSpace = [&text, n](qsizetype p) {
        while (p < n && text[p].isSpace())
            ++p;
        return p;
    };

    while (i < n) {
        const qsizetype open = text.indexOf(u"{{", i);
        QString chunk = text.mid(i, open < 0 ? -1 : open - i);
        if (trimNextText) {
            qsizetype k = 0;
            while (k < chunk.size() && chunk[k].isSpace())
                ++k;
            chunk = chunk.mid(k);
        }
        if (open < 0) {
            addText(chunk);
            break;
        }
        qsizetype p = open + 2;
        if (p + 1 < n && text[p] == u'-' && text[p + 1].isSpace()) {
            while (!chunk.isEmpty() && chunk.back().isSpace())
                chunk.chop(1);
            p += 2;
        }
        addText(chunk);

        // One action: tokens up to "}}" (or " -}}").
        struct Token { enum Kind { Field, Identifier, String } kind; QString value; qsizetype position; };
        QList<Token> tokens;
        bool closed = false;
        trimNextText = false;
        p = skipSpace(p);
        if (p + 1 < n && text[p] == u'/' && text[p + 1] == u'*') {
            const qsizetype end = text.indexOf(u"*/", p + 2);
            if (end < 0)
                return templateError(p, u"comment '/*' is never closed with '*/'"_s);
            p = skipSpace(end + 2);
            tokens.clear();
            if (p + 2 < n && text[p] == u'-' && text.mid(p + 1, 2) == u"}}") {
                trimNextText = true;
                p += 1;
            }
            if (text.mid(p, 2) != u"}}")
                return templateError(p, u"a comment must be the whole action: expected '}}'"_s);
            i = p + 2;
            continue;
        }
        while (p < n) {
            if (text.mid(p, 2) == u"}}") {
                closed = true;
                p += 2;
                break;
            }
            const QChar c = text[p];
            if (c == u'-' && text.mid(p + 1, 2) == u"}}" && p > 0 && text[p - 1].isSpace()) {
                trimNextText = true;
                closed = true;
                p += 3;
                break;
            }
            if (c.isSpace()) {
                ++p;
                continue;
            }
            const qsizetype start = p;
            if (c == u'.') {
                ++p;
                while (p < n && (isIdentifierChar(text[p]) || text[p] == u'.'))
                    ++p;
                tokens.append({Token::Field, text.mid(start, p - start), start});
            } else if (isIdentifierStart(c)) {
                while (p < n && isIdentifierChar(text[p]))
                    ++p;
                tokens.append({Token::Identifier, text.mid(start, p - start), start});
            } else if (c == u'"') {
                QString value;
                ++p;
                bool ended = false;
                while (p < n) {
                    const QChar s = text[p];
                    if (s == u'"') {
                        ended = true;
                        ++p;
                        break;
                    }
                    if (s == u'\\') {
                        if (p + 1 >= n)
                            break;
                        const QChar e = text[p + 1];
                        if (e == u'"' || e == u'\\')
                            value += e;
                        else if (e == u'n')
                            value += u'\n';
                        else if (e == u't')
                            value += u'\t';
                        else
                            return templateError(p, u"unknown escape '\\%1' in a string"_s.arg(e));
                        p += 2;
                        continue;
                    }
                    value += s;
                    ++p;
                }
                if (!ended)
                    return templateError(start, u"string is never closed with '\"'"_s);
                tokens.append({Token::String, value, start});
            } else if (c == u'`') {
                const qsizetype end = text.indexOf(u'`', p + 1);
                if (end < 0)
                    return templateError(start, u"string is never closed with '`'"_s);
                tokens.append({Token::String, text.mid(p + 1, end - p - 1), start});
                p = end + 1;
            } else {
                return templateError(p, u"unexpected '%1'; an action holds a variable (.Build.Branch), a function "
                                        "with quoted arguments (checksum \"go.sum\") or a quoted string"_s.arg(c));
            }
        }
        if (!closed)
            return templateError(open, u"'{{' is never closed with '}}'"_s);
        i = p;

        if (tokens.isEmpty())
            return templateError(open, u"empty action '{{ }}'"_s);
        const Token &head = tokens.constFirst();
        if (head.kind != Token::Identifier) {
            if (tokens.size() > 1)
                return templateError(tokens[1].position, u"unexpected '%1' after %2; only functions take arguments"_s
                                                             .arg(text.mid(tokens[1].position, 1), text.mid(head.position, tokens[1].position - head.position).trimmed()));
            if (head.kind == Token::String) {
                addText(head.value);
                continue;
            }
            if (!TemplateContext::knownVariables().contains(head.value))
                return templateError(head.position, u"unknown variable %1; known: %2"_s
                                                        .arg(head.value, TemplateContext::knownVariables().join(u", "_s)));
            result.m_nodes.append(Node{Node::Variable, head.value, {}, static_cast<int>(open + 1)});
            continue;
        }
        const auto spec = std::find_if(functions().cbegin(), functions().cend(),
                                       [&head](const FunctionSpec &f) { return f.name == head.value; });
        if (spec == functions().cend()) {
            QStringList names;
            for (const FunctionSpec &f : functions())
                names << f.name;
            QString hint;
            if (head.value == u"true" || head.value == u"false" || head.value == u"nil" || head.value == u"if"
                || head.value == u"range" || head.value == u"with" || head.value == u"end")
                hint = u" (only variables, functions and strings are supported)"_s;
            return templateError(head.position, u"unknown function '%1'; known: %2%3"_s
                                                    .arg(head.value, names.join(u", "_s), hint));
        }
        QStringList args;
        for (qsizetype t = 1; t < tokens.size(); ++t) {
            if (tokens[t].kind != Token::String) {
                qsizetype end = tokens[t].position;
                while (end < n && !text[end].isSpace() && text[end] != u'}')
                    ++end;
                return templateError(tokens[t].position, u"argument %1 of %2 must be a quoted string"_s
                                                             .arg(text.mid(tokens[t].position, end - tokens[t].position), head.value));
            }
            args << tokens[t].value;
        }
        const int count = static_cast<int>(args.size());
        if (count < spec->minArgs || (spec->maxArgs >= 0 && count > spec->maxArgs)) {
            const QString wanted = spec->maxArgs == 0 ? u"no arguments"_s
                                 : spec->maxArgs == 1 ? u"one quoted argument"_s
                                                      : u"at least one quoted argument"_s;
            return templateError(head.position, u"%1 takes %2, got %3"_s.arg(head.value, wanted).arg(count));
        }
        result.m_nodes.append(Node{Node::Function, head.value, args, static_cast<int>(open + 1)});
    }
    return result;
}

bool KeyTemplate::uses(const QString &variable) const
{
    return std::any_of(m_nodes.cbegin(), m_nodes.cend(),
                       [&variable](const Node &node) { return node.kind == Node::Variable && node.value == variable; });
}

Result<QString> KeyTemplate::evaluate(const TemplateContext &context) const
{
    QString out;
    for (const Node &node : m_nodes) {
        switch (node.kind) {
        case Node::Text:
            out += node.value;
            break;
        case Node::Variable:
            out += context.variables.value(node.value);
            break;
        case Node::Function: {
            if (node.value == u"arch") {
                out += context.arch;
                break;
            }
            if (node.value == u"os") {
                out += context.os;
                break;
            }
            if (node.value == u"epoch") {
                out += QString::number(context.epoch);
                break;
            }
            const QString cacheKey = node.value + u'\n' + node.args.join(u'\n');
            if (context.cache && context.cache->contains(cacheKey)) {
                out += context.cache->value(cacheKey);
                break;
            }
            const Result<QString> value = node.value == u"checksum"
                ? fileChecksum(context.workspace, node.args.constFirst())
                : hashFiles(context.workspace, node.args, context.excludedPaths);
            if (!value.ok())
                return templateError(node.position - 1, u"%1: %2"_s.arg(node.value, value.error().message()));
            if (context.cache)
                context.cache->insert(cacheKey, *value);
            out += *value;
            break;
        }
        }
    }
    return out;
}

Result<QString> fileChecksum(const QString &workspace, const QString &path)
{
    const QString root = canonicalWorkspace(workspace);
    if (root.isEmpty())
        return functionError(u"the workspace %1 does not exist"_s.arg(workspace));
    if (path.isEmpty())
        return functionError(u"no file name given"_s);
    if (QDir::isAbsolutePath(path))
        return functionError(u"'%1' is not relative to the workspace %2"_s.arg(path, workspace));
    const QFileInfo info(QDir(workspace).filePath(path));
    if (!info.exists())
        return functionError(u"'%1' does not exist in the workspace %2"_s.arg(path, workspace));
    const QString target = info.canonicalFilePath();
    if (!isInside(target, root))
        return functionError(u"'%1' is outside the workspace %2"_s.arg(path, workspace));
    if (!QFileInfo(target).isFile())
        return functionError(u"'%1' is not a file"_s.arg(path));
    const Result<QByteArray> hash = sha256OfFile(target, path);
    if (!hash.ok())
        return hash.error();
    return QString::fromLatin1(*hash);
}

Result<QStringList> matchFiles(const QString &workspace, const QStringList &patterns, const QStringList &excludedPaths)
{
    const QString root = canonicalWorkspace(workspace);
    if (root.isEmpty())
        return functionError(u"the workspace %1 does not exist"_s.arg(workspace));
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
            return functionError(u"pattern \"%1\" must name files relative to the workspace (no leading '/', "
                                 "no '..')"_s.arg(original));
        c.regex = globRegex(*relative);
        if (!c.regex.isValid())
            return functionError(u"pattern \"%1\" is not a valid glob: %2"_s.arg(original, c.regex.errorString()));
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

Result<QString> hashFiles(const QString &workspace, const QStringList &patterns, const QStringList &excludedPaths)
{
    const Result<QStringList> files = matchFiles(workspace, patterns, excludedPaths);
    if (!files.ok())
        return files.error();
    if (files->isEmpty()) {
        QStringList shown;
        for (const QString &p : patterns)
            shown << quoted(p);
        return functionError(u"no file in the workspace %1 matches %2"_s.arg(workspace, shown.join(u" "_s)));
    }
    QCryptographicHash total(QCryptographicHash::Sha256);
    const QDir dir(workspace);
    for (const QString &file : *files) {
        const Result<QByteArray> hash = sha256OfFile(dir.filePath(file), file);
        if (!hash.ok())
            return hash.error();
        total.addData(*hash + "  " + file.toUtf8() + "\n");
    }
    return QString::fromLatin1(total.result().toHex());
}

} // namespace s3cache
