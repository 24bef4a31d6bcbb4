// Cache key templates (issue 9): the template language row by row (variables, functions, trim
// markers, literals), glob matching for hashFiles (sorted, .git and mounts skipped, symlinks
// never followed out of the workspace), syntax and evaluation errors with their positions, and
// how resolveConfig() uses templates: evaluated keys, restore keys, the default-branch fallback.

#include "config/config.h"
#include "config/filehash.h"
#include "config/filematch.h"
#include "config/keytemplate.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace s3cache;

namespace {

QString sha256(const QByteArray &data)
{
    return QString::fromLatin1(QCryptographicHash::hash(data, QCryptographicHash::Sha256).toHex());
}

} // namespace

class TestKeyTemplate : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();

    void evaluate_data();
    void evaluate();
    void errors_data();
    void errors();
    void matchFiles_data();
    void matchFiles();
    void hashFilesIsSha256sumOfSortedFiles();
    void usesVariable();
    void functionResultsAreShared();
    void contextFromEnvironment();

    void resolve_data();
    void resolve();
    void resolveErrors_data();
    void resolveErrors();
    void nonTemplatesAreUnchanged();

private:
    void write(const QString &relative, const QByteArray &data);
    QString ws() const { return m_dir.path() + QStringLiteral("/ws"); }
    TemplateContext context() const;
    // sha256 of "<sha256>  <path>\n" for each (path, content), in the given order.
    static QString hashOf(const QList<std::pair<QString, QByteArray>> &files);
    Result<Config> resolveWith(const QStringList &args, const QStringList &env);

    QTemporaryDir m_dir;
};

void TestKeyTemplate::write(const QString &relative, const QByteArray &data)
{
    const QString path = ws() + u'/' + relative;
    QVERIFY(QDir().mkpath(QFileInfo(path).absolutePath()));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(data);
}

void TestKeyTemplate::initTestCase()
{
    QVERIFY(m_dir.isValid());
    write(QStringLiteral("go.sum"), "go sum\n");
    write(QStringLiteral("xo.sum"), "xo sum\n");
    write(QStringLiteral("sub/x.sum"), "sub sum\n");
    write(QStringLiteral("package-lock.json"), "root lock\n");
    write(QStringLiteral("app/package-lock.json"), "app lock\n");
    write(QStringLiteral("app/yarn.lock"), "app yarn\n");
    write(QStringLiteral("node_modules/dep/package-lock.json"), "dependency lock\n");  // a mount
    write(QStringLiteral(".git/package-lock.json"), "git internals\n");
    write(QStringLiteral("sub/.git/package-lock.json"), "submodule internals\n");
    write(QStringLiteral("dir/.hidden/package-lock.json"), "hidden lock\n");
    QVERIFY(QDir().mkpath(ws() + QStringLiteral("/emptydir")));
    write(QStringLiteral("../outside/package-lock.json"), "outside lock\n");
    write(QStringLiteral("../outside/secret.txt"), "outside\n");
    // Links: a file link that stays inside counts; one that leaves does not; folders are not entered.
    QVERIFY(QFile::link(QStringLiteral("../go.sum"), ws() + QStringLiteral("/sub/linked.sum")));
    QVERIFY(QFile::link(QStringLiteral("../outside/secret.txt"), ws() + QStringLiteral("/link-out.sum")));
    QVERIFY(QFile::link(QStringLiteral("../outside"), ws() + QStringLiteral("/link-dir")));
    QVERIFY(QFile::link(QStringLiteral("app"), ws() + QStringLiteral("/link-app")));
}

TemplateContext TestKeyTemplate::context() const
{
    TemplateContext c;
    c.variables = {{QStringLiteral(".Repo.Org"), QStringLiteral("acme")},
                   {QStringLiteral(".Repo.Name"), QStringLiteral("webapp")},
                   {QStringLiteral(".Repo.Branch"), QStringLiteral("main")},
                   {QStringLiteral(".Build.Branch"), QStringLiteral("feature/login")},
                   {QStringLiteral(".Build.Event"), QStringLiteral("push")},
                   {QStringLiteral(".Build.Tag"), QString()},
                   {QStringLiteral(".Build.Commit"), QStringLiteral("0123abc")},
                   {QStringLiteral(".Build.Number"), QStringLiteral("42")}};
    c.workspace = ws();
    c.excludedPaths = {QStringLiteral("node_modules")};
    c.epoch = 1700000000;
    c.os = QStringLiteral("linux");
    c.arch = QStringLiteral("amd64");
    return c;
}

