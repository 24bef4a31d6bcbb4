#include "platform.h"

#include <QSysInfo>

namespace s3cache {

QString platformOs()
{
    return QSysInfo::kernelType();
}

QString platformArch()
{
    QString arch = QSysInfo::buildCpuArchitecture();
    if (arch == u"x86_64")
        return QStringLiteral("amd64");
    if (arch == u"i386")
        return QStringLiteral("386");
    if (arch == u"power64")
        return QStringLiteral("ppc64");
    if (arch == u"power64le")
        return QStringLiteral("ppc64le");
    return arch;  // arm64, arm, riscv64, s390x, mips64 ... are spelled the same
}

QString platformName()
{
    return platformOs() + u'/' + platformArch();
}

} // namespace s3cache
