#include "credentialchain.h"

#include "imdsclient.h"

#include "util/log.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QMap>
#include <QRegularExpression>

namespace s3cache {

namespace {

using Section = QMap<QString, QString>;  // lower-case key -> value
using IniFile = QMap<QString, Section>;  // section name -> keys

// Parses an AWS INI file: [section] headers, "key = value" lines, '#'/';' comments (also inline
// after whitespace), indented continuation lines (nested settings such as "s3 =\n  x = y",
// which s3cache does not use) skipped. A missing file is std::nullopt.
Result<std::optional<IniFile>> readIniFile(const QString &path)
{
    if (!QFileInfo::exists(path))
        return std::optional<IniFile>();
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text))
        return Error(ErrorKind::Io, QStringLiteral("AwsConfigFile"),
                     QStringLiteral("cannot read %1: %2").arg(path, file.errorString()));
    static const QRegularExpression inlineComment(QStringLiteral("\\s[#;].*$"));
    IniFile ini;
    QString section;
    bool haveKey = false;
    int lineNumber = 0;
    const QStringList lines = QString::fromUtf8(file.readAll()).split(u'\n');
    for (const QString &raw : lines) {
        ++lineNumber;
        const QString line = raw.trimmed();
        if (line.isEmpty() || line.startsWith(u'#') || line.startsWith(u';'))
            continue;
        if (raw.front().isSpace() && haveKey)
            continue;
        const auto fail = [&](const QString &what) {
            return Error(ErrorKind::InvalidInput, QStringLiteral("AwsConfigFile"),
                         QStringLiteral("%1 line %2: %3").arg(path, QString::number(lineNumber), what));
        };
        if (line.startsWith(u'[')) {
            const QString header = QString(line).remove(inlineComment);
            if (!header.endsWith(u']'))
                return fail(QStringLiteral("section header without ']'"));
            section = header.mid(1, header.size() - 2).trimmed();
            if (section.isEmpty())
                return fail(QStringLiteral("empty section name"));
            ini[section];
            haveKey = false;
            continue;
        }
        const qsizetype eq = line.indexOf(u'=');
        if (eq <= 0)
            return fail(QStringLiteral("expected '[section]' or 'key = value'"));  // never echo the line: it may hold a key
        if (section.isEmpty())
            return fail(QStringLiteral("setting outside of any [section]"));
        ini[section].insert(line.left(eq).trimmed().toLower(), line.mid(eq + 1).remove(inlineComment).trimmed());
        haveKey = true;
    }
    return std::optional<IniFile>(ini);
}

// The profile's section: credentials file "[name]"; config file "[profile name]", or "[default]".
std::optional<Section> profileSection(const IniFile &ini, const QString &profile, bool configFile)
{
    static const QRegularExpression profileHeader(QStringLiteral("^profile\\s+(.+)$"));
    for (auto it = ini.constBegin(); it != ini.constEnd(); ++it) {
        QString name = it.key();
        if (configFile) {
            const QRegularExpressionMatch m = profileHeader.match(name);
            if (m.hasMatch())
                name = m.captured(1).trimmed();
            else if (name != u"default")
                continue;
        }
        if (name == profile)
            return it.value();
    }
    return std::nullopt;
}

// Static keys of a profile section: empty when it has none; an error when it has half a pair or
// relies on a credential provider s3cache does not implement.
Result<Credentials> staticKeys(const Section &section, const QString &profile, const QString &path)
{
    Credentials c;
    c.accessKey = section.value(QStringLiteral("aws_access_key_id"));
    c.secretKey = section.value(QStringLiteral("aws_secret_access_key"));
    c.sessionToken = section.value(QStringLiteral("aws_session_token"),
                                   section.value(QStringLiteral("aws_security_token")));
    Log::registerSecret(c.secretKey);
    Log::registerSecret(c.sessionToken);
    const QString where = QStringLiteral("AWS profile '%1' in %2").arg(profile, path);
    if (c.accessKey.isEmpty() != c.secretKey.isEmpty())
        return Error(ErrorKind::InvalidInput, QStringLiteral("AwsConfigFile"),
                     QStringLiteral("%1 has %2 but no %3").arg(where,
                         c.accessKey.isEmpty() ? QStringLiteral("aws_secret_access_key") : QStringLiteral("aws_access_key_id"),
                         c.accessKey.isEmpty() ? QStringLiteral("aws_access_key_id") : QStringLiteral("aws_secret_access_key")));
    if (c.isEmpty()) {
        for (const char *unsupported : {"role_arn", "credential_process", "sso_session", "sso_start_url",
                                        "web_identity_token_file"}) {
            if (section.contains(QLatin1String(unsupported)))
                return Error(ErrorKind::InvalidInput, QStringLiteral("AwsConfigFile"),
                             QStringLiteral("%1 uses %2, which s3cache does not support; give access_key and "
                                            "secret_key, or a profile with static keys").arg(where, QLatin1String(unsupported)));
        }
        return Credentials();
    }
    c.source = QStringLiteral("profile %1 (%2)").arg(profile, path);
    return c;
}

} // namespace

Result<Credentials> resolveCredentialChain(const QProcessEnvironment &env, const QString &homeDir)
{
    const auto variable = [&env](const char *name) { return env.value(QLatin1String(name)).trimmed(); };
    QString profile = variable("AWS_PROFILE");
    if (profile.isEmpty())
        profile = variable("AWS_DEFAULT_PROFILE");
    const bool profileRequested = !profile.isEmpty();
    if (!profileRequested)
        profile = QStringLiteral("default");

    const QString awsDir = QDir(homeDir).filePath(QStringLiteral(".aws"));
    QString credentialsFile = variable("AWS_SHARED_CREDENTIALS_FILE");
    if (credentialsFile.isEmpty())
        credentialsFile = QDir(awsDir).filePath(QStringLiteral("credentials"));
    QString configFile = variable("AWS_CONFIG_FILE");
    if (configFile.isEmpty())
        configFile = QDir(awsDir).filePath(QStringLiteral("config"));

    bool profileFound = false;
    for (const auto &[path, isConfig] : {std::pair{credentialsFile, false}, std::pair{configFile, true}}) {
        const Result<std::optional<IniFile>> ini = readIniFile(path);
        if (!ini.ok())
            return ini.error();
        if (!ini->has_value())
            continue;
        const std::optional<Section> section = profileSection(**ini, profile, isConfig);
        if (!section)
            continue;
        profileFound = true;
        Result<Credentials> keys = staticKeys(*section, profile, path);
        if (!keys.ok() || !keys->isEmpty())
            return keys;
    }
    if (profileRequested && !profileFound)
        return Error(ErrorKind::InvalidInput, QStringLiteral("AwsProfileNotFound"),
                     QStringLiteral("AWS profile '%1' (from AWS_PROFILE) is in neither %2 nor %3")
                         .arg(profile, credentialsFile, configFile));

    if (variable("AWS_EC2_METADATA_DISABLED").compare(u"true", Qt::CaseInsensitive) == 0)
        return Credentials();
    ImdsOptions imds;
    const QString endpoint = variable("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    if (!endpoint.isEmpty())
        imds.endpoint = endpoint;
    return fetchImdsCredentials(imds);
}

} // namespace s3cache
