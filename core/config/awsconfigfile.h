#pragma once
// The AWS shared files, as the AWS CLI and SDKs read them (docs/behaviour.md §2): the
// credentials file (AWS_SHARED_CREDENTIALS_FILE, else <home>/.aws/credentials; sections
// "[name]") and the config file (AWS_CONFIG_FILE, else <home>/.aws/config; sections
// "[profile name]", "[default]", "[services name]", "[sso-session name]").
//
// Syntax: "[section]" headers, "key = value" lines, '#'/';' comments (also inline after
// whitespace), keys case-insensitive. A key with an empty value followed by indented
// "key = value" lines is a nested group ("s3 =\n  addressing_style = path"). A missing file is
// no error; an unreadable or malformed one is, and the message names the file and the line but
// never echoes a line (it may hold a key).
//
// One profile's settings are those of its section in the credentials file, then of its section
// in the config file for keys the credentials file does not set (as botocore merges them).

#include "util/result.h"

#include <QMap>
#include <QProcessEnvironment>
#include <QString>

#include <optional>

namespace s3cache {

struct AwsIniSection
{
    QMap<QString, QString> values;                  // lower-case key -> value
    QMap<QString, QMap<QString, QString>> nested;   // "s3" -> {"addressing_style": "path"}
    QString value(const QString &key) const { return values.value(key); }
    bool contains(const QString &key) const { return values.contains(key); }
};

struct AwsProfile
{
    QString name;
    QString path;              // the file(s) it came from, for messages: "~/.aws/config"
    AwsIniSection settings;
    QString value(const char *key) const { return settings.values.value(QLatin1String(key)); }
    bool contains(const char *key) const { return settings.values.contains(QLatin1String(key)); }
    // A nested setting: nestedValue("s3", "addressing_style").
    QString nestedValue(const char *group, const char *key) const
    {
        return settings.nested.value(QLatin1String(group)).value(QLatin1String(key));
    }
};

class AwsConfigFiles
{
public:
    // Reads both files. The selected profile is AWS_PROFILE, else AWS_DEFAULT_PROFILE, else
    // "default".
    static Result<AwsConfigFiles> load(const QProcessEnvironment &env, const QString &homeDir);

    const QString &profileName() const { return m_profileName; }
    // True when AWS_PROFILE / AWS_DEFAULT_PROFILE named the profile (so it must exist).
    bool profileRequested() const { return m_profileRequested; }
    const QString &credentialsPath() const { return m_credentialsPath; }
    const QString &configPath() const { return m_configPath; }

    // The merged settings of profile `name`; std::nullopt when neither file has it.
    std::optional<AwsProfile> profile(const QString &name) const;
    // The selected profile.
    std::optional<AwsProfile> profile() const { return profile(m_profileName); }
    // A "[services name]" section of the config file (per-service endpoint_url and the like).
    std::optional<AwsIniSection> services(const QString &name) const;

private:
    using IniFile = QMap<QString, AwsIniSection>;
    QString m_profileName;
    bool m_profileRequested = false;
    QString m_credentialsPath;
    QString m_configPath;
    IniFile m_credentials;
    IniFile m_config;
};

} // namespace s3cache
