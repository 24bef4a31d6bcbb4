// util/pathglob.h, the one glob matcher of hashFiles and mount: @actions/glob's syntax (`*` and
// `?` within a segment, dot files included, `**`, classes, `\` escapes, a trailing '/' for
// folders only, literal paths taken as they are) and PathSelection's order (later patterns win,
// a pattern decides below what it matches, excludes reach into included folders), plus the
// walk's shortcuts (mayMatchBelow, settled, enter), which decide what the scan reads.
#include "util/pathglob.h"

#include <QTest>

using namespace s3cache;

namespace {

PathGlob glob(const char *pattern)
{
    Result<PathGlob> g = PathGlob::compile(QString::fromUtf8(pattern));
    if (!g.ok())
        qFatal("%s does not compile: %s", pattern, qPrintable(g.error().message()));
    return *g;
}

PathSelection selection(const QStringList &patterns)
{
    Result<PathSelection> s = PathSelection::compile(patterns);
    if (!s.ok())
        qFatal("%s does not compile: %s", qPrintable(patterns.join(u',')), qPrintable(s.error().message()));
    return *s;
}

// Whether `path` (its folders are folders) is selected, computed as a walk does: folder by folder.
bool selected(const PathSelection &s, const char *path, bool isDirectory = false)
{
    return s.selects(s.verdictFromRoot(QByteArray(path), isDirectory));
}

} // namespace

class TestPathGlob : public QObject
{
    Q_OBJECT
private slots:
    void matches_data()
    {
        QTest::addColumn<QString>("pattern");
        QTest::addColumn<QByteArray>("path");
        QTest::addColumn<bool>("isDirectory");
        QTest::addColumn<bool>("expected");
        const auto row = [](const char *name, const char *pattern, const char *path, bool dir, bool expected) {
            QTest::newRow(name) << QString::fromUtf8(pattern) << QByteArray(path) << dir << expected;
        };
        row("literal", "node_modules", "node_modules", true, true);
        row("literal-is-whole-path", "node_modules", "a/node_modules", true, false);
        row("literal-dot-slash", "./a//b/", "a/b", true, true);
        row("literal-dotdot-inside", "a/../b", "b", false, true);
        row("literal-backslash-kept", "a\\b", "a\\b", false, true);
        row("star-in-segment", "packages/*/dist", "packages/web/dist", true, true);
        row("star-not-across-slash", "packages/*/dist", "packages/web/sub/dist", true, false);
        row("star-not-across-slash-2", "*.js", "lib/a.js", false, false);
        row("star-empty", "a*b", "ab", false, true);
        row("star-backtracks", "*a*b", "xaxxab", false, true);
        row("star-backtracks-fails", "*a*b", "xaxxa", false, false);
        row("star-dot-file", "*", ".cache", true, true);
        row("star-dot-file-2", "packages/*/.cache", "packages/.hidden/.cache", true, true);
        row("question", "?.txt", "a.txt", false, true);
        row("question-one-char", "?.txt", "ab.txt", false, false);
        row("question-utf8-char", "caf?", "café", false, true);
        row("question-not-slash", "a?b", "a/b", false, false);
        row("class", "[ab].txt", "b.txt", false, true);
        row("class-range", "v[0-9]", "v7", false, true);
        row("class-range-out", "v[0-9]", "vx", false, false);
        row("class-negated", "[!a].txt", "a.txt", false, false);
        row("class-negated-caret", "[^a].txt", "b.txt", false, true);
        row("class-bracket-first", "[]x]", "]", false, true);
        row("class-unclosed-is-literal", "a[b", "a[b", false, true);
        row("escape-star", "a\\*", "a*", false, true);
        row("escape-star-not-wild", "a\\*", "ab", false, false);
        row("escape-bracket-class", "build[[]1]", "build[1]", true, true);
        row("escape-bracket-class-not", "build[[]1]", "build1", true, false);
        row("globstar-none", "**/node_modules", "node_modules", true, true);
        row("globstar-many", "**/node_modules", "a/b/c/node_modules", true, true);
        row("globstar-dot-folders", "**/x", ".git/.hidden/x", false, true);
        row("globstar-not-partial-name", "**/node_modules", "a/xnode_modules", true, false);
        row("globstar-middle", "a/**/z", "a/z", false, true);
        row("globstar-middle-deep", "a/**/z", "a/b/c/z", false, true);
        row("globstar-end-matches-folder-itself", "a/**", "a", true, true);  // as @actions/glob
        row("globstar-end-below", "a/**", "a/b/c", false, true);
        row("globstar-repeated", "**/**/x", "x", false, true);
        row("double-star-in-name-is-star", "a**b", "axxb", false, true);
        row("double-star-in-name-not-slash", "a**b", "a/b", false, false);
        row("trailing-slash-folders-only", "**/dist/", "a/dist", true, true);
        row("trailing-slash-not-file", "**/dist/", "a/dist", false, false);
        row("no-trailing-slash-file-too", "**/dist", "a/dist", false, true);
        row("utf8-literal-in-glob", "ünï*", "ünïcødé", true, true);
        row("non-utf8-byte-is-one-char", "bad?", "bad\xff", false, true);
        row("root-glob", "*", "", true, false);
        row("root-globstar", "**", "", true, true);
    }
    void matches()
    {
        QFETCH(QString, pattern);
        QFETCH(QByteArray, path);
        QFETCH(bool, isDirectory);
        QFETCH(bool, expected);
        const Result<PathGlob> g = PathGlob::compile(pattern);
        QVERIFY2(g.ok(), qPrintable(g.error().message()));
        QCOMPARE(g->matches(path, isDirectory), expected);
    }