QString TestKeyTemplate::hashOf(const QList<std::pair<QString, QByteArray>> &files)
{
    QByteArray text;
    for (const auto &[path, content] : files)
        text += sha256(content).toLatin1() + "  " + path.toUtf8() + "\n";
    return sha256(text);
}

void TestKeyTemplate::evaluate_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expected");

    const auto s = [](const char *text) { return QString::fromUtf8(text); };
    QTest::newRow("plain") << s("archive.tar.zst") << s("archive.tar.zst");
    QTest::newRow("closing-braces-alone") << s("a}}b") << s("a}}b");
    QTest::newRow("repo") << s("{{ .Repo.Org }}/{{ .Repo.Name }}") << s("acme/webapp");
    QTest::newRow("build") << s("{{ .Build.Branch }}-{{ .Build.Event }}-{{ .Build.Commit }}-{{ .Build.Number }}")
                           << s("feature/login-push-0123abc-42");
    QTest::newRow("default-branch") << s("{{ .Repo.Branch }}") << s("main");
    QTest::newRow("unset-is-empty") << s("tag-{{ .Build.Tag }}-x") << s("tag--x");
    QTest::newRow("no-spaces") << s("{{.Build.Branch}}") << s("feature/login");
    QTest::newRow("many-spaces") << s("{{   .Build.Event\t}}") << s("push");
    QTest::newRow("trim-markers") << s("a \t{{- .Build.Event -}}\n b") << s("apushb");
    QTest::newRow("trim-left-only") << s("a {{- .Build.Event }} b") << s("apush b");
    QTest::newRow("string-literal") << s("{{ \"{{\" }}x{{ \"}}\" }}") << s("{{x}}");
    QTest::newRow("string-escapes") << s("{{ \"a\\\"b\\\\c\" }}") << s("a\"b\\c");
    QTest::newRow("raw-string") << s("{{ `a\\b` }}") << s("a\\b");
    QTest::newRow("comment") << s("a{{/* why */}}b") << s("ab");
    QTest::newRow("comment-trim") << s("a {{- /* why */ -}} b") << s("ab");
    QTest::newRow("arch-os-epoch") << s("{{ os }}-{{ arch }}-{{ epoch }}") << s("linux-amd64-1700000000");
    QTest::newRow("checksum") << s("go-{{ checksum \"go.sum\" }}") << s("go-") + sha256("go sum\n");
    QTest::newRow("checksum-dot-slash") << s("{{ checksum \"./sub/x.sum\" }}") << sha256("sub sum\n");
    QTest::newRow("checksum-link-inside") << s("{{ checksum \"sub/linked.sum\" }}") << sha256("go sum\n");
    QTest::newRow("hashFiles-one") << s("{{ hashFiles \"go.sum\" }}") << hashOf({{s("go.sum"), "go sum\n"}});
    // Sorted by path, each file once, .git and the mounts (node_modules) skipped, dot folders
    // searched, linked folders not entered.
    QTest::newRow("hashFiles-npm-yarn") << s("npm-{{ hashFiles \"**/package-lock.json\" \"**/yarn.lock\" \"app/*\" }}")
        << s("npm-") + hashOf({{s("app/package-lock.json"), "app lock\n"}, {s("app/yarn.lock"), "app yarn\n"},
                               {s("dir/.hidden/package-lock.json"), "hidden lock\n"},
                               {s("package-lock.json"), "root lock\n"}});
    QTest::newRow("hashFiles-order-of-patterns-irrelevant")
        << s("{{ hashFiles \"app/yarn.lock\" \"app/package-lock.json\" }}")
        << hashOf({{s("app/package-lock.json"), "app lock\n"}, {s("app/yarn.lock"), "app yarn\n"}});
    QTest::newRow("hashFiles-negation") << s("{{ hashFiles \"**/*.sum\" \"!sub/**\" }}")
        << hashOf({{s("go.sum"), "go sum\n"}, {s("xo.sum"), "xo sum\n"}});
}

void TestKeyTemplate::evaluate()
{
    QFETCH(QString, text);
    QFETCH(QString, expected);
    QCOMPARE(KeyTemplate::isTemplate(text), text.contains(QStringLiteral("{{")));
    const Result<KeyTemplate> parsed = KeyTemplate::parse(text);
    QVERIFY2(parsed.ok(), qPrintable(parsed.error().message()));
    QCOMPARE(parsed->text(), text);
    const Result<QString> value = parsed->evaluate(context());
    QVERIFY2(value.ok(), qPrintable(value.error().message()));
    QCOMPARE(*value, expected);
}

