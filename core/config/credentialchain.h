#pragma once
// The standard AWS credential chain, used when no key pair was given as a parameter (docs/behaviour.md §2).
// In order:
//  1. the profile AWS_PROFILE (else AWS_DEFAULT_PROFILE, else "default") in the shared
//     credentials file (AWS_SHARED_CREDENTIALS_FILE, else <home>/.aws/credentials; sections
//     "[name]"), then in the config file (AWS_CONFIG_FILE, else <home>/.aws/config; sections
//     "[profile name]", and "[default]"), with aws_access_key_id, aws_secret_access_key and
//     aws_session_token (or the legacy aws_security_token);
//  2. the EC2 instance metadata service with IMDSv2 (see imdsclient.h), unless
//     AWS_EC2_METADATA_DISABLED is "true"; endpoint AWS_EC2_METADATA_SERVICE_ENDPOINT, else
//     http://169.254.169.254.
// Nothing found -> empty Credentials, not an error. Errors are for what never heals by itself:
// an unreadable or malformed file, an AWS_PROFILE that exists in neither file, a profile with
// half a key pair or one that relies on what s3cache does not implement (role_arn,
// credential_process, SSO, web identity), a malformed metadata answer. Error messages never
// contain key material.
// May do network I/O (up to ~3 s when the metadata endpoint does not answer): never call it
// from the GUI thread. Found secrets are registered with Log::registerSecret.

#include "s3/s3types.h"
#include "util/result.h"

#include <QProcessEnvironment>
#include <QString>

namespace s3cache {

Result<Credentials> resolveCredentialChain(const QProcessEnvironment &env, const QString &homeDir);

} // namespace s3cache
