#pragma once
// KeyTemplate: the template language of cache keys (`filename`, `path`, `prefix`, `restore_keys`).
// The syntax is Go's text/template, as drone-cache and the Vela docs write it, limited to what a
// cache key needs:
//
//   npm-{{ .Build.Branch }}-{{ hashFiles "**/package-lock.json" "**/yarn.lock" }}.tar.zst
//
//  - text outside `{{ }}` is kept as it is; a value without `{{` is not a template at all;
//  - `{{ .Repo.Org }}` a variable (TemplateContext::knownVariables(); an unset one is empty);
//  - `{{ checksum "go.sum" }}` SHA-256 (hex) of one file, relative to the workspace (filehash.h);
//  - `{{ hashFiles "pattern" ... }}` SHA-256 over every file matching the globs (filehash.h,
//    filematch.h);
//  - `{{ arch }}`, `{{ os }}` Go's names for this build (amd64/arm64, linux);
//  - `{{ epoch }}` seconds since 1970 (one value per run);
//  - `{{ "text" }}` / {{ `text` }} a literal; `{{/* comment */}}`; `{{-` and `-}}` trim the
//    white space before/after the action, as in Go.
// Arguments are quoted strings. Pipes, parentheses, if/range and anything else are syntax errors.
//
// Errors are ErrorKind::InvalidInput with code "BadTemplate" and a message starting with
// "position N: " (N counts characters from 1: the offending character for syntax errors, the
// action's "{{" for evaluation errors); the caller adds the parameter and the template.

#include "util/result.h"

#include <QHash>
#include <QList>
#include <QMap>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

#include <memory>

namespace s3cache {

struct TemplateContext
{
    // ".Repo.Org" -> "acme"; names not in knownVariables() are refused when parsing.
    QMap<QString, QString> variables;
    // Absolute; checksum and hashFiles read files below it and nowhere else.
    QString workspace;
    // The mount patterns (workspace-relative paths, globs, '!' excludes): hashFiles leaves out
    // what they select, which is what the cache restores, so restore and rebuild hash the same
    // files (filematch.h).
    QStringList excludedPaths;
    qint64 epoch = 0;
    QString os;
    QString arch;
    // Function results by call, shared by copies (a second evaluation reads no file again).
    std::shared_ptr<QHash<QString, QString>> cache = std::make_shared<QHash<QString, QString>>();

    // .Repo.Org, .Repo.Name, .Repo.Branch, .Build.Branch, .Build.Event, .Build.Tag,
    // .Build.Commit, .Build.Number
    static const QStringList &knownVariables();
    // The Vela variable behind each name (".Build.Branch" -> "VELA_BUILD_BRANCH"); .Repo.Org and
    // .Repo.Name are given as resolved (flags, VELA_REPO_*, REPOSITORY_*, VELA_REPO_FULL_NAME).
    static QString environmentVariable(const QString &variable);
    // Variables from `env`, epoch = now, os/arch of this build.
    static TemplateContext fromEnvironment(const QProcessEnvironment &env, const QString &org, const QString &repo,
                                           const QString &workspace, const QStringList &excludedPaths = {});
};

class KeyTemplate
{
public:
    // True when `text` contains "{{", i.e. is evaluated rather than taken literally.
    static bool isTemplate(const QString &text);
    // Syntax, unknown variables and functions, and argument counts are checked here.
    static Result<KeyTemplate> parse(const QString &text);

    Result<QString> evaluate(const TemplateContext &context) const;
    // Whether the template refers to `variable` (".Build.Branch").
    bool uses(const QString &variable) const;
    const QString &text() const { return m_text; }

private:
    struct Node
    {
        enum Kind { Text, Variable, Function };
        Kind kind = Text;
        QString value;      // the text, the variable name or the function name
        QStringList args;   // function arguments
        int position = 0;   // 1-based position of the action's "{{"
    };
    QString m_text;
    QList<Node> m_nodes;
};

} // namespace s3cache
