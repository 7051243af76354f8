# kv-server image on Debian 12. Two stages: the build stage installs the build packages with the
# project's own scripts/deps.sh (the list CI uses) and builds a release; the runtime stage holds
# the binaries and the shared libraries they link, nothing else, and runs as an unprivileged user.
#
#   docker build -t kv-server .
#   docker run -p 6381:6381 -v kvdata:/data kv-server --requirepass "$(cat pw)"
#
# Bound to 0.0.0.0 inside the container, so protected mode refuses remote clients until a
# password is set (docs/security.md); deploy/k8s/ sets one from a Secret.
FROM debian:12 AS build
WORKDIR /src
COPY scripts/deps.sh scripts/node-deps.sh scripts/
RUN ./scripts/deps.sh --build-only && rm -rf /var/lib/apt/lists/*
COPY . .
RUN meson setup /build --buildtype=release -Dtests=false -Dwerror=false && ninja -C /build kv-server kv-cli kv-check

FROM debian:12-slim AS runtime
# The libraries of `readelf -d` NEEDED of the three binaries (test/integration/test_deploy.py
# checks that this list covers them) and redis-cli, with which deploy/k8s's start.sh asks
# Sentinel for the current primary.
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends \
      libuv1 libfmt9 libxxhash0 libjemalloc2 libssl3 liblzf1 liblua5.1-0 libspdlog1.10 \
      libstdc++6 libedit2 libcivetweb1 redis-tools \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 999 --home-dir /data --shell /usr/sbin/nologin kv \
    && mkdir -p /data && chown kv:kv /data
COPY --from=build /build/kv-server /build/kv-cli /build/kv-check /usr/local/bin/
USER kv
WORKDIR /data
VOLUME /data
EXPOSE 6380 6381 9121
ENTRYPOINT ["kv-server", "--bind", "0.0.0.0", "--dir", "/data"]

# Debian's redis-sentinel, for deploy/k8s/sentinel.yaml (`docker build --target sentinel`).
FROM debian:12-slim AS sentinel
# A fixed uid, so that deploy/k8s/sentinel.yaml can name it in its securityContext.
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends redis-sentinel \
    && rm -rf /var/lib/apt/lists/* \
    && groupmod -g 998 redis && usermod -u 998 -g 998 redis
USER redis
ENTRYPOINT ["redis-sentinel"]
