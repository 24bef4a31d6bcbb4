#include "resolver.h"

namespace s3cache {

namespace {

using namespace Qt::StringLiterals;

// Splits on '/', drops empty segments, refuses '.' and '..'.
std::optional<QStringList> keySegments(const QString &text)
{
    QStringList segments;
    for (const QString &s : text.split(u'/', Qt::SkipEmptyParts)) {
        if (s == u"." || s == u"..")
            return std::nullopt;
        segments << s;
    }
    return segments;
}

std::optional<OutputFormat> parseOutputFormat(const QString &text)
{
    if (text.compare(u"text"_s, Qt::CaseInsensitive) == 0)
        return OutputFormat::Text;
    if (text.compare(u"json"_s, Qt::CaseInsensitive) == 0)
        return OutputFormat::Json;
    return std::nullopt;
}

} // namespace

OutputFormat requestedOutputFormat(const CommandLine &cmd, const QProcessEnvironment &env, const QString &velaRoot)
{
    const std::optional<ParameterValue> given = ParameterSource(cmd.flags, env, velaRoot).get(u"output"_s);
    return given ? parseOutputFormat(given->value).value_or(OutputFormat::Text) : OutputFormat::Text;
}

Error invalidParameter(const QString &message)
{
    return Error(ErrorKind::InvalidInput, u"InvalidParameter"_s, message);
}

QString joinKeySegments(const QStringList &parts)
{
    QStringList nonEmpty;
    for (const QString &p : parts) {
        if (!p.isEmpty())
            nonEmpty << p;
    }
    return nonEmpty.join(u'/');
}

Result<Config> resolveConfig(const CommandLine &cmd, const QProcessEnvironment &env, const QString &velaRoot)
{
    return Resolver(cmd, env, velaRoot).run();
}

Resolver::Resolver(const CommandLine &cmd, const QProcessEnvironment &env, const QString &velaRoot)
    : m_cmd(cmd), m_env(env), m_source(cmd.flags, env, velaRoot)
{
}

Result<Config> Resolver::run()
{
    for (Error (Resolver::*step)() : {&Resolver::resolveAction, &Resolver::resolveCredentials,
                                      &Resolver::resolveStore, &Resolver::resolveWorkspace, &Resolver::resolveKey,
                                      &Resolver::resolveWork, &Resolver::resolveUpload}) {
        const Error error = (this->*step)();
        if (error)
            return error;
    }
    return m_config;
}

Result<std::optional<ParameterValue>> Resolver::lookup(const QString &name, AwsVariables aws)
{
    Result<std::optional<ParameterValue>> found = m_source.find(name, aws);
    if (found.ok() && found->has_value()) {
        const ParameterValue &v = **found;
        const bool secret = parameter(name).secret;
        if (secret)
            Log::registerSecret(v.value);
        m_config.sources.insert(name, ParameterValue{secret ? maskedValue : v.value, v.source});
    }
    return found;
}

Result<QVariant> Resolver::value(const QString &name)
{
    const Parameter &p = parameter(name);
    const auto found = lookup(name);
    if (!found.ok())
        return found.error();
    if (!found->has_value()) {
        const QVariant fallback = parameterDefault(name);
        if (fallback.isValid())
            show(name, formatParameterValue(p.kind, fallback), u"default"_s);
        return fallback;
    }
    Result<QVariant> parsed = parseParameterValue(p, (*found)->value);
    if (!parsed.ok())
        return badValue(name, **found, parsed.error());
    show(name, p.secret ? maskedValue : formatParameterValue(p.kind, *parsed), (*found)->source);
    return parsed;
}

void Resolver::show(const QString &name, const QString &value, const QString &source)
{
    m_config.resolved.insert(name, ParameterValue{value, source.isEmpty() ? m_config.sources.value(name).source : source});
}

Error Resolver::badValue(const QString &name, const ParameterValue &v, const Error &parseError)
{
    return invalidParameter(u"%1: %2 (from %3)"_s.arg(name, parseError.message(), v.source));
}

Result<QString> Resolver::keyPart(const QString &name, const QString &value, const QString &source,
                                  bool keepTrailingSlash)
{
    const std::optional<QStringList> segments = keySegments(value);
    if (!segments)
        return invalidParameter(u"%1: '%2' (from %3) contains a '.' or '..' segment, which a cache key must not "
                                "have"_s.arg(name, value, source));
    QString joined = segments->join(u'/');
    if (keepTrailingSlash && !joined.isEmpty() && value.endsWith(u'/'))
        joined += u'/';
    return joined;
}

Error Resolver::resolveAction()
{
    ParameterValue action{m_cmd.action.trimmed(), u"command line"_s};
    if (action.value.isEmpty()) {
        const auto found = lookup(u"action"_s);
        if (!found.ok())
            return found.error();
        if (!found->has_value())
            return invalidParameter(u"action: not set; give one of restore, rebuild, flush, list, inspect, config "
                                    "(`s3cache restore`, or PARAMETER_ACTION in a pipeline)"_s);
        action = **found;
    } else {
        m_config.sources.insert(u"action"_s, action);
    }
    const std::optional<Action> parsed = parseAction(action.value);
    if (!parsed)
        return invalidParameter(u"action: unknown action '%1' (from %2); expected restore, rebuild (or upload), "
                                "flush, list, inspect or config"_s.arg(action.value, action.source));
    m_config.action = *parsed;
    show(u"action"_s, actionName(m_config.action));

    const Result<QVariant> level = value(u"log_level"_s);
    if (!level.ok())
        return level.error();
    if (!Log::parseLevel(level->toString(), &m_config.logLevel))
        return invalidParameter(u"log_level: unknown level '%1' (from %2); expected trace, debug, info, warn, "
                                "error, fatal or panic"_s.arg(level->toString(), m_config.resolved.value(u"log_level"_s).source));

    const Result<QVariant> output = value(u"output"_s);
    if (!output.ok())
        return output.error();
    const std::optional<OutputFormat> format = parseOutputFormat(output->toString());
    if (!format)
        return invalidParameter(u"output: unknown format '%1' (from %2); expected text or json"_s.arg(
            output->toString(), m_config.resolved.value(u"output"_s).source));
    m_config.output = *format;
    return {};
}

} // namespace s3cache
