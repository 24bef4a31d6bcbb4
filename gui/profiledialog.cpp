#include "profiledialog.h"

#include "format.h"
#include "messagebanner.h"
#include "profilestore.h"
#include "session.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QVBoxLayout>

namespace s3cache {

ProfileDialog::ProfileDialog(ProfileStore *store, const ConnectionProfile &profile, QWidget *parent)
    : QDialog(parent), m_store(store), m_isNew(profile.name.isEmpty()), m_name(new QLineEdit(profile.name, this)),
      m_server(new QLineEdit(profile.server, this)), m_bucket(new QComboBox(this)),
      m_listBuckets(new QPushButton(tr("L&ist buckets"), this)), m_bucketNote(new QLabel(this)),
      m_region(new QLineEdit(profile.region, this)), m_addressing(new QComboBox(this)), m_credentials(new QComboBox(this)),
      m_accessKey(new QLineEdit(profile.accessKey, this)), m_secretKey(new QLineEdit(this)), m_secretNote(new QLabel(this)),
      m_banner(new MessageBanner(this)), m_test(new QPushButton(tr("&Test connection"), this)),
      m_save(new QPushButton(tr("&Save"), this)), m_delete(new QPushButton(tr("De&lete profile"), this))
{
    setWindowTitle(m_isNew ? tr("New connection profile") : tr("Connection profile \u2014 %1").arg(profile.name));
    m_name->setReadOnly(!m_isNew);
    m_name->setPlaceholderText(tr("e.g. ci-cache"));
    m_server->setPlaceholderText(tr("https://s3.eu-west-1.amazonaws.com, minio.example.com:9000, file:///srv/cache"));
    m_server->setToolTip(tr("Empty: AWS. A bare host uses https. file:///directory keeps objects in a local folder "
                            "(no server needed)."));
    // Editable: the list only offers names; credentials scoped to one bucket cannot list them.
    m_bucket->setEditable(true);
    m_bucket->setInsertPolicy(QComboBox::NoInsert);
    m_bucket->setEditText(profile.bucket);
    m_bucket->lineEdit()->setPlaceholderText(tr("type a name, or list the buckets"));
    m_listBuckets->setAutoDefault(false);
    m_listBuckets->setToolTip(tr("Ask the server which buckets these credentials can see (or list a local store's folders)"));
    m_bucketNote->setWordWrap(true);
    m_bucketNote->setTextFormat(Qt::PlainText);
    m_bucketNote->hide();
    m_region->setPlaceholderText(tr("automatic"));
    m_addressing->addItems({tr("Automatic"), tr("Path-style"), tr("Virtual-host")});
    m_addressing->setCurrentIndex(!profile.pathStyle ? 0 : (*profile.pathStyle ? 1 : 2));
    m_credentials->addItem(tr("AWS chain (environment, ~/.aws profile, instance metadata)"));
    m_credentials->addItem(tr("Access key and secret key"));
    m_credentials->addItem(tr("None (anonymous)"));
    m_credentials->setCurrentIndex(int(profile.credentials));
    m_secretKey->setEchoMode(QLineEdit::Password);
    m_secretKey->setPlaceholderText(m_isNew ? QString() : tr("unchanged"));
    m_secretNote->setWordWrap(true);
    switch (store->keychain()) {
    case ProfileStore::Keychain::Available:
        m_secretNote->setText(tr("The secret key is kept in the system keychain, never in a settings file."));
        break;
    case ProfileStore::Keychain::Missing:
        m_secretNote->setText(tr("No system keychain answers on this machine: the secret key is kept in memory for this "
                                 "session only (never in a settings file) and asked for at the next start."));
        break;
    case ProfileStore::Keychain::Unknown:
        m_secretNote->setText(tr("The secret key goes to the system keychain, never to a settings file; without a "
                                 "keychain it is kept for this session only and asked for at the next start."));
        break;
    }
    m_secretNote->setEnabled(false);
    m_save->setDefault(true);
    // Enter saves, wherever the focus is but on Cancel: Test and Delete never take the default.
    m_test->setAutoDefault(false);
    m_delete->setAutoDefault(false);

    auto *form = new QFormLayout;
    form->addRow(tr("&Name:"), m_name);
    form->addRow(tr("Se&rver:"), m_server);
    auto *bucketRow = new QHBoxLayout;
    bucketRow->addWidget(m_bucket, 1);
    bucketRow->addWidget(m_listBuckets);
    auto *bucketLabel = new QLabel(tr("&Bucket:"), this);
    bucketLabel->setBuddy(m_bucket);
    form->addRow(bucketLabel, bucketRow);
    form->addRow(QString(), m_bucketNote);
    form->addRow(tr("Re&gion:"), m_region);
    form->addRow(tr("&Addressing:"), m_addressing);
    form->addRow(tr("&Credentials:"), m_credentials);
    form->addRow(tr("Access &key:"), m_accessKey);
    form->addRow(tr("Secret ke&y:"), m_secretKey);
    form->addRow(QString(), m_secretNote);
    auto *buttons = new QDialogButtonBox(this);
    buttons->addButton(m_test, QDialogButtonBox::ActionRole);
    buttons->addButton(m_delete, QDialogButtonBox::DestructiveRole);
    buttons->addButton(m_save, QDialogButtonBox::AcceptRole);
    buttons->addButton(QDialogButtonBox::Cancel);
    m_delete->setVisible(!m_isNew);  // after addButton(), which shows its buttons
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_banner);
    layout->addStretch(1);
    layout->addWidget(buttons);
    resize(fontMetrics().averageCharWidth() * 90, sizeHint().height());