void TestKeyTemplate::errors_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("message");  // the whole message, "$WS" for the workspace

    const auto row = [](const char *name, const char *text, const char *message) {
        QTest::newRow(name) << QString::fromUtf8(text) << QString::fromUtf8(message);
    };
    // Syntax: found by parse(); the position is the offending character.
    row("unclosed", "a-{{ .Build.Branch", "position 3: '{{' is never closed with '}}'");
    row("empty", "x{{ }}", "position 2: empty action '{{ }}'");
    row("unknown-function", "{{ lower \"A\" }}",
        "position 4: unknown function 'lower'; known: checksum, hashFiles, arch, os, epoch");
    row("unknown-variable", "k-{{ .Repo.Owner }}",
        "position 6: unknown variable .Repo.Owner; known: .Repo.Org, .Repo.Name, .Repo.Branch, .Build.Branch, "
        ".Build.Event, .Build.Tag, .Build.Commit, .Build.Number");
    row("checksum-no-argument", "{{ checksum }}", "position 4: checksum takes one quoted argument, got 0");
    row("checksum-two-arguments", "{{ checksum \"a\" \"b\" }}", "position 4: checksum takes one quoted argument, got 2");
    row("hashFiles-no-argument", "{{ hashFiles }}", "position 4: hashFiles takes at least one quoted argument, got 0");
    row("arch-with-argument", "{{ arch \"x\" }}", "position 4: arch takes no arguments, got 1");
    row("unquoted-argument", "{{ checksum go.sum }}", "position 13: argument go.sum of checksum must be a quoted string");
    row("pipe", "{{ .Build.Branch | lower }}",
        "position 18: unexpected '|'; an action holds a variable (.Build.Branch), a function with quoted "
        "arguments (checksum \"go.sum\") or a quoted string");
    row("variable-with-argument", "{{ .Build.Branch \"x\" }}",
        "position 18: unexpected '\"' after .Build.Branch; only functions take arguments");
    row("unclosed-string", "{{ \"abc }}", "position 4: string is never closed with '\"'");
    row("bad-escape", "{{ \"a\\qb\" }}", "position 6: unknown escape '\\q' in a string");
    row("unclosed-comment", "{{/* note }}", "position 3: comment '/*' is never closed with '*/'");
    row("if", "{{ if .Build.Tag }}", "position 4: unknown function 'if'; known: checksum, hashFiles, arch, os, "
                                     "epoch (only variables, functions and strings are supported)");
    // Evaluation: the position is the action's "{{".
    row("checksum-missing", "ab{{ checksum \"missing.sum\" }}",
        "position 3: checksum: 'missing.sum' does not exist in the workspace $WS");
    row("checksum-outside", "{{ checksum \"../outside/secret.txt\" }}",
        "position 1: checksum: '../outside/secret.txt' is outside the workspace $WS");
    row("checksum-link-outside", "{{ checksum \"link-out.sum\" }}",
        "position 1: checksum: 'link-out.sum' is outside the workspace $WS");
    row("checksum-absolute", "{{ checksum \"/etc/hostname\" }}",
        "position 1: checksum: '/etc/hostname' is not relative to the workspace $WS");
    row("checksum-folder", "{{ checksum \"emptydir\" }}", "position 1: checksum: 'emptydir' is not a file");
    row("hashFiles-nothing", "x-{{ hashFiles \"**/*.gradle\" \"pom.xml\" }}",
        "position 3: hashFiles: no file in the workspace $WS matches \"**/*.gradle\" \"pom.xml\"");
    row("hashFiles-only-outside", "{{ hashFiles \"link-dir/*\" }}",
        "position 1: hashFiles: no file in the workspace $WS matches \"link-dir/*\"");
    row("hashFiles-dotdot", "{{ hashFiles \"../outside/*\" }}",
        "position 1: hashFiles: pattern \"../outside/*\" must name files relative to the workspace (no leading "
        "'/', no '..')");
    row("hashFiles-absolute", "{{ hashFiles \"/etc/*\" }}",
        "position 1: hashFiles: pattern \"/etc/*\" must name files relative to the workspace (no leading '/', no '..')");
}

