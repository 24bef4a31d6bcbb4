#include "mainwindow.h"

#include "bucketview.h"
#include "buckettreemodel.h"
#include "cacheactions.h"
#include "connectionbar.h"
#include "format.h"
#include "detailspane.h"
#include "jobpanel.h"
#include "messagebanner.h"
#include "profilestore.h"
#include "session.h"
#include "spacechart.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QScreen>
#include <QStackedWidget>
#include <QUrl>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QToolBar>
#include <QTreeView>
#include <QVBoxLayout>

namespace s3cache {

MainWindow::MainWindow(QSettings *settings, const QString &keychainService, QWidget *parent)
    : QMainWindow(parent), m_settings(settings), m_session(new Session(this)),
      m_profiles(new ProfileStore(settings, keychainService, this)),
      m_connectionBar(new ConnectionBar(m_profiles, m_session, this)), m_bucketView(new BucketView(m_session, this)),
      m_details(new DetailsPane(m_session, this)), m_chart(new SpaceChart(m_bucketView->model(), this)),
      m_jobPanel(new JobPanel(this)),
      m_actions(new CacheActions(m_session, m_bucketView, m_details, m_jobPanel, this)),
      m_splitter(new QSplitter(Qt::Horizontal, this)), m_tabs(new QTabWidget(this)), m_banner(new MessageBanner(this))
{
    setWindowTitle(tr("s3cache"));
    setWindowIcon(QApplication::windowIcon());

    m_tabs->addTab(m_details, tr("&Details"));
    m_tabs->addTab(m_chart, tr("Sp&ace"));
    m_splitter->addWidget(m_bucketView);
    m_splitter->addWidget(m_tabs);
    m_splitter->setStretchFactor(0, 3);
    m_splitter->setStretchFactor(1, 2);
    m_splitter->setChildrenCollapsible(false);
    // First start: a centred page that says what to do, instead of an empty tree.
    m_emptyState = new QWidget(this);
    {
        auto *title = new QLabel(tr("<h2>No connection yet</h2>"), m_emptyState);
        auto *text = new QLabel(tr("Connect to the S3 bucket (or the local folder) your CI pipelines keep their caches "
                                   "in. A profile remembers the server, the bucket and the credentials."),
                                m_emptyState);
        text->setWordWrap(true);
        text->setAlignment(Qt::AlignCenter);
        text->setMaximumWidth(fontMetrics().averageCharWidth() * 60);
        auto *newProfile = new QPushButton(tr("&New profile\u2026"), m_emptyState);
        newProfile->setObjectName(QStringLiteral("emptyNewProfile"));
        auto *openLocal = new QPushButton(tr("Open a &local folder store\u2026"), m_emptyState);
        openLocal->setObjectName(QStringLiteral("emptyOpenLocal"));
        connect(newProfile, &QPushButton::clicked, m_connectionBar, &ConnectionBar::newProfile);
        connect(openLocal, &QPushButton::clicked, this, [this] {
            auto *dialog = new QFileDialog(this, tr("Open the bucket folder of a local store"), QDir::homePath());
            dialog->setFileMode(QFileDialog::Directory);
            dialog->setOption(QFileDialog::ShowDirsOnly);
            dialog->setAttribute(Qt::WA_DeleteOnClose);
            connect(dialog, &QFileDialog::fileSelected, this, &MainWindow::openLocalStore);
            dialog->open();
        });
        auto *buttons = new QHBoxLayout;
        buttons->addStretch(1);
        buttons->addWidget(newProfile);
        buttons->addWidget(openLocal);
        buttons->addStretch(1);
        auto *layout = new QVBoxLayout(m_emptyState);
        layout->addStretch(1);
        layout->addWidget(title, 0, Qt::AlignHCenter);
        layout->addWidget(text, 0, Qt::AlignHCenter);
        layout->addLayout(buttons);
        layout->addStretch(2);
    }
    m_pages = new QStackedWidget(this);
    m_pages->addWidget(m_emptyState);
    m_pages->addWidget(m_splitter);
    auto *central = new QWidget(this);
    auto *centralLayout = new QVBoxLayout(central);
    centralLayout->setContentsMargins(4, 4, 4, 0);
    centralLayout->addWidget(m_banner);
    centralLayout->addWidget(m_pages, 1);
    setCentralWidget(central);
    connect(m_profiles, &ProfileStore::profilesChanged, this, &MainWindow::updateEmptyState);
    connect(m_session, &Session::connecting, this, &MainWindow::updateEmptyState);

    auto *connectionTools = addToolBar(tr("Connection"));
    connectionTools->setObjectName(QStringLiteral("connectionToolBar"));
    connectionTools->setMovable(false);
    connectionTools->addWidget(m_connectionBar);
    addToolBarBreak();
    auto *cacheTools = addToolBar(tr("Cache"));
    cacheTools->setObjectName(QStringLiteral("cacheToolBar"));
    cacheTools->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    cacheTools->addActions(m_actions->all());

    auto *dock = new QDockWidget(tr("Jobs"), this);
    m_jobsDock = dock;
    dock->setObjectName(QStringLiteral("jobsDock"));
    dock->setWidget(m_jobPanel);
    dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable | QDockWidget::DockWidgetClosable);
    addDockWidget(Qt::BottomDockWidgetArea, dock);
    dock->hide();  // until the first job (or the saved state says otherwise)
    connect(m_jobPanel, &JobPanel::jobTracked, dock, [this, dock] {
        if (dock->isHidden()) {
            dock->show();
            // Tall enough for a whole job (title, bar, outcome) without scrolling.
            resizeDocks({dock}, {std::max(m_jobPanel->sizeHint().height(), fontMetrics().height() * 9)}, Qt::Vertical);
        }
        dock->raise();
    });
    connect(m_jobPanel, &JobPanel::emptied, dock, &QDockWidget::hide);
    buildMenus(dock);

