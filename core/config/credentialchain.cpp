#include "credentialchain.h"

#include "awsconfigfile.h"
#include "imdsclient.h"

#include "util/log.h"

namespace s3cache {

namespace {

// Static keys of a profile section: empty when it has none; an error when it has half a pair or
// relies on a credential provider s3cache does not implement.
Result<Credentials> staticKeys(const AwsProfile &profile)
{
    const AwsIniSection &section = profile.settings;
    Credentials c;
    c.accessKey = section.value(QStringLiteral("aws_access_key_id"));
    c.secretKey = section.value(QStringLiteral("aws_secret_access_key"));
    c.sessionToken = section.values.value(QStringLiteral("aws_session_token"),
                                          section.value(QStringLiteral("aws_security_token")));
    Log::registerSecret(c.secretKey);
    Log::registerSecret(c.sessionToken);
    const QString where = QStringLiteral("AWS profile '%1' in %2").arg(profile.name, profile.path);
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
    c.source = QStringLiteral("profile %1 (%2)").arg(profile.name, profile.path);
    return c;
}

} // namespace

Result<Credentials> resolveCredentialChain(const QProcessEnvironment &env, const QString &homeDir)
{
    const auto variable = [&env](const char *name) { return env.value(QLatin1String(name)).trimmed(); };
    const Result<AwsConfigFiles> files = AwsConfigFiles::load(env, homeDir);
    if (!files.ok())
        return files.error();
    if (const std::optional<AwsProfile> profile = files->profile()) {
        Result<Credentials> keys = staticKeys(*profile);
        if (!keys.ok() || !keys->isEmpty())
            return keys;
    } else if (files->profileRequested()) {
        return Error(ErrorKind::InvalidInput, QStringLiteral("AwsProfileNotFound"),
                     QStringLiteral("AWS profile '%1' (from AWS_PROFILE) is in neither %2 nor %3")
                         .arg(files->profileName(), files->credentialsPath(), files->configPath()));
    }

    if (variable("AWS_EC2_METADATA_DISABLED").compare(u"true", Qt::CaseInsensitive) == 0)
        return Credentials();
    ImdsOptions imds;
    const QString endpoint = variable("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    if (!endpoint.isEmpty())
        imds.endpoint = endpoint;
    return fetchImdsCredentials(imds);
}

} // namespace s3cache
