#include "valueparsers.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QRegularExpression>

#include <cmath>

namespace s3cache {

namespace {

Error badValue(const QString &text, const QString &expected)
{
    return Error(ErrorKind::InvalidInput, QStringLiteral("BadValue"),
                 QStringLiteral("cannot parse '%1': %2").arg(text, expected));
}

const QString durationExpectation = QStringLiteral("expected a duration like 14, 14d, 336h, 2w, 1h30m or 90s");

double unitMs(const QString &unit)
{
    if (unit == u"ns") return 1e-6;
    if (unit == u"us" || unit == u"\u00b5s") return 1e-3;
    if (unit == u"ms") return 1;
    if (unit == u"s") return 1e3;
    if (unit == u"m") return 60e3;
    if (unit == u"h") return 3600e3;
    if (unit == u"d") return 86400e3;
    return 7 * 86400e3;  // "w", the only other unit the pattern admits
}

} // namespace

Result<qint64> parseDurationMs(const QString &text, qint64 bareUnitMs)
{
    constexpr double maxMs = 1e15;
    QString t = text.trimmed().toLower();
    if (t.isEmpty())
        return badValue(text, QStringLiteral("empty value, ") + durationExpectation);
    if (t.startsWith(u'-'))
        return badValue(text, QStringLiteral("a duration cannot be negative"));
    if (t.startsWith(u'+'))
        t.remove(0, 1);

    static const QRegularExpression bare(QStringLiteral("^(\\d+(\\.\\d*)?|\\.\\d+)$"));
    static const QRegularExpression component(QStringLiteral("(\\d+(?:\\.\\d*)?|\\.\\d+)(ns|us|\u00b5s|ms|s|m|h|d|w)"));

    double total = 0;
    if (bare.match(t).hasMatch()) {
        total = t.toDouble() * double(bareUnitMs);
    } else {
        qsizetype offset = 0;
        while (offset < t.size()) {
            const QRegularExpressionMatch m = component.match(t, offset, QRegularExpression::NormalMatch,
                                                              QRegularExpression::AnchorAtOffsetMatchOption);
            if (!m.hasMatch())
                return badValue(text, durationExpectation);
            total += m.captured(1).toDouble() * unitMs(m.captured(2));
            offset = m.capturedEnd();
        }
    }
    if (!std::isfinite(total) || total > maxMs)
        return badValue(text, QStringLiteral("the duration is too large"));
    return qint64(total);
}

Result<bool> parseBool(const QString &text)
{
    const QString t = text.trimmed().toLower();
    if (t == u"true" || t == u"1" || t == u"yes")
        return true;
    if (t == u"false" || t == u"0" || t == u"no")
        return false;
    return badValue(text, QStringLiteral("expected true, false, 1, 0, yes or no"));
}

Result<QStringList> parseList(const QString &text)
{
    const QString t = text.trimmed();
    QStringList items;
    if (t.startsWith(u'[')) {
        QJsonParseError parseError;
        const QJsonDocument doc = QJsonDocument::fromJson(t.toUtf8(), &parseError);
        if (parseError.error != QJsonParseError::NoError || !doc.isArray())
            return badValue(text, QStringLiteral("invalid JSON array (%1)").arg(parseError.errorString()));
        const QJsonArray array = doc.array();
        for (const auto &v : array) {
            if (!v.isString())
                return badValue(text, QStringLiteral("expected a JSON array of strings"));
            items << v.toString();
        }
    } else {
        static const QRegularExpression separators(QStringLiteral("[,\\n]"));
        items = t.split(separators);
    }
    QStringList result;
    for (const QString &item : std::as_const(items)) {
        const QString trimmed = item.trimmed();
        if (!trimmed.isEmpty())
            result << trimmed;
    }
    return result;
}

Result<int> parseInt(const QString &text)
{
    bool ok = false;
    const int value = text.trimmed().toInt(&ok);
    if (!ok)
        return badValue(text, QStringLiteral("expected an integer"));
    return value;
}

Result<qint64> parseSize(const QString &text)
{
    static const QRegularExpression pattern(QStringLiteral("^\\s*(\\d+)\\s*([a-z]*)\\s*$"), QRegularExpression::CaseInsensitiveOption);
    constexpr qint64 Ki = 1024, Mi = Ki * Ki, Gi = Mi * Ki, Ti = Gi * Ki;
    static const QHash<QString, qint64> units = {
        {QString(), 1}, {QStringLiteral("b"), 1},
        {QStringLiteral("kb"), 1000}, {QStringLiteral("mb"), 1000'000}, {QStringLiteral("gb"), 1000'000'000},
        {QStringLiteral("tb"), 1000'000'000'000},
        {QStringLiteral("k"), Ki}, {QStringLiteral("m"), Mi}, {QStringLiteral("g"), Gi}, {QStringLiteral("t"), Ti},
        {QStringLiteral("kib"), Ki}, {QStringLiteral("mib"), Mi}, {QStringLiteral("gib"), Gi}, {QStringLiteral("tib"), Ti}};
    const QRegularExpressionMatch m = pattern.match(text);
    const auto unit = m.hasMatch() ? units.constFind(m.captured(2).toLower()) : units.constEnd();
    if (unit == units.constEnd())
        return badValue(text, QStringLiteral("expected bytes, optionally with a unit (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)"));
    constexpr qint64 Max = qint64(1) << 62;
    bool ok = false;
    const qint64 number = m.captured(1).toLongLong(&ok);
    if (!ok || number > Max / *unit)
        return badValue(text, QStringLiteral("at most 4 EiB"));
    return number * *unit;
}

} // namespace s3cache
