# Build stage: compile the release binary.
FROM rust:1-bookworm AS build
WORKDIR /src
# Cargo reads every target the manifest names (the `cycle` bench included)
# even for `cargo build`, so benches/ comes along, and every workspace
# member (crates/*: the pure core, the Bugzilla client, the sandbox behind
# the default `sandbox` feature); `include_str!` reads rules/*.toml (the
# shipped rules, built into the core), src/demo/*.toml, the report
# templates under crates/core/src/, and pushbot.example.toml (a settings
# test).
# build.rs records the commit for `pushbot --version`; without .git in the
# context it takes the build argument (docker build --build-arg
# PUSHBOT_COMMIT=$(git rev-parse --short=12 HEAD) .).
ARG PUSHBOT_COMMIT=unknown
ENV PUSHBOT_COMMIT=${PUSHBOT_COMMIT}
COPY Cargo.toml Cargo.lock build.rs pushbot.example.toml ./
COPY src ./src
COPY crates ./crates
COPY rules ./rules
COPY benches ./benches
# Stripped here, not in the release profile: the benches need its symbols.
RUN cargo build --release --locked --bin pushbot \
    && strip target/release/pushbot

# Run stage: a small image with the binary, the shipped rules and CA roots.
FROM debian:bookworm-slim
# The state file (`state.path`, default pushbot.sqlite, relative to the
# working directory) needs a directory the non-root user can write. The
# user has a fixed numeric id (10001) so that mounts can be owned by it
# and `USER` needs no passwd lookup. ca-certificates is not pinned (DL3008
# ignored): the image should take the distribution's current roots
# whenever it is rebuilt.
# hadolint ignore=DL3008
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 pushbot \
    && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/pushbot --shell /usr/sbin/nologin pushbot \
    && install -d -o 10001 -g 10001 -m 0750 /var/lib/pushbot
COPY --from=build /src/target/release/pushbot /usr/local/bin/pushbot
COPY rules /etc/pushbot/rules
COPY pushbot.example.toml /etc/pushbot/pushbot.example.toml
USER 10001:10001
WORKDIR /var/lib/pushbot
VOLUME ["/var/lib/pushbot"]
ENV PUSHBOT__RULES__DIR=/etc/pushbot/rules
# The week view, /healthz and /metrics: loopback by default outside a
# container; here the container's network namespace is the boundary.
ENV PUSHBOT__WEB__LISTEN=0.0.0.0:8080
EXPOSE 8080
# Mount your settings at /etc/pushbot/pushbot.toml (start from
# /etc/pushbot/pushbot.example.toml) and the key file next to it, or pass
# PUSHBOT__BUGZILLA__API_KEY.
# The binary asks its own /healthz (the image has no curl).
HEALTHCHECK --interval=60s --timeout=10s --start-period=120s --retries=3 \
    CMD ["pushbot", "--config", "/etc/pushbot/pushbot.toml", "healthcheck"]
ENTRYPOINT ["pushbot", "--config", "/etc/pushbot/pushbot.toml"]
CMD ["run"]
