#include "awsconfigfile.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>

namespace s3cache {

namespace {

using IniFile = QMap<QString, AwsIniSection>;

Result<IniFile> readIniFile(const QString &path)
{
    if (!QFileInfo::exists(path))
        return IniFile();
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text))
        return Error(ErrorKind::Io, QStringLiteral("AwsConfigFile"),
                     QStringLiteral("cannot read %1: %2").arg(path, file.errorString()));
    static const QRegularExpression inlineComment(QStringLiteral("\\s[#;].*$"));
    IniFile ini;
    QString section;
    QString lastKey;          // the last top-level key of the section
    bool nestedGroup = false; // lastKey had an empty value: indented lines are its group
    int lineNumber = 0;
    const QStringList lines = QString::fromUtf8(file.readAll()).split(u'\n');
    for (const QString &raw : lines) {
        ++lineNumber;
        const QString line = raw.trimmed();
        if (line.isEmpty() || line.startsWith(u'#') || line.startsWith(u';'))
            continue;
        const auto fail = [&](const QString &what) {
            return Error(ErrorKind::InvalidInput, QStringLiteral("AwsConfigFile"),
                         QStringLiteral("%1 line %2: %3").arg(path, QString::number(lineNumber), what));
        };
        const qsizetype eq = line.indexOf(u'=');
        if (raw.front().isSpace() && !lastKey.isEmpty()) {
            // A continuation line: a nested "key = value" when its parent's value was empty,
            // else the continued value of a key s3cache does not read as multi-line (skipped).
            if (nestedGroup && eq > 0)
                ini[section].nested[lastKey].insert(line.left(eq).trimmed().toLower(),
                                                    line.mid(eq + 1).remove(inlineComment).trimmed());
            continue;
        }
        if (line.startsWith(u'[')) {
            const QString header = QString(line).remove(inlineComment);
            if (!header.endsWith(u']'))
                return fail(QStringLiteral("section header without ']'"));
            section = header.mid(1, header.size() - 2).simplified();
            if (section.isEmpty())
                return fail(QStringLiteral("empty section name"));
            ini[section];
            lastKey.clear();
            continue;
        }
        if (eq <= 0)
            return fail(QStringLiteral("expected '[section]' or 'key = value'"));  // never echo the line: it may hold a key
        if (section.isEmpty())
            return fail(QStringLiteral("setting outside of any [section]"));
        lastKey = line.left(eq).trimmed().toLower();
        const QString value = line.mid(eq + 1).remove(inlineComment).trimmed();
        nestedGroup = value.isEmpty();
        ini[section].values.insert(lastKey, value);
    }
    return ini;
}

// "[profile name]" or "[default]" in the config file; "[name]" in the credentials file.
std::optional<AwsIniSection> findSection(const QMap<QString, AwsIniSection> &ini, const QString &profile,
                                         bool configFile)
{
    if (!configFile) {
        const auto it = ini.constFind(profile);
        return it == ini.constEnd() ? std::nullopt : std::optional<AwsIniSection>(*it);
    }
    const auto it = ini.constFind(QStringLiteral("profile ") + profile);
    if (it != ini.constEnd())
        return *it;
    if (profile == u"default") {
        const auto plain = ini.constFind(profile);
        if (plain != ini.constEnd())
            return *plain;
    }
    return std::nullopt;
}

} // namespace

Result<AwsConfigFiles> AwsConfigFiles::load(const QProcessEnvironment &env, const QString &homeDir)
{
    const auto variable = [&env](const char *name) { return env.value(QLatin1String(name)).trimmed(); };
    AwsConfigFiles files;
    files.m_profileName = variable("AWS_PROFILE");
    if (files.m_profileName.isEmpty())
        files.m_profileName = variable("AWS_DEFAULT_PROFILE");
    files.m_profileRequested = !files.m_profileName.isEmpty();
    if (!files.m_profileRequested)
        files.m_profileName = QStringLiteral("default");

    const QString awsDir = QDir(homeDir).filePath(QStringLiteral(".aws"));
    files.m_credentialsPath = variable("AWS_SHARED_CREDENTIALS_FILE");
    if (files.m_credentialsPath.isEmpty())
        files.m_credentialsPath = QDir(awsDir).filePath(QStringLiteral("credentials"));
    files.m_configPath = variable("AWS_CONFIG_FILE");
    if (files.m_configPath.isEmpty())
        files.m_configPath = QDir(awsDir).filePath(QStringLiteral("config"));

    Result<IniFile> credentials = readIniFile(files.m_credentialsPath);
    if (!credentials.ok())
        return credentials.error();
    Result<IniFile> config = readIniFile(files.m_configPath);
    if (!config.ok())
        return config.error();
    files.m_credentials = std::move(*credentials);
    files.m_config = std::move(*config);
    return files;
}

std::optional<AwsProfile> AwsConfigFiles::profile(const QString &name) const
{
    const std::optional<AwsIniSection> fromCredentials = findSection(m_credentials, name, false);
    const std::optional<AwsIniSection> fromConfig = findSection(m_config, name, true);
    if (!fromCredentials && !fromConfig)
        return std::nullopt;
    AwsProfile profile;
    profile.name = name;
    QStringList paths;
    if (fromCredentials) {
        profile.settings = *fromCredentials;
        paths << m_credentialsPath;
    }
    if (fromConfig) {
        for (auto it = fromConfig->values.constBegin(); it != fromConfig->values.constEnd(); ++it) {
            if (!profile.settings.values.contains(it.key()))
                profile.settings.values.insert(it.key(), it.value());
        }
        for (auto it = fromConfig->nested.constBegin(); it != fromConfig->nested.constEnd(); ++it) {
            if (!profile.settings.nested.contains(it.key()))
                profile.settings.nested.insert(it.key(), it.value());
        }
        paths << m_configPath;
    }
    profile.path = paths.join(QStringLiteral(" and "));
    return profile;
}

std::optional<AwsIniSection> AwsConfigFiles::services(const QString &name) const
{
    const auto it = m_config.constFind(QStringLiteral("services ") + name);
    return it == m_config.constEnd() ? std::nullopt : std::optional<AwsIniSection>(*it);
}

} // namespace s3cache
