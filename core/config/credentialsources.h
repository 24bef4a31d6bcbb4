#pragma once
// Two local credential sources of the AWS chain (docs/behaviour.md §2):
//
// Container credentials (ECS task roles, EKS Pod Identity): GET of
// AWS_CONTAINER_CREDENTIALS_RELATIVE_URI on http://169.254.170.2 (wins), else of
// AWS_CONTAINER_CREDENTIALS_FULL_URI: https anywhere, http only to loopback, 169.254.170.2,
// 169.254.170.23 and fd00:ec2::23. The Authorization header comes from the file
// AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (read again at every fetch: EKS rotates it), else from
// AWS_CONTAINER_AUTHORIZATION_TOKEN. The answer is JSON AccessKeyId, SecretAccessKey, Token,
// Expiration. Sent on the S3 HTTP stack (stsclient.h: sendCredentialRequest).
//
// credential_process: the profile's command line, split like botocore (POSIX shell words:
// blanks separate, '...' literal, "..." with \ escaping \ " $ `, \ outside quotes escapes the
// next character) and run WITHOUT a shell, with the chain's environment; it must exit 0 within
// the timeout and print JSON {"Version": 1, "AccessKeyId", "SecretAccessKey", "SessionToken",
// "Expiration"}. Its stderr is shown in errors, masked and cut short.
//
// Errors name the source and never contain key material; every secret read is registered with
// Log::registerSecret at once.

#include "s3/s3types.h"
#include "util/result.h"

#include <QProcessEnvironment>
#include <QStringList>
#include <QUrl>

namespace s3cache {

struct ContainerCredentialsSettings
{
    QUrl url;
    QString variable;          // the variable the URL came from
    QString tokenFile;         // AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE
    QString token;             // AWS_CONTAINER_AUTHORIZATION_TOKEN
    QString caBundlePath;
    // "container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI)"
    QString link() const;
};

// std::nullopt when neither URI variable is set; an error for a URL the SDKs refuse.
Result<std::optional<ContainerCredentialsSettings>> containerCredentialsSettings(const QProcessEnvironment &env,
                                                                                const QString &caBundlePath);
Result<Credentials> fetchContainerCredentials(const ContainerCredentialsSettings &settings);

// botocore's shell split; an error for an unterminated quote or an empty command.
Result<QStringList> splitCommandLine(const QString &commandLine);

// `link` names it in errors ("profile 'ci' credential_process").
Result<Credentials> runCredentialProcess(const QString &commandLine, const QProcessEnvironment &env,
                                         const QString &link, int timeoutMs = 60'000);

// The JSON of credential_process (Version 1) or of the container endpoint (`Token` instead of
// `SessionToken`, no Version).
Result<Credentials> parseCredentialsJson(const QByteArray &json, bool processFormat, const QString &link);

} // namespace s3cache