    connect(m_bucketView, &BucketView::currentChanged, this, [this](const QString &path) {
        const BucketTreeModel *model = m_bucketView->model();
        m_details->showNode(path.isEmpty() ? nullptr : model->summary().find(path), model->now());
    });
    connect(m_session, &Session::connected, this, [this](const QString &description, const QString &notice) {
        setWindowTitle(tr("%1 \u2014 s3cache").arg(m_session->profile().name));
        statusBar()->showMessage(tr("Connected to %1").arg(description));
        if (m_banner->type() == MessageBanner::Type::Error)
            m_banner->clear();
        if (!notice.isEmpty())
            m_banner->showMessage(MessageBanner::Type::Warning, notice.toHtmlEscaped());
        m_bucketView->refresh();
    });
    connect(m_session, &Session::connecting, this, [this] {
        m_bucketView->reset();
        setWindowTitle(tr("s3cache"));
    });
    connect(m_session, &Session::connectFailed, this, [this](const Error &error) {
        m_banner->showError(tr("Cannot connect with profile \"%1\".").arg(m_session->profile().name), error);
        statusBar()->showMessage(tr("Connection failed: %1").arg(Format::errorText(error)));
    });
    connect(m_profiles, &ProfileStore::notice, this, [this](const QString &text) {
        m_banner->showMessage(MessageBanner::Type::Warning, text.toHtmlEscaped());
        statusBar()->showMessage(text);
    });
    connect(m_bucketView, &BucketView::listingFinished, this, [this](const Error &error) {
        m_connectionBar->showListingResult(error);
        if (error.kind() == ErrorKind::Cancelled)
            statusBar()->showMessage(tr("Listing cancelled"));
        else if (error)
            statusBar()->showMessage(tr("Listing failed: %1").arg(Format::errorText(error)));
    });
    connect(m_actions, &CacheActions::inspectRequested, this, [this] { m_tabs->setCurrentWidget(m_details); });
    connect(m_actions, &CacheActions::message, this, [this](const QString &text) { statusBar()->showMessage(text); });
    connect(m_session, &Session::idle, this, [this] {
        if (m_closing)
            close();
    });

    restoreState();
    updateEmptyState();
    dock->hide();  // a new session has no jobs: the saved state must not reopen an empty panel
    // The tree starts with the focus, so that the window's Ctrl shortcuts work at once.
    m_bucketView->activeView()->setFocus(Qt::OtherFocusReason);
    statusBar()->showMessage(m_profiles->names().isEmpty() ? tr("Create a connection profile to start (New\u2026)")
                                                           : tr("Choose a profile and connect"));
}

MainWindow::~MainWindow() = default;

void MainWindow::updateEmptyState()
{
    const bool empty = m_profiles->names().isEmpty() && !m_session->isConnected() && m_connectionBar->currentProfile().isEmpty();
    m_pages->setCurrentWidget(empty ? m_emptyState : static_cast<QWidget *>(m_splitter));
}

void MainWindow::openLocalStore(const QString &bucketFolder)
{
    const QFileInfo info(QDir::cleanPath(bucketFolder));
    ConnectionProfile profile;
    profile.name = tr("local folder %1").arg(info.fileName());
    profile.server = QUrl::fromLocalFile(info.absolutePath()).toString();
    profile.bucket = info.fileName();
    m_connectionBar->connectAdHoc(profile);
}

