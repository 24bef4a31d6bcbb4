#pragma once
// ListBucketsJob: the buckets a profile's server and credentials can reach, for the profile
// dialog's bucket picker: the profile is resolved as ConnectJob resolves it (the AWS chain, the
// proxy, ...), then StoreSpec::listBuckets() asks the service (ListBuckets, GET / on the service
// endpoint) or reads a local store's root. The profile needs no name or bucket yet: the user
// picks the bucket from this list. Credentials that may not list buckets (CI keys scoped to one
// bucket) fail it with the server's AccessDenied; the bucket can then still be typed.

#include "job.h"
#include "connectionprofile.h"

#include "s3/s3types.h"

#include <QProcessEnvironment>

namespace s3cache {

class ListBucketsJob : public Job
{
    Q_OBJECT
public:
    ListBucketsJob(ConnectionProfile profile, QString secretKey, const QProcessEnvironment &env, QString homeDir,
                   QObject *parent = nullptr);
    // Sorted by name; valid once finished() without error.
    const QList<BucketInfo> &buckets() const { return m_buckets; }

protected:
    Error run() override;

private:
    ConnectionProfile m_profile;
    QString m_secretKey;
    QProcessEnvironment m_env;
    QString m_homeDir;
    QList<BucketInfo> m_buckets;
};

} // namespace s3cache
