#include "parametersource.h"

#include "parameters.h"

#include <QFile>
#include <QFileInfo>

namespace s3cache {

ParameterSource::ParameterSource(QMap<QString, QString> flags, const QProcessEnvironment &env, QString velaRoot)
    : m_flags(std::move(flags)), m_env(env), m_velaRoot(std::move(velaRoot))
{
    if (m_velaRoot.isEmpty())
        m_velaRoot = m_env.value(QStringLiteral("S3CACHE_VELA_ROOT"));
    if (m_velaRoot.isEmpty())
        m_velaRoot = QStringLiteral("/vela");
}

Result<std::optional<ParameterValue>> ParameterSource::find(const QString &name, AwsVariables aws) const
{
    using Found = std::optional<ParameterValue>;
    const Parameter &row = parameter(name);
    const QString flag = m_flags.value(name).trimmed();
    if (!flag.isEmpty())
        return Found(ParameterValue{flag, row.flags().constFirst()});

    const QString upper = name.toUpper();
    QStringList variables;
    if (row.vela)
        variables = {QStringLiteral("PARAMETER_") + upper, QStringLiteral("S3_CACHE_") + upper,
                     QStringLiteral("CACHE_S3_") + upper};
    if (aws == AwsVariables::Include)
        variables += row.variables;
    for (const QString &variable : std::as_const(variables)) {
        const QString value = m_env.value(variable).trimmed();
        if (!value.isEmpty())
            return Found(ParameterValue{value, variable});
    }
    if (!row.vela)
        return Found();

    for (const char *kind : {"parameters", "secrets"}) {
        const QString path = QStringLiteral("%1/%2/s3-cache/%3").arg(m_velaRoot, QLatin1String(kind), name);
        if (!QFileInfo(path).isFile())
            continue;
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly))
            return Error(ErrorKind::Io, QStringLiteral("ParameterFile"),
                         QStringLiteral("%1: cannot read %2: %3").arg(name, path, file.errorString()));
        const QString value = QString::fromUtf8(file.readAll()).trimmed();
        if (!value.isEmpty())
            return Found(ParameterValue{value, path});
    }
    return Found();
}

std::optional<ParameterValue> ParameterSource::get(const QString &name) const
{
    const Result<std::optional<ParameterValue>> found = find(name);
    return found.ok() ? *found : std::nullopt;
}

const QProcessEnvironment &ParameterSource::environment() const
{
    return m_env;
}

const QString &ParameterSource::velaRoot() const
{
    return m_velaRoot;
}

} // namespace s3cache
