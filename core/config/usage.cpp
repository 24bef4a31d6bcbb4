#include "usage.h"

#include "parameters.h"

namespace s3cache {

namespace {

using namespace Qt::StringLiterals;

constexpr qsizetype helpColumn = 24;
constexpr qsizetype lineWidth = 100;

// "  --server URL          endpoint: ..." with the text wrapped under itself.
QString parameterLines(const Parameter &p)
{
    QStringList flags;
    for (const QString &flag : p.flags())
        flags << (p.metavar.isEmpty() ? flag : flag + u' ' + p.metavar);
    QString text = p.help;
    if (!p.defaultValue.isEmpty() || !p.defaultText.isEmpty())
        text += u" (default: %1)"_s.arg(p.defaultDescription());

    QString out = u"  "_s + flags.join(u", "_s);
    out = out.size() < helpColumn ? out.leftJustified(helpColumn) : out + u'\n' + QString(helpColumn, u' ');
    qsizetype column = helpColumn;
    bool lineStart = true;
    for (const QString &word : text.split(u' ', Qt::SkipEmptyParts)) {
        if (!lineStart && column + 1 + word.size() > lineWidth) {
            out += u'\n' + QString(helpColumn, u' ');
            column = helpColumn;
            lineStart = true;
        }
        if (!lineStart) {
            out += u' ';
            ++column;
        }
        out += word;
        column += word.size();
        lineStart = false;
    }
    return out + u'\n';
}

} // namespace

QString usageText(const QString &action)
{
    const std::optional<Action> only = parseAction(action);
    QString text;
    if (only) {
        const ActionInfo &info = *std::find_if(actionTable().cbegin(), actionTable().cend(),
                                               [&only](const ActionInfo &a) { return a.action == *only; });
        QString summary = info.summary;
        summary[0] = summary[0].toUpper();
        text = u"Usage: s3cache %1 [--parameter value]...\n\n%2.\n"_s.arg(info.name, summary);
    } else {
        text = u"Usage: s3cache ACTION [--parameter value]...\n\n"
               "A build cache for CI pipelines kept in any S3-compatible object store.\n\nActions:\n"_s;
        for (const ActionInfo &a : actionTable())
            text += u"  %1 %2\n"_s.arg(a.name.leftJustified(9), a.summary);
        text += u"\n`s3cache ACTION --help` lists only the parameters that ACTION reads.\n"_s;
    }
    text += u"\nEach parameter is read from, highest first: --name flag, PARAMETER_NAME, S3_CACHE_NAME,\n"
            "CACHE_S3_NAME, AWS_* (credentials, region), /vela/parameters/s3-cache/name,\n"
            "/vela/secrets/s3-cache/name (root overridable with S3CACHE_VELA_ROOT).\n\nParameters:\n"_s;
    for (const Parameter &p : parameterTable()) {
        if (!only || p.readBy(*only))
            text += parameterLines(p);
    }
    text += u"  --help, --version\n"
            "\nDurations: 90s, 1h30m, 336h, 14d, 2w. Exit codes: 0 success or cache miss, 1 failed,\n"
            "2 bad parameters, 130 cancelled.\n"_s;
    return text;
}

} // namespace s3cache
