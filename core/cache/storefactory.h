#pragma once
// From a resolved configuration to a store, through the one store builder (storespec.h):
// `file://` -> LocalStore, anything else -> S3Store with the endpoint resolved per
// docs/behaviour.md §4 and credentials from the parameters or, when none were given, the
// standard AWS chain (credentialchain.h; this may do network I/O).

#include "objectstore.h"
#include "restorejob.h"

#include "config/config.h"

#include <QProcessEnvironment>

namespace s3cache {

Result<ObjectStorePtr> openStore(const Config &config, const QProcessEnvironment &env);

// For `s3cache config` when no key was given: runs the AWS chain and says which link gave which
// access key id ("access key ASIA... from web identity: role ... via AWS_WEB_IDENTITY_TOKEN_FILE,
// with session token, expires 2026-..."), or why it failed (`config` never fails on it).
// Empty for a file store or given keys. May do network I/O.
CredentialsReport describeCredentials(const Config &config, const QProcessEnvironment &env);

// Keys restore tries after config.objectKey(): the Go plugin's `archive.tgz` at the same place
// when `filename` was not set explicitly (docs/behaviour.md §5).
QStringList legacyFallbackKeys(const Config &config);

// What restore tries when the exact key (and its legacy name) misses, in order: the restore keys
// (prefixes), then the default branch's key and restore keys (Config, "Default-branch fallback").
QList<KeyLookup> nearKeyLookups(const Config &config);

} // namespace s3cache