    void mayMatchBelow_data()
    {
        QTest::addColumn<QString>("pattern");
        QTest::addColumn<QByteArray>("directory");
        QTest::addColumn<bool>("expected");
        const auto row = [](const char *name, const char *pattern, const char *dir, bool expected) {
            QTest::newRow(name) << QString::fromUtf8(pattern) << QByteArray(dir) << expected;
        };
        row("root", "packages/*/dist", "", true);
        row("prefix", "packages/*/dist", "packages", true);
        row("wild-level", "packages/*/dist", "packages/web", true);
        row("at-match-nothing-below", "packages/*/dist", "packages/web/dist", false);
        row("other-folder", "packages/*/dist", "src", false);
        row("globstar-everywhere", "**/node_modules", "a/b", true);
        row("globstar-end", "a/**", "a/b", true);
        row("literal-prefix", "a/b/c", "a", true);
        row("literal-itself", "a/b/c", "a/b/c", false);
        row("literal-elsewhere", "a/b/c", "a/x", false);
    }
    void mayMatchBelow()
    {
        QFETCH(QString, pattern);
        QFETCH(QByteArray, directory);
        QFETCH(bool, expected);
        QCOMPARE(glob(pattern.toUtf8().constData()).mayMatchBelow(directory), expected);
    }

    void baseAndDepth()
    {
        QCOMPARE(glob("packages/*/dist").base(), QStringLiteral("packages"));
        QCOMPARE(glob("packages/*/dist").depthBelowBase(), 2);
        QCOMPARE(glob("**/node_modules").base(), QString());
        QCOMPARE(glob("**/node_modules").depthBelowBase(), std::numeric_limits<int>::max());
        QCOMPARE(glob("a/b/c.txt").base(), QStringLiteral("a/b"));
        QCOMPARE(glob("build\\[1\\]/*").base(), QStringLiteral("build[1]"));  // escaped: literal
        QCOMPARE(glob("./a//**/**/b/").text(), QStringLiteral("a/**/b/"));
        QVERIFY(glob("a/b").isLiteral());
        QVERIFY(!glob("a/*").isLiteral());
    }

    void refused_data()
    {
        QTest::addColumn<QString>("pattern");
        QTest::addColumn<QString>("message");
        QTest::newRow("absolute") << QStringLiteral("/etc/*") << QStringLiteral("is an absolute path");
        QTest::newRow("glob-dotdot") << QStringLiteral("**/../x") << QStringLiteral("leaves the workspace (..)");
        QTest::newRow("glob-dotdot-start") << QStringLiteral("../*") << QStringLiteral("leaves the workspace (..)");
        QTest::newRow("literal-dotdot-out") << QStringLiteral("a/../../b") << QStringLiteral("leaves the workspace (..)");
    }
    void refused()
    {
        QFETCH(QString, pattern);
        QFETCH(QString, message);
        const Result<PathGlob> g = PathGlob::compile(pattern);
        QVERIFY(!g.ok());
        QCOMPARE(g.error().kind(), ErrorKind::InvalidInput);
        QCOMPARE(g.error().message(), message);
        const Result<PathSelection> s = PathSelection::compile({QStringLiteral("!") + pattern});
        QVERIFY(!s.ok());
        QCOMPARE(s.error().message(), QStringLiteral("!") + pattern + u' ' + message);
        QVERIFY(!PathSelection::compile({QStringLiteral("!")}).ok());
    }

