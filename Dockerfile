# Build stage: compile the release binary.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY rules ./rules
RUN cargo build --release --locked

# Run stage: a small image with the binary, the shipped rules and CA roots.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* && useradd --system --home /var/lib/pushbot pushbot
COPY --from=build /src/target/release/pushbot /usr/local/bin/pushbot
COPY rules /etc/pushbot/rules
COPY pushbot.example.toml /etc/pushbot/pushbot.example.toml
USER pushbot
WORKDIR /var/lib/pushbot
ENV PUSHBOT__RULES__DIR=/etc/pushbot/rules
ENTRYPOINT ["pushbot", "--config", "/etc/pushbot/pushbot.toml"]
CMD ["run"]
