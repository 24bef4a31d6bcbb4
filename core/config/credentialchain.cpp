#include "credentialchain.h"

#include "awsconfigfile.h"
#include "credentialsources.h"
#include "imdsclient.h"
#include "stsclient.h"

#include "util/log.h"

#include <QFile>

namespace s3cache {

namespace {

using ProviderResult = Result<CredentialProviderPtr>;

struct Chain
{
    QProcessEnvironment env;
    AwsConfigFiles files;
    QString caBundlePath;

    QString variable(const char *name) const { return env.value(QLatin1String(name)).trimmed(); }
};

Error configError(const QString &code, const QString &message)
{
    return Error(ErrorKind::InvalidInput, code, message);
}

CredentialProviderPtr provider(CredentialProvider::Fetch fetch)
{
    return std::make_shared<CredentialProvider>(std::move(fetch));
}

// Static keys of a profile section: empty when it has none; an error when it has half a pair.
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
    if (c.isEmpty())
        return Credentials();
    c.source = QStringLiteral("profile %1 (%2)").arg(profile.name, profile.path);
    return c;
}

// AssumeRoleWithWebIdentity with the token of `tokenFile`, read again at every fetch.
CredentialProviderPtr webIdentityProvider(const StsSettings &sts, const AssumeRoleParameters &parameters,
                                          const QString &tokenFile, const QString &link, const QString &source)
{
    return provider([=]() -> Result<Credentials> {
        QFile file(tokenFile);
        if (!file.open(QIODevice::ReadOnly))
            return Error(ErrorKind::Io, QStringLiteral("WebIdentityTokenFile"),
                         QStringLiteral("%1: cannot read the token file %2: %3").arg(link, tokenFile, file.errorString()));
        const QString token = QString::fromUtf8(file.readAll()).trimmed();
        Log::registerSecret(token);
        if (token.isEmpty())
            return Error(ErrorKind::InvalidInput, QStringLiteral("WebIdentityTokenFile"),
                         QStringLiteral("%1: the token file %2 is empty").arg(link, tokenFile));
        Result<Credentials> credentials = assumeRoleWithWebIdentity(sts, token, parameters, link);
        if (credentials.ok())
            credentials->source = source;
        return credentials;
    });
}

ProviderResult imdsProvider(const Chain &chain)
{
    if (chain.variable("AWS_EC2_METADATA_DISABLED").compare(u"true", Qt::CaseInsensitive) == 0)
        return CredentialProviderPtr();
    ImdsOptions imds;
    const QString endpoint = chain.variable("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    if (!endpoint.isEmpty())
        imds.endpoint = endpoint;
    imds.v1Disabled = chain.variable("AWS_EC2_METADATA_V1_DISABLED").compare(u"true", Qt::CaseInsensitive) == 0;
    return provider([imds] { return fetchImdsCredentials(imds); });
}

ProviderResult containerProvider(const Chain &chain)
{
    const Result<std::optional<ContainerCredentialsSettings>> settings =
        containerCredentialsSettings(chain.env, chain.caBundlePath);
    if (!settings.ok())
        return settings.error();
    if (!settings->has_value())
        return CredentialProviderPtr();
    return provider([container = **settings]() {
        Result<Credentials> credentials = fetchContainerCredentials(container);
        if (credentials.ok())
            credentials->source = container.link();
        return credentials;
    });
}

Result<AssumeRoleParameters> roleParameters(const AwsProfile &profile, const QString &link)
{
    AssumeRoleParameters parameters;
    parameters.roleArn = profile.value("role_arn").trimmed();
    parameters.sessionName = profile.value("role_session_name").trimmed();
    parameters.externalId = profile.value("external_id").trimmed();
    const QString duration = profile.value("duration_seconds").trimmed();
    if (!duration.isEmpty()) {
        bool ok = false;
        parameters.durationSeconds = duration.toInt(&ok);
        if (!ok || parameters.durationSeconds < 900 || parameters.durationSeconds > 43200)
            return configError(QStringLiteral("AwsConfigFile"),
                               QStringLiteral("%1: duration_seconds '%2' is not a number of seconds from 900 to 43200")
                                   .arg(link, duration));
    }
    if (parameters.roleArn.isEmpty())
        return configError(QStringLiteral("AwsConfigFile"), QStringLiteral("%1: role_arn is empty").arg(link));
    return parameters;
}

ProviderResult profileProvider(const Chain &chain, const QString &name, QStringList visited);

// The provider of a role_arn profile: AssumeRole with the credentials of its source_profile or
// credential_source, or AssumeRoleWithWebIdentity with its web_identity_token_file.
ProviderResult roleProvider(const Chain &chain, const AwsProfile &profile, const Credentials &ownKeys,
                            const QStringList &visited)
{
    const QString roleArn = profile.value("role_arn").trimmed();
    const QString link = QStringLiteral("profile '%1' role_arn %2").arg(profile.name, roleArn);
    if (profile.contains("mfa_serial"))
        return configError(QStringLiteral("UnsupportedCredentials"),
                           QStringLiteral("%1 has mfa_serial: s3cache cannot ask for an MFA code; run `aws configure "
                                          "export-credentials --profile %2` first, or use credential_process")
                               .arg(link, profile.name));
    const Result<AssumeRoleParameters> parameters = roleParameters(profile, link);
    if (!parameters.ok())
        return parameters.error();
    const Result<StsSettings> sts = resolveStsSettings(chain.env, chain.files.profile(), chain.caBundlePath);
    if (!sts.ok())
        return sts.error().withContext(link);

    const QString sourceProfile = profile.value("source_profile").trimmed();
    const QString credentialSource = profile.value("credential_source").trimmed();
    const QString tokenFile = profile.value("web_identity_token_file").trimmed();
    if (!sourceProfile.isEmpty() && !credentialSource.isEmpty())
        return configError(QStringLiteral("AwsConfigFile"),
                           QStringLiteral("%1: give source_profile or credential_source, not both").arg(link));

    CredentialProviderPtr source;
    if (!sourceProfile.isEmpty()) {
        if (visited.contains(sourceProfile)) {
            // A profile may name itself as its source when it has static keys (botocore allows it).
            if (sourceProfile != profile.name || ownKeys.isEmpty())
                return configError(QStringLiteral("AwsConfigFile"),
                                   QStringLiteral("%1: source_profile loops: %2").arg(link, (visited + QStringList{sourceProfile})
                                                                                                .join(QStringLiteral(" -> "))));
            source = CredentialProvider::fixed(ownKeys);
        } else {
            if (!chain.files.profile(sourceProfile))
                return configError(QStringLiteral("AwsProfileNotFound"),
                                   QStringLiteral("%1: source_profile '%2' is in neither %3 nor %4")
                                       .arg(link, sourceProfile, chain.files.credentialsPath(), chain.files.configPath()));
            const ProviderResult sourceResult = profileProvider(chain, sourceProfile, visited);
            if (!sourceResult.ok())
                return sourceResult.error();
            source = *sourceResult;
            if (!source)
                return configError(QStringLiteral("AwsConfigFile"),
                                   QStringLiteral("%1: source_profile '%2' has no credentials (no keys, role_arn or "
                                                  "credential_process)").arg(link, sourceProfile));
        }
    } else if (!credentialSource.isEmpty()) {
        if (credentialSource == u"Environment") {
            Credentials keys{chain.variable("AWS_ACCESS_KEY_ID"), chain.variable("AWS_SECRET_ACCESS_KEY"),
                             chain.variable("AWS_SESSION_TOKEN"), QStringLiteral("AWS_ACCESS_KEY_ID")};
            if (keys.accessKey.isEmpty() || keys.secretKey.isEmpty())
                return configError(QStringLiteral("AwsConfigFile"),
                                   QStringLiteral("%1: credential_source Environment, but AWS_ACCESS_KEY_ID and "
                                                  "AWS_SECRET_ACCESS_KEY are not both set").arg(link));
            source = CredentialProvider::fixed(keys);
        } else if (credentialSource == u"Ec2InstanceMetadata") {
            const ProviderResult imds = imdsProvider(chain);
            if (!imds.ok())
                return imds.error();
            source = *imds;
        } else if (credentialSource == u"EcsContainer") {
            const ProviderResult container = containerProvider(chain);
            if (!container.ok())
                return container.error();
            source = *container;
        } else {
            return configError(QStringLiteral("AwsConfigFile"),
                               QStringLiteral("%1: credential_source '%2' is not Environment, Ec2InstanceMetadata or "
                                              "EcsContainer").arg(link, credentialSource));
        }
        if (!source)
            return configError(QStringLiteral("AwsConfigFile"),
                               QStringLiteral("%1: credential_source %2 is not available here").arg(link, credentialSource));
    } else if (!tokenFile.isEmpty()) {
        return webIdentityProvider(*sts, *parameters, tokenFile,
                                   QStringLiteral("web identity (profile '%1' role_arn %2, web_identity_token_file %3)")
                                       .arg(profile.name, roleArn, tokenFile),
                                   QStringLiteral("web identity: role %1 via profile '%2' web_identity_token_file")
                                       .arg(roleArn, profile.name));
    } else {
        return configError(QStringLiteral("AwsConfigFile"),
                           QStringLiteral("%1 needs source_profile, credential_source or web_identity_token_file").arg(link));
    }

    return provider([sts = *sts, parameters = *parameters, source, link, name = profile.name]() -> Result<Credentials> {
        const Result<Credentials> sourceCredentials = source->credentials();
        if (!sourceCredentials.ok())
            return sourceCredentials.error().withContext(link + QStringLiteral(": source credentials"));
        if (sourceCredentials->isEmpty())
            return Error(ErrorKind::Auth, QStringLiteral("NoSourceCredentials"),
                         QStringLiteral("%1: the credential source found no credentials").arg(link));
        Result<Credentials> credentials = assumeRole(sts, *sourceCredentials, parameters, link);
        if (credentials.ok())
            credentials->source = QStringLiteral("profile '%1' role %2 assumed with %3")
                                      .arg(name, parameters.roleArn, sourceCredentials->source);
        return credentials;
    });
}

// The provider of profile `name` (which exists); null when it has no credentials. `visited`:
// the profiles whose source_profile led here (empty for the selected one).
ProviderResult profileProvider(const Chain &chain, const QString &name, QStringList visited)
{
    const AwsProfile profile = *chain.files.profile(name);
    const bool asSource = !visited.isEmpty();
    visited << name;
    const Result<Credentials> keys = staticKeys(profile);
    if (!keys.ok())
        return keys.error();
    // As a source, static keys win over the profile's own role (botocore).
    if (profile.contains("role_arn") && !(asSource && !keys->isEmpty()))
        return roleProvider(chain, profile, *keys, visited);
    const QString where = QStringLiteral("AWS profile '%1' in %2").arg(profile.name, profile.path);
    if (keys->isEmpty() && (profile.contains("sso_session") || profile.contains("sso_start_url")))
        return configError(QStringLiteral("UnsupportedCredentials"),
                           QStringLiteral("%1 uses AWS IAM Identity Center (SSO), which s3cache does not support: run "
                                          "`aws configure export-credentials --profile %2 --format env` before s3cache, "
                                          "or give the profile a credential_process").arg(where, profile.name));
    if (!keys->isEmpty())
        return CredentialProvider::fixed(*keys);
    if (profile.contains("credential_process")) {
        const QString command = profile.value("credential_process").trimmed();
        const QString link = QStringLiteral("profile '%1' credential_process").arg(profile.name);
        return provider([command, link, env = chain.env]() {
            Result<Credentials> credentials = runCredentialProcess(command, env, link);
            if (credentials.ok())
                credentials->source = link;
            return credentials;
        });
    }
    if (profile.contains("web_identity_token_file"))
        return configError(QStringLiteral("AwsConfigFile"),
                           QStringLiteral("%1 has web_identity_token_file but no role_arn").arg(where));
    return CredentialProviderPtr();
}

ProviderResult pickProvider(const Chain &chain)
{
    const QString roleArn = chain.variable("AWS_ROLE_ARN");
    const QString tokenFile = chain.variable("AWS_WEB_IDENTITY_TOKEN_FILE");
    if (!roleArn.isEmpty() && !tokenFile.isEmpty()) {
        const QString link = QStringLiteral("web identity (AWS_ROLE_ARN %1, AWS_WEB_IDENTITY_TOKEN_FILE %2)").arg(roleArn, tokenFile);
        const Result<StsSettings> sts = resolveStsSettings(chain.env, chain.files.profile(), chain.caBundlePath);
        if (!sts.ok())
            return sts.error().withContext(link);
        AssumeRoleParameters parameters;
        parameters.roleArn = roleArn;
        parameters.sessionName = chain.variable("AWS_ROLE_SESSION_NAME");
        return webIdentityProvider(*sts, parameters, tokenFile, link,
                                   QStringLiteral("web identity: role %1 via AWS_WEB_IDENTITY_TOKEN_FILE").arg(roleArn));
    }
    if (!roleArn.isEmpty() || !tokenFile.isEmpty())
        Log::debug(QStringLiteral("web identity needs both AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE; only %1 is set")
                       .arg(roleArn.isEmpty() ? QStringLiteral("AWS_WEB_IDENTITY_TOKEN_FILE") : QStringLiteral("AWS_ROLE_ARN")));

    if (chain.files.profile()) {
        ProviderResult fromProfile = profileProvider(chain, chain.files.profileName(), {});
        if (!fromProfile.ok() || *fromProfile)
            return fromProfile;
    } else if (chain.files.profileRequested()) {
        return Error(ErrorKind::InvalidInput, QStringLiteral("AwsProfileNotFound"),
                     QStringLiteral("AWS profile '%1' (from AWS_PROFILE) is in neither %2 nor %3")
                         .arg(chain.files.profileName(), chain.files.credentialsPath(), chain.files.configPath()));
    }

    ProviderResult container = containerProvider(chain);
    if (!container.ok() || *container)
        return container;
    return imdsProvider(chain);
}

} // namespace

Result<CredentialProviderPtr> resolveCredentialProvider(const QProcessEnvironment &env, const QString &homeDir,
                                                        const QString &caBundlePath)
{
    Result<AwsConfigFiles> files = AwsConfigFiles::load(env, homeDir);
    if (!files.ok())
        return files.error();
    const Chain chain{env, std::move(*files), caBundlePath};
    ProviderResult picked = pickProvider(chain);
    if (!picked.ok() || !*picked)
        return picked;
    const Result<Credentials> first = (*picked)->credentials();
    if (!first.ok())
        return first.error();
    if (first->isEmpty())
        return CredentialProviderPtr();
    return picked;
}

Result<Credentials> resolveCredentialChain(const QProcessEnvironment &env, const QString &homeDir)
{
    const Result<CredentialProviderPtr> provider = resolveCredentialProvider(env, homeDir);
    if (!provider.ok())
        return provider.error();
    if (!*provider)
        return Credentials();
    return (*provider)->credentials();
}

} // namespace s3cache
