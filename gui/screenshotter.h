#pragma once
// Screenshotter: `s3cache-gui --screenshot FILE` support, for documentation. Once the listing
// finished it opens the tree, selects the newest object, waits for its metadata and archive
// entries, then saves the main window's image to FILE and quits (exit code 1 when anything on
// the way failed). `view` picks what the image shows: "tree" (the default), "caches" (the flat
// Caches view) or "space" (the tree beside the space table).

#include <QObject>
#include <QString>

namespace s3cache {

class MainWindow;

class Screenshotter : public QObject
{
    Q_OBJECT
public:
    Screenshotter(MainWindow *window, QString file, QString view = {});

private:
    void onListed();
    void captureWhenReady();
    void capture();
    void fail(const QString &why);

    MainWindow *m_window;
    QString m_file;
    QString m_view;
    bool m_metadataShown = false;
    bool m_inspected = false;
};

} // namespace s3cache
