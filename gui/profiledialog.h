#pragma once
// ProfileDialog: create or edit a connection profile: name, server (or file:///dir for a local
// store), bucket, region, addressing, and credentials from the AWS chain, typed in (the secret
// key goes to the keychain) or none. "Test connection" lists the bucket's first page and shows
// the server's answer, code and message, in the dialog. Opened with open(); Save writes the
// profile to the ProfileStore and accepts.

#include "cache/connectionprofile.h"

#include <QDialog>
#include <QPointer>

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;

namespace s3cache {

class ConnectJob;
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
    QLineEdit *bucketEdit() const { return m_bucket; }
    QComboBox *credentialsCombo() const { return m_credentials; }
    QLineEdit *accessKeyEdit() const { return m_accessKey; }
    QLineEdit *secretKeyEdit() const { return m_secretKey; }
    QPushButton *testButton() const { return m_test; }
    QPushButton *saveButton() const { return m_save; }
    MessageBanner *banner() const { return m_banner; }

    void testConnection();
    void save();

signals:
    void testFinished(bool ok);
    void deleted(const QString &name);

private:
    void updateEnabled();
    void startTest(const ConnectionProfile &profile, const QString &secret);
    void confirmDelete();

    ProfileStore *m_store;
    bool m_isNew;
    QLineEdit *m_name;
    QLineEdit *m_server;
    QLineEdit *m_bucket;
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
    QMetaObject::Connection m_secretConnection;
};

} // namespace s3cache
