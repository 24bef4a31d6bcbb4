#pragma once
// STS for the credential chain (docs/behaviour.md §2): AssumeRole (signed, service "sts", with
// the source credentials) and AssumeRoleWithWebIdentity (unsigned, as the SDKs send it), both
// query-protocol form POSTs sent through the S3 HTTP stack (S3Connection::serviceCall), so TLS
// (ca_bundle), retries and timeouts work as for S3.
//
// Endpoint: AWS_ENDPOINT_URL_STS, else AWS_ENDPOINT_URL, else https://sts.<region>.amazonaws.com;
// with AWS_STS_REGIONAL_ENDPOINTS (or the profile's sts_regional_endpoints) = legacy, the global
// https://sts.amazonaws.com for the regions botocore keeps there. Region: AWS_REGION,
// AWS_DEFAULT_REGION, the profile's region, else us-east-1.
//
// Errors name the link of the chain (`link`: "profile 'ci' role_arn arn:..."), carry STS's code
// and message, and a plain-language hint. Returned secrets are registered with the log's masking
// before anything else happens to them.

#include "awsconfigfile.h"

#include "s3/proxy.h"
#include "s3/s3request.h"
#include "s3/s3types.h"
#include "util/result.h"

#include <QDateTime>
#include <QProcessEnvironment>
#include <QUrl>

namespace s3cache {

struct StsSettings
{
    QUrl endpoint;             // https://sts.us-east-1.amazonaws.com
    QString endpointSource;    // "AWS_ENDPOINT_URL_STS", "regional", "global (legacy)"
    QString region;            // signing region
    QString caBundlePath;
    ProxySettings proxy;       // HTTPS_PROXY/NO_PROXY as for S3: STS is an ordinary AWS host
};

Result<StsSettings> resolveStsSettings(const QProcessEnvironment &env, const std::optional<AwsProfile> &profile,
                                       const QString &caBundlePath);

struct AssumeRoleParameters
{
    QString roleArn;
    QString sessionName;       // empty: "s3cache-<milliseconds since 1970>"
    QString externalId;        // AssumeRole only
    int durationSeconds = 0;   // 0: STS's default
};

Result<Credentials> assumeRole(const StsSettings &sts, const Credentials &source,
                               const AssumeRoleParameters &parameters, const QString &link);
Result<Credentials> assumeRoleWithWebIdentity(const StsSettings &sts, const QString &token,
                                              const AssumeRoleParameters &parameters, const QString &link);

// An ISO 8601 time as the credential sources write it ("2026-12-01T20:15:00Z", with or without
// fractional seconds), in UTC; invalid when it is none.
QDateTime parseAwsTime(const QString &text);

// The <Credentials> of an AssumeRole* answer (Expiration may carry fractional seconds).
Result<Credentials> parseStsCredentials(const QByteArray &xml, const QString &link);

// One request to a credential endpoint (STS, the container endpoint) on the S3 HTTP stack:
// the body of a 2xx answer, else an error whose code is the server's (STS error XML parsed).
// `proxy` empty: a direct connection (the container endpoint, a link-local or loopback address).
Result<QByteArray> sendCredentialRequest(const QUrl &base, const QString &region, const QString &caBundlePath,
                                         S3Request request, const ProxySettings &proxy = {});

// "the role's trust policy ..." for STS's error codes; empty when there is nothing to add.
QString stsHint(const QString &code);

} // namespace s3cache
