# Build stage: compile the release binary.
FROM rust:1-bookworm AS build
WORKDIR /src
# Cargo reads every target the manifest names (the `cycle` bench included)
# even for `cargo build`, so benches/ comes along; `include_str!` reads
# rules/*.toml (the demo's built-in rules), src/demo/*.toml, the report
# templates under src/, and pushbot.example.toml (a settings test).
COPY Cargo.toml Cargo.lock pushbot.example.toml ./
COPY src ./src
COPY rules ./rules
COPY benches ./benches
RUN cargo build --release --locked --bin pushbot

# Run stage: a small image with the binary, the shipped rules and CA roots.
FROM debian:bookworm-slim
# The state file (`state.path`, default pushbot.sqlite, relative to the
# working directory) needs a directory the non-root user can write.
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --user-group --home-dir /var/lib/pushbot --shell /usr/sbin/nologin pushbot \
    && install -d -o pushbot -g pushbot -m 0750 /var/lib/pushbot
COPY --from=build /src/target/release/pushbot /usr/local/bin/pushbot
COPY rules /etc/pushbot/rules
COPY pushbot.example.toml /etc/pushbot/pushbot.example.toml
USER pushbot
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
ENTRYPOINT ["pushbot", "--config", "/etc/pushbot/pushbot.toml"]
CMD ["run"]
