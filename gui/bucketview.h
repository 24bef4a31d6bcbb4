#pragma once
// BucketView: the bucket as a tree (prefix / org / repo / cache object) with size, object
// count, last modified and age, sortable and filterable, with objects older than a chosen age
// highlighted. The listing runs as a PagedListJob and each page is merged in as it arrives, so
// the view stays responsive and usable while a large bucket is listed.
//
// A refresh never empties the tree: pages update the rows in place (expansion and selection
// stay), and only when the listing succeeds are the objects it did not see removed. A listing
// that fails, times out (no page for listingTimeoutMs()) or is cancelled (Cancel next to
// Refresh) leaves what was listed before, and says so.

#include "s3/s3types.h"
#include "util/error.h"

#include <QPointer>
#include <QSet>
#include <QWidget>

class QLabel;
class QLineEdit;
class QProgressBar;
class QSortFilterProxyModel;
class QSpinBox;
class QTabWidget;
class QTableView;
class QAbstractItemView;
class QTimer;
class QToolButton;
class QTreeView;

namespace s3cache {

class BucketProxyModel;
class BucketTreeModel;
class CacheTableModel;
class MessageBanner;
class PagedListJob;
class Session;
struct BucketNode;

class BucketView : public QWidget
{
    Q_OBJECT
public:
    explicit BucketView(Session *session, QWidget *parent = nullptr);

    BucketTreeModel *model() const { return m_model; }
    BucketProxyModel *proxy() const { return m_proxy; }
    QTreeView *tree() const { return m_tree; }
    // The flat Caches view (one row per cache) beside the tree, on the same listing and filter.
    QTableView *cacheTable() const { return m_table; }
    CacheTableModel *cacheModel() const { return m_cacheModel; }
    QSortFilterProxyModel *cacheProxy() const { return m_cacheProxy; }
    QTabWidget *views() const { return m_views; }
    bool showsCaches() const;
    void showCaches(bool caches);
    // The view on show (the tree or the Caches table).
    QAbstractItemView *activeView() const;
    // "42 caches, 3.1 GiB; 1.2 GiB older than 14 d" (with a filter: what matches).
    QString cachesSummary() const;
    QLineEdit *filterEdit() const { return m_filter; }
    QSpinBox *ageSpin() const { return m_ageDays; }
    MessageBanner *banner() const { return m_banner; }

    // The node under the cursor and the selected nodes (source model nodes; valid until the
    // model changes).
    const BucketNode *currentNode() const;
    QList<const BucketNode *> selectedNodes() const;
    bool isListing() const { return m_listJob != nullptr; }
    qint64 ageThresholdSeconds() const;
    void setAgeThresholdDays(int days);

    // Lists the bucket again (a listing in progress is cancelled); the rows, expanded folders
    // and the selection stay while it runs and whatever it ends with.
    void refresh();
    // Stops the listing in progress; the tree keeps what it showed.
    void cancelListing();
    // A listing that receives no page for this long is cancelled and reported as a timeout.
    void setListingTimeoutMs(int ms);
    int listingTimeoutMs() const;
    QToolButton *cancelButton() const { return m_cancel; }
    QLabel *footer() const { return m_footer; }
    // Empties the view (disconnected).
    void reset();
    void focusFilter();
    // Selects and shows the object or folder with this path, if listed.
    bool select(const QString &path);

signals:
    void currentChanged(const QString &path);
    void selectionChanged();
    void listingFinished(const s3cache::Error &error);

private:
    void onPage(const QList<ObjectInfo> &objects);
    void onListingFinished(PagedListJob *job);
    void onFilterChanged(const QString &text);
    bool eventFilter(QObject *watched, QEvent *event) override;
    void updateFooter();
    void fitNameColumn();
    void scheduleFit();

    Session *m_session;
    BucketTreeModel *m_model;
    BucketProxyModel *m_proxy;
    QLineEdit *m_filter;
    QSpinBox *m_ageDays;
    QToolButton *m_refresh;
    QToolButton *m_cancel;
    QTimer *m_listingTimer;
    MessageBanner *m_banner;
    QTreeView *m_tree;
    CacheTableModel *m_cacheModel;
    QSortFilterProxyModel *m_cacheProxy;
    QTableView *m_table;
    QTabWidget *m_views;
    QLabel *m_summary;
    QLabel *m_footer;
    QProgressBar *m_busy;
    QPointer<PagedListJob> m_listJob;
    bool m_listingIncomplete = false;
    bool m_listingTimedOut = false;
    bool m_expandQueued = false;
    bool m_fitQueued = false;  // new matches arrived: expand once the page is in
    QSet<QString> m_seen;  // keys the listing in progress has handed over
};

} // namespace s3cache