void TestKeyTemplate::errors()
{
    QFETCH(QString, text);
    QFETCH(QString, message);
    message.replace(QStringLiteral("$WS"), ws());
    const Result<KeyTemplate> parsed = KeyTemplate::parse(text);
    const Result<QString> value = parsed.ok() ? parsed->evaluate(context()) : Result<QString>(parsed.error());
    QVERIFY2(!value.ok(), qPrintable(value.ok() ? *value : QString()));
    QCOMPARE(value.error().kind(), ErrorKind::InvalidInput);
    QCOMPARE(value.error().code(), QStringLiteral("BadTemplate"));
    QCOMPARE(value.error().message(), message);
}

void TestKeyTemplate::matchFiles_data()
{
    QTest::addColumn<QStringList>("patterns");
    QTest::addColumn<QStringList>("excluded");
    QTest::addColumn<QStringList>("expected");

    const auto l = [](std::initializer_list<const char *> items) {
        QStringList out;
        for (const char *i : items)
            out << QString::fromUtf8(i);
        return out;
    };
    const QStringList mounts = l({"node_modules"});
    QTest::newRow("literal") << l({"go.sum"}) << mounts << l({"go.sum"});
    QTest::newRow("star-stays-in-folder") << l({"*.sum"}) << mounts << l({"go.sum", "xo.sum"});
    QTest::newRow("globstar") << l({"**/*.sum"}) << mounts << l({"go.sum", "sub/linked.sum", "sub/x.sum", "xo.sum"});
    QTest::newRow("under-folder") << l({"sub/**"}) << mounts << l({"sub/linked.sum", "sub/x.sum"});
    QTest::newRow("question-mark") << l({"?o.sum"}) << mounts << l({"go.sum", "xo.sum"});
    QTest::newRow("class") << l({"[g]o.sum"}) << mounts << l({"go.sum"});
    QTest::newRow("negated-class") << l({"[!g]o.sum"}) << mounts << l({"xo.sum"});
    QTest::newRow("dot-slash") << l({"./app/yarn.lock"}) << mounts << l({"app/yarn.lock"});
    QTest::newRow("mount-skipped") << l({"**/package-lock.json"}) << mounts
                                   << l({"app/package-lock.json", "dir/.hidden/package-lock.json", "package-lock.json"});
    QTest::newRow("no-mounts") << l({"**/package-lock.json"}) << QStringList()
                               << l({"app/package-lock.json", "dir/.hidden/package-lock.json",
                                     "node_modules/dep/package-lock.json", "package-lock.json"});
    // Mount globs and excludes: hashFiles leaves out exactly what rebuild archives.
    QTest::newRow("mount-glob-skipped") << l({"**/package-lock.json"}) << l({"**/node_modules"})
                                        << l({"app/package-lock.json", "dir/.hidden/package-lock.json", "package-lock.json"});
    QTest::newRow("mount-exclude-is-hashed") << l({"**/package-lock.json"}) << l({"node_modules", "!node_modules/dep"})
                                             << l({"app/package-lock.json", "dir/.hidden/package-lock.json",
                                                   "node_modules/dep/package-lock.json", "package-lock.json"});
    QTest::newRow("mount-glob-files") << l({"**/package-lock.json"}) << l({"*/package-lock.json", "node_modules"})
                                      << l({"dir/.hidden/package-lock.json", "package-lock.json"});
    QTest::newRow("mount-glob-dot-folder") << l({"**/package-lock.json"}) << l({"**/.hidden", "node_modules"})
                                           << l({"app/package-lock.json", "package-lock.json"});
    QTest::newRow("mount-dot-is-not-everything") << l({"go.sum"}) << l({"."}) << l({"go.sum"});
    QTest::newRow("git-never") << l({".git/*", "sub/.git/*"}) << mounts << QStringList();
    QTest::newRow("negation") << l({"**/*.sum", "!**/x*"}) << mounts << l({"go.sum", "sub/linked.sum"});
    QTest::newRow("link-folder-not-entered") << l({"link-app/*", "link-dir/*"}) << mounts << QStringList();
}

void TestKeyTemplate::matchFiles()
{
    QFETCH(QStringList, patterns);
    QFETCH(QStringList, excluded);
    QFETCH(QStringList, expected);
    const Result<QStringList> files = s3cache::matchFiles(ws(), patterns, excluded);
    QVERIFY2(files.ok(), qPrintable(files.error().message()));
    QCOMPARE(*files, expected);
}