    connect(m_server, &QLineEdit::textChanged, this, &ProfileDialog::updateEnabled);
    connect(m_credentials, &QComboBox::currentIndexChanged, this, &ProfileDialog::updateEnabled);
    connect(m_test, &QPushButton::clicked, this, &ProfileDialog::testConnection);
    connect(m_listBuckets, &QPushButton::clicked, this, &ProfileDialog::listBuckets);
    connect(m_save, &QPushButton::clicked, this, &ProfileDialog::save);
    connect(m_delete, &QPushButton::clicked, this, &ProfileDialog::confirmDelete);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    updateEnabled();
}

ProfileDialog::~ProfileDialog()
{
    if (m_testJob)
        m_testJob->cancel();
    if (m_listJob)
        m_listJob->cancel();
}

QLineEdit *ProfileDialog::bucketEdit() const
{
    return m_bucket->lineEdit();
}

ConnectionProfile ProfileDialog::profile() const
{
    ConnectionProfile p;
    p.name = m_name->text().trimmed();
    p.server = m_server->text().trimmed();
    p.bucket = m_bucket->currentText().trimmed();
    p.region = m_region->text().trimmed();
    if (m_addressing->currentIndex() > 0)
        p.pathStyle = m_addressing->currentIndex() == 1;
    p.credentials = CredentialMode(m_credentials->currentIndex());
    if (p.credentials == CredentialMode::AccessKey)
        p.accessKey = m_accessKey->text().trimmed();
    return p;
}

QString ProfileDialog::secretKey() const
{
    return m_secretKey->text();
}

void ProfileDialog::updateEnabled()
{
    const bool s3 = !profile().isLocal();
    const bool typed = s3 && m_credentials->currentIndex() == int(CredentialMode::AccessKey);
    m_region->setEnabled(s3);
    m_addressing->setEnabled(s3);
    m_credentials->setEnabled(s3);
    m_accessKey->setEnabled(typed);
    m_secretKey->setEnabled(typed);
}

void ProfileDialog::withSecret(const ConnectionProfile &profile, const std::function<void(const QString &)> &then)
{
    if (profile.credentials != CredentialMode::AccessKey || !secretKey().isEmpty() || m_isNew) {
        then(secretKey());
        return;
    }
    // The stored secret: ask the keychain first.
    m_banner->showMessage(MessageBanner::Type::Information, tr("Reading the secret key from the keychain\u2026"));
    auto connection = std::make_shared<QMetaObject::Connection>();
    *connection = connect(m_store, &ProfileStore::secretRead, this,
                          [this, connection, name = profile.name, then](const QString &read, const QString &secret) {
                              if (read != name)
                                  return;
                              disconnect(*connection);
                              m_banner->clear();
                              then(secret);
                          });
    m_store->readSecret(profile.name);
}

void ProfileDialog::testConnection()
{
    if (m_testJob)
        return;
    const ConnectionProfile p = profile();
    withSecret(p, [this, p](const QString &secret) { startTest(p, secret); });
}

void ProfileDialog::listBuckets()
{
    if (m_listJob)
        return;
    const ConnectionProfile p = profile();
    withSecret(p, [this, p](const QString &secret) { startListBuckets(p, secret); });
}

void ProfileDialog::showBucketNote(const QString &text)
{
    m_bucketNote->setText(text);
    m_bucketNote->show();
    // A note of two lines must not squeeze the rows below it: grow to what the layout needs.
    const int needed = layout()->hasHeightForWidth() ? layout()->totalHeightForWidth(width()) : sizeHint().height();
    if (height() < needed)
        resize(width(), needed);
}

