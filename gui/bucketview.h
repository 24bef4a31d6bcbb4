#pragma once
// BucketView: the bucket as a tree (prefix / org / repo / cache object) with size, object
// count, last modified and age, sortable and filterable, with objects older than a chosen age
// highlighted. The listing runs as a PagedListJob and each page is appended as it arrives, so
// the view stays responsive and usable while a large bucket is listed.

#include "s3/s3types.h"
#include "util/error.h"

#include <QPointer>
#include <QSet>
#include <QWidget>

class QLabel;
class QLineEdit;
class QProgressBar;
class QSpinBox;
class QToolButton;
class QTreeView;

namespace s3cache {

class BucketProxyModel;
class BucketTreeModel;
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

    // Lists the bucket again (a listing in progress is cancelled); expanded folders and the
    // current item are restored as their rows come back.
    void refresh();
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
    void onRowsInserted(const QModelIndex &parent, int first, int last);
    void updateFooter();

    Session *m_session;
    BucketTreeModel *m_model;
    BucketProxyModel *m_proxy;
    QLineEdit *m_filter;
    QSpinBox *m_ageDays;
    QToolButton *m_refresh;
    MessageBanner *m_banner;
    QTreeView *m_tree;
    QLabel *m_footer;
    QProgressBar *m_busy;
    QPointer<PagedListJob> m_listJob;
    bool m_listingIncomplete = false;
    QSet<QString> m_restoreExpanded;
    QString m_restoreCurrent;
};

} // namespace s3cache
