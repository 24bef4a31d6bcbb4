#include "commands.h"

#include <QCoreApplication>

#include <csignal>

namespace {
void onSignal(int)
{
    s3cache::cancelRunningJob();
}
} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("s3cache"));
    QCoreApplication::setApplicationVersion(QStringLiteral(S3CACHE_VERSION));

    struct sigaction action {};
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    // A closed output pipe (`s3cache list | head`) is a write error that printOut() handles, not death.
    std::signal(SIGPIPE, SIG_IGN);

    return s3cache::runCommand(app.arguments().mid(1), QProcessEnvironment::systemEnvironment());
}
