#pragma once
// ProfileDialog: create or edit a connection profile: name, server (or file:///dir for a local
// store), bucket, region, addressing, and credentials from the AWS chain, typed in (the secret
// key goes to the keychain) or none. "Test connection" lists the bucket's first page and shows
// the server's answer, code and message, in the dialog. The bucket is an editable combo box:
// "List buckets" fills it from the server (ListBuckets, a ListBucketsJob on a worker thread) or
// a local store's folders; where the credentials may not list buckets, the note under it says so
// and the name is typed as before. Opened with open(); Save writes the
// profile to the ProfileStore and accepts.

#include "cache/connectionprofile.h"

#include <QDialog>
#include <QPointer>

#include <functional>

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;

namespace s3cache {

class ConnectJob;
class ListBucketsJob;
class MessageBanner;
class ProfileStore;

class ProfileDialog : public QDialog
{
    Q_OBJECT
public:
    // An empty profile name creates a new profile; otherwise that profile is edited (its name
    // is fixed: the keychain entry is keyed by it).
    ProfileDialog(ProfileStore *store, const ConnectionProfile &profile, QWidget *parent = nullptr);
    ~ProfileDialog() override;

    ConnectionProfile profile() const;
    QString secretKey() const;

    QLineEdit *nameEdit() const { return m_name; }
    QLineEdit *serverEdit() const { return m_server; }
    QLineEdit *bucketEdit() const;
    QComboBox *bucketCombo() const { return m_bucket; }
    QPushButton *listBucketsButton() const { return m_listBuckets; }
    QLabel *bucketNote() const { return m_bucketNote; }
    QComboBox *credentialsCombo() const { return m_credentials; }
    QLineEdit *accessKeyEdit() const { return m_accessKey; }
    QLineEdit *secretKeyEdit() const { return m_secretKey; }
    QPushButton *testButton() const { return m_test; }
    QPushButton *saveButton() const { return m_save; }
    MessageBanner *banner() const { return m_banner; }

    void testConnection();
    void listBuckets();
    void save();

signals:
    void testFinished(bool ok);
    void bucketsListed(bool ok);
    void deleted(const QString &name);

private:
    void updateEnabled();
    // Calls `then` with the secret to use: the one typed, or the stored one from the keychain
    // (asked asynchronously) when an existing profile's field is left empty.
    void withSecret(const ConnectionProfile &profile, const std::function<void(const QString &)> &then);
    void startTest(const ConnectionProfile &profile, const QString &secret);
    void startListBuckets(const ConnectionProfile &profile, const QString &secret);
    void showBucketNote(const QString &text);
    void confirmDelete();

    ProfileStore *m_store;
    bool m_isNew;
    QLineEdit *m_name;
    QLineEdit *m_server;
    QComboBox *m_bucket;
    QPushButton *m_listBuckets;
    QLabel *m_bucketNote;
    QLineEdit *m_region;
    QComboBox *m_addressing;
    QComboBox *m_credentials;
    QLineEdit *m_accessKey;
    QLineEdit *m_secretKey;
    QLabel *m_secretNote;
    MessageBanner *m_banner;
    QPushButton *m_test;
    QPushButton *m_save;
    QPushButton *m_delete;
    QPointer<ConnectJob> m_testJob;
    QPointer<ListBucketsJob> m_listJob;
};

} // namespace s3cache
