#include "connectionbar.h"

#include "format.h"
#include "profiledialog.h"
#include "profilestore.h"
#include "session.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QLabel>
#include <QPushButton>
#include <QToolButton>

namespace s3cache {

ConnectionBar::ConnectionBar(ProfileStore *profiles, Session *session, QWidget *parent)
    : QWidget(parent), m_profiles(profiles), m_session(session), m_combo(new QComboBox(this)),
      m_connect(new QPushButton(tr("&Connect"), this)), m_new(new QToolButton(this)), m_edit(new QToolButton(this)),
      m_status(new QLabel(this))
{
    auto *label = new QLabel(tr("&Profile:"), this);
    label->setBuddy(m_combo);
    m_combo->setMinimumContentsLength(24);  // "command line (not saved)" in full
    m_combo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_new->setText(tr("New\u2026"));
    m_new->setToolTip(tr("Create a connection profile"));
    m_edit->setText(tr("Edit\u2026"));
    m_edit->setToolTip(tr("Edit the selected profile, test its connection"));
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_status->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);

    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(4, 2, 4, 2);
    layout->addWidget(label);
    layout->addWidget(m_combo);
    layout->addWidget(m_connect);
    layout->addWidget(m_new);
    layout->addWidget(m_edit);
    layout->addWidget(m_status, 1);

    connect(m_connect, &QPushButton::clicked, this, [this] { connectProfile(currentProfile()); });
    connect(m_new, &QToolButton::clicked, this, &ConnectionBar::newProfile);
    connect(m_edit, &QToolButton::clicked, this, &ConnectionBar::editProfile);
    connect(m_combo, &QComboBox::currentIndexChanged, this, [this] {
        m_edit->setEnabled(m_profiles->contains(currentProfile()));
        m_connect->setEnabled(!currentProfile().isEmpty());
    });
    connect(m_profiles, &ProfileStore::profilesChanged, this, [this] { reloadProfiles(currentProfile()); });
    connect(m_profiles, &ProfileStore::secretRead, this, [this](const QString &name, const QString &secret) {
        if (name != m_awaitingSecret)
            return;
        m_awaitingSecret.clear();
        if (secret.isEmpty()) {
            askForSecret(name);
            return;
        }
        m_session->connectTo(m_profiles->profile(name), secret);
    });
    connect(m_session, &Session::connecting, this, [this](const QString &what) { setStatus(tr("Connecting to %1\u2026").arg(what)); });
    connect(m_session, &Session::connected, this,
            [this](const QString &description) { setStatus(tr("Connected: %1").arg(description), description); });
    connect(m_session, &Session::connectFailed, this, [this](const Error &error) {
        setStatus(tr("Not connected: %1").arg(error.code().isEmpty() ? error.message() : error.code()), error.toString());
    });
    reloadProfiles(m_profiles->lastProfile());
    setStatus(tr("Not connected"));
}

ProfileDialog *ConnectionBar::dialog() const
{
    return m_dialog;
}

QInputDialog *ConnectionBar::secretPrompt() const
{
    return m_secretPrompt;
}

void ConnectionBar::askForSecret(const QString &name)
{
    if (m_secretPrompt)
        m_secretPrompt->close();
    const ConnectionProfile profile = m_profiles->profile(name);
    setStatus(tr("Waiting for the secret key of %1").arg(name));
    auto *prompt = new QInputDialog(window());
    prompt->setAttribute(Qt::WA_DeleteOnClose);
    prompt->setWindowTitle(tr("Secret key \u2014 %1").arg(name));
    prompt->setLabelText(m_profiles->keychain() == ProfileStore::Keychain::Missing
                             ? tr("No system keychain holds the secret key of access key %1 (profile \"%2\"). Type it to "
                                  "connect; it is kept for this session only.").arg(profile.accessKey, name)
                             : tr("The keychain holds no secret key for access key %1 (profile \"%2\"). Type it to "
                                  "connect.").arg(profile.accessKey, name));
    prompt->setTextEchoMode(QLineEdit::Password);
    prompt->setOkButtonText(tr("&Connect"));
    m_secretPrompt = prompt;
    connect(prompt, &QInputDialog::textValueSelected, this, [this, name](const QString &secret) {
        if (secret.isEmpty() || !m_profiles->contains(name)) {
            setStatus(tr("Not connected"));
            return;
        }
        m_profiles->rememberSecret(name, secret);
        m_session->connectTo(m_profiles->profile(name), secret);
    });
    connect(prompt, &QDialog::rejected, this, [this] { setStatus(tr("Not connected")); });
    prompt->open();
}