void TestKeyTemplate::hashFilesIsSha256sumOfSortedFiles()
{
    // The same value as `sha256sum app/package-lock.json app/yarn.lock | sha256sum`.
    const Result<QString> h = hashFiles(ws(), {QStringLiteral("app/*")});
    QVERIFY(h.ok());
    const QByteArray listing = sha256("app lock\n").toLatin1() + "  app/package-lock.json\n"
                               + sha256("app yarn\n").toLatin1() + "  app/yarn.lock\n";
    QCOMPARE(*h, sha256(listing));
    QCOMPARE(h->size(), 64);
}

void TestKeyTemplate::usesVariable()
{
    const Result<KeyTemplate> t = KeyTemplate::parse(QStringLiteral("{{ .Build.Branch }}-{{ checksum \"go.sum\" }}"));
    QVERIFY(t.ok());
    QVERIFY(t->uses(QStringLiteral(".Build.Branch")));
    QVERIFY(!t->uses(QStringLiteral(".Build.Tag")));
    QVERIFY(!KeyTemplate::parse(QStringLiteral("{{ \".Build.Branch\" }}"))->uses(QStringLiteral(".Build.Branch")));
}

void TestKeyTemplate::functionResultsAreShared()
{
    const QString file = QStringLiteral("changing.sum");
    write(file, "one");
    const TemplateContext c = context();
    const Result<KeyTemplate> t = KeyTemplate::parse(QStringLiteral("{{ checksum \"changing.sum\" }}"));
    QCOMPARE(*t->evaluate(c), sha256("one"));
    write(file, "two");
    TemplateContext copy = c;  // e.g. the default-branch evaluation: the same run, the same value
    copy.variables.insert(QStringLiteral(".Build.Branch"), QStringLiteral("main"));
    QCOMPARE(*t->evaluate(copy), sha256("one"));
    QCOMPARE(*t->evaluate(context()), sha256("two"));
    QVERIFY(QFile::remove(ws() + u'/' + file));
}

void TestKeyTemplate::contextFromEnvironment()
{
    QProcessEnvironment env;
    env.insert(QStringLiteral("VELA_BUILD_BRANCH"), QStringLiteral("dev"));
    env.insert(QStringLiteral("VELA_BUILD_COMMIT"), QStringLiteral("abc"));
    env.insert(QStringLiteral("VELA_REPO_BRANCH"), QStringLiteral("main"));
    env.insert(QStringLiteral("VELA_REPO_ORG"), QStringLiteral("ignored"));
    const TemplateContext c = TemplateContext::fromEnvironment(env, QStringLiteral("acme"), QStringLiteral("webapp"), ws());
    QCOMPARE(c.variables.value(QStringLiteral(".Build.Branch")), QStringLiteral("dev"));
    QCOMPARE(c.variables.value(QStringLiteral(".Build.Commit")), QStringLiteral("abc"));
    QCOMPARE(c.variables.value(QStringLiteral(".Repo.Branch")), QStringLiteral("main"));
    QCOMPARE(c.variables.value(QStringLiteral(".Repo.Org")), QStringLiteral("acme"));  // as resolved
    QCOMPARE(c.variables.value(QStringLiteral(".Build.Tag")), QString());
    QCOMPARE(c.os, QStringLiteral("linux"));
    QVERIFY(!c.arch.isEmpty() && c.arch != u"x86_64");
    QVERIFY(qAbs(c.epoch - QDateTime::currentSecsSinceEpoch()) < 60);
    QCOMPARE(c.variables.keys().size(), TemplateContext::knownVariables().size());
}

// ---------------------------------------------------------------------------------------------
// resolveConfig() with templates

Result<Config> TestKeyTemplate::resolveWith(const QStringList &args, const QStringList &env)
{
    QProcessEnvironment e;
    e.insert(QStringLiteral("PARAMETER_SERVER"), QStringLiteral("file://") + m_dir.path() + QStringLiteral("/store"));
    e.insert(QStringLiteral("VELA_REPO_ORG"), QStringLiteral("acme"));
    e.insert(QStringLiteral("VELA_REPO_NAME"), QStringLiteral("webapp"));
    e.insert(QStringLiteral("PARAMETER_WORKSPACE"), ws());
    for (const QString &v : env)
        e.insert(v.left(v.indexOf(u'=')), v.mid(v.indexOf(u'=') + 1));
    const Result<CommandLine> cmd = parseCommandLine(args);
    if (!cmd.ok())
        return cmd.error();
    return resolveConfig(*cmd, e, m_dir.path() + QStringLiteral("/vela"));
}

