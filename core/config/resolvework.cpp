#include "resolver.h"

#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>

namespace s3cache {

Result<bool> Resolver::choice(const QString &name, const QString &yes, const QString &no)
{
    const Result<QVariant> v = value(name);
    if (!v.ok())
        return v.error();
    const QString text = v->toString();
    if (text != yes && text != no)
        return invalidParameter(QStringLiteral("%1: '%2' (from %3) is neither %4 nor %5")
                                    .arg(name, text, m_config.sources.value(name).source, no, yes));
    return text == yes;
}

Error Resolver::resolveWork()
{
    const Result<QVariant> timeout = value(QStringLiteral("timeout"));
    if (!timeout.ok())
        return timeout.error();
    m_config.timeoutMs = timeout->toLongLong();
    if (m_config.timeoutMs <= 0)
        return invalidParameter(QStringLiteral("timeout: must be longer than 0 (from %1)")
                   .arg(m_config.sources.value(QStringLiteral("timeout")).source));

    const Result<QVariant> age = value(QStringLiteral("age"));
    if (!age.ok())
        return age.error();
    m_config.ageSeconds = age->toLongLong() / 1000;
    // A bare 0 is most likely a slip (the plugin's age is in days): it would delete every cache
    // in scope. Saying so takes a unit.
    if (const ParameterValue given = m_config.sources.value(QStringLiteral("age"));
        m_config.ageSeconds == 0 && !given.value.isEmpty()
        && !given.value.contains(QRegularExpression(QStringLiteral("[a-zA-Z]"))))
        return invalidParameter(QStringLiteral("age: '%1' (from %2) would delete every cache in scope; write 0s if "
                                               "that is what you want").arg(given.value, given.source));

    const Result<bool> ageFrom = choice(QStringLiteral("age_from"), QStringLiteral("used"), QStringLiteral("written"));
    if (!ageFrom.ok())
        return ageFrom.error();
    m_config.ageFromUse = *ageFrom;
    const Result<QVariant> maxSize = value(QStringLiteral("max_size"));
    if (!maxSize.ok())
        return maxSize.error();
    if (maxSize->isValid()) {
        m_config.maxBytes = maxSize->toLongLong();
        if (m_config.maxBytes <= 0)
            return invalidParameter(QStringLiteral("max_size: '%1' (from %2) would delete every cache in scope; write "
                                                   "age: 0s if that is what you want")
                                        .arg(m_config.sources.value(QStringLiteral("max_size")).value,
                                             m_config.sources.value(QStringLiteral("max_size")).source));
    }

    const Result<QVariant> grace = value(QStringLiteral("chunk_grace"));
    if (!grace.ok())
        return grace.error();
    m_config.chunkGraceSeconds = grace->toLongLong() / 1000;

    for (auto [name, field] : {std::pair{QStringLiteral("preserve_path"), &m_config.preservePath},
                               std::pair{QStringLiteral("dry_run"), &m_config.dryRun},
                               std::pair{QStringLiteral("fail_on_miss"), &m_config.failOnMiss},
                               std::pair{QStringLiteral("strict"), &m_config.strict},
                               std::pair{QStringLiteral("lookup_only"), &m_config.lookupOnly},
                               std::pair{QStringLiteral("workspace_owner"), &m_config.workspaceOwner},
                               std::pair{QStringLiteral("record_use"), &m_config.recordUse},
                               std::pair{QStringLiteral("cross_platform"), &m_config.crossPlatform}}) {
        const Result<QVariant> flag = value(name);
        if (!flag.ok())
            return flag.error();
        *field = flag->toBool();
    }

    const Result<QVariant> level = value(QStringLiteral("compression_level"));
    if (!level.ok())
        return level.error();
    if (level->isValid()) {
        const ParameterValue v = m_config.sources.value(QStringLiteral("compression_level"));
        QString range;
        if (!compressionLevelValid(m_config.format, level->toInt(), &range))
            return invalidParameter(QStringLiteral("compression_level: %1 (from %2) is out of range for %3: %4")
                       .arg(v.value, v.source, archiveFormatName(m_config.format), range));
        m_config.compressionLevel = level->toInt();
    }

    const Result<QVariant> maxRestore = value(QStringLiteral("max_restore_size"));
    if (!maxRestore.ok())
        return maxRestore.error();
    m_config.maxRestoreBytes = maxRestore->toLongLong();

    const auto caBundle = lookup(QStringLiteral("ca_bundle"));
    if (!caBundle.ok())
        return caBundle.error();
    if (caBundle->has_value()) {
        const ParameterValue &v = **caBundle;
        const QFileInfo info(QDir::current().absoluteFilePath(v.value));
        if (!info.isFile() || !info.isReadable())
            return invalidParameter(QStringLiteral("ca_bundle: '%1' (from %2) is not a readable file")
                       .arg(v.value, v.source));
        m_config.caBundle = info.absoluteFilePath();
        show(QStringLiteral("ca_bundle"), m_config.caBundle);
    } else if (m_aws.caBundle && !m_config.fileStore) {
        m_config.caBundle = m_aws.caBundle->value;
        m_config.sources.insert(QStringLiteral("ca_bundle"), *m_aws.caBundle);
        show(QStringLiteral("ca_bundle"), m_config.caBundle, m_aws.caBundle->source);
    }

    m_config.velaOutputs = m_env.value(QStringLiteral("VELA_OUTPUTS")).trimmed();
    return {};
}

} // namespace s3cache
