#pragma once
// ProfileStore: the saved connection profiles. The non-secret fields live in QSettings; a
// typed-in secret key goes to the system keychain (QtKeychain: Secret Service, KWallet, macOS
// Keychain, Windows Credential Store) and never to a file. When no keychain service answers
// (headless machines, tests), the secret is kept in memory for this session only and notice()
// says so. Keychain calls are asynchronous: readSecret() answers with secretRead().

#include "cache/connectionprofile.h"

#include <QHash>
#include <QObject>

class QSettings;

namespace s3cache {

class ProfileStore : public QObject
{
    Q_OBJECT
public:
    // `settings` is not owned; `keychainService` names this application's keychain entries.
    ProfileStore(QSettings *settings, QString keychainService, QObject *parent = nullptr);

    QStringList names() const;
    bool contains(const QString &name) const;
    // The saved profile (an empty name when there is none).
    ConnectionProfile profile(const QString &name) const;

    // Saves the fields at once; a non-empty `secretKey` replaces the stored one (keychain,
    // asynchronously). A profile that does not use a typed-in key pair keeps no secret.
    void save(const ConnectionProfile &profile, const QString &secretKey);
    void remove(const QString &name);

    // secretRead(name, secret) follows, with an empty secret when none is stored.
    void readSecret(const QString &name);

    // Whether a system keychain answered the last call (Unknown before the first one).
    enum class Keychain { Unknown, Available, Missing };
    Keychain keychain() const { return m_keychain; }
    // Keeps a typed-in secret for this session (and in the keychain when there is one).
    void rememberSecret(const QString &name, const QString &secret) { writeSecret(name, secret); }

    QString lastProfile() const;
    void setLastProfile(const QString &name);

signals:
    void secretRead(const QString &name, const QString &secret);
    void notice(const QString &message);
    void profilesChanged();

private:
    void writeSecret(const QString &name, const QString &secret);
    void deleteSecret(const QString &name);

    QSettings *m_settings;
    QString m_service;
    Keychain m_keychain = Keychain::Unknown;
    QHash<QString, QString> m_sessionSecrets;  // this session's secrets, never written anywhere
};

} // namespace s3cache
