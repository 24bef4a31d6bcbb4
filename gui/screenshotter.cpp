#include "screenshotter.h"

#include "bucketview.h"
#include "buckettreemodel.h"
#include "detailspane.h"
#include "mainwindow.h"
#include "session.h"
#include "spacechart.h"

#include <QCoreApplication>
#include <QPixmap>
#include <QTimer>
#include <QTreeView>

#include <cstdio>

namespace s3cache {

Screenshotter::Screenshotter(MainWindow *window, QString file, QString view)
    : QObject(window), m_window(window), m_file(std::move(file)), m_view(std::move(view))
{
    connect(window->bucketView(), &BucketView::listingFinished, this, [this](const Error &error) {
        if (error)
            fail(error.toString());
        else
            onListed();
    });
    connect(window->session(), &Session::connectFailed, this, [this](const Error &error) { fail(error.toString()); });
}

void Screenshotter::onListed()
{
    disconnect(m_window->bucketView(), nullptr, this, nullptr);
    BucketView *view = m_window->bucketView();
    view->tree()->expandToDepth(2);
    view->showCaches(m_view == QLatin1String("caches"));
    // The most recently written object makes the most telling details pane.
    const BucketNode *newest = nullptr;
    QList<const BucketNode *> stack{view->model()->summary().root()};
    while (!stack.isEmpty()) {
        const BucketNode *node = stack.takeLast();
        if (node->isObject && (!newest || node->newest > newest->newest))
            newest = node;
        for (const auto &child : node->children)
            stack.append(child.get());
    }
    if (!newest) {
        capture();
        return;
    }
    connect(m_window->details(), &DetailsPane::metadataShown, this, [this] {
        m_metadataShown = true;
        captureWhenReady();
    });
    connect(m_window->details(), &DetailsPane::inspectFinished, this, [this] {
        m_inspected = true;
        captureWhenReady();
    });
    view->select(newest->path);
    view->activeView()->setFocus();
    m_window->details()->inspect();
}

void Screenshotter::captureWhenReady()
{
    // From the event loop: widgets added to visible layouts are shown by queued events.
    if (m_metadataShown && m_inspected)
        QTimer::singleShot(0, this, &Screenshotter::capture);
}

void Screenshotter::capture()
{
    m_window->chart()->setMode(SpaceChart::Mode::Repositories);
    m_window->chart()->refresh();
    if (m_view == QLatin1String("space"))
        m_window->tabs()->setCurrentWidget(m_window->chart());
    // Queued layout work (the details' field height, the column fits) must land before the
    // grab, or the image shows widgets at their old geometry, overlapping.
    for (int round = 0; round < 3; ++round)
        QCoreApplication::sendPostedEvents(nullptr, QEvent::LayoutRequest);
    if (!m_window->grab().save(m_file)) {
        fail(QStringLiteral("cannot write %1").arg(m_file));
        return;
    }
    QCoreApplication::exit(0);
}

void Screenshotter::fail(const QString &why)
{
    std::fprintf(stderr, "s3cache-gui: screenshot failed: %s\n", qPrintable(why));
    QCoreApplication::exit(1);
}

} // namespace s3cache
