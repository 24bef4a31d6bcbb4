#include "keytemplate.h"

#include "filehash.h"

#include "util/platform.h"

#include <QDateTime>

namespace s3cache {

namespace {

using namespace Qt::StringLiterals;

Error templateError(qsizetype position, const QString &message)
{
    return Error(ErrorKind::InvalidInput, u"BadTemplate"_s, u"position %1: %2"_s.arg(QString::number(position + 1), message));
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
    context.os = platformOs();
    context.arch = platformArch();
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
            return templateError(head.position, u"%1 takes %2, got %3"_s.arg(head.value, wanted, QString::number(count)));
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

} // namespace s3cache
