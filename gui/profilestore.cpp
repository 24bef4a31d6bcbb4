#include "profilestore.h"

#include <qt6keychain/keychain.h>

#include <QSettings>

namespace s3cache {

namespace {

const QString kProfiles = QStringLiteral("profiles");
const QString kLastProfile = QStringLiteral("session/lastProfile");

} // namespace

ProfileStore::ProfileStore(QSettings *settings, QString keychainService, QObject *parent)
    : QObject(parent), m_settings(settings), m_service(std::move(keychainService))
{
}

QStringList ProfileStore::names() const
{
    m_settings->beginGroup(kProfiles);
    QStringList names = m_settings->childGroups();
    m_settings->endGroup();
    names.sort(Qt::CaseInsensitive);
    return names;
}

bool ProfileStore::contains(const QString &name) const
{
    return !name.isEmpty() && names().contains(name);
}

ConnectionProfile ProfileStore::profile(const QString &name) const
{
    if (!contains(name))
        return {};
    QVariantMap map;
    m_settings->beginGroup(kProfiles + QLatin1Char('/') + name);
    for (const QString &key : m_settings->childKeys())
        map.insert(key, m_settings->value(key));
    m_settings->endGroup();
    ConnectionProfile p = ConnectionProfile::fromMap(map);
    p.name = name;
    return p;
}

void ProfileStore::save(const ConnectionProfile &profile, const QString &secretKey)
{
    m_settings->beginGroup(kProfiles + QLatin1Char('/') + profile.name);
    m_settings->remove(QString());
    const QVariantMap map = profile.toMap();
    for (auto it = map.cbegin(); it != map.cend(); ++it)
        m_settings->setValue(it.key(), it.value());
    m_settings->endGroup();
    m_settings->sync();
    // Braces: clang-tidy reads the empty `emit` macro as a statement indented into the else.
    if (profile.credentials != CredentialMode::AccessKey) {
        deleteSecret(profile.name);
    } else if (!secretKey.isEmpty()) {
        writeSecret(profile.name, secretKey);
    }
    emit profilesChanged();
}

void ProfileStore::remove(const QString &name)
{
    m_settings->remove(kProfiles + QLatin1Char('/') + name);
    m_settings->sync();
    deleteSecret(name);
    emit profilesChanged();
}

void ProfileStore::writeSecret(const QString &name, const QString &secret)
{
    // In memory at once, so that connecting right after saving does not race the keychain.
    m_sessionSecrets.insert(name, secret);
    auto *job = new QKeychain::WritePasswordJob(m_service, this);
    job->setKey(name);
    job->setTextData(secret);
    connect(job, &QKeychain::Job::finished, this, [this, name](QKeychain::Job *done) {
        if (done->error() == QKeychain::NoError) {
            m_keychain = Keychain::Available;
            return;
        }
        m_keychain = Keychain::Missing;
        emit notice(tr("No system keychain answers on this machine: the secret key of profile \"%1\" is kept in memory "
                       "for this session only and asked for at the next start.")
                        .arg(name));
    });
    job->start();
}

void ProfileStore::deleteSecret(const QString &name)
{
    m_sessionSecrets.remove(name);
    auto *job = new QKeychain::DeletePasswordJob(m_service, this);
    job->setKey(name);
    job->start();  // nothing stored, or no keychain at all: nothing to report either way
}

void ProfileStore::readSecret(const QString &name)
{
    if (m_sessionSecrets.contains(name)) {
        const QString secret = m_sessionSecrets.value(name);
        QMetaObject::invokeMethod(this, [this, name, secret] { emit secretRead(name, secret); }, Qt::QueuedConnection);
        return;
    }
    auto *job = new QKeychain::ReadPasswordJob(m_service, this);
    job->setKey(name);
    connect(job, &QKeychain::Job::finished, this, [this, name](QKeychain::Job *done) {
        const auto *read = static_cast<QKeychain::ReadPasswordJob *>(done);
        QString secret;
        if (read->error() == QKeychain::NoError) {
            m_keychain = Keychain::Available;
            secret = read->textData();
            m_sessionSecrets.insert(name, secret);
        } else if (read->error() == QKeychain::EntryNotFound) {
            m_keychain = Keychain::Available;
        } else {
            // No keychain (a headless machine): the caller asks for the secret.
            m_keychain = Keychain::Missing;
        }
        emit secretRead(name, secret);
    });
    job->start();
}

QString ProfileStore::lastProfile() const
{
    return m_settings->value(kLastProfile).toString();
}

void ProfileStore::setLastProfile(const QString &name)
{
    m_settings->setValue(kLastProfile, name);
}

} // namespace s3cache
