# s3cache as a Vela pipeline step (drop-in for target/vela-s3-cache): CLI only, no GUI.
#   docker build -t s3cache .
#   docker run --rm -e PARAMETER_ACTION=restore ... s3cache
# The runtime stage's package list is checked against the binary's libraries by
# scripts/check-runtime-deps.sh (part of the test suite), since no Docker engine runs in CI here.

FROM debian:12-slim AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config \
      qt6-base-dev libarchive-dev libquazip1-qt6-dev libzstd-dev zlib1g-dev libssl-dev libxxhash-dev libgl-dev \
 && apt-get clean && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY core core
COPY cli cli
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_GUI=OFF -DBUILD_TESTING=OFF \
 && cmake --build /build \
 && strip /build/cli/s3cache

FROM debian:12-slim
# RUNTIME_PACKAGES: keep in sync with scripts/check-runtime-deps.sh (it reads this line).
ARG RUNTIME_PACKAGES="libqt6core6 libqt6network6 libarchive13 libquazip1-qt6-1 libzstd1 libxxhash0 libssl3 ca-certificates"
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${RUNTIME_PACKAGES} \
 && apt-get clean && rm -rf /var/lib/apt/lists/*
# Runs as root like the Go plugin did: Vela's workspace belongs to the build's user.
COPY --from=build /build/cli/s3cache /usr/local/bin/s3cache
ENTRYPOINT ["/usr/local/bin/s3cache"]
