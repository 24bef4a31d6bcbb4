#pragma once
// ConnectionBar: choose a saved profile and connect; create, edit and delete profiles
// (ProfileDialog, opened with open()); shows the connection state. The secret key of a
// typed-in key pair is fetched from the keychain asynchronously before connecting.

#include "cache/connectionprofile.h"
#include "util/error.h"

#include <QPointer>
#include <QWidget>

#include <optional>

class QComboBox;
class QInputDialog;
class QLabel;
class QPushButton;
class QToolButton;

namespace s3cache {

class ProfileDialog;
class ProfileStore;
class Session;

class ConnectionBar : public QWidget
{
    Q_OBJECT
public:
    ConnectionBar(ProfileStore *profiles, Session *session, QWidget *parent = nullptr);

    QString currentProfile() const;
    ProfileDialog *dialog() const;  // the open profile dialog, if any
    // The question for a secret key that no keychain holds (after a restart without one).
    QInputDialog *secretPrompt() const;

    // Connects with a saved profile, or with `adHoc` (not saved; e.g. from the command line).
    void connectProfile(const QString &name);
    void connectAdHoc(const ConnectionProfile &profile, const QString &secretKey = {});
    void newProfile();
    void editProfile();
    // What the last listing says about the connection: a listing that failed shows here too,
    // so the bar never says "Connected" to a server that stopped answering.
    void showListingResult(const Error &error);
    QString statusText() const;

private:
    void reloadProfiles(const QString &select);
    void openDialog(const ConnectionProfile &profile);
    void setStatus(const QString &text, const QString &tooltip = {});
    void askForSecret(const QString &name);

    ProfileStore *m_profiles;
    Session *m_session;
    QComboBox *m_combo;
    QPushButton *m_connect;
    QToolButton *m_new;
    QToolButton *m_edit;
    QLabel *m_status;
    QPointer<ProfileDialog> m_dialog;
    QPointer<QInputDialog> m_secretPrompt;
    std::optional<ConnectionProfile> m_adHoc;
    QString m_awaitingSecret;  // profile whose secret is being read
};

} // namespace s3cache
