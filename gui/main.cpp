// s3cache-gui: browse, inspect, restore, delete and age-flush CI caches in S3-compatible
// storage (or a local folder).
#include "connectionbar.h"
#include "mainwindow.h"
#include "screenshotter.h"
#include "translations.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>
#include <QSettings>

using namespace s3cache;

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    Q_INIT_RESOURCE(s3cache);  // the icons live in the static s3cache-gui-lib
    installTranslations(&app);
    QApplication::setOrganizationName(QStringLiteral("s3cache"));
    QApplication::setApplicationName(QStringLiteral("s3cache-gui"));
    QApplication::setApplicationDisplayName(QStringLiteral("s3cache"));
    QApplication::setApplicationVersion(QStringLiteral(S3CACHE_VERSION));
    QApplication::setDesktopFileName(QStringLiteral("s3cache-gui"));
    QIcon icon;
    for (int size : {32, 64, 128, 256})
        icon.addFile(QStringLiteral(":/icons/s3cache-gui-%1.png").arg(size), QSize(size, size));
    QApplication::setWindowIcon(icon);

    QCommandLineParser parser;
    parser.setApplicationDescription(QCoreApplication::translate("main", "Browse, inspect, restore, delete and age-flush CI build caches."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption profileOption(QStringLiteral("profile"), QCoreApplication::translate("main", "Connect with the saved profile <name>."),
                                           QStringLiteral("name"));
    const QCommandLineOption serverOption(QStringLiteral("server"),
                                          QCoreApplication::translate("main", "Connect to <url> (https://host, host:port, file:///dir) without a "
                                                                                      "saved profile; credentials from the AWS chain."),
                                          QStringLiteral("url"));
    const QCommandLineOption bucketOption(QStringLiteral("bucket"), QCoreApplication::translate("main", "Bucket for --server."), QStringLiteral("name"));
    const QCommandLineOption regionOption(QStringLiteral("region"), QCoreApplication::translate("main", "Region for --server."), QStringLiteral("region"));
    const QCommandLineOption screenshotOption(QStringLiteral("screenshot"),
                                              QCoreApplication::translate("main", "Save an image of the window to <file> once the listing finished, then quit."),
                                              QStringLiteral("file"));
    const QCommandLineOption screenshotViewOption(QStringLiteral("screenshot-view"),
                                                  QCoreApplication::translate("main", "What --screenshot shows: tree, caches or space."),
                                                  QStringLiteral("view"), QStringLiteral("tree"));
    parser.addOptions({profileOption, serverOption, bucketOption, regionOption, screenshotOption, screenshotViewOption});
    parser.process(app);

    QSettings settings;
    MainWindow window(&settings, QStringLiteral("s3cache-gui"));
    if (parser.isSet(screenshotOption))
        new Screenshotter(&window, parser.value(screenshotOption), parser.value(screenshotViewOption));
    window.show();

    ConnectionBar *bar = window.connectionBar();
    if (parser.isSet(serverOption)) {
        ConnectionProfile profile;
        profile.name = QCoreApplication::translate("main", "command line");
        profile.server = parser.value(serverOption);
        profile.bucket = parser.value(bucketOption);
        profile.region = parser.value(regionOption);
        bar->connectAdHoc(profile);
    } else if (parser.isSet(profileOption)) {
        bar->connectProfile(parser.value(profileOption));
    } else if (!bar->currentProfile().isEmpty()) {
        bar->connectProfile(bar->currentProfile());
    }
    return app.exec();
}
