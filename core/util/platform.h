#pragma once
// The platform this binary runs on, in Go's words (GOOS/GOARCH: "linux", "amd64", "arm64"), as
// drone-cache's {{ os }} and {{ arch }} print it and as caches record it (s3cache-platform).

#include <QString>

namespace s3cache {

QString platformOs();    // QSysInfo::kernelType(): "linux", "darwin", "freebsd", ...
QString platformArch();  // "amd64", "386", "arm64", "arm", "ppc64le", "riscv64", "s390x", ...
QString platformName();  // "linux/amd64"

} // namespace s3cache
