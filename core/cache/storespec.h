#pragma once
// StoreSpec: one connection with everything resolved (endpoint per SPEC §4, credentials from
// the profile, the typed-in secret or the AWS chain), from which any number of independent
// stores can be opened. Each job gets its own store, because a store's cancellation and
// deadline apply to all its calls: two jobs sharing one could cancel each other.

#include "connectionprofile.h"
#include "objectstore.h"

#include "s3/s3connection.h"

#include <QProcessEnvironment>

#include <optional>

namespace s3cache {

class StoreSpec
{
public:
    // May block on the network (the AWS chain asks the instance metadata service): call it from
    // a worker thread. `secretKey` is used with CredentialMode::AccessKey only. Secret values are
    // registered with the log's masking.
    static Result<StoreSpec> resolve(const ConnectionProfile &profile, const QString &secretKey,
                                     const QProcessEnvironment &env, const QString &homeDir);

    ObjectStorePtr open() const;
    const ConnectionProfile &profile() const { return m_profile; }
    bool isLocal() const { return !m_s3.has_value(); }
    // Where the credentials came from ("typed in", "profile default", "IMDSv2", "none").
    QString credentialSource() const;
    // The store's own description (endpoint, addressing, region); no secrets.
    QString describe() const;

private:
    ConnectionProfile m_profile;
    std::optional<S3ClientConfig> m_s3;
};

} // namespace s3cache