void MainWindow::buildMenus(QDockWidget *jobsDock)
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    QAction *connectAction = file->addAction(tr("&Connect"), QKeySequence(Qt::CTRL | Qt::Key_O), m_connectionBar,
                                             [this] { m_connectionBar->connectProfile(m_connectionBar->currentProfile()); });
    connectAction->setStatusTip(tr("Connect with the selected profile"));
    file->addAction(tr("&New profile\u2026"), QKeySequence(Qt::CTRL | Qt::Key_N), m_connectionBar, &ConnectionBar::newProfile);
    file->addAction(tr("&Edit profile\u2026"), QKeySequence(Qt::CTRL | Qt::Key_E), m_connectionBar, &ConnectionBar::editProfile);
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    QMenu *cache = menuBar()->addMenu(tr("&Cache"));
    cache->addActions(m_actions->all());
    cache->addSeparator();
    cache->addActions(m_actions->copyActions());  // their shortcuts work from the menu bar too

    QMenu *view = menuBar()->addMenu(tr("&View"));
    view->addAction(tr("&Filter"), QKeySequence::Find, m_bucketView, &BucketView::focusFilter);
    view->addAction(tr("&Caches"), QKeySequence(Qt::ALT | Qt::Key_4), this, [this] {
        m_bucketView->showCaches(true);
        m_bucketView->cacheTable()->setFocus();
    });
    view->addAction(tr("Bucket &tree"), QKeySequence(Qt::ALT | Qt::Key_1), this, [this] {
        m_bucketView->showCaches(false);
        m_bucketView->tree()->setFocus();
    });
    view->addAction(tr("&Details"), QKeySequence(Qt::ALT | Qt::Key_2), this, [this] { m_tabs->setCurrentWidget(m_details); });
    view->addAction(tr("&Space chart"), QKeySequence(Qt::ALT | Qt::Key_3), this, [this] { m_tabs->setCurrentWidget(m_chart); });
    view->addSeparator();
    view->addAction(jobsDock->toggleViewAction());
}

void MainWindow::restoreState()
{
    if (!restoreGeometry(m_settings->value(QStringLiteral("window/geometry")).toByteArray())) {
        QSize size(fontMetrics().averageCharWidth() * 200, fontMetrics().height() * 52);
        if (const QScreen *screen = this->screen())
            size = size.boundedTo(screen->availableSize() * 0.9);
        resize(size);
    }
    QMainWindow::restoreState(m_settings->value(QStringLiteral("window/state")).toByteArray());
    if (!m_splitter->restoreState(m_settings->value(QStringLiteral("window/splitter")).toByteArray()))
        m_splitter->setSizes({width() * 3 / 5, width() * 2 / 5});
    m_bucketView->setAgeThresholdDays(m_settings->value(QStringLiteral("view/ageDays"), int(defaultFlushAgeSeconds() / (24 * 3600))).toInt());
    m_bucketView->showCaches(m_settings->value(QStringLiteral("view/caches"), false).toBool());
}

void MainWindow::saveState()
{
    m_settings->setValue(QStringLiteral("window/geometry"), saveGeometry());
    m_settings->setValue(QStringLiteral("window/state"), QMainWindow::saveState());
    m_settings->setValue(QStringLiteral("window/splitter"), m_splitter->saveState());
    m_settings->setValue(QStringLiteral("view/ageDays"), int(m_bucketView->ageThresholdSeconds() / (24 * 3600)));
    m_settings->setValue(QStringLiteral("view/caches"), m_bucketView->showsCaches());
    m_settings->sync();
}

QMessageBox *MainWindow::quitQuestion() const
{
    return m_quitQuestion;
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    const int running = m_jobPanel->runningCount();
    if (!m_closing && !m_quitConfirmed && running > 0) {
        // Restores, downloads, deletes and flushes are the user's work: ask before stopping them.
        event->ignore();
        if (m_quitQuestion) {
            m_quitQuestion->raise();
            return;
        }
        auto *box = new QMessageBox(QMessageBox::Question, tr("Quit s3cache"),
                                    tr("%n job(s) still running. Quit and cancel them?", nullptr, running), QMessageBox::NoButton,
                                    this);
        box->setInformativeText(tr("A cancelled restore or download leaves the target as it was; a cancelled delete or "
                                   "flush keeps what it has not deleted yet."));
        QPushButton *quit = box->addButton(tr("&Cancel jobs and quit"), QMessageBox::DestructiveRole);
        QPushButton *keep = box->addButton(tr("&Keep running"), QMessageBox::RejectRole);
        box->setDefaultButton(keep);
        box->setEscapeButton(keep);
        box->setAttribute(Qt::WA_DeleteOnClose);
        m_quitQuestion = box;
        connect(box, &QObject::destroyed, this, [this] { m_quitQuestion = nullptr; });
        connect(box, &QMessageBox::buttonClicked, this, [this, quit](QAbstractButton *clicked) {
            if (clicked != quit)
                return;
            m_quitConfirmed = true;
            QMetaObject::invokeMethod(this, &QWidget::close, Qt::QueuedConnection);
        });
        box->open();
        return;
    }
    if (!m_closing)
        saveState();
    if (m_session->runningJobs() > 0) {
        // Jobs hold their stores and files: let them stop cleanly, then close (idle()).
        m_closing = true;
        statusBar()->showMessage(tr("Cancelling %n running job(s) before closing\u2026", nullptr, m_session->runningJobs()));
        m_session->cancelAll();
        event->ignore();
        return;
    }
    event->accept();
}

} // namespace s3cache