QString ConnectionBar::currentProfile() const
{
    return m_combo->currentData().toString();
}

void ConnectionBar::reloadProfiles(const QString &select)
{
    const QSignalBlocker blocker(m_combo);
    m_combo->clear();
    if (m_adHoc)
        m_combo->addItem(tr("%1 (not saved)").arg(m_adHoc->name), m_adHoc->name);
    for (const QString &name : m_profiles->names())
        m_combo->addItem(name, name);
    const int index = m_combo->findData(select);
    m_combo->setCurrentIndex(index >= 0 ? index : 0);
    m_edit->setEnabled(m_profiles->contains(currentProfile()));
    m_connect->setEnabled(!currentProfile().isEmpty());
}

QString ConnectionBar::statusText() const
{
    return m_status->text();
}

void ConnectionBar::showListingResult(const Error &error)
{
    if (!m_session->isConnected())
        return;
    const QString description = m_session->describe();
    if (!error) {
        setStatus(tr("Connected: %1").arg(description), description);
        return;
    }
    const QString what = error.code().isEmpty() ? Error::kindName(error.kind()) : error.code();
    if (error.kind() == ErrorKind::Cancelled)
        setStatus(tr("Connected: %1 (listing cancelled)").arg(description), description);
    else if (error.kind() == ErrorKind::Transient)
        setStatus(tr("Not responding: %1 (%2); press F5 to try again").arg(description, what), error.toString());
    else
        setStatus(tr("Listing failed: %1 (%2)").arg(description, what), error.toString());
}

void ConnectionBar::setStatus(const QString &text, const QString &tooltip)
{
    m_status->setText(text);
    m_status->setToolTip(tooltip.isEmpty() ? text : tooltip);
}

void ConnectionBar::connectProfile(const QString &name)
{
    if (m_adHoc && name == m_adHoc->name) {
        m_session->connectTo(*m_adHoc, {});
        return;
    }
    if (!m_profiles->contains(name))
        return;
    const int index = m_combo->findData(name);
    if (index >= 0)
        m_combo->setCurrentIndex(index);
    m_profiles->setLastProfile(name);
    const ConnectionProfile profile = m_profiles->profile(name);
    if (profile.credentials == CredentialMode::AccessKey && !profile.isLocal()) {
        m_awaitingSecret = name;
        setStatus(tr("Reading the secret key of %1 from the keychain\u2026").arg(name));
        m_profiles->readSecret(name);
        return;
    }
    m_session->connectTo(profile, {});
}

void ConnectionBar::connectAdHoc(const ConnectionProfile &profile, const QString &secretKey)
{
    m_adHoc = profile;
    reloadProfiles(profile.name);
    m_session->connectTo(profile, secretKey);
}

void ConnectionBar::newProfile()
{
    openDialog({});
}

void ConnectionBar::editProfile()
{
    if (m_profiles->contains(currentProfile()))
        openDialog(m_profiles->profile(currentProfile()));
}

void ConnectionBar::openDialog(const ConnectionProfile &profile)
{
    if (m_dialog) {
        m_dialog->raise();
        m_dialog->activateWindow();
        return;
    }
    auto *dialog = new ProfileDialog(m_profiles, profile, window());
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    m_dialog = dialog;
    connect(dialog, &QDialog::accepted, this, [this, dialog] {
        const QString name = dialog->profile().name;
        reloadProfiles(name);
        connectProfile(name);
    });
    dialog->open();
}

} // namespace s3cache
