#include "stsclient.h"

#include "s3/s3connection.h"
#include "util/log.h"

#include <QDateTime>
#include <QXmlStreamReader>

namespace s3cache {

namespace {

constexpr int requestTimeoutMs = 30'000;

// botocore's _LEGACY_GLOBAL_REGIONS: with sts_regional_endpoints = legacy these use the global endpoint.
const QStringList legacyGlobalRegions = {
    QStringLiteral("ap-northeast-1"), QStringLiteral("ap-south-1"),   QStringLiteral("ap-southeast-1"),
    QStringLiteral("ap-southeast-2"), QStringLiteral("aws-global"),   QStringLiteral("ca-central-1"),
    QStringLiteral("eu-central-1"),   QStringLiteral("eu-north-1"),   QStringLiteral("eu-west-1"),
    QStringLiteral("eu-west-2"),      QStringLiteral("eu-west-3"),    QStringLiteral("sa-east-1"),
    QStringLiteral("us-east-1"),      QStringLiteral("us-east-2"),    QStringLiteral("us-west-1"),
    QStringLiteral("us-west-2"),
};

Error invalid(const QString &message)
{
    return Error(ErrorKind::InvalidInput, QStringLiteral("StsEndpoint"), message);
}

Result<Credentials> callSts(const StsSettings &sts, const Credentials &signer, const QString &action,
                            const QueryItems &form, const QString &link)
{
    S3Request request = S3Request::formPost(QStringLiteral("STS ") + action, QStringLiteral("sts"), form);
    request.credentials = signer;  // empty: unsigned (AssumeRoleWithWebIdentity)
    const Result<QByteArray> body = sendCredentialRequest(sts.endpoint, sts.region, sts.caBundlePath, std::move(request), sts.proxy);
    if (!body.ok()) {
        Error error = body.error().withContext(link);
        const QString hint = stsHint(error.code());
        if (!hint.isEmpty())
            error.setHint(hint);
        return error;
    }
    return parseStsCredentials(*body, link);
}

QueryItems baseForm(const QString &action, const AssumeRoleParameters &parameters)
{
    QueryItems form{{QStringLiteral("Action"), action},
                    {QStringLiteral("Version"), QStringLiteral("2011-06-15")},
                    {QStringLiteral("RoleArn"), parameters.roleArn},
                    {QStringLiteral("RoleSessionName"),
                     parameters.sessionName.isEmpty()
                         ? QStringLiteral("s3cache-%1").arg(QDateTime::currentMSecsSinceEpoch())
                         : parameters.sessionName}};
    if (parameters.durationSeconds > 0)
        form.append({QStringLiteral("DurationSeconds"), QString::number(parameters.durationSeconds)});
    return form;
}

} // namespace

Result<StsSettings> resolveStsSettings(const QProcessEnvironment &env, const std::optional<AwsProfile> &profile,
                                       const QString &caBundlePath)
{
    const auto variable = [&env](const char *name) { return env.value(QLatin1String(name)).trimmed(); };
    StsSettings sts;
    sts.caBundlePath = caBundlePath;
    Result<ProxySettings> proxy = ProxySettings::fromEnvironment(env);
    if (!proxy.ok())
        return proxy.error();
    sts.proxy = std::move(*proxy);
    sts.region = variable("AWS_REGION");
    if (sts.region.isEmpty())
        sts.region = variable("AWS_DEFAULT_REGION");
    if (sts.region.isEmpty() && profile)
        sts.region = profile->value("region").trimmed();
    if (sts.region.isEmpty())
        sts.region = QStringLiteral("us-east-1");

    for (const char *name : {"AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"}) {
        const QString url = variable(name);
        if (url.isEmpty())
            continue;
        sts.endpoint = QUrl(url, QUrl::StrictMode);
        if (!sts.endpoint.isValid() || sts.endpoint.host().isEmpty()
            || (sts.endpoint.scheme() != u"http" && sts.endpoint.scheme() != u"https"))
            return invalid(QStringLiteral("%1 '%2' is not an http(s)://host[:port] URL").arg(QLatin1String(name), url));
        sts.endpointSource = QLatin1String(name);
        return sts;
    }
    QString mode = variable("AWS_STS_REGIONAL_ENDPOINTS");
    if (mode.isEmpty() && profile)
        mode = profile->value("sts_regional_endpoints").trimmed();
    mode = mode.toLower();
    if (!mode.isEmpty() && mode != u"regional" && mode != u"legacy")
        return invalid(QStringLiteral("sts_regional_endpoints / AWS_STS_REGIONAL_ENDPOINTS is '%1'; expected regional "
                                      "or legacy").arg(mode));
    if (mode == u"legacy" && legacyGlobalRegions.contains(sts.region)) {
        sts.endpoint = QUrl(QStringLiteral("https://sts.amazonaws.com"));
        sts.endpointSource = QStringLiteral("global (sts_regional_endpoints = legacy)");
        sts.region = QStringLiteral("us-east-1");
        return sts;
    }
    const QString suffix = sts.region.startsWith(u"cn-") ? QStringLiteral("amazonaws.com.cn") : QStringLiteral("amazonaws.com");
    sts.endpoint = QUrl(QStringLiteral("https://sts.%1.%2").arg(sts.region, suffix));
    sts.endpointSource = QStringLiteral("regional");
    return sts;
}

Result<Credentials> assumeRole(const StsSettings &sts, const Credentials &source,
                               const AssumeRoleParameters &parameters, const QString &link)
{
    if (source.isEmpty())
        return Error(ErrorKind::Auth, QStringLiteral("NoSourceCredentials"),
                     QStringLiteral("%1: no source credentials to call STS AssumeRole with").arg(link));
    QueryItems form = baseForm(QStringLiteral("AssumeRole"), parameters);
    if (!parameters.externalId.isEmpty())
        form.append({QStringLiteral("ExternalId"), parameters.externalId});
    return callSts(sts, source, QStringLiteral("AssumeRole"), form, link);
}

Result<Credentials> assumeRoleWithWebIdentity(const StsSettings &sts, const QString &token,
                                              const AssumeRoleParameters &parameters, const QString &link)
{
    Log::registerSecret(token);
    QueryItems form = baseForm(QStringLiteral("AssumeRoleWithWebIdentity"), parameters);
    form.append({QStringLiteral("WebIdentityToken"), token});
    return callSts(sts, Credentials(), QStringLiteral("AssumeRoleWithWebIdentity"), form, link);
}

QDateTime parseAwsTime(const QString &text)
{
    QDateTime time = QDateTime::fromString(text, Qt::ISODateWithMs);
    if (!time.isValid())
        time = QDateTime::fromString(text, Qt::ISODate);
    return time.toUTC();
}

Result<Credentials> parseStsCredentials(const QByteArray &xml, const QString &link)
{
    QXmlStreamReader reader(xml);
    Credentials credentials;
    QString expiration;
    int depthInCredentials = 0;
    while (!reader.atEnd()) {
        reader.readNext();
        if (reader.isStartElement()) {
            if (depthInCredentials > 0) {
                ++depthInCredentials;
                const auto name = reader.name();
                QString *field = name == u"AccessKeyId" ? &credentials.accessKey
                               : name == u"SecretAccessKey" ? &credentials.secretKey
                               : name == u"SessionToken" ? &credentials.sessionToken
                               : name == u"Expiration" ? &expiration : nullptr;
                if (field) {
                    *field = reader.readElementText().trimmed();
                    --depthInCredentials;
                }
            } else if (reader.name() == u"Credentials") {
                depthInCredentials = 1;
            }
        } else if (reader.isEndElement() && depthInCredentials > 0) {
            --depthInCredentials;
        }
    }
    Log::registerSecret(credentials.secretKey);
    Log::registerSecret(credentials.sessionToken);
    const auto malformed = [&link](const QString &what) {
        return Error(ErrorKind::Server, QStringLiteral("MalformedResponse"),
                     QStringLiteral("%1: the STS answer %2").arg(link, what));
    };
    if (reader.hasError())
        return malformed(QStringLiteral("is not XML (%1)").arg(reader.errorString()));
    if (credentials.accessKey.isEmpty() || credentials.secretKey.isEmpty() || credentials.sessionToken.isEmpty())
        return malformed(QStringLiteral("has no Credentials with AccessKeyId, SecretAccessKey and SessionToken"));
    credentials.expiration = parseAwsTime(expiration);
    if (!expiration.isEmpty() && !credentials.expiration.isValid())
        return malformed(QStringLiteral("has an Expiration that is not an ISO 8601 time: '%1'").arg(expiration));
    return credentials;
}

Result<QByteArray> sendCredentialRequest(const QUrl &base, const QString &region, const QString &caBundlePath,
                                         S3Request request, const ProxySettings &proxy)
{
    S3ClientConfig config;
    config.endpoint.scheme = base.scheme();
    config.endpoint.host = base.host();
    config.endpoint.port = base.port(-1);
    config.endpoint.region = region;
    config.endpoint.pathStyle = true;
    config.caBundlePath = caBundlePath;
    config.proxy = proxy;
    config.inactivityTimeoutMs = 10'000;
    config.deadline = QDeadlineTimer(requestTimeoutMs);
    config.retry.maxAttempts = 3;
    if (request.path == u"/" && !base.path().isEmpty())
        request.path = base.path();
    S3Connection connection(config);
    const S3CallResult result = connection.serviceCall(std::move(request));
    if (result.error)
        return result.error;
    return result.body;
}

QString stsHint(const QString &code)
{
    static const QMap<QString, QString> hints = {
        {QStringLiteral("AccessDenied"),
         QStringLiteral("the role's trust policy does not let this principal (or this token's issuer, audience or "
                        "subject) assume it")},
        {QStringLiteral("InvalidIdentityToken"),
         QStringLiteral("STS refused the OIDC token: is its issuer registered as an identity provider in IAM, and "
                        "is its audience the one the role trusts?")},
        {QStringLiteral("ExpiredTokenException"),
         QStringLiteral("the token has expired; the web identity token file should be refreshed by its issuer")},
        {QStringLiteral("IDPCommunicationError"), QStringLiteral("STS could not reach the identity provider; retry later")},
        {QStringLiteral("IDPRejectedClaim"), QStringLiteral("the identity provider rejected the token's claims")},
        {QStringLiteral("ValidationError"),
         QStringLiteral("check role_arn (arn:aws:iam::<account>:role/<name>), role_session_name (2-64 of "
                        "[\\w+=,.@-]) and duration_seconds (900-43200, at most the role's maximum)")},
        {QStringLiteral("InvalidClientTokenId"), QStringLiteral("STS does not know the source credentials' access key id")},
        {QStringLiteral("SignatureDoesNotMatch"), QStringLiteral("the source credentials' secret key is wrong")},
        {QStringLiteral("RegionDisabledException"),
         QStringLiteral("STS is not activated in this region for the account: use another region or the global endpoint")},
        {QStringLiteral("NetworkError"),
         QStringLiteral("is the STS endpoint right (AWS_ENDPOINT_URL_STS, AWS_REGION)?")},
    };
    return hints.value(code);
}

} // namespace s3cache
