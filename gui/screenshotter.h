#pragma once
// Screenshotter: `s3cache-gui --screenshot FILE` support, for documentation. Once the listing
// finished it opens the tree, selects the newest object, waits for its metadata and archive
// entries, then saves the main window's image to FILE and quits (exit code 1 when anything on
// the way failed).

#include <QObject>
#include <QString>

namespace s3cache {

class MainWindow;

class Screenshotter : public QObject
{
    Q_OBJECT
public:
    Screenshotter(MainWindow *window, QString file);

private:
    void onListed();
    void captureWhenReady();
    void capture();
    void fail(const QString &why);

    MainWindow *m_window;
    QString m_file;
    bool m_metadataShown = false;
    bool m_inspected = false;
};

} // namespace s3cache