void TestKeyTemplate::resolve_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QStringList>("env");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QStringList>("restoreKeys");
    QTest::addColumn<QString>("defaultBranchKey");
    QTest::addColumn<QStringList>("defaultBranchRestoreKeys");

    const auto s = [](const char *text) { return QString::fromUtf8(text); };
    const QString goSum = sha256("go sum\n");
    const QStringList branches{s("VELA_BUILD_BRANCH=feature/login"), s("VELA_REPO_BRANCH=main")};

    QTest::newRow("filename-template") << QStringList{s("restore")}
        << QStringList{s("PARAMETER_FILENAME=go-{{ checksum \"go.sum\" }}.tar.zst")}
        << s("acme/webapp/go-") + goSum + s(".tar.zst") << QStringList() << QString() << QStringList();
    QTest::newRow("restore-keys-under-repo") << QStringList{s("restore")}
        << QStringList{s("PARAMETER_FILENAME=go-{{ checksum \"go.sum\" }}.tar.zst"), s("PARAMETER_RESTORE_KEYS=[\"go-\",\"g\"]")}
        << s("acme/webapp/go-") + goSum + s(".tar.zst") << QStringList{s("acme/webapp/go-"), s("acme/webapp/g")}
        << QString() << QStringList();
    QTest::newRow("restore-keys-with-path-are-whole-keys") << QStringList{s("restore"), s("--key"), s("team/{{ os }}/c.tar.zst"),
                                                                         s("--restore-keys"), s("team/{{ os }}/"), s("--restore-keys=team/")}
        << QStringList() << s("team/linux/c.tar.zst") << QStringList{s("team/linux/"), s("team/")} << QString() << QStringList();
    QTest::newRow("prefix-template") << QStringList{s("restore")} << QStringList{s("PARAMETER_PREFIX={{ os }}/ci")}
        << s("linux/ci/acme/webapp/archive.tar.zst") << QStringList() << QString() << QStringList();
    QTest::newRow("branch-in-filename") << QStringList{s("restore")}
        << branches + QStringList{s("PARAMETER_FILENAME={{ .Build.Branch }}-go.tar.zst"),
                                  s("PARAMETER_RESTORE_KEYS={{ .Build.Branch }}-,shared-")}
        << s("acme/webapp/feature/login-go.tar.zst") << QStringList{s("acme/webapp/feature/login-"), s("acme/webapp/shared-")}
        << s("acme/webapp/main-go.tar.zst") << QStringList{s("acme/webapp/main-")};
    QTest::newRow("branch-in-prefix") << QStringList{s("restore")}
        << branches + QStringList{s("PARAMETER_PREFIX=b/{{ .Build.Branch }}"), s("PARAMETER_RESTORE_KEYS=npm-")}
        << s("b/feature/login/acme/webapp/archive.tar.zst") << QStringList{s("b/feature/login/acme/webapp/npm-")}
        << s("b/main/acme/webapp/archive.tar.zst") << QStringList{s("b/main/acme/webapp/npm-")};
    QTest::newRow("branch-only-in-restore-keys") << QStringList{s("restore")}
        << branches + QStringList{s("PARAMETER_RESTORE_KEYS={{ .Build.Branch }}-")}
        << s("acme/webapp/archive.tar.zst") << QStringList{s("acme/webapp/feature/login-")}
        << QString() << QStringList{s("acme/webapp/main-")};
    QTest::newRow("on-the-default-branch") << QStringList{s("restore")}
        << QStringList{s("VELA_BUILD_BRANCH=main"), s("VELA_REPO_BRANCH=main"), s("PARAMETER_FILENAME={{ .Build.Branch }}.tar.zst")}
        << s("acme/webapp/main.tar.zst") << QStringList() << QString() << QStringList();
    QTest::newRow("key-without-branch") << QStringList{s("restore")}
        << branches + QStringList{s("PARAMETER_FILENAME={{ os }}.tar.zst")}
        << s("acme/webapp/linux.tar.zst") << QStringList() << QString() << QStringList();
    QTest::newRow("no-default-branch-known") << QStringList{s("restore")}
        << QStringList{s("VELA_BUILD_BRANCH=dev"), s("PARAMETER_FILENAME={{ .Build.Branch }}.tar.zst")}
        << s("acme/webapp/dev.tar.zst") << QStringList() << QString() << QStringList();
    // The plugin's build_branch and repo_branch override VELA_BUILD_BRANCH and VELA_REPO_BRANCH.
    QTest::newRow("build_branch-overrides-VELA_BUILD_BRANCH") << QStringList{s("restore")}
        << branches + QStringList{s("PARAMETER_BUILD_BRANCH=release/2"), s("PARAMETER_FILENAME={{ .Build.Branch }}-go.tar.zst")}
        << s("acme/webapp/release/2-go.tar.zst") << QStringList() << s("acme/webapp/main-go.tar.zst") << QStringList();
    QTest::newRow("repo_branch-overrides-VELA_REPO_BRANCH") << QStringList{s("restore")}
        << QStringList{s("VELA_BUILD_BRANCH=feature/login"), s("VELA_REPO_BRANCH=trunk"), s("PARAMETER_REPO_BRANCH=main"),
                       s("PARAMETER_FILENAME={{ .Build.Branch }}-{{ .Repo.Branch }}.tar.zst")}
        << s("acme/webapp/feature/login-main.tar.zst") << QStringList() << s("acme/webapp/main-main.tar.zst") << QStringList();
    QTest::newRow("branch-flags-without-vela") << QStringList{s("restore"), s("--build-branch=dev"), s("--repo-branch"), s("main")}
        << QStringList{s("PARAMETER_FILENAME={{ .Build.Branch }}.tar.zst")}
        << s("acme/webapp/dev.tar.zst") << QStringList() << s("acme/webapp/main.tar.zst") << QStringList();
    QTest::newRow("build_branch-equal-to-default") << QStringList{s("restore")}
        << branches + QStringList{s("PARAMETER_BUILD_BRANCH=main"), s("PARAMETER_FILENAME={{ .Build.Branch }}.tar.zst")}
        << s("acme/webapp/main.tar.zst") << QStringList() << QString() << QStringList();
    // hashFiles leaves the mounts out: rebuild (after npm install) computes restore's key.
    QTest::newRow("rebuild-skips-mounts") << QStringList{s("rebuild"), s("--mount"), s("node_modules")}
        << QStringList{s("PARAMETER_FILENAME=npm-{{ hashFiles \"**/package-lock.json\" }}.tar.zst")}
        << s("acme/webapp/npm-") + hashOf({{s("app/package-lock.json"), "app lock\n"},
                                           {s("dir/.hidden/package-lock.json"), "hidden lock\n"},
                                           {s("package-lock.json"), "root lock\n"}}) + s(".tar.zst")
        << QStringList() << QString() << QStringList();
}

