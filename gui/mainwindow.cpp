#include "mainwindow.h"

#include "bucketview.h"
#include "buckettreemodel.h"
#include "cacheactions.h"
#include "connectionbar.h"
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
#include <QScreen>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
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
    auto *central = new QWidget(this);
    auto *centralLayout = new QVBoxLayout(central);
    centralLayout->setContentsMargins(4, 4, 4, 0);
    centralLayout->addWidget(m_banner);
    centralLayout->addWidget(m_splitter, 1);
    setCentralWidget(central);

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
    dock->setObjectName(QStringLiteral("jobsDock"));
    dock->setWidget(m_jobPanel);
    dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable | QDockWidget::DockWidgetClosable);
    addDockWidget(Qt::BottomDockWidgetArea, dock);
    dock->hide();  // until the first job (or the saved state says otherwise)
    connect(m_jobPanel, &JobPanel::jobTracked, dock, [this, dock] {
        if (dock->isHidden()) {
            dock->show();
            resizeDocks({dock}, {fontMetrics().height() * 9}, Qt::Vertical);
        }
        dock->raise();
    });
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
        statusBar()->showMessage(tr("Connection failed: %1").arg(error.toString()));
    });
    connect(m_profiles, &ProfileStore::notice, this, [this](const QString &text) {
        m_banner->showMessage(MessageBanner::Type::Warning, text.toHtmlEscaped());
        statusBar()->showMessage(text);
    });
    connect(m_bucketView, &BucketView::listingFinished, this, [this](const Error &error) {
        if (error)
            statusBar()->showMessage(tr("Listing failed: %1").arg(error.toString()));
    });
    connect(m_actions, &CacheActions::message, this, [this](const QString &text) { statusBar()->showMessage(text); });
    connect(m_session, &Session::idle, this, [this] {
        if (m_closing)
            close();
    });

    restoreState();
    statusBar()->showMessage(m_profiles->names().isEmpty() ? tr("Create a connection profile to start (New\u2026)")
                                                           : tr("Choose a profile and connect"));
}

MainWindow::~MainWindow() = default;

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

    QMenu *view = menuBar()->addMenu(tr("&View"));
    view->addAction(tr("&Filter"), QKeySequence::Find, m_bucketView, &BucketView::focusFilter);
    view->addAction(tr("Bucket &tree"), QKeySequence(Qt::ALT | Qt::Key_1), this, [this] { m_bucketView->tree()->setFocus(); });
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
}

void MainWindow::saveState()
{
    m_settings->setValue(QStringLiteral("window/geometry"), saveGeometry());
    m_settings->setValue(QStringLiteral("window/state"), QMainWindow::saveState());
    m_settings->setValue(QStringLiteral("window/splitter"), m_splitter->saveState());
    m_settings->setValue(QStringLiteral("view/ageDays"), int(m_bucketView->ageThresholdSeconds() / (24 * 3600)));
    m_settings->sync();
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (!m_closing)
        saveState();
    if (m_session->runningJobs() > 0) {
        // Jobs hold their stores and files: let them stop cleanly, then close (idle()).
        m_closing = true;
        statusBar()->showMessage(tr("Cancelling %1 running jobs before closing\u2026").arg(m_session->runningJobs()));
        m_session->cancelAll();
        event->ignore();
        return;
    }
    event->accept();
}

} // namespace s3cache