    void laterPatternsWin()
    {
        const PathSelection s = selection({QStringLiteral("**/node_modules"), QStringLiteral("!**/node_modules/.cache"),
                                           QStringLiteral("node_modules/.cache/keep")});
        QVERIFY(selected(s, "node_modules", true));
        QVERIFY(selected(s, "node_modules/dep/index.js"));
        QVERIFY(selected(s, "packages/web/node_modules/dep/index.js"));
        QVERIFY(!selected(s, "node_modules/.cache", true));
        QVERIFY(!selected(s, "packages/web/node_modules/.cache/x"));  // the exclude reaches into the included tree
        QVERIFY(selected(s, "node_modules/.cache/keep/x"));           // and a later include back
        QVERIFY(!selected(s, "src/main.c"));
        QVERIFY(!selected(s, "node_modules.txt"));
        // Reversed, the include comes last and wins.
        const PathSelection r = selection({QStringLiteral("!**/node_modules/.cache"), QStringLiteral("**/node_modules")});
        QVERIFY(selected(r, "node_modules/.cache/x"));
        // An exclude of a folder above a later include: the include wins below it.
        const PathSelection u = selection({QStringLiteral("!packages"), QStringLiteral("packages/*/dist")});
        QVERIFY(selected(u, "packages/a/dist/x.js"));
        QVERIFY(!selected(u, "packages/a/src/x.js"));
        // An exclude after: it decides for everything below what it matches.
        const PathSelection v = selection({QStringLiteral("packages/*/dist"), QStringLiteral("!packages")});
        QVERIFY(!selected(v, "packages/a/dist/x.js"));
        // A repeated include after an exclude takes its tree back.
        const PathSelection w = selection({QStringLiteral("a"), QStringLiteral("!a/b"), QStringLiteral("a")});
        QVERIFY(selected(w, "a/b/c"));
        const PathSelection x = selection({QStringLiteral("a"), QStringLiteral("!a/b")});
        QVERIFY(!selected(x, "a/b/c"));
        QVERIFY(selected(x, "a/bc"));
        // "!!" includes again.
        QVERIFY(selected(selection({QStringLiteral("a"), QStringLiteral("!a/b"), QStringLiteral("!!a/b/c")}), "a/b/c"));
    }

    void excludeFoldersOnly()
    {
        const PathSelection s = selection({QStringLiteral("out"), QStringLiteral("!out/**/tmp/")});
        QVERIFY(!selected(s, "out/x/tmp/f"));     // below a folder named tmp
        QVERIFY(selected(s, "out/x/tmp"));        // a file named tmp stays
    }

    void walkShortcuts()
    {
        const PathSelection s = selection({QStringLiteral("packages/*/dist"), QStringLiteral("!packages/*/dist/*.map")});
        const PathSelection::Verdict root = s.verdictFromRoot({}, true);
        QVERIFY(!s.selects(root));
        QVERIFY(root.enter);
        const PathSelection::Verdict src = s.verdict(root, "src", true);
        QVERIFY(!src.enter);  // nothing below src can be selected: not read
        const PathSelection::Verdict packages = s.verdict(root, "packages", true);
        QVERIFY(packages.enter && !s.selects(packages));
        const PathSelection::Verdict web = s.verdict(packages, "packages/web", true);
        const PathSelection::Verdict dist = s.verdict(web, "packages/web/dist", true);
        QVERIFY(s.selects(dist));
        QVERIFY(!dist.settled);  // the exclude may still match below
        const PathSelection::Verdict sub = s.verdict(dist, "packages/web/dist/sub", true);
        QVERIFY(s.selects(sub));
        QVERIFY(sub.settled);    // "*.map" is one level only: nothing below sub can change
        QVERIFY(!s.selects(s.verdict(dist, "packages/web/dist/a.js.map", false)));
        QVERIFY(s.selects(s.verdict(dist, "packages/web/dist/a.js", false)));
        // Plain mounts: settled at once, nothing matched below.
        const PathSelection plain = selection({QStringLiteral("node_modules"), QStringLiteral(".gradle")});
        const PathSelection::Verdict nm = plain.verdictFromRoot("node_modules", true);
        QVERIFY(plain.selects(nm) && nm.settled);
        // Which patterns matched, for the "matches nothing" warning.
        QList<bool> matched(2, false);
        s.verdictFromRoot("packages/web/dist", true, &matched);
        QCOMPARE(matched, QList<bool>({true, false}));
    }
};

QTEST_APPLESS_MAIN(TestPathGlob)
#include "tst_pathglob.moc"
