#pragma once
// The standard AWS credential chain, used when no key pair was given as a parameter or as
// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (storespec.cpp checks those first;
// docs/behaviour.md §2). In order:
//  1. web identity: AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE (+ AWS_ROLE_SESSION_NAME) ->
//     STS AssumeRoleWithWebIdentity (stsclient.h), the token file read again at every refresh;
//  2. the profile AWS_PROFILE (else AWS_DEFAULT_PROFILE, else "default") of the shared files
//     (awsconfigfile.h), in botocore's order:
//       role_arn with source_profile (chains of profiles, loops refused), credential_source
//       (Environment, Ec2InstanceMetadata, EcsContainer) or web_identity_token_file, plus
//       external_id, role_session_name, duration_seconds -> STS AssumeRole(WithWebIdentity);
//       sso_session / sso_start_url -> refused with a clear message;
//       aws_access_key_id + aws_secret_access_key (+ aws_session_token / aws_security_token);
//       credential_process (credentialsources.h);
//  3. container credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI
//     (credentialsources.h);
//  4. the EC2 instance metadata service (imdsclient.h: IMDSv2, falling back to IMDSv1), unless
//     AWS_EC2_METADATA_DISABLED is "true"; endpoint AWS_EC2_METADATA_SERVICE_ENDPOINT, else
//     http://169.254.169.254.
// The result is a CredentialProvider that fetches again before temporary credentials expire;
// nothing found -> a null provider (or empty Credentials), not an error. Errors are for what
// never heals by itself: an unreadable or malformed file, an AWS_PROFILE that exists in
// neither file, a profile with half a key pair or one that relies on what s3cache does not
// implement (SSO, mfa_serial), a failed STS call or process, a malformed answer. Each names
// the link of the chain; none contains key material.
// May do network I/O (up to ~3 s when the metadata endpoint does not answer, an STS call):
// never call it from the GUI thread. Found secrets are registered with Log::registerSecret.

#include "s3/credentialprovider.h"
#include "s3/s3types.h"
#include "util/result.h"

#include <QProcessEnvironment>
#include <QString>

namespace s3cache {

// Builds the provider of the first link that applies and fetches its first credentials (so a
// broken link fails here); null when no link applies. `caBundlePath`: extra CA certificates for
// STS and https container endpoints.
Result<CredentialProviderPtr> resolveCredentialProvider(const QProcessEnvironment &env, const QString &homeDir,
                                                        const QString &caBundlePath = {});

// The first credentials of resolveCredentialProvider(); empty when no link applies.
Result<Credentials> resolveCredentialChain(const QProcessEnvironment &env, const QString &homeDir);

} // namespace s3cache
