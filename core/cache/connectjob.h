#pragma once
// ConnectJob: resolve a profile into a StoreSpec (which may ask the instance metadata service),
// open its store and prove that the bucket answers by listing its first page. The store is the
// connection a session then keeps (one network thread and TLS session for all its jobs). The
// error is the server's own (code, message and hint), e.g. NoSuchBucket, SignatureDoesNotMatch.

#include "job.h"
#include "storespec.h"

namespace s3cache {

struct ConnectResult
{
    std::optional<StoreSpec> spec;
    std::shared_ptr<ObjectStore> store;  // opened from `spec`, already used once
    int firstPageObjects = 0;  // objects on the first listing page (at most 1000)
    QString notice;            // something the user should know although it worked
};

class ConnectJob : public Job
{
    Q_OBJECT
public:
    ConnectJob(ConnectionProfile profile, QString secretKey, QProcessEnvironment env, QString homeDir,
               QObject *parent = nullptr);
    const ConnectResult &result() const { return m_result; }
    const ConnectionProfile &profile() const { return m_profile; }

protected:
    Error run() override;

private:
    ConnectionProfile m_profile;
    QString m_secretKey;
    QProcessEnvironment m_env;
    QString m_homeDir;
    ConnectResult m_result;
};

} // namespace s3cache
