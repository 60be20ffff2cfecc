# unbound from Debian, for docker-compose.yml: a recursive resolver that delegates lb.example.com
# to gslb and sends it ECS. Its configuration (scripts/docker/unbound.conf) is mounted at run time.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends unbound dns-root-data \
 && rm -rf /var/lib/apt/lists/*
EXPOSE 53/udp 53/tcp
CMD ["unbound", "-d", "-c", "/etc/unbound/unbound.conf"]