void ProfileDialog::startListBuckets(const ConnectionProfile &profile, const QString &secret)
{
    ListBucketsJob *job = Session::createListBucketsJob(profile, secret);
    m_listJob = job;
    showBucketNote(tr("Listing the buckets\u2026"));
    connect(job, &Job::finished, this, [this, job] {
        m_listJob = nullptr;
        if (const Error &error = job->error()) {
            showBucketNote(error.kind() == ErrorKind::AccessDenied
                                      ? tr("These credentials may not list buckets (%1): type the bucket name.")
                                            .arg(error.code())
                                      : tr("The buckets could not be listed, type the bucket name: %1")
                                            .arg(Format::errorText(error)));
            emit bucketsListed(false);
            return;
        }
        const QString typed = m_bucket->currentText();
        m_bucket->clear();
        for (const BucketInfo &bucket : job->buckets())
            m_bucket->addItem(bucket.name);
        // Keep what was typed; an empty field takes the first bucket.
        m_bucket->setEditText(typed.isEmpty() && m_bucket->count() > 0 ? m_bucket->itemText(0) : typed);
        showBucketNote(job->buckets().isEmpty()
                           ? tr("The server lists no buckets for these credentials: type the bucket name.")
                           : tr("%n bucket(s) listed: pick one or type a name.", nullptr, int(job->buckets().size())));
        emit bucketsListed(true);
    });
    job->start();
}

void ProfileDialog::startTest(const ConnectionProfile &profile, const QString &secret)
{
    ConnectJob *job = Session::createConnectJob(profile, secret);
    m_testJob = job;
    // The button stays enabled (a second click is ignored while the test runs): disabling it
    // would move the focus to the next button, Cancel, and Enter would then close the dialog
    // without saving.
    m_test->setEnabled(true);
    m_banner->showMessage(MessageBanner::Type::Information, tr("Connecting to %1\u2026").arg(profile.describe().toHtmlEscaped()));
    connect(job, &Job::finished, this, [this, job] {
        m_testJob = nullptr;
        m_test->setEnabled(true);
        if (job->error()) {
            m_banner->showError(tr("The connection failed."), job->error());
            emit testFinished(false);
            return;
        }
        const ConnectResult &r = job->result();
        QString text = tr("Connected to %1 (credentials: %2). The first listing page holds %n object(s).", nullptr,
                          int(r.firstPageObjects))
                           .arg(r.spec->describe(), r.spec->credentialSource())
                           .toHtmlEscaped();
        if (!r.notice.isEmpty())
            text += QStringLiteral("<br>") + r.notice.toHtmlEscaped();
        m_banner->showMessage(r.notice.isEmpty() ? MessageBanner::Type::Information : MessageBanner::Type::Warning, text);
        emit testFinished(true);
    });
    job->start();
}

void ProfileDialog::save()
{
    const ConnectionProfile p = profile();
    Error error = p.validate();
    if (!error && m_isNew && m_store->contains(p.name))
        error = Error(ErrorKind::InvalidInput, QStringLiteral("ProfileExists"),
                      tr("a profile named \"%1\" exists already").arg(p.name));
    if (!error && m_isNew && p.credentials == CredentialMode::AccessKey && !p.isLocal() && secretKey().isEmpty())
        error = Error(ErrorKind::InvalidInput, QStringLiteral("MissingSecret"), tr("type the secret key of the access key"));
    if (error) {
        m_banner->showError(tr("The profile cannot be saved."), error);
        return;
    }
    m_store->save(p, p.credentials == CredentialMode::AccessKey ? secretKey() : QString());
    accept();
}

void ProfileDialog::confirmDelete()
{
    const QString name = m_name->text();
    auto *box = new QMessageBox(QMessageBox::Question, tr("Delete profile"),
                                tr("Delete the connection profile \"%1\" and its stored secret key? "
                                   "The bucket itself is not touched.").arg(name),
                                QMessageBox::Cancel, this);
    QPushButton *remove = box->addButton(tr("Delete profile"), QMessageBox::DestructiveRole);
    box->setDefaultButton(QMessageBox::Cancel);
    box->setAttribute(Qt::WA_DeleteOnClose);
    connect(box, &QMessageBox::buttonClicked, this, [this, box, remove, name](QAbstractButton *clicked) {
        if (clicked != remove)
            return;
        box->close();
        m_store->remove(name);
        emit deleted(name);
        reject();
    });
    box->open();
}

} // namespace s3cache