void TestKeyTemplate::resolve()
{
    QFETCH(QStringList, args);
    QFETCH(QStringList, env);
    QFETCH(QString, key);
    QFETCH(QStringList, restoreKeys);
    QFETCH(QString, defaultBranchKey);
    QFETCH(QStringList, defaultBranchRestoreKeys);
    const Result<Config> c = resolveWith(args, env);
    QVERIFY2(c.ok(), qPrintable(c.error().message()));
    QCOMPARE(c->objectKey(), key);
    QCOMPARE(c->restoreKeys, restoreKeys);
    QCOMPARE(c->defaultBranchKey, defaultBranchKey);
    QCOMPARE(c->defaultBranchRestoreKeys, defaultBranchRestoreKeys);
    QCOMPARE(c->defaultBranch.isEmpty(), defaultBranchKey.isEmpty() && defaultBranchRestoreKeys.isEmpty());
    // `s3cache config` shows the evaluated key, and the template beside its parameter.
    const QString text = c->describe();
    QVERIFY2(text.contains(QStringLiteral("key:         ") + key + u'\n'), qPrintable(text));
    if (!c->templates.isEmpty())
        QVERIFY2(text.contains(QStringLiteral(", template '")), qPrintable(text));
    if (!defaultBranchKey.isEmpty()) {
        const QString source = env.filter(QStringLiteral("PARAMETER_REPO_BRANCH=")).isEmpty()
                                   ? (args.filter(QStringLiteral("--repo-branch")).isEmpty() ? QStringLiteral("VELA_REPO_BRANCH")
                                                                                             : QStringLiteral("--repo-branch"))
                                   : QStringLiteral("PARAMETER_REPO_BRANCH");
        QVERIFY2(text.contains(QStringLiteral("default branch: main (%1), then: %2").arg(source, defaultBranchKey)), qPrintable(text));
    }
}

