#pragma once
// MainWindow: composes the views (connection bar, bucket tree, details, chart, job panel) and
// the actions; it owns no logic of its own beyond wiring, window state and an orderly close
// (running jobs are cancelled and the window closes once they finished).

#include <QMainWindow>

class QDockWidget;
class QMessageBox;
class QSettings;
class QSplitter;
class QStackedWidget;
class QTabWidget;

namespace s3cache {

class BucketView;
class CacheActions;
class ConnectionBar;
class DetailsPane;
class JobPanel;
class MessageBanner;
class ProfileStore;
class Session;
class SpaceChart;

class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    // `settings` (not owned) keeps the window state and the profiles; `keychainService` names
    // the keychain entries of the secret keys.
    MainWindow(QSettings *settings, const QString &keychainService, QWidget *parent = nullptr);
    ~MainWindow() override;

    Session *session() const { return m_session; }
    ProfileStore *profiles() const { return m_profiles; }
    ConnectionBar *connectionBar() const { return m_connectionBar; }
    BucketView *bucketView() const { return m_bucketView; }
    DetailsPane *details() const { return m_details; }
    SpaceChart *chart() const { return m_chart; }
    JobPanel *jobPanel() const { return m_jobPanel; }
    CacheActions *actions() const { return m_actions; }
    QTabWidget *tabs() const { return m_tabs; }
    // Session-level messages: connection failures, keychain notices.
    MessageBanner *banner() const { return m_banner; }
    QDockWidget *jobsDock() const { return m_jobsDock; }
    // The first-start page (no profile, not connected): "New profile…", "Open a local folder store…".
    QWidget *emptyState() const { return m_emptyState; }
    // Connects to a local folder store: `bucketFolder` is the bucket's folder (its parent the store).
    void openLocalStore(const QString &bucketFolder);
    // The "quit while jobs run?" question, while it is open.
    QMessageBox *quitQuestion() const;

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void buildMenus(QDockWidget *jobsDock);
    void restoreState();
    void saveState();

    QSettings *m_settings;
    Session *m_session;
    ProfileStore *m_profiles;
    ConnectionBar *m_connectionBar;
    BucketView *m_bucketView;
    DetailsPane *m_details;
    SpaceChart *m_chart;
    JobPanel *m_jobPanel;
    CacheActions *m_actions;
    QSplitter *m_splitter;
    QTabWidget *m_tabs;
    MessageBanner *m_banner;
    QDockWidget *m_jobsDock = nullptr;
    QStackedWidget *m_pages = nullptr;
    QWidget *m_emptyState = nullptr;
    void updateEmptyState();
    QMessageBox *m_quitQuestion = nullptr;
    bool m_closing = false;
    bool m_quitConfirmed = false;
};

} // namespace s3cache