void TestKeyTemplate::resolveErrors_data()
{
    QTest::addColumn<QStringList>("env");
    QTest::addColumn<QString>("message");

    const auto row = [](const char *name, const QStringList &env, const char *message) {
        QTest::newRow(name) << env << QString::fromUtf8(message);
    };
    const auto s = [](const char *text) { return QString::fromUtf8(text); };
    row("filename-missing-file", {s("PARAMETER_FILENAME=go-{{ checksum \"nope.sum\" }}.tar.zst")},
        "filename: cannot evaluate template 'go-{{ checksum \"nope.sum\" }}.tar.zst' (from PARAMETER_FILENAME): "
        "position 4: checksum: 'nope.sum' does not exist in the workspace $WS");
    row("prefix-syntax", {s("PARAMETER_PREFIX={{ .Build.Branch")},
        "prefix: cannot evaluate template '{{ .Build.Branch' (from PARAMETER_PREFIX): position 1: '{{' is never closed with '}}'");
    row("path-unknown-function", {s("PARAMETER_PATH=x/{{ sha1 \"a\" }}.tgz")},
        "path: cannot evaluate template 'x/{{ sha1 \"a\" }}.tgz' (from PARAMETER_PATH): position 6: unknown function "
        "'sha1'; known: checksum, hashFiles, arch, os, epoch");
    row("restore-keys-item", {s("PARAMETER_RESTORE_KEYS=[\"ok-\",\"{{ hashFiles \\\"*.none\\\" }}\"]")},
        "restore_keys: cannot evaluate template '{{ hashFiles \"*.none\" }}' (from PARAMETER_RESTORE_KEYS): "
        "position 1: hashFiles: no file in the workspace $WS matches \"*.none\"");
    row("evaluated-extension", {s("PARAMETER_FILENAME={{ .Build.Branch }}.rar"), s("VELA_BUILD_BRANCH=main")},
        "filename: 'main.rar' (from PARAMETER_FILENAME, template '{{ .Build.Branch }}.rar') has an unknown extension; "
        "use one of .tar.zst/.tzst, .tar.gz/.tgz, .tar, .zip, .dedup");
    row("evaluated-dotdot", {s("PARAMETER_PREFIX=a/{{ .Build.Tag }}/.."), s("VELA_BUILD_TAG=x")},
        "prefix: 'a/x/..' (from PARAMETER_PREFIX, template 'a/{{ .Build.Tag }}/..') contains a '.' or '..' segment, "
        "which a cache key must not have");
    row("restore-key-empty", {s("PARAMETER_RESTORE_KEYS=/")},
        "restore_keys: '/' (from PARAMETER_RESTORE_KEYS) is empty; a restore key is the start of a cache object's "
        "name, e.g. npm-");
    row("lookup-only-bool", {s("PARAMETER_LOOKUP_ONLY=perhaps")},
        "lookup_only: cannot parse 'perhaps': expected true, false, 1, 0, yes or no (from PARAMETER_LOOKUP_ONLY)");
}

void TestKeyTemplate::resolveErrors()
{
    QFETCH(QStringList, env);
    QFETCH(QString, message);
    message.replace(QStringLiteral("$WS"), ws());
    const Result<Config> c = resolveWith({QStringLiteral("restore")}, env);
    QVERIFY(!c.ok());
    QCOMPARE(c.error().kind(), ErrorKind::InvalidInput);
    QCOMPARE(c.error().message(), message);
}

void TestKeyTemplate::nonTemplatesAreUnchanged()
{
    // Values without "{{" are taken literally, even with characters the template language uses.
    const Result<Config> c = resolveWith({QStringLiteral("restore")},
                                         {QStringLiteral("PARAMETER_FILENAME=a}}b-\"q\".tgz"),
                                          QStringLiteral("VELA_BUILD_BRANCH=dev"), QStringLiteral("VELA_REPO_BRANCH=main")});
    QVERIFY2(c.ok(), qPrintable(c.error().message()));
    QCOMPARE(c->objectKey(), QStringLiteral("acme/webapp/a}}b-\"q\".tgz"));
    QVERIFY(c->templates.isEmpty());
    QVERIFY(c->restoreKeys.isEmpty());
    QVERIFY(c->defaultBranch.isEmpty());
    QVERIFY(!c->lookupOnly);
    QVERIFY(!c->describe().contains(QStringLiteral(", template '")));
}

QTEST_GUILESS_MAIN(TestKeyTemplate)
#include "tst_keytemplate.moc"
